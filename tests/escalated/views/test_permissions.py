"""Every route, tried by someone who must not use it: 403/404/login, nothing leaked or changed."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from escalated.models import Attachment, Department, Reply, Ticket, TicketActivity
from escalated.services import tickets as svc
from tests import factories as f

pytestmark = pytest.mark.django_db

SUBJECT = "Top secret printer"


@pytest.fixture
def secret(customer, default_policy, media):
    """Carol's ticket, with a public attachment and an internal note with one."""
    ticket = svc.ticket_create(
        actor=customer,
        subject=SUBJECT,
        description="Only Carol and agents",
        attachments=[SimpleUploadedFile("public.txt", b"public")],
    )
    agent = f.AgentFactory()
    svc.reply_create(
        ticket=ticket,
        actor=agent,
        body="Internal thoughts",
        is_internal=True,
        attachments=[SimpleUploadedFile("internal.txt", b"internal")],
    )
    return ticket


def customer_routes(key):
    base = f"/support/tickets/{key}/"
    return [
        ("get", base, None),
        ("post", f"{base}reply/", {"body": "hijack"}),
        ("post", f"{base}close/", {}),
        ("post", f"{base}reopen/", {}),
        ("post", f"{base}rate/", {"rating": 1}),
    ]


def agent_routes(key, pk):
    base = f"/support/agent/tickets/{key}/"
    return [
        ("get", "/support/agent/", None),
        ("get", "/support/agent/tickets/", None),
        ("get", base, None),
        (
            "post",
            "/support/agent/tickets/bulk/",
            {"ids": [pk], "action": "status", "value": "closed"},
        ),
        ("post", f"{base}reply/", {"body": "hijack"}),
        ("post", f"{base}note/", {"body": "hijack"}),
        ("post", f"{base}assign/", {"agent_id": "me"}),
        ("post", f"{base}unassign/", {}),
        ("post", f"{base}status/", {"status": "closed"}),
        ("post", f"{base}priority/", {"priority": "critical"}),
        ("post", f"{base}department/", {"department_id": None}),
        ("post", f"{base}tags/", {"tags": []}),
        ("post", f"{base}macro/", {"macro_id": 1}),
    ]


ADMIN_SLUGS = [
    "departments",
    "sla-policies",
    "escalation-rules",
    "tags",
    "canned-responses",
    "macros",
]


def admin_routes(pk):
    routes = [("get", "/support/admin/reports/", None)]
    for slug in ADMIN_SLUGS:
        base = f"/support/admin/{slug}/"
        routes += [
            ("get", base, None),
            ("get", f"{base}create/", None),
            ("post", base, {"name": "x", "title": "x", "body": "x"}),
            ("get", f"{base}{pk}/edit/", None),
            ("put", f"{base}{pk}/", {"name": "hijacked"}),
            ("delete", f"{base}{pk}/", None),
            ("post", f"{base}{pk}/delete/", {}),
        ]
    return routes


def snapshot():
    return (
        list(Ticket.objects.values_list("status", "priority", "assignee", "department")),
        Reply.objects.count(),
        TicketActivity.objects.count(),
        list(Department.objects.values_list("name", flat=True)),
    )


def call(ui, method, url, data):
    if method == "get":
        return ui.get(url)
    return ui.post(url, data, method=method)


def test_another_customer_gets_404_on_every_ticket_route(ui_as, other_customer, secret):
    mallory = ui_as(other_customer)
    before = snapshot()
    for key in (secret.reference, secret.pk):
        for method, url, data in customer_routes(key):
            response = call(mallory, method, url, data)
            assert response.status_code == 404, (method, url, response.status_code)
            assert response.json()["component"] == "Escalated/Errors/NotFound"
            assert SUBJECT not in response.content.decode()
    assert snapshot() == before
    listed = mallory.props("/support/tickets/")["tickets"]["data"]
    assert listed == []


def test_customers_get_403_on_every_agent_route(customer_ui, secret):
    before = snapshot()
    for method, url, data in agent_routes(secret.reference, secret.pk):
        response = call(customer_ui, method, url, data)
        assert response.status_code == 403, (method, url, response.status_code)
        assert response.json()["component"] == "Escalated/Errors/Forbidden"
        assert SUBJECT not in response.content.decode()
        assert "Internal thoughts" not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("who", ["customer", "agent"])
def test_only_admins_reach_the_admin_area(request, ui_as, who):
    user = request.getfixturevalue(who)
    dept = f.DepartmentFactory(name="Keep me")
    ui = ui_as(user)
    before = snapshot()
    for method, url, data in admin_routes(dept.pk):
        response = call(ui, method, url, data)
        assert response.status_code == 403, (who, method, url, response.status_code)
        assert response.json()["component"] == "Escalated/Errors/Forbidden"
    assert snapshot() == before


def test_anonymous_visitors_are_sent_to_the_login_page(ui, secret):
    routes = [
        ("get", "/support/", None),
        ("get", "/support/tickets/", None),
        ("get", "/support/tickets/create/", None),
        ("post", "/support/tickets/", {"subject": "x", "description": "y"}),
        *customer_routes(secret.reference),
        *agent_routes(secret.reference, secret.pk),
        *admin_routes(1),
    ]
    before = snapshot()
    plain = Client()
    for method, url, data in routes:
        inertia = call(ui, method, url, data)
        assert inertia.status_code == 409, (method, url, inertia.status_code)
        assert inertia["X-Inertia-Location"].startswith("/accounts/login/?next=")
        if method == "get":
            response = plain.get(url)
            assert response.status_code == 302
            assert response["Location"] == f"/accounts/login/?next={url}"
    assert snapshot() == before
    assert Ticket.objects.count() == 1


def test_attachment_downloads_follow_the_ticket_rule(
    ui_as, customer, other_customer, agent, secret
):
    public = Attachment.objects.get(original_name="public.txt")
    internal = Attachment.objects.get(original_name="internal.txt")
    carol, mallory, staff = ui_as(customer), ui_as(other_customer), ui_as(agent)

    def get(ui, attachment):
        return ui.get(f"/support/attachments/{attachment.pk}/")

    ok = get(carol, public)
    assert ok.status_code == 200 and b"".join(ok.streaming_content) == b"public"
    assert ok["X-Content-Type-Options"] == "nosniff"
    assert get(carol, internal).status_code == 404
    assert get(mallory, public).status_code == 404
    assert get(staff, internal).status_code == 200
    assert staff.get("/support/attachments/999999/").status_code == 404
    anonymous = Client().get(f"/support/attachments/{public.pk}/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_attachments_are_stored_under_names_nobody_can_guess(customer_ui, secret):
    # A host serving MEDIA_URL would otherwise hand out
    # escalated/attachments/<year>/<month>/invoice.pdf to anyone who tries the name.
    customer_ui.post_form(
        f"/support/tickets/{secret.reference}/reply/",
        {"body": "Here", "attachments": [SimpleUploadedFile("invoice.pdf", b"%PDF")]},
    )

    stored = Attachment.objects.get(original_name="invoice.pdf")
    names = [a.file.name for a in Attachment.objects.all()]
    assert len(names) == len(set(names)) == 3
    assert not any("invoice" in n or "public" in n or "internal" in n for n in names)
    assert not stored.file.name.endswith(".pdf")
    download = customer_ui.get(f"/support/attachments/{stored.pk}/")
    assert download["Content-Disposition"] == 'attachment; filename="invoice.pdf"'
    assert b"".join(download.streaming_content) == b"%PDF"


def test_internal_note_attachments_are_not_listed_for_customers(customer_ui, agent_ui, secret):
    customer_props = customer_ui.props(f"/support/tickets/{secret.reference}/")
    agent_props = agent_ui.props(f"/support/agent/tickets/{secret.reference}/")

    assert [a["name"] for a in customer_props["ticket"]["attachments"]] == ["public.txt"]
    assert customer_props["replies"] == []
    assert [a["name"] for r in agent_props["replies"] for a in r["attachments"]] == ["internal.txt"]


def test_department_members_count_as_agents(ui_as, secret):
    member = f.UserFactory()
    f.DepartmentFactory().agents.add(member)

    props = ui_as(member).props(f"/support/agent/tickets/{secret.reference}/")

    assert props["ticket"]["subject"] == SUBJECT
    assert props["auth"]["user"]["is_agent"] is True
    assert props["auth"]["user"]["is_admin"] is False
