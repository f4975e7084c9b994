"""Every write to a ticket's lifecycle.

Each service is keyword-only, takes ``actor`` (a host user, or ``None`` for the system:
rules, sweeps, sync), runs in one transaction, writes one activity entry, and sends its
signals after commit. Guests act through ``guest_token`` (the ticket's secret link).

A service changing a ticket first locks its row and reads it again (:func:`_lock`): it
decides from the ticket as it is now, not as the request read it, so two requests
changing one ticket at once run one after the other instead of undoing each other.

Who may do what:

- agents (see :mod:`escalated.permissions`) and the system may do everything legal;
- the requester (a customer, or a guest with the token) may create, reply publicly,
  close (when ``ALLOW_CUSTOMER_CLOSE``), reopen and rate their own tickets.
"""

from __future__ import annotations

import copy
import functools
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from escalated import signals
from escalated.conf import app_settings
from escalated.exceptions import IllegalTransition, NotFound, NotPermitted, ValidationFailed
from escalated.models import (
    TRANSITIONS,
    ActivityType,
    AuthorType,
    Channel,
    Contact,
    Department,
    Priority,
    Reply,
    SatisfactionRating,
    SlaPolicy,
    Status,
    Tag,
    Ticket,
    TicketActivity,
)
from escalated.nul import NUL_MESSAGE, has_nul
from escalated.permissions import is_agent
from escalated.selectors._compiled import statement_cursor
from escalated.services import sla
from escalated.services._config import cached as config_cached
from escalated.services._config import config_cache_clear
from escalated.services._effects import record_activity, ref, send_after_commit
from escalated.services.attachments import attachments_store, attachments_validate
from escalated.services.contacts import contact_for_user, contact_get_or_create

SUBJECT_MAX = 255


# --------------------------------------------------------------------------- roles


@dataclass(frozen=True, slots=True)
class _Role:
    is_staff: bool  # an agent, or the system
    is_requester: bool
    user: Any


def _role(ticket: Ticket, actor: Any, guest_token: str | None = None) -> _Role:
    """Classify the actor for ``ticket``; raise ``NotPermitted`` for outsiders."""
    if guest_token is not None:
        if ticket.guest_token and secrets.compare_digest(ticket.guest_token, guest_token):
            return _Role(is_staff=False, is_requester=True, user=None)
        raise NotPermitted("This link is not valid for this ticket.")
    if actor is None:
        return _Role(is_staff=True, is_requester=False, user=None)
    if is_agent(actor):
        return _Role(is_staff=True, is_requester=False, user=actor)
    if getattr(actor, "is_authenticated", False) and ticket.requester.user_id == actor.pk:
        return _Role(is_staff=False, is_requester=True, user=actor)
    # Outsiders learn nothing about the ticket's existence.
    raise NotFound("Ticket not found.")


def _require_staff(role: _Role) -> None:
    if not role.is_staff:
        raise NotPermitted("Only agents may do this.")


_MISSING = object()


def _lock(ticket: Ticket) -> None:
    """Lock ``ticket``'s row until the transaction ends and bring the instance up to date.

    The instance is the one the request read, maybe long before: another request may
    have changed the ticket since (an agent resolved it while the customer typed a
    reply). Deciding from the old values and writing them back would undo that change
    (the reply moved the resolved ticket to "waiting on agent"), or do one twice (two
    ``ticket_assigned`` for one assignment). Every service changing a ticket calls this
    first, inside its transaction: on PostgreSQL the second of two concurrent changes
    waits for the first to commit and then sees it; SQLite runs one write transaction
    at a time. Fields that changed are set on the instance (a changed foreign key drops
    its cached object); ``NotFound`` if the ticket is gone.
    """
    fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
    no_key = connection.features.has_select_for_no_key_update  # FK inserts need not wait
    row = (
        Ticket.objects.select_for_update(no_key=no_key)
        .filter(pk=ticket.pk)
        .order_by()
        .values_list(*[f.attname for f in fields])
        .first()
    )
    if row is None:
        raise NotFound("Ticket not found.")
    for f, value in zip(fields, row, strict=True):
        if ticket.__dict__.get(f.attname, _MISSING) != value:
            setattr(ticket, f.attname, value)


# --------------------------------------------------------------------------- validation


def _refuse_nul(field: str, value: Any) -> None:
    """PostgreSQL refuses NUL in text and JSON (a ``DataError``) where SQLite stores it:
    turn it away on both, as the web forms do, before anything is written."""
    if has_nul(value):
        raise ValidationFailed.field(field, NUL_MESSAGE)


def _clean_text(value: str | None, field: str, label: str, *, max_length: int = 0) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed.field(field, f"{label} is required.")
    _refuse_nul(field, text)
    if max_length and len(text) > max_length:
        raise ValidationFailed.field(field, f"{label} must be at most {max_length} characters.")
    return text


def _clean_priority(value: str | None) -> str:
    priority = value or app_settings.DEFAULT_PRIORITY
    if priority not in Priority.values:
        raise ValidationFailed.field(
            "priority", f"Unknown priority {priority!r}; use one of {', '.join(Priority.values)}."
        )
    return priority


def _clean_department(value: Department | int | None, *, cached: bool = False) -> Department | None:
    """The active department ``value`` names (an instance or an id).

    ``cached``: look the id up in the per-process cache of active departments (ticket
    creation); a department deleted meanwhile then fails at commit, see ``ticket_create``.
    """
    if value is None:
        return None
    if isinstance(value, Department):
        if not value.is_active:
            raise ValidationFailed.field("department", "This department is not active.")
        return value
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = 0
    if cached:
        department = _active_departments().get(pk)
        # the cached instance is shared: hand out a copy
        department = copy.copy(department) if department is not None else None
    else:
        department = Department.objects.filter(pk=pk, is_active=True).first() if pk > 0 else None
    if department is None:
        raise ValidationFailed.field("department", f"Unknown department {value!r}.")
    return department


@contextmanager
def _deleted_department_is_a_field_error(value: Department | int | None) -> Iterator[None]:
    """Around a write that used :func:`_clean_department` with ``cached=True`` and the
    cached default SLA policy: a department or policy deleted since this process cached
    it fails its foreign key at commit. Re-check them uncached so the caller gets a
    field error, or is asked to send again, not a 500."""
    try:
        yield
    except IntegrityError as exc:
        policy = sla.sla_policy_default() if app_settings.SLA_ENABLED else None  # as used
        config_cache_clear()
        if value is not None and not isinstance(value, Department):
            _clean_department(value)
        if policy is not None and not SlaPolicy.objects.filter(pk=policy.pk).exists():
            raise ValidationFailed(
                "The SLA policies changed while the ticket was saved: please send it again."
            ) from exc
        raise


def _active_departments() -> dict[int, Department]:
    """Active departments by id, from the per-process configuration cache (tickets are
    created far more often than departments change; see ``services._config``)."""
    departments = config_cached(
        "active_departments",
        lambda: {d.pk: d for d in Department.objects.filter(is_active=True).order_by()},
    )
    assert isinstance(departments, dict)
    return departments


def _clean_tags(values: Iterable[Tag | int]) -> list[Tag]:
    """The tags ``values`` names (instances or ids), once each, in the order given."""
    given = list(values)
    try:
        given = [t if isinstance(t, Tag) else int(t) for t in given]
    except (TypeError, ValueError):
        raise ValidationFailed.field("tags", "Tags are given by their ids.") from None
    ids = {t for t in given if isinstance(t, int)}
    found: dict[int, Tag] = {}
    if ids:
        # An id past any a table hands out is unknown (SQLite cannot even compare it).
        found = Tag.objects.in_bulk({i for i in ids if 0 < i < 2**63})
        missing = ids - found.keys()
        if missing:
            raise ValidationFailed.field(
                "tags", f"Unknown tag{'s' if len(missing) > 1 else ''}: {sorted(missing)}."
            )
    tags = [t if isinstance(t, Tag) else found[t] for t in given]
    return list({t.pk: t for t in tags}.values())


def _clean_agent(agent: Any) -> Any:
    if agent is None or not is_agent(agent):
        raise ValidationFailed.field("agent", "This user is not an agent.")
    return agent


# --------------------------------------------------------------------------- create


def _reference(ticket_id: int) -> str:
    return f"{app_settings.REFERENCE_PREFIX}-{ticket_id:05d}"


@functools.cache
def _insert_created_sql(vendor: str) -> tuple[str, tuple[Any, ...], tuple[Any, ...]]:
    """The statement of :func:`_insert_created` and the fields whose values it takes
    (the ticket's, then the activity's), built once per process."""
    assert vendor == "postgresql"
    qn = connection.ops.quote_name

    def columns(model: type[Any], skip: set[str]) -> list[Any]:
        return [f for f in model._meta.concrete_fields if f.attname not in skip]

    ticket_fields = columns(Ticket, {"id", "reference"})
    activity_fields = columns(TicketActivity, {"id", "ticket_id"})

    def cast(f: Any) -> str:
        return f"%s::{f.db_type(connection)}"

    ticket_table, activity_table = Ticket._meta.db_table, TicketActivity._meta.db_table
    sql = (
        f"WITH n AS (SELECT nextval(pg_get_serial_sequence(%s::text, 'id')) AS id), "
        f"t AS (INSERT INTO {qn(ticket_table)} (id, reference, "
        f"{', '.join(qn(f.column) for f in ticket_fields)}) "
        # The reference as _reference() writes it: the prefix, then at least 5 digits.
        f"SELECT n.id, %s::text || lpad(n.id::text, greatest(5, length(n.id::text)), '0'), "
        f"{', '.join(cast(f) for f in ticket_fields)} FROM n RETURNING id, reference), "
        f"a AS (INSERT INTO {qn(activity_table)} (ticket_id, "
        f"{', '.join(qn(f.column) for f in activity_fields)}) "
        f"SELECT t.id, {', '.join(cast(f) for f in activity_fields)} FROM t RETURNING id) "
        f"SELECT t.id, t.reference, a.id FROM t, a"
    )
    return sql, tuple(ticket_fields), tuple(activity_fields)


def _insert_created(ticket: Ticket, activity: TicketActivity) -> None:
    """PostgreSQL: write a new ticket and its "created" timeline entry in one statement.

    The id comes from the sequence inside the statement, so the reference goes into
    the same row (no second write of a fresh row, which would touch every index of the
    table again), and the three steps cost one round trip instead of three. Run as a
    prepared statement: planned once per connection. Values are prepared by their
    fields as ``save()`` prepares them; ``pre_save`` / ``post_save`` are sent as
    ``save()`` sends them.
    """
    sql, ticket_fields, activity_fields = _insert_created_sql(connection.vendor)
    activity.ticket = ticket  # receivers may read it; its id is known after the INSERT
    for obj in (ticket, activity):
        models.signals.pre_save.send(
            sender=type(obj), instance=obj, raw=False, using=connection.alias, update_fields=None
        )
    table = connection.ops.quote_name(Ticket._meta.db_table)
    params: list[Any] = [table, f"{app_settings.REFERENCE_PREFIX}-"]
    for obj, fields in ((ticket, ticket_fields), (activity, activity_fields)):
        params.extend(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
        ticket.pk, ticket.reference, activity.pk = cursor.fetchone()
    activity.ticket = ticket  # again, now that it has its id
    for obj in (ticket, activity):
        obj._state.adding = False
        obj._state.db = connection.alias
        models.signals.post_save.send(
            sender=type(obj),
            instance=obj,
            created=True,
            update_fields=None,
            raw=False,
            using=connection.alias,
        )


def ticket_create(
    *,
    actor: Any,
    subject: str,
    description: str,
    requester: Contact | None = None,
    requester_email: str | None = None,
    requester_name: str = "",
    priority: str | None = None,
    department: Department | int | None = None,
    channel: str = Channel.WEB,
    tags: Iterable[Tag | int] = (),
    metadata: dict[str, Any] | None = None,
    attachments: Sequence[UploadedFile[Any]] = (),
) -> Ticket:
    """Open a ticket, compute its SLA deadlines, and send ``ticket_created``.

    The requester is, in order: ``requester``; the actor when a non-agent user (a
    customer files their own ticket); else the contact for ``requester_email``. Guest
    tickets (``channel="guest"``), and tickets of a requester without an account, get a
    secret ``guest_token`` for their link.
    """
    # Collect every field error at once, so a form shows them all together.
    errors: dict[str, list[str]] = {}
    checks: tuple[Callable[[], object], ...] = (
        lambda: _clean_text(subject, "subject", "Subject", max_length=SUBJECT_MAX),
        lambda: _clean_text(description, "description", "Description"),
        lambda: _clean_priority(priority),
        lambda: _refuse_nul("requester_email", requester_email),
        lambda: _refuse_nul("requester_name", requester_name),
        lambda: _refuse_nul("metadata", metadata),
    )
    for check in checks:
        try:
            check()
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if channel not in Channel.values:
        errors["channel"] = [f"Unknown channel {channel!r}."]
    if errors:
        raise ValidationFailed("The ticket is not valid.", errors=errors)
    attachments_validate(attachments)
    department_obj = _clean_department(department, cached=True)
    tag_objs = _clean_tags(tags)
    if metadata is not None and not isinstance(metadata, dict):
        raise ValidationFailed.field("metadata", "Metadata must be an object.")

    actor_is_agent = actor is not None and is_agent(actor)
    with _deleted_department_is_a_field_error(department), transaction.atomic():
        if requester is None:
            if actor is not None and not actor_is_agent and channel != Channel.GUEST:
                requester = contact_for_user(user=actor)
            elif requester_email:
                requester = contact_get_or_create(email=requester_email, name=requester_name)
            else:
                raise ValidationFailed.field("requester_email", "Who is this ticket for?")

        now = timezone.now()
        ticket = Ticket(
            subject=subject.strip(),
            description=description.strip(),
            priority=_clean_priority(priority),
            channel=channel,
            requester=requester,
            department=department_obj,
            metadata=metadata or {},
            created_at=now,
            updated_at=now,
            # The secret link: for guests, and for any requester without an account
            # (a ticket by e-mail or API), who has no portal to sign in to.
            guest_token=(
                secrets.token_urlsafe(32)
                if channel == Channel.GUEST or requester.user_id is None
                else None
            ),
        )
        if app_settings.SLA_ENABLED:
            ticket.sla_policy = sla.sla_policy_default()
            sla.sla_apply_deadlines(ticket, start=now)
        activity = TicketActivity(
            type=ActivityType.CREATED,
            actor=_user_of(actor),
            data={
                "channel": channel,
                "priority": ticket.priority,
                "tags": [t.slug for t in tag_objs],
            },
            created_at=now,
        )
        if connection.vendor == "postgresql":
            _insert_created(ticket, activity)
        else:
            ticket.save(force_insert=True)
            ticket.reference = _reference(ticket.pk)
            Ticket.objects.filter(pk=ticket.pk).update(reference=ticket.reference)
            activity.ticket = ticket
            activity.save(force_insert=True)
        if tag_objs:
            ticket.tags.add(*tag_objs)
        if attachments:
            attachments_store(attachments, ticket=ticket, reply=None, uploaded_by=_user_of(actor))
        send_after_commit(signals.ticket_created, ticket=ticket, user=actor, channel=channel)
        for tag in tag_objs:
            send_after_commit(signals.tag_added, ticket=ticket, user=actor, tag=tag)
    return ticket


def _user_of(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


# --------------------------------------------------------------------------- update


def ticket_update(
    *,
    ticket: Ticket,
    actor: Any,
    subject: str | None = None,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Ticket:
    """Edit subject, description or metadata (agents); sends ``ticket_updated``."""
    _require_staff(_role(ticket, actor))
    wanted: dict[str, Any] = {}
    if subject is not None:
        wanted["subject"] = _clean_text(subject, "subject", "Subject", max_length=SUBJECT_MAX)
    if description is not None:
        wanted["description"] = _clean_text(description, "description", "Description")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise ValidationFailed.field("metadata", "Metadata must be an object.")
        _refuse_nul("metadata", metadata)
        wanted["metadata"] = metadata
    if not wanted:
        return ticket
    with transaction.atomic():
        _lock(ticket)
        changes: dict[str, list[Any]] = {
            field: [getattr(ticket, field), new]
            for field, new in wanted.items()
            if new != getattr(ticket, field)
        }
        if not changes:
            return ticket
        for field, (_old, new) in changes.items():
            setattr(ticket, field, new)
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=[*changes, "updated_at"])
        record_activity(ticket, ActivityType.UPDATED, actor=actor, data={"fields": sorted(changes)})
        send_after_commit(signals.ticket_updated, ticket=ticket, user=actor, changes=changes)
    return ticket


# --------------------------------------------------------------------------- status

_STATUS_ACTIVITY: dict[str, str] = {
    Status.RESOLVED: ActivityType.RESOLVED,
    Status.CLOSED: ActivityType.CLOSED,
    Status.REOPENED: ActivityType.REOPENED,
    Status.ESCALATED: ActivityType.ESCALATED,
}


def _status_fields(ticket: Ticket, new: str, now: datetime) -> list[str]:
    """Apply the side effects of entering ``new`` to the in-memory ticket."""
    old = ticket.status
    fields = ["status", "updated_at"]
    ticket.status = new
    ticket.updated_at = now
    if new == Status.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    elif new == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
        if ticket.resolved_at is None:
            ticket.resolved_at = now
            fields.append("resolved_at")
    elif new == Status.ESCALATED:
        ticket.escalated_at = now
        fields.append("escalated_at")
    elif new == Status.REOPENED:
        ticket.reopened_count += 1
        ticket.resolved_at = None
        ticket.closed_at = None
        fields += ["reopened_count", "resolved_at", "closed_at"]
        if app_settings.SLA_ENABLED:
            # A reopened ticket gets a fresh resolution clock.
            fields += sla.sla_restart_resolution(ticket, now=now)
    if app_settings.SLA_ENABLED:
        if new == Status.WAITING_ON_CUSTOMER and old != Status.WAITING_ON_CUSTOMER:
            fields += sla.sla_pause(ticket, now=now)
        elif old == Status.WAITING_ON_CUSTOMER and new != Status.WAITING_ON_CUSTOMER:
            fields += sla.sla_resume(ticket, now=now)
    return list(dict.fromkeys(fields))


def ticket_change_status(
    *,
    ticket: Ticket,
    actor: Any,
    status: str,
    reason: str = "",
    guest_token: str | None = None,
) -> Ticket:
    """Move a ticket along the transition table; an illegal move raises.

    Sends ``ticket_status_changed`` and, by target, ``ticket_resolved``,
    ``ticket_closed``, ``ticket_reopened`` or ``ticket_escalated``.
    """
    if status not in Status.values:
        raise ValidationFailed.field(
            "status", f"Unknown status {status!r}; use one of {', '.join(Status.values)}."
        )
    _refuse_nul("reason", reason)
    role = _role(ticket, actor, guest_token)
    if not role.is_staff:
        if status == Status.CLOSED and not app_settings.ALLOW_CUSTOMER_CLOSE:
            raise NotPermitted("Customers may not close tickets here.")
        if status not in (Status.CLOSED, Status.REOPENED):
            raise NotPermitted("Only agents may set this status.")
    old = ticket.status
    if status not in TRANSITIONS[old]:
        raise IllegalTransition(
            f"A ticket cannot go from {Status(old).label} to {Status(status).label}.",
            errors={"status": [f"Not allowed from {old}."]},
        )
    with transaction.atomic():
        _lock(ticket)
        # The move was asked for from the status the actor saw: another one since makes
        # it fail, not clobber. The other fields are the current ones (deadlines a
        # priority change wrote meanwhile, the reopen count…).
        if ticket.status != old:
            raise IllegalTransition("The ticket changed meanwhile; reload and try again.")
        fields = _status_fields(ticket, status, timezone.now())
        values = {f: getattr(ticket, f) for f in fields}
        Ticket.objects.filter(pk=ticket.pk).update(**values)
        data: dict[str, Any] = {"old_status": old, "new_status": status}
        if reason:
            data["reason"] = reason
        record_activity(
            ticket,
            _STATUS_ACTIVITY.get(status, ActivityType.STATUS_CHANGED),
            actor=actor,
            data=data,
        )
        _send_status_signals(ticket, role.user, old, status, reason)
    return ticket


def _send_status_signals(ticket: Ticket, user: Any, old: str, new: str, reason: str) -> None:
    send_after_commit(
        signals.ticket_status_changed, ticket=ticket, user=user, old_status=old, new_status=new
    )
    if new == Status.RESOLVED:
        send_after_commit(signals.ticket_resolved, ticket=ticket, user=user)
    elif new == Status.CLOSED:
        send_after_commit(signals.ticket_closed, ticket=ticket, user=user, reason=reason)
    elif new == Status.REOPENED:
        send_after_commit(signals.ticket_reopened, ticket=ticket, user=user)
    elif new == Status.ESCALATED:
        send_after_commit(signals.ticket_escalated, ticket=ticket, user=user, reason=reason)


def ticket_resolve(*, ticket: Ticket, actor: Any) -> Ticket:
    """Mark solved (agents). Sends ``ticket_resolved``."""
    return ticket_change_status(ticket=ticket, actor=actor, status=Status.RESOLVED)


def ticket_close(
    *, ticket: Ticket, actor: Any, reason: str = "", guest_token: str | None = None
) -> Ticket:
    """Close (agents; requesters when ``ALLOW_CUSTOMER_CLOSE``). Sends ``ticket_closed``."""
    return ticket_change_status(
        ticket=ticket, actor=actor, status=Status.CLOSED, reason=reason, guest_token=guest_token
    )


def ticket_reopen(*, ticket: Ticket, actor: Any, guest_token: str | None = None) -> Ticket:
    """Reopen a resolved or closed ticket. Sends ``ticket_reopened``."""
    return ticket_change_status(
        ticket=ticket, actor=actor, status=Status.REOPENED, guest_token=guest_token
    )


def ticket_escalate(*, ticket: Ticket, actor: Any, reason: str = "") -> Ticket:
    """Escalate (agents, rules). Sends ``ticket_escalated`` with ``reason``."""
    return ticket_change_status(ticket=ticket, actor=actor, status=Status.ESCALATED, reason=reason)


# --------------------------------------------------------------------------- assignment


def ticket_assign(*, ticket: Ticket, actor: Any, agent: Any) -> Ticket:
    """Give the ticket to ``agent`` (who must be an agent). Sends ``ticket_assigned``."""
    _require_staff(_role(ticket, actor))
    _clean_agent(agent)
    with transaction.atomic():
        _lock(ticket)
        previous = ticket.assignee
        if previous is not None and previous.pk == agent.pk:
            return ticket
        ticket.assignee = agent
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["assignee", "updated_at"])
        record_activity(
            ticket,
            ActivityType.ASSIGNED,
            actor=actor,
            data={"agent": ref(agent), "previous_agent": ref(previous)},
        )
        send_after_commit(
            signals.ticket_assigned, ticket=ticket, user=actor, agent=agent, previous_agent=previous
        )
    return ticket


def ticket_unassign(*, ticket: Ticket, actor: Any) -> Ticket:
    """Remove the assignee. Sends ``ticket_unassigned``."""
    _require_staff(_role(ticket, actor))
    with transaction.atomic():
        _lock(ticket)
        previous = ticket.assignee
        if previous is None:
            return ticket
        ticket.assignee = None
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["assignee", "updated_at"])
        record_activity(
            ticket, ActivityType.UNASSIGNED, actor=actor, data={"previous_agent": ref(previous)}
        )
        send_after_commit(
            signals.ticket_unassigned, ticket=ticket, user=actor, previous_agent=previous
        )
    return ticket


# --------------------------------------------------------------------------- priority, SLA


def ticket_change_priority(*, ticket: Ticket, actor: Any, priority: str) -> Ticket:
    """Change priority and recompute SLA deadlines. Sends ``ticket_priority_changed``."""
    _require_staff(_role(ticket, actor))
    if priority not in Priority.values:
        raise ValidationFailed.field(
            "priority", f"Unknown priority {priority!r}; use one of {', '.join(Priority.values)}."
        )
    with transaction.atomic():
        _lock(ticket)
        old = ticket.priority
        if old == priority:
            return ticket
        ticket.priority = priority
        ticket.updated_at = timezone.now()
        fields = ["priority", "updated_at"]
        if app_settings.SLA_ENABLED:
            fields += sla.sla_apply_deadlines(ticket, start=ticket.created_at)
        ticket.save(update_fields=list(dict.fromkeys(fields)))
        record_activity(
            ticket, ActivityType.PRIORITY_CHANGED, actor=actor, data={"old": old, "new": priority}
        )
        send_after_commit(
            signals.ticket_priority_changed,
            ticket=ticket,
            user=actor,
            old_priority=old,
            new_priority=priority,
        )
    return ticket


def ticket_change_sla_policy(*, ticket: Ticket, actor: Any, policy: SlaPolicy | None) -> Ticket:
    """Put the ticket under another SLA policy (or none) and recompute its deadlines."""
    _require_staff(_role(ticket, actor))
    with transaction.atomic():
        _lock(ticket)
        old = ticket.sla_policy
        if (old.pk if old else None) == (policy.pk if policy else None):
            return ticket
        ticket.sla_policy = policy
        ticket.updated_at = timezone.now()
        fields = ["sla_policy", "updated_at"]
        fields += sla.sla_apply_deadlines(ticket, start=ticket.created_at)
        ticket.save(update_fields=list(dict.fromkeys(fields)))
        record_activity(
            ticket,
            ActivityType.SLA_POLICY_CHANGED,
            actor=actor,
            data={"old": ref(old), "new": ref(policy)},
        )
        send_after_commit(
            signals.ticket_updated,
            ticket=ticket,
            user=actor,
            changes={"sla_policy": [old.pk if old else None, policy.pk if policy else None]},
        )
    return ticket


# --------------------------------------------------------------------------- department, tags


def ticket_change_department(
    *, ticket: Ticket, actor: Any, department: Department | int | None
) -> Ticket:
    """Route to another department (or none). Sends ``department_changed``."""
    _require_staff(_role(ticket, actor))
    new = _clean_department(department)
    with transaction.atomic():
        _lock(ticket)
        old = ticket.department
        if (old.pk if old else None) == (new.pk if new else None):
            return ticket
        ticket.department = new
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["department", "updated_at"])
        record_activity(
            ticket,
            ActivityType.DEPARTMENT_CHANGED,
            actor=actor,
            data={"old": ref(old), "new": ref(new)},
        )
        send_after_commit(
            signals.department_changed,
            ticket=ticket,
            user=actor,
            old_department=old,
            new_department=new,
        )
    return ticket


def ticket_add_tags(*, ticket: Ticket, actor: Any, tags: Iterable[Tag | int]) -> list[Tag]:
    """Add tags; returns those actually added. Sends ``tag_added`` per new tag."""
    _require_staff(_role(ticket, actor))
    wanted = _clean_tags(tags)
    with transaction.atomic():
        _lock(ticket)
        present = set(
            ticket.tags.filter(pk__in=[t.pk for t in wanted]).values_list("pk", flat=True)
        )
        added = [t for t in wanted if t.pk not in present]
        if not added:
            return []
        ticket.tags.add(*added)
        record_activity(
            ticket, ActivityType.TAG_ADDED, actor=actor, data={"tags": [t.slug for t in added]}
        )
        for tag in added:
            send_after_commit(signals.tag_added, ticket=ticket, user=actor, tag=tag)
    return added


def ticket_remove_tags(*, ticket: Ticket, actor: Any, tags: Iterable[Tag | int]) -> list[Tag]:
    """Remove tags; returns those actually removed. Sends ``tag_removed`` per tag."""
    _require_staff(_role(ticket, actor))
    wanted = _clean_tags(tags)
    with transaction.atomic():
        _lock(ticket)
        present = set(
            ticket.tags.filter(pk__in=[t.pk for t in wanted]).values_list("pk", flat=True)
        )
        removed = [t for t in wanted if t.pk in present]
        if not removed:
            return []
        ticket.tags.remove(*removed)
        record_activity(
            ticket, ActivityType.TAG_REMOVED, actor=actor, data={"tags": [t.slug for t in removed]}
        )
        for tag in removed:
            send_after_commit(signals.tag_removed, ticket=ticket, user=actor, tag=tag)
    return removed


# --------------------------------------------------------------------------- replies


def reply_create(
    *,
    ticket: Ticket,
    actor: Any,
    body: str,
    is_internal: bool = False,
    attachments: Sequence[UploadedFile[Any]] = (),
    guest_token: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Reply:
    """Post a public reply or an internal note.

    An agent's first public reply meets the first-response SLA. A requester's reply
    moves ``waiting_on_customer`` to ``waiting_on_agent`` and reopens a resolved
    ticket; nobody replies to a closed ticket (reopen it first). Sends
    ``reply_created`` or ``internal_note_added`` (and status signals when it moved).
    """
    role = _role(ticket, actor, guest_token)
    text = _clean_text(body, "body", "Message")
    _refuse_nul("metadata", metadata)
    if is_internal and not role.is_staff:
        raise NotPermitted("Only agents may add internal notes.")
    attachments_validate(attachments)
    with transaction.atomic():
        _lock(ticket)  # closed or reopened meanwhile: the check sees it
        if ticket.status == Status.CLOSED:
            raise IllegalTransition(
                "This ticket is closed; reopen it to reply.",
                errors={"body": ["The ticket is closed."]},
            )
        now = timezone.now()
        requester_contact = ticket.requester if role.is_requester else None
        reply = Reply.objects.create(
            ticket=ticket,
            author=_user_of(role.user),
            contact=requester_contact,
            author_type=(
                AuthorType.CUSTOMER
                if role.is_requester
                else (AuthorType.AGENT if role.user is not None else AuthorType.SYSTEM)
            ),
            body=text,
            is_internal=is_internal,
            metadata=metadata or {},
            created_at=now,
        )
        if attachments:
            attachments_store(attachments, ticket=ticket, reply=reply, uploaded_by=role.user)

        fields = ["updated_at"]
        ticket.updated_at = now
        new_status = None
        if not is_internal:
            ticket.last_reply_at = now
            fields.append("last_reply_at")
            if role.is_staff and role.user is not None and ticket.first_response_at is None:
                ticket.first_response_at = now
                fields.append("first_response_at")
            if role.is_requester:
                if ticket.status == Status.WAITING_ON_CUSTOMER:
                    new_status = Status.WAITING_ON_AGENT
                elif ticket.status == Status.RESOLVED:
                    new_status = Status.REOPENED
        old_status = ticket.status
        if new_status:
            fields += _status_fields(ticket, new_status, now)
        ticket.save(update_fields=list(dict.fromkeys(fields)))

        record_activity(
            ticket,
            ActivityType.NOTE_ADDED if is_internal else ActivityType.REPLIED,
            actor=role.user,
            data={"reply_id": reply.pk}
            | ({"old_status": old_status, "new_status": new_status} if new_status else {}),
        )
        signal = signals.internal_note_added if is_internal else signals.reply_created
        send_after_commit(signal, ticket=ticket, user=role.user, reply=reply)
        if new_status:
            _send_status_signals(ticket, role.user, old_status, new_status, "")
    return reply


# --------------------------------------------------------------------------- rating


def ticket_rate(
    *,
    ticket: Ticket,
    actor: Any,
    rating: int,
    comment: str = "",
    guest_token: str | None = None,
) -> SatisfactionRating:
    """Record the requester's 1-5 satisfaction rating of a resolved or closed ticket."""
    role = _role(ticket, actor, guest_token)
    if not role.is_requester:
        raise NotPermitted("Only the requester may rate this ticket.")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed.field("rating", "Rate from 1 to 5.")
    _refuse_nul("comment", comment)
    with transaction.atomic():
        _lock(ticket)  # rated or reopened meanwhile: the checks below see it
        if ticket.status not in (Status.RESOLVED, Status.CLOSED):
            raise ValidationFailed.field("rating", "Only resolved or closed tickets can be rated.")
        if SatisfactionRating.objects.filter(ticket=ticket).exists():
            raise ValidationFailed.field("rating", "This ticket has already been rated.")
        result = SatisfactionRating.objects.create(
            ticket=ticket, rating=rating, comment=(comment or "").strip(), contact=ticket.requester
        )
        record_activity(ticket, ActivityType.RATED, actor=role.user, data={"rating": rating})
    return result


# --------------------------------------------------------------------------- lookups


def ticket_get(key: str | int) -> Ticket:
    """Fetch by id or reference, or raise ``NotFound``."""
    ticket = Ticket.objects.by_key(key).select_related("requester").first()
    if ticket is None:
        raise NotFound(f"No ticket {key!r}.")
    return ticket
