"""The customer portal: a signed-in requester's own tickets.

Only tickets the user requested are reachable here (another user's ticket is a 404,
exactly like a missing one). An agent following a portal link to someone else's
ticket is sent to the agent view of it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from escalated.conf import app_settings
from escalated.exceptions import NotFound
from escalated.models import TRANSITIONS, Channel, Department, SatisfactionRating, Status, Ticket
from escalated.permissions import is_agent
from escalated.props import choices, department_ref, rating_props, reply_props, ticket_props
from escalated.selectors.tickets import (
    CUSTOMER_SCOPES,
    positive_int,
    ticket_get_for_requester,
    ticket_page_for_requester,
    ticket_thread,
    visible_tickets,
)
from escalated.services import tickets as svc
from escalated.services.contacts import contact_for_user
from escalated.views._base import (
    HttpResponseSeeOther,
    by_method,
    done,
    escalated_view,
    page_props,
    parse_form,
    render,
)


def _show_url(ticket: Ticket) -> str:
    return reverse("escalated:customer.tickets.show", args=[ticket.reference or ticket.pk])


def _back_to_ticket(request: HttpRequest, key: str) -> str:
    return reverse("escalated:customer.tickets.show", args=[key])


def _own_ticket(request: HttpRequest, key: str) -> Ticket:
    """The requester's ticket, whole, for a service call."""
    ticket = ticket_get_for_requester(key=key, user=request.user, display=False)
    if ticket is None:
        raise NotFound("Ticket not found.")
    return ticket


def ticket_permissions(ticket: Ticket, *, rated: bool) -> dict[str, bool]:
    """What the requester may do with the ticket now (drives the page's buttons)."""
    status = ticket.status
    legal = TRANSITIONS[status]
    return {
        "can_reply": status != Status.CLOSED,
        "can_close": app_settings.ALLOW_CUSTOMER_CLOSE and Status.CLOSED in legal,
        "can_reopen": status in (Status.RESOLVED, Status.CLOSED) and Status.REOPENED in legal,
        "can_rate": status in (Status.RESOLVED, Status.CLOSED) and not rated,
    }


def requester_ticket_props(ticket: Ticket, *, attachment_url: Any | None = None) -> dict[str, Any]:
    """Props of a requester's ticket page (customer portal and guest link)."""
    thread = ticket_thread(ticket, include_internal=False)
    url_kwargs = {"attachment_url": attachment_url} if attachment_url else {}
    rating = ticket_rating(ticket)
    return {
        "ticket": ticket_props(
            ticket, audience="customer", attachments=thread.ticket_attachments, **url_kwargs
        ),
        "replies": [
            reply_props(
                reply,
                attachments=thread.reply_attachments.get(reply.pk, []),
                audience="customer",
                **url_kwargs,
            )
            for reply in thread.replies
        ],
        "rating": rating_props(rating),
        **ticket_permissions(ticket, rated=rating is not None),
    }


def ticket_rating(ticket: Ticket) -> SatisfactionRating | None:
    """The ticket's CSAT rating (loaded with ``select_related("rating")``), or ``None``."""
    try:
        return ticket.rating
    except SatisfactionRating.DoesNotExist:
        return None


def form_options() -> dict[str, Any]:
    """Pickers of the new-ticket forms (portal and guest)."""
    departments = Department.objects.filter(is_active=True).order_by("name")
    return {
        "departments": [department_ref(d) for d in departments],
        "priorities": choices()["priorities"],
    }


# --------------------------------------------------------------------------- pages


@escalated_view()
def index(request: HttpRequest) -> HttpResponse:
    """My tickets, newest first; ``?scope=open|closed`` and ``?page=``."""
    scope = request.GET.get("scope", "")
    scope = scope if scope in CUSTOMER_SCOPES else ""
    page = ticket_page_for_requester(
        user=request.user, scope=scope, page=positive_int(request.GET.get("page")) or 1
    )
    return render(
        request,
        "Escalated/Customer/Tickets/Index",
        {
            "tickets": page_props(page, lambda t: ticket_props(t, audience="customer")),
            "scope": scope,
        },
    )


@escalated_view()
def create(request: HttpRequest) -> HttpResponse:
    """The new-ticket form."""
    return render(request, "Escalated/Customer/Tickets/Create", form_options())


@escalated_view(
    methods=("POST",), back=lambda request: reverse("escalated:customer.tickets.create")
)
def store(request: HttpRequest) -> HttpResponse:
    """Open a ticket for the signed-in user."""
    form = parse_form(request)
    user = request.user
    ticket = svc.ticket_create(
        actor=user,
        # An agent filing a ticket for themself is its requester too.
        requester=contact_for_user(user=user) if is_agent(user) else None,
        subject=form.text("subject"),
        description=form.text("description"),
        priority=form.text("priority") or None,
        department=form.integer("department") or form.integer("department_id"),
        channel=Channel.WEB,
        attachments=form.uploads(),
    )
    return done(request, _show_url(ticket), success=f"Ticket {ticket.reference} was created.")


tickets = by_method(get=index, post=store)


@escalated_view()
def show(request: HttpRequest, key: str) -> HttpResponse:
    """One of my tickets with its public conversation."""
    ticket = ticket_get_for_requester(key=key, user=request.user)
    if ticket is None:
        if is_agent(request.user):
            found = visible_tickets(request.user).by_key(key).only("pk", "reference").first()
            if found is not None:
                return HttpResponseSeeOther(
                    reverse("escalated:agent.tickets.show", args=[found.reference or found.pk])
                )
        raise NotFound("Ticket not found.")
    return render(request, "Escalated/Customer/Tickets/Show", requester_ticket_props(ticket))


@escalated_view(methods=("POST",), back=_back_to_ticket)
def reply(request: HttpRequest, key: str) -> HttpResponse:
    """Add a public reply (with attachments)."""
    ticket = _own_ticket(request, key)
    form = parse_form(request)
    svc.reply_create(
        ticket=ticket, actor=request.user, body=form.text("body"), attachments=form.uploads()
    )
    return done(request, _show_url(ticket), success="Your reply was sent.")


@escalated_view(methods=("POST",), back=_back_to_ticket)
def close(request: HttpRequest, key: str) -> HttpResponse:
    """Close my ticket (when ``ALLOW_CUSTOMER_CLOSE``)."""
    ticket = _own_ticket(request, key)
    svc.ticket_close(ticket=ticket, actor=request.user)
    return done(request, _show_url(ticket), success="The ticket was closed.")


@escalated_view(methods=("POST",), back=_back_to_ticket)
def reopen(request: HttpRequest, key: str) -> HttpResponse:
    """Reopen my resolved or closed ticket."""
    ticket = _own_ticket(request, key)
    svc.ticket_reopen(ticket=ticket, actor=request.user)
    return done(request, _show_url(ticket), success="The ticket was reopened.")


@escalated_view(methods=("POST",), back=_back_to_ticket)
def rate(request: HttpRequest, key: str) -> HttpResponse:
    """Rate a resolved or closed ticket from 1 to 5 (CSAT)."""
    ticket = _own_ticket(request, key)
    form = parse_form(request)
    svc.ticket_rate(
        ticket=ticket,
        actor=request.user,
        rating=form.integer("rating") or 0,
        comment=form.text("comment"),
    )
    return done(request, _show_url(ticket), success="Thank you for your rating.")
