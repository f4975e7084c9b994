"""Malformed or mistyped bodies on every write route: a clear answer, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from escalated.services.tickets import ticket_create
from tests import factories as f

pytestmark = pytest.mark.django_db

BODIES = [
    b"{not json",
    b"[]",
    b"null",
    json.dumps(
        {
            "status": 5,
            "priority": [],
            "agent": "x",
            "department": "abc",
            "tags": "x",
            "body": 7,
            "subject": ["s"],
            "description": {},
            "rating": "five",
            "macro": -1,
            "ids": "x",
            "action": 1,
            "value": {},
        }
    ).encode(),
    json.dumps({"ids": [1, "a", None], "action": "status", "value": "nope"}).encode(),
    json.dumps({"ids": list(range(3000)), "action": "assign", "value": 10**20}).encode(),
    json.dumps(
        {
            "name": "",
            "first_response_hours": "x",
            "resolution_hours": [1],
            "schedule": {"timezone": 5, "start_time": "25:00", "days": "x", "holidays": [{}]},
            "conditions": "x",
            "actions": [{"type": 1}],
            "position": "x",
            "color": 5,
            "agents": ["x"],
            "is_default": "maybe",
        }
    ).encode(),
]


def _routes(ticket, guest, department, policy):
    t, g = ticket.reference, guest.guest_token
    agent_actions = ["reply", "note", "assign", "unassign", "status", "priority"]
    agent_actions += ["department", "tags", "macro"]
    admin = ["departments", "sla-policies", "escalation-rules", "tags", "canned-responses"]
    admin += ["macros"]
    return {
        "customer": ["/support/tickets/"]
        + [f"/support/tickets/{t}/{a}/" for a in ("reply", "close", "reopen", "rate")],
        "guest": ["/support/guest/"]
        + [f"/support/guest/{g}/{a}/" for a in ("reply", "close", "reopen", "rate")],
        "agent": ["/support/agent/tickets/bulk/"]
        + [f"/support/agent/tickets/{t}/{a}/" for a in agent_actions],
        "admin": [f"/support/admin/{e}/" for e in admin]
        + [
            f"/support/admin/departments/{department.pk}/",
            f"/support/admin/sla-policies/{policy.pk}/",
        ],
    }


@pytest.mark.parametrize("role", ["customer", "guest", "agent", "admin"])
def test_bad_bodies_never_answer_500(role, customer, agent, admin_user, default_policy):
    # given
    ticket = ticket_create(actor=customer, subject="S", description="D")
    guest = ticket_create(
        actor=None, subject="G", description="D", requester_email="g@x.co", channel="guest"
    )
    routes = _routes(ticket, guest, f.DepartmentFactory(), default_policy)[role]
    user = {"customer": customer, "agent": agent, "admin": admin_user, "guest": None}[role]
    client = Client()
    if user is not None:
        user.save(update_fields=["password"])
        client.force_login(user)
    answers: list[tuple[str, str, int]] = []
    # when
    for url in routes:
        methods = ("post", "patch", "put") if "/admin/" in url else ("post",)
        for body in BODIES:
            for content_type in ("application/json", "application/x-www-form-urlencoded"):
                for headers in ({"X-Inertia": "true"}, {}):
                    for method in methods:
                        response = getattr(client, method)(
                            url, data=body, content_type=content_type, headers=headers
                        )
                        answers.append((method, url, response.status_code))
    # then: errors go back to the form (303) or are refused (4xx)
    assert len(answers) > 50
    assert [a for a in answers if a[2] >= 500] == []
    assert {code for _, _, code in answers} <= {303, 400, 403, 404, 405, 409, 422, 429}
