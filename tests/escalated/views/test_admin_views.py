"""The admin area: reports and the create/edit/delete pages of the configuration."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from escalated.models import (
    BusinessSchedule,
    CannedResponse,
    Department,
    EscalationRule,
    Macro,
    SatisfactionRating,
    SlaPolicy,
    Status,
    Tag,
)
from escalated.services import tickets as svc
from tests import factories as f
from tests.escalated.views.conftest import assert_redirect

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- reports


def test_reports_show_volume_mix_sla_and_csat(admin_ui, agent):
    now = timezone.now()
    policy = f.SlaPolicyFactory()
    breached = f.TicketFactory(
        sla_policy=policy,
        priority="high",
        first_response_breached_at=now,
        assignee=agent,
        created_at=now - timedelta(hours=5),
    )
    answered = f.TicketFactory(
        sla_policy=policy,
        status=Status.RESOLVED,
        assignee=agent,
        created_at=now - timedelta(hours=4),
        first_response_at=now - timedelta(hours=2),
        resolved_at=now,
    )
    f.TicketFactory(created_at=now - timedelta(days=60))  # outside the 30 days
    SatisfactionRating.objects.create(ticket=answered, rating=4)
    SatisfactionRating.objects.create(ticket=breached, rating=2)

    page = admin_ui.page("/support/admin/reports/")

    assert page["component"] == "Escalated/Admin/Reports"
    props = page["props"]
    assert props["range"]["days"] == 30
    assert props["volume"]["labels"][-1] == timezone.localdate(now).isoformat()
    created, resolved = props["volume"]["series"]
    assert created["label"] == "Created" and sum(created["data"]) == 2
    assert sum(resolved["data"]) == 1 and len(resolved["data"]) == 30
    assert props["totals"] == {
        "created": 2,
        "resolved": 1,
        "open": 2,
        "sla_breached": 1,
        "sla_breach_rate": 0.5,
        "avg_first_response_hours": 2.0,
        "avg_resolution_hours": 4.0,
        "csat_average": 3.0,
        "csat_count": 2,
    }
    by_status = {row["status"]: row["count"] for row in props["by_status"]}
    assert by_status["open"] == 2 and by_status["resolved"] == 1 and by_status["closed"] == 0
    assert {row["priority"]: row["count"] for row in props["by_priority"]}["high"] == 1
    assert props["by_agent"] == [
        {
            "agent": {"id": agent.pk, "name": agent.username, "email": agent.email},
            "assigned": 2,
            "resolved": 1,
        }
    ]


def test_reports_range_is_clamped(admin_ui):
    assert admin_ui.props("/support/admin/reports/?days=7")["range"]["days"] == 7
    assert admin_ui.props("/support/admin/reports/?days=100000")["range"]["days"] == 365
    assert admin_ui.props("/support/admin/reports/?days=x")["range"]["days"] == 30


# --------------------------------------------------------------------------- departments


def test_department_create_edit_delete(admin_ui, agent):
    member = f.UserFactory()

    page = admin_ui.page("/support/admin/departments/create/")
    assert page["component"] == "Escalated/Admin/Departments/Form"
    assert page["props"]["department"] is None
    assert agent.pk in [a["id"] for a in page["props"]["agents"]]

    response = admin_ui.post(
        "/support/admin/departments/",
        {"name": "Billing", "description": "Money", "agent_ids": [agent.pk, member.pk]},
    )
    assert_redirect(response, "/support/admin/departments/")
    dept = Department.objects.get()
    assert (dept.slug, dept.description) == ("billing", "Money")
    assert set(dept.agents.all()) == {agent, member}

    index = admin_ui.page("/support/admin/departments/")
    assert index["component"] == "Escalated/Admin/Departments/Index"
    assert index["props"]["flash"] == {"success": "Department created."}
    [row] = index["props"]["departments"]
    assert (row["name"], row["is_active"], len(row["agents"])) == ("Billing", True, 2)

    edit = admin_ui.props(f"/support/admin/departments/{dept.pk}/edit/")
    assert edit["department"]["id"] == dept.pk
    assert member.pk in [a["id"] for a in edit["agents"]]  # members stay pickable

    admin_ui.post(
        f"/support/admin/departments/{dept.pk}/",
        {"is_active": False, "agents": [{"id": agent.pk}]},
        method="put",
    )
    dept.refresh_from_db()
    assert dept.name == "Billing" and dept.is_active is False
    assert list(dept.agents.all()) == [agent]

    response = admin_ui.post(f"/support/admin/departments/{dept.pk}/", method="delete")
    assert_redirect(response, "/support/admin/departments/")
    assert not Department.objects.exists()


def test_department_duplicate_name_is_a_field_error(admin_ui):
    f.DepartmentFactory(name="Sales", slug="sales")

    admin_ui.post("/support/admin/departments/", {"name": "sales"})

    assert admin_ui.props("/support/admin/departments/create/")["errors"] == {
        "name": "Name 'sales' is already taken.",
        "slug": "Slug 'sales' is already taken.",
    }


def test_department_of_another_id_is_not_found(admin_ui):
    response = admin_ui.get("/support/admin/departments/424242/edit/")

    assert response.status_code == 404
    assert response.json()["component"] == "Escalated/Errors/NotFound"


# --------------------------------------------------------------------------- SLA policies


def test_sla_policy_with_its_business_schedule_and_holidays(admin_ui):
    form = admin_ui.props("/support/admin/sla-policies/create/")
    assert "Europe/Berlin" in form["timezones"] and form["policy"] is None

    admin_ui.post(
        "/support/admin/sla-policies/",
        {
            "name": "Gold",
            "is_default": True,
            "first_response_hours": {"high": 2, "low": "8", "medium": ""},
            "resolution_hours": {"high": 24},
            "schedule": {
                "timezone": "Europe/Berlin",
                "start_time": "08:00",
                "end_time": "18:00",
                "days": [1, 2, 3, 4, 5],
                "holidays": [{"date": "2025-12-25", "name": "Christmas"}],
            },
        },
    )

    policy = SlaPolicy.objects.get()
    assert policy.is_default and policy.first_response_hours == {"high": 2, "low": 8}
    schedule = policy.schedule
    assert (schedule.name, schedule.timezone, schedule.start_time, schedule.end_time) == (
        "Gold hours",
        "Europe/Berlin",
        time(8),
        time(18),
    )
    assert [(h.date.isoformat(), h.name) for h in schedule.holidays.all()] == [
        ("2025-12-25", "Christmas")
    ]
    [row] = admin_ui.props("/support/admin/sla-policies/")["policies"]
    assert row["schedule"]["holidays"] == [
        {"id": schedule.holidays.get().pk, "date": "2025-12-25", "name": "Christmas"}
    ]
    assert row["schedule"]["start_time"] == "08:00"

    # a second default takes over; the schedule is edited in place
    other = f.SlaPolicyFactory(name="Silver")
    admin_ui.post(f"/support/admin/sla-policies/{other.pk}/", {"is_default": True}, method="patch")
    admin_ui.post(
        f"/support/admin/sla-policies/{policy.pk}/",
        {"schedule": {"end_time": "17:00", "holidays": []}},
        method="put",
    )
    policy.refresh_from_db()
    other.refresh_from_db()
    assert (policy.is_default, other.is_default) == (False, True)
    assert policy.schedule.end_time == time(17) and not policy.schedule.holidays.exists()
    assert BusinessSchedule.objects.count() == 1

    admin_ui.post(f"/support/admin/sla-policies/{policy.pk}/", {"schedule": None}, method="put")
    policy.refresh_from_db()
    assert policy.schedule is None


def test_sla_policy_validation_errors(admin_ui):
    admin_ui.post(
        "/support/admin/sla-policies/",
        {
            "name": "",
            "first_response_hours": {"high": -1, "someday": 3},
            "schedule": {
                "timezone": "Mars/Olympus",
                "start_time": "18:00",
                "end_time": "09:00",
                "days": [0, 8],
            },
        },
    )

    errors = admin_ui.props("/support/admin/sla-policies/create/")["errors"]
    assert errors == {
        "name": "Name is required.",
        "first_response_hours": "High: enter a positive number of hours.",
        "schedule.timezone": "Unknown time zone 'Mars/Olympus'.",
        "schedule.end_time": "The day must end after it starts.",
        "schedule.days": "Working days must be distinct ISO weekdays from 1 (Mon) to 7 (Sun).",
    }
    assert not SlaPolicy.objects.exists() and not BusinessSchedule.objects.exists()


def test_sla_policy_delete_with_a_plain_form_post(admin_ui):
    policy = f.SlaPolicyFactory()

    assert_redirect(
        admin_ui.post_form(f"/support/admin/sla-policies/{policy.pk}/delete/", {}),
        "/support/admin/sla-policies/",
    )
    assert not SlaPolicy.objects.exists()


# --------------------------------------------------------------------------- escalation rules


def test_escalation_rule_create_edit_delete(admin_ui):
    tag = f.TagFactory()
    form = admin_ui.page("/support/admin/escalation-rules/create/")
    assert form["component"] == "Escalated/Admin/EscalationRules/Form"
    assert [t["id"] for t in form["props"]["tags"]] == [tag.pk]

    admin_ui.post(
        "/support/admin/escalation-rules/",
        {
            "name": "Urgent and unanswered",
            "conditions": [{"field": "priority", "operator": "in", "value": ["urgent"]}],
            "actions": [{"type": "escalate"}, {"type": "add_tag", "value": tag.pk}],
        },
    )
    rule = EscalationRule.objects.get()
    [row] = admin_ui.props("/support/admin/escalation-rules/")["rules"]
    assert row["name"] == "Urgent and unanswered" and row["actions"][1]["value"] == tag.pk

    admin_ui.post(
        f"/support/admin/escalation-rules/{rule.pk}/", {"is_active": False}, method="patch"
    )
    rule.refresh_from_db()
    assert rule.is_active is False and rule.name == "Urgent and unanswered"

    admin_ui.post(f"/support/admin/escalation-rules/{rule.pk}/", method="delete")
    assert not EscalationRule.objects.exists()


def test_escalation_rule_with_bad_conditions_is_rejected(admin_ui):
    admin_ui.post(
        "/support/admin/escalation-rules/",
        {
            "name": "Bad",
            "conditions": [{"field": "mood", "operator": "is", "value": 1}],
            "actions": [{"type": "escalate"}],
        },
    )

    errors = admin_ui.props("/support/admin/escalation-rules/create/")["errors"]
    assert "conditions" in errors
    assert not EscalationRule.objects.exists()


# --------------------------------------------------------------------------- tags


def test_tag_create_edit_delete_and_counts(admin_ui, customer):
    admin_ui.post("/support/admin/tags/", {"name": "Hardware Issue", "color": "#2563EB"})
    tag = Tag.objects.get()
    assert (tag.slug, tag.color) == ("hardware-issue", "#2563eb")
    svc.ticket_create(actor=customer, subject="x", description="y", tags=[tag])

    page = admin_ui.page("/support/admin/tags/")
    assert page["component"] == "Escalated/Admin/Tags/Index"
    assert page["props"]["tags"] == [
        {
            "id": tag.pk,
            "name": "Hardware Issue",
            "slug": "hardware-issue",
            "color": "#2563eb",
            "ticket_count": 1,
        }
    ]
    assert admin_ui.props(f"/support/admin/tags/{tag.pk}/edit/")["tag"]["name"] == "Hardware Issue"

    admin_ui.post(f"/support/admin/tags/{tag.pk}/", {"name": "Hardware"}, method="patch")
    tag.refresh_from_db()
    assert tag.name == "Hardware" and tag.slug == "hardware-issue"

    admin_ui.post("/support/admin/tags/", {"name": "Other", "color": "blue"})
    assert admin_ui.props("/support/admin/tags/create/")["errors"] == {
        "color": "Use a colour like #2563eb."
    }

    admin_ui.post(f"/support/admin/tags/{tag.pk}/", method="delete")
    assert not Tag.objects.exists()


# --------------------------------------------------------------------------- canned responses


def test_canned_response_create_edit_delete(admin_ui, admin_user):
    admin_ui.post(
        "/support/admin/canned-responses/",
        {"title": "Greeting", "body": "Hello!", "category": "Start", "is_shared": "false"},
    )
    canned = CannedResponse.objects.get()
    assert (canned.is_shared, canned.created_by) == (False, admin_user)
    page = admin_ui.page("/support/admin/canned-responses/")
    assert page["props"]["canned_responses"] == [
        {
            "id": canned.pk,
            "title": "Greeting",
            "body": "Hello!",
            "category": "Start",
            "is_shared": False,
        }
    ]

    admin_ui.post(f"/support/admin/canned-responses/{canned.pk}/", {"body": "Hi!"}, method="put")
    canned.refresh_from_db()
    assert canned.body == "Hi!" and canned.title == "Greeting"

    admin_ui.post("/support/admin/canned-responses/", {"title": "", "body": ""})
    assert admin_ui.props("/support/admin/canned-responses/create/")["errors"] == {
        "title": "Title is required.",
        "body": "Text is required.",
    }

    admin_ui.post(f"/support/admin/canned-responses/{canned.pk}/", method="delete")
    assert not CannedResponse.objects.exists()


# --------------------------------------------------------------------------- macros


def test_macro_create_edit_delete(admin_ui):
    form = admin_ui.page("/support/admin/macros/create/")
    assert form["component"] == "Escalated/Admin/Macros/Form"
    assert {"agents", "departments", "tags", "choices", "macro"} <= set(form["props"])

    admin_ui.post(
        "/support/admin/macros/",
        {
            "name": "Close politely",
            "actions": [
                {"type": "reply", "value": "Bye"},
                {"type": "set_status", "value": "closed"},
            ],
        },
    )
    macro = Macro.objects.get()
    assert macro.position == 0 and len(macro.actions) == 2
    [row] = admin_ui.props("/support/admin/macros/")["macros"]
    assert row["name"] == "Close politely" and row["is_shared"] is True

    admin_ui.post(
        f"/support/admin/macros/{macro.pk}/",
        {"actions": [{"type": "set_status", "value": "nonsense"}]},
        method="put",
    )
    assert admin_ui.props(f"/support/admin/macros/{macro.pk}/edit/")["errors"] == {
        "actions": "Action 1: value 'nonsense' is not valid for set_status."
    }
    macro.refresh_from_db()
    assert len(macro.actions) == 2

    admin_ui.post(f"/support/admin/macros/{macro.pk}/", method="delete")
    assert not Macro.objects.exists()


def test_actions_sent_as_a_json_string_in_a_form(admin_ui):
    admin_ui.post_form(
        "/support/admin/macros/",
        {"name": "Bump", "actions": '[{"type": "set_priority", "value": "high"}]'},
    )

    assert Macro.objects.get().actions == [{"type": "set_priority", "value": "high"}]


def test_the_admin_area_address_opens_the_reports_for_admins_only(admin_ui, agent_ui):
    assert_redirect(admin_ui.get("/support/admin/"), "/support/admin/reports/")
    assert agent_ui.get("/support/admin/").status_code == 403
