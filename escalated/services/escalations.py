"""Escalation rules: the admin services that edit them and the engine that runs them.

A rule is an ordered list of conditions (all must hold) and a list of actions (see
:mod:`escalated.models.rules`). :func:`escalations_evaluate` runs the active rules in
order; each rule fires **once per cause** on a ticket, a cause being the pair (rule
revision, ticket reopen cycle): a second run does nothing, editing a rule's conditions or
actions (which bumps its ``revision``) or reopening the ticket makes a new cause.

The engine is set-based. A rule compiles into one queryset (:func:`rule_queryset`);
matching tickets are taken in batches by ascending id, and each batch is handled in one
transaction with a constant number of queries: one read of the batch (plus one per
relation the actions need), the firings, what the actions insert (tag links, notes),
one write of every changed ticket row, and the activity entries. The number of queries
grows with the tickets acted on, batch by batch, never with the tickets merely open.
On PostgreSQL a batch is read with ``FOR UPDATE SKIP LOCKED`` so concurrent evaluators
share the work instead of firing twice, and each of those writes is one statement over
arrays (``INSERT … SELECT … FROM UNNEST``, ``UPDATE … FROM UNNEST``) built from plain
lists: the only model instances are the tickets read and the notes the signals carry.
Elsewhere the ORM writes the same rows (``bulk_create``, ``bulk_update``).

Semantics of the actions, chosen to mirror the per-ticket services of
:mod:`escalated.services.tickets` (same fields written, same signals with the same
kwargs, ``user=None``, sent after commit):

- **Cannot apply vs. no-op.** An action that *cannot legally apply* keeps the ticket
  out of the rule's match: a rule that escalates only matches tickets whose status may
  become ``escalated`` (so never a ticket already escalated; it may match it later,
  once an agent de-escalates it, if it never fired on it before). An action that
  *would change nothing* (the priority, assignee or department is already the one
  asked for, the tag is already there) is a no-op: the rule still fires, the firing is
  recorded so the ticket is not picked again for the same cause, and the activity lists
  the action under ``skipped`` with the reason ``"unchanged"``.
- **Broken references.** An action whose target is gone or unfit (an ``assign`` to a
  user who does not exist or is not an agent, a deleted or inactive department, a
  deleted tag) is checked once per rule run, logged as a warning and skipped on every
  ticket with that reason; the rest of the rule still runs and the firing is recorded
  (fix the rule: the edit is a new revision, so it fires again).
- **Activity.** Each firing writes exactly one ``rule_fired`` activity entry with
  ``{"rule_id", "rule_name", "actions": [the types applied], "skipped": [{"type",
  "value", "reason"}]}``, in the order of the rule's actions.
- **Escalate** from ``waiting_on_customer`` restarts a paused SLA clock, as a manual
  status change does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.dispatch import Signal
from django.utils import timezone

from escalated import notifications, signals
from escalated.business_hours import Schedule
from escalated.conf import app_settings
from escalated.exceptions import NotPermitted, ValidationFailed
from escalated.models import (
    ActivityType,
    AuthorType,
    Department,
    EscalationFiring,
    EscalationRule,
    Reply,
    SlaPolicy,
    Status,
    Tag,
    Ticket,
)
from escalated.models.choices import statuses_that_can_become
from escalated.models.rules import validate_conditions, validate_rule_actions
from escalated.models.tickets import sla_at_risk_q, sla_breached_q
from escalated.nul import NUL_MESSAGE, has_nul
from escalated.permissions import is_admin, is_agent
from escalated.services import sla
from escalated.services._effects import (
    insert_unnest,
    record_activities_for,
    send_each_after_commit,
    send_many_after_commit,
    tickets_write_fields,
)

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]

#: Statuses from which a ticket may legally be escalated.
_ESCALATABLE: Final = frozenset(statuses_that_can_become(Status.ESCALATED))

#: How often a batch is retried when a concurrent evaluator fired on one of its tickets
#: between our read and our write (the unique firing constraint catches it).
_BATCH_ATTEMPTS: Final = 3

NAME_MAX = EscalationRule._meta.get_field("name").max_length or 120
#: A ``PositiveIntegerField``: PostgreSQL's ``integer`` ends here.
POSITION_MAX = 2**31 - 1


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What one rule did in a run.

    ``matched``: tickets the rule fired on (in a dry run: would fire on). ``acted``:
    those at least one action changed (always 0 in a dry run). ``skipped_actions``:
    the rule's actions skipped for a broken reference, as ``"assign 42: unknown_user"``.
    ``error``: set when the stored rule is invalid and was not run.
    """

    rule_id: int
    rule_name: str
    matched: int = 0
    acted: int = 0
    skipped_actions: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """The outcome of :func:`escalations_evaluate`, per rule and in total."""

    rules: tuple[RuleOutcome, ...] = ()
    dry_run: bool = False

    @property
    def matched(self) -> int:
        """Firings (or, in a dry run, matches), summed over the rules."""
        return sum(r.matched for r in self.rules)

    @property
    def acted(self) -> int:
        """Tickets changed, summed over the rules (a ticket two rules changed counts twice)."""
        return sum(r.acted for r in self.rules)


# --------------------------------------------------------------------------- matching

_TicketTag = Ticket.tags.through


def _condition_q(condition: dict[str, Any], now: datetime) -> Q:
    """One validated condition as a filter over ``Ticket``."""
    name, op, value = condition["field"], condition["operator"], condition["value"]
    if name in ("status", "priority"):
        q = Q(**{f"{name}__in": value})
        return q if op == "in" else ~q
    if name == "department":
        if op == "is_empty":
            return Q(department__isnull=value)
        # ~Q on a nullable column keeps NULLs: a ticket without a department is "not in".
        q = Q(department_id__in=value)
        return q if op == "in" else ~q
    if name == "assigned":
        return Q(assignee__isnull=not value)
    if name == "hours_since_created":
        moment = now - timedelta(hours=value)
        return Q(created_at__lte=moment) if op == "gte" else Q(created_at__gte=moment)
    if name == "hours_without_first_response":
        return Q(first_response_at__isnull=True, created_at__lte=now - timedelta(hours=value))
    if name == "sla":
        return sla_breached_q() if value == "breached" else sla_at_risk_q(now)
    if name == "tag":
        tagged = Exists(_TicketTag.objects.filter(ticket_id=OuterRef("pk"), tag_id=value))
        return Q(tagged) if op == "has" else ~Q(tagged)
    # validate_conditions makes this unreachable for a valid rule.
    raise ValueError(f"Unknown condition field {name!r}.")


def rule_queryset(rule: EscalationRule, *, now: datetime) -> QuerySet[Ticket]:
    """The open tickets ``rule`` would fire on at ``now``, as one queryset ordered by id.

    The conditions are ANDed into a single SQL query. Tickets the rule already fired on
    for the current cause (``rule.revision`` and the ticket's ``reopened_count``) are
    left out, and so are tickets an action cannot legally apply to: a rule that
    escalates only matches tickets whose status may become ``escalated``. Raises
    ``django.core.exceptions.ValidationError`` when the stored conditions are invalid.
    """
    validate_conditions(rule.conditions)
    query = Q()
    for condition in rule.conditions:
        query &= _condition_q(condition, now)
    if any(action.get("type") == "escalate" for action in rule.actions):
        query &= Q(status__in=sorted(_ESCALATABLE))
    fired = EscalationFiring.objects.filter(
        rule_id=rule.pk,
        ticket_id=OuterRef("pk"),
        rule_revision=rule.revision,
        ticket_cycle=OuterRef("reopened_count"),
    )
    return Ticket.objects.open().filter(query, ~Exists(fired)).order_by("pk")


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True, slots=True)
class _Action:
    """A rule action with its target resolved once per run (or the reason it is skipped)."""

    type: str
    value: Any
    target: Any = None
    skip_reason: str | None = None

    def skipped(self, reason: str) -> dict[str, Any]:
        return {"type": self.type, "value": self.value, "reason": reason}


def _resolve_actions(rule: EscalationRule) -> list[_Action]:
    """Look up each action's target once; unfit targets become skipped actions (logged)."""
    resolved: list[_Action] = []
    for raw in rule.actions:
        kind, value = raw["type"], raw.get("value")
        target: Any = None
        reason: str | None = None
        if kind == "assign":
            target = get_user_model()._default_manager.filter(pk=value).first()
            if target is None:
                reason = "unknown_user"
            elif not is_agent(target):
                reason = "not_an_agent"
        elif kind == "set_department":
            target = Department.objects.filter(pk=value).first()
            if target is None:
                reason = "unknown_department"
            elif not target.is_active:
                reason = "inactive_department"
        elif kind == "add_tag":
            target = Tag.objects.filter(pk=value).first()
            if target is None:
                reason = "unknown_tag"
        elif kind == "add_note":
            value = value.strip()
        if reason is not None:
            logger.warning(
                "Escalation rule %s (%r): action %s %r skipped: %s.",
                rule.pk,
                rule.name,
                kind,
                value,
                reason,
            )
            target = None
        resolved.append(_Action(type=kind, value=value, target=target, skip_reason=reason))
    return resolved


@dataclass
class _Batch:
    """One locked batch of tickets and what the rule did to each of them.

    The action handlers change the tickets in memory and say which fields they changed
    (:meth:`touch`); ``tickets_write_fields`` then saves every changed ticket row of the
    batch in one statement, so each row gets one new version however many actions ran.
    """

    rule: EscalationRule
    tickets: list[Ticket]
    now: datetime
    ids: list[int] = field(init=False)  # of the tickets, in order
    applied: dict[int, list[str]] = field(default_factory=dict)
    skipped: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    dirty: dict[int, Ticket] = field(default_factory=dict)
    dirty_fields: set[str] = field(default_factory=set)
    schedules: dict[int | None, Schedule | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ids = [ticket.pk for ticket in self.tickets]
        for pk in self.ids:
            self.applied[pk] = []
            self.skipped[pk] = []

    def schedule_of(self, ticket: Ticket) -> Schedule | None:
        """The SLA schedule of the ticket's policy, loaded once per policy per batch."""
        key = ticket.sla_policy_id
        if key not in self.schedules:
            self.schedules[key] = sla.sla_schedule_for(ticket.sla_policy) if key else None
        return self.schedules[key]

    def touch(self, ticket: Ticket, fields: Iterable[str]) -> None:
        """Note that ``fields`` of ``ticket`` changed in memory and must be saved."""
        self.dirty[ticket.pk] = ticket
        self.dirty_fields.update(fields)


def _is_postgresql() -> bool:
    """Whether the batch's rows are written with raw ``UNNEST`` statements."""
    return connection.vendor == "postgresql"


def _send_each(
    signal: Signal, tickets: Iterable[Ticket], kwargs_of: Callable[[Ticket], dict[str, Any]]
) -> None:
    """Queue ``signal`` for each ticket with its own kwargs, in one hook run after commit."""
    send_each_after_commit(signal, [(ticket, kwargs_of(ticket)) for ticket in tickets])


def _escalate(batch: _Batch, action: _Action) -> list[Ticket]:
    """Like ``ticket_escalate``: status, ``escalated_at``, SLA resume, two signals."""
    now = batch.now
    # rule_queryset only matches escalatable tickets; the check keeps a later action
    # of the same rule (a second escalate) from escalating twice.
    targets = [t for t in batch.tickets if t.status in _ESCALATABLE]
    old_status: dict[int, str] = {}
    for ticket in targets:
        old_status[ticket.pk] = ticket.status
        fields = ["status", "escalated_at", "updated_at"]
        if ticket.status == Status.WAITING_ON_CUSTOMER and app_settings.SLA_ENABLED:
            # Leaving "waiting on customer" restarts the clock the pause stopped.
            fields += sla.sla_resume(ticket, now=now, schedule=batch.schedule_of(ticket))
        ticket.status, ticket.escalated_at, ticket.updated_at = Status.ESCALATED, now, now
        batch.touch(ticket, fields)
    _send_each(
        signals.ticket_status_changed,
        targets,
        lambda t: {"old_status": old_status[t.pk], "new_status": Status.ESCALATED},
    )
    if targets:
        send_many_after_commit(
            signals.ticket_escalated, targets, user=None, reason=f"Rule: {batch.rule.name}"
        )
    return targets


def _set_priority(batch: _Batch, action: _Action) -> list[Ticket]:
    """Like ``ticket_change_priority``: priority, recomputed SLA deadlines, one signal."""
    now, priority = batch.now, action.value
    targets = [t for t in batch.tickets if t.priority != priority]
    old_priority: dict[int, str] = {}
    for ticket in targets:
        old_priority[ticket.pk] = ticket.priority
        ticket.priority, ticket.updated_at = priority, now
        fields = ["priority", "updated_at"]
        if app_settings.SLA_ENABLED:
            fields += sla.sla_apply_deadlines(
                ticket, start=ticket.created_at, now=now, schedule=batch.schedule_of(ticket)
            )
        batch.touch(ticket, fields)
    _send_each(
        signals.ticket_priority_changed,
        targets,
        lambda t: {"old_priority": old_priority[t.pk], "new_priority": priority},
    )
    return targets


def _assign(batch: _Batch, action: _Action) -> list[Ticket]:
    """Like ``ticket_assign``: the assignee, one signal with the previous agent."""
    agent = action.target
    targets = [t for t in batch.tickets if t.assignee_id != agent.pk]
    previous: dict[int, Any] = {}
    for ticket in targets:
        previous[ticket.pk] = ticket.assignee
        ticket.assignee, ticket.updated_at = agent, batch.now
        batch.touch(ticket, ["assignee", "updated_at"])
    _send_each(
        signals.ticket_assigned,
        targets,
        lambda t: {"agent": agent, "previous_agent": previous[t.pk]},
    )
    return targets


def _set_department(batch: _Batch, action: _Action) -> list[Ticket]:
    """Like ``ticket_change_department``: the department, one signal with the old one."""
    department: Department = action.target
    targets = [t for t in batch.tickets if t.department_id != department.pk]
    old: dict[int, Department | None] = {}
    for ticket in targets:
        old[ticket.pk] = ticket.department
        ticket.department, ticket.updated_at = department, batch.now
        batch.touch(ticket, ["department", "updated_at"])
    _send_each(
        signals.department_changed,
        targets,
        lambda t: {"old_department": old[t.pk], "new_department": department},
    )
    return targets


def _add_tag(batch: _Batch, action: _Action) -> list[Ticket]:
    """Like ``ticket_add_tags``: the tag where missing, ``tag_added`` for those tickets."""
    tag: Tag = action.target
    if _is_postgresql():
        # One statement: the links that did not exist yet are the ones it returns.
        added = {
            ticket_id
            for (ticket_id,) in insert_unnest(
                _TicketTag,
                {"ticket_id": batch.ids},
                constants={"tag_id": tag.pk},
                returning=["ticket_id"],
                ignore_conflicts=True,
            )
        }
        targets = [t for t in batch.tickets if t.pk in added]
    else:
        present = set(
            _TicketTag.objects.filter(tag_id=tag.pk, ticket_id__in=batch.ids).values_list(
                "ticket_id", flat=True
            )
        )
        targets = [t for t in batch.tickets if t.pk not in present]
        if targets:
            # ignore_conflicts: an agent may tag one by hand meanwhile (no row lock there).
            _TicketTag.objects.bulk_create(
                [_TicketTag(ticket_id=t.pk, tag_id=tag.pk) for t in targets],
                ignore_conflicts=True,
            )
    if not targets:
        return []
    send_many_after_commit(signals.tag_added, targets, user=None, tag=tag)
    return targets


def _add_note(batch: _Batch, action: _Action) -> list[Ticket]:
    """Like ``reply_create(is_internal=True)`` by the system: a note, ``internal_note_added``."""
    now = batch.now
    notes = (_insert_notes if _is_postgresql() else _create_notes)(batch, action.value)
    note_of: dict[int, Reply] = {}
    for ticket, note in zip(batch.tickets, notes, strict=True):
        note.ticket = ticket  # receivers read reply.ticket: no query for it
        ticket.updated_at = now
        batch.touch(ticket, ["updated_at"])
        note_of[ticket.pk] = note
    # Each ticket has its own note, so each gets its own hook.
    _send_each(
        signals.internal_note_added,
        batch.tickets,
        lambda t: {"reply": note_of[t.pk]},
    )
    return list(batch.tickets)


def _note_values(batch: _Batch, body: str) -> dict[str, Any]:
    """The columns of a rule's note, but its ticket (and id)."""
    return {
        "author_id": None,
        "contact_id": None,
        "author_type": AuthorType.SYSTEM,
        "body": body,
        "is_internal": True,
        "is_pinned": False,
        "metadata": {"escalation_rule_id": batch.rule.pk},
        "created_at": batch.now,
        "updated_at": timezone.now(),  # auto_now, as reply_create writes it
    }


def _create_notes(batch: _Batch, body: str) -> list[Reply]:
    """One note per ticket of the batch, in order, through the ORM."""
    values = _note_values(batch, body)
    return Reply.objects.bulk_create(
        Reply(ticket_id=ticket.pk, **{**values, "metadata": dict(values["metadata"])})
        for ticket in batch.tickets
    )


def _insert_notes(batch: _Batch, body: str) -> list[Reply]:
    """Like :func:`_create_notes` in one INSERT; the instances are built only for the signal."""
    values = _note_values(batch, body)
    rows = insert_unnest(
        Reply, {"ticket_id": batch.ids}, constants=values, returning=["ticket_id", "id"]
    )
    id_of = dict(rows)
    # Model.from_db with every column in field order: the cheapest complete instance.
    names = [f.attname for f in Reply._meta.concrete_fields]
    notes = []
    for ticket in batch.tickets:
        row = {**values, "id": id_of[ticket.pk], "ticket_id": ticket.pk}
        row["metadata"] = dict(values["metadata"])
        notes.append(Reply.from_db(connection.alias, names, [row[name] for name in names]))
    return notes


_HANDLERS: Final[dict[str, Callable[[_Batch, _Action], list[Ticket]]]] = {
    "escalate": _escalate,
    "set_priority": _set_priority,
    "assign": _assign,
    "set_department": _set_department,
    "add_tag": _add_tag,
    "add_note": _add_note,
}


def _fire(batch: _Batch, actions: Sequence[_Action]) -> int:
    """Record the firings, run the actions set-based, log one activity per ticket.

    Returns how many tickets at least one action changed. Runs inside the batch's
    transaction; signals are queued for after its commit.
    """
    rule, now = batch.rule, batch.now
    # Firings first: if a concurrent evaluator fired on one of these tickets, the unique
    # constraint fails here, before any other write of the batch.
    if _is_postgresql():
        insert_unnest(
            EscalationFiring,
            {
                "ticket_id": batch.ids,
                "ticket_cycle": [ticket.reopened_count for ticket in batch.tickets],
            },
            constants={"rule_id": rule.pk, "rule_revision": rule.revision, "fired_at": now},
        )
    else:
        EscalationFiring.objects.bulk_create(
            EscalationFiring(
                rule_id=rule.pk,
                ticket_id=ticket.pk,
                rule_revision=rule.revision,
                ticket_cycle=ticket.reopened_count,
                fired_at=now,
            )
            for ticket in batch.tickets
        )
    for action in actions:
        if action.skip_reason is not None:
            for pk in batch.ids:
                batch.skipped[pk].append(action.skipped(action.skip_reason))
            continue
        changed = {t.pk for t in _HANDLERS[action.type](batch, action)}
        for pk in batch.ids:
            if pk in changed:
                batch.applied[pk].append(action.type)
            else:
                batch.skipped[pk].append(action.skipped("unchanged"))
    tickets_write_fields(list(batch.dirty.values()), batch.dirty_fields)
    record_activities_for(
        batch.ids,
        type=ActivityType.RULE_FIRED,
        data=[
            {
                "rule_id": rule.pk,
                "rule_name": rule.name,
                "actions": batch.applied[pk],
                "skipped": batch.skipped[pk],
            }
            for pk in batch.ids
        ],
        created_at=now,
    )
    return sum(1 for pk in batch.ids if batch.applied[pk])


# --------------------------------------------------------------------------- the engine


def _related_for(rule: EscalationRule) -> list[str | Prefetch[Any]]:
    """The relations the rule's actions read, prefetched once per batch.

    Prefetching (one ``IN`` query per relation) shares one instance per agent,
    department or policy across the batch, where a join would build one per ticket;
    it also keeps the relations out of the ``FOR UPDATE``.
    """
    kinds = {action["type"] for action in rule.actions}
    related: list[str | Prefetch[Any]] = []
    if "assign" in kinds:
        related.append("assignee")  # the previous agent, for ticket_assigned
    if "set_department" in kinds:
        related.append("department")  # the old department, for department_changed
    if kinds & {"set_priority", "escalate"} and app_settings.SLA_ENABLED:
        # The SLA helpers read the policy and its schedule.
        related.append(
            Prefetch("sla_policy", queryset=SlaPolicy.objects.select_related("schedule"))
        )
    return related


def _load_batch(
    matching: QuerySet[Ticket], after: int, size: int, related: list[str | Prefetch[Any]]
) -> list[Ticket]:
    """Read (and on PostgreSQL lock) the next ``size`` matching tickets after id ``after``."""
    query = matching.filter(pk__gt=after)
    if connection.features.has_select_for_update_skip_locked:
        # Tickets another evaluator holds are left to it.
        query = query.select_for_update(skip_locked=True)
    if not _has_native_timestamptz():
        return list(query.prefetch_related(*related)[:size])
    tickets = _fetch_native(query[:size])
    prefetch_related_objects(tickets, *related)
    return tickets


def _has_native_timestamptz() -> bool:
    """Whether psycopg's own ``timestamptz`` loader yields exactly what Django's does.

    Django (5.2) reads ``timestamptz`` with a loader derived from psycopg's pure-Python
    one (Django ticket #36960): about 5 µs a value, a third of the time a batch of
    tickets takes to load. On psycopg 3 with the connection in UTC, psycopg's C loader
    returns the same aware datetimes (``tzinfo=datetime.timezone.utc``) ten times faster.
    """
    if not _is_postgresql() or connection.timezone is not UTC:
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3


def _fetch_native(query: QuerySet[Ticket]) -> list[Ticket]:
    """``list(query)`` for a plain ``Ticket`` queryset, with psycopg's ``timestamptz`` loader.

    The SQL, the column converters and the instances are Django's own
    (``Model.from_db``, as ``QuerySet`` builds them); only the cursor differs.
    """
    from psycopg.types.datetime import TimestamptzLoader

    compiler = query.query.get_compiler(using=query.db)
    sql, params = compiler.as_sql()
    columns = [column for column, _, _ in compiler.select]
    names = [column.target.attname for column in columns]
    # Every column of the ticket, in field order, and nothing joined.
    assert names == [f.attname for f in Ticket._meta.concrete_fields], names
    converters = compiler.get_converters(columns)
    with connection.cursor() as cursor:
        # Registered on this cursor only; psycopg swaps in its C implementation.
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        rows: Iterable[Sequence[Any]] = cursor.fetchall()
    if converters:
        rows = compiler.apply_converters(rows, converters)
    return [Ticket.from_db(query.db, names, row) for row in rows]


def _run_rule(
    rule: EscalationRule, now: datetime, batch_size: int, progress: Progress | None
) -> RuleOutcome:
    matching = rule_queryset(rule, now=now)
    actions: list[_Action] | None = None  # resolved lazily: nothing to look up if no match
    related = _related_for(rule)
    matched = acted = 0
    after = 0
    while True:
        tickets: list[Ticket] = []
        acted_now = 0
        for attempt in range(1, _BATCH_ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    tickets = _load_batch(matching, after, batch_size, related)
                    if tickets:
                        if actions is None:
                            actions = _resolve_actions(rule)
                        acted_now = _fire(_Batch(rule=rule, tickets=tickets, now=now), actions)
                break
            except IntegrityError:
                if attempt == _BATCH_ATTEMPTS:
                    raise
                # Another evaluator fired on some of these tickets between our read and
                # our write; nothing of this batch was kept. Read it again.
                logger.info("Escalation rule %s: batch raced another evaluator; retrying.", rule.pk)
        if not tickets:
            break
        matched += len(tickets)
        acted += acted_now
        after = tickets[-1].pk
        if progress is not None:
            progress(len(tickets))
        if len(tickets) < batch_size:
            break
    skipped = tuple(
        f"{a.type} {a.value!r}: {a.skip_reason}" for a in actions or () if a.skip_reason
    )
    return RuleOutcome(
        rule_id=rule.pk, rule_name=rule.name, matched=matched, acted=acted, skipped_actions=skipped
    )


@notifications.collected
def escalations_evaluate(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Run every active escalation rule, in order (``position``, then id), over open tickets.

    For each rule, the matching tickets (:func:`rule_queryset`) are taken in batches of
    ``batch_size`` by ascending id; each batch is one transaction that records the
    firings, applies every action to the whole batch set-based, writes one
    ``rule_fired`` activity per ticket and queues the signals for after the commit.
    ``batch_size`` defaults to 1000 on PostgreSQL, whose statements carry a batch as a
    few arrays, and to 500 elsewhere, where they carry a parameter per ticket.
    A later rule sees what an earlier one changed. A stored rule whose JSON is invalid
    is reported in its :class:`RuleOutcome` and skipped; the others still run.

    ``dry_run`` counts, per rule, the tickets that match now and changes nothing.
    ``progress`` is called with the number of tickets handled after each batch (in a
    dry run, with each rule's count).
    """
    if batch_size is None:
        batch_size = 1000 if _is_postgresql() else 500
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    now = now or timezone.now()
    outcomes: list[RuleOutcome] = []
    for rule in EscalationRule.objects.filter(is_active=True).order_by("position", "id"):
        try:
            validate_conditions(rule.conditions)
            validate_rule_actions(rule.actions)
        except ValidationError as exc:
            message = " ".join(exc.messages)
            logger.error(
                "Escalation rule %s (%r) is invalid, not run: %s", rule.pk, rule.name, message
            )
            outcomes.append(RuleOutcome(rule_id=rule.pk, rule_name=rule.name, error=message))
            continue
        if dry_run:
            count = rule_queryset(rule, now=now).count()
            outcomes.append(RuleOutcome(rule_id=rule.pk, rule_name=rule.name, matched=count))
            if progress is not None:
                progress(count)
        else:
            outcomes.append(_run_rule(rule, now, batch_size, progress))
    return EvaluationResult(rules=tuple(outcomes), dry_run=dry_run)


# --------------------------------------------------------------------------- admin services


def _require_admin(actor: Any) -> None:
    # ``None`` is the system (fixtures, data migrations, the SaaS provisioning).
    if actor is not None and not is_admin(actor):
        raise NotPermitted("Only admins may manage escalation rules.")


def _clean_rule(
    *,
    name: str | None,
    conditions: Any,
    actions: Any,
    position: int | None,
    description: str | None = None,
) -> None:
    """Check the given values (``None`` means "not given, not checked"); raise
    ``ValidationFailed`` with every field error at once."""
    errors: dict[str, list[str]] = {}
    # PostgreSQL refuses NUL in text and JSON (a DataError) where SQLite stores it.
    for key, value in (
        ("name", name),
        ("description", description),
        ("conditions", conditions),
        ("actions", actions),
    ):
        if has_nul(value):
            errors[key] = [NUL_MESSAGE]
    if name is not None and "name" not in errors:
        text = name.strip() if isinstance(name, str) else ""
        if not text:
            errors["name"] = ["Name is required."]
        elif len(text) > NAME_MAX:
            errors["name"] = [f"Name must be at most {NAME_MAX} characters."]
    for key, value, validate in (
        ("conditions", conditions, validate_conditions),
        ("actions", actions, validate_rule_actions),
    ):
        if value is None or key in errors:
            continue
        try:
            validate(value)
        except ValidationError as exc:
            errors[key] = list(exc.messages)
    if position is not None and (
        isinstance(position, bool)
        or not isinstance(position, int)
        or not 0 <= position <= POSITION_MAX
    ):
        errors["position"] = [f"Position must be a whole number from 0 to {POSITION_MAX}."]
    if errors:
        raise ValidationFailed("The escalation rule is not valid.", errors=errors)


def escalation_rule_create(
    *,
    actor: Any,
    name: str,
    conditions: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    description: str = "",
    is_active: bool = True,
    position: int | None = None,
) -> EscalationRule:
    """Create a rule (admins). Without ``position`` it goes after every existing rule.

    Raises ``ValidationFailed`` with field errors (``name``, ``conditions``,
    ``actions``, ``position``) checked by the model's validators.
    """
    _require_admin(actor)
    _clean_rule(
        name=name,
        conditions=conditions,
        actions=actions,
        position=position,
        description=description,
    )
    with transaction.atomic():
        if position is None:
            last = EscalationRule.objects.aggregate(last=Max("position"))["last"]
            position = 0 if last is None else last + 1
        return EscalationRule.objects.create(
            name=name.strip(),
            description=(description or "").strip(),
            is_active=is_active,
            position=position,
            conditions=conditions,
            actions=actions,
        )


def escalation_rule_update(
    *,
    rule: EscalationRule,
    actor: Any,
    name: str | None = None,
    description: str | None = None,
    is_active: bool | None = None,
    position: int | None = None,
    conditions: list[dict[str, Any]] | None = None,
    actions: list[dict[str, Any]] | None = None,
) -> EscalationRule:
    """Change the given fields of ``rule`` (admins); ``None`` leaves a field as it is.

    Changing the conditions or the actions bumps ``revision``: the edited rule is a new
    cause and may fire again on tickets the old version fired on. Raises
    ``ValidationFailed`` with field errors like :func:`escalation_rule_create`.
    """
    _require_admin(actor)
    _clean_rule(
        name=name,
        conditions=conditions,
        actions=actions,
        position=position,
        description=description,
    )
    fields: list[str] = []
    if name is not None and name.strip() != rule.name:
        rule.name = name.strip()
        fields.append("name")
    if description is not None and description.strip() != rule.description:
        rule.description = description.strip()
        fields.append("description")
    if is_active is not None and is_active != rule.is_active:
        rule.is_active = is_active
        fields.append("is_active")
    if position is not None and position != rule.position:
        rule.position = position
        fields.append("position")
    new_cause = False
    if conditions is not None and conditions != rule.conditions:
        rule.conditions = conditions
        fields.append("conditions")
        new_cause = True
    if actions is not None and actions != rule.actions:
        rule.actions = actions
        fields.append("actions")
        new_cause = True
    if not fields:
        return rule
    if new_cause:
        # F(): two admins saving at once still get two distinct revisions.
        rule.revision = F("revision") + 1
        fields.append("revision")
    rule.save(update_fields=[*fields, "updated_at"])
    if new_cause:
        rule.refresh_from_db(fields=["revision"])
    return rule


def escalation_rule_delete(*, rule: EscalationRule, actor: Any) -> None:
    """Delete ``rule`` (admins) and its firing records; the tickets' activity stays."""
    _require_admin(actor)
    rule.delete()
