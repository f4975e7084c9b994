"""Macros: one click, several ticket changes, each through its own service."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from escalated.exceptions import NotPermitted, ValidationFailed
from escalated.models import ActivityType, Macro, Status, Ticket
from escalated.models.rules import validate_macro_actions
from escalated.permissions import is_agent
from escalated.services import tickets as svc
from escalated.services._effects import record_activity


def macro_apply(*, ticket: Ticket, actor: Any, macro: Macro) -> Ticket:
    """Run every action of ``macro`` on ``ticket`` in one transaction (agents only).

    Each action goes through the same service as its manual counterpart, so it writes
    the same activity and sends the same signals; a ``macro_applied`` entry records
    the macro itself. If any action fails, nothing of the macro is kept.
    """
    if actor is None or not is_agent(actor):
        raise NotPermitted("Only agents may apply macros.")
    if not macro.is_shared and macro.created_by_id not in (None, actor.pk):
        raise NotPermitted("This macro is private to its author.")
    try:
        # Saved actions are valid; these were written around the model (raw SQL, an import).
        validate_macro_actions(macro.actions)
    except ValidationError as exc:
        raise ValidationFailed.field(
            "macro", f"The macro {macro.name!r} is invalid: {' '.join(exc.messages)}"
        ) from None
    with transaction.atomic():
        for action in macro.actions:
            _run(ticket, actor, action["type"], action.get("value"))
        record_activity(ticket, ActivityType.MACRO_APPLIED, actor=actor, data={"macro": macro.name})
    return ticket


def _run(ticket: Ticket, actor: Any, kind: str, value: Any) -> None:
    # A step whose status the ticket already has is done, not an illegal transition:
    # "set in progress + reply" works on a ticket someone already took.
    if kind == "set_status":
        if ticket.status != value:
            svc.ticket_change_status(ticket=ticket, actor=actor, status=value)
    elif kind == "escalate":
        if ticket.status != Status.ESCALATED:
            svc.ticket_escalate(ticket=ticket, actor=actor, reason="macro")
    elif kind == "set_priority":
        svc.ticket_change_priority(ticket=ticket, actor=actor, priority=value)
    elif kind == "assign":
        agent = get_user_model().objects.filter(pk=value).first()
        if agent is None:
            raise ValidationFailed.field("macro", f"The macro assigns to unknown user {value}.")
        svc.ticket_assign(ticket=ticket, actor=actor, agent=agent)
    elif kind == "unassign":
        svc.ticket_unassign(ticket=ticket, actor=actor)
    elif kind == "set_department":
        svc.ticket_change_department(ticket=ticket, actor=actor, department=value)
    elif kind == "add_tag":
        svc.ticket_add_tags(ticket=ticket, actor=actor, tags=[value])
    elif kind == "remove_tag":
        svc.ticket_remove_tags(ticket=ticket, actor=actor, tags=[value])
    elif kind == "add_note":
        svc.reply_create(ticket=ticket, actor=actor, body=value, is_internal=True)
    elif kind == "reply":
        svc.reply_create(ticket=ticket, actor=actor, body=value)
    else:  # the model validators make this unreachable for saved macros
        raise ValidationFailed.field("macro", f"Unknown macro action {kind!r}.")
