"""Request mechanics: bodies, CSRF, plain (non-Inertia) requests, JSON clients, errors."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from escalated.models import Macro, Reply, Ticket
from escalated.services.tickets import ticket_create
from tests.escalated.views.conftest import assert_redirect, inertia_headers

pytestmark = pytest.mark.django_db


def test_json_and_url_encoded_bodies_do_the_same(customer_ui):
    customer_ui.post("/support/tickets/", {"subject": "From JSON", "description": "a"})
    customer_ui.post_form("/support/tickets/", {"subject": "From a form", "description": "b"})

    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["From JSON", "From a form"]


def test_csrf_is_enforced_and_the_header_from_the_cookie_works(customer):
    client = Client(enforce_csrf_checks=True)
    customer.save(update_fields=["password"])
    client.force_login(customer)
    body = json.dumps({"subject": "Hi", "description": "There"})

    # the middleware hands out the token cookie on any page
    client.get("/support/tickets/", headers=inertia_headers())
    token = client.cookies["csrftoken"].value

    refused = client.post(
        "/support/tickets/", body, content_type="application/json", headers=inertia_headers()
    )
    accepted = client.post(
        "/support/tickets/",
        body,
        content_type="application/json",
        headers={**inertia_headers(), "X-CSRFToken": token},
    )

    assert refused.status_code == 403
    assert_redirect(accepted)
    assert Ticket.objects.count() == 1


def test_plain_form_post_round_trip_renders_errors_in_the_html_page(customer, bundle):
    # a browser without JavaScript: url-encoded POST, then a full HTML page
    client = Client()
    customer.save(update_fields=["password"])
    client.force_login(customer)

    response = client.post(
        "/support/tickets/",
        {"subject": "", "description": "kept"},
        headers={"Referer": "http://testserver/support/tickets/create/"},
    )

    assert_redirect(response, "http://testserver/support/tickets/create/")
    html = client.get(response["Location"]).content.decode()
    data = json.loads(
        re.search(r'data-page="app" type="application/json">(.*?)</script>', html).group(1)
    )
    assert data["component"] == "Escalated/Customer/Tickets/Create"
    assert data["props"]["errors"] == {"subject": "Subject is required."}
    assert data["props"]["old"] == {"subject": "", "description": "kept"}


def test_json_clients_get_422_with_field_errors(customer):
    client = Client()
    customer.save(update_fields=["password"])
    client.force_login(customer)

    response = client.post(
        "/support/tickets/",
        json.dumps({"subject": "", "description": "x"}),
        content_type="application/json",
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 422
    assert response.json() == {
        "message": "The ticket is not valid.",
        "code": "validation_failed",
        "errors": {"subject": ["Subject is required."]},
    }


def test_error_bag_header_nests_the_errors(customer_ui):
    customer_ui.post(
        "/support/tickets/", {"subject": ""}, headers={"X-Inertia-Error-Bag": "createTicket"}
    )

    errors = customer_ui.props("/support/tickets/create/")["errors"]
    assert errors == {
        "createTicket": {
            "subject": "Subject is required.",
            "description": "Description is required.",
        }
    }


def test_malformed_bodies_are_flash_errors_not_500s(customer_ui, ticket):
    show = f"/support/tickets/{ticket.reference}/"

    bad_json = customer_ui.client.post(
        f"{show}reply/", "{not json", content_type="application/json", headers=inertia_headers()
    )
    assert_redirect(bad_json, show)
    assert customer_ui.props(show)["flash"] == {"error": "The request body is not valid JSON."}

    not_object = customer_ui.client.post(
        f"{show}reply/", "[1, 2]", content_type="application/json", headers=inertia_headers()
    )
    assert_redirect(not_object, show)
    assert customer_ui.props(show)["flash"] == {"error": "Send a JSON object."}

    xml = customer_ui.client.post(
        f"{show}reply/", "<reply/>", content_type="application/xml", headers=inertia_headers()
    )
    assert_redirect(xml, show)
    assert "Unsupported content type" in customer_ui.props(show)["flash"]["error"]

    wrong_type = customer_ui.post(f"{show}reply/", {"body": {"nested": True}})
    assert_redirect(wrong_type, show)
    assert customer_ui.props(show)["errors"] == {"body": "Expected text."}


def test_wrong_typed_values_become_field_errors(agent_ui, ticket):
    show = f"/support/agent/tickets/{ticket.reference}/"

    agent_ui.post(f"{show}tags/", {"tags": ["abc"]})
    assert agent_ui.props(show)["errors"] == {"tags": "Expected a list of ids."}
    agent_ui.post(f"{show}reply/", {"body": "x", "is_internal_note": "perhaps"})
    assert agent_ui.props(show)["errors"] == {"is_internal_note": "Expected true or false."}
    agent_ui.post(f"{show}assign/", {"agent_id": 1.5})
    assert agent_ui.props(show)["errors"] == {"agent_id": "Expected a number."}


def test_method_spoofing_for_multipart_updates(admin_ui):
    macro = Macro.objects.create(name="Old", actions=[{"type": "escalate"}])

    response = admin_ui.post_form(
        f"/support/admin/macros/{macro.pk}/", {"_method": "PUT", "name": "New"}
    )

    assert_redirect(response, "/support/admin/macros/")
    macro.refresh_from_db()
    assert macro.name == "New"
    admin_ui.post_form(f"/support/admin/macros/{macro.pk}/", {"_method": "DELETE"})
    assert not Macro.objects.exists()


def test_head_is_answered_like_get(agent_ui, bundle):
    assert agent_ui.client.head("/support/agent/tickets/").status_code == 200


def test_wrong_method_is_405(customer_ui, agent_ui, ticket):
    assert customer_ui.get(f"/support/tickets/{ticket.reference}/reply/").status_code == 405
    assert agent_ui.get("/support/agent/tickets/bulk/").status_code == 405
    assert customer_ui.post(f"/support/tickets/{ticket.reference}/", {}).status_code == 405


def test_unknown_addresses_under_the_desk_are_the_not_found_page(agent_ui):
    response = agent_ui.get("/support/nothing/here/")

    assert response.status_code == 404
    assert response.json()["component"] == "Escalated/Errors/NotFound"


def test_missing_trailing_slash_still_redirects(agent_ui):
    response = agent_ui.client.get("/support/agent/tickets")

    assert response.status_code == 301
    assert response["Location"] == "/support/agent/tickets/"


def test_stale_asset_version_forces_a_full_reload(agent_ui):
    response = agent_ui.client.get(
        "/support/agent/", headers={"X-Inertia": "true", "X-Inertia-Version": "old"}
    )

    assert response.status_code == 409
    assert response["X-Inertia-Location"] == "http://testserver/support/agent/"


def test_partial_reload_sends_only_the_asked_props(agent_ui):
    response = agent_ui.get(
        "/support/agent/tickets/",
        headers={
            "X-Inertia-Partial-Component": "Escalated/Agent/Tickets/Index",
            "X-Inertia-Partial-Data": "tickets",
        },
    )

    assert set(response.json()["props"]) == {"tickets", "errors", "flash", "old"}


def test_demo_project_login_page_signs_in_and_returns_to_the_desk(customer):
    client = Client()
    customer.save(update_fields=["password"])

    form = client.get("/accounts/login/?next=/support/tickets/")
    response = client.post(
        "/accounts/login/",
        {"username": "carol", "password": "secret", "next": "/support/tickets/"},
    )

    assert form.status_code == 200 and b'name="password"' in form.content
    assert response.status_code == 302 and response["Location"] == "/support/tickets/"
    assert client.get("/support/tickets/", headers=inertia_headers()).status_code == 200


# "²" and "³" are str.isdigit() but not int(): they once reached int() and answered 500.
DIGIT_LOOKALIKES = ["²", "12³"]


@pytest.mark.parametrize("key", DIGIT_LOOKALIKES)
def test_digit_lookalikes_in_ticket_addresses_are_not_found(customer_ui, agent_ui, ticket, key):
    for ui, base in ((customer_ui, "/support/tickets/"), (agent_ui, "/support/agent/tickets/")):
        page = ui.get(f"{base}{key}/")
        write = ui.post(f"{base}{key}/reply/", {"body": "Hello"})

        assert page.status_code == 404, (base, page.status_code)
        assert page.json()["component"] == "Escalated/Errors/NotFound"
        assert write.status_code == 404, (base, write.status_code)
    assert not ticket.replies.exists()


@pytest.mark.parametrize("value", DIGIT_LOOKALIKES)
def test_digit_lookalikes_in_query_strings_are_ignored(customer_ui, agent_ui, admin_ui, value):
    assert customer_ui.props(f"/support/tickets/?page={value}")["tickets"]["current_page"] == 1
    filters = agent_ui.props(
        f"/support/agent/tickets/?page={value}&per_page={value}&department={value}"
        f"&tag={value}&assignee={value}"
    )["filters"]
    assert (filters["page"], filters["department"], filters["tag"]) == (1, "", "")
    assert agent_ui.props(f"/support/agent/tickets/?q={value}")["tickets"]["data"] == []
    assert admin_ui.props(f"/support/admin/reports/?days={value}")["range"]["days"] == 30


@pytest.mark.parametrize("value", DIGIT_LOOKALIKES)
def test_digit_lookalikes_in_bodies_are_field_errors(customer_ui, agent_ui, ticket, value):
    show = f"/support/agent/tickets/{ticket.reference}/"

    agent_ui.post(f"{show}assign/", {"agent_id": value})
    assert agent_ui.props(show)["errors"] == {"agent_id": "Expected a number."}
    agent_ui.post("/support/agent/tickets/bulk/", {"ids": [value], "action": "unassign"})
    assert agent_ui.props(show)["errors"] == {"ids": "Expected a list of ids."}
    customer_ui.post("/support/tickets/", {"subject": "s", "description": "d", "department": value})
    assert customer_ui.props("/support/tickets/create/")["errors"] == {
        "department": "Expected a number."
    }
    assert Ticket.objects.count() == 1


def test_null_characters_in_an_address_are_not_found(ui, customer_ui, agent_ui, ticket):
    # PostgreSQL refuses NUL in text: looking such a key up used to answer 500.
    guest = ticket_create(
        actor=None, subject="G", description="D", requester_email="g@x.co", channel="guest"
    )
    addresses = [
        (customer_ui, f"/support/tickets/{ticket.reference}%00/"),
        (agent_ui, "/support/agent/tickets/ESC%00/"),
        (ui, f"/support/guest/{guest.guest_token}%00/"),
        (ui, "/support/guest/%00/attachments/1/"),
    ]
    for client, url in addresses:
        page = client.get(url)
        write = client.post(f"{url}reply/", {"body": "Hello"})

        assert page.status_code == 404, (url, page.status_code)
        assert page.json()["component"] == "Escalated/Errors/NotFound"
        assert write.status_code == 404, (url, write.status_code)
    assert not Reply.objects.exists()


def test_null_characters_in_a_query_are_a_bad_request(agent_ui, customer_ui):
    assert agent_ui.get("/support/agent/tickets/?q=printer%00").status_code == 400
    assert customer_ui.get("/support/tickets/?scope=open%00").status_code == 400


def test_null_characters_in_a_body_are_a_field_error(customer_ui, admin_ui, ticket):
    show = f"/support/tickets/{ticket.reference}/"

    json_reply = customer_ui.post(f"{show}reply/", {"body": "Hello\x00"})
    assert_redirect(json_reply, show)
    assert customer_ui.props(show)["errors"] == {"body": "Null characters are not allowed."}
    customer_ui.post_form(f"{show}reply/", {"body": "Hello\x00"})
    assert customer_ui.props(show)["errors"] == {"body": "Null characters are not allowed."}
    admin_ui.post("/support/admin/macros/", {"name": "M", "actions": [{"type": "x\x00"}]})
    assert admin_ui.props("/support/admin/macros/create/")["errors"] == {
        "actions": "Null characters are not allowed."
    }
    admin_ui.post_form(
        "/support/admin/macros/",
        {"name": "M", "actions": '[{"type": "reply", "value": "a\\u0000"}]'},
    )
    assert admin_ui.props("/support/admin/macros/create/")["errors"] == {
        "actions": "Null characters are not allowed."
    }
    assert not Reply.objects.exists()
    assert not Macro.objects.exists()


def test_deeply_nested_json_is_a_malformed_body(customer_ui, admin_ui, ticket):
    show = f"/support/tickets/{ticket.reference}/"
    body = '{"body": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = customer_ui.client.post(
        f"{show}reply/", body, content_type="application/json", headers=inertia_headers()
    )

    assert_redirect(response, show)
    assert customer_ui.props(show)["flash"] == {"error": "The request body is not valid JSON."}
    admin_ui.post_form("/support/admin/macros/", {"name": "M", "actions": "[" * 100_000})
    assert admin_ui.props("/support/admin/macros/create/")["errors"] == {
        "actions": "Expected JSON."
    }
