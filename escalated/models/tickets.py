from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from escalated.conf import table_name
from escalated.models.choices import (
    OPEN_STATUSES,
    ActivityType,
    AuthorType,
    Channel,
    Priority,
    Status,
)
from escalated.models.people import Contact, Department
from escalated.models.sla import SlaPolicy


def next_due_expression() -> Least:
    """The next running SLA deadline of a ticket (``NULL`` when none runs).

    The first-response deadline until the first agent reply, the resolution deadline
    while the ticket is open: the earlier of the two. Indexed (``esc_ticket_due_idx``)
    for the agent list's "due" sort, which must order by exactly this expression.
    """
    first = Case(
        When(first_response_at__isnull=True, then=F("first_response_due_at")),
        default=Value(None),
    )
    resolution = Case(When(status__in=OPEN_STATUSES, then=F("resolution_due_at")), default=None)
    # LEAST ignores NULLs on PostgreSQL but not on SQLite: coalesce each with the other.
    return Least(Coalesce(first, resolution), Coalesce(resolution, first))


def sla_breached_q() -> Q:
    """Tickets that missed an SLA target (first response or resolution)."""
    return Q(first_response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False)


def sla_at_risk_q(now: datetime) -> Q:
    """Tickets with a running SLA target past its warning moment and not yet missed.

    Per target: a ticket whose first response was missed is still at risk when its
    resolution deadline nears. Each arm is the condition of its partial warning index
    plus the moment, so PostgreSQL ORs two index ranges instead of scanning open tickets.
    """
    first = Q(
        status__in=OPEN_STATUSES,
        first_response_at__isnull=True,
        first_response_breached_at__isnull=True,
        sla_paused_at__isnull=True,
        first_response_warn_at__lte=now,
    )
    resolution = Q(
        status__in=OPEN_STATUSES,
        resolution_breached_at__isnull=True,
        sla_paused_at__isnull=True,
        resolution_warn_at__lte=now,
    )
    return first | resolution


class Tag(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    color = models.CharField(max_length=7, default="#6b7280")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = table_name("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketQuerySet(models.QuerySet["Ticket"]):
    def open(self) -> TicketQuerySet:
        """Tickets that still need work."""
        return self.filter(status__in=OPEN_STATUSES)

    def by_key(self, key: str | int) -> TicketQuerySet:
        """Match a ticket by id or by reference (``42`` or ``"ESC-00042"``)."""
        # ASCII digits only: "²".isdigit() is true, yet int("²") raises.
        if isinstance(key, int) or (isinstance(key, str) and key.isascii() and key.isdigit()):
            return self.filter(pk=int(key))
        return self.filter(reference=str(key))

    def sla_running(self) -> TicketQuerySet:
        """Open tickets whose SLA clock is not paused."""
        return self.open().filter(sla_paused_at__isnull=True)


class Ticket(models.Model):
    """A support request, from a requester, worked by agents."""

    reference = models.CharField(max_length=32, null=True, editable=False)
    subject = models.CharField(max_length=255)
    description = models.TextField()
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(max_length=12, choices=Priority.choices, default=Priority.MEDIUM)
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.WEB)

    # The composite indexes below lead with requester, assignee and department, so the
    # single-column FK indexes Django would add are dropped (fewer indexes to write).
    requester = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_assigned_tickets",
        db_index=False,
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    guest_token = models.CharField(max_length=64, null=True, blank=True, editable=False)
    metadata = models.JSONField(default=dict, blank=True)

    # SLA: deadlines, the moments a warning is due, and markers of what was notified.
    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_warned_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    # Working time each clock stood still while waiting on the customer, and when the
    # resolution clock (re)started: recomputing deadlines keeps both.
    first_response_paused_for = models.DurationField(default=timedelta(0), db_default=timedelta(0))
    resolution_paused_for = models.DurationField(default=timedelta(0), db_default=timedelta(0))
    resolution_started_at = models.DateTimeField(null=True, blank=True)

    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveIntegerField(default=0)
    last_reply_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = TicketQuerySet.as_manager()

    class Meta:
        db_table = table_name("tickets")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("act_as_agent", "Can work tickets as an agent"),
            ("act_as_admin", "Can administer the support desk"),
        ]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="esc_ticket_status_upd_idx"),
            models.Index(fields=["assignee", "status"], name="esc_ticket_assignee_idx"),
            models.Index(fields=["department", "status"], name="esc_ticket_dept_idx"),
            models.Index(fields=["requester", "-created_at"], name="esc_ticket_requester_idx"),
            models.Index(fields=["-created_at"], name="esc_ticket_created_idx"),
            models.Index(fields=["status", "resolved_at"], name="esc_ticket_resolved_idx"),
            # Open tickets that missed a target (the dashboard's "breached", latest first).
            models.Index(
                fields=["-updated_at"],
                condition=Q(status__in=OPEN_STATUSES)
                & (
                    Q(first_response_breached_at__isnull=False)
                    | Q(resolution_breached_at__isnull=False)
                ),
                name="esc_ticket_breached_idx",
            ),
            # The agent list sorted by "due": soonest deadline first, newest first after.
            models.Index(
                next_due_expression(),
                F("created_at").desc(),
                F("id").desc(),
                name="esc_ticket_due_idx",
            ),
            # The SLA sweeps: each reads only tickets still due to be marked. The warning
            # indexes keep warned tickets until they breach: they also serve "at risk"
            # (the dashboard, the list's filter), and a warning write touches no index.
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(
                    status__in=OPEN_STATUSES,
                    first_response_at__isnull=True,
                    first_response_breached_at__isnull=True,
                    sla_paused_at__isnull=True,
                ),
                name="esc_ticket_fr_due_idx",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(
                    status__in=OPEN_STATUSES,
                    resolution_breached_at__isnull=True,
                    sla_paused_at__isnull=True,
                ),
                name="esc_ticket_res_due_idx",
            ),
            models.Index(
                fields=["first_response_warn_at"],
                condition=Q(
                    status__in=OPEN_STATUSES,
                    first_response_at__isnull=True,
                    first_response_breached_at__isnull=True,
                    sla_paused_at__isnull=True,
                ),
                name="esc_ticket_fr_warn_idx",
            ),
            models.Index(
                fields=["resolution_warn_at"],
                condition=Q(
                    status__in=OPEN_STATUSES,
                    resolution_breached_at__isnull=True,
                    sla_paused_at__isnull=True,
                ),
                name="esc_ticket_res_warn_idx",
            ),
        ]
        constraints = [
            # Constraints rather than unique=True: no extra LIKE-pattern index on PostgreSQL.
            models.UniqueConstraint(fields=["reference"], name="esc_ticket_reference_uniq"),
            models.UniqueConstraint(fields=["guest_token"], name="esc_ticket_guest_token_uniq"),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="esc_ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="esc_ticket_priority_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference or '#' + str(self.pk)} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_sla_breached(self) -> bool:
        return (
            self.first_response_breached_at is not None or self.resolution_breached_at is not None
        )

    def next_sla_deadline(self) -> datetime | None:
        """The earliest deadline still running, for countdowns."""
        candidates = []
        if self.first_response_at is None and self.first_response_due_at:
            candidates.append(self.first_response_due_at)
        if self.resolution_due_at and self.is_open:
            candidates.append(self.resolution_due_at)
        return min(candidates) if candidates else None


class Reply(models.Model):
    """A public reply on a ticket, or an internal note agents alone see."""

    # Indexed by (ticket, created_at) below; no separate FK index to write.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="replies", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_replies",
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    author_type = models.CharField(max_length=12, choices=AuthorType.choices)
    body = models.TextField()
    is_internal = models.BooleanField(default=False)
    is_pinned = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = table_name("replies")
        ordering = ["created_at", "id"]
        verbose_name_plural = "replies"
        indexes = [models.Index(fields=["ticket", "created_at"], name="esc_reply_ticket_idx")]

    def __str__(self) -> str:
        return f"{'Note' if self.is_internal else 'Reply'} on {self.ticket_id}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"escalated/attachments/{now:%Y/%m}/{filename}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_upload_to, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127, blank=True)
    size_bytes = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = table_name("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class SatisfactionRating(models.Model):
    """A requester's 1-5 rating of a resolved or closed ticket (CSAT)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = table_name("satisfaction_ratings")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="esc_rating_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.ticket_id}"


class TicketActivity(models.Model):
    """One entry of a ticket's audit timeline."""

    # Indexed by (ticket, created_at) below; no separate FK index to write.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="activities", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    type = models.CharField(max_length=32, choices=ActivityType.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = table_name("ticket_activities")
        ordering = ["created_at", "id"]
        verbose_name_plural = "ticket activities"
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="esc_activity_ticket_idx"),
            models.Index(fields=["created_at"], name="esc_activity_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} on {self.ticket_id}"
