"""The agent workspace: dashboard, ticket list with bulk actions, ticket detail.

Every write goes through a service in :mod:`escalated.services`; these views only
parse the input, pick the ticket (with the shared visibility rule) and build props.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from escalated import notifications
from escalated.conf import app_settings
from escalated.exceptions import EscalatedError, ValidationFailed
from escalated.models import Macro, Priority, Status, Tag, Ticket
from escalated.props import (
    activity_props,
    allowed_statuses,
    canned_response_props,
    choices,
    department_ref,
    macro_summary,
    rating_props,
    reply_props,
    tag_props,
    ticket_props,
    user_ref,
)
from escalated.selectors.pickers import pickers_load
from escalated.selectors.tickets import (
    agent_dashboard,
    ticket_filters_from_query,
    ticket_get_for_user,
    ticket_get_visible,
    ticket_page_for_agent,
    ticket_thread,
)
from escalated.services import tickets as svc
from escalated.services.macros import macro_apply
from escalated.views._base import (
    done,
    escalated_view,
    first_messages,
    flash,
    page_props,
    parse_form,
    redirect_back,
    render,
)
from escalated.views.customer import ticket_rating

#: The most tickets one bulk action may touch.
BULK_LIMIT: Final = 500


def _show_url(ticket: Ticket) -> str:
    return reverse("escalated:agent.tickets.show", args=[ticket.reference or ticket.pk])


def _back_to_ticket(request: HttpRequest, key: str) -> str:
    return reverse("escalated:agent.tickets.show", args=[key])


def _ticket(request: HttpRequest, key: str) -> Ticket:
    """The whole ticket row, for a service call (same visibility rule as the pages)."""
    return ticket_get_visible(key=key, user=request.user)


def _warning_percent() -> int:
    return app_settings.SLA_WARNING_THRESHOLD_PERCENT


# --------------------------------------------------------------------------- pages


@escalated_view(access="agent")
def dashboard(request: HttpRequest) -> HttpResponse:
    """My open tickets, unassigned, breaching soon, breached, resolved today."""
    board = agent_dashboard(user=request.user)
    return render(
        request,
        "Escalated/Agent/Dashboard",
        {
            "counts": board.counts,
            **{name: [ticket_props(t) for t in items] for name, items in board.lists.items()},
            "sla_warning_percent": _warning_percent(),
        },
    )


@escalated_view(access="agent")
def index(request: HttpRequest) -> HttpResponse:
    """All tickets: search, filters, sort and page from the query string.

    Unknown filter values are ignored (the normalised ``filters`` prop says what was
    applied); a page past the end shows the last page.
    """
    filters = ticket_filters_from_query(request.GET)
    page = ticket_page_for_agent(user=request.user, filters=filters)
    pickers = pickers_load(user=request.user, kinds={"agents", "departments", "tags"})
    return render(
        request,
        "Escalated/Agent/Tickets/Index",
        {
            "tickets": page_props(page, ticket_props),
            "filters": filters.with_page(page.current_page).as_props(),
            "agents": [user_ref(u) for u in pickers.agents],
            "departments": [department_ref(d) for d in pickers.departments],
            "tags": [tag_props(t) for t in pickers.tags],
            "choices": choices(),
            "sla_warning_percent": _warning_percent(),
        },
    )


@escalated_view(access="agent")
def show(request: HttpRequest, key: str) -> HttpResponse:
    """One ticket with replies and notes, timeline, attachments and the pickers."""
    ticket = ticket_get_for_user(key=key, user=request.user, tags=False)
    thread = ticket_thread(ticket, include_internal=True, activities=True)
    pickers = pickers_load(user=request.user, ticket=ticket)
    return render(
        request,
        "Escalated/Agent/Tickets/Show",
        {
            "ticket": ticket_props(
                ticket, attachments=thread.ticket_attachments, tags=pickers.ticket_tags
            ),
            "replies": [
                reply_props(r, attachments=thread.reply_attachments.get(r.pk, []))
                for r in thread.replies
            ],
            "activities": [activity_props(a) for a in thread.activities],
            "rating": rating_props(ticket_rating(ticket)),
            "agents": [user_ref(u) for u in pickers.agents],
            "departments": [department_ref(d) for d in pickers.departments],
            "tags": [tag_props(t) for t in pickers.tags],
            "canned_responses": [canned_response_props(c) for c in pickers.canned_responses],
            "macros": [macro_summary(m) for m in pickers.macros],
            "choices": choices(),
            "allowed_statuses": allowed_statuses(ticket),
            "sla_warning_percent": _warning_percent(),
        },
    )


# --------------------------------------------------------------------------- ticket actions


def _post_reply(request: HttpRequest, key: str, *, internal: bool | None) -> HttpResponse:
    ticket = _ticket(request, key)
    form = parse_form(request)
    is_internal = (
        internal
        if internal is not None
        else form.flag("is_internal_note") or form.flag("is_internal")
    )
    svc.reply_create(
        ticket=ticket,
        actor=request.user,
        body=form.text("body"),
        is_internal=is_internal,
        attachments=form.uploads(),
    )
    return done(request, _show_url(ticket), success="Note added." if is_internal else "Reply sent.")


@escalated_view(methods=("POST",), access="agent", back=_back_to_ticket)
def reply(request: HttpRequest, key: str) -> HttpResponse:
    """A public reply, or an internal note with ``is_internal_note: true``."""
    return _post_reply(request, key, internal=None)


@escalated_view(methods=("POST",), access="agent", back=_back_to_ticket)
def note(request: HttpRequest, key: str) -> HttpResponse:
    """An internal note (agents only ever see it)."""
    return _post_reply(request, key, internal=True)


def _agent_from(agent_id: Any, field: str) -> Any:
    user_model = get_user_model()
    agent = user_model._default_manager.filter(pk=agent_id, is_active=True).first()
    if agent is None:
        raise ValidationFailed.field(field, "Unknown agent.")
    return agent


def _rename(exc: EscalatedError, mapping: dict[str, str]) -> EscalatedError:
    exc.errors = {mapping.get(k, k): v for k, v in exc.errors.items()}
    return exc


@escalated_view(methods=("POST",), access="agent", back=_back_to_ticket)
def assign(request: HttpRequest, key: str) -> HttpResponse:
    """Assign to ``agent_id`` (``"me"`` for oneself; empty or null unassigns)."""
    ticket = _ticket(request, key)
    form = parse_form(request)
    field = "agent_id" if form.has("agent_id") or not form.has("agent") else "agent"
    if form.text(field).strip().lower() == "me":
        agent = request.user
    else:
        agent_id = form.user_id(field)
        if agent_id is None:
            svc.ticket_unassign(ticket=ticket, actor=request.user)
            return done(request, _show_url(ticket), success="The ticket is unassigned.")
        agent = _agent_from(agent_id, field)
    try:
        svc.ticket_assign(ticket=ticket, actor=request.user, agent=agent)
    except ValidationFailed as exc:
        raise _rename(exc, {"agent": field}) from exc
    return done(request, _show_url(ticket), success=f"Assigned to {user_ref(agent)['name']}.")


@escalated_view(methods=("POST",), access="agent", back=_back_to_ticket)
def unassign(request: HttpRequest, key: str) -> HttpResponse:
    """Remove the assignee."""
    ticket = _ticket(request, key)
    svc.ticket_unassign(ticket=ticket, actor=request.user)
    return done(request, _show_url(ticket), success="The ticket is unassigned.")


@escalated_view(methods=("POST",), access="agent", back=_back_to_ticket)
def status(request: HttpRequest, key: str) -> HttpResponse:
    """Move the ticket to ``status`` (the transition table decides)."""
    ticket = _ticket(request, key)
    form = parse_form(request)
    svc.ticket_change_status(
        ticket=ticket, actor=request.user, status=form.text("status"), reason=form.text("reason")
    )
    return done(request, _show_url(ticket), success=f"Status is now {Status(ticket.status).label}.")


@escalated_view(methods=("POST",), access="agent", back=_back_to_ticket)
def priority(request: HttpRequest, key: str) -> HttpResponse:
    """Change the priority (SLA deadlines follow)."""
    ticket = _ticket(request, key)
    form = parse_form(request)
    svc.ticket_change_priority(ticket=ticket, actor=request.user, priority=form.text("priority"))
    return done(
        request, _show_url(ticket), success=f"Priority is now {Priority(ticket.priority).label}."
    )


@escalated_view(methods=("POST",), access="agent", back=_back_to_ticket)
def department(request: HttpRequest, key: str) -> HttpResponse:
    """Route to ``department_id`` (empty or null: no department)."""
    ticket = _ticket(request, key)
    form = parse_form(request)
    field = (
        "department_id"
        if form.has("department_id") or not form.has("department")
        else ("department")
    )
    try:
        svc.ticket_change_department(
            ticket=ticket, actor=request.user, department=form.integer(field)
        )
    except ValidationFailed as exc:
        raise _rename(exc, {"department": field}) from exc
    return done(request, _show_url(ticket), success="Department changed.")


@escalated_view(methods=("POST",), access="agent", back=_back_to_ticket)
def tags(request: HttpRequest, key: str) -> HttpResponse:
    """Change the tags: ``{"tags": [ids]}`` sets exactly these; ``{"add": [ids],
    "remove": [ids]}`` changes only those."""
    ticket = _ticket(request, key)
    form = parse_form(request)
    if form.has("tags"):
        wanted = set(form.integers("tags"))
        current = {t.pk for t in ticket.tags.all()}
        add, remove = sorted(wanted - current), sorted(current - wanted)
    else:
        add, remove = form.integers("add"), form.integers("remove")
    if add:
        svc.ticket_add_tags(ticket=ticket, actor=request.user, tags=add)
    if remove:
        svc.ticket_remove_tags(ticket=ticket, actor=request.user, tags=remove)
    return done(request, _show_url(ticket), success="Tags updated.")


@escalated_view(methods=("POST",), access="agent", back=_back_to_ticket)
def macro(request: HttpRequest, key: str) -> HttpResponse:
    """Apply the macro ``macro_id`` (shared, or the agent's own)."""
    ticket = _ticket(request, key)
    form = parse_form(request)
    macro_id = form.integer("macro_id") if form.has("macro_id") else form.integer("macro")
    found = (
        Macro.objects.filter(Q(is_shared=True) | Q(created_by=request.user), pk=macro_id).first()
        if macro_id
        else None
    )
    if found is None:
        raise ValidationFailed.field("macro_id", "Choose a macro.")
    macro_apply(ticket=ticket, actor=request.user, macro=found)
    return done(request, _show_url(ticket), success=f"Macro {found.name!r} applied.")


# --------------------------------------------------------------------------- bulk actions


def _bulk_action(request: HttpRequest, action: str, form: Any) -> Callable[[Ticket], Any]:
    """Validate the action and its value once; return what to do per ticket."""
    user = request.user
    if action == "assign":
        raw = form.text("value").strip().lower()
        if raw == "me":
            agent = user
        else:
            agent_id = form.user_id("value")
            if agent_id is None:
                return lambda t: svc.ticket_unassign(ticket=t, actor=user)
            agent = _agent_from(agent_id, "value")
        return lambda t: svc.ticket_assign(ticket=t, actor=user, agent=agent)
    if action == "unassign":
        return lambda t: svc.ticket_unassign(ticket=t, actor=user)
    if action == "status":
        value = form.text("value")
        if value not in Status.values:
            raise ValidationFailed.field("value", "Choose a status.")
        return lambda t: svc.ticket_change_status(ticket=t, actor=user, status=value)
    if action == "priority":
        value = form.text("value")
        if value not in Priority.values:
            raise ValidationFailed.field("value", "Choose a priority.")
        return lambda t: svc.ticket_change_priority(ticket=t, actor=user, priority=value)
    if action in ("add_tag", "remove_tag"):
        tag_id = form.integer("value")
        tag = Tag.objects.filter(pk=tag_id).first() if tag_id else None
        if tag is None:
            raise ValidationFailed.field("value", "Choose a tag.")
        if action == "add_tag":
            return lambda t: svc.ticket_add_tags(ticket=t, actor=user, tags=[tag])
        return lambda t: svc.ticket_remove_tags(ticket=t, actor=user, tags=[tag])
    raise ValidationFailed.field(
        "action", "Choose assign, unassign, status, priority, add_tag or remove_tag."
    )


# Each ticket commits on its own even under ATOMIC_REQUESTS, so its notifications are
# collected by the block below (one e-mail per recipient and kind, not per ticket).
@transaction.non_atomic_requests
@escalated_view(
    methods=("POST",), access="agent", back=lambda request: reverse("escalated:agent.tickets.index")
)
def bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to many tickets: ``{"ids": [...], "action": …, "value": …}``.

    Each ticket goes through the service on its own, so one illegal change does not
    stop the others; what failed (and why) is listed in ``flash.error``. What the
    changes tell people goes out when all are done: an agent assigned 40 tickets gets
    one digest.
    """
    form = parse_form(request)
    ids = form.integers("ids") or form.integers("tickets")
    if not ids:
        raise ValidationFailed.field("ids", "Select at least one ticket.")
    if len(ids) > BULK_LIMIT:
        raise ValidationFailed.field("ids", f"Select at most {BULK_LIMIT} tickets at once.")
    run = _bulk_action(request, form.text("action"), form)
    found = {
        t.pk: t
        for t in Ticket.objects.filter(pk__in=ids).select_related(
            "requester", "assignee", "department", "sla_policy"
        )
    }
    changed, failures = 0, []
    with notifications.collecting():
        for pk in ids:
            ticket = found.get(pk)
            if ticket is None:
                failures.append(f"#{pk}: not found")
                continue
            try:
                run(ticket)
            except EscalatedError as exc:
                detail = first_messages(exc.errors).popitem()[1] if exc.errors else exc.message
                failures.append(f"{ticket.reference or ticket.pk}: {detail}")
            else:
                changed += 1
    error = None
    if failures:
        more = len(failures) - 10
        shown = "; ".join(failures[:10]) + (f"; and {more} more" if more > 0 else "")
        error = f"{len(failures)} of {len(ids)} tickets were not changed — {shown}"
    success = f"{changed} ticket{'s' if changed != 1 else ''} updated." if changed else None
    flash(request, success=success, error=error)
    return redirect_back(request, reverse("escalated:agent.tickets.index"))
