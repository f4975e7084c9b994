"""E-mail notifications (``"email"`` in ``ESCALATED["NOTIFICATION_CHANNELS"]``).

One receiver per lifecycle signal decides who hears about the event (see
:data:`RULES`) and hands :class:`Notice` objects on. Outside a collecting block each
notice is rendered and sent at once, through Django's e-mail backend (synchronously:
hosts who want it in the background configure a queueing backend such as
django-mailer or django-celery-email). Inside one (bulk sweeps, see
:func:`escalated.notifications.collecting`) notices are grouped by recipient and kind;
when the block ends a group of one is sent as the normal e-mail and a larger group
as one digest listing its tickets (at most :data:`DIGEST_LINES`, then "and N more").

Nobody is e-mailed about what they did themselves, except the acknowledgement of a new
ticket, which confirms to the requester that their own request arrived.

Templates live in ``templates/escalated/email/``: ``<kind>_subject.txt``,
``<kind>_message.txt`` and ``<kind>_message.html``; a host overrides any of them with
a template of the same name earlier in its template path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import get_template
from django.urls import get_script_prefix, reverse
from django.utils.http import RFC3986_SUBDELIMS

from escalated.conf import app_settings
from escalated.models import AuthorType, Contact, Reply, Ticket
from escalated.notifications import _collect
from escalated.permissions import is_agent
from escalated.props import user_email

logger = logging.getLogger("escalated.notifications")

#: Tickets a digest lists before "and N more".
DIGEST_LINES: Final = 50

#: Longest excerpt of a reply or note in a digest line.
_EXCERPT: Final = 120

AGENT: Final = "agent"
REQUESTER: Final = "requester"


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a notice is for: an agent (a user id) or the requester (a contact id).

    ``person`` is the loaded user or contact when the ticket already carried it; else
    it is loaded when the e-mail is built (once for all the notices of a bulk run).
    """

    role: str  # AGENT or REQUESTER
    pk: Any  # a user id (the user model's key: an integer, a UUID, text) or a contact id
    person: Any = None

    @property
    def key(self) -> tuple[str, Any]:
        return (self.role, self.pk)


@dataclass(slots=True)
class Notice:
    """One e-mail to write: ``kind`` names its templates."""

    kind: str
    ticket: Ticket
    to: Recipient
    context: dict[str, Any] = field(default_factory=dict)
    #: What a digest line says after the ticket's reference and subject.
    detail: str = ""


@dataclass(slots=True)
class Group:
    """The notices of one recipient and kind in a collecting block.

    ``count`` is the number of distinct tickets: a ticket that breaches both targets
    in one sweep is one digest line, its details joined. Notices are kept for the
    first :data:`DIGEST_LINES` tickets (``listed``), every notice of those tickets:
    the other target a listed ticket breaches later in the sweep still joins its line.
    """

    notices: list[Notice]
    tickets: set[int] = field(default_factory=set)
    listed: set[int] = field(default_factory=set)

    @property
    def count(self) -> int:
        return len(self.tickets) or len(self.notices)


#: Heading of a digest of each kind (``{count}`` is filled in).
DIGEST_TITLES: Final[dict[str, str]] = {
    "ticket_created": "{count} requests received",
    "reply_to_requester": "{count} new replies to your requests",
    "reply_to_agent": "{count} new customer replies",
    "internal_note_added": "{count} new internal notes",
    "ticket_assigned": "{count} tickets assigned to you",
    "ticket_resolved": "{count} of your requests were resolved",
    "ticket_reopened": "{count} tickets reopened",
    "sla_breached": "{count} tickets breached their SLA",
    "sla_warning": "{count} tickets are close to their SLA deadline",
    "ticket_escalated": "{count} tickets escalated",
}

_BREACH_LABELS: Final = {"first_response": "first response", "resolution": "resolution"}


# --------------------------------------------------------------------------- who hears what


def _assignee(ticket: Ticket) -> Recipient | None:
    if ticket.assignee_id is None:
        return None
    person = ticket.assignee if Ticket.assignee.is_cached(ticket) else None
    return Recipient(AGENT, ticket.assignee_id, person)


def _requester(ticket: Ticket) -> Recipient:
    person = ticket.requester if Ticket.requester.is_cached(ticket) else None
    return Recipient(REQUESTER, ticket.requester_id, person)


def _user_name(user: Any) -> str:
    if user is None:
        return ""
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return str((full or "").strip() or user.get_username())


def _excerpt(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _EXCERPT else line[: _EXCERPT - 1].rstrip() + "…"


def _reply_author_name(reply: Reply, ticket: Ticket) -> str:
    if reply.author_type == AuthorType.CUSTOMER:
        contact = reply.contact if reply.contact_id is not None else ticket.requester
        return contact.display_name if contact is not None else ""
    if reply.author_type == AuthorType.SYSTEM or reply.author_id is None:
        return "Support"
    return _user_name(reply.author)


def ticket_created(ticket: Ticket, user: Any, **kwargs: Any) -> list[Notice]:
    """The requester gets an acknowledgement with the reference and their link."""
    return [Notice("ticket_created", ticket, _requester(ticket))]


def reply_created(ticket: Ticket, user: Any, reply: Reply, **kwargs: Any) -> list[Notice]:
    """A public reply goes to the other side: the requester's to the assignee, the
    agents' (or the system's) to the requester."""
    if reply.is_internal:
        return []
    context = {"reply": reply, "author_name": _reply_author_name(reply, ticket)}
    if reply.author_type == AuthorType.CUSTOMER:
        to = _assignee(ticket)
        return [Notice("reply_to_agent", ticket, to, context, _excerpt(reply.body))] if to else []
    return [Notice("reply_to_requester", ticket, _requester(ticket), context, _excerpt(reply.body))]


def internal_note_added(ticket: Ticket, user: Any, reply: Reply, **kwargs: Any) -> list[Notice]:
    """The assignee hears of notes others add (a rule's notes too)."""
    to = _assignee(ticket)
    if to is None or reply.author_id == to.pk:
        return []
    context = {"reply": reply, "author_name": _reply_author_name(reply, ticket)}
    return [Notice("internal_note_added", ticket, to, context, _excerpt(reply.body))]


def ticket_assigned(ticket: Ticket, user: Any, agent: Any, **kwargs: Any) -> list[Notice]:
    """The new assignee, unless they took the ticket themselves."""
    context = {"assigned_by": _user_name(user) if user is not None else ""}
    return [Notice("ticket_assigned", ticket, Recipient(AGENT, agent.pk, agent), context)]


def ticket_resolved(ticket: Ticket, user: Any, **kwargs: Any) -> list[Notice]:
    """The requester, with their link, which also invites a rating."""
    return [Notice("ticket_resolved", ticket, _requester(ticket))]


def ticket_reopened(ticket: Ticket, user: Any, **kwargs: Any) -> list[Notice]:
    """The assignee, when the requester reopened the ticket.

    The signal's ``user`` is ``None`` for a guest (and for the system), so only a
    reopening by an agent is left out. A reopening caused by the requester's reply is
    left out too: the reply's e-mail already says the ticket was reopened.
    """
    if user is not None and is_agent(user):
        return []
    if ticket.last_reply_at is not None and ticket.last_reply_at == ticket.updated_at:
        return []  # reply_create sets both to the same moment when a reply reopens it
    to = _assignee(ticket)
    return [Notice("ticket_reopened", ticket, to)] if to else []


def _sla(kind: str) -> Callable[..., list[Notice]]:
    def rule(ticket: Ticket, user: Any, breach_type: str, **kwargs: Any) -> list[Notice]:
        to = _assignee(ticket)
        if to is None:
            return []
        if breach_type == "first_response":
            due = ticket.first_response_due_at
        else:
            due = ticket.resolution_due_at
        label = _BREACH_LABELS.get(breach_type, breach_type)
        context = {"breach_type": breach_type, "breach_label": label, "due_at": due}
        return [Notice(kind, ticket, to, context, label)]

    rule.__doc__ = f"``{kind}``: the assignee (nobody while the ticket is unassigned)."
    return rule


def ticket_escalated(ticket: Ticket, user: Any, reason: str = "", **kwargs: Any) -> list[Notice]:
    """The assignee, with the reason (a rule's name or the agent's words)."""
    to = _assignee(ticket)
    context = {"reason": reason, "escalated_by": _user_name(user)}
    return [Notice("ticket_escalated", ticket, to, context, reason)] if to else []


#: Signal name -> the rule that turns it into notices.
RULES: Final[dict[str, Callable[..., list[Notice]]]] = {
    "ticket_created": ticket_created,
    "reply_created": reply_created,
    "internal_note_added": internal_note_added,
    "ticket_assigned": ticket_assigned,
    "ticket_resolved": ticket_resolved,
    "ticket_reopened": ticket_reopened,
    "sla_breached": _sla("sla_breached"),
    "sla_warning": _sla("sla_warning"),
    "ticket_escalated": ticket_escalated,
}

#: Kinds that go to the person who caused the event all the same.
_TO_ACTOR_TOO: Final = frozenset({"ticket_created"})


def _is_actor(notice: Notice, actor: Any) -> bool:
    if actor is None:
        return False
    if notice.to.role == AGENT:
        return bool(notice.to.pk == actor.pk)
    contact = notice.to.person or notice.ticket.requester
    return bool(contact.user_id is not None and contact.user_id == actor.pk)


def receiver(signal_name: str) -> Callable[..., None]:
    """The receiver of ``signal_name``: its rule, minus the actor, then send or collect."""
    rule = RULES[signal_name]

    def receive(sender: Any, ticket: Ticket, user: Any = None, **kwargs: Any) -> None:
        if "email" not in app_settings.NOTIFICATION_CHANNELS:
            return
        kwargs.pop("signal", None)
        try:
            notices = [
                n
                for n in rule(ticket, user, **kwargs)
                if n.kind in _TO_ACTOR_TOO or not _is_actor(n, user)
            ]
            if notices:
                dispatch(notices)
        except Exception:
            # A notification must never undo or fail the change that caused it (the
            # transaction has committed); say loudly what went wrong instead.
            logger.exception(
                "E-mail notification for %s on ticket %s failed.", signal_name, ticket.pk
            )

    receive.__name__ = f"email_{signal_name}"
    return receive


def dispatch(notices: Iterable[Notice]) -> None:
    """Send the notices now, or add them to the open collecting block."""
    collector = _collect.active()
    if collector is None:
        send_notices(list(notices))
        return
    groups = collector.mail
    for notice in notices:
        key = (notice.to.key, notice.kind)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(notices=[])
        pk = notice.ticket.pk
        group.tickets.add(pk)
        # A ticket already listed keeps each of its notices (a single-ticket group
        # sends each e-mail; digest lines join their details); new tickets up to the cap.
        if pk in group.listed or len(group.listed) < DIGEST_LINES:
            group.listed.add(pk)
            group.notices.append(notice)


def send_notices(notices: Sequence[Notice]) -> None:
    """One e-mail per notice, now (outside a collecting block)."""
    send_groups([Group(notices=[n]) for n in notices])


def send_groups(groups: Sequence[Group]) -> None:
    """Render and send one e-mail per group: a digest when it concerns several tickets,
    else the normal e-mail of each of its notices."""
    if not groups:
        return
    people, inactive = _load_people([g.notices[0].to for g in groups])
    links = Links()
    messages: list[EmailMultiAlternatives] = []
    for group in groups:
        first = group.notices[0]
        person = people.get(first.to.key)
        address = _address(person, inactive)
        if address is None:
            continue
        try:
            if first.to.role == AGENT and not is_agent(person):
                # Still assigned, no longer an agent: notes, customer replies and SLA
                # matters are agents' business only.
                continue
            if group.count == 1:
                messages.extend(_message(n, person, address, links) for n in group.notices)
            else:
                messages.append(_digest(group, person, address, links))
        except Exception:
            logger.exception(
                "Could not build the %s e-mail to %s (ticket %s).",
                first.kind,
                address,
                first.ticket.pk,
            )
    if messages:
        _send(messages)


def _send(messages: Sequence[EmailMultiAlternatives]) -> None:
    """Send over one connection, each message on its own: a recipient the server
    refuses (SMTP stops a batch at the first) costs only that message."""
    try:
        connection = get_connection()
        connection.open()
    except Exception:
        logger.exception("Could not send %d notification e-mail(s).", len(messages))
        return
    try:
        for message in messages:
            try:
                connection.send_messages([message])
            except Exception:
                logger.exception(
                    "Could not send the notification e-mail %r to %s.",
                    message.subject,
                    ", ".join(message.to),
                )
    finally:
        try:
            connection.close()
        except Exception:
            logger.exception("Could not close the e-mail connection.")


def _load_people(
    recipients: Iterable[Recipient],
) -> tuple[dict[tuple[str, Any], Any], frozenset[Any]]:
    """The user or contact of each recipient (those not at hand in one query per role),
    and the ids of the deactivated accounts among the contacts' users (one query)."""
    people: dict[tuple[str, Any], Any] = {}
    missing: dict[str, set[Any]] = {AGENT: set(), REQUESTER: set()}
    for to in recipients:
        if to.person is not None:
            people[to.key] = to.person
        else:
            missing[to.role].add(to.pk)
    if missing[AGENT]:
        users = get_user_model()._default_manager.in_bulk(missing[AGENT])
        people.update({(AGENT, pk): user for pk, user in users.items()})
    if missing[REQUESTER]:
        contacts = Contact.objects.in_bulk(missing[REQUESTER])
        people.update({(REQUESTER, pk): contact for pk, contact in contacts.items()})
    account_ids = {
        p.user_id for (role, _), p in people.items() if role == REQUESTER and p.user_id is not None
    }
    inactive: frozenset[Any] = frozenset()
    if account_ids:
        deactivated = get_user_model()._default_manager.filter(pk__in=account_ids, is_active=False)
        inactive = frozenset(deactivated.values_list("pk", flat=True))
    return people, inactive


def _address(person: Any, inactive: frozenset[Any] = frozenset()) -> str | None:
    """Where to write to; ``None`` for nobody, an empty or placeholder address, an
    inactive user, or a contact whose account was deactivated (in ``inactive``)."""
    if person is None:
        return None
    # A user's address is in its model's EMAIL_FIELD (Django's get_email_field_name()).
    email = (person.email if isinstance(person, Contact) else user_email(person)).strip()
    if not email or email.lower().endswith(".invalid"):
        return None  # contact_for_user's stand-in for users without an address
    if getattr(person, "is_active", True) is False:
        return None
    if isinstance(person, Contact) and person.user_id is not None and person.user_id in inactive:
        return None
    return email


def _person_name(person: Any) -> str:
    return person.display_name if isinstance(person, Contact) else _user_name(person)


# --------------------------------------------------------------------------- links


def absolute(path: str) -> str:
    """``path`` (from ``reverse()``) under ``PUBLIC_URL``; the bare path without it.

    ``PUBLIC_URL`` is where the URLconf's root is served, so the script prefix
    ``reverse()`` adds inside a request (none in a command) is replaced by it.
    """
    public = app_settings.PUBLIC_URL
    if not public:
        return path
    prefix = get_script_prefix()
    if prefix != "/" and path.startswith(prefix):
        path = "/" + path[len(prefix) :]
    return public + path


_SLOT: Final = "escalated-slot"


class Links:
    """Absolute ticket links, ``reverse()`` run once per URL name.

    A sweep sends a digest per agent and batch, each linking up to
    :data:`DIGEST_LINES` tickets: one URL pattern per name, filled with each key,
    instead of a ``reverse()`` per line. Keys are quoted as ``reverse()`` quotes them.
    """

    def __init__(self) -> None:
        self._patterns: dict[str, str] = {}

    def _fill(self, name: str, param: str, value: str) -> str:
        pattern = self._patterns.get(name)
        if pattern is None:
            pattern = absolute(reverse(f"escalated:{name}", kwargs={param: _SLOT}))
            self._patterns[name] = pattern
        return pattern.replace(_SLOT, quote(value, safe=RFC3986_SUBDELIMS + "~:@"))

    def ticket(self, ticket: Ticket, *, role: str, person: Any) -> str:
        """The page of ``ticket`` for its agents, or for its requester: the portal page
        for a contact with an account, the secret link for a guest."""
        key = ticket.reference or str(ticket.pk)
        if role == AGENT:
            return self._fill("agent.tickets.show", "key", key)
        if getattr(person, "user_id", None) is None and ticket.guest_token:
            return self._fill("guest.show", "token", ticket.guest_token)
        return self._fill("customer.tickets.show", "key", key)

    def ticket_list(self, kind: str, *, role: str, person: Any) -> str | None:
        """The list a digest points to: the agent's own tickets (breached or at risk
        for the SLA kinds), or the requester's tickets in the portal; ``None`` for a
        requester without an account, who has no portal to sign in to (their digest
        lines carry each ticket's secret link)."""
        if role != AGENT:
            if getattr(person, "user_id", None) is None:
                return None
            return absolute(reverse("escalated:customer.tickets.index"))
        query = {"sla_breached": "&sla=breached", "sla_warning": "&sla=at_risk"}.get(kind, "")
        return absolute(reverse("escalated:agent.tickets.index")) + "?assignee=me" + query


# --------------------------------------------------------------------------- rendering


def _render(name: str, context: dict[str, Any]) -> str:
    # Django's cached template loader (the default) parses each template once.
    return get_template(name).render(context)


def _build(kind: str, context: dict[str, Any], address: str) -> EmailMultiAlternatives:
    subject = " ".join(_render(f"escalated/email/{kind}_subject.txt", context).split())
    text = _render(f"escalated/email/{kind}_message.txt", context)
    html = _render(f"escalated/email/{kind}_message.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [address])
    message.attach_alternative(html, "text/html")
    return message


def _message(notice: Notice, person: Any, address: str, links: Links) -> EmailMultiAlternatives:
    ticket = notice.ticket
    context = {
        **notice.context,
        "kind": notice.kind,
        "ticket": ticket,
        "recipient_name": _person_name(person),
        "url": links.ticket(ticket, role=notice.to.role, person=person),
    }
    message = _build(notice.kind, context, address)
    message.extra_headers["X-Escalated-Ticket"] = ticket.reference or str(ticket.pk)
    return message


def _digest(group: Group, person: Any, address: str, links: Links) -> EmailMultiAlternatives:
    first = group.notices[0]
    role = first.to.role
    by_ticket: dict[int, dict[str, Any]] = {}
    for n in group.notices:
        line = by_ticket.get(n.ticket.pk)
        if line is None:
            by_ticket[n.ticket.pk] = {
                "reference": n.ticket.reference or f"#{n.ticket.pk}",
                "subject": n.ticket.subject,
                "detail": n.detail,
                "url": links.ticket(n.ticket, role=role, person=person),
            }
        elif n.detail and n.detail not in line["detail"]:
            line["detail"] = f"{line['detail']}, {n.detail}" if line["detail"] else n.detail
    lines = list(by_ticket.values())
    context = {
        "kind": first.kind,
        "title": DIGEST_TITLES.get(first.kind, "{count} updates").format(count=group.count),
        "count": group.count,
        "lines": lines,
        "more": group.count - len(lines),
        "recipient_name": _person_name(person),
        "url": links.ticket_list(first.kind, role=role, person=person),
    }
    return _build("digest", context, address)
