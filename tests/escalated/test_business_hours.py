"""Working-time arithmetic: windows, weekends, holidays, time zones and DST."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalated.business_hours import (
    MAX_IDLE_DAYS,
    Schedule,
    add_business_time,
    business_time_between,
)

WEEKDAYS = (1, 2, 3, 4, 5)


def nine_to_five(tz: str = "UTC", holidays: frozenset[date] = frozenset()) -> Schedule:
    return Schedule(timezone=tz, start=time(9), end=time(17), days=WEEKDAYS, holidays=holidays)


def local(tz: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- add_business_time -------------------------------------------------------------


def test_add_business_time_stays_within_the_same_window():
    # Monday 2025-06-02 10:00 UTC + 3h
    assert add_business_time(utc(2025, 6, 2, 10), timedelta(hours=3), nine_to_five()) == utc(
        2025, 6, 2, 13
    )


def test_add_business_time_skips_weekend():
    # Friday 16:00 + 2h of work: 1h on Friday, 1h on Monday.
    due = add_business_time(utc(2025, 6, 6, 16), timedelta(hours=2), nine_to_five())
    assert due == utc(2025, 6, 9, 10)


def test_add_business_time_before_opening_counts_from_opening():
    due = add_business_time(utc(2025, 6, 2, 6, 30), timedelta(hours=1), nine_to_five())
    assert due == utc(2025, 6, 2, 10)


def test_add_business_time_after_closing_counts_from_next_opening():
    due = add_business_time(utc(2025, 6, 2, 20), timedelta(minutes=30), nine_to_five())
    assert due == utc(2025, 6, 3, 9, 30)


def test_add_business_time_used_up_at_closing_is_due_at_closing():
    due = add_business_time(utc(2025, 6, 2, 9), timedelta(hours=8), nine_to_five())
    assert due == utc(2025, 6, 2, 17)


def test_add_business_time_zero_duration_returns_start_in_utc():
    start = local("Europe/Berlin", 2025, 6, 7, 12)  # a Saturday
    due = add_business_time(start, timedelta(0), nine_to_five("Europe/Berlin"))
    assert due == start
    assert due.tzinfo is UTC


def test_add_business_time_returns_utc():
    due = add_business_time(
        local("America/New_York", 2025, 6, 2, 9), timedelta(hours=1), nine_to_five("Asia/Tokyo")
    )
    assert due.tzinfo is UTC


def test_add_business_time_skips_holidays():
    schedule = nine_to_five(holidays=frozenset({date(2025, 6, 3)}))
    # Monday 16:00 + 2h: 1h Monday, Tuesday is a holiday, 1h Wednesday.
    due = add_business_time(utc(2025, 6, 2, 16), timedelta(hours=2), schedule)
    assert due == utc(2025, 6, 4, 10)


def test_holiday_is_a_date_in_the_schedules_time_zone():
    # In Auckland (UTC+12 in June) Tuesday 3 June 09:00 local is Monday 21:00 UTC.
    schedule = nine_to_five("Pacific/Auckland", holidays=frozenset({date(2025, 6, 3)}))
    start = local("Pacific/Auckland", 2025, 6, 2, 16)  # Monday, one hour before closing
    due = add_business_time(start, timedelta(hours=2), schedule)
    assert due == local("Pacific/Auckland", 2025, 6, 4, 10)


def test_working_days_can_include_the_weekend():
    schedule = Schedule(timezone="UTC", start=time(10), end=time(14), days=(6, 7))
    # Friday noon + 5h: Saturday 10-14 (4h), Sunday 10-11.
    due = add_business_time(utc(2025, 6, 6, 12), timedelta(hours=5), schedule)
    assert due == utc(2025, 6, 8, 11)


def test_deadline_spans_dst_change_in_berlin():
    # Clocks go forward on Sunday 2025-03-30. Friday 16:00 CET + 2h: 1h on Friday,
    # 1h on Monday from 09:00 CEST, which is 07:00 UTC (not 08:00 as "+24h" would say).
    schedule = nine_to_five("Europe/Berlin")
    due = add_business_time(local("Europe/Berlin", 2025, 3, 28, 16), timedelta(hours=2), schedule)
    assert due == local("Europe/Berlin", 2025, 3, 31, 10)
    assert due == utc(2025, 3, 31, 8)


def test_deadline_spans_dst_end_in_berlin():
    # Clocks go back on Sunday 2025-10-26: Monday 09:00 CET is 08:00 UTC.
    schedule = nine_to_five("Europe/Berlin")
    due = add_business_time(local("Europe/Berlin", 2025, 10, 24, 16), timedelta(hours=2), schedule)
    assert due == utc(2025, 10, 27, 9)


def test_deadline_spans_dst_end_in_new_york():
    # Clocks go back on Sunday 2025-11-02: Monday 09:00 EST is 14:00 UTC (13:00 before).
    schedule = nine_to_five("America/New_York")
    due = add_business_time(
        local("America/New_York", 2025, 10, 31, 16), timedelta(hours=3), schedule
    )
    assert due == local("America/New_York", 2025, 11, 3, 11)
    assert due == utc(2025, 11, 3, 16)


def test_window_spanning_spring_forward_is_an_hour_shorter():
    # 01:00-04:00 every day in Berlin: on 2025-03-30 02:00 jumps to 03:00.
    schedule = Schedule(
        timezone="Europe/Berlin", start=time(1), end=time(4), days=tuple(range(1, 8))
    )
    day_start = local("Europe/Berlin", 2025, 3, 30, 0)
    day_end = local("Europe/Berlin", 2025, 3, 31, 0)
    assert business_time_between(day_start, day_end, schedule) == timedelta(hours=2)
    assert add_business_time(day_start, timedelta(hours=2), schedule) == local(
        "Europe/Berlin", 2025, 3, 30, 4
    )


def test_window_spanning_fall_back_is_an_hour_longer():
    schedule = Schedule(
        timezone="Europe/Berlin", start=time(1), end=time(4), days=tuple(range(1, 8))
    )
    day_start = local("Europe/Berlin", 2025, 10, 26, 0)
    day_end = local("Europe/Berlin", 2025, 10, 27, 0)
    assert business_time_between(day_start, day_end, schedule) == timedelta(hours=4)


def test_long_duration_skips_whole_weeks(monkeypatch):
    # 500 working hours is 62.5 working days; the walk must not visit ~90 days one by one.
    schedule = nine_to_five("Europe/Berlin")
    visited: list[date] = []
    original = Schedule.window

    def counting_window(self: Schedule, day: date) -> tuple[datetime, datetime] | None:
        visited.append(day)
        return original(self, day)

    monkeypatch.setattr(Schedule, "window", counting_window)
    due = add_business_time(local("Europe/Berlin", 2025, 1, 6, 9), timedelta(hours=500), schedule)

    # 12 weeks (480h) to Monday 31 March 09:00, now CEST, then 20h: Wednesday 13:00.
    assert due == local("Europe/Berlin", 2025, 4, 2, 13)
    assert len(visited) < 20


def test_long_duration_accounts_for_holidays_in_skipped_weeks():
    holidays = frozenset({date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 1)})
    schedule = nine_to_five("Europe/Berlin", holidays)
    start = local("Europe/Berlin", 2025, 4, 1, 9)
    due = add_business_time(start, timedelta(hours=200), schedule)
    # 25 working days from Tue 1 April, skipping the three holidays: Thu 8 May, 17:00.
    assert due == local("Europe/Berlin", 2025, 5, 8, 17)
    assert business_time_between(start, due, schedule) == timedelta(hours=200)


def test_add_business_time_rejects_naive_start():
    with pytest.raises(ValueError, match="aware"):
        add_business_time(datetime(2025, 6, 2, 9), timedelta(hours=1), nine_to_five())


def test_add_business_time_rejects_negative_duration():
    with pytest.raises(ValueError, match="negative"):
        add_business_time(utc(2025, 6, 2, 9), timedelta(hours=-1), nine_to_five())


def test_add_business_time_gives_up_when_no_working_day_for_ten_years():
    first = date(2025, 6, 2)
    holidays = frozenset(first + timedelta(days=i) for i in range(MAX_IDLE_DAYS + 30))
    with pytest.raises(ValueError, match="No working time"):
        add_business_time(utc(2025, 6, 2), timedelta(hours=1), nine_to_five(holidays=holidays))


# --- business_time_between ---------------------------------------------------------


def test_business_time_between_counts_only_working_hours():
    # Friday 15:00 to Tuesday 10:00: 2h + 8h + 1h.
    assert business_time_between(
        utc(2025, 6, 6, 15), utc(2025, 6, 10, 10), nine_to_five()
    ) == timedelta(hours=11)


def test_business_time_between_outside_hours_is_zero():
    assert business_time_between(
        utc(2025, 6, 6, 18), utc(2025, 6, 9, 8), nine_to_five()
    ) == timedelta(0)


def test_business_time_between_is_negative_when_reversed():
    a, b = utc(2025, 6, 2, 10), utc(2025, 6, 3, 10)
    assert business_time_between(b, a, nine_to_five()) == -timedelta(hours=8)


def test_business_time_between_undoes_add_business_time_over_a_year():
    schedule = nine_to_five("America/New_York", frozenset({date(2025, 7, 4), date(2025, 12, 25)}))
    start = local("America/New_York", 2025, 2, 14, 11, 15)
    due = add_business_time(start, timedelta(hours=1900), schedule)
    assert business_time_between(start, due, schedule) == timedelta(hours=1900)


def test_business_time_between_rejects_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        business_time_between(datetime(2025, 6, 2), utc(2025, 6, 3), nine_to_five())


# --- Schedule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": time(17), "end": time(9)}, "after start"),
        ({"days": ()}, "ISO weekdays"),
        ({"days": (0, 1)}, "ISO weekdays"),
        ({"timezone": "Mars/Olympus_Mons"}, "Unknown time zone"),
    ],
)
def test_schedule_rejects_invalid_configuration(kwargs, message):
    values = {"timezone": "UTC", "start": time(9), "end": time(17), "days": WEEKDAYS, **kwargs}
    with pytest.raises(ValueError, match=message):
        Schedule(**values)


def test_equal_schedules_are_equal_and_hashable():
    a = nine_to_five("Europe/Berlin", frozenset({date(2025, 12, 25)}))
    b = nine_to_five("Europe/Berlin", frozenset({date(2025, 12, 25)}))
    assert a == b
    assert hash(a) == hash(b)


# --- against a brute-force reference -----------------------------------------------

STEP = timedelta(minutes=30)


def reference_between(a: datetime, b: datetime, schedule: Schedule) -> timedelta:
    """Walk real time in 30-minute steps and ask the wall clock if each step is working time."""
    tz = ZoneInfo(schedule.timezone)
    total, moment = timedelta(0), a
    while moment < b:
        wall = moment.astimezone(tz)
        if (
            wall.isoweekday() in schedule.days
            and wall.date() not in schedule.holidays
            and schedule.start <= wall.time() < schedule.end
        ):
            total += STEP
        moment += STEP
    return total


@pytest.mark.parametrize(
    ("tz", "start", "end"),
    [
        ("Europe/Berlin", time(9), time(17)),
        ("Europe/Berlin", time(1), time(4)),  # contains the DST jump
        ("America/New_York", time(0, 30), time(3, 30)),  # contains the DST jump
        ("Australia/Sydney", time(8, 30), time(18)),
        ("Asia/Kolkata", time(9, 30), time(18, 30)),
    ],
)
def test_add_business_time_matches_brute_force_reference(tz, start, end):
    rng = random.Random(f"{tz}-{start}")
    for _ in range(10):
        days = tuple(sorted(rng.sample(range(1, 8), rng.randint(1, 7))))
        first = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
        holidays = frozenset(first + timedelta(days=rng.randrange(120)) for _ in range(6))
        schedule = Schedule(timezone=tz, start=start, end=end, days=days, holidays=holidays)
        # Starts and durations on the half hour, so the reference's steps land on them.
        begin = datetime.combine(first, time(0), tzinfo=UTC) + STEP * rng.randrange(48)
        duration = STEP * rng.randint(1, 400)

        due = add_business_time(begin, duration, schedule)

        assert reference_between(begin, due, schedule) == duration, (schedule, begin, duration)
        assert reference_between(begin, due - STEP, schedule) < duration  # the earliest such
        assert business_time_between(begin, due, schedule) == duration
