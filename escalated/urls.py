"""URLs of the support desk: ``path("support/", include("escalated.urls"))``.

Every name lives in the ``escalated`` namespace (``reverse("escalated:agent.tickets.index")``).
Tickets are addressed by id or reference (``tickets/42/`` or ``tickets/ESC-00042/``).
The paths match the frontend's table in ``frontend/src/lib/routes.ts``.
"""

from django.urls import URLPattern, URLResolver, path, re_path

from escalated import views
from escalated.views import admin, agent, attachments, customer, guest

app_name = "escalated"

_ticket = "<str:key>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    # customer portal
    path("tickets/", customer.tickets, name="customer.tickets.index"),
    path("tickets/", customer.tickets, name="customer.tickets.store"),
    path("tickets/create/", customer.create, name="customer.tickets.create"),
    path(f"tickets/{_ticket}", customer.show, name="customer.tickets.show"),
    path(f"tickets/{_ticket}reply/", customer.reply, name="customer.tickets.reply"),
    path(f"tickets/{_ticket}close/", customer.close, name="customer.tickets.close"),
    path(f"tickets/{_ticket}reopen/", customer.reopen, name="customer.tickets.reopen"),
    path(f"tickets/{_ticket}rate/", customer.rate, name="customer.tickets.rate"),
    # guests: a public form, then the ticket's secret link
    path("guest/", guest.submit, name="guest.create"),
    path("guest/", guest.submit, name="guest.store"),
    path("guest/<str:token>/", guest.show, name="guest.show"),
    path("guest/<str:token>/reply/", guest.reply, name="guest.reply"),
    path("guest/<str:token>/close/", guest.close, name="guest.close"),
    path("guest/<str:token>/reopen/", guest.reopen, name="guest.reopen"),
    path("guest/<str:token>/rate/", guest.rate, name="guest.rate"),
    path(
        "guest/<str:token>/attachments/<int:attachment_id>/",
        guest.download,
        name="guest.attachments.download",
    ),
    # agent workspace
    path("agent/", agent.dashboard, name="agent.dashboard"),
    path("agent/tickets/", agent.index, name="agent.tickets.index"),
    path("agent/tickets/bulk/", agent.bulk, name="agent.tickets.bulk"),
    path(f"agent/tickets/{_ticket}", agent.show, name="agent.tickets.show"),
    path(f"agent/tickets/{_ticket}reply/", agent.reply, name="agent.tickets.reply"),
    path(f"agent/tickets/{_ticket}note/", agent.note, name="agent.tickets.note"),
    path(f"agent/tickets/{_ticket}assign/", agent.assign, name="agent.tickets.assign"),
    path(f"agent/tickets/{_ticket}unassign/", agent.unassign, name="agent.tickets.unassign"),
    path(f"agent/tickets/{_ticket}status/", agent.status, name="agent.tickets.status"),
    path(f"agent/tickets/{_ticket}priority/", agent.priority, name="agent.tickets.priority"),
    path(f"agent/tickets/{_ticket}department/", agent.department, name="agent.tickets.department"),
    path(f"agent/tickets/{_ticket}tags/", agent.tags, name="agent.tickets.tags"),
    path(f"agent/tickets/{_ticket}macro/", agent.macro, name="agent.tickets.macro"),
    # admin area
    path("admin/", admin.index, name="admin.index"),
    path("admin/reports/", admin.reports, name="admin.reports"),
    *(pattern for resource in admin.RESOURCES for pattern in admin.resource_urls(resource)),
    # downloads (permission-checked)
    path("attachments/<int:attachment_id>/", attachments.download, name="attachments.download"),
    # anything else under the desk (with a trailing slash, so APPEND_SLASH still works)
    re_path(r"^(?P<rest>.+/)$", views.not_found, name="not_found"),
]
