from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "tests.projects.standalone.demo"
    label = "escalated_demo"
