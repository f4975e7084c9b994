"""The agent workspace: dashboard, list (filters, search, sort, pages), detail, actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from escalated.models import CannedResponse, Macro, Reply, Status, Ticket
from escalated.services import tickets as svc
from tests import factories as f
from tests.escalated.views.conftest import assert_redirect

pytestmark = pytest.mark.django_db


def ids(props):
    return [t["id"] for t in props["tickets"]["data"]]


# --------------------------------------------------------------------------- dashboard


def test_dashboard_counts_and_short_lists(agent_ui, agent):
    now = timezone.now()
    mine = f.TicketFactory(assignee=agent)
    unassigned = f.TicketFactory()
    breached = f.TicketFactory(assignee=f.AgentFactory(), first_response_breached_at=now)
    at_risk = f.TicketFactory(
        assignee=f.AgentFactory(),
        first_response_warn_at=now - timedelta(minutes=5),
        first_response_due_at=now + timedelta(hours=1),
    )
    resolved = f.TicketFactory(status=Status.RESOLVED, resolved_at=now, assignee=agent)
    f.TicketFactory(status=Status.CLOSED, resolved_at=now - timedelta(days=3))

    page = agent_ui.page("/support/agent/")

    assert page["component"] == "Escalated/Agent/Dashboard"
    props = page["props"]
    assert props["counts"] == {
        "my_open": 1,
        "unassigned": 1,
        "breaching_soon": 1,
        "breached": 1,
        "resolved_today": 1,
    }
    assert [t["id"] for t in props["my_open"]] == [mine.pk]
    assert [t["id"] for t in props["unassigned"]] == [unassigned.pk]
    assert [t["id"] for t in props["breaching_soon"]] == [at_risk.pk]
    assert [t["id"] for t in props["breached"]] == [breached.pk]
    assert [t["id"] for t in props["resolved_today"]] == [resolved.pk]
    assert props["sla_warning_percent"] == 80


# --------------------------------------------------------------------------- list


def test_list_shows_every_ticket_with_pickers_and_normalised_filters(agent_ui, agent, customer):
    dept = f.DepartmentFactory(name="Support", slug="support")
    tag = f.TagFactory(name="bug", slug="bug", color="#ff0000")
    t1 = svc.ticket_create(actor=customer, subject="One", description="x", tags=[tag])
    t2 = svc.ticket_create(actor=customer, subject="Two", description="x", department=dept)

    page = agent_ui.page("/support/agent/tickets/")

    assert page["component"] == "Escalated/Agent/Tickets/Index"
    props = page["props"]
    assert ids(props) == [t2.pk, t1.pk]
    assert props["tickets"]["data"][1]["tags"] == [
        {"id": tag.pk, "name": "bug", "slug": "bug", "color": "#ff0000"}
    ]
    assert props["tickets"]["data"][0]["department"] == {
        "id": dept.pk,
        "name": "Support",
        "slug": "support",
    }
    assert props["filters"] == {
        "search": "",
        "status": "",
        "priority": "",
        "assignee": "",
        "department": "",
        "tag": "",
        "sla": "",
        "sort": "-created_at",
        "page": 1,
    }
    assert props["agents"] == [{"id": agent.pk, "name": agent.username, "email": agent.email}]
    assert props["departments"] == [{"id": dept.pk, "name": "Support", "slug": "support"}]
    assert props["tags"] == [{"id": tag.pk, "name": "bug", "slug": "bug", "color": "#ff0000"}]
    assert [s["value"] for s in props["choices"]["statuses"]][:2] == ["open", "in_progress"]


def test_list_filters(agent_ui, agent):
    other = f.AgentFactory()
    dept = f.DepartmentFactory()
    tag = f.TagFactory()
    mine = f.TicketFactory(assignee=agent, priority="high")
    theirs = f.TicketFactory(assignee=other, department=dept, status=Status.IN_PROGRESS)
    nobody = f.TicketFactory(first_response_breached_at=timezone.now())
    nobody.tags.add(tag)

    def listed(query):
        return set(ids(agent_ui.props(f"/support/agent/tickets/?{query}")))

    assert listed("assignee=me") == {mine.pk}
    assert listed("assignee=unassigned") == {nobody.pk}
    assert listed(f"assignee={other.pk}") == {theirs.pk}
    assert listed("status=in_progress") == {theirs.pk}
    assert listed("priority=high") == {mine.pk}
    assert listed(f"department={dept.pk}") == {theirs.pk}
    assert listed(f"tag={tag.pk}") == {nobody.pk}
    assert listed("sla=breached") == {nobody.pk}
    assert listed("sla_breached=1") == {nobody.pk}  # the older spelling
    assert listed("sla=at_risk") == set()
    assert listed(f"assignee=me&priority=high&department={dept.pk}") == set()


def test_list_ignores_unknown_filter_values(agent_ui):
    t = f.TicketFactory()

    props = agent_ui.props(
        "/support/agent/tickets/?status=nope&priority=9&assignee=someone&department=x"
        "&tag=-1&sort=random&page=abc&per_page=0&sla_breached=maybe"
        "&assignee=99999999999999999999999"
    )

    assert ids(props) == [t.pk]
    assert props["filters"]["status"] == "" and props["filters"]["sort"] == "-created_at"
    assert props["filters"]["page"] == 1 and props["filters"]["assignee"] == ""
    assert props["tickets"]["per_page"] == 25


def test_list_sorting(agent_ui):
    now = timezone.now()
    low = f.TicketFactory(priority="low", created_at=now - timedelta(hours=3))
    urgent = f.TicketFactory(
        priority="urgent",
        created_at=now - timedelta(hours=2),
        first_response_due_at=now + timedelta(hours=5),
    )
    high = f.TicketFactory(
        priority="high",
        created_at=now - timedelta(hours=1),
        first_response_due_at=now + timedelta(hours=1),
    )

    def order(sort):
        return ids(agent_ui.props(f"/support/agent/tickets/?sort={sort}"))

    assert order("-created_at") == [high.pk, urgent.pk, low.pk]
    assert order("created_at") == [low.pk, urgent.pk, high.pk]
    assert order("-priority") == [urgent.pk, high.pk, low.pk]
    assert order("priority") == [low.pk, high.pk, urgent.pk]
    assert order("due") == [high.pk, urgent.pk, low.pk]


def test_list_pages_keep_the_query(agent_ui):
    tickets = [f.TicketFactory() for _ in range(7)]
    newest_first = [t.pk for t in reversed(tickets)]

    second = agent_ui.props("/support/agent/tickets/?per_page=3&page=2")
    beyond = agent_ui.props("/support/agent/tickets/?per_page=3&page=50")

    assert ids(second) == newest_first[3:6]
    assert {
        k: second["tickets"][k] for k in ("total", "per_page", "current_page", "last_page")
    } == {
        "total": 7,
        "per_page": 3,
        "current_page": 2,
        "last_page": 3,
    }
    assert second["filters"]["per_page"] == 3 and second["filters"]["page"] == 2
    assert beyond["tickets"]["current_page"] == 3 and ids(beyond) == newest_first[6:]
    assert beyond["filters"]["page"] == 3


def test_search_by_words_reference_and_requester_email(agent_ui, customer):
    printer = svc.ticket_create(
        actor=customer, subject="Printer jammed", description="Paper everywhere"
    )
    vpn = svc.ticket_create(
        actor=None, requester_email="Dora@Example.com", subject="VPN", description="Timeouts"
    )

    def found(q):
        return set(ids(agent_ui.props(f"/support/agent/tickets/?search={q}")))

    assert found("printer") == {printer.pk}
    assert found("paper") == {printer.pk}
    assert found(printer.reference) == {printer.pk}
    assert found("dora@example.com") == {vpn.pk}
    assert found("nothing-like-this") == set()
    assert (
        agent_ui.props("/support/agent/tickets/?search=printer")["filters"]["search"] == "printer"
    )


# --------------------------------------------------------------------------- detail


def test_detail_has_notes_timeline_attachments_and_pickers(agent_ui, agent, ticket, media):
    tag = f.TagFactory(name="vip", slug="vip")
    other_tag = f.TagFactory(name="later", slug="later")
    svc.ticket_add_tags(ticket=ticket, actor=agent, tags=[tag])
    svc.reply_create(
        ticket=ticket, actor=agent, body="Public", attachments=[SimpleUploadedFile("p.txt", b"1")]
    )
    svc.reply_create(
        ticket=ticket,
        actor=agent,
        body="Note",
        is_internal=True,
        attachments=[SimpleUploadedFile("n.txt", b"2")],
    )
    canned = CannedResponse.objects.create(title="Thanks", body="Thank you!", category="General")
    CannedResponse.objects.create(
        title="Private", body="x", is_shared=False, created_by=f.AgentFactory()
    )
    macro = Macro.objects.create(name="Escalate", actions=[{"type": "escalate"}])

    page = agent_ui.page(f"/support/agent/tickets/{ticket.reference}/")

    assert page["component"] == "Escalated/Agent/Tickets/Show"
    props = page["props"]
    assert props["ticket"]["id"] == ticket.pk
    assert props["ticket"]["tags"] == [
        {"id": tag.pk, "name": "vip", "slug": "vip", "color": "#6b7280"}
    ]
    assert [t["id"] for t in props["tags"]] == [other_tag.pk, tag.pk]
    assert [(r["body"], r["is_internal_note"]) for r in props["replies"]] == [
        ("Public", False),
        ("Note", True),
    ]
    assert [a["name"] for a in props["replies"][1]["attachments"]] == ["n.txt"]
    assert [a["type"] for a in props["activities"]] == [
        "created",
        "tag_added",
        "replied",
        "note_added",
    ]
    assert props["activities"][1]["actor"] == {"id": agent.pk, "name": agent.username}
    assert props["canned_responses"] == [
        {
            "id": canned.pk,
            "title": "Thanks",
            "body": "Thank you!",
            "category": "General",
            "is_shared": True,
        }
    ]
    assert props["macros"] == [{"id": macro.pk, "name": "Escalate", "description": ""}]
    assert props["allowed_statuses"] == [
        "in_progress",
        "waiting_on_customer",
        "waiting_on_agent",
        "escalated",
        "resolved",
        "closed",
    ]
    assert props["ticket"]["last_reply_author"] == agent.username
    assert props["ticket"]["sla_policy"]["name"] == "Default"


def test_detail_of_an_unknown_ticket_is_the_not_found_page(agent_ui):
    for key in ("ESC-99999", "424242", "99999999999999999999999"):
        response = agent_ui.get(f"/support/agent/tickets/{key}/")
        assert response.status_code == 404
        assert response.json()["component"] == "Escalated/Errors/NotFound"


# --------------------------------------------------------------------------- actions


def test_reply_and_internal_note(agent_ui, agent, ticket):
    show = f"/support/agent/tickets/{ticket.reference}/"

    assert_redirect(agent_ui.post(f"{show}reply/", {"body": "Hello"}), show)
    assert_redirect(
        agent_ui.post(f"{show}reply/", {"body": "psst", "is_internal_note": True}), show
    )
    assert_redirect(agent_ui.post(f"{show}note/", {"body": "another"}), show)

    assert list(Reply.objects.values_list("body", "is_internal")) == [
        ("Hello", False),
        ("psst", True),
        ("another", True),
    ]
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert agent_ui.props(show)["flash"] == {"success": "Note added."}


def test_assign_me_someone_and_nobody(agent_ui, agent, ticket):
    other = f.AgentFactory()
    show = f"/support/agent/tickets/{ticket.reference}/"

    agent_ui.post(f"{show}assign/", {"agent_id": "me"})
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    agent_ui.post(f"{show}assign/", {"agent_id": other.pk})
    ticket.refresh_from_db()
    assert ticket.assignee == other
    agent_ui.post(f"{show}assign/", {"agent_id": None})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    agent_ui.post(f"{show}assign/", {"agent_id": other.pk})
    agent_ui.post(f"{show}unassign/")
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_assign_to_a_non_agent_is_a_field_error(agent_ui, ticket, customer):
    show = f"/support/agent/tickets/{ticket.reference}/"

    agent_ui.post(f"{show}assign/", {"agent_id": customer.pk})
    assert agent_ui.props(show)["errors"] == {"agent_id": "This user is not an agent."}
    agent_ui.post(f"{show}assign/", {"agent_id": 987654})
    assert agent_ui.props(show)["errors"] == {"agent_id": "Unknown agent."}


def test_status_priority_and_department(agent_ui, ticket):
    dept = f.DepartmentFactory()
    show = f"/support/agent/tickets/{ticket.reference}/"

    agent_ui.post(f"{show}status/", {"status": "resolved"})
    agent_ui.post(f"{show}priority/", {"priority": "urgent"})
    agent_ui.post(f"{show}department/", {"department_id": dept.pk})

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.department) == ("resolved", "urgent", dept)
    agent_ui.post(f"{show}department/", {"department_id": None})
    ticket.refresh_from_db()
    assert ticket.department is None


def test_illegal_status_change_is_reported_on_the_status_field(agent_ui, ticket, agent):
    svc.ticket_close(ticket=ticket, actor=agent)
    show = f"/support/agent/tickets/{ticket.reference}/"

    agent_ui.post(f"{show}status/", {"status": "in_progress"})

    assert agent_ui.props(show)["errors"] == {"status": "Not allowed from closed."}
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_tags_set_exactly_or_add_and_remove(agent_ui, ticket):
    a, b, c = f.TagFactory(), f.TagFactory(), f.TagFactory()
    show = f"/support/agent/tickets/{ticket.reference}/"

    agent_ui.post(f"{show}tags/", {"tags": [a.pk, b.pk]})
    assert set(ticket.tags.values_list("pk", flat=True)) == {a.pk, b.pk}
    agent_ui.post(f"{show}tags/", {"tags": [b.pk, c.pk]})
    assert set(ticket.tags.values_list("pk", flat=True)) == {b.pk, c.pk}
    agent_ui.post(f"{show}tags/", {"add": [a.pk], "remove": [c.pk]})
    assert set(ticket.tags.values_list("pk", flat=True)) == {a.pk, b.pk}
    agent_ui.post(f"{show}tags/", {"add": [424242]})
    assert agent_ui.props(show)["errors"] == {"tags": "Unknown tag: [424242]."}


def test_apply_macro(agent_ui, ticket, agent):
    tag = f.TagFactory()
    macro = Macro.objects.create(
        name="Triage",
        actions=[{"type": "set_priority", "value": "high"}, {"type": "add_tag", "value": tag.pk}],
    )
    private = Macro.objects.create(
        name="Theirs", actions=[{"type": "escalate"}], is_shared=False, created_by=f.AgentFactory()
    )
    show = f"/support/agent/tickets/{ticket.reference}/"

    assert_redirect(agent_ui.post(f"{show}macro/", {"macro_id": macro.pk}), show)
    ticket.refresh_from_db()
    assert ticket.priority == "high" and list(ticket.tags.all()) == [tag]

    agent_ui.post(f"{show}macro/", {"macro_id": private.pk})
    assert agent_ui.props(show)["errors"] == {"macro_id": "Choose a macro."}


# --------------------------------------------------------------------------- bulk


def test_bulk_assign_to_me(agent_ui, agent):
    tickets = [f.TicketFactory() for _ in range(3)]

    response = agent_ui.post(
        "/support/agent/tickets/bulk/",
        {"ids": [t.pk for t in tickets], "action": "assign", "value": "me"},
        headers={"Referer": "http://testserver/support/agent/tickets/?status=open"},
    )

    assert_redirect(response, "http://testserver/support/agent/tickets/?status=open")
    assert Ticket.objects.filter(assignee=agent).count() == 3
    flash = agent_ui.props("/support/agent/tickets/")["flash"]
    assert flash == {"success": "3 tickets updated."}


def test_bulk_reports_partial_failures(agent_ui, agent):
    ok = f.TicketFactory()
    closed = f.TicketFactory(status=Status.CLOSED, reference="ESC-00077")

    agent_ui.post(
        "/support/agent/tickets/bulk/",
        {"ids": [ok.pk, closed.pk, 999999], "action": "status", "value": "in_progress"},
    )

    ok.refresh_from_db()
    closed.refresh_from_db()
    assert (ok.status, closed.status) == ("in_progress", "closed")
    flash = agent_ui.props("/support/agent/tickets/")["flash"]
    assert flash["success"] == "1 ticket updated."
    assert flash["error"] == (
        "2 of 3 tickets were not changed — ESC-00077: Not allowed from closed.; #999999: not found"
    )


def test_bulk_priority_and_tags(agent_ui):
    tickets = [f.TicketFactory() for _ in range(2)]
    tag = f.TagFactory()
    pks = [t.pk for t in tickets]

    agent_ui.post(
        "/support/agent/tickets/bulk/", {"ids": pks, "action": "priority", "value": "critical"}
    )
    agent_ui.post(
        "/support/agent/tickets/bulk/", {"ids": pks, "action": "add_tag", "value": tag.pk}
    )

    assert set(Ticket.objects.values_list("priority", flat=True)) == {"critical"}
    assert tag.tickets.count() == 2


def test_bulk_rejects_a_bad_action_or_no_selection(agent_ui):
    t = f.TicketFactory()

    agent_ui.post("/support/agent/tickets/bulk/", {"ids": [t.pk], "action": "explode"})
    assert "action" in agent_ui.props("/support/agent/tickets/")["errors"]
    agent_ui.post("/support/agent/tickets/bulk/", {"ids": [], "action": "status", "value": "open"})
    assert agent_ui.props("/support/agent/tickets/")["errors"] == {
        "ids": "Select at least one ticket."
    }
    agent_ui.post("/support/agent/tickets/bulk/", {"ids": [t.pk], "action": "status", "value": "x"})
    assert agent_ui.props("/support/agent/tickets/")["errors"] == {"value": "Choose a status."}


def test_ids_beyond_the_column_range_find_nothing_instead_of_failing(agent_ui, ticket):
    big = 2**31 + 5
    huge = 2**63 - 1

    for query in (f"assignee={big}", f"department={huge}", f"tag={big}", f"search={huge}"):
        props = agent_ui.props(f"/support/agent/tickets/?{query}")
        assert props["tickets"]["data"] == [], query
    assert agent_ui.get(f"/support/agent/tickets/{huge}/").status_code == 404
    show = f"/support/agent/tickets/{ticket.reference}/"
    agent_ui.post(f"{show}assign/", {"agent_id": big})
    assert agent_ui.props(show)["errors"] == {"agent_id": "Unknown agent."}


@pytest.mark.django_db(transaction=True)
def test_bulk_assign_sends_the_new_assignee_one_digest(agent_ui, mailoutbox, monkeypatch):
    """Each ticket commits on its own (even under ATOMIC_REQUESTS), and what the run
    tells people goes out at its end: one e-mail for the 3 tickets, not 3."""
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    bob = f.AgentFactory(username="bob", email="bob@example.com")
    tickets = [f.TicketFactory() for _ in range(3)]
    mailoutbox.clear()

    agent_ui.post(
        "/support/agent/tickets/bulk/",
        {"ids": [t.pk for t in tickets], "action": "assign", "value": bob.pk},
    )

    assert Ticket.objects.filter(assignee=bob).count() == 3
    (digest,) = [m for m in mailoutbox if m.to == ["bob@example.com"]]
    assert digest.subject == "3 tickets assigned to you"
    for t in tickets:
        assert t.reference in digest.body
