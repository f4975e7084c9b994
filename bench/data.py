"""Data generator: a realistic support desk of N tickets, loaded with PostgreSQL COPY.

Shape (deterministic for a given N and seed):

- 50 agents (staff users), 6 departments with agents, 20 tags, N/10 contacts;
- one default SLA policy (first response 1-24 h, resolution 4-120 h by priority), no
  schedule: deadlines are in calendar hours, as with ``SLA.BUSINESS_HOURS_ONLY`` off;
- exactly 30% of the tickets open (open, in progress, waiting on either side,
  escalated, reopened), created over the last 14 days; the rest resolved or closed,
  created over the last year;
- SLA fields as the sweep would have left them: every deadline and warning moment
  already past is marked (``*_breached_at`` / ``*_warned_at``), waiting-on-customer
  tickets are paused, and no unmarked moment falls within ``MARGIN`` of the load time,
  so a sweep run during the benchmarks finds nothing due unless a scenario makes it so;
- one ``created`` activity per ticket, 0-3 tags per ticket.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from escalated.models import (
    ActivityType,
    Contact,
    Department,
    EscalationFiring,
    EscalationRule,
    Reply,
    SlaPolicy,
    Status,
    Tag,
    Ticket,
    TicketActivity,
)

SEED = 20260
OPEN_SHARE = 0.30
AGENTS = 50
DEPARTMENTS = ("Billing", "Technical", "Sales", "Accounts", "Shipping", "Partners")
TAG_NAMES = (
    "bug", "feature-request", "refund", "invoice", "login", "password", "outage",
    "integration", "api", "mobile", "onboarding", "cancellation", "upgrade", "vip",
    "shipping-delay", "damaged", "security", "gdpr", "feedback", "urgent-customer",
)  # fmt: skip
FIRST_RESPONSE_HOURS = {"low": 24, "medium": 8, "high": 4, "urgent": 2, "critical": 1}
RESOLUTION_HOURS = {"low": 120, "medium": 48, "high": 24, "urgent": 8, "critical": 4}
WARNING_PERCENT = 80
#: No unmarked SLA moment lies within this much of the load time.
MARGIN = timedelta(hours=6)

PRIORITY_WEIGHTS = {"low": 20, "medium": 45, "high": 22, "urgent": 9, "critical": 4}
OPEN_STATUS_WEIGHTS = {
    Status.OPEN: 55,
    Status.IN_PROGRESS: 18,
    Status.WAITING_ON_CUSTOMER: 5,
    Status.WAITING_ON_AGENT: 10,
    Status.ESCALATED: 5,
    Status.REOPENED: 7,
}
CHANNEL_WEIGHTS = {"web": 50, "email": 30, "api": 12, "guest": 8}
SUBJECTS = (
    "Cannot log in", "Invoice is wrong", "Refund request", "App crashes on start",
    "Where is my order?", "Change of address", "API returns 500", "Upgrade my plan",
    "Password reset mail never arrives", "Feature request: dark mode",
    "Double charged this month", "Export to CSV fails", "Cancel my subscription",
    "Package arrived damaged", "Two-factor code rejected", "Webhook not firing",
)  # fmt: skip
DESCRIPTION = (
    "Hello, since this morning I get an error whenever I try this. I already cleared my "
    "cache and tried another browser. Could you please have a look? Order/account details "
    "are in my profile. Thanks in advance."
)


@dataclass(frozen=True)
class Dataset:
    """What was generated: sizes and the handles scenarios need."""

    tickets: int
    open_tickets: int
    contacts: int
    agent_ids: list[int]
    department_ids: dict[str, int]
    tag_ids: dict[str, int]
    policy_id: int
    loaded_at: datetime
    seconds: float


def _weighted(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    return rng.choices(list(weights), weights=list(weights.values()), k=k)


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Stream ``rows`` into ``table`` with COPY (psycopg 3), bypassing the ORM."""
    with connection.cursor() as cursor:
        sql = f"COPY {connection.ops.quote_name(table)} ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)


def _reset_sequence(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            f"GREATEST((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 1))",
            [table],
        )


def _truncate() -> None:
    """Empty every table the generator fills (a DATABASE_URL database may hold an old run)."""
    User = get_user_model()
    tables = [
        m._meta.db_table
        for m in (
            EscalationFiring,
            EscalationRule,
            TicketActivity,
            Reply,
            Ticket,
            Contact,
            Department,
            Tag,
            SlaPolicy,
            User,
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE"
        )


def generate(n: int, *, seed: int = SEED, log: Any = print) -> Dataset:
    """Fill the (migrated) database with ``n`` tickets and their world; return what was made."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    _truncate()

    # --- people, teams, vocabulary (small: the ORM is fine) ------------------------
    User = get_user_model()
    password = make_password("bench")
    agents = User.objects.bulk_create(
        User(
            username=f"agent{i}",
            email=f"agent{i}@bench.example",
            first_name="Agent",
            last_name=str(i),
            is_staff=True,
            is_active=True,
            password=password,
        )
        for i in range(AGENTS)
    )
    agent_ids = [a.pk for a in agents]
    departments = Department.objects.bulk_create(
        Department(name=name, slug=name.lower()) for name in DEPARTMENTS
    )
    through = Department.agents.through
    through.objects.bulk_create(
        through(department_id=d.pk, user_id=agent_ids[i])
        for i in range(AGENTS)
        for d in [departments[i % len(departments)]]
    )
    tags = Tag.objects.bulk_create(Tag(name=name, slug=name) for name in TAG_NAMES)
    policy = SlaPolicy.objects.create(
        name="Standard",
        is_default=True,
        first_response_hours=FIRST_RESPONSE_HOURS,
        resolution_hours=RESOLUTION_HOURS,
    )

    # --- contacts --------------------------------------------------------------------
    n_contacts = max(1, n // 10)
    _copy(
        Contact._meta.db_table,
        ("id", "email", "name", "created_at"),
        (
            (i, f"customer{i}@bench.example", f"Customer {i}", now - timedelta(days=400))
            for i in range(1, n_contacts + 1)
        ),
    )

    # --- tickets ---------------------------------------------------------------------
    n_open = round(n * OPEN_SHARE)
    open_ids = set(rng.sample(range(1, n + 1), n_open))
    priorities = _weighted(rng, PRIORITY_WEIGHTS, n)
    channels = _weighted(rng, CHANNEL_WEIGHTS, n)
    open_statuses = iter(_weighted(rng, OPEN_STATUS_WEIGHTS, n_open))
    dept_ids = [d.pk for d in departments]
    tag_ids = [t.pk for t in tags]
    margin_end = now + MARGIN

    ticket_rows: list[tuple[Any, ...]] = []
    tag_rows: list[tuple[int, int]] = []
    activity_rows: list[tuple[Any, ...]] = []

    def mark(moment: datetime | None, done: datetime | None) -> datetime | None:
        """When the sweep marked ``moment``: it came before ``done`` (or the margin end)."""
        if moment is None:
            return None
        limit = done if done is not None else margin_end
        if moment > limit:
            return None
        return min(moment + timedelta(seconds=rng.randint(5, 300)), now)

    for pk in range(1, n + 1):
        priority = priorities[pk - 1]
        fr_hours = FIRST_RESPONSE_HOURS[priority]
        res_hours = RESOLUTION_HOURS[priority]
        is_open = pk in open_ids
        status = next(open_statuses) if is_open else None
        if is_open:
            created = now - timedelta(seconds=rng.randint(20 * 60, 14 * 86400))
        else:
            created = now - timedelta(seconds=rng.randint(2 * 86400, 365 * 86400))
        fr_due = created + timedelta(hours=fr_hours)
        fr_warn = created + timedelta(hours=fr_hours * WARNING_PERCENT / 100)
        res_due = created + timedelta(hours=res_hours)
        res_warn = created + timedelta(hours=res_hours * WARNING_PERCENT / 100)

        # First response: always once worked on; half of the brand-new ones are unanswered.
        answered = status != Status.OPEN or rng.random() < 0.5
        first_response = None
        if answered:
            first_response = created + timedelta(
                seconds=rng.randint(60, int(fr_hours * 3600 * 1.3))
            )
            if first_response > now:
                first_response = now - timedelta(seconds=rng.randint(1, 600))
                first_response = max(first_response, created)
        resolved_at = closed_at = escalated_at = paused_at = None
        reopened = 0
        if not is_open:
            resolved_at = created + timedelta(
                seconds=rng.randint(3600, int(res_hours * 3600 * 1.5))
            )
            resolved_at = min(resolved_at, now - timedelta(hours=1))
            recent = resolved_at > now - timedelta(days=7)
            status = Status.RESOLVED if recent and rng.random() < 0.8 else Status.CLOSED
            if status == Status.CLOSED:
                closed_at = min(resolved_at + timedelta(days=7), now)
        elif status == Status.WAITING_ON_CUSTOMER:
            assert first_response is not None
            paused_at = first_response + (now - first_response) * rng.random()
        elif status == Status.ESCALATED:
            escalated_at = created + (now - created) * rng.random()
        elif status == Status.REOPENED:
            reopened = 1

        # A paused clock stopped its deadlines; the sweep never saw what came after.
        sweep_until = paused_at
        fr_done = first_response if first_response is not None else sweep_until
        res_done = resolved_at if resolved_at is not None else sweep_until
        fr_breached = mark(fr_due, fr_done)
        # A breach marks its warning too (the sweep does the same), so ``mark`` of the
        # earlier warning moment is set whenever the breach is.
        fr_warned = mark(fr_warn, fr_done)
        res_breached = mark(res_due, res_done)
        res_warned = mark(res_warn, res_done)

        last_event = max(
            x for x in (created, first_response, resolved_at, closed_at, escalated_at) if x
        )
        assignee = rng.choice(agent_ids) if status != Status.OPEN or rng.random() < 0.3 else None
        department = rng.choice(dept_ids) if rng.random() < 0.9 else None
        channel = channels[pk - 1]
        ticket_rows.append(
            (
                pk,
                f"ESC-{pk:05d}",
                f"{rng.choice(SUBJECTS)} (#{pk})",
                DESCRIPTION,
                status,
                priority,
                channel,
                rng.randint(1, n_contacts),
                assignee,
                department,
                f"bench-guest-{pk}" if channel == "guest" else None,
                "{}",
                policy.pk,
                first_response,
                fr_due,
                fr_warn,
                res_due,
                res_warn,
                fr_warned,
                fr_breached,
                res_warned,
                res_breached,
                paused_at,
                escalated_at,
                resolved_at,
                closed_at,
                reopened,
                first_response or created,
                created,
                last_event,
            )
        )
        for tag_id in rng.sample(tag_ids, rng.choice((0, 0, 1, 1, 1, 2, 3))):
            tag_rows.append((pk, tag_id))
        activity_rows.append(
            (
                pk,
                ActivityType.CREATED,
                json.dumps({"channel": channel, "priority": priority}),
                created,
            )
        )

    _copy(
        Ticket._meta.db_table,
        (
            "id", "reference", "subject", "description", "status", "priority", "channel",
            "requester_id", "assignee_id", "department_id", "guest_token", "metadata",
            "sla_policy_id", "first_response_at", "first_response_due_at",
            "first_response_warn_at", "resolution_due_at", "resolution_warn_at",
            "first_response_warned_at", "first_response_breached_at", "resolution_warned_at",
            "resolution_breached_at", "sla_paused_at", "escalated_at", "resolved_at",
            "closed_at", "reopened_count", "last_reply_at", "created_at", "updated_at",
        ),
        ticket_rows,
    )  # fmt: skip
    tags_table = Ticket.tags.through._meta.db_table
    _copy(tags_table, ("ticket_id", "tag_id"), tag_rows)
    _copy(
        TicketActivity._meta.db_table,
        ("ticket_id", "type", "data", "created_at"),
        activity_rows,
    )
    for model in (Contact, Ticket):
        _reset_sequence(model._meta.db_table)
    vacuum_analyze()
    seconds = time.perf_counter() - started
    log(
        f"generated {n:,} tickets ({n_open:,} open), {n_contacts:,} contacts, "
        f"{len(tag_rows):,} ticket tags, {len(activity_rows):,} activities in {seconds:.1f} s"
    )
    return Dataset(
        tickets=n,
        open_tickets=n_open,
        contacts=n_contacts,
        agent_ids=agent_ids,
        department_ids={d.name: d.pk for d in departments},
        tag_ids={t.slug: t.pk for t in tags},
        policy_id=policy.pk,
        loaded_at=now,
        seconds=seconds,
    )


def vacuum_analyze() -> None:
    """Refresh planner statistics and the visibility map, as autovacuum would in production."""
    tables = [
        m._meta.db_table
        for m in (Contact, Ticket, Ticket.tags.through, TicketActivity, EscalationFiring, Reply)
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
        # Flush the dirty pages now, so a checkpoint triggered by the scenario before
        # does not write them out during the next one's measurement.
        cursor.execute("CHECKPOINT")
