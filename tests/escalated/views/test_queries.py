"""Pages run a fixed number of SQL queries, whatever the number of rows.

Each test renders a page at two sizes and asserts equal counts within the budget of
10 queries (session, user and permission lookups included).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalated.models import CannedResponse, Macro
from escalated.services import tickets as svc
from tests import factories as f

pytestmark = pytest.mark.django_db

BUDGET = 10


def make_tickets(n, *, customer, agent, tags, department):
    for i in range(n):
        ticket = svc.ticket_create(
            actor=customer,
            subject=f"Ticket {i}",
            description="Details",
            department=department,
            tags=tags,
            attachments=[SimpleUploadedFile(f"{i}.txt", b"x")],
        )
        svc.ticket_assign(ticket=ticket, actor=agent, agent=f.AgentFactory())
        svc.reply_create(ticket=ticket, actor=agent, body="Looking")


def count_queries(ui, url):
    with CaptureQueriesContext(connection) as ctx:
        ui.page(url)
    return len(ctx.captured_queries)


@pytest.fixture
def world(customer, agent, default_policy, media):
    tags = [f.TagFactory(), f.TagFactory()]
    department = f.DepartmentFactory()
    CannedResponse.objects.create(title="Hi", body="Hello")
    Macro.objects.create(name="Bump", actions=[{"type": "set_priority", "value": "high"}])
    return {"customer": customer, "agent": agent, "tags": tags, "department": department}


def test_agent_list_queries_do_not_grow_with_tickets(
    agent_ui, world, django_assert_max_num_queries
):
    make_tickets(5, **world)
    small = count_queries(agent_ui, "/support/agent/tickets/")
    make_tickets(35, **world)

    with django_assert_max_num_queries(BUDGET):
        page = agent_ui.page("/support/agent/tickets/")
    large = count_queries(agent_ui, "/support/agent/tickets/")

    assert len(page["props"]["tickets"]["data"]) == 25
    assert small == large <= BUDGET


def test_agent_search_and_filters_stay_in_budget(agent_ui, world, django_assert_max_num_queries):
    make_tickets(30, **world)
    tag = world["tags"][0]

    with django_assert_max_num_queries(BUDGET):
        agent_ui.page(
            f"/support/agent/tickets/?search=ticket&tag={tag.pk}&assignee=unassigned&sort=-priority"
        )
    with django_assert_max_num_queries(BUDGET):
        agent_ui.page("/support/agent/tickets/?sort=due&sla=breached&page=2")
    with django_assert_max_num_queries(BUDGET):
        agent_ui.page("/support/agent/tickets/?sort=-priority&sla=at_risk")
    with django_assert_max_num_queries(BUDGET):
        agent_ui.page("/support/agent/tickets/?sort=-priority&page=2&per_page=10")


def test_agent_list_for_a_department_member_stays_in_budget(ui_as, world):
    member = f.UserFactory()
    world["department"].agents.add(member)
    make_tickets(30, **world)

    assert count_queries(ui_as(member), "/support/agent/tickets/") <= BUDGET


def test_ticket_detail_queries_do_not_grow_with_replies(
    agent_ui, agent, ticket, media, django_assert_max_num_queries
):
    f.DepartmentFactory()
    CannedResponse.objects.create(title="Hi", body="Hello")

    def add_replies(n):
        for i in range(n):
            svc.reply_create(
                ticket=ticket,
                actor=agent,
                body=f"Reply {i}",
                is_internal=i % 3 == 0,
                attachments=[SimpleUploadedFile(f"{i}.txt", b"x")],
            )

    url = f"/support/agent/tickets/{ticket.reference}/"
    add_replies(2)
    small = count_queries(agent_ui, url)
    add_replies(48)

    with django_assert_max_num_queries(BUDGET):
        props = agent_ui.props(url)
    large = count_queries(agent_ui, url)

    assert len(props["replies"]) == 50
    assert small == large <= BUDGET


def test_customer_pages_do_not_grow_with_data(customer_ui, customer, agent, world):
    make_tickets(5, **world)
    ticket = svc.ticket_create(actor=customer, subject="Mine", description="x")
    svc.reply_create(ticket=ticket, actor=agent, body="one")
    small_list = count_queries(customer_ui, "/support/tickets/")
    small_show = count_queries(customer_ui, f"/support/tickets/{ticket.reference}/")

    make_tickets(35, **world)
    for i in range(30):
        svc.reply_create(ticket=ticket, actor=agent, body=f"more {i}")

    assert count_queries(customer_ui, "/support/tickets/") == small_list <= BUDGET
    assert count_queries(customer_ui, f"/support/tickets/{ticket.reference}/") == small_show
    assert small_show <= BUDGET


def test_dashboard_queries_do_not_grow_with_tickets(agent_ui, world):
    make_tickets(5, **world)
    small = count_queries(agent_ui, "/support/agent/")
    make_tickets(20, **world)

    assert count_queries(agent_ui, "/support/agent/") == small
