from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from escalated.models import Status, Ticket, TicketActivity
from tests import factories as f

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def resolved(days_ago):
    at = timezone.now() - timedelta(days=days_ago)
    return f.TicketFactory(status=Status.RESOLVED, resolved_at=at)


def test_close_resolved_closes_like_a_manual_close(signal_log, django_capture_on_commit_callbacks):
    old, recent = resolved(10), resolved(2)
    with django_capture_on_commit_callbacks(execute=True):
        out = run("close_resolved")  # default: AUTO_CLOSE_RESOLVED_AFTER_DAYS = 7
    assert "closed 1 ticket resolved 7+ days ago" in out
    assert Ticket.objects.get(pk=old.pk).status == Status.CLOSED
    assert Ticket.objects.get(pk=recent.pk).status == Status.RESOLVED
    assert signal_log.names() == ["ticket_status_changed", "ticket_closed"]
    assert signal_log.of("ticket_closed")[0]["reason"] == "auto_close"
    activity = TicketActivity.objects.get(ticket=old)
    assert (activity.type, activity.data["reason"]) == ("closed", "auto_close")


def test_close_resolved_days_and_dry_run():
    tickets = [resolved(3) for _ in range(3)]
    assert "would close 3 tickets" in run("close_resolved", "--days", "1", "--dry-run")
    assert not Ticket.objects.filter(status=Status.CLOSED).exists()
    assert "closed 3 tickets" in run("close_resolved", "--days", "1", "--batch-size", "2")
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets], status=Status.CLOSED).count() == 3
    assert "closed 0 tickets" in run("close_resolved", "--days", "1")


@pytest.mark.parametrize("args", [("--days", "-1"), ("--days", "soon"), ("--batch-size", "0")])
def test_close_resolved_rejects_bad_arguments(args):
    with pytest.raises(CommandError):
        call_command("close_resolved", *args)


def test_purge_activities_keeps_recent_entries():
    ticket = f.TicketFactory()
    now = timezone.now()
    for days in (400, 200, 10):
        TicketActivity.objects.create(
            ticket=ticket, type="updated", created_at=now - timedelta(days=days)
        )
    assert "would delete 2 entries" in run("purge_activities", "--days", "30", "--dry-run")
    assert TicketActivity.objects.count() == 3
    assert "deleted 2 entries older than 30 days" in run(
        "purge_activities", "--days", "30", "--batch-size", "1"
    )
    assert TicketActivity.objects.count() == 1


@pytest.mark.parametrize("args", [(), ("--days", "0"), ("--days", "x")])
def test_purge_activities_rejects_bad_arguments(args):
    with pytest.raises(CommandError):
        call_command("purge_activities", *args)


def test_close_resolved_skips_a_ticket_reopened_between_its_read_and_its_write(
    signal_log, django_capture_on_commit_callbacks
):
    """Without row locks (SQLite) a ticket can be reopened after the batch was read: the
    guarded UPDATE leaves it alone, and so must the timeline and the signals."""
    from django.db import connection

    from escalated.services.housekeeping import tickets_close_resolved

    keep, reopened = resolved(10), resolved(10)
    table = Ticket._meta.db_table

    fired = []

    def reopen_first(execute, sql, params, many, context):
        if not fired and sql.startswith("UPDATE") and table in sql and "closed_at" in sql:
            fired.append(sql)
            with connection.cursor() as cursor:  # what another process would commit
                cursor.execute(
                    f'UPDATE "{table}" SET status = %s WHERE id = %s',
                    [Status.REOPENED, reopened.pk],
                )
        return execute(sql, params, many, context)

    with (
        django_capture_on_commit_callbacks(execute=True),
        connection.execute_wrapper(reopen_first),
    ):
        closed = tickets_close_resolved(days=7)

    assert fired, "the close UPDATE was not seen"
    assert closed == 1
    assert Ticket.objects.get(pk=keep.pk).status == Status.CLOSED
    assert Ticket.objects.get(pk=reopened.pk).status == Status.REOPENED
    assert list(TicketActivity.objects.values_list("ticket_id", flat=True)) == [keep.pk]
    assert [e["ticket"].pk for e in signal_log.of("ticket_closed")] == [keep.pk]
