from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from escalated.conf import table_name


class Contact(models.Model):
    """A requester: somebody tickets are *for*.

    A contact may be linked to a host user (a signed-in customer), or be a guest known
    only by e-mail. ``external_id`` keys a person coming from another system (a synced
    install's user id, an e-mail thread's address book), unique where set.
    """

    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=255, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_contact",
    )
    external_id = models.CharField(max_length=191, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = table_name("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(external_id__isnull=False),
                name="esc_contact_external_id_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]


class Department(models.Model):
    """A team of agents tickets can be routed to."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="escalated_departments"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = table_name("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
