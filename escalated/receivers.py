"""Internal signal receivers, connected in ``EscalatedConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from escalated import notifications
from escalated.models import BusinessSchedule, Department, Holiday, SlaPolicy
from escalated.services._config import config_cache_clear


def _config_changed(**kwargs: Any) -> None:
    # Clear now (this process reads its own writes) and again after commit, so a read
    # made between the save and the commit cannot keep the old state cached.
    config_cache_clear()
    transaction.on_commit(config_cache_clear)


def connect() -> None:
    """Wire the internal receivers: the config cache, and the e-mail and webhook
    notifications (see :mod:`escalated.notifications`)."""
    notifications.connect()
    for model in (SlaPolicy, BusinessSchedule, Holiday, Department):
        uid = f"escalated.config_cache.{model.__name__}"
        post_save.connect(_config_changed, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(_config_changed, sender=model, dispatch_uid=uid + ".delete")
