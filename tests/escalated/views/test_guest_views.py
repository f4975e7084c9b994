"""Guest tickets: public form, the secret link, and what the link allows."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from escalated.models import Attachment, Reply, SatisfactionRating, Status, Ticket
from escalated.services import tickets as svc
from tests.escalated.views.conftest import assert_redirect

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest_ticket(default_policy):
    return svc.ticket_create(
        actor=None,
        channel="guest",
        requester_email="gus@example.com",
        requester_name="Gus",
        subject="Cannot order",
        description="Checkout fails",
    )


def test_submission_form_needs_no_login(ui):
    page = ui.page("/support/guest/")

    assert page["component"] == "Escalated/Guest/Create"
    assert page["props"]["auth"] == {"user": None, "logout_url": None}
    assert "priorities" in page["props"] and "departments" in page["props"]


def test_store_creates_a_guest_ticket_and_goes_to_its_secret_link(ui):
    response = ui.post(
        "/support/guest/",
        {"name": "Gus", "email": "Gus@Example.com", "subject": "Hi", "description": "Help"},
    )

    ticket = Ticket.objects.get()
    assert_redirect(response, f"/support/guest/{ticket.guest_token}/")
    assert ticket.channel == "guest"
    assert ticket.requester.email == "gus@example.com" and ticket.requester.user is None
    props = ui.props(response["Location"])
    assert props["flash"]["success"].startswith(f"Ticket {ticket.reference} was created.")
    assert props["ticket"]["is_guest"] is True
    assert props["ticket"]["guest_name"] == "Gus"
    assert props["ticket"]["guest_email"] == "gus@example.com"


def _submit(ui, n, *, address="203.0.113.7"):
    return ui.post(
        "/support/guest/",
        {"name": "Gus", "email": "gus@example.com", "subject": f"Spam {n}", "description": "x"},
        REMOTE_ADDR=address,
    )


@override_settings(ESCALATED={"GUEST_RATE_LIMIT": "2/h"})
def test_guest_tickets_per_address_are_limited(ui, time_machine):
    time_machine.move_to("2026-03-02 10:05:00Z", tick=False)
    _submit(ui, 1)
    invalid = ui.post("/support/guest/", {"email": "gus@example.com"}, REMOTE_ADDR="203.0.113.7")
    _submit(ui, 2)
    assert Ticket.objects.count() == 2  # the failed submission did not count

    refused = _submit(ui, 3)

    assert_redirect(invalid, "/support/guest/")
    assert_redirect(refused, "/support/guest/")
    props = ui.props("/support/guest/")
    assert props["flash"]["error"] == (
        "You have opened several tickets in a short time. Please try again in 55 minutes."
    )
    assert props["old"]["subject"] == "Spam 3"  # the input is kept
    assert Ticket.objects.count() == 2
    _submit(ui, 4, address="198.51.100.1")  # another address
    assert Ticket.objects.count() == 3
    time_machine.move_to("2026-03-02 11:00:01Z", tick=False)  # the next window
    _submit(ui, 5)
    assert Ticket.objects.count() == 4


@override_settings(ESCALATED={"GUEST_RATE_LIMIT": "1/m"})
def test_a_throttled_json_client_gets_429_with_retry_after(ui):
    data = {"email": "gus@example.com", "subject": "Hi", "description": "x"}
    ui.client.post("/support/guest/", data, headers={"accept": "application/json"})

    response = ui.client.post("/support/guest/", data, headers={"accept": "application/json"})

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Ticket.objects.count() == 1


@override_settings(ESCALATED={"GUEST_RATE_LIMIT": "1/h"})
def test_simultaneous_submissions_cannot_overrun_the_limit(ui, monkeypatch):
    # given: a second submission from the same address arrives while the first one is
    # still being written (two requests at once)
    create = svc.ticket_create
    overlapping = []

    def slow_create(**kwargs):
        if not overlapping:
            overlapping.append(_submit(ui, "at once"))
        return create(**kwargs)

    monkeypatch.setattr(svc, "ticket_create", slow_create)

    # when
    _submit(ui, 1)

    # then: one of the two is refused
    assert Ticket.objects.count() == 1
    assert_redirect(overlapping[0], "/support/guest/")


@override_settings(ESCALATED={"GUEST_RATE_LIMIT": "1/h"})
def test_an_ipv6_client_is_one_64_network(ui):
    # a subscriber line gets a whole /64: each of its addresses is the same client
    _submit(ui, 1, address="2001:db8:1:2::10")
    _submit(ui, 2, address="2001:db8:1:2:ffff::99")
    _submit(ui, 3, address="::ffff:203.0.113.7")  # an IPv4 client seen through IPv6
    _submit(ui, 4, address="203.0.113.7")
    _submit(ui, 5, address="2001:db8:1:3::10")  # another line

    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Spam 1",
        "Spam 3",
        "Spam 5",
    ]


@override_settings(ESCALATED={"GUEST_RATE_LIMIT": None})
def test_no_guest_limit_when_turned_off(ui):
    for n in range(12):
        _submit(ui, n)

    assert Ticket.objects.count() == 12


def test_store_reports_every_missing_field_under_the_forms_names(ui):
    response = ui.post(
        "/support/guest/", {"name": "", "email": "", "subject": "", "description": ""}
    )

    assert_redirect(response, "/support/guest/")
    assert ui.props("/support/guest/")["errors"] == {
        "subject": "Subject is required.",
        "description": "Description is required.",
        "email": "Enter your e-mail address.",
    }


def test_store_rejects_a_bad_email_on_the_email_field(ui):
    ui.post("/support/guest/", {"email": "not-an-email", "subject": "S", "description": "D"})

    assert ui.props("/support/guest/")["errors"] == {"email": "Enter a valid e-mail address."}
    assert not Ticket.objects.exists()


def test_secret_link_shows_the_ticket_without_login(ui, guest_ticket, agent):
    svc.reply_create(ticket=guest_ticket, actor=agent, body="Public answer")
    svc.reply_create(ticket=guest_ticket, actor=agent, body="Internal", is_internal=True)
    url = f"/support/guest/{guest_ticket.guest_token}/"

    response = ui.get(url)

    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]
    page = response.json()
    assert page["component"] == "Escalated/Guest/Show"
    props = page["props"]
    assert props["ticket"]["id"] == guest_ticket.pk
    assert [r["body"] for r in props["replies"]] == ["Public answer"]
    assert props["token"] == guest_ticket.guest_token
    assert props["urls"]["reply"] == f"{url}reply/"
    assert props["can_reply"] and props["can_close"]


def test_wrong_token_is_a_plain_404(ui, guest_ticket):
    response = ui.get("/support/guest/not-the-token/")

    assert response.status_code == 404
    assert response.json()["component"] == "Escalated/Errors/NotFound"
    assert "Cannot order" not in response.content.decode()


def test_guest_replies_closes_reopens_and_rates(ui, guest_ticket, media):
    url = f"/support/guest/{guest_ticket.guest_token}/"

    assert_redirect(
        ui.post_form(
            f"{url}reply/", {"body": "More info", "attachments": SimpleUploadedFile("x.txt", b"1")}
        ),
        url,
    )
    reply = Reply.objects.get()
    assert (reply.author, reply.author_type, reply.contact) == (
        None,
        "customer",
        guest_ticket.requester,
    )
    assert reply.attachments.count() == 1

    assert_redirect(ui.post(f"{url}close/"), url)
    guest_ticket.refresh_from_db()
    assert guest_ticket.status == Status.CLOSED
    assert_redirect(ui.post(f"{url}rate/", {"rating": 5, "comment": "Great"}), url)
    assert SatisfactionRating.objects.get().rating == 5
    assert_redirect(ui.post(f"{url}reopen/"), url)
    guest_ticket.refresh_from_db()
    assert guest_ticket.status == Status.REOPENED


def test_guest_actions_with_a_wrong_token_change_nothing(ui, guest_ticket):
    response = ui.post("/support/guest/wrong/reply/", {"body": "x"})

    assert response.status_code == 404
    assert not Reply.objects.exists()


def test_guest_download_checks_the_token_and_hides_internal_notes(
    ui, guest_ticket, agent, media, bundle
):
    public = svc.reply_create(
        ticket=guest_ticket,
        actor=agent,
        body="File",
        attachments=[SimpleUploadedFile("fix.txt", b"the fix")],
    )
    svc.reply_create(
        ticket=guest_ticket,
        actor=agent,
        body="Note",
        is_internal=True,
        attachments=[SimpleUploadedFile("note.txt", b"internal")],
    )
    other = svc.ticket_create(
        actor=None,
        channel="guest",
        requester_email="x@example.com",
        subject="Other",
        description="x",
        attachments=[SimpleUploadedFile("other.txt", b"other")],
    )
    token = guest_ticket.guest_token
    good = Attachment.objects.get(reply=public)
    note = Attachment.objects.get(original_name="note.txt")
    foreign = Attachment.objects.get(ticket=other)

    ok = ui.client.get(f"/support/guest/{token}/attachments/{good.pk}/")
    assert ok.status_code == 200
    assert b"".join(ok.streaming_content) == b"the fix"
    assert 'attachment; filename="fix.txt"' in ok["Content-Disposition"]
    assert ui.client.get(f"/support/guest/{token}/attachments/{note.pk}/").status_code == 404
    assert ui.client.get(f"/support/guest/{token}/attachments/{foreign.pk}/").status_code == 404
    props = ui.props(f"/support/guest/{token}/")
    assert props["replies"][0]["attachments"][0]["url"] == (
        f"/support/guest/{token}/attachments/{good.pk}/"
    )
