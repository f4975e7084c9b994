"""Working-time arithmetic for SLA clocks: pure functions, no database.

A :class:`Schedule` is a working window (``start``-``end`` wall-clock time) on some ISO
weekdays in one IANA time zone, minus holidays. Two questions are answered:

- :func:`add_business_time`: when has ``duration`` of working time elapsed after a moment?
  (an SLA deadline, or the moment its warning is due);
- :func:`business_time_between`: how much working time lies between two moments?
  (how far an SLA clock ran, e.g. while a ticket was paused).

Each day's window is built from local wall-clock times through :mod:`zoneinfo` and then
converted to UTC, never by adding 24 hours to yesterday's window, so a 09:00-17:00 day
stays 09:00-17:00 local across daylight-saving changes. Time is counted as real elapsed
time inside the windows: on the day clocks jump, a window that spans the jump is an hour
shorter (or longer).

Long durations skip whole weeks in one step (a week's working time is known without
visiting its days unless it contains a UTC-offset change), so a 500-hour target costs a
dozen cheap iterations, not a walk over ninety days.
"""

from __future__ import annotations

import bisect
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

#: Longest run of days without any working time before we give up: a schedule whose
#: holidays cover ten years is a configuration error, not a reason to loop forever.
MAX_IDLE_DAYS: Final = 3660

_ONE_DAY: Final = timedelta(days=1)
_ONE_WEEK: Final = timedelta(days=7)
_ZERO: Final = timedelta(0)


@dataclass(frozen=True)
class Schedule:
    """A working week in a time zone: the hours an SLA clock runs in.

    ``days`` are ISO weekdays (Monday 1 … Sunday 7); ``holidays`` are dates in the
    schedule's own time zone. The window is ``[start, end)`` on each working day.
    """

    timezone: str
    start: time
    end: time
    days: tuple[int, ...]
    holidays: frozenset[date] = frozenset()
    # Derived once, so the hot loops do set lookups and a bisect instead of re-parsing.
    _tz: zoneinfo.ZoneInfo = field(init=False, repr=False, compare=False)
    _weekdays: frozenset[int] = field(init=False, repr=False, compare=False)
    _sorted_holidays: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _window_length: timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("Schedule start and end are wall-clock times without a time zone.")
        if self.end <= self.start:
            raise ValueError(f"Schedule end {self.end} must be after start {self.start}.")
        if not self.days or any(
            isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7 for d in self.days
        ):
            raise ValueError(f"Schedule days {self.days!r} must be ISO weekdays from 1 to 7.")
        try:
            tz = zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"Unknown time zone {self.timezone!r}.") from exc
        object.__setattr__(self, "_tz", tz)
        object.__setattr__(self, "_weekdays", frozenset(self.days))
        object.__setattr__(self, "_sorted_holidays", tuple(sorted(self.holidays)))
        object.__setattr__(
            self,
            "_window_length",
            datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start),
        )

    @property
    def nominal_week(self) -> timedelta:
        """Working time of a week with no holiday and no UTC-offset change."""
        return self._window_length * len(self._weekdays)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of local ``day`` in UTC, or ``None`` on a day off.

        Wall-clock times that do not exist (inside a spring-forward gap) resolve with
        ``fold=0``; should that make the window empty, the day has no working time.
        """
        if day.isoweekday() not in self._weekdays or day in self.holidays:
            return None
        opens = datetime.combine(day, self.start, tzinfo=self._tz).astimezone(UTC)
        closes = datetime.combine(day, self.end, tzinfo=self._tz).astimezone(UTC)
        if closes <= opens:
            return None
        return opens, closes

    def week_work(self, first_day: date) -> timedelta:
        """Working time in the seven local days starting at ``first_day``.

        Without a UTC-offset change in the week every window lasts its wall-clock length,
        so the answer is arithmetic: the nominal week minus the holidays that fall on
        working days. A week with an offset change is summed day by day, because a
        change inside a window makes it shorter or longer. (A zone that changes its
        offset twice within one week and back again is assumed not to exist.)
        """
        after = first_day + _ONE_WEEK
        if _offset_at(first_day, self._tz) != _offset_at(after, self._tz):
            total = _ZERO
            for i in range(7):
                win = self.window(first_day + timedelta(days=i))
                if win is not None:
                    total += win[1] - win[0]
            return total
        lo = bisect.bisect_left(self._sorted_holidays, first_day)
        hi = bisect.bisect_left(self._sorted_holidays, after, lo)
        days_off = sum(1 for d in self._sorted_holidays[lo:hi] if d.isoweekday() in self._weekdays)
        return self._window_length * (len(self._weekdays) - days_off)

    def local_date(self, moment: datetime) -> date:
        """The date of ``moment`` in the schedule's time zone."""
        return moment.astimezone(self._tz).date()


def add_business_time(start: datetime, duration: timedelta, schedule: Schedule) -> datetime:
    """The moment ``duration`` of working time has elapsed after ``start``, in UTC.

    Used for SLA deadlines and warning moments. The result is the *earliest* such
    moment, so a target that is used up exactly at closing time is due at closing time,
    not at the next opening. A zero duration returns ``start``.

    Raises ``ValueError`` for a naive ``start``, a negative ``duration``, or a schedule
    with no working time for :data:`MAX_IDLE_DAYS` days in a row.
    """
    _require_aware(start, "start")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}.")
    moment = start.astimezone(UTC)
    if duration == _ZERO:
        return moment

    remaining = duration
    day = schedule.local_date(moment)
    nominal_week = schedule.nominal_week
    idle_days = 0
    # The first day may start mid-window; every later day starts at its opening.
    win = schedule.window(day)
    if win is not None:
        opens = max(win[0], moment)
        if opens < win[1]:
            available = win[1] - opens
            if remaining <= available:
                return opens + remaining
            remaining -= available
    day += _ONE_DAY

    while idle_days <= MAX_IDLE_DAYS:
        if remaining > nominal_week:
            worked = schedule.week_work(day)
            # A week with a fall-back change inside a window can hold more than nominal.
            if remaining > worked:
                remaining -= worked
                day += _ONE_WEEK
                idle_days = 0 if worked else idle_days + 7
                continue
        win = schedule.window(day)
        if win is None:
            idle_days += 1
        else:
            available = win[1] - win[0]
            if remaining <= available:
                return win[0] + remaining
            remaining -= available
            idle_days = 0
        day += _ONE_DAY
    raise ValueError(
        f"No working time within {MAX_IDLE_DAYS} days after {start.isoformat()}: "
        "check the schedule's working days and holidays."
    )


def business_time_between(a: datetime, b: datetime, schedule: Schedule) -> timedelta:
    """Working time from ``a`` to ``b`` (negative when ``b`` is before ``a``).

    Used to measure how far an SLA clock ran, e.g. the working time a paused ticket
    still had before its deadline. Raises ``ValueError`` for naive datetimes.
    """
    _require_aware(a, "a")
    _require_aware(b, "b")
    if b < a:
        return -business_time_between(b, a, schedule)
    lo, hi = a.astimezone(UTC), b.astimezone(UTC)
    first_day, last_day = schedule.local_date(lo), schedule.local_date(hi)
    total = _ZERO
    day = first_day
    while day <= last_day:
        if first_day < day and day + _ONE_WEEK <= last_day:
            # Seven whole days strictly inside (a, b): no clipping needed.
            total += schedule.week_work(day)
            day += _ONE_WEEK
            continue
        win = schedule.window(day)
        if win is not None:
            opens, closes = max(win[0], lo), min(win[1], hi)
            if opens < closes:
                total += closes - opens
        day += _ONE_DAY
    return total


def _offset_at(day: date, tz: zoneinfo.ZoneInfo) -> timedelta | None:
    return datetime.combine(day, time.min, tzinfo=tz).utcoffset()


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value.isoformat()}.")
