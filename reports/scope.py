"""What a report covers, and a fingerprint of the event log it was built from.

A period is a pair of calendar days in the site calendar's timezone (Moscow by default), both
included: 1–31 October means from 1 October 00:00 to 1 November 00:00 local time, so a card
filed at 23:30 on the 31st in Moscow is in October even though it is the 31st 20:30 in UTC.

The digest lets an auditor prove what a printed report showed: SHA-256 over the canonical
JSON of every event of the cards in scope, ordered by (HLC, id) — the order the fold uses —
as a JSON array of objects with exactly the keys of `EVENT_KEYS`, keys sorted, no spaces,
UTF-8, non-ASCII kept as is. Anyone holding the same log can recompute it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from forms import display
from forms.card import Card
from forms.config import Config
from forms.errors import BadInput
from forms.events import Event
from forms.store.repo import CardQuery, Store

EVENT_KEYS = ("id", "card_id", "type", "hlc", "actor", "payload", "device_id", "device_seq")


def site_timezone(config: Config) -> tzinfo:
    return config.zone


@dataclass(frozen=True)
class Period:
    """Calendar days `first`..`last`, both included, in `tz`."""

    first: date
    last: date
    tz: tzinfo

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise BadInput("bad_period", date_from=self.first.isoformat(),
                           date_to=self.last.isoformat())

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, self.tz)

    @property
    def end(self) -> datetime:
        """The first moment after the period (exclusive bound)."""
        return datetime.combine(self.last + timedelta(days=1), time.min, self.tz)

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


@dataclass(frozen=True)
class Scope:
    period: Period
    site: str | None = None
    department: str | None = None

    def query(self) -> CardQuery:
        return CardQuery(filed_from=self.period.start, filed_to=self.period.end,
                         site=self.site, department=self.department)


def cards_in_scope(store: Store, scope: Scope) -> list[Card]:
    """The cards filed in the period, oldest first (the order a report lists them)."""
    return store.list_cards(scope.query(), newest_first=False)


@dataclass(frozen=True)
class LogSlice:
    events: int
    sha256: str


def canonical_events(events: Iterable[Event]) -> bytes:
    ordered = sorted(events, key=lambda e: e.sort_key)
    plain: list[dict[str, Any]] = [{k: getattr(e, k) for k in EVENT_KEYS} for e in ordered]
    return json.dumps(plain, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def _canonical(event: Event) -> bytes:
    return json.dumps({k: getattr(event, k) for k in EVENT_KEYS}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def scope_log_slice(store: Store, scope: Scope) -> LogSlice:
    """The digest of every event of the cards in scope, streamed from the store in (HLC, id)
    order and hashed as it comes: the same bytes as `canonical_events` (a JSON array is its
    items joined by ","), in constant memory."""
    digest = hashlib.sha256(b"[")
    count = 0
    for event in store.query_events(scope.query()):
        if count:
            digest.update(b",")
        digest.update(_canonical(event))
        count += 1
    digest.update(b"]")
    return LogSlice(count, digest.hexdigest())


def log_slice(store: Store, card_ids: Iterable[str]) -> LogSlice:
    events = [e for card_id in card_ids for e in store.card_events(card_id)]
    return LogSlice(len(events), hashlib.sha256(canonical_events(events)).hexdigest())


# ---- named periods: a calendar month "2026-10" or an ISO week "2026-W43" --------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-[Ww](\d{2})$")


def parse_period(text: str, tz: tzinfo) -> Period:
    """A planning period: "YYYY-MM" (a calendar month) or "YYYY-Www" (an ISO week, Monday to
    Sunday). Raises BadInput("bad_report_period") for anything else."""
    value = (text or "").strip()
    try:
        if m := _MONTH.match(value):
            first = date(int(m[1]), int(m[2]), 1)
            return Period(first, _month_end(first), tz)
        if m := _WEEK.match(value):
            first = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return Period(first, first + timedelta(days=6), tz)
    except ValueError:
        pass
    raise BadInput("bad_report_period", value=text)


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def is_month(period: Period) -> bool:
    return display.is_month(period.first, period.last)


def is_week(period: Period) -> bool:
    return display.is_week(period.first, period.last)


def period_name(period: Period) -> str:
    """"2026-10", "2026-W43", or "2026-10-01..2026-10-15" for any other span."""
    if is_month(period):
        return f"{period.first:%Y-%m}"
    if is_week(period):
        year, week, _ = period.first.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{period.first.isoformat()}..{period.last.isoformat()}"


def previous_period(period: Period) -> Period:
    """The month before a month, the week before a week, else the same number of days."""
    if is_month(period):
        last = period.first - timedelta(days=1)
        return Period(last.replace(day=1), last, period.tz)
    days = period.last - period.first + timedelta(days=1)
    return Period(period.first - days, period.last - days, period.tz)


def trailing_periods(period: Period, count: int) -> list[Period]:
    """`count` periods ending with `period`, oldest first."""
    periods = [period]
    while len(periods) < count:
        periods.insert(0, previous_period(periods[0]))
    return periods


def period_months(period: Period) -> list[str]:
    """The calendar months ("YYYY-MM") LTIFR is taken over for a period: the month itself;
    for a week, the month its Thursday falls in (the ISO rule for which year a week is in);
    for another span, every month it touches."""
    if is_week(period):
        return [f"{period.first + timedelta(days=3):%Y-%m}"]
    months = []
    day = period.first.replace(day=1)
    while day <= period.last:
        months.append(f"{day:%Y-%m}")
        day = _month_end(day) + timedelta(days=1)
    return months
