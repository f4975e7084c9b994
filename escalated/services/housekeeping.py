"""Bulk housekeeping: auto-closing resolved tickets, purging old activity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from escalated import notifications, signals
from escalated.models import ActivityType, Status, Ticket, TicketActivity
from escalated.services._effects import record_activities_for, send_many_after_commit

Progress = Callable[[int], None] | None


@notifications.collected
def tickets_close_resolved(
    *,
    days: int,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = 500,
    progress: Progress = None,
) -> int:
    """Close tickets resolved at least ``days`` days ago; return how many.

    Works in batches, one transaction each; every ticket gets the same ``closed``
    activity and the same ``ticket_status_changed`` + ``ticket_closed`` signals
    (``reason="auto_close"``) as a manual close.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    due = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
    if dry_run:
        return due.count()
    closed = 0
    while True:
        with transaction.atomic():
            batch_qs = due.order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                batch_qs = batch_qs.select_for_update(skip_locked=True)
            batch = list(batch_qs[:batch_size])
            if not batch:
                break
            ids = [t.pk for t in batch]
            changed = Ticket.objects.filter(pk__in=ids, status=Status.RESOLVED).update(
                status=Status.CLOSED, closed_at=now, updated_at=now
            )
            if changed != len(ids):
                # Without row locks (SQLite) a ticket can change between the read and
                # the guarded write; only those this write closed get the timeline
                # entry and the signals. The write holds the database lock now.
                closed_now = set(
                    Ticket.objects.filter(
                        pk__in=ids, status=Status.CLOSED, closed_at=now
                    ).values_list("pk", flat=True)
                )
                batch = [t for t in batch if t.pk in closed_now]
                ids = [t.pk for t in batch]
            if batch:
                record_activities_for(
                    ids,
                    type=ActivityType.CLOSED,
                    data=[
                        {
                            "old_status": Status.RESOLVED,
                            "new_status": Status.CLOSED,
                            "reason": "auto_close",
                        }
                    ]
                    * len(ids),
                    created_at=now,
                )
                for t in batch:
                    t.status, t.closed_at, t.updated_at = Status.CLOSED, now, now
                send_many_after_commit(
                    signals.ticket_status_changed,
                    batch,
                    old_status=Status.RESOLVED,
                    new_status=Status.CLOSED,
                )
                send_many_after_commit(signals.ticket_closed, batch, reason="auto_close")
        closed += len(batch)
        if progress:
            progress(len(batch))
    return closed


def activities_purge(
    *,
    days: int,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = 5000,
    progress: Progress = None,
) -> int:
    """Delete timeline entries older than ``days`` days, in batches; return how many."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = TicketActivity.objects.filter(created_at__lt=cutoff)
    if dry_run:
        return old.count()
    deleted = 0
    while True:
        ids = list(old.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        count, _ = TicketActivity.objects.filter(pk__in=ids).delete()
        deleted += count
        if progress:
            progress(count)
