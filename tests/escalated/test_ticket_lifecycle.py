from __future__ import annotations

import pytest
from django.test import override_settings

from escalated.exceptions import IllegalTransition, NotFound, NotPermitted, ValidationFailed
from escalated.models import TRANSITIONS, Reply, Status, Ticket, TicketActivity
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
