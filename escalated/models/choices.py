"""Vocabularies of the ticket domain (DESIGN.md §4)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
    WAITING_ON_AGENT = "waiting_on_agent", _("Waiting on agent")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


#: Statuses in which a ticket still needs work (and an SLA clock may run).
OPEN_STATUSES: tuple[str, ...] = (
    Status.OPEN,
    Status.IN_PROGRESS,
    Status.WAITING_ON_CUSTOMER,
    Status.WAITING_ON_AGENT,
    Status.ESCALATED,
    Status.REOPENED,
)

_WORKING = (
    Status.IN_PROGRESS,
    Status.WAITING_ON_CUSTOMER,
    Status.WAITING_ON_AGENT,
    Status.ESCALATED,
    Status.RESOLVED,
    Status.CLOSED,
)

#: The allowed status transitions: ``TRANSITIONS[old]`` is the set of legal new statuses.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset(_WORKING),
    Status.IN_PROGRESS: frozenset(_WORKING) - {Status.IN_PROGRESS},
    Status.WAITING_ON_CUSTOMER: frozenset(_WORKING) - {Status.WAITING_ON_CUSTOMER},
    Status.WAITING_ON_AGENT: frozenset(_WORKING) - {Status.WAITING_ON_AGENT},
    Status.ESCALATED: frozenset(_WORKING) - {Status.ESCALATED},
    Status.REOPENED: frozenset(_WORKING),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.CLOSED: frozenset({Status.REOPENED}),
}


def statuses_that_can_become(status: str) -> tuple[str, ...]:
    """Every status from which ``status`` is a legal transition."""
    return tuple(old for old, new in TRANSITIONS.items() if status in new)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")
    CRITICAL = "critical", _("Critical")


#: Rank of each priority, lowest first (for sorting and "at least" conditions).
PRIORITY_RANK: dict[str, int] = {p: i for i, p in enumerate(Priority.values)}


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    GUEST = "guest", _("Guest")
    API = "api", _("API")
    EMAIL = "email", _("E-mail")
    SYNC = "sync", _("Sync")


class AuthorType(models.TextChoices):
    AGENT = "agent", _("Agent")
    CUSTOMER = "customer", _("Customer")
    SYSTEM = "system", _("System")


class ActivityType(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    UNASSIGNED = "unassigned", _("Unassigned")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    DEPARTMENT_CHANGED = "department_changed", _("Department changed")
    REPLIED = "replied", _("Replied")
    NOTE_ADDED = "note_added", _("Internal note added")
    TAG_ADDED = "tag_added", _("Tag added")
    TAG_REMOVED = "tag_removed", _("Tag removed")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    SLA_WARNING = "sla_warning", _("SLA at risk")
    SLA_POLICY_CHANGED = "sla_policy_changed", _("SLA policy changed")
    SLA_RECOMPUTED = "sla_recomputed", _("SLA deadlines recalculated")
    RULE_FIRED = "rule_fired", _("Escalation rule fired")
    MACRO_APPLIED = "macro_applied", _("Macro applied")
    RATED = "rated", _("Rated")


class BreachType(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")
