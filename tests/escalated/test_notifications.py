"""Outbound notifications: who gets which e-mail, digests of bulk runs, webhooks.

E-mail goes through Django's locmem backend (``mailoutbox``); webhooks go to a real
HTTP server on 127.0.0.1, nothing of the HTTP layer is mocked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from escalated import notifications
from escalated.models import EscalationRule, Status, Ticket
from escalated.notifications import webhooks
from escalated.services import tickets as svc
from escalated.services.escalations import escalations_evaluate
from escalated.services.sla import sla_check
from tests import factories as f

pytestmark = pytest.mark.django_db

PUBLIC = "https://support.example.com"
NOW = datetime(2025, 6, 4, 12, tzinfo=UTC)
PAST = NOW - timedelta(hours=1)


def email_settings(**extra: Any) -> Any:
    return override_settings(ESCALATED={"PUBLIC_URL": PUBLIC, **extra})


@pytest.fixture(autouse=True)
def _public_url():
    with email_settings():
        yield


@pytest.fixture(autouse=True)
def _webhooks_drained(monkeypatch):
    """Quick retries, and no event of one test posted during the next one."""
    monkeypatch.setattr(webhooks, "BACKOFF_SECONDS", 0.01)
    yield
    assert notifications.webhooks_drain(timeout=10)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """``with on_commit(): ...`` runs the block's after-commit hooks (the signals)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def assignee(db):
    return f.AgentFactory(username="alice", email="alice@example.com", first_name="Alice")


@pytest.fixture
def ticket(customer, assignee, on_commit, mailoutbox):
    """Carol's ticket, assigned to Alice; the e-mails of its making are cleared."""
    with on_commit():
        ticket = svc.ticket_create(actor=customer, subject="Printer on fire", description="Help")
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee"])
    mailoutbox.clear()
    return ticket


def to(outbox) -> list[str]:
    return [address for message in outbox for address in message.to]


def html_of(message) -> str:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return html


# --------------------------------------------------------------------------- e-mail rules


def test_new_ticket_acknowledges_the_requester_with_their_portal_link(
    customer, on_commit, mailoutbox, settings
):
    with on_commit():
        ticket = svc.ticket_create(actor=customer, subject="Printer on fire", description="Help")

    (message,) = mailoutbox
    assert message.to == ["carol@example.com"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.subject == f"[{ticket.reference}] We received your request: Printer on fire"
    link = f"{PUBLIC}/support/tickets/{ticket.reference}/"
    assert link in message.body
    assert f'href="{link}"' in html_of(message)
    assert message.extra_headers["X-Escalated-Ticket"] == ticket.reference


def test_guest_acknowledgement_carries_the_secret_link(on_commit, mailoutbox):
    with on_commit():
        ticket = svc.ticket_create(
            actor=None,
            channel="guest",
            requester_email="gus@example.com",
            requester_name="Gus",
            subject="Cannot order",
            description="Checkout fails",
        )

    (message,) = mailoutbox
    assert message.to == ["gus@example.com"]
    assert f"{PUBLIC}/support/guest/{ticket.guest_token}/" in message.body
    assert f"/support/tickets/{ticket.reference}/" not in message.body


def test_links_are_paths_without_public_url(customer, on_commit, mailoutbox):
    with email_settings(PUBLIC_URL=None), on_commit():
        ticket = svc.ticket_create(actor=customer, subject="Hi", description="Help")

    (message,) = mailoutbox
    assert f"\n/support/tickets/{ticket.reference}/\n" in message.body
    assert "https://" not in message.body


def test_public_url_replaces_the_script_prefix(customer, on_commit, mailoutbox):
    from django.urls import set_script_prefix

    set_script_prefix("/app/")
    try:
        with email_settings(PUBLIC_URL="https://example.com/app/"), on_commit():
            ticket = svc.ticket_create(actor=customer, subject="Hi", description="Help")
    finally:
        set_script_prefix("/")

    assert f"https://example.com/app/support/tickets/{ticket.reference}/" in mailoutbox[0].body


def test_agent_reply_goes_to_the_requester_with_its_text(ticket, agent, on_commit, mailoutbox):
    with on_commit():
        svc.reply_create(ticket=ticket, actor=agent, body="Have you tried water?")

    (message,) = mailoutbox
    assert message.to == ["carol@example.com"]
    assert "Have you tried water?" in message.body
    assert "Have you tried water?" in html_of(message)
    assert f"{PUBLIC}/support/tickets/{ticket.reference}/" in message.body


def test_requester_reply_goes_to_the_assignee(ticket, customer, on_commit, mailoutbox):
    with on_commit():
        svc.reply_create(ticket=ticket, actor=customer, body="Still burning")

    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]
    assert message.subject == f"[{ticket.reference}] Carol replied: Printer on fire"
    assert "Still burning" in message.body
    assert f"{PUBLIC}/support/agent/tickets/{ticket.reference}/" in message.body


def test_requester_reply_on_an_unassigned_ticket_mails_nobody(customer, on_commit, mailoutbox):
    with on_commit():
        ticket = svc.ticket_create(actor=customer, subject="Hi", description="Help")
    mailoutbox.clear()

    with on_commit():
        svc.reply_create(ticket=ticket, actor=customer, body="Anyone?")

    assert mailoutbox == []


def test_guest_reply_reaches_the_assignee(assignee, on_commit, mailoutbox):
    with on_commit():
        ticket = svc.ticket_create(
            actor=None, channel="guest", requester_email="gus@example.com",
            requester_name="Gus", subject="Cannot order", description="Checkout fails",
        )  # fmt: skip
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee"])
    mailoutbox.clear()

    with on_commit():
        svc.reply_create(ticket=ticket, actor=None, body="Hello?", guest_token=ticket.guest_token)

    assert to(mailoutbox) == ["alice@example.com"]
    assert "Gus replied on" in mailoutbox[0].body


def test_internal_note_goes_to_the_assignee_unless_they_wrote_it(
    ticket, agent, assignee, on_commit, mailoutbox
):
    with on_commit():
        svc.reply_create(ticket=ticket, actor=agent, body="Call the fire brigade", is_internal=True)
        svc.reply_create(ticket=ticket, actor=assignee, body="Done", is_internal=True)

    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]
    assert "Call the fire brigade" in message.body
    assert "carol@example.com" not in to(mailoutbox)


def test_assignment_mails_the_new_assignee_but_not_who_took_it_themselves(
    customer, agent, on_commit, mailoutbox
):
    bob = f.AgentFactory(username="bob", email="bob@example.com")
    with on_commit():
        ticket = svc.ticket_create(actor=customer, subject="Hi", description="Help")
    mailoutbox.clear()

    with on_commit():
        svc.ticket_assign(ticket=ticket, actor=agent, agent=bob)
        svc.ticket_assign(ticket=ticket, actor=agent, agent=agent)  # self-assigned

    (message,) = mailoutbox
    assert message.to == ["bob@example.com"]
    assert message.subject == f"[{ticket.reference}] Assigned to you: Hi"
    assert f"{agent.username} assigned {ticket.reference} to you." in message.body


def test_resolution_invites_the_requester_to_rate(ticket, agent, on_commit, mailoutbox):
    with on_commit():
        svc.ticket_resolve(ticket=ticket, actor=agent)

    (message,) = mailoutbox
    assert message.to == ["carol@example.com"]
    assert message.subject == f"[{ticket.reference}] Resolved: Printer on fire"
    assert "Rate our help" in message.body
    assert f"{PUBLIC}/support/tickets/{ticket.reference}/" in message.body


def test_reopening_by_the_requester_tells_the_assignee(
    ticket, agent, customer, on_commit, mailoutbox
):
    with on_commit():
        svc.ticket_resolve(ticket=ticket, actor=agent)
        svc.ticket_close(ticket=ticket, actor=agent)
    mailoutbox.clear()

    with on_commit():
        svc.ticket_reopen(ticket=ticket, actor=customer)

    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]
    assert message.subject == f"[{ticket.reference}] Reopened by the requester: Printer on fire"


def test_reopening_by_an_agent_mails_nobody(ticket, agent, on_commit, mailoutbox):
    with on_commit():
        svc.ticket_resolve(ticket=ticket, actor=agent)
    mailoutbox.clear()

    with on_commit():
        svc.ticket_reopen(ticket=ticket, actor=agent)

    assert mailoutbox == []


def test_a_reply_that_reopens_sends_one_mail_saying_so(
    ticket, agent, customer, on_commit, mailoutbox
):
    with on_commit():
        svc.ticket_resolve(ticket=ticket, actor=agent)
    mailoutbox.clear()

    with on_commit():
        svc.reply_create(ticket=ticket, actor=customer, body="Not fixed")

    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]
    assert "which reopened the ticket" in message.body


def test_escalation_mails_the_assignee_with_the_reason(ticket, agent, on_commit, mailoutbox):
    with on_commit():
        svc.ticket_escalate(ticket=ticket, actor=agent, reason="VIP customer")

    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]
    assert "Reason: VIP customer" in message.body


def test_the_actor_never_gets_their_own_mail(ticket, assignee, on_commit, mailoutbox):
    with on_commit():
        svc.ticket_escalate(ticket=ticket, actor=assignee, reason="Mine")
        svc.reply_create(ticket=ticket, actor=assignee, body="Note to self", is_internal=True)
        svc.ticket_unassign(ticket=ticket, actor=assignee)
        svc.ticket_assign(ticket=ticket, actor=assignee, agent=assignee)

    assert mailoutbox == []


def test_an_agent_replying_on_their_own_request_is_not_mailed(
    agent, assignee, on_commit, mailoutbox
):
    own = f.ContactFactory(email=agent.email, user=agent)
    with on_commit():
        ticket = svc.ticket_create(actor=agent, requester=own, subject="Mine", description="x")
    mailoutbox.clear()

    with on_commit():
        svc.reply_create(ticket=ticket, actor=agent, body="Answering myself")
        svc.ticket_resolve(ticket=ticket, actor=agent)

    assert mailoutbox == []


def test_single_sla_breach_mails_the_assignee(assignee, on_commit, mailoutbox):
    ticket = f.TicketFactory(status=Status.OPEN, assignee=assignee, first_response_due_at=PAST)
    f.TicketFactory(status=Status.OPEN, first_response_due_at=PAST)  # unassigned: nobody

    with on_commit():
        sla_check(now=NOW)

    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]
    assert (
        message.subject == f"[{ticket.reference}] SLA breached (first response): {ticket.subject}"
    )
    assert "4 Jun 2025, 11:00" in message.body


def test_sla_warning_mails_the_assignee(assignee, on_commit, mailoutbox):
    f.TicketFactory(
        status=Status.OPEN,
        assignee=assignee,
        first_response_at=PAST,
        resolution_warn_at=PAST,
        resolution_due_at=NOW + timedelta(hours=2),
    )

    with on_commit():
        sla_check(now=NOW)

    (message,) = mailoutbox
    assert message.to == ["alice@example.com"]
    assert "SLA resolution due soon" in message.subject


def test_nothing_is_mailed_without_the_email_channel(customer, agent, on_commit, mailoutbox):
    with email_settings(NOTIFICATION_CHANNELS=[]), on_commit():
        ticket = svc.ticket_create(actor=customer, subject="Hi", description="Help")
        svc.ticket_assign(ticket=ticket, actor=agent, agent=f.AgentFactory())
        svc.reply_create(ticket=ticket, actor=agent, body="Hello")
        svc.ticket_resolve(ticket=ticket, actor=agent)

    assert mailoutbox == []


def test_placeholder_and_missing_addresses_are_skipped(agent, on_commit, mailoutbox):
    nameless = f.AgentFactory(email="")
    placeholder = f.ContactFactory(email="user-9@users.invalid")
    with on_commit():
        ticket = svc.ticket_create(
            actor=agent, requester=placeholder, subject="Hi", description="Help"
        )
        svc.ticket_assign(ticket=ticket, actor=agent, agent=nameless)

    assert mailoutbox == []


def test_a_failing_mail_backend_is_logged_not_raised(customer, on_commit, caplog):
    with (
        override_settings(EMAIL_BACKEND="tests.escalated.test_notifications.BrokenBackend"),
        caplog.at_level(logging.ERROR, logger="escalated.notifications"),
        on_commit(),
    ):
        ticket = svc.ticket_create(actor=customer, subject="Hi", description="Help")

    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert "Could not send 1 notification e-mail(s)." in caplog.text


class BrokenBackend:
    def __init__(self, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("SMTP is down")


# --------------------------------------------------------------------------- digests


def breaching(agent: Any, n: int, **fields: Any) -> list[Ticket]:
    fields.setdefault("first_response_due_at", PAST)
    return [f.TicketFactory(status=Status.OPEN, assignee=agent, **fields) for _ in range(n)]


def test_bulk_sla_check_sends_one_digest_per_agent(assignee, on_commit, mailoutbox):
    bob = f.AgentFactory(username="bob", email="bob@example.com")
    cleo = f.AgentFactory(username="cleo", email="cleo@example.com")
    alice_tickets = breaching(assignee, 4)
    breaching(bob, 3)
    (cleo_ticket,) = breaching(cleo, 1)

    with on_commit():
        sla_check(now=NOW)

    assert sorted(to(mailoutbox)) == ["alice@example.com", "bob@example.com", "cleo@example.com"]
    by_address = {m.to[0]: m for m in mailoutbox}
    digest = by_address["alice@example.com"]
    assert digest.subject == "4 tickets breached their SLA"
    for t in alice_tickets:
        assert f"- {t.reference} {t.subject} (first response)" in digest.body
        assert f"{PUBLIC}/support/agent/tickets/{t.reference}/" in digest.body
    assert f"{PUBLIC}/support/agent/tickets/?assignee=me&sla=breached" in digest.body
    assert by_address["bob@example.com"].subject == "3 tickets breached their SLA"
    # a single ticket still gets the normal e-mail
    assert by_address["cleo@example.com"].subject.startswith(f"[{cleo_ticket.reference}] SLA")


def test_a_digest_lists_fifty_tickets_and_counts_the_rest(assignee, on_commit, mailoutbox):
    breaching(assignee, 53)

    with on_commit():
        sla_check(now=NOW)

    (digest,) = mailoutbox
    assert digest.subject == "53 tickets breached their SLA"
    assert digest.body.count("\n- ") == 50
    assert "… and 3 more." in digest.body
    assert html_of(digest).count(f'href="{PUBLIC}/support/agent/tickets/T-') == 50


def test_bulk_recipients_cost_no_query_per_ticket(assignee, on_commit, mailoutbox):
    bob = f.AgentFactory(username="bob", email="bob@example.com")

    def queries_for(n: int) -> int:
        Ticket.objects.all().delete()
        breaching(assignee, n)
        breaching(bob, n)
        with CaptureQueriesContext(connection) as ctx, on_commit():
            sla_check(now=NOW)
        return len(ctx.captured_queries)

    assert queries_for(2) == queries_for(8)
    assert len(mailoutbox) == 4


def test_escalation_rule_run_sends_one_digest_per_agent(assignee, on_commit, mailoutbox):
    bob = f.AgentFactory(username="bob", email="bob@example.com")
    breaching(assignee, 3, first_response_due_at=None)
    breaching(bob, 2, first_response_due_at=None)
    EscalationRule.objects.create(
        name="Everything open",
        conditions=[{"field": "status", "operator": "in", "value": ["open"]}],
        actions=[{"type": "escalate"}],
    )

    with on_commit():
        escalations_evaluate()

    assert sorted(to(mailoutbox)) == ["alice@example.com", "bob@example.com"]
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects == {
        "alice@example.com": "3 tickets escalated",
        "bob@example.com": "2 tickets escalated",
    }
    assert "(Rule: Everything open)" in mailoutbox[0].body


def test_escalation_digests_cost_no_query_per_ticket(assignee, on_commit, mailoutbox):
    # given: a rule whose actions load no assignee with the tickets
    bob = f.AgentFactory(username="bob", email="bob@example.com")
    EscalationRule.objects.create(
        name="Everything open",
        conditions=[{"field": "status", "operator": "in", "value": ["open"]}],
        actions=[{"type": "escalate"}, {"type": "add_note", "value": "Escalated by a rule."}],
    )

    def queries_for(n: int) -> int:
        Ticket.objects.all().delete()
        breaching(assignee, n, first_response_due_at=None)
        breaching(bob, n, first_response_due_at=None)
        with CaptureQueriesContext(connection) as ctx, on_commit():
            escalations_evaluate()
        return len(ctx.captured_queries)

    # then: the same queries for 2 and 7 tickets per agent, and digests of notes too
    assert queries_for(2) == queries_for(7)
    assert sorted(m.subject for m in mailoutbox[-4:]) == [
        "7 new internal notes",
        "7 new internal notes",
        "7 tickets escalated",
        "7 tickets escalated",
    ]


@pytest.mark.django_db(transaction=True)
def test_check_sla_command_sends_one_digest_per_agent_for_the_whole_run(mailoutbox):
    # given: batches of 2, and both kinds of breach: five transactions, one run
    alice = f.AgentFactory(username="alice", email="alice@example.com")
    bob = f.AgentFactory(username="bob", email="bob@example.com")
    breaching(alice, 3)
    breaching(alice, 2, first_response_at=PAST, resolution_due_at=PAST)
    breaching(bob, 2)

    # when
    call_command("check_sla", "--batch-size", "2", "--no-progress", stdout=StringIO())

    # then
    subjects = sorted((m.to[0], m.subject) for m in mailoutbox)
    assert subjects == [
        ("alice@example.com", "5 tickets breached their SLA"),
        ("bob@example.com", "2 tickets breached their SLA"),
    ]
    assert "(resolution)" in mailoutbox[0].body + mailoutbox[1].body


# --------------------------------------------------------------------------- webhooks


@dataclass
class Received:
    headers: Message
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class HookServer:
    url: str
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[str]:
        return [r.json["event"] for r in self.received]


@pytest.fixture
def hook() -> Iterator[HookServer]:
    """A real HTTP server on 127.0.0.1 recording what it is POSTed."""
    server_box: dict[str, HookServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state = server_box["hook"]
            with state.lock:
                state.received.append(Received(self.headers, body))
                status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    _host, port = server.server_address[:2]
    server_box["hook"] = HookServer(url=f"http://127.0.0.1:{port}/hooks/escalated")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server_box["hook"]
    server.shutdown()
    server.server_close()


def webhook_settings(hook: HookServer, **extra: Any) -> Any:
    return email_settings(WEBHOOK_URL=hook.url, NOTIFICATION_CHANNELS=[], **extra)


def test_webhook_posts_the_event_with_its_headers_and_a_valid_signature(hook, customer, on_commit):
    secret = "whsec_test"
    with webhook_settings(hook, WEBHOOK_SECRET=secret), on_commit():
        ticket = svc.ticket_create(actor=customer, subject="Printer on fire", description="Help")
    assert notifications.webhooks_drain(timeout=10)

    (post,) = hook.received
    payload = post.json
    assert post.headers["Content-Type"] == "application/json"
    assert post.headers["User-Agent"] == "escalated-django"
    assert post.headers["X-Escalated-Event"] == "ticket_created"
    assert post.headers["X-Escalated-Delivery"] == payload["id"]
    assert uuid.UUID(payload["id"]).version == 4
    expected = hmac.new(secret.encode(), post.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(post.headers["X-Escalated-Signature"], f"sha256={expected}")
    assert payload["event"] == "ticket_created"
    assert datetime.fromisoformat(payload["occurred_at"]).tzinfo is not None
    assert payload["ticket"] == {
        "id": ticket.pk,
        "reference": ticket.reference,
        "subject": "Printer on fire",
        "status": "open",
        "priority": "medium",
        "channel": "web",
        "department": None,
        "assignee": None,
        "requester": {"email": "carol@example.com", "name": "Carol"},
        "created_at": payload["ticket"]["created_at"],
        "updated_at": payload["ticket"]["updated_at"],
    }
    # ISO 8601 as JavaScript writes it: UTC, milliseconds
    created_at = datetime.fromisoformat(payload["ticket"]["created_at"])
    assert timedelta(0) <= ticket.created_at - created_at < timedelta(milliseconds=1)
    assert payload["actor"] == {"id": customer.pk, "name": "carol", "email": "carol@example.com"}
    assert payload["data"] == {"channel": "web"}


def test_without_a_secret_there_is_no_signature(hook, customer, on_commit):
    with webhook_settings(hook), on_commit():
        svc.ticket_create(actor=customer, subject="Hi", description="Help")
    assert notifications.webhooks_drain(timeout=10)

    (post,) = hook.received
    assert post.headers["X-Escalated-Signature"] is None


def test_webhook_data_carries_each_signals_kwargs(hook, ticket, agent, assignee, on_commit):
    department = f.DepartmentFactory(name="Fire")
    tag = f.TagFactory(name="urgent-ish", slug="urgent-ish")
    with webhook_settings(hook), on_commit():
        svc.ticket_assign(ticket=ticket, actor=agent, agent=agent)
        svc.ticket_change_priority(ticket=ticket, actor=agent, priority="high")
        svc.ticket_change_department(ticket=ticket, actor=agent, department=department)
        svc.ticket_add_tags(ticket=ticket, actor=agent, tags=[tag])
        note = svc.reply_create(ticket=ticket, actor=agent, body="Psst", is_internal=True)
        svc.ticket_escalate(ticket=ticket, actor=agent, reason="Smoke")
    assert notifications.webhooks_drain(timeout=10)

    data = {r.json["event"]: r.json["data"] for r in hook.received}
    agent_ref = {"id": agent.pk, "name": agent.username, "email": agent.email}
    alice_ref = {"id": assignee.pk, "name": "Alice", "email": "alice@example.com"}
    assert data["ticket_assigned"] == {"agent": agent_ref, "previous_agent": alice_ref}
    assert data["ticket_priority_changed"] == {"old_priority": "medium", "new_priority": "high"}
    assert data["department_changed"] == {
        "old_department": None,
        "new_department": {"id": department.pk, "name": "Fire"},
    }
    assert data["tag_added"] == {"tag": {"id": tag.pk, "name": "urgent-ish", "slug": "urgent-ish"}}
    assert data["internal_note_added"]["reply"] | {"created_at": None} == {
        "id": note.pk,
        "body": "Psst",
        "is_internal": True,
        "author_type": "agent",
        "author": agent_ref,
        "created_at": None,
    }
    assert data["ticket_status_changed"] == {"old_status": "open", "new_status": "escalated"}
    assert data["ticket_escalated"] == {"reason": "Smoke"}
    last = hook.received[-1].json["ticket"]
    assert last["department"] == {"id": department.pk, "name": "Fire"}
    assert last["assignee"] == agent_ref and last["status"] == "escalated"


def test_all_events_of_a_sweep_are_posted_with_their_tickets(hook, assignee, on_commit):
    tickets = breaching(assignee, 3)

    with webhook_settings(hook), on_commit():
        sla_check(now=NOW)
    assert notifications.webhooks_drain(timeout=10)

    assert hook.events() == ["sla_breached"] * 3
    posted = [r.json for r in hook.received]
    assert sorted(p["ticket"]["id"] for p in posted) == sorted(t.pk for t in tickets)
    assert {p["ticket"]["assignee"]["email"] for p in posted} == {"alice@example.com"}
    assert {json.dumps(p["data"]) for p in posted} == {'{"breach_type": "first_response"}'}
    assert len({p["id"] for p in posted}) == 3


def test_a_5xx_is_retried_and_the_event_delivered_once(hook, customer, on_commit, caplog):
    hook.statuses = [500]
    with caplog.at_level(logging.WARNING, logger="escalated.notifications"):
        with webhook_settings(hook), on_commit():
            svc.ticket_create(actor=customer, subject="Hi", description="Help")
        assert notifications.webhooks_drain(timeout=10)

    first, second = hook.received
    assert first.body == second.body
    assert first.headers["X-Escalated-Delivery"] == second.headers["X-Escalated-Delivery"]
    assert "attempt 1 failed: HTTP 500; retrying" in caplog.text
    assert "not delivered" not in caplog.text


def test_a_4xx_is_not_retried_and_is_logged(hook, customer, on_commit, caplog):
    hook.statuses = [400]
    with caplog.at_level(logging.WARNING, logger="escalated.notifications"):
        with webhook_settings(hook), on_commit():
            svc.ticket_create(actor=customer, subject="Hi", description="Help")
        assert notifications.webhooks_drain(timeout=10)

    (post,) = hook.received
    event_id = post.json["id"]
    assert f"Webhook event {event_id} (ticket_created) refused by {hook.url}: HTTP 400" in (
        caplog.text
    )


def test_three_failures_give_up_and_log_the_event_id(hook, customer, on_commit, caplog):
    hook.statuses = [503, 502, 500]
    with caplog.at_level(logging.ERROR, logger="escalated.notifications"):
        with webhook_settings(hook), on_commit():
            svc.ticket_create(actor=customer, subject="Hi", description="Help")
        assert notifications.webhooks_drain(timeout=10)

    assert len(hook.received) == 3
    event_id = hook.received[0].json["id"]
    assert f"Webhook event {event_id} (ticket_created) not delivered" in caplog.text
    assert "after 3 attempts: HTTP 500" in caplog.text


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_endpoint_neither_breaks_the_request_nor_the_service(caplog):
    # given: a signed-in customer and a webhook URL nobody listens on
    user = f.UserFactory(username="carol", email="carol@example.com")
    user.save()
    f.ContactFactory(email=user.email, name="Carol", user=user)
    client = Client()
    client.force_login(user)
    url = closed_port_url()

    # when: a page request and a direct service call cause events
    with (
        email_settings(WEBHOOK_URL=url, NOTIFICATION_CHANNELS=[]),
        caplog.at_level(logging.ERROR, logger="escalated.notifications"),
    ):
        response = client.post(
            "/support/tickets/",
            json.dumps({"subject": "Hi", "description": "Help"}),
            content_type="application/json",
        )
        ticket = Ticket.objects.get()
        svc.reply_create(ticket=ticket, actor=user, body="Hello?")
        assert notifications.webhooks_drain(timeout=10)

    # then: both went through; each lost event is logged with its id
    assert response.status_code in (302, 303)
    assert ticket.replies.count() == 1
    failures = [r for r in caplog.records if "not delivered" in r.getMessage()]
    assert [r.args[1] for r in failures] == ["ticket_created", "reply_created"]
    assert all(uuid.UUID(str(r.args[0])) for r in failures)


def test_nothing_is_posted_once_the_webhook_url_is_unset(hook, customer, agent, on_commit):
    # given: webhooks on, and working (the worker runs, the hook answers)
    with webhook_settings(hook), on_commit():
        ticket = svc.ticket_create(actor=customer, subject="Hi", description="Help")
    assert notifications.webhooks_drain(timeout=10)
    assert hook.events() == ["ticket_created"]

    # when: the URL is taken out (read on each event, never kept from the first)
    for off in (None, ""):
        with email_settings(WEBHOOK_URL=off, NOTIFICATION_CHANNELS=[]), on_commit():
            svc.ticket_resolve(ticket=ticket, actor=agent)
            svc.ticket_reopen(ticket=ticket, actor=agent)
        assert notifications.webhooks_pending() == 0

    # then
    assert notifications.webhooks_drain(timeout=10)
    assert hook.events() == ["ticket_created"]


# --------------------------------------------------------------------------- review fixes


def test_a_requester_whose_account_was_deactivated_gets_nothing(agent, on_commit, mailoutbox):
    gone = f.UserFactory(username="gone", email="gone@example.com", is_active=False)
    contact = f.ContactFactory(email="gone@example.com", user=gone)
    with on_commit():
        ticket = svc.ticket_create(actor=agent, requester=contact, subject="S", description="D")
        svc.reply_create(ticket=ticket, actor=agent, body="Hello")
    assert mailoutbox == []


def test_a_requester_without_an_account_gets_the_secret_link(agent, on_commit, mailoutbox):
    # a ticket by e-mail or API: no portal account to sign in to
    with on_commit():
        ticket = svc.ticket_create(
            actor=agent,
            requester_email="dave@example.com",
            subject="S",
            description="D",
            channel="email",
        )
    (message,) = mailoutbox
    assert ticket.guest_token
    assert f"{PUBLIC}/support/guest/{ticket.guest_token}/" in message.body
    assert "/support/tickets/" not in message.body


def test_a_requester_with_an_account_gets_no_secret_link(customer, agent, on_commit):
    from escalated.services.contacts import contact_for_user

    contact = contact_for_user(user=customer)
    ticket = svc.ticket_create(actor=agent, requester=contact, subject="S", description="D")
    assert ticket.guest_token is None


def test_a_ticket_missing_both_targets_is_one_digest_line(assignee, on_commit, mailoutbox):
    # given: two tickets of Alice; the first misses both targets in the same sweep
    both = f.TicketFactory(
        status=Status.OPEN, assignee=assignee, first_response_due_at=PAST, resolution_due_at=PAST
    )
    other = f.TicketFactory(status=Status.OPEN, assignee=assignee, first_response_due_at=PAST)
    with notifications.collecting(), on_commit():  # the whole sweep, as check_sla does
        sla_check(now=NOW)
    (digest,) = mailoutbox
    assert digest.subject == "2 tickets breached their SLA"
    assert f"- {both.reference} {both.subject} (first response, resolution)" in digest.body
    assert digest.body.count(both.reference) == 2  # its line: the text and the link
    assert other.reference in digest.body


def test_one_ticket_missing_both_targets_gets_both_e_mails(assignee, on_commit, mailoutbox):
    f.TicketFactory(
        status=Status.OPEN, assignee=assignee, first_response_due_at=PAST, resolution_due_at=PAST
    )
    with notifications.collecting(), on_commit():
        sla_check(now=NOW)
    subjects = sorted(m.subject.split("]", 1)[1] for m in mailoutbox)
    assert [s.split(":")[0] for s in subjects] == [
        " SLA breached (first response)",
        " SLA breached (resolution)",
    ]


class RefusingSmtp:
    """Stands in for the SMTP server: refuses one mailbox, as a real server does."""

    sent: list[list[str]] = []

    def sendmail(self, sender, recipients, message):
        import smtplib

        if any(r.startswith("bad@") for r in recipients):
            raise smtplib.SMTPRecipientsRefused({recipients[0]: (550, b"no such user")})
        self.sent.append(list(recipients))


class RefusingSmtpBackend:
    """Django's SMTP backend on :class:`RefusingSmtp` (no network)."""

    def __new__(cls, *args, **kwargs):
        from django.core.mail.backends.smtp import EmailBackend

        class Backend(EmailBackend):
            def open(self):
                if self.connection:
                    return False
                self.connection = RefusingSmtp()
                return True

            def close(self):
                self.connection = None

        return Backend(*args, **kwargs)


def test_a_refused_mailbox_does_not_stop_the_others(on_commit, caplog, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingSmtpBackend"
    RefusingSmtp.sent = []
    bad = f.AgentFactory(username="bad", email="bad@example.com")
    good = f.AgentFactory(username="good", email="good@example.com")
    for agent in (bad, good):
        f.TicketFactory(status=Status.OPEN, assignee=agent, first_response_due_at=PAST)
    with caplog.at_level(logging.ERROR, logger="escalated.notifications"), on_commit():
        sla_check(now=NOW)
    assert RefusingSmtp.sent == [["good@example.com"]]
    assert "bad@example.com" in caplog.text


@pytest.mark.django_db(transaction=True)  # real commits: the signals go out per batch
def test_the_sweep_services_collect_over_their_whole_run(assignee, mailoutbox):
    # given: more breaches than one batch holds
    breaching(assignee, 5)
    # when: called from a host's own code, in batches of two
    sla_check(now=NOW, batch_size=2)
    # then: one digest for the run, not one per batch
    (digest,) = mailoutbox
    assert digest.subject == "5 tickets breached their SLA"


# --------------------------------------------------------------------------- second review


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("WEBHOOK_URL", "http://[::1", "escalated.E013"),  # urlsplit raises on it
        ("WEBHOOK_URL", "https://hooks.example.com:abc/", "escalated.E013"),
        ("WEBHOOK_URL", "https://hooks.example .com/", "escalated.E013"),
        ("WEBHOOK_URL", "https:///escalated", "escalated.E013"),
        ("WEBHOOK_URL", "https://user:pw@hooks.example.com/", "escalated.E013"),  # never sent
        ("PUBLIC_URL", "http://[::1", "escalated.E014"),
        ("PUBLIC_URL", "https://support.example.com:99999", "escalated.E014"),
        ("PUBLIC_URL", "https://support.example.com/?site=1", "escalated.E014"),
        ("PUBLIC_URL", "https://support.example.com/#top", "escalated.E014"),
        ("PUBLIC_URL", "https://support.example.com\n", "escalated.E014"),
    ],
)
def test_malformed_urls_are_check_errors_not_crashes(key, value, expected):
    from escalated.checks import check_settings

    with email_settings(**{key: value}):
        ids = [e.id for e in check_settings()]

    assert expected in ids


@pytest.mark.parametrize(
    "value",
    [
        "https://hooks.example.com/escalated?key=1",
        "http://127.0.0.1:8080/hooks",
        "https://[::1]:8443/h",
    ],
)
def test_good_webhook_urls_pass_the_check(value):
    from escalated.checks import check_settings

    with email_settings(WEBHOOK_URL=value):
        assert [e.id for e in check_settings()] == []


def readme_verifier() -> Any:
    """The ``is_from_escalated`` of README's webhook section, run as documented."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    (code,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", readme, re.S)
        if "def is_from_escalated" in block
    ]
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    return namespace["is_from_escalated"]


def test_the_documented_signature_check_accepts_ours_and_refuses_anything_else():
    is_from_escalated = readme_verifier()
    body = b'{"event": "ticket_created"}'
    good = webhooks.signature(body, "whsec_test")

    assert is_from_escalated(body, good, "whsec_test")
    assert not is_from_escalated(body + b" ", good, "whsec_test")
    assert not is_from_escalated(body, good, "other")
    assert not is_from_escalated(body, "", "whsec_test")
    # a forged header with any character (Django decodes headers as latin-1) is refused,
    # not a TypeError from compare_digest, i.e. a 500 on the receiving site
    assert not is_from_escalated(body, "sha256=é", "whsec_test")


def test_an_assignee_who_is_no_longer_an_agent_is_not_mailed_agent_matters(
    ticket, assignee, agent, customer, on_commit, mailoutbox
):
    # given: Alice left the support team but keeps her account and her tickets
    assignee.is_staff = False
    assignee.save(update_fields=["is_staff"])
    ticket.assignee.refresh_from_db()

    # when: a note, a customer reply and a breach concern her ticket
    with on_commit():
        svc.reply_create(ticket=ticket, actor=agent, body="Secret plan", is_internal=True)
        svc.reply_create(ticket=ticket, actor=customer, body="Still burning")
    f.TicketFactory(status=Status.OPEN, assignee=assignee, first_response_due_at=PAST)
    f.TicketFactory(status=Status.OPEN, assignee=assignee, first_response_due_at=PAST)
    with on_commit():
        sla_check(now=NOW)

    # then: none of it reaches her mailbox
    assert "alice@example.com" not in to(mailoutbox)
    assert mailoutbox == []


def test_a_guests_digest_points_to_their_secret_links_not_the_portal(agent, on_commit, mailoutbox):
    # given: two tickets of a requester without an account, resolved in one bulk run
    guest = {"actor": None, "channel": "guest", "requester_email": "gus@example.com"}
    with on_commit():
        tickets = [svc.ticket_create(**guest, subject=s, description="x") for s in "AB"]
    mailoutbox.clear()

    with notifications.collecting(), on_commit():
        for t in tickets:
            svc.ticket_resolve(ticket=t, actor=agent)

    # then: one digest; each line has that ticket's secret link, and no portal link
    (digest,) = mailoutbox
    assert digest.to == ["gus@example.com"]
    for t in tickets:
        assert f"{PUBLIC}/support/guest/{t.guest_token}/" in digest.body
        assert f'href="{PUBLIC}/support/guest/{t.guest_token}/"' in html_of(digest)
    assert f"{PUBLIC}/support/tickets/" not in digest.body
    assert f"{PUBLIC}/support/tickets/" not in html_of(digest)


def test_a_digest_line_names_both_targets_past_the_first_fifty(assignee, on_commit, mailoutbox):
    # given: 50 tickets that miss both targets (a full digest of first-response breaches,
    # then the resolution breaches of the same tickets)
    breaching(assignee, 50, resolution_due_at=PAST)

    with notifications.collecting(), on_commit():  # the whole sweep, as check_sla does
        sla_check(now=NOW)

    (digest,) = mailoutbox
    assert digest.subject == "50 tickets breached their SLA"
    assert digest.body.count("(first response, resolution)") == 50
    assert "more." not in digest.body


def test_a_failure_while_sending_collected_mail_is_logged_not_raised(
    ticket, agent, on_commit, mailoutbox, caplog
):
    from django.db import OperationalError

    gone = {"now": False}

    def database(execute, sql, params, many, context):
        if gone["now"]:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    # when: the database fails just as the collected e-mails are being sent
    with (
        caplog.at_level(logging.ERROR, logger="escalated.notifications"),
        connection.execute_wrapper(database),
    ):
        with notifications.collecting():
            with on_commit():
                svc.reply_create(ticket=ticket, actor=agent, body="Hello")
            gone["now"] = True
        gone["now"] = False

    # then: the caller is not failed, the loss is logged, and later notices go out
    assert "server closed the connection unexpectedly" in caplog.text
    assert mailoutbox == []
    assert notifications._collect.active() is None
    with on_commit():
        svc.reply_create(ticket=ticket, actor=agent, body="Again")
    assert [m.to for m in mailoutbox] == [["carol@example.com"]]


def test_a_worker_that_cannot_start_fails_nothing_and_is_started_later(
    hook, customer, on_commit, monkeypatch, caplog
):
    # given: a fresh process state, and a first thread start the OS refuses
    monkeypatch.setattr(webhooks, "_queue", None)
    monkeypatch.setattr(webhooks, "_queue_pid", None)
    monkeypatch.setattr(webhooks, "_worker", None)
    real_start = threading.Thread.start
    refusals = [RuntimeError("can't start new thread")]

    def start(self):
        if self.name == "escalated-webhooks" and refusals:
            raise refusals.pop()
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", start)

    # when: two tickets are created
    with caplog.at_level(logging.ERROR, logger="escalated.notifications"):
        with webhook_settings(hook), on_commit():
            svc.ticket_create(actor=customer, subject="One", description="x")
        with webhook_settings(hook), on_commit():
            svc.ticket_create(actor=customer, subject="Two", description="x")
        assert notifications.webhooks_drain(timeout=10)

    # then: neither call failed; both events went out once a worker could start
    assert "can't start new thread" in caplog.text
    assert sorted(r.json["ticket"]["subject"] for r in hook.received) == ["One", "Two"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_mails_and_posts_nothing(hook, customer, agent, mailoutbox):
    from django.db import transaction

    ticket = svc.ticket_create(
        actor=agent, requester_email="dave@example.com", subject="S", description="D"
    )
    mailoutbox.clear()
    with email_settings(WEBHOOK_URL=hook.url):
        # a change rolled back, alone and inside a collecting block (a sweep's batch)
        with pytest.raises(RuntimeError), transaction.atomic():
            svc.reply_create(ticket=ticket, actor=agent, body="Never sent")
            raise RuntimeError("rolled back")
        with notifications.collecting(), pytest.raises(RuntimeError), transaction.atomic():
            svc.ticket_resolve(ticket=ticket, actor=agent)
            raise RuntimeError("rolled back")
    assert notifications.webhooks_drain(timeout=10)

    assert mailoutbox == []
    assert hook.received == []


def test_a_rule_run_costs_no_query_per_ticket_with_webhooks_on(hook, assignee, on_commit):
    # given: e-mail and webhooks on, a rule whose actions send most kinds of signal
    bob = f.AgentFactory(username="bob", email="bob@example.com")
    department = f.DepartmentFactory(name="Fire")
    tag = f.TagFactory(name="hot", slug="hot")
    EscalationRule.objects.create(
        name="Everything open",
        conditions=[{"field": "status", "operator": "in", "value": ["open"]}],
        actions=[
            {"type": "escalate"},
            {"type": "add_note", "value": "Escalated by a rule."},
            {"type": "set_priority", "value": "high"},
            {"type": "set_department", "value": department.pk},
            {"type": "add_tag", "value": tag.pk},
            {"type": "assign", "value": bob.pk},
        ],
    )

    def queries_for(n: int) -> int:
        Ticket.objects.all().delete()
        breaching(assignee, n, first_response_due_at=None)
        with (
            email_settings(WEBHOOK_URL=hook.url),
            CaptureQueriesContext(connection) as ctx,
            notifications.collecting(),
            on_commit(),
        ):
            escalations_evaluate()
        assert notifications.webhooks_drain(timeout=10)
        return len(ctx.captured_queries)

    # then: the same queries for 2 and 9 tickets, every event posted
    assert queries_for(2) == queries_for(9)
    # (status, escalated, note, priority, department, tag, assigned: 7 per ticket)
    assert len(hook.received) == (2 + 9) * 7


def test_a_user_model_with_its_own_email_field_is_mailed_and_posted_there(
    hook, ticket, assignee, customer, on_commit, mailoutbox, monkeypatch
):
    # given: a user model whose address lives in another field (USERNAME_FIELD-style
    # ``EMAIL_FIELD``, as Django's get_email_field_name() reads it)
    monkeypatch.setattr(type(assignee), "EMAIL_FIELD", "last_name")
    assignee.email, assignee.last_name = "", "alice.work@example.com"
    assignee.save(update_fields=["email", "last_name"])
    ticket.assignee.refresh_from_db()

    # when
    with email_settings(WEBHOOK_URL=hook.url), on_commit():
        svc.reply_create(ticket=ticket, actor=customer, body="Still burning")
    assert notifications.webhooks_drain(timeout=10)

    # then
    assert to(mailoutbox) == ["alice.work@example.com"]
    (post,) = hook.received
    assert post.json["ticket"]["assignee"]["email"] == "alice.work@example.com"
