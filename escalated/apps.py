from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalatedConfig(AppConfig):
    name = "escalated"
    verbose_name = _("Escalated")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from escalated import (
            checks,  # noqa: F401  (registers the system checks)
            receivers,
        )

        receivers.connect()
