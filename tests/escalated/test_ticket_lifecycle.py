from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from escalated.exceptions import IllegalTransition, NotFound, NotPermitted, ValidationFailed
from escalated.models import (
    TRANSITIONS,
    Reply,
    SatisfactionRating,
    Status,
    Ticket,
    TicketActivity,
)
from escalated.services import sla
from escalated.services import tickets as svc
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(customer, agent):
    return svc.ticket_create(actor=customer, subject="Broken", description="It broke")


def activity_types(ticket):
    return list(TicketActivity.objects.filter(ticket=ticket).values_list("type", flat=True))


# ------------------------------------------------------------------ status


@pytest.mark.parametrize(
    ("old", "new"),
    [(old, new) for old in Status.values for new in Status.values if new not in TRANSITIONS[old]],
)
def test_illegal_transitions_raise_and_change_nothing(agent, old, new):
    ticket = f.TicketFactory(status=old)
    with pytest.raises(IllegalTransition):
        svc.ticket_change_status(ticket=ticket, actor=agent, status=new)
    ticket.refresh_from_db()
    assert ticket.status == old
    assert not TicketActivity.objects.filter(ticket=ticket).exists()


def test_unknown_status_is_a_validation_error(ticket, agent):
    with pytest.raises(ValidationFailed) as exc:
        svc.ticket_change_status(ticket=ticket, actor=agent, status="pending")
    assert "status" in exc.value.errors


def test_resolve_then_close_then_reopen(
    ticket, agent, signal_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        svc.ticket_resolve(ticket=ticket, actor=agent)
        svc.ticket_close(ticket=ticket, actor=agent)
        svc.ticket_reopen(ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    assert ticket.status == Status.REOPENED
    assert ticket.reopened_count == 1
    assert ticket.resolved_at is None and ticket.closed_at is None
    assert signal_log.names() == [
        "ticket_status_changed",
        "ticket_resolved",
        "ticket_status_changed",
        "ticket_closed",
        "ticket_status_changed",
        "ticket_reopened",
    ]
    changes = [(k["old_status"], k["new_status"]) for k in signal_log.of("ticket_status_changed")]
    assert changes == [("open", "resolved"), ("resolved", "closed"), ("closed", "reopened")]
    assert activity_types(ticket) == ["created", "resolved", "closed", "reopened"]


def test_escalate_records_reason(ticket, agent, signal_log, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        svc.ticket_escalate(ticket=ticket, actor=agent, reason="VIP customer")
    ticket.refresh_from_db()
    assert ticket.status == Status.ESCALATED and ticket.escalated_at
    assert signal_log.of("ticket_escalated")[0]["reason"] == "VIP customer"
    assert (
        TicketActivity.objects.get(ticket=ticket, type="escalated").data["reason"] == "VIP customer"
    )


def test_customer_may_close_own_ticket(ticket, customer):
    svc.ticket_close(ticket=ticket, actor=customer)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


@override_settings(ESCALATED={"ALLOW_CUSTOMER_CLOSE": False})
def test_customer_close_can_be_forbidden(ticket, customer):
    with pytest.raises(NotPermitted):
        svc.ticket_close(ticket=ticket, actor=customer)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN


def test_customer_may_not_set_working_statuses(ticket, customer):
    with pytest.raises(NotPermitted):
        svc.ticket_change_status(ticket=ticket, actor=customer, status=Status.IN_PROGRESS)


def test_other_customer_cannot_touch_the_ticket(ticket):
    stranger = f.UserFactory()
    with pytest.raises(NotFound):
        svc.ticket_close(ticket=ticket, actor=stranger)
    with pytest.raises(NotFound):
        svc.reply_create(ticket=ticket, actor=stranger, body="hi")


def test_guest_acts_only_with_the_right_token():
    ticket = svc.ticket_create(
        actor=None, subject="S", description="D", channel="guest", requester_email="g@example.com"
    )
    with pytest.raises(NotPermitted):
        svc.reply_create(ticket=ticket, actor=None, body="hi", guest_token="wrong")
    reply = svc.reply_create(ticket=ticket, actor=None, body="hi", guest_token=ticket.guest_token)
    assert reply.author_type == "customer" and reply.contact == ticket.requester
    svc.ticket_close(ticket=ticket, actor=None, guest_token=ticket.guest_token)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_stale_status_write_is_refused(ticket, agent):
    stale = Ticket.objects.get(pk=ticket.pk)
    svc.ticket_resolve(ticket=ticket, actor=agent)
    with pytest.raises(IllegalTransition, match="changed meanwhile"):
        svc.ticket_change_status(ticket=stale, actor=agent, status=Status.IN_PROGRESS)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


# ------------------------------------------------------------------ replies


def test_first_public_agent_reply_is_the_first_response(
    ticket, agent, signal_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        svc.reply_create(ticket=ticket, actor=agent, body="Looking", is_internal=True)
        ticket.refresh_from_db()
        assert ticket.first_response_at is None
        reply = svc.reply_create(ticket=ticket, actor=agent, body="On it")
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at
    assert ticket.last_reply_at == reply.created_at
    assert signal_log.names() == ["internal_note_added", "reply_created"]
    assert signal_log.of("reply_created")[0]["reply"] == reply
    assert activity_types(ticket) == ["created", "note_added", "replied"]


def test_customer_reply_does_not_count_as_first_response(ticket, customer):
    svc.reply_create(ticket=ticket, actor=customer, body="Any news?")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_customers_cannot_write_internal_notes(ticket, customer):
    with pytest.raises(NotPermitted):
        svc.reply_create(ticket=ticket, actor=customer, body="psst", is_internal=True)
    assert not Reply.objects.exists()


def test_customer_reply_hands_the_ticket_back_to_agents(ticket, agent, customer, signal_log):
    svc.ticket_change_status(ticket=ticket, actor=agent, status=Status.WAITING_ON_CUSTOMER)
    svc.reply_create(ticket=ticket, actor=customer, body="Here you go")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.WAITING_ON_AGENT


def test_customer_reply_reopens_a_resolved_ticket(
    ticket, agent, customer, signal_log, django_capture_on_commit_callbacks
):
    svc.ticket_resolve(ticket=ticket, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        svc.reply_create(ticket=ticket, actor=customer, body="Still broken")
    ticket.refresh_from_db()
    assert ticket.status == Status.REOPENED and ticket.reopened_count == 1
    assert signal_log.names() == ["reply_created", "ticket_status_changed", "ticket_reopened"]


def test_nobody_replies_to_a_closed_ticket(ticket, agent):
    svc.ticket_close(ticket=ticket, actor=agent)
    with pytest.raises(IllegalTransition):
        svc.reply_create(ticket=ticket, actor=agent, body="Late")


def test_empty_reply_is_rejected(ticket, agent):
    with pytest.raises(ValidationFailed) as exc:
        svc.reply_create(ticket=ticket, actor=agent, body="   ")
    assert "body" in exc.value.errors


# ------------------------------------------------------------------ assignment


def test_assign_and_unassign(ticket, agent, signal_log, django_capture_on_commit_callbacks):
    other = f.AgentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        svc.ticket_assign(ticket=ticket, actor=agent, agent=agent)
        svc.ticket_assign(ticket=ticket, actor=agent, agent=other)
        svc.ticket_assign(ticket=ticket, actor=agent, agent=other)  # no-op
        svc.ticket_unassign(ticket=ticket, actor=agent)
    assert Ticket.objects.get(pk=ticket.pk).assignee is None
    assigned = signal_log.of("ticket_assigned")
    assert [(k["agent"], k["previous_agent"]) for k in assigned] == [(agent, None), (other, agent)]
    assert signal_log.of("ticket_unassigned")[0]["previous_agent"] == other
    assert activity_types(ticket) == ["created", "assigned", "assigned", "unassigned"]
    # the timeline keeps who it was by name, as it was at the time
    second = TicketActivity.objects.filter(ticket=ticket, type="assigned").last()
    assert second.data == {
        "agent": {"id": other.pk, "name": other.username},
        "previous_agent": {"id": agent.pk, "name": agent.username},
    }


def test_assign_rejects_a_user_who_is_not_an_agent(ticket, agent):
    with pytest.raises(ValidationFailed) as exc:
        svc.ticket_assign(ticket=ticket, actor=agent, agent=f.UserFactory())
    assert "agent" in exc.value.errors


def test_department_member_counts_as_agent(ticket, agent):
    member = f.UserFactory()
    f.DepartmentFactory().agents.add(member)
    svc.ticket_assign(ticket=ticket, actor=agent, agent=member)
    assert Ticket.objects.get(pk=ticket.pk).assignee == member


def test_customer_cannot_assign(ticket, customer, agent):
    with pytest.raises(NotPermitted):
        svc.ticket_assign(ticket=ticket, actor=customer, agent=agent)


# ------------------------------------------------------------------ priority, department, tags


def test_priority_change_recomputes_sla(
    agent, default_policy, signal_log, django_capture_on_commit_callbacks
):
    ticket = svc.ticket_create(
        actor=agent, subject="S", description="D", requester_email="a@b.co", priority="low"
    )
    with django_capture_on_commit_callbacks(execute=True):
        svc.ticket_change_priority(ticket=ticket, actor=agent, priority="critical")
    ticket.refresh_from_db()
    assert (ticket.first_response_due_at - ticket.created_at).total_seconds() == 3600
    assert signal_log.of("ticket_priority_changed")[0] | {"ticket": None, "user": None} == {
        "ticket": None,
        "user": None,
        "old_priority": "low",
        "new_priority": "critical",
    }
    with pytest.raises(ValidationFailed):
        svc.ticket_change_priority(ticket=ticket, actor=agent, priority="whenever")


def test_department_change(ticket, agent, signal_log, django_capture_on_commit_callbacks):
    dept = f.DepartmentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        svc.ticket_change_department(ticket=ticket, actor=agent, department=dept.pk)
    sent = signal_log.of("department_changed")[0]
    assert (sent["old_department"], sent["new_department"]) == (None, dept)
    with pytest.raises(ValidationFailed):
        svc.ticket_change_department(ticket=ticket, actor=agent, department=424242)


def test_tags_added_and_removed_once(ticket, agent, signal_log, django_capture_on_commit_callbacks):
    a, b = f.TagFactory(), f.TagFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.ticket_add_tags(ticket=ticket, actor=agent, tags=[a.pk, b.pk]) == [a, b]
        assert svc.ticket_add_tags(ticket=ticket, actor=agent, tags=[a.pk]) == []
        assert svc.ticket_remove_tags(ticket=ticket, actor=agent, tags=[a]) == [a]
    assert list(ticket.tags.all()) == [b]
    assert [k["tag"] for k in signal_log.of("tag_added")] == [a, b]
    assert [k["tag"] for k in signal_log.of("tag_removed")] == [a]
    assert activity_types(ticket) == ["created", "tag_added", "tag_removed"]


def test_update_records_changes(ticket, agent, signal_log, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        svc.ticket_update(
            ticket=ticket, actor=agent, subject="Broken badly", description="It broke"
        )
    assert signal_log.of("ticket_updated")[0]["changes"] == {"subject": ["Broken", "Broken badly"]}
    with pytest.raises(NotPermitted):
        svc.ticket_update(ticket=ticket, actor=ticket.requester.user, subject="Mine")


# ------------------------------------------------------------------ rating


def test_requester_rates_a_resolved_ticket_once(ticket, agent, customer):
    with pytest.raises(ValidationFailed, match="resolved or closed"):
        svc.ticket_rate(ticket=ticket, actor=customer, rating=5)
    svc.ticket_resolve(ticket=ticket, actor=agent)
    with pytest.raises(NotPermitted):
        svc.ticket_rate(ticket=ticket, actor=agent, rating=5)
    with pytest.raises(ValidationFailed):
        svc.ticket_rate(ticket=ticket, actor=customer, rating=6)
    rating = svc.ticket_rate(ticket=ticket, actor=customer, rating=4, comment="Quick")
    assert rating.rating == 4
    with pytest.raises(ValidationFailed, match="already"):
        svc.ticket_rate(ticket=ticket, actor=customer, rating=1)


def test_ticket_get_accepts_id_or_reference(ticket):
    assert svc.ticket_get(ticket.pk) == ticket
    assert svc.ticket_get(str(ticket.pk)) == ticket
    assert svc.ticket_get(ticket.reference) == ticket
    with pytest.raises(NotFound):
        svc.ticket_get("ESC-99999")


# ------------------------------------------------------------------ changes made meanwhile
# Each service is handed the ticket its request read; another request may have changed
# the ticket since. ``stale`` is that earlier read; the service must act on the ticket
# as it is now, not write the old values back.


def stale_copy(ticket):
    return Ticket.objects.select_related("requester").get(pk=ticket.pk)


def test_a_customer_reply_to_a_ticket_resolved_meanwhile_reopens_it(ticket, agent, customer):
    # given: the customer's page shows the ticket waiting on them; an agent resolves it
    svc.ticket_change_status(ticket=ticket, actor=agent, status=Status.WAITING_ON_CUSTOMER)
    stale = stale_copy(ticket)
    svc.ticket_resolve(ticket=ticket, actor=agent)

    # when
    svc.reply_create(ticket=stale, actor=customer, body="Here are the logs")

    # then: the reply reopens the resolved ticket, as it would have on a fresh read
    row = stale_copy(ticket)
    assert (row.status, row.resolved_at, row.reopened_count) == (Status.REOPENED, None, 1)
    assert stale.status == Status.REOPENED
    replied = TicketActivity.objects.get(ticket=ticket, type="replied")
    assert (replied.data["old_status"], replied.data["new_status"]) == ("resolved", "reopened")


def test_a_reply_to_a_ticket_closed_meanwhile_is_refused_and_writes_nothing(
    ticket, agent, customer
):
    stale = stale_copy(ticket)
    svc.ticket_close(ticket=ticket, actor=agent)

    with pytest.raises(IllegalTransition):
        svc.reply_create(ticket=stale, actor=customer, body="One more thing")

    assert not Reply.objects.filter(ticket=ticket).exists()
    row = stale_copy(ticket)
    assert (row.status, row.last_reply_at) == (Status.CLOSED, None)


def test_a_reply_to_a_ticket_reopened_meanwhile_is_posted(ticket, agent, customer):
    svc.ticket_close(ticket=ticket, actor=agent)
    stale = stale_copy(ticket)
    svc.ticket_reopen(ticket=ticket, actor=agent)

    reply = svc.reply_create(ticket=stale, actor=customer, body="Thanks for reopening")

    assert Reply.objects.get(ticket=ticket) == reply
    assert stale_copy(ticket).status == Status.REOPENED


def test_a_rating_of_a_ticket_resolved_meanwhile_is_taken(ticket, agent, customer):
    stale = stale_copy(ticket)
    svc.ticket_resolve(ticket=ticket, actor=agent)

    svc.ticket_rate(ticket=stale, actor=customer, rating=5)

    assert SatisfactionRating.objects.get(ticket=ticket).rating == 5


def test_the_first_response_is_the_earliest_agent_reply(ticket, agent):
    # given: two agents have the unanswered ticket open
    stale = stale_copy(ticket)
    first = svc.reply_create(ticket=ticket, actor=agent, body="On it")

    # when: the second one answers too
    svc.reply_create(ticket=stale, actor=f.AgentFactory(), body="Me too")

    # then
    assert stale_copy(ticket).first_response_at == first.created_at


def test_assigning_an_agent_assigned_meanwhile_changes_nothing(
    ticket, agent, signal_log, django_capture_on_commit_callbacks
):
    stale = stale_copy(ticket)
    with django_capture_on_commit_callbacks(execute=True):
        svc.ticket_assign(ticket=ticket, actor=agent, agent=agent)
        svc.ticket_assign(ticket=stale, actor=agent, agent=agent)

    assert len(signal_log.of("ticket_assigned")) == 1
    assert activity_types(ticket) == ["created", "assigned"]


def test_the_previous_agent_is_the_one_assigned_now(
    ticket, agent, signal_log, django_capture_on_commit_callbacks
):
    other = f.AgentFactory()
    stale = stale_copy(ticket)
    svc.ticket_assign(ticket=ticket, actor=agent, agent=agent)

    with django_capture_on_commit_callbacks(execute=True):
        svc.ticket_assign(ticket=stale, actor=agent, agent=other)

    assert signal_log.of("ticket_assigned")[0]["previous_agent"] == agent
    last = TicketActivity.objects.filter(ticket=ticket, type="assigned").last()
    assert last.data["previous_agent"] == {"id": agent.pk, "name": agent.username}


def test_unassigning_a_ticket_assigned_meanwhile_unassigns_it(ticket, agent):
    stale = stale_copy(ticket)
    svc.ticket_assign(ticket=ticket, actor=agent, agent=agent)

    svc.ticket_unassign(ticket=stale, actor=agent)

    assert stale_copy(ticket).assignee is None
    assert activity_types(ticket) == ["created", "assigned", "unassigned"]


def test_setting_the_priority_set_meanwhile_changes_nothing(
    ticket, agent, signal_log, django_capture_on_commit_callbacks
):
    stale = stale_copy(ticket)
    with django_capture_on_commit_callbacks(execute=True):
        svc.ticket_change_priority(ticket=ticket, actor=agent, priority="urgent")
        svc.ticket_change_priority(ticket=stale, actor=agent, priority="urgent")

    assert len(signal_log.of("ticket_priority_changed")) == 1
    assert activity_types(ticket) == ["created", "priority_changed"]


def test_an_edit_records_the_values_it_replaced(
    ticket, agent, signal_log, django_capture_on_commit_callbacks
):
    stale = stale_copy(ticket)
    svc.ticket_update(ticket=ticket, actor=agent, subject="Broken printer")

    with django_capture_on_commit_callbacks(execute=True):
        svc.ticket_update(ticket=stale, actor=agent, subject="Printer on fire")

    assert signal_log.of("ticket_updated")[0]["changes"] == {
        "subject": ["Broken printer", "Printer on fire"]
    }


def _waiting_ticket(agent, policy, *, paused_hours):
    """A ticket created 5 h ago, waiting on the customer for ``paused_hours``."""
    now = timezone.now()
    created = now - timedelta(hours=5)
    ticket = f.TicketFactory(sla_policy=policy, priority="low", created_at=created)
    sla.sla_apply_deadlines(ticket, start=created)
    ticket.status = Status.WAITING_ON_CUSTOMER
    ticket.sla_paused_at = now - timedelta(hours=paused_hours)
    ticket.save()
    return ticket


def test_a_status_change_keeps_the_deadlines_a_priority_change_wrote_meanwhile(
    agent, default_policy
):
    # given: the twin gets both changes one after the other, on fresh reads
    twin = _waiting_ticket(agent, default_policy, paused_hours=2)
    svc.ticket_change_priority(ticket=twin, actor=agent, priority="urgent")
    svc.ticket_change_status(ticket=stale_copy(twin), actor=agent, status=Status.IN_PROGRESS)
    # ticket: the status change was asked for from a page read before the priority change
    ticket = _waiting_ticket(agent, default_policy, paused_hours=2)
    stale = stale_copy(ticket)
    svc.ticket_change_priority(ticket=ticket, actor=agent, priority="urgent")

    # when
    svc.ticket_change_status(ticket=stale, actor=agent, status=Status.IN_PROGRESS)

    # then: same deadlines as the twin (to the second: the two ran a moment apart)
    row, expected = stale_copy(ticket), stale_copy(twin)
    assert row.priority == "urgent"
    for name in ("first_response_due_at", "resolution_due_at"):
        assert abs(getattr(row, name) - getattr(expected, name)) < timedelta(seconds=5), name


def test_a_priority_change_keeps_the_pause_credited_meanwhile(agent, default_policy):
    # given: the page was read while the ticket waited; an agent then resumed it
    ticket = _waiting_ticket(agent, default_policy, paused_hours=2)
    stale = stale_copy(ticket)
    svc.ticket_change_status(ticket=ticket, actor=agent, status=Status.IN_PROGRESS)

    # when
    svc.ticket_change_priority(ticket=stale, actor=agent, priority="urgent")

    # then: the two hours waited still push the deadlines (urgent: 2 h / 8 h)
    row = stale_copy(ticket)
    assert row.resolution_paused_for >= timedelta(hours=2)
    assert row.first_response_due_at >= row.created_at + timedelta(hours=4)
    assert row.resolution_due_at >= row.created_at + timedelta(hours=10)


def test_a_reopen_from_a_stale_page_counts_every_reopening(ticket, agent):
    # given: the page shows the ticket resolved; meanwhile it was reopened and resolved
    svc.ticket_resolve(ticket=ticket, actor=agent)
    stale = stale_copy(ticket)
    svc.ticket_reopen(ticket=ticket, actor=agent)
    svc.ticket_resolve(ticket=ticket, actor=agent)

    # when
    svc.ticket_reopen(ticket=stale, actor=agent)

    # then
    assert stale_copy(ticket).reopened_count == 2


def test_a_rating_of_a_ticket_reopened_meanwhile_is_refused(ticket, agent, customer):
    svc.ticket_resolve(ticket=ticket, actor=agent)
    stale = stale_copy(ticket)
    svc.ticket_reopen(ticket=ticket, actor=agent)

    with pytest.raises(ValidationFailed, match="resolved or closed"):
        svc.ticket_rate(ticket=stale, actor=customer, rating=5)

    assert not SatisfactionRating.objects.exists()


def _in_another_transaction(change):
    """Run ``change`` in a thread's transaction that commits half a second after the
    caller's next step started (and so waits for it, if it must)."""
    changed, release = threading.Event(), threading.Event()
    errors = []

    def work():
        try:
            with transaction.atomic():
                change()
                changed.set()
                release.wait(timeout=10)
        except Exception as exc:  # reported by the caller
            errors.append(exc)
            changed.set()
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    assert changed.wait(timeout=10)
    threading.Timer(0.5, release.set).start()
    return thread, errors


needs_row_locks = pytest.mark.skipif(
    "not connection.features.has_select_for_update", reason="needs row locks (PostgreSQL)"
)


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_a_customer_reply_waits_for_a_resolve_in_progress_and_reopens():
    # given: the ticket waits on the customer; an agent is resolving it right now
    customer, agent = f.UserFactory(), f.AgentFactory()
    f.ContactFactory(email=customer.email, user=customer)
    ticket = svc.ticket_create(actor=customer, subject="S", description="D")
    svc.ticket_change_status(ticket=ticket, actor=agent, status=Status.WAITING_ON_CUSTOMER)
    page = stale_copy(ticket)
    thread, errors = _in_another_transaction(
        lambda: svc.ticket_resolve(ticket=stale_copy(ticket), actor=agent)
    )

    # when: the customer's reply arrives meanwhile
    try:
        svc.reply_create(ticket=page, actor=customer, body="Here are the logs")
    finally:
        thread.join()

    # then
    assert not errors
    row = stale_copy(ticket)
    assert (row.status, row.resolved_at, row.reopened_count) == (Status.REOPENED, None, 1)


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_a_rating_sent_twice_at_once_is_stored_once_and_the_second_is_a_field_error():
    customer, agent = f.UserFactory(), f.AgentFactory()
    f.ContactFactory(email=customer.email, user=customer)
    ticket = svc.ticket_create(actor=customer, subject="S", description="D")
    svc.ticket_resolve(ticket=ticket, actor=agent)
    thread, errors = _in_another_transaction(
        lambda: svc.ticket_rate(ticket=stale_copy(ticket), actor=customer, rating=5)
    )

    try:
        with pytest.raises(ValidationFailed) as caught:
            svc.ticket_rate(ticket=stale_copy(ticket), actor=customer, rating=4)
    finally:
        thread.join()

    assert not errors
    assert "rating" in caught.value.errors
    assert list(SatisfactionRating.objects.values_list("rating", flat=True)) == [5]


# ------------------------------------------------------------------ NUL characters
# PostgreSQL refuses NUL in text and JSON (a DataError, a 500) where SQLite stores it:
# the services turn it away on both, as the web forms do, before writing anything.

NUL_CALLS = {
    "subject": lambda t, a: svc.ticket_update(ticket=t, actor=a, subject="Hi\x00"),
    "description": lambda t, a: svc.ticket_update(ticket=t, actor=a, description="\x00"),
    "metadata": lambda t, a: svc.ticket_update(ticket=t, actor=a, metadata={"k\x00": 1}),
    "reason": lambda t, a: svc.ticket_escalate(ticket=t, actor=a, reason="VIP\x00"),
    "body": lambda t, a: svc.reply_create(ticket=t, actor=a, body="Hello\x00"),
    "reply_metadata": lambda t, a: svc.reply_create(
        ticket=t, actor=a, body="Hello", metadata={"via": ["mail\x00"]}
    ),
}


@pytest.mark.parametrize("field", sorted(NUL_CALLS))
def test_nul_characters_are_a_field_error_and_change_nothing(ticket, agent, field):
    with pytest.raises(ValidationFailed) as caught:
        NUL_CALLS[field](ticket, agent)

    assert caught.value.errors == {
        field.removeprefix("reply_"): ["Null characters are not allowed."]
    }
    assert not Reply.objects.exists()
    assert activity_types(ticket) == ["created"]
    assert stale_copy(ticket).status == Status.OPEN


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"subject": "Printer\x00"}, "subject"),
        ({"description": "On\x00fire"}, "description"),
        ({"requester_name": "Bob\x00"}, "requester_name"),
        ({"metadata": {"order": "4\x002"}}, "metadata"),
    ],
)
def test_a_ticket_with_nul_characters_is_a_field_error(agent, kwargs, field):
    params = {"subject": "S", "description": "D", "requester_email": "bob@example.com"}
    with pytest.raises(ValidationFailed) as caught:
        svc.ticket_create(actor=agent, **(params | kwargs))

    assert caught.value.errors[field] == ["Null characters are not allowed."]
    assert not Ticket.objects.exists()


def test_a_rating_comment_with_nul_characters_is_a_field_error(ticket, agent, customer):
    svc.ticket_resolve(ticket=ticket, actor=agent)

    with pytest.raises(ValidationFailed) as caught:
        svc.ticket_rate(ticket=ticket, actor=customer, rating=5, comment="Great\x00")

    assert caught.value.errors == {"comment": ["Null characters are not allowed."]}
    assert not SatisfactionRating.objects.exists()
