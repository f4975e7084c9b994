from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from escalated.exceptions import IllegalTransition, NotPermitted, ValidationFailed
from escalated.models import Macro, Reply, Status, Ticket, TicketActivity
from escalated.services import tickets as svc
from escalated.services.macros import macro_apply
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_macro_runs_every_action_through_the_services(
    agent, customer, signal_log, django_capture_on_commit_callbacks
):
    ticket = svc.ticket_create(actor=customer, subject="S", description="D")
    tag = f.TagFactory()
    macro = Macro.objects.create(
        name="Need logs",
        actions=[
            {"type": "reply", "value": "Please send logs."},
            {"type": "set_status", "value": "waiting_on_customer"},
            {"type": "add_tag", "value": tag.pk},
            {"type": "assign", "value": agent.pk},
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        macro_apply(ticket=ticket, actor=agent, macro=macro)
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CUSTOMER
    assert ticket.assignee == agent
    assert list(ticket.tags.all()) == [tag]
    assert Reply.objects.get(ticket=ticket).body == "Please send logs."
    assert signal_log.names() == [
        "reply_created",
        "ticket_status_changed",
        "tag_added",
        "ticket_assigned",
    ]
    assert list(TicketActivity.objects.filter(ticket=ticket).values_list("type", flat=True)) == [
        "created",
        "replied",
        "status_changed",
        "tag_added",
        "assigned",
        "macro_applied",
    ]


def test_failing_macro_leaves_nothing_behind(agent, customer):
    ticket = svc.ticket_create(actor=customer, subject="S", description="D")
    svc.ticket_close(ticket=ticket, actor=agent)
    macro = Macro.objects.create(
        name="Bad",
        actions=[
            {"type": "add_note", "value": "x"},
            {"type": "set_status", "value": "in_progress"},
        ],
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    with pytest.raises(IllegalTransition):
        macro_apply(ticket=ticket, actor=agent, macro=macro)
    assert not Reply.objects.filter(ticket=ticket).exists()


def test_a_status_the_ticket_already_has_is_a_done_step(
    agent, customer, signal_log, django_capture_on_commit_callbacks
):
    ticket = svc.ticket_create(actor=customer, subject="S", description="D")
    svc.ticket_escalate(ticket=ticket, actor=agent, reason="vip")
    macro = Macro.objects.create(
        name="Urgent follow-up",
        actions=[
            {"type": "escalate"},
            {"type": "set_status", "value": "escalated"},
            {"type": "set_priority", "value": "critical"},
        ],
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    with django_capture_on_commit_callbacks(execute=True):
        macro_apply(ticket=ticket, actor=agent, macro=macro)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.ESCALATED, "critical")
    assert signal_log.names() == ["ticket_priority_changed"]
    assert TicketActivity.objects.filter(ticket=ticket, type="escalated").count() == 1


def test_customers_cannot_apply_macros(customer):
    ticket = svc.ticket_create(actor=customer, subject="S", description="D")
    macro = Macro.objects.create(name="M", actions=[{"type": "escalate"}])
    with pytest.raises(NotPermitted):
        macro_apply(ticket=ticket, actor=customer, macro=macro)


@pytest.mark.parametrize(
    "actions",
    [
        [],
        [{"type": "explode"}],
        [{"type": "set_status", "value": "pending"}],
        [{"type": "reply", "value": " "}],
        "x",
    ],
)
def test_macro_actions_are_validated_on_save(actions):
    with pytest.raises(ValidationError):
        Macro.objects.create(name="M", actions=actions)


@pytest.mark.parametrize(
    "stored",
    [[{"value": "high"}], "set_priority"],
)
def test_a_macro_stored_invalid_is_a_field_error_and_changes_nothing(agent, customer, stored):
    ticket = svc.ticket_create(actor=customer, subject="S", description="D")
    macro = Macro.objects.create(name="M", actions=[{"type": "add_note", "value": "x"}])
    # Written past the model's validation, as a raw SQL edit or a bad import would.
    Macro.objects.filter(pk=macro.pk).update(actions=stored)
    macro.refresh_from_db()

    with pytest.raises(ValidationFailed) as caught:
        macro_apply(ticket=ticket, actor=agent, macro=macro)

    assert "macro" in caught.value.errors
    assert list(TicketActivity.objects.filter(ticket=ticket).values_list("type", flat=True)) == [
        "created"
    ]
