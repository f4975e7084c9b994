"""Selectors shared by the web UI and the API: filters, search, pages, pickers, reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalated.conf import table_name
from escalated.exceptions import NotFound
from escalated.models import CannedResponse, Macro, Ticket
from escalated.props import ticket_props
from escalated.selectors.pickers import pickers_load
from escalated.selectors.reports import report_overview
from escalated.selectors.tickets import (
    TicketFilters,
    capped_count,
    paginate,
    ticket_filters_from_query,
    ticket_get_for_user,
    ticket_list_for_agent,
    ticket_page_for_agent,
    ticket_search_q,
    ticket_thread,
    with_ticket_props,
)
from escalated.services import tickets as svc
from tests import factories as f

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL full-text search"
)
on_sqlite = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite fallback")


def search(text):
    return set(Ticket.objects.filter(ticket_search_q(text)).values_list("pk", flat=True))


# --------------------------------------------------------------------------- filters


def test_filters_parse_the_query_string():
    filters = ticket_filters_from_query(
        QueryDict(
            "search=+printer+&status=open&priority=high&assignee=me&department=3&tag=4"
            "&sla=at_risk&sort=due&page=2&per_page=50"
        )
    )

    assert filters == TicketFilters(
        search="printer",
        status="open",
        priority="high",
        assignee="me",
        department=3,
        tag=4,
        sla="at_risk",
        sort="due",
        page=2,
        per_page=50,
    )


@pytest.mark.parametrize(
    "query",
    [
        "status=pending&priority=meh&assignee=bob&department=abc&tag=1.5&sort=?&page=-1",
        "page=99999999999999999999999&assignee=99999999999999999999999&per_page=x",
        "department=0&tag=&sla_breached=2&sla=soon",
    ],
)
def test_malformed_filters_mean_any(query):
    filters = ticket_filters_from_query(QueryDict(query))

    assert filters == TicketFilters()


def test_page_size_is_capped():
    assert ticket_filters_from_query(QueryDict("per_page=100000")).per_page == 100


def test_filters_echo_without_the_default_page_size():
    assert "per_page" not in TicketFilters().as_props()
    assert TicketFilters(per_page=10).as_props()["per_page"] == 10


# --------------------------------------------------------------------------- search


@pytest.fixture
def corpus(customer, default_policy):
    printer = svc.ticket_create(
        actor=customer, subject="Printer jammed", description="Paper stuck in tray two"
    )
    scanner = svc.ticket_create(
        actor=customer, subject="Scanner offline", description="No paper involved"
    )
    guest = svc.ticket_create(
        actor=None, requester_email="dora@example.com", subject="VPN", description="Slow"
    )
    return printer, scanner, guest


def test_search_matches_reference_and_requester_email(corpus):
    printer, _, guest = corpus

    assert search(printer.reference) == {printer.pk}
    assert search(printer.reference.lower()) == {printer.pk}
    assert search("DORA@example.com") == {guest.pk}
    assert search(str(guest.pk)) >= {guest.pk}
    assert search("   ") == {t.pk for t in corpus}


@on_postgres
def test_postgres_search_is_full_text_with_web_syntax(corpus):
    printer, scanner, _ = corpus

    assert search("paper") == {printer.pk, scanner.pk}
    assert search("paper -printer") == {scanner.pk}
    assert search('"stuck in tray"') == {printer.pk}
    assert search("printer or scanner") == {printer.pk, scanner.pk}
    assert search("pape") == set()  # words, not substrings
    assert search("'); drop table x; --") == set()


@on_sqlite
def test_sqlite_search_falls_back_to_substrings(corpus):
    printer, scanner, _ = corpus

    assert search("PAPE") == {printer.pk, scanner.pk}
    assert search("jammed") == {printer.pk}


@on_postgres
def test_search_index_exists_and_serves_the_query(corpus):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'esc_ticket_fts_idx'")
        [(definition,)] = cursor.fetchall()
        assert "gin" in definition.lower() and table_name("tickets") in definition
        qs = Ticket.objects.filter(ticket_search_q("paper")).values("pk")
        sql, params = qs.query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "esc_ticket_fts_idx" in plan


@on_sqlite
def test_sqlite_has_no_full_text_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'esc_ticket_fts_idx'")
        assert cursor.fetchall() == []


def test_agent_list_orders_search_results_newest_first(corpus, agent):
    printer, scanner, _ = corpus

    qs = ticket_list_for_agent(user=agent, filters=TicketFilters(search="paper"))

    assert list(qs.values_list("pk", flat=True)) == [scanner.pk, printer.pk]


# --------------------------------------------------------------------------- pages


def test_capped_count_says_when_it_stopped():
    for _ in range(5):
        f.TicketFactory()

    assert capped_count(Ticket.objects.all(), cap=10) == (5, True)
    assert capped_count(Ticket.objects.all(), cap=3) == (3, False)


def test_paginate_clamps_the_page_and_caps_the_total():
    tickets = [f.TicketFactory() for _ in range(5)]
    qs = Ticket.objects.order_by("id")

    page = paginate(qs, page=9, per_page=2)
    capped = paginate(qs, page=1, per_page=2, cap=3)
    empty = paginate(Ticket.objects.none(), page=3)

    assert (page.current_page, page.last_page, [t.pk for t in page.items]) == (
        3,
        3,
        [tickets[4].pk],
    )
    assert (capped.total, capped.total_is_exact, capped.last_page) == (3, False, 2)
    assert (empty.total, empty.current_page, empty.items) == (0, 1, [])


def test_ticket_props_need_no_extra_queries_once_loaded(customer, agent, default_policy):
    for i in range(3):
        ticket = svc.ticket_create(
            actor=customer, subject=f"T{i}", description="x", tags=[f.TagFactory()]
        )
        svc.ticket_assign(ticket=ticket, actor=agent, agent=agent)
        svc.reply_create(ticket=ticket, actor=agent, body="hi")
    tickets = list(with_ticket_props(Ticket.objects.all()))

    with CaptureQueriesContext(connection) as ctx:
        props = [ticket_props(t) for t in tickets]

    assert len(ctx.captured_queries) == 0
    assert {p["last_reply_author"] for p in props} == {agent.username}


def test_last_reply_author_skips_internal_notes_and_names_guests(default_policy):
    agent = f.AgentFactory(first_name="Ada", last_name="Lovelace")
    ticket = svc.ticket_create(
        actor=None,
        channel="guest",
        requester_email="g@example.com",
        requester_name="Gil",
        subject="S",
        description="D",
    )

    def author():
        return ticket_props(with_ticket_props(Ticket.objects.filter(pk=ticket.pk)).get())[
            "last_reply_author"
        ]

    assert author() is None
    svc.reply_create(ticket=ticket, actor=agent, body="Note", is_internal=True)
    assert author() is None
    svc.reply_create(ticket=ticket, actor=agent, body="Hi")
    assert author() == "Ada Lovelace"
    svc.reply_create(ticket=ticket, actor=None, guest_token=ticket.guest_token, body="Thanks")
    assert author() == "Gil"


# --------------------------------------------------------------------------- visibility


def test_one_visibility_rule_for_detail_and_thread(customer, other_customer_user, agent, ticket_x):
    with pytest.raises(NotFound):
        ticket_get_for_user(key=ticket_x.reference, user=other_customer_user)
    assert ticket_get_for_user(key=ticket_x.reference, user=customer).pk == ticket_x.pk
    assert ticket_get_for_user(key=str(ticket_x.pk), user=agent).pk == ticket_x.pk

    svc.reply_create(ticket=ticket_x, actor=agent, body="Note", is_internal=True)
    assert ticket_thread(ticket_x, include_internal=False).replies == []
    assert len(ticket_thread(ticket_x, include_internal=True).replies) == 1


@pytest.fixture
def other_customer_user(db):
    user = f.UserFactory(username="mallory")
    f.ContactFactory(email="mallory@example.com", user=user)
    return user


@pytest.fixture
def ticket_x(customer, default_policy):
    return svc.ticket_create(actor=customer, subject="X", description="Y")


# --------------------------------------------------------------------------- pickers


def test_pickers_come_in_one_query_with_the_tickets_tags(agent, ticket_x):
    other_agent = f.AgentFactory()
    dept = f.DepartmentFactory()
    f.DepartmentFactory(is_active=False)
    a, b = f.TagFactory(name="alpha", slug="alpha"), f.TagFactory(name="beta", slug="beta")
    ticket_x.tags.add(b)
    shared = CannedResponse.objects.create(title="Shared", body="x")
    mine = CannedResponse.objects.create(title="Mine", body="x", is_shared=False, created_by=agent)
    CannedResponse.objects.create(title="Theirs", body="x", is_shared=False, created_by=other_agent)
    macro = Macro.objects.create(name="M", actions=[{"type": "escalate"}], position=2)
    Macro.objects.create(
        name="Private", actions=[{"type": "escalate"}], is_shared=False, created_by=other_agent
    )

    with CaptureQueriesContext(connection) as ctx:
        pickers = pickers_load(user=agent, ticket=ticket_x)

    assert len(ctx.captured_queries) == 1
    assert {u.pk for u in pickers.agents} == {agent.pk, other_agent.pk}
    assert [d.pk for d in pickers.departments] == [dept.pk]
    assert [t.pk for t in pickers.tags] == [a.pk, b.pk]
    assert [t.pk for t in pickers.ticket_tags] == [b.pk]
    assert [c.pk for c in pickers.canned_responses] == [mine.pk, shared.pk]
    assert [m.pk for m in pickers.macros] == [macro.pk]


def host_is_agent(user):
    """A host's agent rule for the tests: staff users whose name starts with "desk"."""
    return user.is_staff and user.username.startswith("desk")


def host_agents():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_staff=True, username__startswith="desk")


def test_pickers_follow_a_host_agent_rule(agent):
    desk = f.AgentFactory(username="desk-anna")
    member = f.UserFactory(username="desk-bob")
    f.DepartmentFactory().agents.add(member)  # an agent by the default rule only

    with override_settings(ESCALATED={"AGENT_CHECK": f"{__name__}.host_is_agent"}):
        checked = pickers_load(user=agent, kinds={"agents", "tags"})
    with (
        override_settings(
            ESCALATED={
                "AGENT_CHECK": f"{__name__}.host_is_agent",
                "AGENT_USERS": f"{__name__}.host_agents",
            }
        ),
        CaptureQueriesContext(connection) as ctx,
    ):
        listed = pickers_load(user=agent, kinds={"agents", "tags"})

    assert [u.pk for u in checked.agents] == [desk.pk]
    assert [u.pk for u in listed.agents] == [desk.pk]
    assert len(ctx.captured_queries) == 2  # the host's query, then the other lists


def test_host_listed_agents_are_still_agents(agent):
    # given: a host's list that also returns a deactivated user, and one the default
    # rule (in force without AGENT_CHECK) does not make an agent
    desk = f.AgentFactory(username="desk-anna")
    gone = f.AgentFactory(username="desk-gone", is_active=False)
    customer = f.UserFactory(username="desk-carl")  # not staff
    host_list = f"{__name__}.host_agents_with_others"

    with override_settings(
        ESCALATED={"AGENT_CHECK": f"{__name__}.host_is_agent", "AGENT_USERS": host_list}
    ):
        checked = pickers_load(user=agent, kinds={"agents"})
    with override_settings(ESCALATED={"AGENT_USERS": host_list}):
        default_rule = pickers_load(user=agent, kinds={"agents"})

    # then: nobody listed whom assigning would refuse (is_agent)
    assert gone.pk not in [u.pk for u in checked.agents]
    assert [u.pk for u in default_rule.agents] == [desk.pk]
    assert customer.pk not in [u.pk for u in default_rule.agents]


def host_agents_with_others():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username__startswith="desk")


def test_pickers_load_only_what_is_asked(agent):
    f.TagFactory()

    with CaptureQueriesContext(connection) as ctx:
        nothing = pickers_load(user=agent, kinds=())
    only_tags = pickers_load(user=agent, kinds={"tags"})

    assert len(ctx.captured_queries) == 0
    assert nothing.tags == [] and len(only_tags.tags) == 1 and only_tags.agents == []


# --------------------------------------------------------------------------- reports


def test_report_covers_the_asked_days_and_skips_older_tickets():
    now = timezone.now()
    f.TicketFactory(created_at=now - timedelta(days=2))
    f.TicketFactory(created_at=now - timedelta(days=10))

    report = report_overview(days=7, now=now)

    assert len(report.labels) == len(report.created_per_day) == 7
    assert sum(report.created_per_day) == 1
    assert report.created_per_day[-3] == 1
    assert report.totals["sla_breach_rate"] is None
    assert report.totals["csat_average"] is None


@pytest.mark.parametrize("sort", ["-priority", "priority"])
def test_priority_sort_pages_match_a_full_sort(agent, sort):
    from escalated.models.choices import PRIORITY_RANK
    from escalated.selectors.tickets import ticket_page_for_agent

    now = timezone.now()
    priorities = ["low", "critical", "medium", "high", "urgent", "medium", "low"]
    tickets = [
        f.TicketFactory(priority=priorities[i % 7], created_at=now - timedelta(minutes=i))
        for i in range(23)
    ]
    sign = -1 if sort.startswith("-") else 1
    expected = [
        t.pk
        for t in sorted(
            tickets, key=lambda t: (sign * PRIORITY_RANK[t.priority], -t.created_at.timestamp())
        )
    ]

    pages = [
        ticket_page_for_agent(user=agent, filters=TicketFilters(sort=sort, page=n, per_page=5))
        for n in range(1, 6)
    ]

    assert [t.pk for page in pages for t in page.items] == expected
    assert pages[-1].current_page == 5 and pages[0].total == 23


# --------------------------------------------------------------------------- display loaders
#
# The pages load their rows through SQL compiled once per shape
# (escalated.selectors._compiled); these tests hold them to what the plain ORM
# loaders give.


@pytest.fixture
def desk(customer, agent, default_policy, settings, tmp_path):
    """Tickets of every kind a page shows: assigned or not, with or without a
    department, tags, ticket and reply attachments, notes, guest requesters."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path / "media")
    tags = [f.TagFactory(name=name, slug=name) for name in ("beta", "alpha", "gamma")]
    department = f.DepartmentFactory()
    tickets = []
    for i in range(7):
        ticket = svc.ticket_create(
            actor=customer if i % 3 else None,
            requester_email=None if i % 3 else f"guest{i}@example.com",
            channel="web" if i % 3 else "guest",
            subject=f"Printer {i}",
            description="It jams.",
            department=department if i % 2 else None,
            tags=tags[: i % 4],
            attachments=[SimpleUploadedFile(f"t{i}.txt", b"x")] if i % 2 == 0 else [],
        )
        if i % 3 == 1:
            svc.ticket_assign(ticket=ticket, actor=agent, agent=agent)
        if i % 2:
            svc.reply_create(
                ticket=ticket,
                actor=agent,
                body="Looking",
                attachments=[SimpleUploadedFile(f"r{i}.txt", b"y")],
            )
            svc.reply_create(ticket=ticket, actor=agent, body="Note", is_internal=True)
        tickets.append(ticket)
    return tickets


def orm_props(pks, **kwargs):
    """ticket_props of the plain ORM loader, by pk."""
    loaded = {t.pk: t for t in with_ticket_props(Ticket.objects.filter(pk__in=pks))}
    return [ticket_props(loaded[pk], **kwargs) for pk in pks if pk in loaded]


def test_display_list_gives_the_orm_loaders_props_in_the_asked_order(desk):
    from escalated.selectors.tickets import ticket_display_list

    pks = [t.pk for t in reversed(desk)]

    with CaptureQueriesContext(connection) as ctx:
        tickets = ticket_display_list([*pks, pks[0], 10**9])
        props = [ticket_props(t) for t in tickets]

    assert len(ctx.captured_queries) == 2
    assert props == orm_props(pks)
    assert [p["tags"] for p in props if p["tags"]]  # the fixture has tags …
    assert [p["attachments"] for p in props if p["attachments"]]  # … and attachments
    assert ticket_display_list([]) == []


def test_display_tickets_are_for_display_but_still_whole_on_access(desk):
    from escalated.selectors.tickets import ticket_display_list

    ticket = ticket_display_list([desk[1].pk])[0]

    assert ticket.reopened_count == 0  # deferred: loads on access instead of lying
    assert ticket.requester.email == desk[1].requester.email


@pytest.mark.parametrize(
    "filters",
    [
        TicketFilters(),
        *(TicketFilters(sort=sort) for sort in ("created_at", "-updated_at", "updated_at", "due")),
        *(TicketFilters(sort=sort, per_page=2, page=2) for sort in ("-priority", "priority")),
        TicketFilters(status="open", per_page=3, page=2),
        TicketFilters(priority="medium", assignee="unassigned"),
        TicketFilters(assignee="me", sla="breached"),
        TicketFilters(sla="at_risk", sort="-priority"),
        TicketFilters(sla="at_risk", sort="due", per_page=1, page=2),
        TicketFilters(sort="due", per_page=2, page=3),
        TicketFilters(search="printer", per_page=4, page=2),
    ],
    ids=repr,
)
def test_agent_pages_match_the_plain_queryset(desk, agent, filters):
    from escalated.selectors.tickets import ticket_page_for_agent

    qs = ticket_list_for_agent(user=agent, filters=filters)
    offset = (filters.page - 1) * filters.per_page
    expected = list(qs.values_list("pk", flat=True)[offset : offset + filters.per_page])

    page = ticket_page_for_agent(user=agent, filters=filters)

    assert [t.pk for t in page.items] == expected
    assert (page.total, page.total_is_exact) == (qs.count(), True)
    assert [ticket_props(t) for t in page.items] == orm_props(expected)


def test_agent_filters_with_values_match_the_plain_queryset(desk, agent):
    from escalated.selectors.tickets import ticket_page_for_agent

    tag = desk[3].tags.first()
    department = desk[1].department
    for filters in [
        TicketFilters(tag=tag.pk),
        TicketFilters(department=department.pk, assignee=agent.pk),
        TicketFilters(status="open", priority="medium", tag=tag.pk, department=department.pk),
    ]:
        expected = list(
            ticket_list_for_agent(user=agent, filters=filters).values_list("pk", flat=True)
        )

        page = ticket_page_for_agent(user=agent, filters=filters)

        assert [t.pk for t in page.items] == expected[:25]
        assert page.total == len(expected)


def test_list_pages_past_the_end_show_the_last_page(agent, customer):
    from escalated.selectors.tickets import ticket_page_for_agent, ticket_page_for_requester

    for _ in range(7):
        f.TicketFactory(requester=customer.escalated_contact)

    mine = ticket_page_for_requester(user=customer, scope="", page=3)
    agents = ticket_page_for_agent(user=agent, filters=TicketFilters(per_page=3, page=9))

    assert (mine.current_page, len(mine.items), mine.total, mine.total_is_exact) == (1, 7, 7, True)
    assert (agents.current_page, len(agents.items), agents.total) == (3, 1, 7)


def test_list_pages_end_at_the_capped_count(agent, monkeypatch):
    from escalated.selectors import tickets as selectors

    for _ in range(7):
        f.TicketFactory()
    monkeypatch.setattr(selectors, "COUNT_CAP", 4)

    page = selectors.ticket_page_for_agent(user=agent, filters=TicketFilters(per_page=2, page=5))

    assert page.current_page == 2  # as far as the capped count goes
    assert (page.total, page.total_is_exact, len(page.items)) == (4, False, 2)


def test_requester_pages_show_only_their_tickets_by_scope(desk, customer):
    from escalated.selectors.tickets import ticket_page_for_requester

    mine = Ticket.objects.filter(requester__user=customer).order_by("-created_at", "-id")
    closed = mine.first()
    closed.status = "closed"
    closed.save(update_fields=["status"])

    pages = {
        scope: ticket_page_for_requester(user=customer, scope=scope, page=1)
        for scope in ("", "open", "closed")
    }

    assert [t.pk for t in pages[""].items] == list(mine.values_list("pk", flat=True))
    assert [t.pk for t in pages["closed"].items] == [closed.pk]
    assert closed.pk not in {t.pk for t in pages["open"].items}
    assert pages["open"].total == mine.count() - 1


def test_detail_loader_matches_the_orm_and_brings_the_rating(desk, agent, customer):
    from escalated.models import SatisfactionRating

    ticket = desk[1]
    SatisfactionRating.objects.create(ticket=ticket, rating=5, comment="Great")

    by_reference = ticket_get_for_user(key=ticket.reference, user=agent)
    by_id = ticket_get_for_user(key=str(ticket.pk), user=customer)
    with CaptureQueriesContext(connection) as ctx:
        rating = by_reference.rating

    assert ticket_props(by_reference) == ticket_props(by_id) == orm_props([ticket.pk])[0]
    assert (rating.rating, rating.comment, len(ctx.captured_queries)) == (5, "Great", 0)
    with pytest.raises(NotFound):
        ticket_get_for_user(key=str(2**64), user=agent)
    no_rating = ticket_get_for_user(key=desk[3].reference, user=agent)
    with pytest.raises(SatisfactionRating.DoesNotExist):
        no_rating.rating  # noqa: B018


def test_thread_loader_matches_the_orm(desk, agent):
    from escalated.models import Attachment, Reply
    from escalated.props import activity_props, attachment_props, reply_props

    ticket = desk[1]

    for internal in (True, False):
        thread = ticket_thread(ticket, include_internal=internal, activities=True)
        replies = Reply.objects.filter(ticket=ticket).select_related("author")
        files = Attachment.objects.filter(ticket=ticket)
        if not internal:
            replies = replies.filter(is_internal=False)
            files = files.filter(reply__isnull=True) | files.filter(reply__is_internal=False)

        assert [reply_props(r) for r in thread.replies] == [reply_props(r) for r in replies]
        assert [attachment_props(a) for a in thread.ticket_attachments] + [
            attachment_props(a)
            for pk in sorted(thread.reply_attachments)
            for a in thread.reply_attachments[pk]
        ] == [attachment_props(a) for a in files.order_by("reply_id", "created_at", "id")]
    assert [activity_props(a) for a in thread.activities] == [
        activity_props(a)
        for a in ticket.activities.select_related("actor").order_by("created_at", "id")
    ]
    assert (
        len(
            ticket_thread(
                ticket, include_internal=True, activities=True, activities_limit=1
            ).activities
        )
        == 1
    )


def test_compiled_rows_equal_the_orms_values(desk):
    from escalated.selectors._compiled import param, run

    def query():
        return Ticket.objects.filter(pk=param(0)).values_list(
            "pk", "created_at", "first_response_due_at", "metadata", "requester__user"
        )

    ticket = desk[1]
    Ticket.objects.filter(pk=ticket.pk).update(metadata={"order": 7})

    rows = run(query, [ticket.pk], using="default")
    expected = list(
        Ticket.objects.filter(pk=ticket.pk).values_list(
            "pk", "created_at", "first_response_due_at", "metadata", "requester__user"
        )
    )

    assert rows == expected
    assert rows[0][1].tzinfo == expected[0][1].tzinfo and rows[0][3] == {"order": 7}


# --------------------------------------------------------------------------- SLA lists


def _plan(queryset):
    """The plan of ``queryset`` with sequential scans priced out (as on a large table)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


def _sla_world(now):
    past, future = now - timedelta(minutes=5), now + timedelta(hours=5)
    for _ in range(30):  # running clocks, nothing close
        f.TicketFactory(
            first_response_warn_at=future,
            first_response_due_at=future,
            resolution_warn_at=future,
            resolution_due_at=future,
        )
    return {
        "first_response": f.TicketFactory(first_response_warn_at=past, resolution_warn_at=future),
        "resolution": f.TicketFactory(
            first_response_at=past, first_response_warn_at=past, resolution_warn_at=past
        ),
        "breached": f.TicketFactory(first_response_breached_at=past, resolution_warn_at=past),
        "closed_breached": f.TicketFactory(status="closed", resolution_breached_at=past),
        "paused": f.TicketFactory(
            status="waiting_on_customer", sla_paused_at=past, resolution_warn_at=past
        ),
    }


def test_sla_filters_list_open_tickets_at_risk_or_breached(agent):
    now = timezone.now()
    world = _sla_world(now)

    def listed(query):
        filters = ticket_filters_from_query(QueryDict(query))
        return set(ticket_list_for_agent(user=agent, filters=filters).values_list("pk", flat=True))

    # per target: a missed first response does not hide a resolution deadline nearing
    assert listed("sla=at_risk") == {
        world["first_response"].pk,
        world["resolution"].pk,
        world["breached"].pk,
    }
    assert listed("sla=breached") == {world["breached"].pk}
    assert listed("sla_breached=1") == {world["breached"].pk}


@on_postgres
def test_at_risk_reads_the_two_warning_indexes(agent):
    from escalated.models.tickets import sla_at_risk_q

    _sla_world(timezone.now())

    plan = _plan(Ticket.objects.filter(sla_at_risk_q(timezone.now())).values("pk"))

    assert "esc_ticket_fr_warn_idx" in plan and "esc_ticket_res_warn_idx" in plan, plan


@on_postgres
def test_due_sort_reads_its_index(agent):
    _sla_world(timezone.now())
    filters = ticket_filters_from_query(QueryDict("sort=due"))

    plan = _plan(ticket_list_for_agent(user=agent, filters=filters)[:25])

    assert "esc_ticket_due_idx" in plan and "Sort" not in plan.split("Index")[0], plan


@on_postgres
def test_open_breached_count_reads_its_index(agent):
    from escalated.models.tickets import sla_breached_q

    _sla_world(timezone.now())

    plan = _plan(Ticket.objects.open().filter(sla_breached_q()).order_by("-updated_at")[:5])

    assert "esc_ticket_breached_idx" in plan, plan


# --------------------------------------------------------------------------- prepared


def _prepared_count():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        return cursor.fetchone()[0]


@on_postgres
def test_page_statements_are_prepared_and_still_logged(agent):
    from escalated.selectors.tickets import ticket_page_for_agent

    svc.ticket_create(actor=agent, subject="S", description="D", requester_email="a@b.co")
    filters = TicketFilters(priority="medium", per_page=11)  # a shape no other test runs
    before = _prepared_count()

    with CaptureQueriesContext(connection) as ctx:
        first = ticket_page_for_agent(user=agent, filters=filters)
        again = ticket_page_for_agent(user=agent, filters=filters)

    assert [t.pk for t in first.items] == [t.pk for t in again.items] and first.total == 1
    assert _prepared_count() > before
    assert len(ctx.captured_queries) == 4  # rows, then tags and attachments; twice


@on_postgres
def test_no_prepared_statements_behind_a_transaction_pooler(agent, monkeypatch):
    from escalated.selectors.tickets import ticket_page_for_agent

    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    filters = TicketFilters(priority="low", per_page=13)  # a shape no other test runs
    before = _prepared_count()

    page = ticket_page_for_agent(user=agent, filters=filters)

    assert page.total == 0 and _prepared_count() == before


def _index_scans(name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_get_xact_numscans(%s::regclass)", [name])
        return cursor.fetchone()[0]


@on_postgres
@pytest.mark.parametrize(
    ("query", "index", "priced_out"),
    [
        ("sort=due", "esc_ticket_due_idx", "enable_sort"),  # reads it in order, or sorts
        ("sla=breached", "esc_ticket_breached_idx", "enable_seqscan"),
    ],
)
def test_sla_list_pages_read_their_index_under_a_generic_plan(agent, query, index, priced_out):
    # given: a prepared statement's generic plan (what PostgreSQL switches to after
    # five runs when it guesses it cheaper), with what the index avoids priced out
    _sla_world(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
        cursor.execute(f"SET LOCAL {priced_out} = off")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    before = _index_scans(index)
    filters = ticket_filters_from_query(QueryDict(query))

    # when
    page = ticket_page_for_agent(user=agent, filters=filters)

    # then: the index still serves the page (a constant of its definition or of its
    # condition bound as a parameter would hide it from a generic plan)
    assert page.total > 0
    assert _index_scans(index) > before
