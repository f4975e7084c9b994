"""The SLA engine: deadlines, pauses and the breach/warning sweep.

Deadlines are computed when a ticket is created and recomputed from its creation time
when its priority or policy changes (:func:`sla_apply_deadlines`); a reopened ticket gets
a fresh resolution clock (:func:`sla_restart_resolution`); the clock stops while the
ticket waits on the customer (:func:`sla_pause` / :func:`sla_resume`). The
ticket services call these, save the returned fields and stay in charge of the
transaction.

:func:`sla_check` finds what is due with set-based queries that match the partial
indexes of :class:`~escalated.models.Ticket` and marks, logs and notifies each breach
and warning exactly once, in batches, however many tickets are open.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal

from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.utils import timezone

from escalated import notifications, signals
from escalated.business_hours import Schedule, add_business_time, business_time_between
from escalated.conf import app_settings, parse_clock
from escalated.models import (
    ActivityType,
    BreachType,
    Holiday,
    SlaPolicy,
    Ticket,
)
from escalated.services._config import CONFIG_CACHE_SECONDS, config_cache_clear
from escalated.services._config import cached as _cached
from escalated.services._effects import (
    record_activities_for,
    ref,
    send_many_after_commit,
    tickets_write_fields,
)
from escalated.timestamps import fast_timestamps

logger = logging.getLogger(__name__)


class _Default(enum.Enum):
    TOKEN = enum.auto()


#: Marks "work the schedule out from the policy" (``None`` already means 24/7).
_FROM_POLICY: Final = _Default.TOKEN


@dataclass(frozen=True)
class SlaDeadlines:
    """The four SLA moments of a ticket; ``None`` where no target applies."""

    first_response_due_at: datetime | None = None
    first_response_warn_at: datetime | None = None
    resolution_due_at: datetime | None = None
    resolution_warn_at: datetime | None = None


@dataclass(frozen=True)
class SlaCheckResult:
    """What one sweep marked (or, with ``dry_run``, would mark)."""

    first_response_breaches: int = 0
    resolution_breaches: int = 0
    first_response_warnings: int = 0
    resolution_warnings: int = 0
    dry_run: bool = False
    #: Tickets whose deadlines moved first, after an edit of their policy's clock.
    recomputed: int = 0

    @property
    def total(self) -> int:
        """Tickets marked across the four kinds."""
        return (
            self.first_response_breaches
            + self.resolution_breaches
            + self.first_response_warnings
            + self.resolution_warnings
        )


# --- deadlines ---------------------------------------------------------------------


#: How long a process reuses the default policy and the schedules it has read (see
#: ``escalated.services._config``).
SLA_CACHE_SECONDS: Final = CONFIG_CACHE_SECONDS


def sla_cache_clear(**kwargs: object) -> None:
    """Forget the cached default policy and schedules (a signal receiver, too)."""
    config_cache_clear()


def sla_policy_default() -> SlaPolicy | None:
    """The active default policy (new tickets get it), with its schedule.

    One query at most every ``SLA_CACHE_SECONDS`` per process: ticket creation is hot.
    """
    policy = _cached(
        "default_policy",
        lambda: (
            SlaPolicy.objects.select_related("schedule")
            .filter(is_default=True, is_active=True)
            .order_by()
            .first()
        ),
    )
    return policy if isinstance(policy, SlaPolicy) else None


def sla_schedule_for(policy: SlaPolicy | None) -> Schedule | None:
    """The working hours ``policy``'s clock counts in (cached, see ``SLA_CACHE_SECONDS``)."""
    key = (
        "schedule",
        policy.schedule_id if policy is not None else None,
        app_settings.SLA_BUSINESS_HOURS_ONLY and app_settings.SLA_BUSINESS_HOURS,
    )
    schedule = _cached(key, lambda: _load_schedule(policy))
    return schedule if isinstance(schedule, Schedule) else None


def _load_schedule(policy: SlaPolicy | None) -> Schedule | None:
    """The working hours ``policy``'s clock counts in; ``None`` means around the clock.

    A policy's own schedule wins (with its holidays and the global ones); without one,
    ``SLA.BUSINESS_HOURS`` applies when ``SLA.BUSINESS_HOURS_ONLY`` is on. Holidays cost
    one query; load the policy with ``select_related("schedule")`` to avoid another.
    """
    if policy is not None and policy.schedule_id is not None:
        schedule = policy.schedule
        assert schedule is not None  # schedule_id is set
        try:
            return Schedule(
                timezone=schedule.timezone,
                start=parse_clock(schedule.start_time),
                end=parse_clock(schedule.end_time),
                days=tuple(schedule.days),
                holidays=_holidays(Q(schedule_id=schedule.pk) | Q(schedule__isnull=True)),
            )
        except (TypeError, ValueError):
            # A schedule saved around its validators (say, a misspelt time zone) must not
            # make every ticket creation fail: count calendar time and say why, loudly.
            logger.exception(
                "Business schedule %r (id %s) is invalid; SLA clocks of policy %r count "
                "calendar time until it is fixed.",
                schedule.name,
                schedule.pk,
                policy.name,
            )
            return None
    if app_settings.SLA_BUSINESS_HOURS_ONLY:
        hours = app_settings.SLA_BUSINESS_HOURS
        return Schedule(
            timezone=hours.timezone,
            start=hours.start,
            end=hours.end,
            days=hours.days,
            holidays=_holidays(Q(schedule__isnull=True)),
        )
    return None


def sla_compute_deadlines(
    *,
    policy: SlaPolicy | None,
    priority: str,
    start: datetime,
    schedule: Schedule | Literal[_Default.TOKEN] | None = _FROM_POLICY,
) -> SlaDeadlines:
    """Deadlines and warning moments for a ticket of ``priority`` whose clock starts at ``start``.

    A deadline is ``start`` plus the policy's target for the priority (working time when
    a schedule applies); its warning is due once ``SLA.WARNING_THRESHOLD_PERCENT`` of the
    target has elapsed. No policy, SLA disabled, or no target for the priority gives
    ``None``. Pass ``schedule`` when it is already known, to save its query.
    """
    if policy is None or not app_settings.SLA_ENABLED:
        return SlaDeadlines()
    first_hours = policy.first_response_target(priority)
    resolution_hours = policy.resolution_target(priority)
    if first_hours is None and resolution_hours is None:
        return SlaDeadlines()
    if isinstance(schedule, _Default):
        schedule = sla_schedule_for(policy)
    percent = app_settings.SLA_WARNING_THRESHOLD_PERCENT
    first_warn, first_due = _warn_and_due(first_hours, percent, start, schedule)
    resolution_warn, resolution_due = _warn_and_due(resolution_hours, percent, start, schedule)
    return SlaDeadlines(
        first_response_due_at=first_due,
        first_response_warn_at=first_warn,
        resolution_due_at=resolution_due,
        resolution_warn_at=resolution_warn,
    )


def sla_apply_deadlines(
    ticket: Ticket,
    *,
    start: datetime,
    now: datetime | None = None,
    schedule: Schedule | Literal[_Default.TOKEN] | None = _FROM_POLICY,
    keep_judged: bool = False,
) -> list[str]:
    """Set ``ticket``'s deadlines for its current policy and priority; return changed fields.

    Call it on create and whenever the priority or the policy changes, with ``start`` =
    ``ticket.created_at``. The first-response clock counts from ``start``; the
    resolution clock from ``ticket.resolution_started_at`` (set on reopen) or ``start``.
    Each deadline is then pushed by the working time its clock stood paused, so a
    priority change never takes back time spent waiting on the customer. A first
    response already given stays as it was judged; with ``keep_judged`` (a recompute
    after a policy edit), so does a moment already notified (breached, warned) whose new
    value has come as well. A marker is cleared when its moment moves past the clock
    (now, or where a paused clock stopped), so the new moment is notified once. Mutates
    the ticket in memory only; save the returned fields inside your transaction. Bulk
    callers pass ``schedule`` (from :func:`sla_schedule_for`, once per policy) to save
    its query.
    """
    now = now or timezone.now()
    # A paused clock stands where it stopped: a deadline after that moment has not come
    # (the resume pushes it by the pause), so its marker goes.
    clock = min(now, ticket.sla_paused_at) if ticket.sla_paused_at is not None else now
    policy = _policy_of(ticket)
    if isinstance(schedule, _Default):
        schedule = sla_schedule_for(policy) if policy is not None else None
    first = sla_compute_deadlines(
        policy=policy, priority=ticket.priority, start=start, schedule=schedule
    )
    resolution_start = ticket.resolution_started_at or start
    resolution = (
        first
        if resolution_start == start
        else sla_compute_deadlines(
            policy=policy, priority=ticket.priority, start=resolution_start, schedule=schedule
        )
    )
    changed: list[str] = []
    if ticket.first_response_at is None:
        credit = ticket.first_response_paused_for
        due = _push(first.first_response_due_at, credit, schedule)
        warn = _push(first.first_response_warn_at, credit, schedule)
        _set_moment(ticket, "first_response_due_at", due, clock, changed, keep_judged=keep_judged)
        _set_moment(ticket, "first_response_warn_at", warn, clock, changed, keep_judged=keep_judged)
    credit = ticket.resolution_paused_for
    due = _push(resolution.resolution_due_at, credit, schedule)
    warn = _push(resolution.resolution_warn_at, credit, schedule)
    _set_moment(ticket, "resolution_due_at", due, clock, changed, keep_judged=keep_judged)
    _set_moment(ticket, "resolution_warn_at", warn, clock, changed, keep_judged=keep_judged)
    return changed


#: Each deadline and warning moment, and the marker the sweep sets when it comes.
_MARKER_OF: Final = {
    "first_response_due_at": "first_response_breached_at",
    "first_response_warn_at": "first_response_warned_at",
    "resolution_due_at": "resolution_breached_at",
    "resolution_warn_at": "resolution_warned_at",
}


def _set_moment(
    ticket: Ticket,
    name: str,
    value: datetime | None,
    clock: datetime,
    changed: list[str],
    *,
    keep_judged: bool,
) -> None:
    """Move a deadline or warning moment to ``value``; a moment moved past the clock
    loses its marker. ``keep_judged``: a moment that came and was notified stays where
    it was judged while ``value`` has come too. (The paused time credited to a ticket
    is not dated, so a moment that passed before a pause would be pushed by it: a policy
    edit would rewrite the deadlines of tickets it does not concern.)"""
    marker = _MARKER_OF[name]
    judged = getattr(ticket, marker) is not None and value is not None and value <= clock
    if keep_judged and judged:
        return
    _set(ticket, name, value, changed)
    _clear_marker_if_future(ticket, marker, value, clock, changed)


def _push(moment: datetime | None, credit: timedelta, schedule: Schedule | None) -> datetime | None:
    """``moment`` moved later by ``credit`` of working time."""
    if moment is None or not credit:
        return moment
    if schedule is None:
        return moment + credit
    return add_business_time(moment, credit, schedule)


def sla_restart_resolution(ticket: Ticket, *, now: datetime) -> list[str]:
    """Start a fresh resolution clock at ``now``; return changed fields.

    For a reopened ticket: the work starts again, so the resolution deadline counts
    from the reopening (and later recomputations keep counting from there), and its
    warning and breach can be notified again. The first response is not affected.
    Mutates in memory; the caller saves.
    """
    changed: list[str] = []
    _set(ticket, "resolution_started_at", now, changed)
    if ticket.resolution_paused_for:
        ticket.resolution_paused_for = timedelta(0)
        changed.append("resolution_paused_for")
    deadlines = sla_compute_deadlines(
        policy=_policy_of(ticket), priority=ticket.priority, start=now
    )
    _set(ticket, "resolution_due_at", deadlines.resolution_due_at, changed)
    _set(ticket, "resolution_warn_at", deadlines.resolution_warn_at, changed)
    _clear_marker_if_future(
        ticket, "resolution_breached_at", deadlines.resolution_due_at, now, changed
    )
    _clear_marker_if_future(
        ticket, "resolution_warned_at", deadlines.resolution_warn_at, now, changed
    )
    return changed


def sla_pause(ticket: Ticket, *, now: datetime) -> list[str]:
    """Stop ``ticket``'s SLA clock (it now waits on the customer); return changed fields.

    Idempotent: pausing a paused ticket keeps the original pause moment. Paused tickets
    are skipped by :func:`sla_check`. Mutates in memory; the caller saves.
    """
    if ticket.sla_paused_at is not None:
        return []
    ticket.sla_paused_at = now
    return ["sla_paused_at"]


def sla_resume(
    ticket: Ticket,
    *,
    now: datetime,
    schedule: Schedule | Literal[_Default.TOKEN] | None = _FROM_POLICY,
) -> list[str]:
    """Restart ``ticket``'s SLA clock; return changed fields.

    Every deadline and warning moment still ahead when the clock stopped is pushed by
    the working time that elapsed during the pause: the ticket keeps exactly the working
    time it had left. Moments already past at the pause stay (they were notified or are
    due now). Mutates in memory; the caller saves.
    """
    paused_at = ticket.sla_paused_at
    if paused_at is None:
        return []
    now = max(now, paused_at)
    fields = ["resolution_due_at", "resolution_warn_at"]
    if ticket.first_response_at is None:
        fields[:0] = ["first_response_due_at", "first_response_warn_at"]
    ahead = [
        name
        for name in fields
        if (value := getattr(ticket, name)) is not None and value > paused_at
    ]
    changed = ["sla_paused_at"]
    ticket.sla_paused_at = None
    if isinstance(schedule, _Default):
        schedule = sla_schedule_for(_policy_of(ticket)) if ticket.sla_policy_id else None
    # Remember the credit, so recomputing the deadlines later keeps it.
    paused = (
        now - paused_at if schedule is None else business_time_between(paused_at, now, schedule)
    )
    if paused:
        if ticket.first_response_at is None:
            ticket.first_response_paused_for += paused
            changed.append("first_response_paused_for")
        ticket.resolution_paused_for += paused
        changed.append("resolution_paused_for")
    if ahead:
        for name in ahead:
            old: datetime = getattr(ticket, name)
            if schedule is None:
                new = old + (now - paused_at)
            else:
                left = business_time_between(paused_at, old, schedule)
                new = add_business_time(now, left, schedule)
            _set(ticket, name, new, changed)
    return changed


# --- the sweep ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    """One of the four things the sweep looks for."""

    result_field: str
    index_name: str  # the partial index whose condition the query repeats
    due_field: str  # the moment that has come
    marker: str  # set to the sweep's ``now``: "notified"
    implies: str | None  # a breach also marks its warning, so none follows it
    breach_type: BreachType
    activity_type: ActivityType
    signal: Signal


_KINDS: Final[tuple[_Kind, ...]] = (
    # Breaches first: a ticket past both moments gets the breach and no warning.
    _Kind(
        result_field="first_response_breaches",
        index_name="esc_ticket_fr_due_idx",
        due_field="first_response_due_at",
        marker="first_response_breached_at",
        implies="first_response_warned_at",
        breach_type=BreachType.FIRST_RESPONSE,
        activity_type=ActivityType.SLA_BREACHED,
        signal=signals.sla_breached,
    ),
    _Kind(
        result_field="resolution_breaches",
        index_name="esc_ticket_res_due_idx",
        due_field="resolution_due_at",
        marker="resolution_breached_at",
        implies="resolution_warned_at",
        breach_type=BreachType.RESOLUTION,
        activity_type=ActivityType.SLA_BREACHED,
        signal=signals.sla_breached,
    ),
    _Kind(
        result_field="first_response_warnings",
        index_name="esc_ticket_fr_warn_idx",
        due_field="first_response_warn_at",
        marker="first_response_warned_at",
        implies=None,
        breach_type=BreachType.FIRST_RESPONSE,
        activity_type=ActivityType.SLA_WARNING,
        signal=signals.sla_warning,
    ),
    _Kind(
        result_field="resolution_warnings",
        index_name="esc_ticket_res_warn_idx",
        due_field="resolution_warn_at",
        marker="resolution_warned_at",
        implies=None,
        breach_type=BreachType.RESOLUTION,
        activity_type=ActivityType.SLA_WARNING,
        signal=signals.sla_warning,
    ),
)

#: A warning's breach counterpart: in a dry run, tickets that the breach pass would
#: mark first (and so never warn) are left out of the warning count.
_BREACH_OF_WARNING: Final = {
    "first_response_warn_at": "first_response_due_at",
    "resolution_warn_at": "resolution_due_at",
}


@notifications.collected
def sla_check(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> SlaCheckResult:
    """Mark every SLA breach and warning that has come, and notify each exactly once.

    For each kind (first-response and resolution breaches, then warnings) the sweep takes
    due tickets in batches of ``batch_size``; per batch, in its own transaction, it
    sets the marker, writes one activity per ticket and queues ``sla_breached`` /
    ``sla_warning`` for after the commit. The number of queries depends on the tickets
    acted on, never on the tickets merely open; with nothing due it is four index-range
    reads (and one of the policies marked for :func:`sla_recompute_pending`, run
    first). On databases with ``SKIP LOCKED`` concurrent sweeps split the work instead of
    notifying twice. ``dry_run`` counts what would be marked and changes nothing.
    ``progress`` is called with the number of tickets handled after each batch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    if not app_settings.SLA_ENABLED:
        return SlaCheckResult(dry_run=dry_run)
    now = now or timezone.now()
    # Deadlines an edit of a policy moved come first, so the sweep judges the new ones.
    recomputed = 0 if dry_run else sla_recompute_pending(now=now, batch_size=batch_size).changed
    counts: dict[str, int] = {}
    for kind in _KINDS:
        if dry_run:
            counts[kind.result_field] = _count_due(kind, now)
            if progress is not None:
                progress(counts[kind.result_field])
        else:
            counts[kind.result_field] = _mark_due(kind, now, batch_size, progress)
    return SlaCheckResult(**counts, dry_run=dry_run, recomputed=recomputed)


def _due(kind: _Kind, now: datetime) -> Q:
    # Repeat the partial index's own condition, so PostgreSQL can prove the query
    # implies it and reads only the index range, and the two never drift apart. A
    # warning index also holds warned tickets (until they breach): the marker filters.
    return (
        _index_condition(kind.index_name)
        & Q(**{f"{kind.due_field}__lte": now})
        & Q(**{f"{kind.marker}__isnull": True})
    )


def _index_condition(name: str) -> Q:
    for index in Ticket._meta.indexes:
        if index.name == name:
            assert isinstance(index.condition, Q), f"index {name} is not partial"
            return index.condition
    raise LookupError(f"Ticket has no index named {name!r}.")


def _count_due(kind: _Kind, now: datetime) -> int:
    due = _due(kind, now)
    breach_field = _BREACH_OF_WARNING.get(kind.due_field)
    if breach_field is not None:
        due &= ~Q(**{f"{breach_field}__lte": now})
    return Ticket.objects.filter(due).count()


def _mark_due(
    kind: _Kind, now: datetime, batch_size: int, progress: Callable[[int], None] | None
) -> int:
    marked = 0
    while True:
        with transaction.atomic():
            # Oldest deadline first. Ordering by the indexed column lets PostgreSQL read
            # the partial index in order and stop at the LIMIT; ordering by id made it
            # walk the primary key across every ticket whenever nothing was due.
            batch = Ticket.objects.filter(_due(kind, now)).order_by(kind.due_field)
            if connection.features.has_select_for_update_skip_locked:
                batch = batch.select_for_update(skip_locked=True)
            rows: list[tuple[int, datetime]] = list(
                batch.values_list("pk", kind.due_field)[:batch_size]
            )
            if rows:
                acted = _mark_batch(kind, now, rows)
                marked += len(acted)
                if progress is not None:
                    progress(len(acted))
        if len(rows) < batch_size:
            return marked


def _mark_batch(kind: _Kind, now: datetime, rows: Sequence[tuple[int, datetime]]) -> list[int]:
    """Mark, log and queue notifications for one locked batch; return the ids acted on."""
    ids = [pk for pk, _ in rows]
    updates: dict[str, object] = {kind.marker: now}
    if kind.implies is not None:
        updates[kind.implies] = Coalesce(F(kind.implies), Value(now))
    # ``marker IS NULL`` makes the write the single point of truth for "notified once".
    updated = Ticket.objects.filter(pk__in=ids, **{f"{kind.marker}__isnull": True}).update(
        **updates
    )
    if updated != len(ids):
        # Only without row locks: another sweep marked some of them first; it notifies those.
        ids = list(
            Ticket.objects.filter(pk__in=ids, **{kind.marker: now}).values_list("pk", flat=True)
        )
    acted = set(ids)
    acted_rows = [(pk, due_at) for pk, due_at in rows if pk in acted]
    record_activities_for(
        [pk for pk, _ in acted_rows],
        type=kind.activity_type,
        data=[
            {"breach_type": kind.breach_type.value, "due_at": due_at.isoformat()}
            for _, due_at in acted_rows
        ],
        created_at=now,
    )
    # Receivers notify people: load whom they will write to along with the tickets.
    with fast_timestamps(Ticket.objects.db):
        tickets = list(
            Ticket.objects.filter(pk__in=ids).select_related("requester", "assignee").order_by("pk")
        )
    send_many_after_commit(kind.signal, tickets, user=None, breach_type=kind.breach_type.value)
    return ids


# --- recomputing after a policy edit ---------------------------------------------


@dataclass(frozen=True)
class SlaRecomputeResult:
    """What :func:`sla_recompute` looked at and changed (or, ``dry_run``, would change)."""

    tickets: int = 0  # open tickets of the policies
    changed: int = 0  # of them, those whose deadlines or markers moved
    dry_run: bool = False
    skipped: tuple[int, ...] = ()  # policies left alone: their schedule is invalid


#: What the deadline arithmetic reads and writes: a recompute loads only these.
_RECOMPUTE_FIELDS: Final = (
    "id",
    "priority",
    "created_at",
    "sla_policy_id",
    "first_response_at",
    "first_response_due_at",
    "first_response_warn_at",
    "first_response_warned_at",
    "first_response_breached_at",
    "first_response_paused_for",
    "resolution_due_at",
    "resolution_warn_at",
    "resolution_warned_at",
    "resolution_breached_at",
    "resolution_paused_for",
    "resolution_started_at",
    "sla_paused_at",
)


def sla_recompute(
    *,
    policy_ids: Iterable[int] | None = None,
    actor: object = None,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> SlaRecomputeResult:
    """Recompute the deadlines of open tickets from their policy's current targets and
    working hours, as a priority change does (paused time kept, a first response
    already given left as judged, a marker cleared when its deadline moves ahead, and
    then listed as ``withdrawn`` in the timeline entry), but a deadline missed and
    notified stays as judged while the new one has passed too.

    Run after an edit of a policy's targets, of its schedule or of a holiday (the admin
    services do), or by ``manage.py recompute_sla`` after changing ``SLA`` settings.
    ``policy_ids``: the policies whose tickets to look at (``None``: every policy).
    Batches of ``batch_size`` tickets, each in its own transaction with its rows locked;
    each ticket whose deadlines moved gets one ``sla_recomputed`` timeline entry (by
    ``actor``). ``updated_at`` stays: the ticket itself did not change. Queries grow
    with the batches, not per ticket.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    if not app_settings.SLA_ENABLED:
        return SlaRecomputeResult(dry_run=dry_run)
    now = now or timezone.now()
    policies = SlaPolicy.objects.select_related("schedule")
    if policy_ids is not None:
        policies = policies.filter(pk__in=list(policy_ids))
    by_id = {policy.pk: policy for policy in policies}
    # Read fresh, not from the per-process cache: the edit has just been made.
    schedules = {pk: _load_schedule(policy) for pk, policy in by_id.items()}
    # A schedule that cannot be read (logged by _load_schedule) would turn its tickets'
    # deadlines into calendar time: leave them as they are until it is fixed.
    skipped = tuple(
        pk for pk, policy in by_id.items() if policy.schedule_id is not None and not schedules[pk]
    )
    for pk in skipped:
        del by_id[pk]
    if not by_id:
        return SlaRecomputeResult(dry_run=dry_run, skipped=skipped)
    open_tickets = Ticket.objects.open().filter(sla_policy_id__in=list(by_id))
    seen = changed = 0
    last = 0
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    while True:
        with transaction.atomic(), fast_timestamps(Ticket.objects.db):
            batch = list(
                open_tickets.filter(pk__gt=last)
                .order_by("pk")
                .select_for_update()
                .only(*_RECOMPUTE_FIELDS)[:batch_size]
            )
            if not batch:
                break
            last = batch[-1].pk
            moved: list[Ticket] = []
            fields: set[str] = set()
            withdrawn: dict[int, list[str]] = {}
            for ticket in batch:
                assert ticket.sla_policy_id is not None  # filtered on
                policy = by_id[ticket.sla_policy_id]
                ticket.sla_policy = policy
                names = sla_apply_deadlines(
                    ticket,
                    start=ticket.created_at,
                    now=now,
                    schedule=schedules[policy.pk],
                    keep_judged=True,
                )
                if names:
                    moved.append(ticket)
                    fields.update(names)
                    # A marker only changes when a moved deadline withdraws it.
                    withdrawn[ticket.pk] = sorted(
                        name.removesuffix("_at") for name in names if name in _MARKERS
                    )
            if moved and not dry_run:
                tickets_write_fields(moved, fields)
                record_activities_for(
                    [t.pk for t in moved],
                    type=ActivityType.SLA_RECOMPUTED,
                    data=[_recomputed_data(t, withdrawn[t.pk]) for t in moved],
                    created_at=now,
                    actor_id=actor_id,
                )
            seen += len(batch)
            changed += len(moved)
            if progress is not None:
                progress(len(batch))
        if len(batch) < batch_size:
            break
    return SlaRecomputeResult(tickets=seen, changed=changed, dry_run=dry_run, skipped=skipped)


_MARKERS: Final = frozenset(_MARKER_OF.values())


def _recomputed_data(ticket: Ticket, withdrawn: list[str]) -> dict[str, object]:
    """The ``sla_recomputed`` entry: the policy, and the breaches and warnings the new
    deadlines withdrew (they are notified again if their new moment comes)."""
    data: dict[str, object] = {"policy": ref(ticket.sla_policy)}
    if withdrawn:
        data["withdrawn"] = withdrawn
    return data


#: Open tickets a policy edit recomputes right after it commits, in the admin's
#: request (about 0.25 ms each); a policy with more is left to the next ``check_sla``.
RECOMPUTE_INLINE_LIMIT: Final = 2000


def sla_recompute_request(*, policy_ids: Iterable[int] | None, actor: object) -> None:
    """Ask for the open tickets of ``policy_ids`` (``None``: every policy) to follow
    an edit of their clock, made in the surrounding transaction.

    The request is a mark on each policy, written with the edit, so it survives a
    crash: the next :func:`sla_check` run recomputes what is still marked. Right after
    the commit, the tickets are recomputed at once when there are at most
    :data:`RECOMPUTE_INLINE_LIMIT` of them. The mark then stays until a sweep that
    starts ``CONFIG_CACHE_SECONDS`` after the commit (see
    :func:`sla_recompute_pending`).
    """
    ids = None if policy_ids is None else list(policy_ids)
    if ids is not None and not ids:
        return
    # Not every edit of the clock saves a model (a schedule's new holidays are
    # bulk-created): forget this process's cached clock now and after the commit.
    config_cache_clear()
    transaction.on_commit(config_cache_clear)
    policies = SlaPolicy.objects.all() if ids is None else SlaPolicy.objects.filter(pk__in=ids)
    requested_at = timezone.now()
    policies.update(recompute_requested_at=requested_at)

    def recompute_now() -> None:
        try:
            # Other processes may have cached the old clock until the commit, not the
            # edit's start: the mark counts from here (see sla_recompute_pending).
            policies.filter(recompute_requested_at=requested_at).update(
                recompute_requested_at=timezone.now()
            )
            sla_recompute_pending(policy_ids=ids, actor=actor, max_tickets=RECOMPUTE_INLINE_LIMIT)
        except DatabaseError:
            # The edit has committed and stays marked: the next sweep finishes the job.
            logger.exception("Recomputing SLA deadlines failed; check_sla will retry.")

    transaction.on_commit(recompute_now)


def sla_recompute_pending(
    *,
    policy_ids: Iterable[int] | None = None,
    actor: object = None,
    now: datetime | None = None,
    max_tickets: int | None = None,
    batch_size: int = 500,
) -> SlaRecomputeResult:
    """Recompute the open tickets of the policies marked by :func:`sla_recompute_request`
    (of those among ``policy_ids``), then clear each mark, unless a newer edit set it
    again meanwhile. With ``max_tickets``, policies with more open tickets than that
    stay marked for a later run. With nothing marked: one query.

    A mark younger than ``CONFIG_CACHE_SECONDS`` stays after the recompute: until then
    another process may still create, reprioritise or resume a ticket with the clock it
    cached before the edit (see ``escalated.services._config``), and the next run
    recomputes once more to put those deadlines right.
    """
    if not app_settings.SLA_ENABLED:
        return SlaRecomputeResult()  # marks stay: recomputed once the SLA is on again
    marked = SlaPolicy.objects.filter(recompute_requested_at__isnull=False)
    if policy_ids is not None:
        marked = marked.filter(pk__in=list(policy_ids))
    pending = list(marked.order_by("pk").values_list("pk", "recompute_requested_at"))
    if not pending:
        return SlaRecomputeResult()
    ids = [pk for pk, _ in pending]
    if max_tickets is not None:
        open_count = Ticket.objects.open().filter(sla_policy_id__in=ids).count()
        if open_count > max_tickets:
            return SlaRecomputeResult()
    result = sla_recompute(policy_ids=ids, actor=actor, now=now, batch_size=batch_size)
    # Wall-clock time, like the mark (``now`` may be a sweep's chosen moment).
    settled = timezone.now() - timedelta(seconds=CONFIG_CACHE_SECONDS)
    done = Q()
    for pk, requested_at in pending:
        # An invalid schedule keeps its mark until fixed; a recent edit until every
        # process has dropped what it cached before it.
        if pk not in result.skipped and requested_at is not None and requested_at <= settled:
            done |= Q(pk=pk, recompute_requested_at=requested_at)
    if done:
        SlaPolicy.objects.filter(done).update(recompute_requested_at=None)
    return result


# --- helpers -----------------------------------------------------------------------


def _policy_of(ticket: Ticket) -> SlaPolicy | None:
    """The ticket's policy with its schedule, in one query when not loaded yet."""
    if ticket.sla_policy_id is None:
        return None
    if not Ticket.sla_policy.is_cached(ticket):
        ticket.sla_policy = (
            SlaPolicy.objects.select_related("schedule").filter(pk=ticket.sla_policy_id).first()
        )
    return ticket.sla_policy


def _holidays(which: Q) -> frozenset[date]:
    return frozenset(Holiday.objects.filter(which).values_list("date", flat=True))


def _warn_and_due(
    hours: float | None, percent: int, start: datetime, schedule: Schedule | None
) -> tuple[datetime | None, datetime | None]:
    if hours is None:
        return None, None
    target = timedelta(hours=hours)
    # Sub-second precision is noise for an SLA and makes stored values awkward to read.
    warn_after = timedelta(seconds=round(target.total_seconds() * percent / 100))
    if schedule is None:
        return start + warn_after, start + target
    warn_at = add_business_time(start, warn_after, schedule)
    # Continuing from the warning moment equals starting over, and is cheaper.
    return warn_at, add_business_time(warn_at, target - warn_after, schedule)


def _set(ticket: Ticket, name: str, value: datetime | None, changed: list[str]) -> None:
    if getattr(ticket, name) != value:
        setattr(ticket, name, value)
        changed.append(name)


def _clear_marker_if_future(
    ticket: Ticket, marker: str, moment: datetime | None, now: datetime, changed: list[str]
) -> None:
    if moment is not None and moment > now:
        _set(ticket, marker, None, changed)
