from __future__ import annotations

import logging
import re
import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalated.exceptions import NotPermitted, ValidationFailed
from escalated.models import (
    ActivityType,
    AuthorType,
    BusinessSchedule,
    EscalationFiring,
    EscalationRule,
    Priority,
    Reply,
    Status,
    Ticket,
    TicketActivity,
)
from escalated.services import sla
from escalated.services import tickets as svc
from escalated.services.escalations import (
    escalation_rule_create,
    escalation_rule_delete,
    escalation_rule_update,
    escalations_evaluate,
    rule_queryset,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

NOTE = {"type": "add_note", "value": "Looked at by a rule."}
OPEN_TICKETS = {"field": "status", "operator": "in", "value": ["open"]}


@pytest.fixture
def now():
    return timezone.now()


def make_rule(conditions, actions=(NOTE,), **fields):
    fields.setdefault("name", "Rule")
    return EscalationRule.objects.create(
        conditions=list(conditions), actions=list(actions), **fields
    )


def cond(field, operator, value):
    return {"field": field, "operator": operator, "value": value}


def matching(now, *conditions, actions=(NOTE,)):
    """Ids of the tickets a rule with ``conditions`` and ``actions`` matches at ``now``."""
    rule = make_rule(conditions, actions)
    return set(rule_queryset(rule, now=now).values_list("pk", flat=True))


def ids(*tickets):
    return {t.pk for t in tickets}


def fresh(ticket):
    return Ticket.objects.get(pk=ticket.pk)


# --------------------------------------------------------------------------- conditions


def test_status_condition_in_and_not_in(now):
    opened = f.TicketFactory(status=Status.OPEN)
    waiting = f.TicketFactory(status=Status.WAITING_ON_AGENT)

    assert matching(now, cond("status", "in", ["open"])) == ids(opened)
    assert matching(now, cond("status", "not_in", ["open"])) == ids(waiting)


def test_rules_only_consider_open_tickets(now):
    opened = f.TicketFactory(status=Status.OPEN)
    f.TicketFactory(status=Status.RESOLVED)
    f.TicketFactory(status=Status.CLOSED)

    assert matching(now, cond("status", "in", Status.values)) == ids(opened)


def test_priority_condition_in_and_not_in(now):
    low = f.TicketFactory(priority=Priority.LOW)
    urgent = f.TicketFactory(priority=Priority.URGENT)

    assert matching(now, cond("priority", "in", ["urgent"])) == ids(urgent)
    assert matching(now, cond("priority", "not_in", ["urgent", "high"])) == ids(low)


def test_department_condition_in_not_in_and_is_empty(now):
    sales, support = f.DepartmentFactory(), f.DepartmentFactory()
    in_sales = f.TicketFactory(department=sales)
    in_support = f.TicketFactory(department=support)
    nowhere = f.TicketFactory(department=None)

    assert matching(now, cond("department", "in", [sales.pk])) == ids(in_sales)
    # A ticket without a department is not in the sales department either.
    assert matching(now, cond("department", "not_in", [sales.pk])) == ids(in_support, nowhere)
    assert matching(now, cond("department", "is_empty", True)) == ids(nowhere)
    assert matching(now, cond("department", "is_empty", False)) == ids(in_sales, in_support)


def test_assigned_condition(now, agent):
    assigned = f.TicketFactory(assignee=agent)
    unassigned = f.TicketFactory(assignee=None)

    assert matching(now, cond("assigned", "is", True)) == ids(assigned)
    assert matching(now, cond("assigned", "is", False)) == ids(unassigned)


def test_hours_since_created_gte_and_lte(now):
    five_hours_old = f.TicketFactory(created_at=now - timedelta(hours=5))
    brand_new = f.TicketFactory(created_at=now - timedelta(minutes=10))

    assert matching(now, cond("hours_since_created", "gte", 4)) == ids(five_hours_old)
    assert matching(now, cond("hours_since_created", "gte", 5)) == ids(five_hours_old)
    assert matching(now, cond("hours_since_created", "gte", 6)) == set()
    assert matching(now, cond("hours_since_created", "lte", 4)) == ids(brand_new)
    assert matching(now, cond("hours_since_created", "lte", 0.5)) == ids(brand_new)


def test_hours_without_first_response_ignores_answered_tickets(now):
    old = now - timedelta(hours=10)
    unanswered = f.TicketFactory(created_at=old)
    f.TicketFactory(created_at=old, first_response_at=old + timedelta(hours=1))
    f.TicketFactory(created_at=now - timedelta(hours=1))  # too young

    assert matching(now, cond("hours_without_first_response", "gte", 8)) == ids(unanswered)


def test_sla_breached_condition(now):
    fr_breached = f.TicketFactory(first_response_breached_at=now)
    res_breached = f.TicketFactory(resolution_breached_at=now)
    f.TicketFactory(first_response_warn_at=now - timedelta(hours=1))  # only at risk

    assert matching(now, cond("sla", "is", "breached")) == ids(fr_breached, res_breached)


def test_sla_at_risk_condition(now):
    past, future = now - timedelta(minutes=5), now + timedelta(hours=1)
    first_response_due = f.TicketFactory(first_response_warn_at=past)
    resolution_due = f.TicketFactory(resolution_warn_at=past)
    f.TicketFactory(first_response_warn_at=past, first_response_at=past)  # already answered
    f.TicketFactory(resolution_warn_at=future)  # not yet
    f.TicketFactory(resolution_warn_at=past, resolution_breached_at=now)  # breached, not at risk
    late_reply = f.TicketFactory(  # first response missed, resolution nearing: at risk
        first_response_breached_at=past, resolution_warn_at=past
    )
    warned = f.TicketFactory(first_response_warn_at=past, first_response_warned_at=past)
    f.TicketFactory(  # the clock is paused while waiting on the customer
        resolution_warn_at=past, status=Status.WAITING_ON_CUSTOMER, sla_paused_at=past
    )

    assert matching(now, cond("sla", "is", "at_risk")) == ids(
        first_response_due, resolution_due, warned, late_reply
    )


def test_tag_has_and_lacks(now):
    vip, other = f.TagFactory(), f.TagFactory()
    tagged = f.TicketFactory()
    tagged.tags.add(vip, other)
    untagged = f.TicketFactory()
    untagged.tags.add(other)

    assert matching(now, cond("tag", "has", vip.pk)) == ids(tagged)
    assert matching(now, cond("tag", "lacks", vip.pk)) == ids(untagged)


def test_conditions_are_anded(now, agent):
    both = f.TicketFactory(priority=Priority.HIGH, assignee=None)
    f.TicketFactory(priority=Priority.HIGH, assignee=agent)
    f.TicketFactory(priority=Priority.LOW, assignee=None)

    high_and_unassigned = (cond("priority", "in", ["high"]), cond("assigned", "is", False))
    assert matching(now, *high_and_unassigned) == ids(both)


def test_rule_queryset_is_a_single_query(now, django_assert_num_queries):
    vip = f.TagFactory()
    f.TicketFactory.create_batch(3)
    rule = make_rule(
        [
            OPEN_TICKETS,
            cond("tag", "lacks", vip.pk),
            cond("sla", "is", "at_risk"),
            cond("hours_since_created", "lte", 1),
        ]
    )

    with django_assert_num_queries(1):
        list(rule_queryset(rule, now=now))


def test_escalating_rule_leaves_out_tickets_that_cannot_be_escalated(now):
    opened = f.TicketFactory(status=Status.OPEN)
    escalated = f.TicketFactory(status=Status.ESCALATED)
    open_or_escalated = cond("status", "in", ["open", "escalated"])

    assert matching(now, open_or_escalated, actions=[{"type": "escalate"}]) == ids(opened)
    # Without an escalate action the escalated ticket is fair game.
    assert matching(now, open_or_escalated, actions=[NOTE]) == ids(opened, escalated)


# --------------------------------------------------------------------------- actions


def test_escalate_action_escalates_and_sends_status_and_escalated_signals(
    now, signal_log, django_capture_on_commit_callbacks
):
    # given
    opened = f.TicketFactory(status=Status.OPEN)
    working = f.TicketFactory(status=Status.IN_PROGRESS)
    make_rule(
        [cond("status", "in", ["open", "in_progress"])],
        [{"type": "escalate"}],
        name="Stale tickets",
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = escalations_evaluate(now=now)

    # then
    assert (result.matched, result.acted) == (2, 2)
    for ticket in (opened, working):
        row = fresh(ticket)
        assert (row.status, row.escalated_at, row.updated_at) == (Status.ESCALATED, now, now)
    status_changes = {
        (e["ticket"].pk, e["old_status"], e["new_status"], e["user"])
        for e in signal_log.of("ticket_status_changed")
    }
    assert status_changes == {
        (opened.pk, "open", "escalated", None),
        (working.pk, "in_progress", "escalated", None),
    }
    escalated = signal_log.of("ticket_escalated")
    assert {e["ticket"].pk for e in escalated} == ids(opened, working)
    assert {(e["reason"], e["user"]) for e in escalated} == {("Rule: Stale tickets", None)}
    for ticket in (opened, working):
        sent = [name for name, kw in signal_log.events if kw["ticket"].pk == ticket.pk]
        assert sent == ["ticket_status_changed", "ticket_escalated"]


def test_escalating_a_ticket_waiting_on_customer_restarts_its_sla_clock(now, default_policy):
    # given: paused two hours ago with the resolution deadline still ahead
    paused_at = now - timedelta(hours=2)
    due = now + timedelta(hours=5)
    ticket = f.TicketFactory(
        status=Status.WAITING_ON_CUSTOMER,
        sla_policy=default_policy,
        sla_paused_at=paused_at,
        resolution_due_at=due,
    )
    make_rule(
        [cond("status", "in", ["waiting_on_customer"])],
        [{"type": "escalate"}],
    )

    # when
    escalations_evaluate(now=now)

    # then: like a manual status change, the deadline moves by the paused time
    row = fresh(ticket)
    assert row.status == Status.ESCALATED
    assert row.sla_paused_at is None
    assert row.resolution_due_at == due + timedelta(hours=2)


def test_set_priority_recomputes_sla_deadlines_and_sends_priority_changed(
    now, default_policy, signal_log, django_capture_on_commit_callbacks
):
    # given: two tickets of different ages, so their new deadlines differ
    tickets = []
    for hours in (1, 3):
        ticket = f.TicketFactory(
            priority=Priority.LOW,
            sla_policy=default_policy,
            created_at=now - timedelta(hours=hours),
        )
        sla.sla_apply_deadlines(ticket, start=ticket.created_at, now=now)
        ticket.save()
        tickets.append(ticket)
    make_rule([OPEN_TICKETS], [{"type": "set_priority", "value": "urgent"}])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        escalations_evaluate(now=now)

    # then: urgent targets are 2 h to first response, 8 h to resolution
    for ticket in tickets:
        row = fresh(ticket)
        created = ticket.created_at
        assert (row.priority, row.updated_at) == (Priority.URGENT, now)
        assert row.first_response_due_at == created + timedelta(hours=2)
        assert row.resolution_due_at == created + timedelta(hours=8)
        expected = sla.sla_compute_deadlines(
            policy=default_policy, priority="urgent", start=created
        )
        assert (row.first_response_warn_at, row.resolution_warn_at) == (
            expected.first_response_warn_at,
            expected.resolution_warn_at,
        )
    sent = {
        (e["ticket"].pk, e["old_priority"], e["new_priority"], e["user"])
        for e in signal_log.of("ticket_priority_changed")
    }
    assert sent == {(t.pk, "low", "urgent", None) for t in tickets}


def test_assign_action_sends_assigned_with_the_previous_agent(
    now, signal_log, django_capture_on_commit_callbacks
):
    # given
    lead, previous = f.AgentFactory(), f.AgentFactory()
    taken = f.TicketFactory(assignee=previous)
    free = f.TicketFactory(assignee=None)
    make_rule([OPEN_TICKETS], [{"type": "assign", "value": lead.pk}])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        escalations_evaluate(now=now)

    # then
    assert {fresh(t).assignee_id for t in (taken, free)} == {lead.pk}
    sent = {
        (e["ticket"].pk, e["agent"], e["previous_agent"], e["user"])
        for e in signal_log.of("ticket_assigned")
    }
    assert sent == {(taken.pk, lead, previous, None), (free.pk, lead, None, None)}


def test_set_department_sends_department_changed_with_the_old_department(
    now, signal_log, django_capture_on_commit_callbacks
):
    # given
    billing, tier2 = f.DepartmentFactory(), f.DepartmentFactory()
    routed = f.TicketFactory(department=billing)
    unrouted = f.TicketFactory(department=None)
    make_rule([OPEN_TICKETS], [{"type": "set_department", "value": tier2.pk}])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        escalations_evaluate(now=now)

    # then
    assert {fresh(t).department_id for t in (routed, unrouted)} == {tier2.pk}
    sent = {
        (e["ticket"].pk, e["old_department"], e["new_department"])
        for e in signal_log.of("department_changed")
    }
    assert sent == {(routed.pk, billing, tier2), (unrouted.pk, None, tier2)}


def test_add_tag_tags_and_signals_only_tickets_without_it(
    now, signal_log, django_capture_on_commit_callbacks
):
    # given
    vip = f.TagFactory()
    already = f.TicketFactory()
    already.tags.add(vip)
    untagged = f.TicketFactory()
    make_rule([OPEN_TICKETS], [{"type": "add_tag", "value": vip.pk}])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = escalations_evaluate(now=now)

    # then
    assert list(untagged.tags.all()) == [vip]
    assert already.tags.count() == 1
    assert [(e["ticket"].pk, e["tag"], e["user"]) for e in signal_log.of("tag_added")] == [
        (untagged.pk, vip, None)
    ]
    assert (result.matched, result.acted) == (2, 1)


def test_add_note_writes_a_system_internal_note_and_sends_internal_note_added(
    now, signal_log, django_capture_on_commit_callbacks
):
    # given
    first, second = f.TicketFactory(), f.TicketFactory()
    rule = make_rule([OPEN_TICKETS], [{"type": "add_note", "value": "  Check this one.  "}])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        escalations_evaluate(now=now)

    # then
    notes = {note.ticket_id: note for note in Reply.objects.all()}
    assert set(notes) == ids(first, second)
    for note in notes.values():
        assert (note.body, note.is_internal, note.author_id, note.author_type) == (
            "Check this one.",
            True,
            None,
            AuthorType.SYSTEM,
        )
        assert note.metadata == {"escalation_rule_id": rule.pk}
        assert fresh(note.ticket).updated_at == now
    sent = {
        (e["ticket"].pk, e["reply"].pk, e["user"]) for e in signal_log.of("internal_note_added")
    }
    assert sent == {(t, notes[t].pk, None) for t in ids(first, second)}


SERVICE_EQUIVALENTS = {
    "escalate": lambda t, ctx: svc.ticket_escalate(ticket=t, actor=None, reason="x"),
    "set_priority": lambda t, ctx: svc.ticket_change_priority(
        ticket=t, actor=None, priority="urgent"
    ),
    "assign": lambda t, ctx: svc.ticket_assign(ticket=t, actor=None, agent=ctx["agent"]),
    "set_department": lambda t, ctx: svc.ticket_change_department(
        ticket=t, actor=None, department=ctx["department"]
    ),
    "add_tag": lambda t, ctx: svc.ticket_add_tags(ticket=t, actor=None, tags=[ctx["tag"]]),
    "add_note": lambda t, ctx: svc.reply_create(
        ticket=t, actor=None, body="note", is_internal=True
    ),
}


@pytest.mark.parametrize("kind", sorted(SERVICE_EQUIVALENTS))
def test_rule_actions_send_the_signals_and_kwargs_of_the_ticket_services(
    kind, now, signal_log, django_capture_on_commit_callbacks
):
    # given: one ticket changed by the per-ticket service, one by a rule
    ctx = {"agent": f.AgentFactory(), "department": f.DepartmentFactory(), "tag": f.TagFactory()}
    values = {
        "set_priority": "urgent",
        "assign": ctx["agent"].pk,
        "set_department": ctx["department"].pk,
        "add_tag": ctx["tag"].pk,
        "add_note": "note",
    }
    by_service = f.TicketFactory(priority=Priority.LOW)
    by_rule = f.TicketFactory(priority=Priority.LOW)
    only_by_rule = f.TagFactory()
    by_rule.tags.add(only_by_rule)
    action = {"type": kind} | ({"value": values[kind]} if kind in values else {})
    make_rule([cond("tag", "has", only_by_rule.pk)], [action])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        SERVICE_EQUIVALENTS[kind](by_service, ctx)
    service_events = [(name, sorted(kwargs)) for name, kwargs in signal_log.events]
    signal_log.events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        escalations_evaluate(now=now)

    # then: the same signals, in the same order, with the same kwargs
    assert service_events
    assert [(name, sorted(kwargs)) for name, kwargs in signal_log.events] == service_events
    assert {kwargs["ticket"].pk for _, kwargs in signal_log.events} == {by_rule.pk}


#: What differs between two tickets made by the factory, whatever happens to them.
IDENTITY_FIELDS = {"id", "reference", "subject", "requester"}


@pytest.mark.parametrize(
    ("action", "service"),
    [
        (
            {"type": "escalate"},
            lambda t: svc.ticket_escalate(ticket=t, actor=None, reason="x"),
        ),
        (
            {"type": "set_priority", "value": "urgent"},
            lambda t: svc.ticket_change_priority(ticket=t, actor=None, priority="urgent"),
        ),
    ],
    ids=["escalate", "set_priority"],
)
def test_rule_actions_write_what_the_ticket_services_write(now, default_policy, action, service):
    # given: twin tickets waiting on the customer, their SLA clock paused; two pairs of
    # different ages paused for different times, so the rule's batch writes columns
    # whose values differ per ticket (deadlines, pause credit) as well as those every
    # ticket shares (on PostgreSQL: arrays and constants of one UPDATE … FROM UNNEST)
    def twin(age_hours, paused_hours):
        return f.TicketFactory(
            status=Status.WAITING_ON_CUSTOMER,
            priority=Priority.LOW,
            sla_policy=default_policy,
            created_at=now - timedelta(hours=age_hours),
            sla_paused_at=now - timedelta(hours=paused_hours),
            first_response_due_at=now + timedelta(hours=19),
            resolution_due_at=now + timedelta(hours=115),
        )

    pairs = [(twin(age, paused), twin(age, paused)) for age, paused in ((5, 2), (7, 3))]
    only_by_rule = f.TagFactory()
    for _by_service, by_rule in pairs:
        by_rule.tags.add(only_by_rule)
    make_rule([cond("tag", "has", only_by_rule.pk)], [action])

    # when: the service on one of each pair, the rule on the others, at the same moment
    with time_machine.travel(now, tick=False):
        for by_service, _by_rule in pairs:
            service(by_service)
        assert escalations_evaluate(now=now).matched == 2

    # then: every column the service wrote, the rule wrote the same
    columns = [f.attname for f in Ticket._meta.concrete_fields if f.name not in IDENTITY_FIELDS]
    for by_service, by_rule in pairs:
        service_row, rule_row = fresh(by_service), fresh(by_rule)
        assert {name: getattr(rule_row, name) for name in columns} == {
            name: getattr(service_row, name) for name in columns
        }
    assert fresh(pairs[0][1]).resolution_due_at != fresh(pairs[1][1]).resolution_due_at


def test_signals_wait_for_the_commit(now, signal_log, django_capture_on_commit_callbacks):
    f.TicketFactory()
    make_rule([OPEN_TICKETS], [{"type": "escalate"}, NOTE])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        escalations_evaluate(now=now)

    assert signal_log.events == []
    assert callbacks  # queued for after the commit
    for callback in callbacks:
        callback()
    assert signal_log.names() == [
        "ticket_status_changed",
        "ticket_escalated",
        "internal_note_added",
    ]


def test_each_firing_writes_exactly_one_activity_entry(now, agent):
    # given
    ticket = f.TicketFactory(status=Status.OPEN, priority=Priority.LOW)
    rule = make_rule(
        [OPEN_TICKETS],
        [
            {"type": "escalate"},
            {"type": "set_priority", "value": "high"},
            {"type": "assign", "value": agent.pk},
            NOTE,
        ],
        name="Escalate the low ones",
    )

    # when
    escalations_evaluate(now=now)
    escalations_evaluate(now=now + timedelta(hours=1))

    # then
    [activity] = TicketActivity.objects.filter(ticket=ticket)
    assert (activity.type, activity.actor_id, activity.created_at) == (
        ActivityType.RULE_FIRED,
        None,
        now,
    )
    assert activity.data == {
        "rule_id": rule.pk,
        "rule_name": "Escalate the low ones",
        "actions": ["escalate", "set_priority", "assign", "add_note"],
        "skipped": [],
    }


def test_action_that_changes_nothing_still_records_the_firing(
    now, signal_log, django_capture_on_commit_callbacks
):
    # given: the ticket already has the priority the rule sets
    ticket = f.TicketFactory(priority=Priority.HIGH)
    rule = make_rule([OPEN_TICKETS], [{"type": "set_priority", "value": "high"}])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = escalations_evaluate(now=now)
        second = escalations_evaluate(now=now)

    # then: fired once, changed nothing, and is not picked again
    assert (first.matched, first.acted) == (1, 0)
    assert (second.matched, second.acted) == (0, 0)
    assert EscalationFiring.objects.filter(rule=rule, ticket=ticket).count() == 1
    [activity] = TicketActivity.objects.filter(ticket=ticket)
    assert activity.data["actions"] == []
    assert activity.data["skipped"] == [
        {"type": "set_priority", "value": "high", "reason": "unchanged"}
    ]
    assert signal_log.events == []


# --------------------------------------------------------------------------- once per cause


def test_rule_fires_once_per_cause(now, signal_log, django_capture_on_commit_callbacks):
    # given
    tickets = f.TicketFactory.create_batch(3)
    rule = make_rule([OPEN_TICKETS])
    with django_capture_on_commit_callbacks(execute=True):
        escalations_evaluate(now=now)
    signal_log.events.clear()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        again = escalations_evaluate(now=now + timedelta(hours=1))

    # then
    assert (again.matched, again.acted) == (0, 0)
    assert signal_log.events == []
    assert Reply.objects.count() == 3
    firings = EscalationFiring.objects.filter(rule=rule)
    assert {(x.ticket_id, x.rule_revision, x.ticket_cycle) for x in firings} == {
        (t.pk, 1, 0) for t in tickets
    }


def test_editing_the_conditions_bumps_the_revision_and_fires_again(now):
    # given
    ticket = f.TicketFactory(priority=Priority.HIGH)
    rule = make_rule([OPEN_TICKETS])
    escalations_evaluate(now=now)

    # when: a cosmetic edit, then a real one
    escalation_rule_update(rule=rule, actor=None, name="Renamed", description="Why")
    assert rule.revision == 1
    assert escalations_evaluate(now=now).matched == 0
    escalation_rule_update(
        rule=rule,
        actor=None,
        conditions=[OPEN_TICKETS, cond("priority", "in", ["high"])],
    )

    # then
    assert rule.revision == fresh_rule(rule).revision == 2
    assert escalations_evaluate(now=now).matched == 1
    assert sorted(
        EscalationFiring.objects.filter(ticket=ticket).values_list("rule_revision", flat=True)
    ) == [1, 2]
    assert Reply.objects.filter(ticket=ticket).count() == 2


def fresh_rule(rule):
    return EscalationRule.objects.get(pk=rule.pk)


def test_reopened_ticket_is_a_new_cause(now):
    # given: the rule fired, then the ticket was resolved and reopened
    ticket = f.TicketFactory(priority=Priority.URGENT)
    make_rule([cond("priority", "in", ["urgent"])])
    escalations_evaluate(now=now)
    svc.ticket_resolve(ticket=ticket, actor=None)
    svc.ticket_reopen(ticket=ticket, actor=None)
    assert fresh(ticket).reopened_count == 1

    # when
    result = escalations_evaluate(now=now)

    # then
    assert result.matched == 1
    assert sorted(
        EscalationFiring.objects.filter(ticket=ticket).values_list("ticket_cycle", flat=True)
    ) == [0, 1]


# --------------------------------------------------------------------------- broken references


def _deleted_department():
    department = f.DepartmentFactory()
    pk = department.pk
    department.delete()
    return pk


def _deleted_tag():
    tag = f.TagFactory()
    pk = tag.pk
    tag.delete()
    return pk


BROKEN = {
    "unknown_user": lambda: {"type": "assign", "value": 987654},
    "not_an_agent": lambda: {"type": "assign", "value": f.UserFactory().pk},
    "unknown_department": lambda: {"type": "set_department", "value": _deleted_department()},
    "inactive_department": lambda: {
        "type": "set_department",
        "value": f.DepartmentFactory(is_active=False).pk,
    },
    "unknown_tag": lambda: {"type": "add_tag", "value": _deleted_tag()},
}


@pytest.mark.parametrize("reason", sorted(BROKEN))
def test_action_with_a_broken_reference_is_skipped_logged_and_recorded(now, reason, caplog):
    # given
    ticket = f.TicketFactory()
    broken = BROKEN[reason]()
    rule = make_rule([OPEN_TICKETS], [broken, NOTE], name="Half broken")

    # when
    with caplog.at_level(logging.WARNING, logger="escalated.services.escalations"):
        result = escalations_evaluate(now=now)

    # then: the rest of the rule ran and the firing says what was skipped
    assert (result.matched, result.acted) == (1, 1)
    assert result.rules[0].skipped_actions == (f"{broken['type']} {broken['value']!r}: {reason}",)
    assert Reply.objects.filter(ticket=ticket).count() == 1
    row = fresh(ticket)
    assert (row.assignee_id, row.department_id, row.tags.count()) == (None, None, 0)
    [activity] = TicketActivity.objects.filter(ticket=ticket)
    assert activity.data["actions"] == ["add_note"]
    assert activity.data["skipped"] == [{**broken, "reason": reason}]
    assert EscalationFiring.objects.filter(rule=rule, ticket=ticket).exists()
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert reason in record.getMessage() and "Half broken" in record.getMessage()


def test_invalid_stored_rule_is_reported_and_the_others_still_run(now):
    ticket = f.TicketFactory()
    broken = make_rule([OPEN_TICKETS], position=0)
    # Written past the model's validation, as a raw SQL edit or a bad import would.
    EscalationRule.objects.filter(pk=broken.pk).update(conditions=[{"field": "mood"}])
    make_rule([OPEN_TICKETS], position=1)

    result = escalations_evaluate(now=now)

    assert "unknown field 'mood'" in result.rules[0].error
    assert (result.rules[1].matched, result.rules[1].error) == (1, None)
    assert Reply.objects.filter(ticket=ticket).count() == 1


# --------------------------------------------------------------------------- the run


def test_dry_run_counts_matches_and_changes_nothing(
    now, signal_log, django_capture_on_commit_callbacks
):
    # given
    tickets = f.TicketFactory.create_batch(3, priority=Priority.LOW)
    make_rule([OPEN_TICKETS], [{"type": "escalate"}, {"type": "set_priority", "value": "high"}])
    progress = []

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = escalations_evaluate(now=now, dry_run=True, progress=progress.append)

    # then
    assert (result.dry_run, result.matched, result.acted) == (True, 3, 0)
    assert progress == [3]
    assert {(fresh(t).status, fresh(t).priority) for t in tickets} == {("open", "low")}
    assert not EscalationFiring.objects.exists()
    assert not TicketActivity.objects.exists()
    assert signal_log.events == []


def test_rules_run_in_order_and_see_what_earlier_rules_changed(now):
    # given: "tag urgent ones" comes after "make open ones urgent"
    urgent = f.TagFactory(slug="urgent")
    ticket = f.TicketFactory(priority=Priority.LOW)
    make_rule(
        [cond("priority", "in", ["urgent"])],
        [{"type": "add_tag", "value": urgent.pk}],
        name="Tag urgent",
        position=2,
    )
    make_rule(
        [OPEN_TICKETS], [{"type": "set_priority", "value": "urgent"}], name="Raise", position=1
    )
    make_rule([OPEN_TICKETS], name="Switched off", position=0, is_active=False)

    # when
    result = escalations_evaluate(now=now)

    # then
    assert [(r.rule_name, r.matched) for r in result.rules] == [("Raise", 1), ("Tag urgent", 1)]
    assert list(ticket.tags.all()) == [urgent]
    assert not Reply.objects.exists()


def test_batches_cover_every_matching_ticket_once(now):
    tickets = f.TicketFactory.create_batch(7)
    rule = make_rule([OPEN_TICKETS])
    progress = []

    result = escalations_evaluate(now=now, batch_size=3, progress=progress.append)

    assert progress == [3, 3, 1]
    assert (result.matched, result.acted) == (7, 7)
    assert set(
        EscalationFiring.objects.filter(rule=rule).values_list("ticket_id", flat=True)
    ) == ids(*tickets)
    assert Reply.objects.count() == 7


def test_bad_batch_size_is_rejected():
    with pytest.raises(ValueError, match="batch_size"):
        escalations_evaluate(batch_size=0)


def test_query_count_does_not_grow_with_open_tickets_that_do_not_match(now):
    # given: a rule that matches nothing
    make_rule([cond("priority", "in", ["critical"])], [{"type": "escalate"}])
    f.TicketFactory.create_batch(10, priority=Priority.LOW)

    # when
    with CaptureQueriesContext(connection) as few:
        escalations_evaluate(now=now)
    f.TicketFactory.create_batch(190, priority=Priority.LOW)
    with CaptureQueriesContext(connection) as many:
        escalations_evaluate(now=now)

    # then: the rules, then one read of tickets
    assert len(few) == len(many)
    ticket_reads = [q for q in many.captured_queries if Ticket._meta.db_table in q["sql"]]
    assert len(ticket_reads) == 1


def _queries_to_act_on(count, now, default_policy, agent, department):
    """Run one rule with every action over ``count`` fresh tickets; return the queries."""
    marker = f.TagFactory()
    tag = f.TagFactory()
    tickets = f.TicketFactory.create_batch(
        count,
        priority=Priority.LOW,
        sla_policy=default_policy,
        created_at=now - timedelta(hours=1),
    )
    for ticket in tickets:
        ticket.tags.add(marker)
    EscalationRule.objects.update(is_active=False)
    make_rule(
        [cond("tag", "has", marker.pk)],
        [
            {"type": "escalate"},
            {"type": "set_priority", "value": "urgent"},
            {"type": "assign", "value": agent.pk},
            {"type": "set_department", "value": department.pk},
            {"type": "add_tag", "value": tag.pk},
            NOTE,
        ],
    )
    sla.sla_cache_clear()  # both runs start cold: compare the engine, not the cache
    with CaptureQueriesContext(connection) as queries:
        result = escalations_evaluate(now=now, batch_size=500)
    assert (result.matched, result.acted) == (count, count)
    assert Reply.objects.filter(ticket__in=tickets).count() == count
    return len(queries)


def test_query_count_does_not_grow_with_the_tickets_acted_on_in_a_batch(now, default_policy, agent):
    department = f.DepartmentFactory()
    # SQLite caps a statement at 999 parameters, so Django splits bulk inserts of more
    # than ~99 notes there; stay below that on SQLite to measure the engine, not that.
    large = 200 if connection.vendor == "postgresql" else 90

    few = _queries_to_act_on(10, now, default_policy, agent, department)
    many = _queries_to_act_on(large, now, default_policy, agent, department)

    assert few == many


def test_on_postgresql_a_batch_writes_each_table_with_one_statement(now, default_policy, agent):
    if connection.vendor != "postgresql":
        pytest.skip("the UNNEST write path is PostgreSQL's")
    # given: a rule with every action over 30 tickets, in one batch
    department, marker, tag = f.DepartmentFactory(), f.TagFactory(), f.TagFactory()
    tickets = f.TicketFactory.create_batch(30, priority=Priority.LOW, sla_policy=default_policy)
    for ticket in tickets:
        ticket.tags.add(marker)
    make_rule(
        [cond("tag", "has", marker.pk)],
        [
            {"type": "escalate"},
            {"type": "set_priority", "value": "urgent"},
            {"type": "assign", "value": agent.pk},
            {"type": "set_department", "value": department.pk},
            {"type": "add_tag", "value": tag.pk},
            NOTE,
        ],
    )

    # when
    with CaptureQueriesContext(connection) as queries:
        result = escalations_evaluate(now=now)

    # then: one INSERT per table and one UPDATE of the tickets, each carrying arrays
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))
    ]
    tables = [re.match(r'(?:INSERT INTO|UPDATE) "(\w+)"', sql).group(1) for sql in writes]
    assert sorted(tables) == sorted(
        model._meta.db_table
        for model in (EscalationFiring, Ticket.tags.through, Reply, Ticket, TicketActivity)
    )
    assert all("UNNEST" in sql for sql in writes)
    assert (result.matched, result.acted) == (30, 30)
    assert TicketActivity.objects.filter(type=ActivityType.RULE_FIRED).count() == 30
    assert Ticket.tags.through.objects.filter(tag=tag).count() == 30
    assert Reply.objects.filter(is_internal=True).count() == 30


def test_notes_sent_with_internal_note_added_are_the_rows_written(
    now, signal_log, django_capture_on_commit_callbacks
):
    # given
    f.TicketFactory.create_batch(3)
    make_rule([OPEN_TICKETS], [NOTE])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        escalations_evaluate(now=now)

    # then: each reply a receiver gets is complete, saved, and attached to its ticket
    sent = signal_log.of("internal_note_added")
    assert len(sent) == 3
    columns = [field.attname for field in Reply._meta.concrete_fields]
    for event in sent:
        reply = event["reply"]
        row = Reply.objects.get(pk=reply.pk)
        assert {c: getattr(reply, c) for c in columns} == {c: getattr(row, c) for c in columns}
        assert reply.ticket is event["ticket"]
        assert (reply._state.adding, reply._state.db) == (False, "default")


def test_receivers_get_tickets_as_the_orm_reads_them(
    now, default_policy, signal_log, django_capture_on_commit_callbacks
):
    # given: tickets with every kind of column filled in
    earlier = now - timedelta(hours=3, microseconds=7)
    for index in range(3):
        f.TicketFactory(
            sla_policy=default_policy,
            created_at=earlier,
            first_response_at=earlier + timedelta(minutes=index),
            first_response_due_at=now + timedelta(hours=index),
            resolution_due_at=now + timedelta(days=index),
            first_response_paused_for=timedelta(minutes=5 * index),
            metadata={"source": "ünïcode", "n": [index, None]},
        )
    make_rule([OPEN_TICKETS], [NOTE])
    if connection.vendor == "postgresql":
        from escalated.services.escalations import _has_native_timestamptz

        assert _has_native_timestamptz()  # the batch is read with psycopg's own loader

    # when
    with django_capture_on_commit_callbacks(execute=True):
        escalations_evaluate(now=now)

    # then: the same values, of the same types, as a fresh ORM read (the note only
    # touched updated_at, which the ORM read sees too)
    columns = [field.attname for field in Ticket._meta.concrete_fields]
    heard = [e["ticket"] for e in signal_log.of("internal_note_added")]
    assert len(heard) == 3
    for ticket in heard:
        row = fresh(ticket)
        for column in columns:
            value, expected = getattr(ticket, column), getattr(row, column)
            assert (column, value, type(value)) == (column, expected, type(expected))
            if isinstance(value, datetime):
                assert value.tzinfo is expected.tzinfo, column
        assert (ticket._state.adding, ticket._state.db) == (False, "default")


def test_rule_names_and_notes_with_any_characters_are_stored_as_written(now):
    # given: text that needs quoting in SQL, in JSON and in array literals
    name = 'Ünïcødé "quoted", {braced} \\ back\'slash ☃'
    body = 'Check "this", {that} and C:\\path\\n ☃'
    ticket = f.TicketFactory(priority=Priority.HIGH)
    rule = make_rule(
        [OPEN_TICKETS],
        [{"type": "add_note", "value": body}, {"type": "set_priority", "value": "high"}],
        name=name,
    )

    # when
    escalations_evaluate(now=now)

    # then
    [activity] = TicketActivity.objects.filter(ticket=ticket)
    assert activity.data == {
        "rule_id": rule.pk,
        "rule_name": name,
        "actions": ["add_note"],
        "skipped": [{"type": "set_priority", "value": "high", "reason": "unchanged"}],
    }
    assert Reply.objects.get(ticket=ticket).body == body


def test_set_priority_writes_each_tickets_own_deadlines_in_one_batch(now, default_policy):
    # given: one ticket under the policy, one without a policy but with stale deadlines
    created = now - timedelta(hours=1, microseconds=3)
    governed = f.TicketFactory(priority=Priority.LOW, sla_policy=default_policy, created_at=created)
    ungoverned = f.TicketFactory(
        priority=Priority.LOW,
        sla_policy=None,
        created_at=created,
        first_response_due_at=now + timedelta(hours=5),
        resolution_due_at=now + timedelta(hours=20),
    )
    make_rule([OPEN_TICKETS], [{"type": "set_priority", "value": "urgent"}])

    # when
    escalations_evaluate(now=now)

    # then: each row got its own values, NULLs included
    row = fresh(governed)
    assert (row.first_response_due_at, row.resolution_due_at) == (
        created + timedelta(hours=2),
        created + timedelta(hours=8),
    )
    row = fresh(ungoverned)
    assert (row.priority, row.first_response_due_at, row.resolution_due_at) == (
        Priority.URGENT,
        None,
        None,
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_evaluators_skip_tickets_locked_by_another(now):
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("needs SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL)")
    # given: another worker holds a lock on one ticket
    held, free = f.TicketFactory(), f.TicketFactory()
    rule = make_rule([OPEN_TICKETS])
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert locked.wait(timeout=10)

    # when
    try:
        result = escalations_evaluate(now=now)
    finally:
        release.set()
        thread.join()

    # then: the locked ticket is left for a later run, nothing waited or failed
    assert result.matched == 1
    assert set(EscalationFiring.objects.filter(rule=rule).values_list("ticket_id", flat=True)) == {
        free.pk
    }
    assert escalations_evaluate(now=now).matched == 1


# --------------------------------------------------------------------------- admin services


def test_rule_create_validates_name_conditions_and_actions(admin_user):
    with pytest.raises(ValidationFailed) as caught:
        escalation_rule_create(
            actor=admin_user,
            name="  ",
            conditions=[cond("priority", "gte", "high")],
            actions=[{"type": "delete_ticket"}],
        )

    errors = caught.value.errors
    assert set(errors) == {"name", "conditions", "actions"}
    assert "operator 'gte' does not apply to 'priority'" in errors["conditions"][0]
    assert "unknown type 'delete_ticket'" in errors["actions"][0]
    assert not EscalationRule.objects.exists()


@pytest.mark.parametrize(
    ("conditions", "actions", "field"),
    [
        ([], [NOTE], "conditions"),
        ("status=open", [NOTE], "conditions"),
        ([cond("tag", "has", True)], [NOTE], "conditions"),
        ([OPEN_TICKETS], [], "actions"),
        ([OPEN_TICKETS], [{"type": "set_priority", "value": "asap"}], "actions"),
        ([OPEN_TICKETS], [{"type": "add_note", "value": "   "}], "actions"),
    ],
)
def test_rule_create_rejects_invalid_json(admin_user, conditions, actions, field):
    with pytest.raises(ValidationFailed) as caught:
        escalation_rule_create(actor=admin_user, name="R", conditions=conditions, actions=actions)
    assert list(caught.value.errors) == [field]


def test_rule_create_appends_after_existing_rules(admin_user):
    make_rule([OPEN_TICKETS], position=4)

    rule = escalation_rule_create(
        actor=admin_user, name=" Late tickets ", conditions=[OPEN_TICKETS], actions=[NOTE]
    )

    assert (rule.name, rule.position, rule.revision, rule.is_active) == ("Late tickets", 5, 1, True)


def test_rule_services_are_for_admins_only(agent):
    rule = make_rule([OPEN_TICKETS])
    with pytest.raises(NotPermitted):
        escalation_rule_create(actor=agent, name="R", conditions=[OPEN_TICKETS], actions=[NOTE])
    with pytest.raises(NotPermitted):
        escalation_rule_update(rule=rule, actor=agent, name="R2")
    with pytest.raises(NotPermitted):
        escalation_rule_delete(rule=rule, actor=agent)
    assert fresh_rule(rule).name == "Rule"


def test_rule_update_validates_and_keeps_the_rule_on_error(admin_user):
    rule = make_rule([OPEN_TICKETS])

    with pytest.raises(ValidationFailed) as caught:
        escalation_rule_update(
            rule=rule, actor=admin_user, name="", actions=[{"type": "escalate", "x": 1}]
        )

    assert set(caught.value.errors) == {"name", "actions"}
    assert (fresh_rule(rule).name, fresh_rule(rule).actions) == ("Rule", [NOTE])


def test_rule_update_bumps_revision_when_the_actions_change(admin_user):
    rule = make_rule([OPEN_TICKETS])

    escalation_rule_update(rule=rule, actor=admin_user, actions=[NOTE])  # same: no new cause
    assert fresh_rule(rule).revision == 1
    escalation_rule_update(rule=rule, actor=admin_user, actions=[{"type": "escalate"}])
    assert fresh_rule(rule).revision == 2
    escalation_rule_update(rule=rule, actor=admin_user, is_active=False, position=3)
    assert (fresh_rule(rule).revision, fresh_rule(rule).is_active, fresh_rule(rule).position) == (
        2,
        False,
        3,
    )


def test_rule_delete_removes_its_firings_but_not_the_ticket_history(admin_user, now):
    ticket = f.TicketFactory()
    rule = make_rule([OPEN_TICKETS])
    escalations_evaluate(now=now)

    escalation_rule_delete(rule=rule, actor=admin_user)

    assert not EscalationRule.objects.exists()
    assert not EscalationFiring.objects.exists()
    assert TicketActivity.objects.filter(ticket=ticket, type=ActivityType.RULE_FIRED).exists()


def test_query_count_stays_flat_under_a_business_hours_schedule(now, default_policy, agent):
    # given: the policy counts working time, so deadlines need its schedule and holidays
    default_policy.schedule = BusinessSchedule.objects.create(
        name="Office", timezone="Europe/Berlin", days=[1, 2, 3, 4, 5]
    )
    default_policy.save()
    department = f.DepartmentFactory()
    large = 200 if connection.vendor == "postgresql" else 90

    # then: the schedule is loaded once per batch, not once per ticket
    few = _queries_to_act_on(10, now, default_policy, agent, department)
    many = _queries_to_act_on(large, now, default_policy, agent, department)
    assert few == many


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "Late\x00"}, "name"),
        ({"description": "Why\x00"}, "description"),
        ({"actions": [{"type": "add_note", "value": "Look\x00"}]}, "actions"),
    ],
)
def test_rule_services_turn_nul_characters_away(admin_user, fields, field):
    # PostgreSQL refuses them in text and JSON (a 500) where SQLite stores them.
    rule = make_rule([OPEN_TICKETS])
    values = {"name": "R", "conditions": [OPEN_TICKETS], "actions": [NOTE]} | fields

    with pytest.raises(ValidationFailed) as created:
        escalation_rule_create(actor=admin_user, **values)
    with pytest.raises(ValidationFailed) as updated:
        escalation_rule_update(rule=rule, actor=admin_user, **fields)

    assert (
        created.value.errors
        == updated.value.errors
        == {field: ["Null characters are not allowed."]}
    )
    assert list(EscalationRule.objects.all()) == [rule]
    assert (fresh_rule(rule).name, fresh_rule(rule).description) == ("Rule", "")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"conditions": [cond("hours_since_created", "gte", 10**9)]}, "conditions"),
        ({"conditions": [cond("hours_since_created", "lte", float("inf"))]}, "conditions"),
        ({"conditions": [cond("hours_without_first_response", "gte", 10**12)]}, "conditions"),
        ({"conditions": [cond("tag", "has", 2**63)]}, "conditions"),
        ({"conditions": [cond("department", "in", [1, 2**63])]}, "conditions"),
        ({"actions": [{"type": "assign", "value": 2**63}]}, "actions"),
        ({"actions": [{"type": "add_tag", "value": 10**20}]}, "actions"),
        ({"position": 2**31}, "position"),
    ],
)
def test_rule_create_rejects_numbers_out_of_range(admin_user, fields, field):
    # They were saved, then crashed every run of every rule (a moment before year 1,
    # an id SQLite cannot hold), or were a DataError on save (infinity is not JSON, a
    # position past PostgreSQL's integer).
    values = {"name": "R", "conditions": [OPEN_TICKETS], "actions": [NOTE]} | fields

    with pytest.raises(ValidationFailed) as caught:
        escalation_rule_create(actor=admin_user, **values)

    assert list(caught.value.errors) == [field]
    assert not EscalationRule.objects.exists()


def test_the_longest_hours_a_rule_accepts_still_run(now):
    old = f.TicketFactory(created_at=now - timedelta(days=3650))
    make_rule([cond("hours_since_created", "gte", 24 * 365 * 5)])
    make_rule([cond("hours_since_created", "lte", 24 * 366 * 100)])

    result = escalations_evaluate(now=now)

    assert [r.matched for r in result.rules] == [1, 1]
    assert Reply.objects.filter(ticket=old).count() == 2


def test_a_stored_rule_with_hours_out_of_range_is_reported_and_the_others_still_run(now):
    ticket = f.TicketFactory()
    broken = make_rule([OPEN_TICKETS], position=0)
    # Saved before the validators bounded the hours (or past them).
    EscalationRule.objects.filter(pk=broken.pk).update(
        conditions=[cond("hours_since_created", "gte", 10**9)]
    )
    make_rule([OPEN_TICKETS], position=1)

    result = escalations_evaluate(now=now)

    assert "is not valid for hours_since_created gte" in result.rules[0].error
    assert (result.rules[1].matched, result.rules[1].error) == (1, None)
    assert Reply.objects.filter(ticket=ticket).count() == 1
