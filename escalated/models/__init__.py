from escalated.models.choices import (
    OPEN_STATUSES,
    TRANSITIONS,
    ActivityType,
    AuthorType,
    BreachType,
    Channel,
    Priority,
    Status,
)
from escalated.models.people import Contact, Department
from escalated.models.rules import CannedResponse, EscalationFiring, EscalationRule, Macro
from escalated.models.sla import BusinessSchedule, Holiday, SlaPolicy
from escalated.models.tickets import (
    Attachment,
    Reply,
    SatisfactionRating,
    Tag,
    Ticket,
    TicketActivity,
)

__all__ = [
    "OPEN_STATUSES",
    "TRANSITIONS",
    "ActivityType",
    "Attachment",
    "AuthorType",
    "BreachType",
    "BusinessSchedule",
    "CannedResponse",
    "Channel",
    "Contact",
    "Department",
    "EscalationFiring",
    "EscalationRule",
    "Holiday",
    "Macro",
    "Priority",
    "Reply",
    "SatisfactionRating",
    "SlaPolicy",
    "Status",
    "Tag",
    "Ticket",
    "TicketActivity",
]
