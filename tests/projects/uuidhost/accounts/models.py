"""A host user model keyed by a UUID (loaded only under ``tests.projects.uuidhost.settings``)."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
