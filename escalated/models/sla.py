from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from escalated.conf import table_name
from escalated.models.choices import Priority


def validate_targets(value: Any) -> None:
    """``{"<priority>": hours, …}``: known priorities, positive numbers of hours."""
    if not isinstance(value, dict):
        raise ValidationError("Targets must be an object mapping priority to hours.")
    for key, hours in value.items():
        if key not in Priority.values:
            raise ValidationError(f"Unknown priority {key!r}.")
        if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
            raise ValidationError(f"Target for {key!r} must be a positive number of hours.")


def validate_days(value: Any) -> None:
    """A non-empty list of distinct ISO weekdays (Monday 1 … Sunday 7)."""
    if (
        not isinstance(value, list)
        or not value
        or len(set(value)) != len(value)
        or any(isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7 for d in value)
    ):
        raise ValidationError("Working days must be distinct ISO weekdays from 1 (Mon) to 7 (Sun).")


class BusinessSchedule(models.Model):
    """A working week in a time zone: the hours an SLA clock runs in."""

    name = models.CharField(max_length=120, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    start_time = models.TimeField(default="09:00")
    end_time = models.TimeField(default="17:00")
    days = models.JSONField(default=list, validators=[validate_days])
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = table_name("business_schedules")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="esc_schedule_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A day off: for one schedule, or for every schedule when ``schedule`` is empty."""

    schedule = models.ForeignKey(
        BusinessSchedule, null=True, blank=True, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        db_table = table_name("holidays")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "date"], name="esc_holiday_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class SlaPolicy(models.Model):
    """Per-priority first-response and resolution targets, in hours."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    first_response_hours = models.JSONField(default=dict, validators=[validate_targets])
    resolution_hours = models.JSONField(default=dict, validators=[validate_targets])
    schedule = models.ForeignKey(
        BusinessSchedule,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="policies",
        help_text="Working hours the clock counts in; empty uses the ESCALATED SLA settings.",
    )
    # Set when an edit moved the clock (targets, hours, holidays) until the open tickets'
    # deadlines follow: right after the edit, or in the next check_sla run.
    recompute_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = table_name("sla_policies")
        ordering = ["name"]
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="esc_sla_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def first_response_target(self, priority: str) -> float | None:
        value = self.first_response_hours.get(priority)
        return float(value) if value is not None else None

    def resolution_target(self, priority: str) -> float | None:
        value = self.resolution_hours.get(priority)
        return float(value) if value is not None else None
