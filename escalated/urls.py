"""URLs of the support desk: ``path("support/", include("escalated.urls"))``."""

from django.urls import URLPattern, URLResolver

app_name = "escalated"

urlpatterns: list[URLPattern | URLResolver] = []
