"""Open tickets follow their policy when an admin edits it (targets, hours, holidays)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalated.models import BusinessSchedule, Status, Ticket, TicketActivity
from escalated.services import admin_crud
from escalated.services.sla import sla_recompute
from escalated.services.tickets import ticket_change_priority, ticket_create
from tests import factories as f

pytestmark = pytest.mark.django_db

# Monday 2025-06-02 10:00 UTC.
MONDAY = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)


def create(agent, priority="high", **kwargs):
    return ticket_create(
        actor=agent,
        subject="S",
        description="D",
        requester_email="carol@example.com",
        priority=priority,
        **kwargs,
    )


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_editing_targets_moves_the_open_tickets_deadlines(
    admin_user, agent, default_policy, on_commit
):
    # given: high = 4 h first response, 24 h resolution
    with time_machine.travel(MONDAY, tick=False):
        ticket = create(agent)
        done = create(agent)
    Ticket.objects.filter(pk=done.pk).update(status=Status.CLOSED)
    # when
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False), on_commit():
        admin_crud.sla_policy_update(
            policy=default_policy,
            actor=admin_user,
            first_response_hours={**default_policy.first_response_hours, "high": 2},
            resolution_hours={**default_policy.resolution_hours, "high": 10},
        )
    # then: counted from creation with the new targets; closed tickets keep theirs
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == MONDAY + timedelta(hours=2)
    assert ticket.resolution_due_at == MONDAY + timedelta(hours=10)
    assert ticket.first_response_warn_at == MONDAY + timedelta(hours=1.6)
    assert Ticket.objects.get(pk=done.pk).first_response_due_at == MONDAY + timedelta(hours=4)
    (entry,) = TicketActivity.objects.filter(ticket=ticket, type="sla_recomputed")
    assert entry.actor == admin_user
    assert entry.data == {"policy": {"id": default_policy.pk, "name": "Default"}}
    assert not TicketActivity.objects.filter(ticket=done, type="sla_recomputed").exists()


def test_renaming_a_policy_recomputes_nothing(admin_user, agent, default_policy, on_commit):
    with time_machine.travel(MONDAY, tick=False):
        ticket = create(agent)
    with on_commit():
        admin_crud.sla_policy_update(policy=default_policy, actor=admin_user, name="Gold")
    assert not TicketActivity.objects.filter(ticket=ticket, type="sla_recomputed").exists()


def test_a_breach_marker_goes_when_the_deadline_moves_ahead(
    admin_user, agent, default_policy, on_commit
):
    # given: the 4 h first response was missed and marked
    with time_machine.travel(MONDAY, tick=False):
        ticket = create(agent)
    late = MONDAY + timedelta(hours=5)
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_breached_at=late, first_response_warned_at=late
    )
    # when: the target becomes 8 h, an hour later
    with time_machine.travel(late + timedelta(hours=1), tick=False), on_commit():
        admin_crud.sla_policy_update(
            policy=default_policy,
            actor=admin_user,
            first_response_hours={**default_policy.first_response_hours, "high": 8},
        )
    # then: not breached any more, so a breach at 18:00 is notified once again
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == MONDAY + timedelta(hours=8)
    assert ticket.first_response_breached_at is None
    assert ticket.first_response_warned_at is None  # its warning is due at 16:24, ahead
    # and the timeline says so: the breach was withdrawn, not lost silently
    (entry,) = TicketActivity.objects.filter(ticket=ticket, type="sla_recomputed")
    assert entry.data["withdrawn"] == ["first_response_breached", "first_response_warned"]


def test_paused_time_is_kept_like_a_priority_change(admin_user, agent, default_policy, on_commit):
    # given: waiting on the customer for 3 h, then back
    with time_machine.travel(MONDAY, tick=False):
        ticket = create(agent)
    from escalated.services.tickets import ticket_change_status

    with time_machine.travel(MONDAY + timedelta(minutes=30), tick=False):
        ticket_change_status(ticket=ticket, actor=agent, status=Status.WAITING_ON_CUSTOMER)
    with time_machine.travel(MONDAY + timedelta(hours=3, minutes=30), tick=False):
        ticket_change_status(ticket=ticket, actor=agent, status=Status.IN_PROGRESS)
    # when
    with time_machine.travel(MONDAY + timedelta(hours=4), tick=False), on_commit():
        admin_crud.sla_policy_update(
            policy=default_policy,
            actor=admin_user,
            resolution_hours={**default_policy.resolution_hours, "high": 6},
        )
    # then: 6 h from creation plus the 3 h waited
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == MONDAY + timedelta(hours=9)
    # and a later priority change agrees with the recompute
    with time_machine.travel(MONDAY + timedelta(hours=5), tick=False):
        ticket_change_priority(ticket=ticket, actor=agent, priority="high")
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == MONDAY + timedelta(hours=9)


def test_new_business_hours_move_the_deadlines(admin_user, agent, on_commit):
    # given: a policy counting 09:00-17:00 UTC, Mon-Fri; high = 4 h / 24 h
    schedule = BusinessSchedule.objects.create(
        name="Office", timezone="UTC", start_time=time(9), end_time=time(17), days=[1, 2, 3, 4, 5]
    )
    policy = f.SlaPolicyFactory(is_default=True, schedule=schedule)
    with time_machine.travel(MONDAY, tick=False):
        ticket = create(agent)
    assert ticket.first_response_due_at == MONDAY + timedelta(hours=4)  # 14:00
    # when: the office closes at 12:00
    with time_machine.travel(MONDAY + timedelta(minutes=5), tick=False), on_commit():
        admin_crud.business_schedule_update(schedule=schedule, actor=admin_user, end_time="12:00")
    # then: 2 h on Monday, 2 h on Tuesday from 09:00
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == datetime(2025, 6, 3, 11, 0, tzinfo=UTC)
    assert TicketActivity.objects.filter(ticket=ticket, type="sla_recomputed").count() == 1
    assert policy.pk == ticket.sla_policy_id


def test_a_holiday_added_pushes_the_deadlines_across_it(admin_user, agent, on_commit):
    schedule = BusinessSchedule.objects.create(
        name="Office", timezone="UTC", start_time=time(9), end_time=time(17), days=[1, 2, 3, 4, 5]
    )
    f.SlaPolicyFactory(is_default=True, schedule=schedule)
    with time_machine.travel(MONDAY, tick=False):
        ticket = create(agent)  # resolution: 24 working hours, Thursday 10:00
    assert ticket.resolution_due_at == datetime(2025, 6, 5, 10, 0, tzinfo=UTC)
    # when: Tuesday is a day off
    with time_machine.travel(MONDAY, tick=False), on_commit():
        holiday = admin_crud.holiday_create(
            actor=admin_user, date="2025-06-03", name="Day off", schedule=schedule
        )
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == datetime(2025, 6, 6, 10, 0, tzinfo=UTC)
    # and back when it is removed
    with time_machine.travel(MONDAY, tick=False), on_commit():
        admin_crud.holiday_delete(holiday=holiday, actor=admin_user)
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == datetime(2025, 6, 5, 10, 0, tzinfo=UTC)
    assert holiday.date == date(2025, 6, 3)


def test_other_policies_are_left_alone(admin_user, agent, default_policy, on_commit):
    other = f.SlaPolicyFactory()
    with time_machine.travel(MONDAY, tick=False):
        mine = create(agent)
        theirs = create(agent)
    Ticket.objects.filter(pk=theirs.pk).update(sla_policy=other)
    with on_commit():
        admin_crud.sla_policy_update(
            policy=other,
            actor=admin_user,
            first_response_hours={**other.first_response_hours, "high": 1},
        )
    mine.refresh_from_db()
    assert mine.first_response_due_at == MONDAY + timedelta(hours=4)
    assert TicketActivity.objects.filter(ticket=theirs, type="sla_recomputed").count() == 1


def test_dry_run_counts_and_changes_nothing(agent, default_policy):
    with time_machine.travel(MONDAY, tick=False):
        tickets = [create(agent) for _ in range(3)]
    default_policy.first_response_hours = {**default_policy.first_response_hours, "high": 1}
    default_policy.save()
    result = sla_recompute(dry_run=True)
    assert (result.tickets, result.changed, result.dry_run) == (3, 3, True)
    assert {
        t.first_response_due_at for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])
    } == {MONDAY + timedelta(hours=4)}
    assert sla_recompute().changed == 3
    assert sla_recompute().changed == 0  # idempotent


def _queries(n, agent, policy):
    with time_machine.travel(MONDAY, tick=False):
        for _ in range(n):
            create(agent)
    policy.first_response_hours = {
        **policy.first_response_hours,
        "high": policy.first_response_hours["high"] + 1,
    }
    policy.save()
    with CaptureQueriesContext(connection) as captured:
        assert sla_recompute(batch_size=100).changed == Ticket.objects.count()
    return len(captured.captured_queries)


def test_queries_grow_with_batches_not_tickets(agent, default_policy):
    small = _queries(10, agent, default_policy)
    large = _queries(40, agent, default_policy)  # 50 tickets in all: still one batch of 100
    assert small == large


def test_the_command_reports_and_validates(agent, default_policy):
    with time_machine.travel(MONDAY, tick=False):
        create(agent)
    default_policy.resolution_hours = {**default_policy.resolution_hours, "high": 2}
    default_policy.save()
    out = StringIO()
    call_command("recompute_sla", "--dry-run", stdout=out)
    assert out.getvalue().strip() == (
        "SLA recompute: 1 open ticket looked at, deadlines would move on 1 (dry run)"
    )
    out = StringIO()
    call_command("recompute_sla", "--policy", str(default_policy.pk), stdout=out)
    assert "deadlines moved on 1" in out.getvalue()
    with pytest.raises(CommandError, match="No SLA policy with id 999"):
        call_command("recompute_sla", "--policy", "999")
    with pytest.raises(CommandError):
        call_command("recompute_sla", "--batch-size", "0")


def test_a_large_policy_is_left_to_the_next_sweep(
    admin_user, agent, default_policy, on_commit, monkeypatch
):
    from escalated.services import sla

    # given: more open tickets than an edit recomputes in the admin's request
    monkeypatch.setattr(sla, "RECOMPUTE_INLINE_LIMIT", 1)
    with time_machine.travel(MONDAY, tick=False):
        tickets = [create(agent), create(agent)]
    with time_machine.travel(MONDAY + timedelta(minutes=1), tick=False), on_commit():
        admin_crud.sla_policy_update(
            policy=default_policy,
            actor=admin_user,
            first_response_hours={**default_policy.first_response_hours, "high": 1},
        )
    # then: nothing moved yet, the policy is marked
    default_policy.refresh_from_db()
    assert default_policy.recompute_requested_at == MONDAY + timedelta(minutes=1)
    due = {t.first_response_due_at for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])}
    assert due == {MONDAY + timedelta(hours=4)}
    # when: the cron sweep runs
    out = StringIO()
    with time_machine.travel(MONDAY + timedelta(minutes=2), tick=False):
        call_command("check_sla", stdout=out)
    # then: moved, logged by the system, unmarked, and judged on the new deadline at once
    due = {t.first_response_due_at for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])}
    assert due == {MONDAY + timedelta(hours=1)}
    assert "deadlines recomputed on 2 tickets" in out.getvalue()
    entries = TicketActivity.objects.filter(type="sla_recomputed")
    assert entries.count() == 2 and {e.actor_id for e in entries} == {None}
    default_policy.refresh_from_db()
    assert default_policy.recompute_requested_at is None
    out = StringIO()
    call_command("check_sla", stdout=out)
    assert "recomputed" not in out.getvalue()


def test_an_edit_during_a_recompute_keeps_its_mark(agent, default_policy, monkeypatch):
    from escalated.models import SlaPolicy
    from escalated.services import sla

    with time_machine.travel(MONDAY, tick=False):
        create(agent)
    SlaPolicy.objects.filter(pk=default_policy.pk).update(recompute_requested_at=MONDAY)
    run = sla.sla_recompute
    later = MONDAY + timedelta(seconds=1)

    def edited_meanwhile(**kwargs):
        result = run(**kwargs)
        SlaPolicy.objects.filter(pk=default_policy.pk).update(recompute_requested_at=later)
        return result

    monkeypatch.setattr(sla, "sla_recompute", edited_meanwhile)
    sla.sla_recompute_pending()
    default_policy.refresh_from_db()
    assert default_policy.recompute_requested_at == later  # the next run sees the new edit


def test_a_global_holiday_marks_every_policy(admin_user, default_policy, monkeypatch):
    from escalated.models import SlaPolicy
    from escalated.services import sla

    other = f.SlaPolicyFactory()
    monkeypatch.setattr(sla, "RECOMPUTE_INLINE_LIMIT", -1)  # leave it to the sweep
    admin_crud.holiday_create(actor=admin_user, date="2025-12-25", name="Christmas")
    marked = SlaPolicy.objects.filter(recompute_requested_at__isnull=False)
    assert set(marked.values_list("pk", flat=True)) == {default_policy.pk, other.pk}


# --------------------------------------------------------------------------- edge cases


def _office(**kwargs):
    return BusinessSchedule.objects.create(
        name=kwargs.pop("name", "Office"),
        timezone="UTC",
        start_time=time(9),
        end_time=time(17),
        days=[1, 2, 3, 4, 5],
        **kwargs,
    )


def test_a_shared_schedule_edited_through_one_policy_moves_every_policys_tickets(
    admin_user, agent, on_commit
):
    # given: two policies counting in the same office hours
    office = _office()
    first = f.SlaPolicyFactory(is_default=True, schedule=office)
    second = f.SlaPolicyFactory(schedule=office)
    with time_machine.travel(MONDAY, tick=False):
        mine = create(agent)
        theirs = create(agent)
    Ticket.objects.filter(pk=theirs.pk).update(sla_policy=second)
    # when: the hours are edited on the first policy's form
    with time_machine.travel(MONDAY + timedelta(minutes=5), tick=False), on_commit():
        admin_crud.sla_policy_update(
            policy=first, actor=admin_user, schedule={"start_time": "09:00", "end_time": "12:00"}
        )
    # then: 2 h on Monday, 2 h on Tuesday from 09:00, for both
    for ticket in (mine, theirs):
        ticket.refresh_from_db()
        assert ticket.first_response_due_at == datetime(2025, 6, 3, 11, 0, tzinfo=UTC)


def test_a_policy_with_an_invalid_schedule_is_left_alone_and_stays_marked(
    admin_user, agent, on_commit
):
    # given: a schedule saved around its validators (the admin form cannot do that)
    office = _office()
    policy = f.SlaPolicyFactory(is_default=True, schedule=office)
    with time_machine.travel(MONDAY, tick=False):
        ticket = create(agent)
    due = ticket.resolution_due_at
    BusinessSchedule.objects.filter(pk=office.pk).update(timezone="Europe/Nowhere")
    # when: an unrelated global holiday asks every policy to recompute
    with on_commit():
        admin_crud.holiday_create(actor=admin_user, date="2025-12-25", name="Christmas")
    # then: its deadlines do not fall back to calendar time
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == due
    policy.refresh_from_db()
    assert policy.recompute_requested_at is not None
    # once the schedule is fixed, the sweep catches up
    BusinessSchedule.objects.filter(pk=office.pk).update(timezone="UTC")
    from escalated.services.sla import sla_recompute_pending

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=1), tick=False):
        assert sla_recompute_pending().skipped == ()
    policy.refresh_from_db()
    assert policy.recompute_requested_at is None


def test_a_paused_tickets_marker_goes_when_its_deadline_moves_past_the_pause(
    admin_user, agent, default_policy, on_commit
):
    from escalated.services.sla import sla_check
    from escalated.services.tickets import ticket_change_status

    # given: the 4 h first response is missed at 14:00, then the ticket waits from 16:00
    with time_machine.travel(MONDAY, tick=False):
        ticket = create(agent)
    sla_check(now=MONDAY + timedelta(hours=5))
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at is not None
    with time_machine.travel(MONDAY + timedelta(hours=6), tick=False):
        ticket_change_status(ticket=ticket, actor=agent, status=Status.WAITING_ON_CUSTOMER)
    # when: the target becomes 8 h (18:00, after the pause began) while it waits
    with time_machine.travel(MONDAY + timedelta(hours=10), tick=False), on_commit():
        admin_crud.sla_policy_update(
            policy=default_policy,
            actor=admin_user,
            first_response_hours={**default_policy.first_response_hours, "high": 8},
        )
    # then: 2 h of the clock are left, so it is no longer breached
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == MONDAY + timedelta(hours=8)
    assert ticket.first_response_breached_at is None
    with time_machine.travel(MONDAY + timedelta(hours=11), tick=False):
        ticket_change_status(ticket=ticket, actor=agent, status=Status.IN_PROGRESS)
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == MONDAY + timedelta(hours=13)  # 2 h after the resume


def test_with_sla_off_the_marks_wait(admin_user, agent, default_policy, on_commit):
    from django.test import override_settings

    with time_machine.travel(MONDAY, tick=False):
        create(agent)
    with override_settings(ESCALATED={"SLA": {"ENABLED": False}}), on_commit():
        admin_crud.sla_policy_update(
            policy=default_policy,
            actor=admin_user,
            first_response_hours={**default_policy.first_response_hours, "high": 8},
        )
    default_policy.refresh_from_db()
    assert default_policy.recompute_requested_at is not None


def test_django_admin_edits_move_the_deadlines_too(admin_user, agent, on_commit):
    import json

    from django.test import Client

    # given: a superuser in Django's admin, a ticket of an office-hours policy
    office = _office()
    policy = f.SlaPolicyFactory(is_default=True, schedule=office)
    with time_machine.travel(MONDAY, tick=False):
        ticket = create(agent)
    admin_user.is_superuser = admin_user.is_staff = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    # when: the policy's first-response target for "high" becomes 2 h
    form = {
        "name": policy.name,
        "description": "",
        "is_default": "on",
        "is_active": "on",
        "first_response_hours": json.dumps({**policy.first_response_hours, "high": 2}),
        "resolution_hours": json.dumps(policy.resolution_hours),
        "schedule": str(office.pk),
        "created_at_0": "2025-06-01",
        "created_at_1": "00:00:00",
    }
    with time_machine.travel(MONDAY + timedelta(minutes=1), tick=False), on_commit():
        response = client.post(f"/admin/escalated/slapolicy/{policy.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == MONDAY + timedelta(hours=2)
    # and when Monday becomes a holiday there: the clock starts on Tuesday at 09:00
    with time_machine.travel(MONDAY + timedelta(minutes=2), tick=False), on_commit():
        response = client.post(
            "/admin/escalated/holiday/add/",
            {"schedule": str(office.pk), "date": "2025-06-02", "name": "Day off"},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == datetime(2025, 6, 3, 11, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- stale caches


def test_holidays_added_to_a_schedule_reach_this_processs_next_ticket(admin_user, agent):
    # given: an office-hours default policy this process has cached (no holidays yet)
    office = _office()
    f.SlaPolicyFactory(is_default=True, schedule=office)
    with time_machine.travel(MONDAY, tick=False):
        create(agent)
    # when: Tuesday becomes a day off through the schedule's holiday list
    admin_crud.business_schedule_update(
        schedule=office, actor=admin_user, holidays=[{"date": "2025-06-03", "name": "Off"}]
    )
    with time_machine.travel(MONDAY, tick=False):
        ticket = create(agent)
    # then: 24 working hours from Monday 10:00 skip Tuesday
    assert ticket.resolution_due_at == datetime(2025, 6, 6, 10, 0, tzinfo=UTC)


def test_deadlines_written_from_another_processs_stale_cache_are_put_right_by_the_sweep(
    admin_user, agent, default_policy, on_commit
):
    from escalated.services import _config

    # given: another web process has the policy cached (this one's cache stands in)
    with time_machine.travel(MONDAY, tick=False):
        create(agent)
    other_process = dict(_config._cache)
    edited = MONDAY + timedelta(minutes=1)
    with time_machine.travel(edited, tick=False), on_commit():
        admin_crud.sla_policy_update(
            policy=default_policy,
            actor=admin_user,
            first_response_hours={**default_policy.first_response_hours, "high": 1},
        )
    # when: that process opens a ticket from its cache, after the edit's own recompute
    _config._cache.update(other_process)
    with time_machine.travel(edited + timedelta(seconds=5), tick=False):
        late = create(agent)
    assert late.first_response_due_at == edited + timedelta(seconds=5, hours=4)  # stale
    # then: a sweep once every cache has expired recomputes the policy once more
    out = StringIO()
    with time_machine.travel(edited + timedelta(minutes=1), tick=False):
        call_command("check_sla", stdout=out)
    late.refresh_from_db()
    assert late.first_response_due_at == edited + timedelta(seconds=5, hours=1)
    default_policy.refresh_from_db()
    assert default_policy.recompute_requested_at is None


@pytest.mark.django_db(transaction=True)
def test_a_default_policy_deleted_by_another_process_asks_to_send_again(agent, default_policy):
    from django.db import connection

    from escalated.exceptions import ValidationFailed

    with time_machine.travel(MONDAY, tick=False):
        create(agent)
    # another process deletes it: this process's cache does not hear of it
    Ticket.objects.all().delete()
    with connection.cursor() as cursor:
        table = default_policy._meta.db_table
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [default_policy.pk])

    with pytest.raises(ValidationFailed, match="send it again"):
        create(agent)  # not an IntegrityError (a 500)

    assert Ticket.objects.count() == 0
    assert create(agent).sla_policy_id is None  # read afresh


def test_a_breach_judged_before_a_pause_stays_as_judged(admin_user, agent, default_policy):
    from escalated.services.sla import sla_check
    from escalated.services.tickets import ticket_change_status

    # given: the 4 h first response missed at 14:00 (marked at 15:00), then a wait on
    # the customer from 16:00 to 20:00 (its credit moves the deadlines still ahead)
    with time_machine.travel(MONDAY, tick=False):
        ticket = create(agent)
    sla_check(now=MONDAY + timedelta(hours=5))
    with time_machine.travel(MONDAY + timedelta(hours=6), tick=False):
        ticket_change_status(ticket=ticket, actor=agent, status=Status.WAITING_ON_CUSTOMER)
    with time_machine.travel(MONDAY + timedelta(hours=10), tick=False):
        ticket_change_status(ticket=ticket, actor=agent, status=Status.IN_PROGRESS)
    ticket.refresh_from_db()
    judged = (ticket.first_response_due_at, ticket.first_response_warn_at)
    assert judged[0] == MONDAY + timedelta(hours=4)
    # when: every policy is recomputed for an unrelated reason (a holiday next year)
    with time_machine.travel(MONDAY + timedelta(hours=11), tick=False):
        sla_recompute()
    # then: the missed deadline is not moved by a pause that came after it
    ticket.refresh_from_db()
    assert (ticket.first_response_due_at, ticket.first_response_warn_at) == judged
    assert ticket.first_response_breached_at == MONDAY + timedelta(hours=5)
    assert ticket.resolution_due_at == MONDAY + timedelta(hours=28)  # 24 h + the 4 h wait
    assert not TicketActivity.objects.filter(ticket=ticket, type="sla_recomputed").exists()


def test_the_command_says_which_policies_it_could_not_recompute(agent):
    # given: a policy whose schedule was saved around its validators
    office = _office()
    policy = f.SlaPolicyFactory(is_default=True, schedule=office, name="Gold")
    with time_machine.travel(MONDAY, tick=False):
        create(agent)
    BusinessSchedule.objects.filter(pk=office.pk).update(timezone="Europe/Nowhere")
    out = StringIO()

    # when / then: not a silent "0 tickets", a clear error naming it
    with pytest.raises(CommandError, match=rf"'Gold' \(id {policy.pk}\).*schedule"):
        call_command("recompute_sla", stdout=out)
    assert "0 open tickets looked at" in out.getvalue()


def test_django_admin_refuses_an_unknown_time_zone(admin_user, agent):
    from django.test import Client

    # given: an office-hours policy, edited in Django's admin
    office = _office()
    f.SlaPolicyFactory(is_default=True, schedule=office)
    admin_user.is_superuser = admin_user.is_staff = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    form = {
        "name": office.name,
        "timezone": "Europe/Nowhere",
        "start_time": "09:00",
        "end_time": "17:00",
        "days": "[1, 2, 3, 4, 5]",
    }

    # when
    response = client.post(f"/admin/escalated/businessschedule/{office.pk}/change/", form)

    # then: a field error, not a schedule every SLA clock of the policy falls back from
    assert response.status_code == 200
    assert "Unknown time zone" in response.content.decode()
    office.refresh_from_db()
    assert office.timezone == "UTC"
