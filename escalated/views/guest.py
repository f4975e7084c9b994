"""Guest tickets: submitted without an account, reached through a secret link.

The link ``guest/<token>/`` is the guest's only credential: every page and action
under it checks the token (the services compare it in constant time), and responses
carry ``Referrer-Policy: same-origin`` and ``X-Robots-Tag: noindex`` so it does not
leak. A wrong token is a 404, never a hint that the ticket exists.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse

from escalated import throttle
from escalated.conf import app_settings
from escalated.exceptions import NotFound, Throttled, ValidationFailed
from escalated.models import Attachment, Channel, Ticket
from escalated.props import guest_attachment_url
from escalated.selectors.tickets import ticket_get_by_guest_token
from escalated.services import tickets as svc
from escalated.views._base import by_method, done, escalated_view, parse_form, render
from escalated.views.attachments import attachment_file_response
from escalated.views.customer import form_options, requester_ticket_props

#: Service field names -> the guest form's field names.
_FIELDS: Mapping[str, str] = {"requester_email": "email", "requester_name": "name"}


def _show_url(token: str) -> str:
    return reverse("escalated:guest.show", args=[token])


def _back(request: HttpRequest, token: str, **_: object) -> str:
    return _show_url(token)


def _ticket(token: str, *, display: bool = False) -> Ticket:
    ticket = ticket_get_by_guest_token(token, display=display)
    if ticket is None:
        raise NotFound("Ticket not found.")
    return ticket


@escalated_view(access="guest")
def create(request: HttpRequest) -> HttpResponse:
    """The public submission form."""
    return render(request, "Escalated/Guest/Create", form_options())


@escalated_view(
    methods=("POST",), access="guest", back=lambda request: reverse("escalated:guest.create")
)
def store(request: HttpRequest) -> HttpResponse:
    """Open a guest ticket and go to its secret link.

    At most ``GUEST_RATE_LIMIT`` tickets per client address (an IPv6 one by its /64)
    and period, counted before the ticket is written so that submissions sent at once
    cannot overrun it: beyond it the form comes back with the input kept and a message
    saying when to try again. A submission refused as invalid does not count.
    """
    form = parse_form(request)
    email = form.text("email").strip()
    client = throttle.address_key(request.META.get("REMOTE_ADDR"))
    place = throttle.acquire("guest_ticket", client, app_settings.GUEST_RATE_LIMIT)
    if place.retry_after is not None:
        minutes = -(-place.retry_after // 60)
        raise Throttled(
            "You have opened several tickets in a short time. Please try again in "
            f"{minutes} minute{'s' if minutes != 1 else ''}.",
            retry_after=place.retry_after,
        )
    try:
        ticket = svc.ticket_create(
            actor=None,
            channel=Channel.GUEST,
            requester_email=email,
            requester_name=form.text("name").strip(),
            subject=form.text("subject"),
            description=form.text("description"),
            priority=form.text("priority") or None,
            department=form.integer("department") or form.integer("department_id"),
            attachments=form.uploads(),
        )
    except ValidationFailed as exc:
        throttle.release(place)  # nothing was opened: the attempt does not count
        errors = {_FIELDS.get(k, k): v for k, v in exc.errors.items()}
        if not email:
            errors.setdefault("email", ["Enter your e-mail address."])
        raise ValidationFailed(exc.message, code=exc.code, errors=errors) from exc
    assert ticket.guest_token  # guest tickets always get one
    return done(
        request,
        _show_url(ticket.guest_token),
        success=f"Ticket {ticket.reference} was created. Keep this page's address: "
        "it is your link to the ticket.",
    )


submit = by_method(get=create, post=store)


@escalated_view(access="guest")
def show(request: HttpRequest, token: str) -> HttpResponse:
    """The guest's ticket and its public conversation."""
    ticket = _ticket(token, display=True)
    props = requester_ticket_props(ticket, attachment_url=guest_attachment_url(token))
    props["token"] = token
    props["urls"] = {
        action: reverse(f"escalated:guest.{action}", args=[token])
        for action in ("show", "reply", "close", "reopen", "rate")
    }
    return render(request, "Escalated/Guest/Show", props)


@escalated_view(methods=("POST",), access="guest", back=_back)
def reply(request: HttpRequest, token: str) -> HttpResponse:
    """Add a public reply as the guest."""
    ticket = _ticket(token)
    form = parse_form(request)
    svc.reply_create(
        ticket=ticket,
        actor=None,
        guest_token=token,
        body=form.text("body"),
        attachments=form.uploads(),
    )
    return done(request, _show_url(token), success="Your reply was sent.")


@escalated_view(methods=("POST",), access="guest", back=_back)
def close(request: HttpRequest, token: str) -> HttpResponse:
    """Close the guest's ticket (when ``ALLOW_CUSTOMER_CLOSE``)."""
    svc.ticket_close(ticket=_ticket(token), actor=None, guest_token=token)
    return done(request, _show_url(token), success="The ticket was closed.")


@escalated_view(methods=("POST",), access="guest", back=_back)
def reopen(request: HttpRequest, token: str) -> HttpResponse:
    """Reopen the guest's resolved or closed ticket."""
    svc.ticket_reopen(ticket=_ticket(token), actor=None, guest_token=token)
    return done(request, _show_url(token), success="The ticket was reopened.")


@escalated_view(methods=("POST",), access="guest", back=_back)
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """Rate the guest's resolved or closed ticket from 1 to 5."""
    form = parse_form(request)
    svc.ticket_rate(
        ticket=_ticket(token),
        actor=None,
        guest_token=token,
        rating=form.integer("rating") or 0,
        comment=form.text("comment"),
    )
    return done(request, _show_url(token), success="Thank you for your rating.")


@escalated_view(access="guest")
def download(request: HttpRequest, token: str, attachment_id: int) -> FileResponse:
    """An attachment of the guest's ticket (never one of an internal note)."""
    ticket = _ticket(token)
    attachment = (
        Attachment.objects.filter(pk=attachment_id, ticket=ticket)
        .exclude(reply__is_internal=True)
        .first()
    )
    if attachment is None:
        raise NotFound("Attachment not found.")
    return attachment_file_response(attachment)
