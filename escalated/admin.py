import zoneinfo
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from escalated import models as m
from escalated.services.sla import sla_recompute_request


@admin.register(m.Ticket)
class TicketAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("reference", "subject", "status", "priority", "assignee", "created_at")
    list_filter = ("status", "priority", "department")
    search_fields = ("reference", "subject", "requester__email")
    raw_id_fields = ("requester", "assignee")
    readonly_fields = ("reference", "created_at")


# Edits of what SLA clocks count in ask for the open tickets' deadlines to follow, as
# the support desk's own admin pages do (see escalated.services.sla.sla_recompute).


def _policies_of(schedule_ids: set[int | None]) -> list[int] | None:
    if None in schedule_ids:
        return None  # a holiday of every schedule: every policy
    return list(
        m.SlaPolicy.objects.filter(schedule_id__in=schedule_ids).values_list("pk", flat=True)
    )


@admin.register(m.SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "is_default", "is_active", "schedule")
    exclude = ("recompute_requested_at",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        clock = {"first_response_hours", "resolution_hours", "schedule"}
        if change and clock & set(form.changed_data):
            sla_recompute_request(policy_ids=[obj.pk], actor=request.user)


class BusinessScheduleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = m.BusinessSchedule
        fields = ("name", "timezone", "start_time", "end_time", "days")

    def clean_timezone(self) -> str:
        # The support desk's own form checks it too: a schedule that cannot be read
        # leaves its policies' SLA clocks counting calendar time.
        value = str(self.cleaned_data["timezone"]).strip()
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(f"Unknown time zone {value!r}.") from None
        return value


@admin.register(m.BusinessSchedule)
class BusinessScheduleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "timezone", "start_time", "end_time")
    form = BusinessScheduleForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and {"timezone", "start_time", "end_time", "days"} & set(form.changed_data):
            sla_recompute_request(policy_ids=_policies_of({obj.pk}), actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        ids = _policies_of({obj.pk})
        super().delete_model(request, obj)
        sla_recompute_request(policy_ids=ids, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        ids = _policies_of(set(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)
        sla_recompute_request(policy_ids=ids, actor=request.user)


@admin.register(m.Holiday)
class HolidayAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("date", "name", "schedule")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = form.initial.get("schedule") if change else obj.schedule_id
        super().save_model(request, obj, form, change)
        if not change or {"date", "schedule"} & set(form.changed_data):
            ids = _policies_of({obj.schedule_id, before})
            sla_recompute_request(policy_ids=ids, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        schedule_id = obj.schedule_id
        super().delete_model(request, obj)
        sla_recompute_request(policy_ids=_policies_of({schedule_id}), actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        ids = _policies_of(set(queryset.values_list("schedule_id", flat=True)))
        super().delete_queryset(request, queryset)
        sla_recompute_request(policy_ids=ids, actor=request.user)


for model in (
    m.Contact,
    m.Department,
    m.Tag,
    m.EscalationRule,
    m.CannedResponse,
    m.Macro,
):
    admin.site.register(model)
