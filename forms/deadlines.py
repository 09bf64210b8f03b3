"""SLA deadlines of a card and how they stand at a given moment.

Pure functions of (card, config, now): reminders, overdue marks and escalations are tested by
passing a different `now`, never by waiting. The store keeps `next_due` in its projection so
"overdue" is an index query; `is_overdue(card, config, now)` is exactly `next_due < now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from forms.calendar import BusinessCalendar, Duration, parse_duration
from forms.card import Card
from forms.config import Config

DeadlineKind = Literal["acknowledge", "assess", "action", "resolve"]


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    due: datetime
    met_at: datetime | None
    owner: str | None
    ref: str | None = None  # the action id, for action deadlines


@dataclass(frozen=True)
class DeadlineStatus:
    deadline: Deadline
    overdue: bool  # unmet and now > due
    late: bool  # met, but after the due time
    remind: bool  # unmet, not yet overdue, within remind_before of the due time
    escalation_level: int  # 0 = with its owner; n = with card.chain[n]
    escalated_to: str | None


def _profile(card: Card, config: Config) -> dict[str, Any] | None:
    kind = config.kinds.get(card.kind)
    name = card.sla_profile or (kind.sla_profile if kind else card.kind)
    profile: dict[str, Any] | None = config.sla.get("profiles", {}).get(name)
    return profile


def _period(spec: Any, band: str | None) -> Duration:
    """A profile entry is either one duration or a table by risk band with a "default"."""
    if isinstance(spec, dict):
        return parse_duration(spec.get(band or "default") or spec["default"])
    return parse_duration(spec)


def compute_deadlines(card: Card, config: Config) -> list[Deadline]:
    """Acknowledge, assess (risk kinds whose profile has it), one per live action, resolve.

    A card whose profile is not configured gets none rather than breaking every list it is in.
    """
    profile = _profile(card, config)
    if card.filed_at is None or profile is None:
        return []
    cal = BusinessCalendar.from_config(config.sla)
    filed = card.filed_at
    deadlines = [
        Deadline("acknowledge", cal.add(filed, _period(profile["acknowledge"], None)),
                 card.acknowledged_at, card.supervisor)
    ]
    kind = config.kinds.get(card.kind)
    if "assess" in profile and kind is not None and kind.risk:
        # Before assessment there is no band yet, so the assess clock is the profile default.
        deadlines.append(Deadline("assess", cal.add(filed, _period(profile["assess"], None)),
                                  card.assessed_at, card.supervisor))
    for action in card.actions.values():
        if action.status != "cancelled":
            due = cal.end_of_day(date.fromisoformat(action.due))
            deadlines.append(Deadline("action", due, action.done_at, action.owner, action.id))
    resolve_from = card.reopened_at or filed
    deadlines.append(
        Deadline("resolve", cal.add(resolve_from, _period(profile["resolve"], card.risk_band)),
                 card.closed_at, card.supervisor)
    )
    if not card.is_open:
        # A closed or rejected card owes nothing more: what was still open ended with it.
        ended = card.closed_at or card.updated_at or filed
        deadlines = [d if d.met_at else _met(d, ended) for d in deadlines]
    return deadlines


def _met(deadline: Deadline, at: datetime) -> Deadline:
    return Deadline(deadline.kind, deadline.due, at, deadline.owner, deadline.ref)


def _escalation_level(
    card: Card, cal: BusinessCalendar, due: datetime, every: Duration | None, now: datetime
) -> int:
    """1 as soon as overdue, +1 per `escalate_every` since; capped at the end of the chain.

    Counting whole steps with `cal.add(due, every × k)` is the same as floor(business seconds
    overdue / step) for business units (add is additive) and plain seconds for calendar ones,
    and also gives months a meaning.
    """
    top = max(len(card.chain) - 1, 0)
    level = min(1, top)
    while every is not None and level < top and now >= cal.add(due, every.times(level)):
        level += 1
    return level


def evaluate(card: Card, config: Config, now: datetime) -> list[DeadlineStatus]:
    deadlines = compute_deadlines(card, config)
    if not deadlines:
        return []
    profile = _profile(card, config) or {}
    cal = BusinessCalendar.from_config(config.sla)
    remind_before = profile.get("remind_before")
    every = profile.get("escalate_every")
    every_d = parse_duration(every) if every else None
    statuses = []
    for d in deadlines:
        overdue = d.met_at is None and now > d.due
        late = d.met_at is not None and d.met_at > d.due
        remind = (
            d.met_at is None
            and not overdue
            and remind_before is not None
            and now >= cal.subtract(d.due, parse_duration(remind_before))
        )
        level = _escalation_level(card, cal, d.due, every_d, now) if overdue else 0
        escalated_to = card.chain[level] if level > 0 else None
        statuses.append(DeadlineStatus(d, overdue, late, remind, level, escalated_to))
    return statuses


def next_due(card: Card, config: Config) -> datetime | None:
    """The earliest unmet due time; the projection stores it so overdue is `next_due < now`."""
    return min((d.due for d in compute_deadlines(card, config) if d.met_at is None), default=None)


def is_overdue(card: Card, config: Config, now: datetime) -> bool:
    due = next_due(card, config)
    return due is not None and due < now
