"""Demo users and tickets for ``./dev run`` (idempotent)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from escalated.models import (
    CannedResponse,
    Department,
    EscalationRule,
    Macro,
    SlaPolicy,
    Tag,
    Ticket,
)
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
        billing_ticket = svc.ticket_create(
            actor=users["customer"],
            subject="Invoice shows the wrong address",
            description="Please update my billing address.",
            department=Department.objects.get(slug="billing"),
        )
        svc.reply_create(
            ticket=billing_ticket,
            actor=users["agent"],
            body="Customer confirmed the new address by phone.",
            is_internal=True,
        )
        samples = [
            ("Export to CSV times out", "urgent", "in_progress"),
            ("Feature request: dark mode", "low", "waiting_on_customer"),
            ("Password reset e-mail never arrives", "critical", "escalated"),
            ("How do I add a teammate?", "medium", "resolved"),
        ]
        for subject, priority, status in samples:
            ticket = svc.ticket_create(
                actor=users["agent"],
                subject=subject,
                description=f"{subject}. Reported through the web form.",
                requester_email="dana@example.com",
                requester_name="Dana Guest",
                priority=priority,
                department=support,
            )
            svc.ticket_assign(ticket=ticket, actor=users["agent"], agent=users["agent"])
            svc.ticket_change_status(ticket=ticket, actor=users["agent"], status=status)
        CannedResponse.objects.create(
            title="Thanks, looking into it",
            body="Hi {{ requester_name }}, thanks for reaching out. We are looking into it.",
        )
        Macro.objects.create(
            name="Ask for details",
            actions=[
                {"type": "reply", "value": "Could you send a screenshot of the error?"},
                {"type": "set_status", "value": "waiting_on_customer"},
            ],
        )
        EscalationRule.objects.create(
            name="Unanswered urgent tickets",
            conditions=[
                {"field": "priority", "operator": "in", "value": ["urgent", "critical"]},
                {"field": "hours_without_first_response", "operator": "gte", "value": 2},
            ],
            actions=[{"type": "escalate"}, {"type": "add_note", "value": "No answer in 2 h."}],
        )
        self.stdout.write(
            "Demo data created: sign in as admin/admin, agent/agent or customer/customer."
        )
