"""Typed builders: model instances -> the JSON shapes the UI (and the REST API) receive.

Pure functions of what they are given: no request, no settings lookups beyond URLs, and
no queries when the caller loaded what the docstring asks for (``select_related`` /
``prefetch_related`` in :mod:`escalated.selectors.tickets`). The shapes are a contract
with the Vue pages (``escalated/frontend/src/types``) and the API serializers; change
them together.

Datetimes are ISO 8601 strings with an offset (``2025-01-31T09:00:00+00:00``) or ``None``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time
from typing import Any, Generic, Literal, TypedDict, TypeVar

from django.db.models import TextChoices
from django.urls import reverse
from django.utils.translation import get_language

from escalated.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Attachment,
    BusinessSchedule,
    CannedResponse,
    Contact,
    Department,
    EscalationRule,
    Macro,
    Priority,
    Reply,
    SatisfactionRating,
    SlaPolicy,
    Status,
    Tag,
    Ticket,
    TicketActivity,
)
from escalated.user_ids import user_id_json

T = TypeVar("T")

#: Who a ticket is shown to. ``customer`` hides what only staff should see (the ticket's
#: metadata and agents' e-mail addresses); the shape stays the same.
Audience = Literal["agent", "customer"]

#: Builds the (permission-checked) download URL of an attachment.
AttachmentUrl = Callable[[Attachment], str]


# --------------------------------------------------------------------------- shapes


class UserRef(TypedDict):
    id: int | str  # the user model's key: a number, or the text of a UUID or text key
    name: str
    email: str


class ActorRef(TypedDict):
    id: int | str
    name: str


class DepartmentRef(TypedDict):
    id: int
    name: str
    slug: str


class SlaPolicyRef(TypedDict):
    id: int
    name: str
    is_default: bool


class TagProps(TypedDict):
    id: int
    name: str
    slug: str
    color: str


class TagWithCount(TagProps):
    ticket_count: int


class AttachmentProps(TypedDict):
    id: int
    name: str
    size_bytes: int
    content_type: str
    url: str


class TicketProps(TypedDict):
    id: int
    reference: str
    subject: str
    description: str
    status: str
    status_display: str
    priority: str
    priority_display: str
    channel: str
    assigned_to: UserRef | None
    department: DepartmentRef | None
    sla_policy: SlaPolicyRef | None
    tags: list[TagProps]
    is_open: bool
    first_response_at: str | None
    first_response_due_at: str | None
    resolution_due_at: str | None
    sla_first_response_breached: bool
    sla_resolution_breached: bool
    sla_paused: bool
    resolved_at: str | None
    closed_at: str | None
    created_at: str
    updated_at: str
    metadata: dict[str, Any]
    attachments: list[AttachmentProps]
    is_guest: bool
    guest_name: str | None
    guest_email: str | None
    requester_name: str
    requester_email: str
    requester: UserRef | None
    last_reply_at: str | None
    last_reply_author: str | None


class ReplyProps(TypedDict):
    id: int
    ticket_id: int
    author: UserRef | None
    author_type: str
    body: str
    is_internal_note: bool
    is_pinned: bool
    attachments: list[AttachmentProps]
    created_at: str
    updated_at: str


class ActivityProps(TypedDict):
    id: int
    type: str
    actor: ActorRef | None
    data: dict[str, Any]
    created_at: str


class RatingProps(TypedDict):
    rating: int
    comment: str
    created_at: str


class Paginated(TypedDict, Generic[T]):
    data: list[T]
    total: int
    per_page: int
    current_page: int
    last_page: int
    #: ``False`` when ``total`` is a lower bound (the count stops at a cap, see
    #: :func:`escalated.selectors.tickets.paginate`).
    total_is_exact: bool


class Option(TypedDict):
    value: str
    label: str


class Choices(TypedDict):
    statuses: list[Option]
    priorities: list[Option]


class DepartmentProps(DepartmentRef):
    description: str
    is_active: bool
    agents: list[UserRef]


class HolidayProps(TypedDict):
    id: int
    date: str
    name: str


class BusinessScheduleProps(TypedDict):
    id: int
    name: str
    timezone: str
    start_time: str
    end_time: str
    days: list[int]
    holidays: list[HolidayProps]


class SlaPolicyProps(TypedDict):
    id: int
    name: str
    description: str
    is_default: bool
    is_active: bool
    first_response_hours: dict[str, float]
    resolution_hours: dict[str, float]
    schedule: BusinessScheduleProps | None


class EscalationRuleProps(TypedDict):
    id: int
    name: str
    description: str
    is_active: bool
    position: int
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    created_at: str
    updated_at: str


class CannedResponseProps(TypedDict):
    id: int
    title: str
    body: str
    category: str
    is_shared: bool


class MacroSummary(TypedDict):
    id: int
    name: str
    description: str


class MacroProps(MacroSummary):
    actions: list[dict[str, Any]]
    is_shared: bool
    position: int


class AuthUser(TypedDict):
    id: int | str
    name: str
    email: str
    is_agent: bool
    is_admin: bool


class AuthProps(TypedDict):
    user: AuthUser | None
    #: Where "Sign out" POSTs (``ESCALATED["LOGOUT_URL"]`` resolved), or ``None``.
    logout_url: str | None


class FlashProps(TypedDict, total=False):
    success: str
    error: str


class EscalatedConfigProps(TypedDict):
    route_prefix: str
    max_attachments: int
    max_attachment_size_kb: int
    allow_customer_close: bool


# --------------------------------------------------------------------------- scalars


@functools.cache
def _labels(vocabulary: type[TextChoices], language: str | None) -> tuple[tuple[str, str], ...]:
    """``(value, translated label)`` of a vocabulary in ``language`` (the active one)."""
    return tuple((str(value), str(label)) for value, label in vocabulary.choices)


@functools.cache
def _label_map(vocabulary: type[TextChoices], language: str | None) -> dict[str, str]:
    return dict(_labels(vocabulary, language))


def _label(vocabulary: type[TextChoices], value: str, language: str | None) -> str:
    """The translated label of ``value`` in ``language`` (the active one): a lazy
    translation costs a gettext per use, and a page of 25 tickets shows 50 labels."""
    return _label_map(vocabulary, language)[value]


def iso(value: datetime | date | time | None) -> str | None:
    """ISO 8601 (datetimes keep their offset), or ``None``."""
    return value.isoformat() if value is not None else None


def _iso(value: datetime) -> str:
    return value.isoformat()


def user_display_name(user: Any) -> str:
    """Full name when the user model has one, else the username."""
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return str(full or user.get_username())


def user_email(user: Any) -> str:
    field = user.get_email_field_name() if hasattr(user, "get_email_field_name") else "email"
    return str(getattr(user, field, "") or "")


# --------------------------------------------------------------------------- refs


def user_ref(user: Any, *, hide_email: bool = False) -> UserRef:
    """``{id, name, email}`` of a host user."""
    return {
        "id": user_id_json(user.pk),
        "name": user_display_name(user),
        "email": "" if hide_email else user_email(user),
    }


def actor_ref(user: Any) -> ActorRef | None:
    if user is None:
        return None
    return {"id": user_id_json(user.pk), "name": user_display_name(user)}


def department_ref(department: Department | None) -> DepartmentRef | None:
    if department is None:
        return None
    return {"id": department.pk, "name": department.name, "slug": department.slug}


def sla_policy_ref(policy: SlaPolicy | None) -> SlaPolicyRef | None:
    if policy is None:
        return None
    return {"id": policy.pk, "name": policy.name, "is_default": policy.is_default}


def tag_props(tag: Tag) -> TagProps:
    return {"id": tag.pk, "name": tag.name, "slug": tag.slug, "color": tag.color}


def tag_with_count(tag: Tag) -> TagWithCount:
    """A tag with its ``ticket_count`` annotation (``Count("tickets")``)."""
    return {**tag_props(tag), "ticket_count": int(getattr(tag, "ticket_count", 0))}


def attachment_download_url(attachment: Attachment) -> str:
    """The permission-checked download URL for signed-in users."""
    return reverse("escalated:attachments.download", args=[attachment.pk])


def guest_attachment_url(token: str) -> AttachmentUrl:
    """Download URLs that carry a guest's secret token instead of a login."""
    return lambda attachment: reverse(
        "escalated:guest.attachments.download", args=[token, attachment.pk]
    )


def attachment_props(
    attachment: Attachment, *, url: AttachmentUrl = attachment_download_url
) -> AttachmentProps:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "size_bytes": int(attachment.size_bytes),
        "content_type": attachment.content_type,
        "url": url(attachment),
    }


# --------------------------------------------------------------------------- tickets


def _requester_ref(contact: Contact) -> UserRef | None:
    if contact.user_id is None:
        return None
    return {
        "id": user_id_json(contact.user_id),
        "name": contact.display_name,
        "email": contact.email,
    }


def _last_reply_author(ticket: Ticket) -> str | None:
    if hasattr(ticket, "last_reply_author_name"):
        value = ticket.last_reply_author_name
        return str(value) if value else None
    # Without the selector's annotation: one query (fine for a single ticket).
    reply = (
        ticket.replies.filter(is_internal=False)
        .select_related("author", "contact")
        .order_by("-created_at", "-id")
        .first()
    )
    if reply is None:
        return None
    if reply.author is not None:
        return user_display_name(reply.author)
    return reply.contact.display_name if reply.contact is not None else None


def ticket_props(
    ticket: Ticket,
    *,
    audience: Audience = "agent",
    attachments: Sequence[Attachment] | None = None,
    tags: Sequence[Tag] | None = None,
    attachment_url: AttachmentUrl = attachment_download_url,
) -> TicketProps:
    """The ticket as every page and the API see it.

    Load with ``select_related("requester", "assignee", "department", "sla_policy")``,
    the tags (``prefetch_related("tags")`` or a list in ``ticket.ticket_tags``), the
    ticket-level attachments in ``ticket.ticket_attachments`` (or pass ``attachments``)
    and the ``last_reply_author_name`` annotation —
    :func:`escalated.selectors.tickets.ticket_display_list` and ``with_ticket_props``
    do all of it. ``tags`` overrides the loaded tags.

    ``requester`` is the requester's host user (``None`` for guests: contacts without an
    account); its name and e-mail are the contact's. ``last_reply_author`` names the
    author of the last *public* reply.
    """
    contact = ticket.requester
    if attachments is None:
        attachments = getattr(ticket, "ticket_attachments", None)
        if attachments is None:
            attachments = list(ticket.attachments.filter(reply__isnull=True))
    if tags is None:
        tags = getattr(ticket, "ticket_tags", None)
    tag_list = list(tags) if tags is not None else list(ticket.tags.all())
    is_guest = contact.is_guest
    hide = audience == "customer"
    language = get_language()
    return {
        "id": ticket.pk,
        "reference": ticket.reference or str(ticket.pk),
        "subject": ticket.subject,
        "description": ticket.description,
        "status": ticket.status,
        "status_display": _label(Status, ticket.status, language),
        "priority": ticket.priority,
        "priority_display": _label(Priority, ticket.priority, language),
        "channel": ticket.channel,
        "assigned_to": user_ref(ticket.assignee, hide_email=hide) if ticket.assignee else None,
        "department": department_ref(ticket.department),
        "sla_policy": sla_policy_ref(ticket.sla_policy),
        "tags": [tag_props(t) for t in tag_list],
        "is_open": ticket.status in OPEN_STATUSES,
        "first_response_at": iso(ticket.first_response_at),
        "first_response_due_at": iso(ticket.first_response_due_at),
        "resolution_due_at": iso(ticket.resolution_due_at),
        "sla_first_response_breached": ticket.first_response_breached_at is not None,
        "sla_resolution_breached": ticket.resolution_breached_at is not None,
        "sla_paused": ticket.sla_paused_at is not None,
        "resolved_at": iso(ticket.resolved_at),
        "closed_at": iso(ticket.closed_at),
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "metadata": {} if hide else dict(ticket.metadata or {}),
        "attachments": [attachment_props(a, url=attachment_url) for a in attachments],
        "is_guest": is_guest,
        "guest_name": (contact.name or None) if is_guest else None,
        "guest_email": contact.email if is_guest else None,
        "requester_name": contact.display_name,
        "requester_email": contact.email,
        "requester": _requester_ref(contact),
        "last_reply_at": iso(ticket.last_reply_at),
        "last_reply_author": _last_reply_author(ticket),
    }


def reply_props(
    reply: Reply,
    *,
    attachments: Sequence[Attachment] = (),
    audience: Audience = "agent",
    attachment_url: AttachmentUrl = attachment_download_url,
) -> ReplyProps:
    """A reply or internal note; load with ``select_related("author")``.

    ``author`` is the host user who wrote it, ``None`` for guests and the system.
    """
    author = reply.author
    hide = audience == "customer" and reply.author_type == "agent"
    return {
        "id": reply.pk,
        "ticket_id": reply.ticket_id,
        "author": user_ref(author, hide_email=hide) if author is not None else None,
        "author_type": reply.author_type,
        "body": reply.body,
        "is_internal_note": reply.is_internal,
        "is_pinned": reply.is_pinned,
        "attachments": [attachment_props(a, url=attachment_url) for a in attachments],
        "created_at": _iso(reply.created_at),
        "updated_at": _iso(reply.updated_at),
    }


def activity_props(activity: TicketActivity) -> ActivityProps:
    """One timeline entry; load with ``select_related("actor")``."""
    return {
        "id": activity.pk,
        "type": activity.type,
        "actor": actor_ref(activity.actor),
        "data": dict(activity.data or {}),
        "created_at": _iso(activity.created_at),
    }


def rating_props(rating: SatisfactionRating | None) -> RatingProps | None:
    if rating is None:
        return None
    return {
        "rating": rating.rating,
        "comment": rating.comment,
        "created_at": _iso(rating.created_at),
    }


def paginated(
    items: Iterable[T], *, total: int, per_page: int, current_page: int, exact: bool = True
) -> Paginated[T]:
    """``{data, total, per_page, current_page, last_page, total_is_exact}``."""
    last_page = max(1, -(-total // per_page)) if per_page else 1
    return {
        "data": list(items),
        "total": total,
        "per_page": per_page,
        "current_page": current_page,
        "last_page": last_page,
        "total_is_exact": exact,
    }


# --------------------------------------------------------------------------- vocabularies


def choices() -> Choices:
    """Statuses and priorities with their (translated) labels."""
    return {
        "statuses": [{"value": v, "label": label} for v, label in _labels(Status, get_language())],
        "priorities": [
            {"value": v, "label": label} for v, label in _labels(Priority, get_language())
        ],
    }


def allowed_statuses(ticket: Ticket) -> list[str]:
    """Statuses the ticket may move to now, in the vocabulary's order."""
    legal = TRANSITIONS[ticket.status]
    return [s for s in Status.values if s in legal]


# --------------------------------------------------------------------------- admin entities


def department_props(department: Department) -> DepartmentProps:
    """A department with its agents (``prefetch_related("agents")``)."""
    return {
        "id": department.pk,
        "name": department.name,
        "slug": department.slug,
        "description": department.description,
        "is_active": department.is_active,
        "agents": sorted(
            (user_ref(u) for u in department.agents.all()), key=lambda u: u["name"].lower()
        ),
    }


def business_schedule_props(schedule: BusinessSchedule) -> BusinessScheduleProps:
    """A working week with its holidays (``prefetch_related("holidays")``)."""
    return {
        "id": schedule.pk,
        "name": schedule.name,
        "timezone": schedule.timezone,
        "start_time": _clock(schedule.start_time),
        "end_time": _clock(schedule.end_time),
        "days": [int(d) for d in schedule.days],
        "holidays": [
            {"id": h.pk, "date": h.date.isoformat(), "name": h.name}
            for h in schedule.holidays.all()
        ],
    }


def _clock(value: time | str) -> str:
    return value.strftime("%H:%M") if isinstance(value, time) else str(value)[:5]


def sla_policy_props(policy: SlaPolicy) -> SlaPolicyProps:
    """A policy with its schedule (``select_related("schedule")`` and the holidays)."""
    return {
        "id": policy.pk,
        "name": policy.name,
        "description": policy.description,
        "is_default": policy.is_default,
        "is_active": policy.is_active,
        "first_response_hours": dict(policy.first_response_hours or {}),
        "resolution_hours": dict(policy.resolution_hours or {}),
        "schedule": business_schedule_props(policy.schedule) if policy.schedule else None,
    }


def escalation_rule_props(rule: EscalationRule) -> EscalationRuleProps:
    return {
        "id": rule.pk,
        "name": rule.name,
        "description": rule.description,
        "is_active": rule.is_active,
        "position": rule.position,
        "conditions": list(rule.conditions or []),
        "actions": list(rule.actions or []),
        "created_at": _iso(rule.created_at),
        "updated_at": _iso(rule.updated_at),
    }


def canned_response_props(canned: CannedResponse) -> CannedResponseProps:
    return {
        "id": canned.pk,
        "title": canned.title,
        "body": canned.body,
        "category": canned.category,
        "is_shared": canned.is_shared,
    }


def macro_summary(macro: Macro) -> MacroSummary:
    return {"id": macro.pk, "name": macro.name, "description": macro.description}


def macro_props(macro: Macro) -> MacroProps:
    return {
        **macro_summary(macro),
        "actions": list(macro.actions or []),
        "is_shared": macro.is_shared,
        "position": macro.position,
    }
