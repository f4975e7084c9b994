"""The customer portal: my tickets, new ticket, ticket page, reply/close/reopen/rate."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from escalated.models import Attachment, Reply, SatisfactionRating, Status, Ticket
from escalated.services import tickets as svc
from tests import factories as f
from tests.escalated.views.conftest import assert_redirect

pytestmark = pytest.mark.django_db

TICKET_KEYS = {
    "id", "reference", "subject", "description", "status", "status_display", "priority",
    "priority_display", "channel", "assigned_to", "department", "sla_policy", "tags",
    "is_open", "first_response_at", "first_response_due_at", "resolution_due_at",
    "sla_first_response_breached", "sla_resolution_breached", "sla_paused", "resolved_at",
    "closed_at", "created_at", "updated_at", "metadata", "attachments", "is_guest",
    "guest_name", "guest_email", "requester_name", "requester_email", "requester",
    "last_reply_at", "last_reply_author",
}  # fmt: skip
REPLY_KEYS = {
    "id", "ticket_id", "author", "author_type", "body", "is_internal_note", "is_pinned",
    "attachments", "created_at", "updated_at",
}  # fmt: skip


def test_my_tickets_lists_only_mine_newest_first(customer_ui, customer, other_customer):
    mine_old = svc.ticket_create(actor=customer, subject="Old", description="x")
    mine_new = svc.ticket_create(actor=customer, subject="New", description="x")
    svc.ticket_create(actor=other_customer, subject="Not mine", description="x")

    page = customer_ui.page("/support/tickets/")

    assert page["component"] == "Escalated/Customer/Tickets/Index"
    tickets = page["props"]["tickets"]
    assert [t["id"] for t in tickets["data"]] == [mine_new.pk, mine_old.pk]
    assert set(tickets["data"][0]) == TICKET_KEYS
    assert {k: v for k, v in tickets.items() if k != "data"} == {
        "total": 2,
        "per_page": 25,
        "current_page": 1,
        "last_page": 1,
        "total_is_exact": True,
    }
    assert page["props"]["scope"] == ""


def test_my_tickets_scope_and_bad_page_values(customer_ui, customer, agent):
    open_ = svc.ticket_create(actor=customer, subject="Open one", description="x")
    done = svc.ticket_create(actor=customer, subject="Done one", description="x")
    svc.ticket_resolve(ticket=done, actor=agent)

    open_ids = [
        t["id"] for t in customer_ui.props("/support/tickets/?scope=open")["tickets"]["data"]
    ]
    closed = customer_ui.props("/support/tickets/?scope=closed&page=abc")
    weird = customer_ui.props("/support/tickets/?scope=everything&page=99")

    assert open_ids == [open_.pk]
    assert [t["id"] for t in closed["tickets"]["data"]] == [done.pk]
    assert closed["tickets"]["current_page"] == 1
    assert weird["scope"] == ""
    assert weird["tickets"]["current_page"] == 1
    assert len(weird["tickets"]["data"]) == 2


def test_shared_props_describe_the_user_and_the_desk(customer_ui, customer):
    props = customer_ui.props("/support/tickets/")

    assert props["auth"] == {
        "user": {
            "id": customer.pk,
            "name": customer.get_username(),
            "email": "carol@example.com",
            "is_agent": False,
            "is_admin": False,
        },
        "logout_url": "/accounts/logout/",
    }
    assert props["escalated"] == {
        "route_prefix": "support",
        "max_attachments": 5,
        "max_attachment_size_kb": 10240,
        "allow_customer_close": True,
    }
    assert props["flash"] == {}
    assert props["errors"] == {}


def test_create_form_offers_active_departments_and_priorities(customer_ui):
    active = f.DepartmentFactory(name="Billing", slug="billing")
    f.DepartmentFactory(name="Old", slug="old", is_active=False)

    page = customer_ui.page("/support/tickets/create/")

    assert page["component"] == "Escalated/Customer/Tickets/Create"
    assert page["props"]["departments"] == [{"id": active.pk, "name": "Billing", "slug": "billing"}]
    assert [p["value"] for p in page["props"]["priorities"]] == [
        "low",
        "medium",
        "high",
        "urgent",
        "critical",
    ]


def test_store_creates_a_ticket_and_redirects_to_it_with_a_flash(customer_ui, customer):
    dept = f.DepartmentFactory()

    response = customer_ui.post(
        "/support/tickets/",
        {
            "subject": "VPN down",
            "description": "Since 9am",
            "priority": "high",
            "department": dept.pk,
        },
    )

    ticket = Ticket.objects.get()
    assert_redirect(response, f"/support/tickets/{ticket.reference}/")
    assert ticket.requester.user == customer
    assert (ticket.priority, ticket.department, ticket.channel) == ("high", dept, "web")
    page = customer_ui.page(response["Location"])
    assert page["props"]["flash"] == {"success": f"Ticket {ticket.reference} was created."}
    assert customer_ui.props(response["Location"])["flash"] == {}  # shown once


def test_store_with_attachments_as_multipart(customer_ui, media):
    response = customer_ui.post_form(
        "/support/tickets/",
        {
            "subject": "Screenshot",
            "description": "See attached",
            "attachments": [
                SimpleUploadedFile("a.png", b"png-bytes", content_type="image/png"),
                SimpleUploadedFile("b.txt", b"log", content_type="text/plain"),
            ],
        },
    )

    assert_redirect(response)
    ticket = Ticket.objects.get()
    props = customer_ui.props(response["Location"])
    names = [a["name"] for a in props["ticket"]["attachments"]]
    assert names == ["a.png", "b.txt"]
    first = props["ticket"]["attachments"][0]
    assert first == {
        "id": first["id"],
        "name": "a.png",
        "size_bytes": 9,
        "content_type": "image/png",
        "url": f"/support/attachments/{first['id']}/",
    }
    assert Attachment.objects.filter(ticket=ticket).count() == 2


def test_a_file_named_only_with_symbols_is_accepted(customer_ui, media):
    # Storage names such files "" (get_valid_filename): the ticket used to fail with a
    # bare 400 page.
    response = customer_ui.post_form(
        "/support/tickets/",
        {"subject": "Look", "description": "d", "attachments": [SimpleUploadedFile("🙂", b":)")]},
    )

    assert_redirect(response)
    attachment = Attachment.objects.get()
    assert attachment.original_name == "🙂"
    download = customer_ui.get(f"/support/attachments/{attachment.pk}/")
    assert download["Content-Disposition"] == "attachment; filename*=utf-8''%F0%9F%99%82"


@pytest.mark.parametrize("claimed", [b"text/plain\x00html", b"not a type", b"a/b/c"])
def test_an_uploads_malformed_content_type_is_not_kept(customer_ui, ticket, media, claimed):
    # The part's Content-Type is the uploader's word: a NUL in it answered 500 on
    # PostgreSQL, and whatever it said was sent back on download.
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="body"\r\n\r\nSee file\r\n'
        b'--xyz\r\nContent-Disposition: form-data; name="attachments"; filename="a.txt"\r\n'
        b"Content-Type: " + claimed + b"\r\n\r\nDATA\r\n--xyz--\r\n"
    )

    response = customer_ui.client.post(
        f"/support/tickets/{ticket.reference}/reply/",
        body,
        content_type="multipart/form-data; boundary=xyz",
    )

    assert_redirect(response, f"/support/tickets/{ticket.reference}/")
    attachment = Attachment.objects.get()
    assert attachment.content_type == ""
    download = customer_ui.get(f"/support/attachments/{attachment.pk}/")
    assert download["Content-Type"] == "application/octet-stream"


def test_an_uploads_well_formed_content_type_is_kept(customer_ui, ticket, media):
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    upload = SimpleUploadedFile("a.docx", b"PK", content_type=docx)

    customer_ui.post_form(
        f"/support/tickets/{ticket.reference}/reply/", {"body": "x", "attachments": [upload]}
    )

    attachment = Attachment.objects.get()
    assert attachment.content_type == docx
    assert customer_ui.get(f"/support/attachments/{attachment.pk}/")["Content-Type"] == docx


def test_store_validation_errors_round_trip(customer_ui):
    form_url = "http://testserver/support/tickets/create/"

    response = customer_ui.post(
        "/support/tickets/",
        {"subject": "", "description": "", "priority": "huge"},
        headers={"Referer": form_url},
    )

    assert_redirect(response, form_url)
    assert not Ticket.objects.exists()
    props = customer_ui.props("/support/tickets/create/")
    assert props["errors"] == {
        "subject": "Subject is required.",
        "description": "Description is required.",
        "priority": "Unknown priority 'huge'; use one of low, medium, high, urgent, critical.",
    }
    assert props["old"] == {"subject": "", "description": "", "priority": "huge"}
    again = customer_ui.props("/support/tickets/create/")
    assert again["errors"] == {} and again["old"] == {}


def test_show_has_public_replies_only_and_hides_staff_details(customer_ui, customer, agent, media):
    ticket = svc.ticket_create(
        actor=customer, subject="Broken", description="x", metadata={"crm": "internal"}
    )
    svc.ticket_assign(ticket=ticket, actor=agent, agent=agent)
    public = svc.reply_create(ticket=ticket, actor=agent, body="We are on it")
    svc.reply_create(
        ticket=ticket,
        actor=agent,
        body="Secret note",
        is_internal=True,
        attachments=[SimpleUploadedFile("secret.txt", b"s")],
    )

    page = customer_ui.page(f"/support/tickets/{ticket.reference}/")

    assert page["component"] == "Escalated/Customer/Tickets/Show"
    props = page["props"]
    assert [r["body"] for r in props["replies"]] == ["We are on it"]
    assert set(props["replies"][0]) == REPLY_KEYS
    assert props["replies"][0]["author"] == {"id": agent.pk, "name": agent.username, "email": ""}
    assert props["replies"][0]["id"] == public.pk
    assert props["ticket"]["assigned_to"]["email"] == ""
    assert props["ticket"]["metadata"] == {}
    assert props["ticket"]["last_reply_author"] == agent.username
    assert "Secret" not in page.__repr__() and "secret.txt" not in page.__repr__()
    assert {k: props[k] for k in ("can_reply", "can_close", "can_reopen", "can_rate")} == {
        "can_reply": True,
        "can_close": True,
        "can_reopen": False,
        "can_rate": False,
    }
    assert props["rating"] is None


def test_show_by_id_works_like_by_reference(customer_ui, ticket):
    assert customer_ui.props(f"/support/tickets/{ticket.pk}/")["ticket"]["id"] == ticket.pk


def test_reply_posts_a_public_reply(customer_ui, ticket, customer):
    response = customer_ui.post(
        f"/support/tickets/{ticket.reference}/reply/", {"body": "Any news?"}
    )

    assert_redirect(response, f"/support/tickets/{ticket.reference}/")
    reply = Reply.objects.get()
    assert (reply.body, reply.author, reply.author_type, reply.is_internal) == (
        "Any news?",
        customer,
        "customer",
        False,
    )


def test_reply_to_a_closed_ticket_is_a_field_error(customer_ui, ticket, agent):
    svc.ticket_close(ticket=ticket, actor=agent)
    show = f"/support/tickets/{ticket.reference}/"

    response = customer_ui.post(f"{show}reply/", {"body": "Hello?"})

    assert_redirect(response, show)  # no Referer: back to the ticket
    props = customer_ui.props(show)
    assert props["errors"] == {"body": "The ticket is closed."}
    assert props["can_reply"] is False and props["can_reopen"] is True


def test_close_reopen_and_rate(customer_ui, ticket, agent):
    show = f"/support/tickets/{ticket.reference}/"

    assert_redirect(customer_ui.post(f"{show}close/"), show)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert customer_ui.props(show)["can_rate"] is True

    assert_redirect(customer_ui.post(f"{show}rate/", {"rating": 4, "comment": "Quick"}), show)
    assert SatisfactionRating.objects.get(ticket=ticket).rating == 4
    props = customer_ui.props(show)
    assert props["rating"]["rating"] == 4 and props["rating"]["comment"] == "Quick"
    assert props["can_rate"] is False

    assert_redirect(customer_ui.post(f"{show}reopen/"), show)
    ticket.refresh_from_db()
    assert ticket.status == Status.REOPENED


def test_rate_rejects_bad_values_and_open_tickets(customer_ui, ticket):
    show = f"/support/tickets/{ticket.reference}/"

    customer_ui.post(f"{show}rate/", {"rating": 5})
    assert customer_ui.props(show)["errors"] == {
        "rating": "Only resolved or closed tickets can be rated."
    }
    customer_ui.post(f"{show}close/")
    customer_ui.post(f"{show}rate/", {"rating": "ten"})
    assert customer_ui.props(show)["errors"] == {"rating": "Expected a number."}
    customer_ui.post(f"{show}rate/", {"rating": 9})
    assert customer_ui.props(show)["errors"] == {"rating": "Rate from 1 to 5."}
    assert not SatisfactionRating.objects.exists()


@override_settings(ESCALATED={"ALLOW_CUSTOMER_CLOSE": False})
def test_close_is_forbidden_when_customers_may_not_close(customer_ui, ticket):
    show = f"/support/tickets/{ticket.reference}/"

    response = customer_ui.post(f"{show}close/")

    assert response.status_code == 403
    assert response.json()["component"] == "Escalated/Errors/Forbidden"
    assert customer_ui.props(show)["can_close"] is False
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_agent_opening_a_portal_link_lands_on_the_agent_page(agent_ui, ticket):
    response = agent_ui.get(f"/support/tickets/{ticket.reference}/")

    assert_redirect(response, f"/support/agent/tickets/{ticket.reference}/")


def test_home_sends_customers_to_their_tickets_and_agents_to_the_dashboard(customer_ui, agent_ui):
    assert_redirect(customer_ui.get("/support/"), "/support/tickets/")
    assert_redirect(agent_ui.get("/support/"), "/support/agent/")
