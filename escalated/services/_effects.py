"""Private helpers shared by the services: activity rows and after-commit signals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.dispatch import Signal

from escalated.models import Ticket, TicketActivity


def record_activity(
    ticket: Ticket, type: str, *, actor: Any = None, data: dict[str, Any] | None = None
) -> TicketActivity:
    """Write one timeline entry (callers run inside the service's transaction)."""
    return TicketActivity.objects.create(
        ticket=ticket, type=type, actor=_user_or_none(actor), data=data or {}
    )


def record_activities(rows: Iterable[TicketActivity], *, batch_size: int = 1000) -> None:
    """Write many timeline entries in as few INSERTs as possible (sweeps, bulk actions)."""
    TicketActivity.objects.bulk_create(rows, batch_size=batch_size)


def send_after_commit(signal: Signal, *, ticket: Ticket, user: Any = None, **kwargs: Any) -> None:
    """Send ``signal`` once the surrounding transaction commits (at once if there is none)."""
    transaction.on_commit(
        lambda: signal.send(sender=Ticket, ticket=ticket, user=_user_or_none(user), **kwargs)
    )


def send_many_after_commit(
    signal: Signal, tickets: Iterable[Ticket], *, user: Any = None, **kwargs: Any
) -> None:
    """One on-commit hook that sends ``signal`` per ticket (cheaper than one hook each)."""
    batch = list(tickets)
    actor = _user_or_none(user)

    def send() -> None:
        for ticket in batch:
            signal.send(sender=Ticket, ticket=ticket, user=actor, **kwargs)

    transaction.on_commit(send)


def ref(obj: Any) -> dict[str, Any] | None:
    """``{"id", "name"}`` of a user, department or policy, as the timeline keeps it.

    The name is the one at the time of the change, so the entry still reads right
    after the agent leaves or the department is renamed.
    """
    if obj is None:
        return None
    if hasattr(obj, "get_username"):
        name = (obj.get_full_name() or "").strip() or obj.get_username()
    else:
        name = str(obj.name)
    return {"id": obj.pk, "name": name}


def _user_or_none(user: Any) -> Any:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user
