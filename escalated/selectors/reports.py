"""Numbers of the admin reports page: volume, mix, SLA and satisfaction.

Each figure is one aggregate query over an indexed range (``created_at``,
``resolved_at``) or a ``GROUP BY`` of a small column; nothing loads ticket rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from escalated.models import OPEN_STATUSES, Priority, SatisfactionRating, Status, Ticket

DEFAULT_DAYS = 30


@dataclass(frozen=True, slots=True)
class ReportOverview:
    """Everything the reports page shows, for the ``days`` days ending today."""

    start: date
    end: date
    days: int
    labels: list[str]
    created_per_day: list[int]
    resolved_per_day: list[int]
    totals: dict[str, Any]
    by_status: list[dict[str, Any]]
    by_priority: list[dict[str, Any]]
    by_agent: list[dict[str, Any]]


def _hours(value: timedelta | float | int | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return round(value.total_seconds() / 3600, 2)
    # Some backends return the average of a duration as microseconds.
    return round(float(value) / 3_600_000_000, 2)


def _per_day(qs: Any, field: str, start: date, days: int) -> list[int]:
    rows = (
        qs.annotate(day=TruncDate(field))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "n")
    )
    counts = {(d if isinstance(d, date) else date.fromisoformat(str(d))): n for d, n in rows}
    return [counts.get(start + timedelta(days=i), 0) for i in range(days)]


def report_overview(*, days: int = DEFAULT_DAYS, now: datetime | None = None) -> ReportOverview:
    """Tickets created and resolved per day, status and priority mix, SLA and CSAT.

    - ``created_per_day`` / ``resolved_per_day``: per local calendar day;
    - ``totals``: created and resolved in the range, open now, SLA-breached among the
      range's tickets, ``sla_breach_rate`` (breached / created with an SLA policy, or
      ``None``), mean first-response and resolution time in hours, CSAT average (1-5)
      and count of the ratings given in the range;
    - ``by_status`` / ``by_priority``: all tickets now, every value listed;
    - ``by_agent``: tickets of the range per assignee (``agent`` is the user, or
      ``None`` for unassigned), the 20 busiest.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    start = today - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, datetime.min.time(), tzinfo=tz)

    created = Ticket.objects.filter(created_at__gte=since)
    resolved = Ticket.objects.filter(resolved_at__gte=since)

    summary = created.aggregate(
        created=Count("pk"),
        with_sla=Count("pk", filter=Q(sla_policy__isnull=False)),
        breached=Count(
            "pk",
            filter=Q(first_response_breached_at__isnull=False)
            | Q(resolution_breached_at__isnull=False),
        ),
        first_response=Avg(
            ExpressionWrapper(F("first_response_at") - F("created_at"), DurationField()),
            filter=Q(first_response_at__isnull=False),
        ),
    )
    resolution = resolved.aggregate(
        n=Count("pk"),
        avg=Avg(ExpressionWrapper(F("resolved_at") - F("created_at"), DurationField())),
    )
    csat = SatisfactionRating.objects.filter(created_at__gte=since).aggregate(
        avg=Avg("rating"), n=Count("pk")
    )
    status_counts = dict(Ticket.objects.order_by().values_list("status").annotate(n=Count("pk")))
    priority_counts = dict(
        Ticket.objects.order_by().values_list("priority").annotate(n=Count("pk"))
    )
    agent_query = (
        created.order_by()
        .values("assignee")
        .annotate(
            assigned=Count("pk"),
            resolved=Count("pk", filter=Q(status__in=(Status.RESOLVED, Status.CLOSED))),
        )
        .order_by("-assigned")[:20]
    )
    agent_rows = list(agent_query)
    agent_ids = [r["assignee"] for r in agent_rows if r["assignee"] is not None]
    users = {u.pk: u for u in get_user_model()._default_manager.filter(pk__in=agent_ids)}

    open_now = sum(n for s, n in status_counts.items() if s in OPEN_STATUSES)
    with_sla = summary["with_sla"] or 0
    return ReportOverview(
        start=start,
        end=today,
        days=days,
        labels=[(start + timedelta(days=i)).isoformat() for i in range(days)],
        created_per_day=_per_day(created, "created_at", start, days),
        resolved_per_day=_per_day(resolved, "resolved_at", start, days),
        totals={
            "created": summary["created"],
            "resolved": resolution["n"],
            "open": open_now,
            "sla_breached": summary["breached"],
            "sla_breach_rate": round(summary["breached"] / with_sla, 4) if with_sla else None,
            "avg_first_response_hours": _hours(summary["first_response"]),
            "avg_resolution_hours": _hours(resolution["avg"]),
            "csat_average": round(float(csat["avg"]), 2) if csat["avg"] is not None else None,
            "csat_count": csat["n"],
        },
        by_status=[
            {"status": value, "label": str(label), "count": status_counts.get(value, 0)}
            for value, label in Status.choices
        ],
        by_priority=[
            {"priority": value, "label": str(label), "count": priority_counts.get(value, 0)}
            for value, label in Priority.choices
        ],
        by_agent=[
            {
                "agent": users.get(r["assignee"]),
                "assigned": r["assigned"],
                "resolved": r["resolved"],
            }
            for r in agent_rows
        ],
    )
