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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from forms.card import Card
from forms.config import Config
from forms.errors import BadInput
from forms.events import Event
from forms.store.repo import CardQuery, Store

EVENT_KEYS = ("id", "card_id", "type", "hlc", "actor", "payload", "device_id", "device_seq")


def site_timezone(config: Config) -> tzinfo:
    return ZoneInfo(str(config.sla["calendar"]["timezone"]))


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


def log_slice(store: Store, card_ids: Iterable[str]) -> LogSlice:
    events = [e for card_id in card_ids for e in store.card_events(card_id)]
    return LogSlice(len(events), hashlib.sha256(canonical_events(events)).hexdigest())
