"""SLA deadlines: policies, schedules, priority changes, pause and resume."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalated.business_hours import Schedule
from escalated.models import BusinessSchedule, Holiday, SlaPolicy, Status, Ticket
from escalated.services.sla import (
    SlaDeadlines,
    sla_apply_deadlines,
    sla_compute_deadlines,
    sla_pause,
    sla_policy_default,
    sla_restart_resolution,
    sla_resume,
    sla_schedule_for,
)
from tests import factories as f

# Monday 2 June 2025, 10:00 UTC.
MONDAY_10 = datetime(2025, 6, 2, 10, tzinfo=UTC)
UTC_NINE_TO_FIVE = Schedule(timezone="UTC", start=time(9), end=time(17), days=(1, 2, 3, 4, 5))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def berlin_schedule(db):
    return BusinessSchedule.objects.create(
        name="Berlin office",
        timezone="Europe/Berlin",
        start_time=time(9),
        end_time=time(17),
        days=[1, 2, 3, 4, 5],
    )


@pytest.fixture
def sla_settings(settings):
    """Replace the ``ESCALATED['SLA']`` settings for one test."""

    def apply(**sla: object) -> None:
        settings.ESCALATED = {**settings.ESCALATED, "SLA": sla}

    return apply


# --- policy and schedule -----------------------------------------------------------


def test_default_policy_is_loaded_with_its_schedule_in_one_query(
    berlin_schedule, django_assert_num_queries
):
    f.SlaPolicyFactory(name="Other")
    f.SlaPolicyFactory(name="Default", is_default=True, schedule=berlin_schedule)

    with django_assert_num_queries(1):
        policy = sla_policy_default()
        assert policy is not None
        assert policy.name == "Default"
        assert policy.schedule == berlin_schedule


def test_inactive_default_policy_is_not_used(db):
    f.SlaPolicyFactory(is_default=True, is_active=False)
    assert sla_policy_default() is None


def test_policy_schedule_has_its_own_and_global_holidays_in_one_query(
    berlin_schedule, django_assert_num_queries
):
    other = BusinessSchedule.objects.create(name="Other", days=[1, 2, 3, 4, 5])
    Holiday.objects.create(schedule=berlin_schedule, date=date(2025, 10, 3), name="Unity Day")
    Holiday.objects.create(schedule=None, date=date(2025, 12, 25), name="Christmas")
    Holiday.objects.create(schedule=other, date=date(2025, 7, 4), name="Not ours")
    policy = SlaPolicy.objects.select_related("schedule").get(
        pk=f.SlaPolicyFactory(schedule=berlin_schedule).pk
    )

    with django_assert_num_queries(1):
        schedule = sla_schedule_for(policy)

    assert schedule == Schedule(
        timezone="Europe/Berlin",
        start=time(9),
        end=time(17),
        days=(1, 2, 3, 4, 5),
        holidays=frozenset({date(2025, 10, 3), date(2025, 12, 25)}),
    )


def test_policy_without_schedule_runs_around_the_clock_by_default(
    default_policy, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert sla_schedule_for(default_policy) is None


def test_policy_without_schedule_uses_business_hours_setting(default_policy, sla_settings):
    sla_settings(
        BUSINESS_HOURS_ONLY=True,
        BUSINESS_HOURS={"START": "08:00", "END": "16:30", "TIMEZONE": "Asia/Tokyo", "DAYS": [1, 2]},
    )
    Holiday.objects.create(schedule=None, date=date(2025, 1, 1))

    assert sla_schedule_for(default_policy) == Schedule(
        timezone="Asia/Tokyo",
        start=time(8),
        end=time(16, 30),
        days=(1, 2),
        holidays=frozenset({date(2025, 1, 1)}),
    )


def test_invalid_schedule_falls_back_to_calendar_time_and_logs(default_policy, caplog):
    broken = BusinessSchedule.objects.create(name="Typo", timezone="Europe/Berln", days=[1, 2])
    default_policy.schedule = broken

    with caplog.at_level("ERROR", logger="escalated.services.sla"):
        assert sla_schedule_for(default_policy) is None

    assert "Typo" in caplog.text and "calendar time" in caplog.text


# --- sla_compute_deadlines ---------------------------------------------------------


def test_deadlines_in_calendar_time(default_policy):
    # medium: first response 8h, resolution 48h; warnings at 80%.
    deadlines = sla_compute_deadlines(
        policy=default_policy, priority="medium", start=MONDAY_10, schedule=None
    )
    assert deadlines == SlaDeadlines(
        first_response_due_at=MONDAY_10 + timedelta(hours=8),
        first_response_warn_at=MONDAY_10 + timedelta(hours=6, minutes=24),
        resolution_due_at=MONDAY_10 + timedelta(hours=48),
        resolution_warn_at=MONDAY_10 + timedelta(hours=38, minutes=24),
    )


def test_deadlines_in_business_hours(default_policy):
    # high: first response 4h, resolution 24h = three working days.
    friday_15 = utc(2025, 6, 6, 15)
    deadlines = sla_compute_deadlines(
        policy=default_policy, priority="high", start=friday_15, schedule=UTC_NINE_TO_FIVE
    )
    assert deadlines == SlaDeadlines(
        first_response_due_at=utc(2025, 6, 9, 11),  # 2h Friday, 2h Monday
        first_response_warn_at=utc(2025, 6, 9, 10, 12),  # 3h12m of work
        resolution_due_at=utc(2025, 6, 11, 15),
        resolution_warn_at=utc(2025, 6, 11, 10, 12),  # 19h12m of work: 2 + 8 + 8 + 1h12
    )


def test_deadlines_follow_the_policy_schedule_across_dst(berlin_schedule):
    policy = f.SlaPolicyFactory(schedule=berlin_schedule, first_response_hours={"urgent": 2})
    friday_16_cet = datetime(2025, 3, 28, 16, tzinfo=ZoneInfo("Europe/Berlin"))

    deadlines = sla_compute_deadlines(policy=policy, priority="urgent", start=friday_16_cet)

    assert deadlines.first_response_due_at == utc(2025, 3, 31, 8)  # Monday 10:00 CEST


def test_warning_threshold_comes_from_settings(default_policy, sla_settings):
    sla_settings(WARNING_THRESHOLD_PERCENT=50)
    deadlines = sla_compute_deadlines(
        policy=default_policy, priority="urgent", start=MONDAY_10, schedule=None
    )
    assert deadlines.first_response_warn_at == MONDAY_10 + timedelta(hours=1)
    assert deadlines.resolution_warn_at == MONDAY_10 + timedelta(hours=4)


def test_priority_without_target_has_no_deadline(db):
    policy = f.SlaPolicyFactory(first_response_hours={"urgent": 1}, resolution_hours={})
    deadlines = sla_compute_deadlines(policy=policy, priority="low", start=MONDAY_10)
    assert deadlines == SlaDeadlines()
    deadlines = sla_compute_deadlines(policy=policy, priority="urgent", start=MONDAY_10)
    assert deadlines.first_response_due_at == MONDAY_10 + timedelta(hours=1)
    assert deadlines.resolution_due_at is None
    assert deadlines.resolution_warn_at is None


def test_no_policy_means_no_deadlines(db):
    assert sla_compute_deadlines(policy=None, priority="urgent", start=MONDAY_10) == SlaDeadlines()


def test_disabled_sla_means_no_deadlines(default_policy, sla_settings):
    sla_settings(ENABLED=False)
    deadlines = sla_compute_deadlines(policy=default_policy, priority="urgent", start=MONDAY_10)
    assert deadlines == SlaDeadlines()


# --- sla_apply_deadlines -----------------------------------------------------------


def test_apply_deadlines_sets_fields_and_names_them(default_policy):
    ticket = f.TicketFactory(sla_policy=default_policy, priority="urgent", created_at=MONDAY_10)

    changed = sla_apply_deadlines(ticket, start=ticket.created_at, now=MONDAY_10)

    assert sorted(changed) == [
        "first_response_due_at",
        "first_response_warn_at",
        "resolution_due_at",
        "resolution_warn_at",
    ]
    assert ticket.first_response_due_at == MONDAY_10 + timedelta(hours=2)
    assert ticket.resolution_due_at == MONDAY_10 + timedelta(hours=8)
    ticket.save(update_fields=changed)
    ticket.refresh_from_db()
    assert ticket.first_response_warn_at == MONDAY_10 + timedelta(hours=1, minutes=36)
    assert sla_apply_deadlines(ticket, start=ticket.created_at, now=MONDAY_10) == []


def test_priority_change_recomputes_deadlines_from_creation(default_policy):
    ticket = f.TicketFactory(sla_policy=default_policy, priority="low", created_at=MONDAY_10)
    sla_apply_deadlines(ticket, start=ticket.created_at, now=MONDAY_10)

    ticket.priority = "critical"
    later = MONDAY_10 + timedelta(minutes=30)
    changed = sla_apply_deadlines(ticket, start=ticket.created_at, now=later)

    assert "first_response_due_at" in changed
    assert ticket.first_response_due_at == MONDAY_10 + timedelta(hours=1)
    assert ticket.resolution_due_at == MONDAY_10 + timedelta(hours=4)


def test_removing_the_policy_clears_the_deadlines(default_policy):
    ticket = f.TicketFactory(sla_policy=default_policy, priority="high", created_at=MONDAY_10)
    sla_apply_deadlines(ticket, start=ticket.created_at, now=MONDAY_10)

    ticket.sla_policy = None
    changed = sla_apply_deadlines(ticket, start=ticket.created_at, now=MONDAY_10)

    assert len(changed) == 4
    assert ticket.next_sla_deadline() is None


def test_apply_keeps_first_response_that_was_already_given(default_policy):
    ticket = f.TicketFactory(
        sla_policy=default_policy,
        priority="low",
        created_at=MONDAY_10,
        first_response_at=MONDAY_10 + timedelta(hours=3),
        first_response_due_at=MONDAY_10 + timedelta(hours=24),
    )

    ticket.priority = "critical"
    changed = sla_apply_deadlines(
        ticket, start=ticket.created_at, now=MONDAY_10 + timedelta(hours=5)
    )

    # Responded in 3h against a 24h target: met, even though "critical" asks for 1h.
    assert ticket.first_response_due_at == MONDAY_10 + timedelta(hours=24)
    assert ticket.first_response_breached_at is None
    assert sorted(changed) == ["resolution_due_at", "resolution_warn_at"]


def test_lower_priority_clears_breach_when_deadline_moves_into_the_future(default_policy):
    ticket = f.TicketFactory(
        sla_policy=default_policy,
        priority="critical",
        created_at=MONDAY_10,
        first_response_due_at=MONDAY_10 + timedelta(hours=1),
        first_response_warn_at=MONDAY_10 + timedelta(minutes=48),
        first_response_warned_at=MONDAY_10 + timedelta(hours=1),
        first_response_breached_at=MONDAY_10 + timedelta(hours=1),
    )
    now = MONDAY_10 + timedelta(hours=2)

    ticket.priority = "low"  # first response target 24h, warning at 19h12m
    changed = sla_apply_deadlines(ticket, start=ticket.created_at, now=now)

    assert ticket.first_response_due_at == MONDAY_10 + timedelta(hours=24)
    assert ticket.first_response_breached_at is None
    assert ticket.first_response_warned_at is None
    assert {"first_response_breached_at", "first_response_warned_at"} <= set(changed)


def test_breach_marker_stays_when_recomputed_deadline_is_still_past(default_policy):
    breached_at = MONDAY_10 + timedelta(hours=1)
    ticket = f.TicketFactory(
        sla_policy=default_policy,
        priority="critical",
        created_at=MONDAY_10,
        first_response_due_at=MONDAY_10 + timedelta(hours=1),
        first_response_warned_at=breached_at,
        first_response_breached_at=breached_at,
    )

    ticket.priority = "urgent"  # 2h: still past at 12:30
    sla_apply_deadlines(ticket, start=ticket.created_at, now=MONDAY_10 + timedelta(hours=2.5))

    assert ticket.first_response_due_at == MONDAY_10 + timedelta(hours=2)
    assert ticket.first_response_breached_at == breached_at
    assert ticket.first_response_warned_at == breached_at


def test_apply_loads_the_policy_with_its_schedule_in_one_query(
    berlin_schedule, django_assert_num_queries
):
    policy = f.SlaPolicyFactory(schedule=berlin_schedule)
    ticket = Ticket.objects.get(pk=f.TicketFactory(sla_policy=policy, created_at=MONDAY_10).pk)

    # policy + schedule (one join), then holidays
    with django_assert_num_queries(2):
        sla_apply_deadlines(ticket, start=ticket.created_at, now=MONDAY_10)

    assert ticket.first_response_due_at == utc(2025, 6, 3, 10)  # 8h: 7h Monday (UTC+2), 1h Tuesday


def test_reopened_ticket_gets_a_fresh_resolution_clock(default_policy):
    breached_at = MONDAY_10 + timedelta(hours=48)
    ticket = f.TicketFactory(
        sla_policy=default_policy,
        priority="medium",
        created_at=MONDAY_10,
        first_response_at=MONDAY_10 + timedelta(hours=1),
        first_response_due_at=MONDAY_10 + timedelta(hours=8),
        resolution_due_at=MONDAY_10 + timedelta(hours=48),
        resolution_warned_at=breached_at,
        resolution_breached_at=breached_at,
    )
    reopened_at = MONDAY_10 + timedelta(days=5)

    changed = sla_restart_resolution(ticket, now=reopened_at)

    assert ticket.resolution_due_at == reopened_at + timedelta(hours=48)
    assert ticket.resolution_warn_at == reopened_at + timedelta(hours=38, minutes=24)
    assert ticket.resolution_breached_at is None
    assert ticket.resolution_warned_at is None
    assert ticket.first_response_due_at == MONDAY_10 + timedelta(hours=8)
    assert sorted(changed) == [
        "resolution_breached_at",
        "resolution_due_at",
        "resolution_started_at",
        "resolution_warn_at",
        "resolution_warned_at",
    ]


# --- pause and resume --------------------------------------------------------------


def test_pause_stops_the_clock_once(db):
    ticket = f.TicketFactory(status=Status.WAITING_ON_CUSTOMER)

    assert sla_pause(ticket, now=MONDAY_10) == ["sla_paused_at"]
    assert sla_pause(ticket, now=MONDAY_10 + timedelta(hours=1)) == []
    assert ticket.sla_paused_at == MONDAY_10


def test_resume_without_pause_changes_nothing(db):
    ticket = f.TicketFactory(resolution_due_at=MONDAY_10)
    assert sla_resume(ticket, now=MONDAY_10 + timedelta(hours=1)) == []
    assert ticket.resolution_due_at == MONDAY_10


def test_resume_pushes_deadline_by_paused_working_time(berlin_schedule):
    policy = f.SlaPolicyFactory(schedule=berlin_schedule)
    berlin = ZoneInfo("Europe/Berlin")
    ticket = f.TicketFactory(
        sla_policy=policy,
        # Due Tuesday 12:00 Berlin, warning Tuesday 10:00; paused Monday 16:00 with
        # 1h of Monday and 3h of Tuesday left before the deadline.
        first_response_due_at=datetime(2025, 6, 3, 12, tzinfo=berlin),
        first_response_warn_at=datetime(2025, 6, 3, 10, tzinfo=berlin),
        resolution_due_at=datetime(2025, 6, 5, 12, tzinfo=berlin),
        sla_paused_at=datetime(2025, 6, 2, 16, tzinfo=berlin),
    )

    # Resumed Wednesday 11:00 Berlin.
    changed = sla_resume(ticket, now=datetime(2025, 6, 4, 11, tzinfo=berlin))

    assert ticket.sla_paused_at is None
    assert ticket.first_response_due_at == datetime(2025, 6, 4, 15, tzinfo=berlin)  # 4h later
    assert ticket.first_response_warn_at == datetime(2025, 6, 4, 13, tzinfo=berlin)
    # 1h Mon + 8h Tue + 8h Wed + 3h Thu = 20h left: Wed 11-17 (6h), Thu (8h), Fri 9-15.
    assert ticket.resolution_due_at == datetime(2025, 6, 6, 15, tzinfo=berlin)
    assert sorted(changed) == [
        "first_response_due_at",
        "first_response_paused_for",
        "first_response_warn_at",
        "resolution_due_at",
        "resolution_paused_for",
        "sla_paused_at",
    ]


def test_resume_in_calendar_time_pushes_by_the_length_of_the_pause(default_policy):
    ticket = f.TicketFactory(
        sla_policy=default_policy,
        resolution_due_at=MONDAY_10 + timedelta(hours=5),
        sla_paused_at=MONDAY_10,
    )

    sla_resume(ticket, now=MONDAY_10 + timedelta(days=2))

    assert ticket.resolution_due_at == MONDAY_10 + timedelta(days=2, hours=5)


def test_resume_leaves_moments_that_had_passed_before_the_pause(default_policy):
    warned = MONDAY_10 - timedelta(hours=1)
    ticket = f.TicketFactory(
        sla_policy=default_policy,
        first_response_at=MONDAY_10 - timedelta(hours=3),
        first_response_due_at=MONDAY_10 - timedelta(hours=2),  # met, not pushed
        resolution_warn_at=warned,
        resolution_warned_at=warned,
        resolution_due_at=MONDAY_10 + timedelta(hours=1),
        sla_paused_at=MONDAY_10,
    )

    changed = sla_resume(ticket, now=MONDAY_10 + timedelta(hours=4))

    assert ticket.first_response_due_at == MONDAY_10 - timedelta(hours=2)
    assert ticket.resolution_warn_at == warned
    assert ticket.resolution_due_at == MONDAY_10 + timedelta(hours=5)
    assert sorted(changed) == ["resolution_due_at", "resolution_paused_for", "sla_paused_at"]


# --- pause credit and the reopened clock survive recomputation ----------------------


def test_priority_change_after_a_pause_keeps_the_paused_time(default_policy):
    # given: a medium ticket (8 h first response) that waited on the customer for 3 h
    ticket = f.TicketFactory(sla_policy=default_policy, priority="medium", created_at=MONDAY_10)
    sla_apply_deadlines(ticket, start=MONDAY_10, now=MONDAY_10)
    sla_pause(ticket, now=MONDAY_10 + timedelta(hours=1))
    sla_resume(ticket, now=MONDAY_10 + timedelta(hours=4))
    assert ticket.first_response_due_at == MONDAY_10 + timedelta(hours=11)

    # when: the priority goes up (high: 4 h) and the deadlines are recomputed
    ticket.priority = "high"
    sla_apply_deadlines(ticket, start=MONDAY_10, now=MONDAY_10 + timedelta(hours=5))

    # then: the 3 h spent waiting still do not count
    assert ticket.first_response_paused_for == timedelta(hours=3)
    assert ticket.first_response_due_at == MONDAY_10 + timedelta(hours=7)
    assert ticket.resolution_due_at == MONDAY_10 + timedelta(hours=27)


def test_pause_credit_is_working_time_under_a_schedule(berlin_schedule):
    policy = f.SlaPolicyFactory(schedule=berlin_schedule)
    berlin = ZoneInfo("Europe/Berlin")
    ticket = f.TicketFactory(sla_policy=policy, first_response_due_at=None)
    # Paused Friday 16:00, resumed Monday 10:00 Berlin: 1 h Friday + 1 h Monday.
    ticket.sla_paused_at = datetime(2025, 6, 6, 16, tzinfo=berlin)
    sla_resume(ticket, now=datetime(2025, 6, 9, 10, tzinfo=berlin))
    assert ticket.first_response_paused_for == timedelta(hours=2)
    assert ticket.resolution_paused_for == timedelta(hours=2)


def test_priority_change_after_reopen_keeps_the_fresh_resolution_clock(default_policy):
    ticket = f.TicketFactory(sla_policy=default_policy, priority="medium", created_at=MONDAY_10)
    sla_apply_deadlines(ticket, start=MONDAY_10, now=MONDAY_10)
    reopened_at = MONDAY_10 + timedelta(days=5)
    sla_restart_resolution(ticket, now=reopened_at)

    ticket.priority = "urgent"  # 8 h resolution
    sla_apply_deadlines(ticket, start=MONDAY_10, now=reopened_at + timedelta(minutes=5))

    assert ticket.resolution_started_at == reopened_at
    assert ticket.resolution_due_at == reopened_at + timedelta(hours=8)


# --- the per-process cache of policies and schedules ---------------------------------


def test_default_policy_is_read_once_then_cached(default_policy, django_assert_num_queries):
    assert sla_policy_default() == default_policy
    with django_assert_num_queries(0):
        assert sla_policy_default() == default_policy


def test_saving_a_policy_clears_the_cache(default_policy, django_capture_on_commit_callbacks):
    assert sla_policy_default() == default_policy
    # when: the default moves to another policy
    with django_capture_on_commit_callbacks(execute=True):
        default_policy.is_default = False
        default_policy.save()
        other = f.SlaPolicyFactory(is_default=True)
    # then: the next ticket gets the new default, not the cached one
    assert sla_policy_default() == other


def test_new_holiday_reaches_cached_schedule(berlin_schedule):
    policy = f.SlaPolicyFactory(schedule=berlin_schedule)
    assert sla_schedule_for(policy).holidays == frozenset()
    Holiday.objects.create(schedule=berlin_schedule, date=date(2025, 12, 25), name="Xmas")
    assert sla_schedule_for(policy).holidays == {date(2025, 12, 25)}
