"""The SLA sweep (``sla_check``) and its command (``manage.py check_sla``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from escalated import signals
from escalated.models import ActivityType, Status, Ticket, TicketActivity
from escalated.services.sla import SlaCheckResult, sla_check
from tests import factories as f

NOW = datetime(2025, 6, 4, 12, tzinfo=UTC)
PAST = NOW - timedelta(hours=1)
FUTURE = NOW + timedelta(hours=1)

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (partial indexes, SKIP LOCKED)"
)


@dataclass(frozen=True)
class Sent:
    signal: str
    ticket_id: int
    breach_type: str
    user: Any


@pytest.fixture
def sent(signal_log):
    """``sent()``: the ``sla_breached`` / ``sla_warning`` signals sent so far, in order."""

    def sla_signals() -> list[Sent]:
        return [
            Sent(name, kwargs["ticket"].pk, kwargs["breach_type"], kwargs["user"])
            for name, kwargs in signal_log.events
            if name in ("sla_breached", "sla_warning")
        ]

    return sla_signals


def open_ticket(**fields: Any) -> Ticket:
    """A ticket row with the given SLA fields (open unless ``status`` says otherwise)."""
    fields.setdefault("status", Status.OPEN)
    return f.TicketFactory(**fields)


# --- breaches ----------------------------------------------------------------------


def test_check_sla_notifies_breach_once(db, sent, django_capture_on_commit_callbacks):
    ticket = open_ticket(first_response_due_at=PAST)

    with django_capture_on_commit_callbacks(execute=True):
        first = sla_check(now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        second = sla_check(now=NOW + timedelta(hours=1))

    assert first.first_response_breaches == 1
    assert second == SlaCheckResult()
    assert sent() == [Sent("sla_breached", ticket.pk, "first_response", None)]
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at == NOW


def test_signals_are_sent_by_the_ticket_model(db, django_capture_on_commit_callbacks):
    senders: list[Any] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        senders.append(sender)

    signals.sla_breached.connect(receiver)
    try:
        open_ticket(first_response_due_at=PAST)
        with django_capture_on_commit_callbacks(execute=True):
            sla_check(now=NOW)
    finally:
        signals.sla_breached.disconnect(receiver)

    assert senders == [Ticket]


def test_signals_wait_for_the_commit(db, sent, django_capture_on_commit_callbacks):
    open_ticket(resolution_due_at=PAST)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sla_check(now=NOW)

    assert sent() == []
    assert len(callbacks) == 1


def test_breach_writes_one_activity_per_ticket(db, django_capture_on_commit_callbacks):
    due = [PAST - timedelta(minutes=i) for i in range(3)]
    tickets = [open_ticket(first_response_due_at=due_at) for due_at in due]
    open_ticket(first_response_due_at=FUTURE)

    with django_capture_on_commit_callbacks(execute=True):
        sla_check(now=NOW)
        sla_check(now=NOW)

    activities = TicketActivity.objects.filter(type=ActivityType.SLA_BREACHED).order_by("ticket_id")
    assert [(a.ticket_id, a.data, a.actor_id, a.created_at) for a in activities] == [
        (t.pk, {"breach_type": "first_response", "due_at": due_at.isoformat()}, None, NOW)
        for t, due_at in zip(tickets, due, strict=True)
    ]


def test_resolution_breach_is_marked_and_notified(db, sent, django_capture_on_commit_callbacks):
    ticket = open_ticket(first_response_at=PAST, resolution_due_at=PAST)

    with django_capture_on_commit_callbacks(execute=True):
        result = sla_check(now=NOW)

    assert result == SlaCheckResult(resolution_breaches=1)
    assert sent() == [Sent("sla_breached", ticket.pk, "resolution", None)]
    ticket.refresh_from_db()
    assert ticket.resolution_breached_at == NOW
    assert ticket.is_sla_breached


def test_breach_marks_the_warning_so_no_warning_follows(
    db, sent, django_capture_on_commit_callbacks
):
    # The sweep did not run while the warning was due: only the breach is sent.
    ticket = open_ticket(
        first_response_warn_at=PAST - timedelta(hours=1), first_response_due_at=PAST
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = sla_check(now=NOW)

    assert result == SlaCheckResult(first_response_breaches=1)
    assert [s.signal for s in sent()] == ["sla_breached"]
    ticket.refresh_from_db()
    assert ticket.first_response_warned_at == NOW


def test_breach_keeps_the_moment_of_an_earlier_warning(db, django_capture_on_commit_callbacks):
    warned_at = PAST - timedelta(minutes=5)
    ticket = open_ticket(
        resolution_warn_at=PAST - timedelta(hours=2),
        resolution_warned_at=warned_at,
        resolution_due_at=PAST,
    )

    with django_capture_on_commit_callbacks(execute=True):
        sla_check(now=NOW)

    ticket.refresh_from_db()
    assert ticket.resolution_warned_at == warned_at
    assert ticket.resolution_breached_at == NOW


# --- warnings ----------------------------------------------------------------------


def test_warning_is_sent_once_before_the_breach(db, sent, django_capture_on_commit_callbacks):
    ticket = open_ticket(first_response_warn_at=PAST, first_response_due_at=FUTURE)

    with django_capture_on_commit_callbacks(execute=True):
        assert sla_check(now=NOW) == SlaCheckResult(first_response_warnings=1)
        assert sla_check(now=NOW) == SlaCheckResult()
        assert sla_check(now=FUTURE) == SlaCheckResult(first_response_breaches=1)

    assert sent() == [
        Sent("sla_warning", ticket.pk, "first_response", None),
        Sent("sla_breached", ticket.pk, "first_response", None),
    ]
    assert TicketActivity.objects.get(type=ActivityType.SLA_WARNING).data == {
        "breach_type": "first_response",
        "due_at": PAST.isoformat(),
    }


def test_resolution_warning(db, sent, django_capture_on_commit_callbacks):
    ticket = open_ticket(resolution_warn_at=PAST, resolution_due_at=FUTURE)

    with django_capture_on_commit_callbacks(execute=True):
        result = sla_check(now=NOW)

    assert result == SlaCheckResult(resolution_warnings=1)
    assert sent() == [Sent("sla_warning", ticket.pk, "resolution", None)]


# --- what is left alone ------------------------------------------------------------


def test_paused_ticket_is_not_breached(db, sent, django_capture_on_commit_callbacks):
    ticket = open_ticket(
        status=Status.WAITING_ON_CUSTOMER,
        sla_paused_at=PAST - timedelta(hours=2),
        first_response_warn_at=PAST,
        first_response_due_at=PAST,
        resolution_warn_at=PAST,
        resolution_due_at=PAST,
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = sla_check(now=NOW)

    assert result == SlaCheckResult()
    assert sent() == []
    ticket.refresh_from_db()
    assert not ticket.is_sla_breached


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_finished_ticket_is_not_breached(db, status):
    open_ticket(status=status, first_response_due_at=PAST, resolution_due_at=PAST)
    assert sla_check(now=NOW) == SlaCheckResult()


def test_answered_ticket_has_no_first_response_breach(db):
    open_ticket(first_response_at=PAST, first_response_warn_at=PAST, first_response_due_at=PAST)
    assert sla_check(now=NOW) == SlaCheckResult()


def test_deadline_not_yet_reached_is_left_alone(db):
    open_ticket(first_response_due_at=FUTURE, resolution_due_at=FUTURE)
    assert sla_check(now=NOW) == SlaCheckResult()


def test_disabled_sla_checks_nothing(db, settings):
    settings.ESCALATED = {**settings.ESCALATED, "SLA": {"ENABLED": False}}
    ticket = open_ticket(first_response_due_at=PAST)

    assert sla_check(now=NOW) == SlaCheckResult()
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at is None


# --- dry run -----------------------------------------------------------------------


def test_dry_run_changes_nothing(db, sent, django_capture_on_commit_callbacks):
    ticket = open_ticket(first_response_due_at=PAST, resolution_warn_at=PAST)
    open_ticket(resolution_due_at=PAST)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = sla_check(now=NOW, dry_run=True)

    assert result == SlaCheckResult(
        first_response_breaches=1, resolution_breaches=1, resolution_warnings=1, dry_run=True
    )
    assert callbacks == []
    assert sent() == []
    assert not TicketActivity.objects.exists()
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at is None
    assert ticket.resolution_warned_at is None


def test_dry_run_counts_what_a_real_run_marks(db, django_capture_on_commit_callbacks):
    # Past both moments: a real run breaches and never warns, so neither does the count.
    open_ticket(first_response_warn_at=PAST, first_response_due_at=PAST)
    open_ticket(resolution_warn_at=PAST, resolution_due_at=FUTURE)

    dry = sla_check(now=NOW, dry_run=True)
    with django_capture_on_commit_callbacks(execute=True):
        real = sla_check(now=NOW)

    assert dry == SlaCheckResult(first_response_breaches=1, resolution_warnings=1, dry_run=True)
    assert real == SlaCheckResult(first_response_breaches=1, resolution_warnings=1)


# --- batches and queries -----------------------------------------------------------


def test_check_sla_works_in_batches(db, sent, django_capture_on_commit_callbacks):
    tickets = [open_ticket(resolution_due_at=PAST) for _ in range(5)]
    progress: list[int] = []

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = sla_check(now=NOW, batch_size=2, progress=progress.append)

    assert result.resolution_breaches == 5
    assert progress == [2, 2, 1]
    assert len(callbacks) == 3  # one on-commit hook per batch
    assert sorted(s.ticket_id for s in sent()) == sorted(t.pk for t in tickets)


def test_batch_size_must_be_positive(db):
    with pytest.raises(ValueError, match="batch_size"):
        sla_check(now=NOW, batch_size=0)


SWEEP_INDEXES = [
    ("first_response_due_at", "esc_ticket_fr_due_idx"),
    ("resolution_due_at", "esc_ticket_res_due_idx"),
    ("first_response_warn_at", "esc_ticket_fr_warn_idx"),
    ("resolution_warn_at", "esc_ticket_res_warn_idx"),
]


def _sweep_queries(*, now: datetime = NOW, **kwargs: Any) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        sla_check(now=now, **kwargs)
    return [q["sql"] for q in ctx.captured_queries]


def _selects(queries: list[str]) -> list[str]:
    return [sql for sql in queries if sql.lstrip().upper().startswith("SELECT")]


@pytest.mark.parametrize("dry_run", [False, True])
def test_check_sla_query_count_does_not_grow_with_tickets(db, dry_run):
    def make_open_tickets_not_due(n: int) -> None:
        for _ in range(n):
            open_ticket(
                first_response_warn_at=FUTURE,
                first_response_due_at=FUTURE,
                resolution_warn_at=FUTURE,
                resolution_due_at=FUTURE,
            )

    make_open_tickets_not_due(10)
    with_10 = _sweep_queries(dry_run=dry_run)
    make_open_tickets_not_due(190)
    with_200 = _sweep_queries(dry_run=dry_run)

    assert len(with_10) == len(with_200)
    # one read per kind (and, unless a dry run, one of the policies marked for a
    # recompute); the rest are savepoints
    assert len(_selects(with_200)) == (4 if dry_run else 5)


def test_check_sla_query_count_grows_with_batches_not_breaches(
    db, django_capture_on_commit_callbacks
):
    for _ in range(3):
        open_ticket(first_response_due_at=PAST)
    with django_capture_on_commit_callbacks(execute=True):
        with_3 = _sweep_queries(now=NOW)

    for _ in range(60):
        open_ticket(first_response_due_at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        with_60 = _sweep_queries(now=FUTURE)

    assert len(with_3) == len(with_60)
    assert Ticket.objects.filter(first_response_breached_at__isnull=False).count() == 63


# --- PostgreSQL: indexes and concurrent sweeps -------------------------------------


@needs_postgres
@pytest.mark.parametrize(("due_field", "index_name"), SWEEP_INDEXES)
def test_sweep_reads_match_the_partial_indexes(db, due_field, index_name):
    # With sequential scans priced out, the planner picks the partial index only if it
    # can prove the sweep's WHERE implies the index condition. (Other open tickets due
    # later make reading the range of this index cheaper than filtering another one
    # with the same condition.)
    open_ticket(**{due_field: PAST})
    for _ in range(50):
        open_ticket(**{field: FUTURE for field, _name in SWEEP_INDEXES})
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
        cursor.execute("SET LOCAL enable_seqscan = off")
    queries = _selects(_sweep_queries(dry_run=True))
    sql = next(q for q in queries if f'"{due_field}" <=' in q)

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert index_name in plan, plan


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_never_notify_twice(sent):
    tickets = [open_ticket(first_response_due_at=PAST) for _ in range(4)]
    held = tickets[:2]
    results: list[SlaCheckResult] = []

    def other_sweep() -> None:
        try:
            results.append(sla_check(now=NOW))
        finally:
            connections.close_all()

    # given: a sweep that has locked the first two tickets and not committed yet
    with transaction.atomic():
        locked = list(
            Ticket.objects.select_for_update()
            .filter(pk__in=[t.pk for t in held])
            .values_list("pk", flat=True)
        )
        assert len(locked) == 2
        # when: another sweep runs meanwhile
        thread = threading.Thread(target=other_sweep)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive()

    # then: it took only the unlocked tickets, and a later sweep takes the rest
    assert results == [SlaCheckResult(first_response_breaches=2)]
    assert sorted(s.ticket_id for s in sent()) == sorted(t.pk for t in tickets[2:])
    assert sla_check(now=NOW) == SlaCheckResult(first_response_breaches=2)
    assert sorted(s.ticket_id for s in sent()) == sorted(t.pk for t in tickets)
    assert TicketActivity.objects.filter(type=ActivityType.SLA_BREACHED).count() == 4


# --- the command -------------------------------------------------------------------


def run_check_sla(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("check_sla", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_marks_breaches_and_prints_a_summary(db, sent, django_capture_on_commit_callbacks):
    now = datetime.now(UTC)
    for _ in range(2):
        open_ticket(first_response_due_at=now - timedelta(minutes=5))
    open_ticket(resolution_due_at=now - timedelta(minutes=5))
    open_ticket(
        resolution_warn_at=now - timedelta(minutes=5), resolution_due_at=now + timedelta(hours=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        out, err = run_check_sla()

    assert out == (
        "SLA check: 2 first-response breaches, 1 resolution breach, "
        "0 first-response warnings, 1 resolution warning\n"
    )
    assert err == ""  # stderr is not a terminal: no progress bar
    assert len(sent()) == 4


def test_command_dry_run_says_so_and_changes_nothing(db, sent, django_capture_on_commit_callbacks):
    ticket = open_ticket(first_response_due_at=datetime.now(UTC) - timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run_check_sla("--dry-run", "--no-progress")

    assert out == (
        "SLA check: 1 first-response breach, 0 resolution breaches, "
        "0 first-response warnings, 0 resolution warnings (dry run)\n"
    )
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at is None
    assert sent() == []


def test_command_batch_size_is_passed_to_the_sweep(db, django_capture_on_commit_callbacks):
    for _ in range(3):
        open_ticket(resolution_due_at=datetime.now(UTC) - timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        out, _ = run_check_sla("--batch-size", "2")

    assert "1 resolution breach" not in out and "3 resolution breaches" in out
    assert len(callbacks) == 2


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_bad_batch_size_is_a_command_error(db, value):
    with pytest.raises(CommandError, match=r"--batch-size"):
        run_check_sla(f"--batch-size={value}")


def test_command_says_when_sla_is_disabled(db, settings):
    settings.ESCALATED = {**settings.ESCALATED, "SLA": {"ENABLED": False}}
    ticket = open_ticket(first_response_due_at=datetime.now(UTC) - timedelta(minutes=5))

    out, _ = run_check_sla()

    assert out.startswith("SLA is disabled")
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at is None


class TerminalStream(StringIO):
    """Captured stderr that claims to be a terminal, so tqdm shows its bar."""

    def isatty(self) -> bool:
        return True


def test_command_shows_progress_on_a_terminal(db, django_capture_on_commit_callbacks):
    open_ticket(first_response_due_at=datetime.now(UTC) - timedelta(minutes=5))
    with_bar, without_bar = TerminalStream(), TerminalStream()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("check_sla", stdout=StringIO(), stderr=with_bar)
        call_command("check_sla", "--no-progress", stdout=StringIO(), stderr=without_bar)

    assert "SLA check" in with_bar.getvalue()
    assert "\n" not in with_bar.getvalue()  # redrawn in place, not one line per update
    assert without_bar.getvalue() == ""
