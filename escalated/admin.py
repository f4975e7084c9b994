from django.contrib import admin

from escalated import models as m


@admin.register(m.Ticket)
class TicketAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("reference", "subject", "status", "priority", "assignee", "created_at")
    list_filter = ("status", "priority", "department")
    search_fields = ("reference", "subject", "requester__email")
    raw_id_fields = ("requester", "assignee")
    readonly_fields = ("reference", "created_at")


for model in (
    m.Contact,
    m.Department,
    m.Tag,
    m.SlaPolicy,
    m.BusinessSchedule,
    m.Holiday,
    m.EscalationRule,
    m.CannedResponse,
    m.Macro,
):
    admin.site.register(model)
