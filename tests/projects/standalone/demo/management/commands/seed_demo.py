"""Demo users and tickets for ``./dev run`` (idempotent)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from escalated.models import Department, SlaPolicy, Tag, Ticket
from escalated.services import tickets as svc
from escalated.services.contacts import contact_for_user

DEMO_USERS = [
    # username, password, staff, superuser
    ("admin", "admin", True, True),
    ("agent", "agent", True, False),
    ("customer", "customer", False, False),
]


class Command(BaseCommand):
    help = "Create the demo admin, agent, customer and a few tickets (only once)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        users = {}
        for username, password, staff, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@example.com",
                    "first_name": username.title(),
                    "is_staff": staff,
                    "is_superuser": superuser,
                },
            )
            if created:
                user.set_password(password)
                user.save()
            users[username] = user
        if Ticket.objects.exists():
            self.stdout.write("Demo data already present.")
            return
        SlaPolicy.objects.create(
            name="Standard",
            is_default=True,
            first_response_hours={"low": 24, "medium": 8, "high": 4, "urgent": 2, "critical": 1},
            resolution_hours={"low": 120, "medium": 48, "high": 24, "urgent": 8, "critical": 4},
        )
        support = Department.objects.create(name="Support", slug="support")
        support.agents.add(users["agent"])
        Department.objects.create(name="Billing", slug="billing")
        bug = Tag.objects.create(name="bug", slug="bug", color="#dc2626")
        Tag.objects.create(name="billing", slug="billing", color="#2563eb")
        contact_for_user(user=users["customer"])
        first = svc.ticket_create(
            actor=users["customer"],
            subject="I cannot log in",
            description="The login page says my password is wrong, but it is not.",
            priority="high",
            department=support,
            tags=[bug],
        )
        svc.reply_create(ticket=first, actor=users["agent"], body="Could you try a reset?")
        svc.ticket_create(
            actor=users["customer"],
            subject="Invoice shows the wrong address",
            description="Please update my billing address.",
        )
        self.stdout.write(
            "Demo data created: sign in as admin/admin, agent/agent or customer/customer."
        )
