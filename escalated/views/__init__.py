"""Inertia views of the support desk: customer portal, guest link, agent workspace, admin.

Views are thin: parse the request, call a service or selector, build props with
:mod:`escalated.props`. The plumbing (shared props, access, the validation-error round
trip) is in :mod:`escalated.views._base`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from escalated.permissions import is_agent
from escalated.views._base import HttpResponseSeeOther, error_page, escalated_view


@escalated_view()
def home(request: HttpRequest) -> HttpResponse:
    """The desk's start page: the agent dashboard, or the customer's tickets."""
    name = "agent.dashboard" if is_agent(request.user) else "customer.tickets.index"
    return HttpResponseSeeOther(reverse(f"escalated:{name}"))


@escalated_view(methods=("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"), access="guest")
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under the desk: the NotFound page (404)."""
    return error_page(request, 404)
