"""Business calendar: working hours, weekends and holidays, for SLA deadlines.

Every datetime in and out is timezone-aware UTC; the site's local time (zoneinfo) is used only
inside, to decide which moments are working time. Pure: no clock, no files.

Public holidays, days off moved by decree and the weekend days that a decree makes working
come from the `holidays` library for the configured `country` (Russia by default), year by
year, so the calendar never runs out; the site adds its own days off (`holidays`) and its own
working dates (`working_dates`) on top (docs/decisions.md, "The business calendar").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as national_holidays

Unit = Literal["h", "bh", "bd", "d", "mo"]
BUSINESS_UNITS = frozenset({"bh", "bd"})
_DURATION = re.compile(r"(\d+)(bh|bd|mo|h|d)")
_NO_TIME = timedelta(0)
_ONE_DAY = timedelta(days=1)
DEFAULT_COUNTRY = "RU"


@dataclass(frozen=True)
class Duration:
    """An SLA period: "24h" calendar hours, "4bh" business hours, "2bd" business days,
    "7d" calendar days, "3mo" calendar months."""

    amount: int
    unit: Unit

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def times(self, factor: int) -> Duration:
        return Duration(self.amount * factor, self.unit)

    @property
    def is_business(self) -> bool:
        return self.unit in BUSINESS_UNITS


def parse_duration(text: str) -> Duration:
    """Parse the configuration's duration syntax; anything else is a ValueError."""
    match = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not a duration: {text!r} (expected e.g. 24h, 4bh, 2bd, 7d, 3mo)")
    return Duration(int(match.group(1)), cast(Unit, match.group(2)))


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: SafeCard works in aware UTC")
    return moment.astimezone(UTC)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class BusinessCalendar:
    """One site's working time: `workdays` (0 = Monday) from `start` to `end` local time,
    following the national calendar of `country` (None: weekdays only), except the site's own
    days off `holidays` and its own `working_dates` (local dates; a working date wins)."""

    timezone: str
    workdays: frozenset[int]
    start: time
    end: time
    holidays: frozenset[date]
    working_dates: frozenset[date] = frozenset()
    country: str | None = None
    subdivision: str | None = None
    _hours: dict[date, tuple[datetime, datetime] | None] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # A calendar with no working time would make business deadlines loop for ever.
        if not self.workdays or not self.workdays <= set(range(7)):
            raise ValueError("calendar.workdays must name at least one day, 0 (Mon) to 6 (Sun)")
        if self.end <= self.start:
            raise ValueError("calendar.end must be later than calendar.start")
        try:  # an unknown zone fails here, not at the first deadline
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"calendar.timezone: unknown zone {self.timezone!r}") from exc
        if self.country is not None:
            if not isinstance(self.country, str) or not isinstance(
                    self.subdivision, str | None):
                raise ValueError("calendar.country and calendar.subdivision must be text")
            _national(self.country, self.subdivision, 2000)  # an unknown country fails here

    @classmethod
    def from_config(cls, sla_config: dict[str, Any]) -> BusinessCalendar:
        """Build from `config.sla` (or from its "calendar" entry directly). A calendar
        that names no `country` follows Russia's; `"country": null` follows none."""
        cal = sla_config.get("calendar", sla_config)
        return _cached(
            cal["timezone"],
            tuple(sorted(set(cal["workdays"]))),
            cal["start"],
            cal["end"],
            tuple(sorted(set(cal.get("holidays", [])))),
            tuple(sorted(set(cal.get("working_dates", [])))),
            cal.get("country", DEFAULT_COUNTRY),
            cal.get("subdivision"),
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def day_length(self) -> timedelta:
        """Nominal working time of one day on the wall clock (a DST night does not change
        it, because working hours never span one in practice)."""
        today = date(2000, 1, 3)
        return datetime.combine(today, self.end) - datetime.combine(today, self.start)

    def is_working_day(self, day: date) -> bool:
        if day in self.working_dates:
            return True
        if day in self.holidays:
            return False
        if self.country is not None:
            days_off, working_weekend = _national(self.country, self.subdivision, day.year)
            if day in days_off:
                return False
            if day in working_weekend:
                return True
        return day.weekday() in self.workdays

    def hours_of(self, day: date) -> tuple[datetime, datetime] | None:
        """Opening and closing of a local date as UTC, or None on a day off."""
        return _hours_of(self, day)

    def _local_date(self, moment: datetime) -> date:
        return _utc(moment).astimezone(self.zone).date()

    def _days_from(self, day: date, step: int) -> Iterator[tuple[datetime, datetime]]:
        while True:
            hours = self.hours_of(day)
            if hours is not None:
                yield hours
            day += timedelta(days=step)

    def is_working_time(self, moment: datetime) -> bool:
        hours = self.hours_of(self._local_date(moment))
        return hours is not None and hours[0] <= _utc(moment) < hours[1]

    def business_seconds(self, a: datetime, b: datetime) -> float:
        """Working seconds between a and b (negative when b is before a)."""
        a, b = _utc(a), _utc(b)
        if b < a:
            return -self.business_seconds(b, a)
        total = _NO_TIME
        day, last = self._local_date(a), self._local_date(b)
        while day <= last:
            hours = self.hours_of(day)
            if hours is not None:
                total += max(_NO_TIME, min(hours[1], b) - max(hours[0], a))
            day += timedelta(days=1)
        return total.total_seconds()

    def end_of_day(self, day: date) -> datetime:
        """Closing time of `day`, or of the next working day if it is a day off (action due
        dates are dates; the action is due when that working day ends)."""
        return next(self._days_from(day, 1))[1]

    def add(self, start: datetime, duration: Duration) -> datetime:
        """The due moment of a period that starts at `start`.

        - h: elapsed hours; d: N × 24 elapsed hours (a week stays 168 h across DST, and
          deadlines stay monotone in their start).
        - mo: the same local wall-clock time N months later, the day of month clamped to the
          month's last day (31 Jan + 1mo = 28 Feb).
        - bh: the earliest moment by which N hours of working time have passed since `start`;
          a start outside working hours therefore begins at the next opening, and a period that
          ends exactly at closing is due at closing (not the next morning).
        - bd: N × (end − start) business hours, i.e. N whole working days of working time:
          with 08:00–17:00, Friday 16:00 + 1bd = Monday 16:00, Saturday + 1bd = Monday 17:00.
        """
        start = _utc(start)
        if duration.unit == "h":
            return start + timedelta(hours=duration.amount)
        if duration.unit == "d":
            return start + timedelta(days=duration.amount)
        if duration.unit == "mo":
            return self._add_months(start, duration.amount)
        return self._add_working(start, self._working(duration))

    def subtract(self, due: datetime, duration: Duration) -> datetime:
        """The mirror of `add`: the latest moment that is `duration` before `due` (for
        reminders "4bh before the deadline")."""
        due = _utc(due)
        if duration.unit == "h":
            return due - timedelta(hours=duration.amount)
        if duration.unit == "d":
            return due - timedelta(days=duration.amount)
        if duration.unit == "mo":
            return self._add_months(due, -duration.amount)
        return self._subtract_working(due, self._working(duration))

    def _working(self, duration: Duration) -> timedelta:
        if duration.unit == "bh":
            return timedelta(hours=duration.amount)
        return self.day_length * duration.amount

    def _add_working(self, start: datetime, remaining: timedelta) -> datetime:
        if remaining <= _NO_TIME:
            return start
        # Day by day, as _days_from would, through a per-calendar dict: every card's
        # deadlines walk these days (the projection computes next_due for each card it
        # writes), and the lru_cache key would hash the whole calendar at every step.
        day, known = self._local_date(start), self._hours
        while True:
            hours = known[day] if day in known else known.setdefault(day, _hours_of(self, day))
            day += _ONE_DAY
            if hours is None:
                continue
            opening, closing = hours
            begin = max(opening, start)
            if begin >= closing:
                continue
            if remaining <= closing - begin:
                return begin + remaining
            remaining -= closing - begin

    def _subtract_working(self, due: datetime, remaining: timedelta) -> datetime:
        if remaining <= _NO_TIME:
            return due
        for opening, closing in self._days_from(self._local_date(due), -1):
            finish = min(closing, due)
            if finish <= opening:
                continue
            if remaining <= finish - opening:
                return finish - remaining
            remaining -= finish - opening
        raise AssertionError("unreachable: a calendar always has another working day")

    def _add_months(self, moment: datetime, months: int) -> datetime:
        local = moment.astimezone(self.zone)
        index = local.year * 12 + local.month - 1 + months
        year, month = divmod(index, 12)
        month += 1
        next_first = date(year + month // 12, month % 12 + 1, 1)
        last_day = (next_first - timedelta(days=1)).day
        # A wall time in a DST gap resolves forward (fold=0), which is what a person expects.
        target = local.replace(year=year, month=month, day=min(local.day, last_day), fold=0)
        return target.astimezone(UTC)


@lru_cache(maxsize=32)
def _cached(
    timezone: str, workdays: tuple[int, ...], start: str, end: str, holidays: tuple[str, ...],
    working_dates: tuple[str, ...], country: str | None, subdivision: str | None,
) -> BusinessCalendar:
    # Cached by value: every card's deadlines need the calendar, the config rarely changes.
    return BusinessCalendar(
        timezone=timezone,
        workdays=frozenset(workdays),
        start=_clock(start),
        end=_clock(end),
        holidays=frozenset(date.fromisoformat(d) for d in holidays),
        working_dates=frozenset(date.fromisoformat(d) for d in working_dates),
        country=country,
        subdivision=subdivision,
    )


@lru_cache(maxsize=256)
def _national(country: str, subdivision: str | None, year: int,
              ) -> tuple[frozenset[date], frozenset[date]]:
    """A country's public holidays and moved days off of one year, and its weekend days
    made working by decree (Russia moves days every year; the library follows the decrees,
    and for years not decreed yet it applies the Labour Code's rules)."""
    try:
        found = national_holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError as exc:
        raise ValueError(f"calendar.country: no national calendar for {country!r}"
                         f"{f' / {subdivision!r}' if subdivision else ''}") from exc
    return frozenset(found), frozenset(found.weekend_workdays)


@lru_cache(maxsize=4096)
def _hours_of(cal: BusinessCalendar, day: date) -> tuple[datetime, datetime] | None:
    if not cal.is_working_day(day):
        return None
    zone = cal.zone
    opening = datetime.combine(day, cal.start, tzinfo=zone).astimezone(UTC)
    closing = datetime.combine(day, cal.end, tzinfo=zone).astimezone(UTC)
    return opening, closing
