"""Figures over a set of cards: pure functions, shared by the PDFs, the dashboard and the CLI.

Nothing here reads a store or a clock: the caller passes the cards (usually those filed in a
period, see `reports.scope`) and the moment `now` at which deadlines are judged, so the same
inputs always give the same figures. Durations are real elapsed time between aware moments,
so a period crossing a daylight-saving change counts the hour it gained or lost.

Public API (the dashboard calls these; docs/reports.md defines every figure):

    count_by(cards, dimension)            -> dict[str, int]      counts by kind/site/…
    kind_state_counts(cards, config)      -> KindStateCounts     kind × state table
    time_to_acknowledge(cards)            -> DurationStats       hours, median and mean
    time_to_resolve(cards)                -> DurationStats
    sla_compliance(cards, config, now)    -> dict[str, SlaFigure] per deadline kind
    overdue_items(cards, config, now)     -> list[DeadlineItem]
    escalated_items(cards, config, now)   -> list[DeadlineItem]
    change(current, previous)             -> Change              delta and % vs previous
    compare_counts(current, previous)     -> dict[str, Change]
    loyalty_index(cards)                  -> Loyalty             (pos − neg) / (pos + neg)
    steps_skipped(cards, config)          -> dict[str, int]      complaint steps not done
    recurring_problems(cards, earlier)    -> list[Recurrence]
    risk_distribution(cards, config)      -> RiskDistribution    bands and 5×5 cells
    action_timeliness(cards, config, now) -> ActionTimeliness    closed on time / late
    ltifr(config, months, site)           -> Ltifr               per 1,000,000 man-hours
    motivation(cards)                     -> Motivation          best worker / best unit
    agenda(cards, config)                 -> list[Card]          high risks, awaiting decision
    summarize(cards, config, now)         -> PeriodFigures       all of the above at once
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from forms import deadlines
from forms import risk as risk_rules
from forms.card import STATES, Action, Card
from forms.config import Config

#: What `count_by` can count by: card attributes, then card fields.
DIMENSIONS = ("kind", "state", "site", "department", "category", "location", "cause",
              "emotional_state", "outcome", "sentiment")
_ATTRIBUTES = frozenset({"kind", "state"})
NONE_KEY = ""  # the key for cards without a value (shown as "—")

DEADLINE_KINDS = ("acknowledge", "assess", "action", "resolve")
#: Open states in which the card waits for its supervisor's decision (assess, plan, verify).
AWAITING_DECISION = ("filed", "assessing", "verifying", "reopened")


# ---- counts ------------------------------------------------------------------------------


def value_of(card: Card, dimension: str) -> str:
    """The card's value for a dimension ("" when it has none)."""
    if dimension in _ATTRIBUTES:
        return str(getattr(card, dimension) or NONE_KEY)
    value = card.fields.get(dimension)
    if dimension == "sentiment" and card.kind == "complaint" and not value:
        return "negative"  # the field's default
    return NONE_KEY if value is None else str(value)


def count_by(cards: Iterable[Card], dimension: str, *, kind: str | None = None) -> dict[str, int]:
    """Cards counted by one dimension (see DIMENSIONS), largest count first, ties by key.

    `kind` restricts the count to one card kind (e.g. causes of complaints). Cards with no
    value are counted under NONE_KEY ("") only for "site", "department" and "location";
    for kind-specific fields (category, cause, …) a card without the field is left out.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; one of {DIMENSIONS}")
    keep_empty = dimension in ("site", "department", "location")
    counts: Counter[str] = Counter()
    for card in cards:
        if kind is not None and card.kind != kind:
            continue
        value = value_of(card, dimension)
        if value or keep_empty:
            counts[value] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class KindStateCounts:
    """Cards counted by kind × state, with the rows and columns a table should show."""

    counts: Mapping[tuple[str, str], int]
    kinds: tuple[str, ...]  # configured kinds first, then any others found, in that order
    states: tuple[str, ...]  # workflow order; "draft" only if some card is one

    def get(self, kind: str, state: str) -> int:
        return self.counts.get((kind, state), 0)

    def kind_total(self, kind: str) -> int:
        return sum(self.get(kind, s) for s in self.states)

    def state_total(self, state: str) -> int:
        return sum(self.get(k, state) for k in self.kinds)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def kind_state_counts(cards: Iterable[Card], config: Config) -> KindStateCounts:
    counts = Counter((c.kind, c.state) for c in cards)
    seen_kinds = {k for k, _ in counts}
    kinds = tuple(config.kinds) + tuple(sorted(seen_kinds - set(config.kinds)))
    seen_states = {s for _, s in counts}
    states = tuple(s for s in STATES if s != "draft" or "draft" in seen_states)
    states += tuple(sorted(seen_states - set(STATES)))
    return KindStateCounts(dict(counts), kinds, states)


# ---- change against the previous period ---------------------------------------------------


@dataclass(frozen=True)
class Change:
    current: float
    previous: float

    @property
    def delta(self) -> float:
        return self.current - self.previous

    @property
    def percent(self) -> float | None:
        """Change in % of the previous value; None when the previous value is 0."""
        if not self.previous:
            return None
        return 100.0 * (self.current - self.previous) / self.previous


def change(current: float, previous: float) -> Change:
    return Change(current, previous)


def compare_counts(current: Mapping[str, int], previous: Mapping[str, int]) -> dict[str, Change]:
    """Every key of either side, in the current side's order, then keys only in previous."""
    keys = list(current) + [k for k in previous if k not in current]
    return {k: Change(current.get(k, 0), previous.get(k, 0)) for k in keys}


# ---- speed and deadlines ------------------------------------------------------------------


@dataclass(frozen=True)
class DurationStats:
    """Elapsed hours over the cards that have both ends; None figures when there are none."""

    count: int
    median_hours: float | None
    mean_hours: float | None


def _hours(pairs: Iterable[tuple[datetime | None, datetime | None]]) -> DurationStats:
    # In UTC: Python subtracts two moments of the same zone by wall clock, which would hide
    # the hour a daylight-saving change adds or removes.
    values = [(end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 3600
              for start, end in pairs
              if start is not None and end is not None]
    if not values:
        return DurationStats(0, None, None)
    return DurationStats(len(values), statistics.median(values), statistics.fmean(values))


def time_to_acknowledge(cards: Iterable[Card]) -> DurationStats:
    """Filing to first response by someone other than the reporter (`acknowledged_at`)."""
    return _hours((c.filed_at, c.acknowledged_at) for c in cards)


def time_to_resolve(cards: Iterable[Card]) -> DurationStats:
    """Filing to closing, over cards closed now (a reopened card counts again only once it
    is closed again, and then from its first filing: the reporter waited all that time).
    Rejected cards are left out: nothing was resolved."""
    return _hours((c.filed_at, c.closed_at) for c in cards if c.state == "closed")


def deadline_statuses(card: Card, config: Config,
                      now: datetime) -> list[deadlines.DeadlineStatus]:
    return deadlines.evaluate(card, config, now)


def overdue(statuses: Iterable[deadlines.DeadlineStatus]) -> list[deadlines.DeadlineStatus]:
    return [s for s in statuses if s.overdue]


@dataclass(frozen=True)
class SlaFigure:
    """One deadline kind: of the deadlines that fell due (met, or overdue at `now`), how many
    were met on time. Deadlines not yet due and still open are not counted."""

    kind: str
    due: int
    on_time: int

    @property
    def late_or_overdue(self) -> int:
        return self.due - self.on_time

    @property
    def percent(self) -> float | None:
        return 100.0 * self.on_time / self.due if self.due else None


def sla_compliance(cards: Iterable[Card], config: Config,
                   now: datetime) -> dict[str, SlaFigure]:
    """In-SLA figures per deadline kind (DEADLINE_KINDS order; every kind present)."""
    due: Counter[str] = Counter()
    on_time: Counter[str] = Counter()
    for card in cards:
        for s in deadlines.evaluate(card, config, now):
            d = s.deadline
            if d.met_at is None and not s.overdue:
                continue
            due[d.kind] += 1
            if d.met_at is not None and not s.late:
                on_time[d.kind] += 1
    return {k: SlaFigure(k, due[k], on_time[k]) for k in DEADLINE_KINDS}


@dataclass(frozen=True)
class DeadlineItem:
    card: Card
    status: deadlines.DeadlineStatus

    @property
    def owner(self) -> str | None:
        return self.status.deadline.owner


def overdue_items(cards: Iterable[Card], config: Config, now: datetime) -> list[DeadlineItem]:
    """Every deadline unmet and past due at `now`, most overdue first (ties by card id)."""
    items = [DeadlineItem(c, s) for c in cards for s in deadlines.evaluate(c, config, now)
             if s.overdue]
    return sorted(items, key=lambda i: (i.status.deadline.due, i.card.id))


def escalated_items(cards: Iterable[Card], config: Config, now: datetime) -> list[DeadlineItem]:
    """The overdue deadlines that have gone up the card's escalation chain."""
    return [i for i in overdue_items(cards, config, now) if i.status.escalated_to]


# ---- actions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LateAction:
    card: Card
    action: Action
    due: datetime
    done_at: datetime


@dataclass(frozen=True)
class ActionTimeliness:
    on_time: int  # done by the end of the due day (site calendar)
    late: int  # done after it
    open_overdue: int  # not done, past due at `now`
    open: int  # not done, not yet due
    late_actions: tuple[LateAction, ...] = ()

    @property
    def closed(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_percent(self) -> float | None:
        return 100.0 * self.on_time / self.closed if self.closed else None


def action_timeliness(cards: Iterable[Card], config: Config, now: datetime) -> ActionTimeliness:
    """Corrective actions (cancelled ones left out) by whether they were done on time."""
    on_time = late = open_overdue = still_open = 0
    late_actions: list[LateAction] = []
    for card in cards:
        for s in deadlines.evaluate(card, config, now):
            d = s.deadline
            if d.kind != "action" or d.ref is None:
                continue
            action = card.actions[d.ref]
            if action.status == "done" and action.done_at is not None:
                if action.done_at > d.due:
                    late += 1
                    late_actions.append(LateAction(card, action, d.due, action.done_at))
                else:
                    on_time += 1
            elif now > d.due:
                open_overdue += 1
            else:
                still_open += 1
    late_actions.sort(key=lambda a: (a.due, a.card.id, a.action.id))
    return ActionTimeliness(on_time, late, open_overdue, still_open, tuple(late_actions))


# ---- complaints ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Loyalty:
    positive: int
    negative: int

    @property
    def value(self) -> float | None:
        """(positive − negative) / (positive + negative), from −1 to +1; None with no mentions."""
        total = self.positive + self.negative
        return (self.positive - self.negative) / total if total else None


def loyalty_index(cards: Iterable[Card]) -> Loyalty:
    """Over complaint-kind cards by their `sentiment` (neutral or other values left out)."""
    counts = count_by(cards, "sentiment", kind="complaint")
    return Loyalty(counts.get("positive", 0), counts.get("negative", 0))


def steps_skipped(cards: Iterable[Card], config: Config) -> dict[str, int]:
    """For negative complaints, how often each of the five steps was not done; every step
    appears (in the configured order), most skipped first."""
    steps = list(config.lists.get("complaint_steps", []))
    counts = dict.fromkeys(steps, 0)
    for card in cards:
        if card.kind != "complaint" or value_of(card, "sentiment") != "negative":
            continue
        done = set(card.fields.get("steps_done") or [])
        for step in steps:
            if step not in done:
                counts[step] += 1
    order = {s: i for i, s in enumerate(steps)}
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], order[kv[0]])))


# ---- recurring problems -------------------------------------------------------------------


@dataclass(frozen=True)
class Recurrence:
    """Cards of one kind with the same category (cause for complaints) at the same site and
    location (compared without case and extra spaces; `location` as the first card wrote it).
    `cards` are those in the period, oldest first; `repeats_of_closed` are those filed after
    an earlier card of the same group had been closed (its actions did not work)."""

    kind: str
    category: str
    site: str
    location: str
    cards: tuple[Card, ...]
    repeats_of_closed: tuple[Card, ...]

    @property
    def count(self) -> int:
        return len(self.cards)


def problem_key(card: Card) -> tuple[str, str, str, str]:
    category = value_of(card, "category") or value_of(card, "cause")
    location = " ".join(value_of(card, "location").lower().split())
    return card.kind, category, value_of(card, "site"), location


def recurring_problems(cards: Iterable[Card], earlier: Iterable[Card] = ()) -> list[Recurrence]:
    """Groups (see `problem_key`) with two or more cards in the period, or with a card that
    repeats a closed one (from the period or from `earlier` cards, e.g. the previous
    periods'). Safety ideas are not problems. Largest group first."""
    groups: dict[tuple[str, str, str, str], list[Card]] = defaultdict(list)
    for card in cards:
        if card.kind != "safety_idea" and card.filed_at is not None:
            key = problem_key(card)
            if key[1]:
                groups[key].append(card)
    closed: dict[tuple[str, str, str, str], list[datetime]] = defaultdict(list)
    for card in [*earlier, *(c for g in groups.values() for c in g)]:
        if card.state == "closed" and card.closed_at is not None:
            closed[problem_key(card)].append(card.closed_at)
    result = []
    for key, members in groups.items():
        members.sort(key=lambda c: (c.filed_at, c.id))
        repeats = tuple(c for c in members
                        if any(t < c.filed_at for t in closed.get(key, ())))  # type: ignore[operator]
        if len(members) >= 2 or repeats:
            written = " ".join(value_of(members[0], "location").split())
            result.append(Recurrence(*key[:3], written, tuple(members), repeats))
    result.sort(key=lambda r: (-r.count, -len(r.repeats_of_closed), r.kind, r.category, r.site,
                               r.location))
    return result


# ---- risk ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskDistribution:
    bands: dict[str, int]  # every configured band, lowest first
    cells: dict[tuple[int, int], int]  # (severity, likelihood) -> cards, 1-based
    levels: int
    not_assessed: int  # cards of risk kinds with no rating yet

    @property
    def assessed(self) -> int:
        return sum(self.bands.values())


def risk_distribution(cards: Iterable[Card], config: Config, *,
                      rating: str = "initial") -> RiskDistribution:
    """Cards of risk-rated kinds by band and by matrix cell. `rating` is "initial" (as
    assessed) or "current" (the residual rating once verified, else the initial one)."""
    bands = {b["name"]: 0 for b in config.risk["bands"]}
    cells: Counter[tuple[int, int]] = Counter()
    not_assessed = 0
    for card in cards:
        kind = config.kind(card.kind)
        if kind is None or not kind.risk:
            continue
        r = card.risk_initial if rating == "initial" else (card.risk_residual
                                                            or card.risk_initial)
        if r is None:
            not_assessed += 1
            continue
        bands[r.band] = bands.get(r.band, 0) + 1
        cells[(r.severity, r.likelihood)] += 1
    return RiskDistribution(bands, dict(cells), int(config.risk["levels"]), not_assessed)


def high_bands(config: Config) -> frozenset[str]:
    """The bands that go on a meeting's agenda: from `breach_min_band` ("high") upwards, or
    the top two bands when that is not configured."""
    names = [b["name"] for b in config.risk["bands"]]
    floor = config.risk.get("breach_min_band")
    start = names.index(floor) if floor in names else max(len(names) - 2, 0)
    return frozenset(names[start:])


def agenda(cards: Iterable[Card], config: Config) -> list[Card]:
    """Open cards that need a decision at the meeting: open high/critical risks, then other
    cards waiting for their supervisor (AWAITING_DECISION), oldest first within each."""
    high = high_bands(config)
    risky, waiting = [], []
    for card in cards:
        if not card.is_open:
            continue
        if card.risk_band in high:
            risky.append(card)
        elif card.state in AWAITING_DECISION:
            waiting.append(card)

    def order(c: Card) -> tuple[Any, ...]:
        rank = -risk_rules.band_rank(c.risk_band, config) if c.risk_band in high else 0
        return rank, c.filed_at, c.id

    return sorted(risky, key=order) + sorted(waiting, key=order)


# ---- LTIFR --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ltifr:
    months: tuple[str, ...]
    injuries: int
    man_hours: float

    @property
    def value(self) -> float | None:
        """Lost-time injuries × 1,000,000 / man-hours; None without man-hours."""
        return self.injuries * 1_000_000 / self.man_hours if self.man_hours else None


def _month_total(table: Any, month: str, site: str | None) -> float:
    entry = table.get(month) if isinstance(table, Mapping) else None
    if isinstance(entry, int | float):
        return float(entry) if site is None else 0.0
    if not isinstance(entry, Mapping):
        return 0.0
    if site is None:
        return float(sum(v for v in entry.values() if isinstance(v, int | float)))
    value = entry.get(site, 0)
    return float(value) if isinstance(value, int | float) else 0.0


def ltifr(config: Config, months: Sequence[str], site: str | None = None) -> Ltifr | None:
    """LTIFR over calendar months ("YYYY-MM") from `config.ltifr` (see docs/reports.md):

        {"man_hours": {"2026-10": {"sever": 120000, "yug": 80000}},
         "lost_time_injuries": {"2026-10": {"sever": 1}}}

    A month's value may also be one number for the whole company (then only an all-sites
    figure exists). None when no man-hours are configured for those months (and site)."""
    table = config.ltifr or {}
    hours = sum(_month_total(table.get("man_hours", {}), m, site) for m in months)
    if not hours:
        return None
    injuries = sum(_month_total(table.get("lost_time_injuries", {}), m, site) for m in months)
    return Ltifr(tuple(months), int(injuries), hours)


# ---- motivation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Reports credited to one person or one unit, by kind."""

    key: str  # user id, or department code
    by_kind: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


@dataclass(frozen=True)
class Motivation:
    people: list[Tally]  # "best worker": named reporters only, most reports first
    units: list[Tally]  # "best unit": by the card's department, anonymous cards included
    anonymous: int  # cards counted for no person


def motivation(cards: Iterable[Card]) -> Motivation:
    """Figures for the "best worker" and "best unit" programmes.

    An anonymous card is never counted for a person (its author is not known and must not
    be guessed); it counts for the unit written on the card as its department, which is
    where the hazard was seen, not who saw it. Cards with no department count for no unit.
    """
    people: dict[str, Counter[str]] = defaultdict(Counter)
    units: dict[str, Counter[str]] = defaultdict(Counter)
    anonymous = 0
    for card in cards:
        if card.anonymous or card.reporter is None:
            anonymous += 1
        else:
            people[card.reporter][card.kind] += 1
        department = value_of(card, "department")
        if department:
            units[department][card.kind] += 1

    def ranked(table: dict[str, Counter[str]]) -> list[Tally]:
        tallies = [Tally(k, dict(sorted(v.items()))) for k, v in table.items()]
        return sorted(tallies, key=lambda t: (-t.total, t.key))

    return Motivation(ranked(people), ranked(units), anonymous)


# ---- everything for one period -------------------------------------------------------------


@dataclass(frozen=True)
class PeriodFigures:
    """The figures of one set of cards, as the planning report and the dashboard show them."""

    cards: int
    by_kind: dict[str, int]
    by_category: dict[str, int]
    by_site: dict[str, int]
    by_department: dict[str, int]
    by_cause: dict[str, int]
    by_outcome: dict[str, int]
    by_emotional_state: dict[str, int]
    acknowledge: DurationStats
    resolve: DurationStats
    sla: dict[str, SlaFigure]
    loyalty: Loyalty
    steps_skipped: dict[str, int]
    risk: RiskDistribution
    actions: ActionTimeliness
    overdue: list[DeadlineItem] = field(default_factory=list)
    escalated: list[DeadlineItem] = field(default_factory=list)


def summarize(cards: Sequence[Card], config: Config, now: datetime) -> PeriodFigures:
    over = overdue_items(cards, config, now)
    return PeriodFigures(
        cards=len(cards),
        by_kind=count_by(cards, "kind"),
        by_category=count_by(cards, "category"),
        by_site=count_by(cards, "site"),
        by_department=count_by(cards, "department"),
        by_cause=count_by(cards, "cause", kind="complaint"),
        by_outcome=count_by(cards, "outcome", kind="complaint"),
        by_emotional_state=count_by(cards, "emotional_state", kind="complaint"),
        acknowledge=time_to_acknowledge(cards),
        resolve=time_to_resolve(cards),
        sla=sla_compliance(cards, config, now),
        loyalty=loyalty_index(cards),
        steps_skipped=steps_skipped(cards, config),
        risk=risk_distribution(cards, config),
        actions=action_timeliness(cards, config, now),
        overdue=over,
        escalated=[i for i in over if i.status.escalated_to],
    )
