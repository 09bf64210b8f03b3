"""Realistic Russian demo data, made by driving the real CardService on a simulated clock.

Nothing here writes an event by hand. Every card is filed by a staff member's CardService and
worked by its routed supervisor's CardService, exactly as on a workstation; only the clock is
simulated. Each card gets a filing moment in the ~120 days before `now` and a short story (a
generator of later moments: acknowledge, assess, plan actions, complete them, verify, close,
reject, reopen, comment). The stories of all cards run interleaved in time order, so every
user's hybrid logical clock only moves forward and no event is ever stamped after `now`.

Everything is deterministic for a given seed and `now` (card ids and receipt codes aside, which
are random by design). The texts live in resources/demo/*.json.

Speed (200 cards in a few seconds): anonymous filings, whose Argon2id receipt hash is slow on
purpose, run in a worker thread beside the other stories; and while the demo writes, SQLite
commits skip their per-commit fsync (Store.bulk), with one checkpoint at the end. Demo
events are not queued for sync: demo data never reaches a server.
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from forms import risk
from forms.calendar import BusinessCalendar
from forms.card import STATES
from forms.config import Config
from forms.service import CardService, Filed
from forms.store.repo import Store

HISTORY_DAYS = 120
CONTENT_FILES = ("hazards", "complaints", "ideas", "texts", "places")
KIND_SHARES = (("hazard", 0.55), ("complaint", 0.30), ("safety_idea", 0.15))
ANONYMOUS_SHARE = {"hazard": 0.14, "complaint": 0.04, "safety_idea": 0.08}
POSITIVE_SHARE = 0.2
# How often each category is reported (every configured category still appears at least once).
CATEGORY_WEIGHTS = {
    "slips_trips": 14, "housekeeping": 13, "machinery": 12, "ppe": 11, "transport": 10,
    "electrical": 9, "chemicals": 9, "fire": 8, "height": 8, "other": 6,
}
CAUSE_WEIGHTS = {
    "service_quality": 30, "staff_behaviour": 25, "product_quality": 20, "premises": 15,
    "other": 10,
}
# Final states: "reclosed" is closed again after a reopening.
TARGETS = ("filed", "assessing", "actions", "verifying", "closed", "rejected", "reopened",
           "reclosed")
# (max age in days, weights in TARGETS order) per kind: recent cards are mostly still open.
TARGET_WEIGHTS: dict[str, list[tuple[float, tuple[int, ...]]]] = {
    "hazard": [
        (1, (45, 30, 25, 0, 0, 0, 0, 0)),
        (7, (10, 18, 40, 10, 15, 7, 0, 0)),
        (30, (4, 6, 25, 10, 45, 7, 3, 0)),
        (10_000, (3, 3, 8, 5, 63, 8, 5, 5)),
    ],
    "complaint": [
        (1, (40, 20, 0, 0, 40, 0, 0, 0)),
        (7, (5, 10, 10, 0, 65, 5, 5, 0)),
        (10_000, (2, 3, 6, 4, 72, 6, 4, 3)),
    ],
    "safety_idea": [
        (3, (60, 40, 0, 0, 0, 0, 0, 0)),
        (30, (10, 25, 25, 5, 20, 15, 0, 0)),
        (10_000, (3, 7, 15, 5, 42, 20, 4, 4)),
    ],
}
# Every state a demo of this size is guaranteed to show at least `MIN_PER_STATE` times.
GUARANTEE_FROM = 30
MIN_PER_STATE = 2
OLD_ENOUGH_DAYS = 50  # a card this old finishes a usual story before `now`
LONG_STORIES = frozenset({"reopened", "reclosed"})


@dataclass(frozen=True)
class DemoResult:
    cards: int
    by_kind: dict[str, int]
    by_state: dict[str, int]


@lru_cache(maxsize=1)
def content() -> dict[str, Any]:
    """The demo texts, one dict per resources/demo/<name>.json file."""
    base = resources.files("resources").joinpath("demo")
    return {name: json.loads(base.joinpath(f"{name}.json").read_text("utf-8"))
            for name in CONTENT_FILES}


def generate(store: Store, config: Config, *, cards: int = 200, seed: int = 1, now: datetime,
             blobs: Path | None = None) -> DemoResult:
    """File `cards` demo cards into `store` and work them up to `now` (aware datetime)."""
    if cards < 0:
        raise ValueError(f"cards must not be negative: {cards}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    sim = _Simulation(store, config, now.astimezone(UTC), seed, blobs)
    plans = sim.plan(cards)
    with store.bulk():
        sim.run(plans)
    by_kind = Counter(p.kind for p in plans)
    by_state = Counter(store.card(p.card_id).state for p in plans if p.card_id)
    return DemoResult(
        cards=sum(1 for p in plans if p.card_id),
        by_kind={k: by_kind[k] for k in config.kinds if by_kind[k]},
        by_state={s: by_state[s] for s in STATES if by_state[s]},
    )


# ---- planning ------------------------------------------------------------------------------

@dataclass
class _Plan:
    index: int
    kind: str
    filed_at: datetime
    target: str
    data: dict[str, Any]
    template: dict[str, Any]
    fill: dict[str, str]
    reporter: str | None
    anonymous: bool
    rng: random.Random
    variant: str = "normal"  # hazards: normal | accept | ineffective (how verification goes)
    card_id: str | None = None
    supervisor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def site(self) -> str:
        return str(self.data.get("site", ""))


class _Deck:
    """Draws without replacement, reshuffling when empty, so texts repeat as late as possible."""

    def __init__(self, items: Sequence[Any], rng: random.Random) -> None:
        self.items = list(items)
        self.rng = rng
        self.left: list[Any] = []

    def draw(self, fits: Callable[[Any], bool] = lambda _item: True) -> Any:
        for _ in range(2):
            for i, item in enumerate(self.left):
                if fits(item):
                    return self.left.pop(i)
            # Nothing left that fits (say, only winter hazards in July): start a new round.
            fresh = self.items[:]
            self.rng.shuffle(fresh)
            self.left += fresh
        return self.rng.choice(self.items)


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    names = [name for name, w in weights.items() if w > 0]
    return rng.choices(names, weights=[weights[n] for n in names])[0]


class _Simulation:
    def __init__(self, store: Store, config: Config, now: datetime, seed: int,
                 blobs: Path | None) -> None:
        self.store = store
        self.config = config
        self.now = now
        self.blobs = blobs
        self.rng = random.Random(seed)
        self.text = content()
        self.cal = BusinessCalendar.from_config(config.sla)
        self.zone = self.cal.zone
        self.day_hours = self.cal.day_length.total_seconds() / 3600
        self.clock_now = now
        self.device_id = store.get_meta("device_id")  # this workstation's, if it has one
        self.services: dict[str | None, CardService] = {}
        users = config.users.values()
        self.staff = [u for u in users if u.role == "staff"]
        self.supervisors = [u for u in users if u.role == "supervisor"]
        places = self.text["places"]
        configured_sites = config.lists.get("sites") or list(places["site_departments"])
        self.site_departments = {s: d for s, d in places["site_departments"].items()
                                 if s in configured_sites} or {
            s: list(config.lists.get("departments", [])) for s in configured_sites}
        self.decks: dict[str, _Deck] = {}
        self.anonymous: dict[int, Future[Filed]] = {}

    # -- users and services

    def service(self, user: str | None) -> CardService:
        svc = self.services.get(user)
        if svc is None:
            svc = CardService(self.store, self.config, user=user, device_id=self.device_id,
                              clock=self._clock, blobs=self.blobs, queue_for_sync=False)
            self.services[user] = svc
        return svc

    def _clock(self) -> datetime:
        return self.clock_now

    def _reporter(self, site: str, department: str | None) -> str | None:
        for fits in (lambda u: u.site == site and u.department == department,
                     lambda u: u.site == site, lambda _u: True):
            found = [u.id for u in self.staff if fits(u)]
            if found:
                return self.rng.choice(found)
        return None

    def owners(self, p: _Plan) -> list[str]:
        """Who may own a corrective action: staff and supervisors of the card's site."""
        found = [u.id for u in self.staff + self.supervisors if u.site == p.site]
        if p.supervisor and p.supervisor not in found:
            found.append(p.supervisor)
        return found or [p.supervisor or ""]

    # -- the plan of every card

    def plan(self, count: int) -> list[_Plan]:
        kinds = [k for k, _ in KIND_SHARES if k in self.config.kinds]
        shares = dict(KIND_SHARES)
        deck: list[str] = []
        if kinds:
            total = sum(shares[k] for k in kinds)
            for k in kinds:
                deck += [k] * round(count * shares[k] / total)
            while len(deck) < count:
                deck.append(kinds[0])
            deck = deck[:count]
            self.rng.shuffle(deck)
        plans: list[_Plan] = []
        categories = self._categories()
        pending = categories[:]
        self.rng.shuffle(pending)
        for kind in deck:
            filed_hint = self._filing_day()
            if kind == "hazard":
                category = pending.pop() if pending else _weighted(
                    self.rng, {c: CATEGORY_WEIGHTS.get(c, 5) for c in categories})
                plans.append(self._plan_hazard(category, filed_hint))
            elif kind == "complaint":
                plans.append(self._plan_complaint(filed_hint))
            else:
                plans.append(self._plan_idea(filed_hint))
        plans.sort(key=lambda p: p.filed_at)
        for i, p in enumerate(plans):
            p.index = i
        self._guarantee(plans)
        return plans

    def _categories(self) -> list[str]:
        return list(self.config.lists.get("hazard_categories") or ["other"])

    def _filing_day(self) -> float:
        # Slightly more cards recently, as a reporting habit grows.
        return HISTORY_DAYS * self.rng.random() ** 1.25

    def _filing_moment(self, days_back: float, *, any_hour: bool) -> datetime:
        local_now = self.now.astimezone(self.zone)
        day = (local_now - timedelta(days=days_back)).date()
        while True:
            if any_hour:
                minute = self.rng.randrange(24 * 60)
            else:
                while not self.cal.is_working_day(day):
                    day -= timedelta(days=1)
                minute = int(self.rng.triangular(8.2, 16.9, 10.5) * 60)
            moment = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
            moment = moment.astimezone(UTC) + timedelta(seconds=self.rng.randrange(60))
            if moment <= self.now - timedelta(minutes=10):
                return moment
            day -= timedelta(days=1)

    def _fill(self) -> dict[str, str]:
        rng, places = self.rng, self.text["places"]
        n, n2 = rng.sample(range(1, 10), 2)
        nn = rng.randint(10, 47)
        shift = rng.choice(places["shifts"])
        return {
            "n": str(n), "n2": str(n2), "nn": str(nn), "nn2": str(nn + 1),
            "nnn": str(rng.randint(101, 989)), "act": str(rng.randint(1001, 4999)),
            "window": str(rng.randint(1, 8)),
            "minutes": str(rng.choice((25, 30, 35, 40, 45, 50, 60, 70, 90))),
            "order": f"{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
            "time": f"{rng.randint(8, 15)}:{rng.choice(('00', '10', '20', '30', '40', '50'))}",
            "shift": shift, "Shift": shift[:1].upper() + shift[1:],
            "client": rng.choice(places["clients"]), "product": rng.choice(places["products"]),
            "liquid": rng.choice(places["liquids"]),
        }

    def _site_for(self, departments: Sequence[str]) -> tuple[str, str]:
        weights = self.text["places"]["site_weights"]
        options = [(s, d) for d in departments for s, ds in self.site_departments.items()
                   if d in ds]
        if not options:
            site = self.rng.choice(sorted(self.site_departments) or ["office"])
            dept = self.rng.choice(list(departments) or self.site_departments.get(site, [""]))
            return site, dept
        return self.rng.choices(options, weights=[weights.get(s, 1) for s, _ in options])[0]

    def _deck(self, key: str, items: Sequence[Any]) -> _Deck:
        if key not in self.decks:
            self.decks[key] = _Deck(items, self.rng)
        return self.decks[key]

    def _target(self, kind: str, filed_at: datetime) -> str:
        age = (self.now - filed_at).total_seconds() / 86400
        table = TARGET_WEIGHTS[kind]
        weights = next(w for limit, w in table if age < limit)
        return self.rng.choices(TARGETS, weights=weights)[0]

    def _plan_hazard(self, category: str, days_back: float) -> _Plan:
        rng = self.rng
        templates = self.text["hazards"].get(category) or self.text["hazards"]["other"]
        # The month matters for seasonal hazards (ice on the steps), so draw the moment first.
        provisional = self._filing_moment(days_back, any_hour=True)
        month = provisional.astimezone(self.zone).month
        template = self._deck(f"hazard:{category}", templates).draw(
            lambda t: month in t.get("months", range(1, 13)))
        site, dept = self._site_for(template["departments"])
        plant = site != "office"
        filed_at = self._filing_moment(days_back, any_hour=plant and rng.random() < 0.2)
        fill = self._fill()
        reporter = self._reporter(site, dept)
        anonymous = rng.random() < ANONYMOUS_SHARE["hazard"]
        stopped = rng.random() < (0.7 if template.get("stop") else 0.1)
        location = _fmt(rng.choice(template["locations"]), fill)
        title = _fmt(template["title"], fill)
        if "{" not in template["title"] and rng.random() < 0.5:
            title = f"{title} — {location}"  # as people often write it
        data: dict[str, Any] = {
            "kind": "hazard",
            "title": title,
            "description": _fmt(template["description"], fill),
            "site": site, "department": dept,
            "location": location,
            "category": category, "work_stopped": stopped,
        }
        if rng.random() < 0.85:
            seen = filed_at - timedelta(minutes=rng.randint(5, 25 if stopped else 240))
            data["observed_at"] = seen.isoformat()
        variant = _weighted(rng, {"normal": 80, "accept": 12, "ineffective": 8})
        return _Plan(0, "hazard", filed_at, self._target("hazard", filed_at), data, template,
                     fill, reporter, anonymous, random.Random(rng.getrandbits(64)), variant)

    def _plan_complaint(self, days_back: float) -> _Plan:
        rng = self.rng
        lists = self.config.lists
        texts = self.text["texts"]
        fill = self._fill()
        positive = rng.random() < POSITIVE_SHARE
        if positive:
            scenario = self._deck("praise", self.text["complaints"]["positive"]).draw()
            cause = scenario["cause"]
        else:
            negative = self.text["complaints"]["negative"]
            cause = _weighted(rng, {c: CAUSE_WEIGHTS.get(c, 5) for c in negative})
            scenario = self._deck(f"complaint:{cause}", negative[cause]).draw()
        site, dept = self._site_for(scenario["departments"])
        filed_at = self._filing_moment(days_back, any_hour=False)
        steps = list(lists.get("complaint_steps", []))
        if positive:
            emotion = "calm" if rng.random() < 0.9 else "other"
            done = ["satisfaction"] if rng.random() < 0.5 else []
            outcome = "satisfied"
            conclusion = scenario["conclusion"]
        else:
            emotion = rng.choice(scenario["emotions"]) if rng.random() < 0.85 else rng.choice(
                lists.get("emotional_states", ["other"]))
            done, outcome = self._handling(steps, emotion)
            missing = [s for s in steps if s not in done]
            labels = texts["step_labels"]
            form = "partial" if missing else "complete"
            # The concrete help is told only when step 4 (arguments and help) was done.
            helped = _fmt(scenario["help"], fill) if "help" in done else ""
            conclusion = " ".join(_fmt(texts["conclusions"][form][outcome], fill | {
                "help": helped,
                "missing": ", ".join(labels.get(s, s) for s in missing)}).split())
        data: dict[str, Any] = {
            "kind": "complaint",
            "title": _fmt(scenario["title"], fill),
            "site": site, "department": dept,
            "sentiment": "positive" if positive else "negative",
            "cause": _member(cause, lists.get("complaint_causes")),
            "emotional_state": _member(emotion, lists.get("emotional_states")),
            "account": _fmt(scenario["account"], fill),
            "steps_done": [s for s in done if s in steps],
            "conclusion": conclusion,
            "outcome": _member(outcome, lists.get("complaint_outcomes")),
            "observed_at": (filed_at - timedelta(minutes=rng.randint(10, 240))).isoformat(),
        }
        target = self._target("complaint", filed_at)
        if positive and target not in ("filed", "assessing"):
            target = "closed"  # praise is read, thanked for and closed
        return _Plan(0, "complaint", filed_at, target, data, scenario, fill,
                     self._reporter(site, dept), rng.random() < ANONYMOUS_SHARE["complaint"],
                     random.Random(rng.getrandbits(64)), extra={"cause": cause})

    def _handling(self, steps: list[str], emotion: str) -> tuple[list[str], str]:
        """Which of the five steps the employee did, and how the customer left."""
        rng = self.rng
        quality = rng.random()
        if quality < 0.6:
            outcome = _weighted(rng, {"satisfied": 85, "dissatisfied": 8, "other": 7})
            return steps[:], outcome
        if quality < 0.9:
            droppable = [s for s in ("questions", "help", "satisfaction", "apology") if s in steps]
            dropped = set(rng.sample(droppable, min(len(droppable), rng.randint(1, 2))))
            outcome = _weighted(rng, {"satisfied": 35, "dissatisfied": 35, "irritated": 25,
                                      "other": 5})
            return [s for s in steps if s not in dropped], outcome
        kept = rng.choice((["empathy"], ["apology"], []))
        threats = 50 if emotion == "aggressive" else 8
        outcome = _weighted(rng, {"irritated": 45, "dissatisfied": 35, "threats": threats})
        return [s for s in steps if s in kept], outcome

    def _plan_idea(self, days_back: float) -> _Plan:
        rng = self.rng
        idea = self._deck("idea", self.text["ideas"]["ideas"]).draw()
        site, dept = self._site_for(idea["departments"])
        filed_at = self._filing_moment(days_back, any_hour=False)
        fill = self._fill()
        data = {
            "kind": "safety_idea",
            "title": _fmt(idea["title"], fill),
            "proposal": _fmt(idea["proposal"], fill),
            "expected_effect": _fmt(idea["expected_effect"], fill),
            "site": site, "department": dept,
        }
        return _Plan(0, "safety_idea", filed_at, self._target("safety_idea", filed_at), data,
                     idea, fill, self._reporter(site, dept),
                     rng.random() < ANONYMOUS_SHARE["safety_idea"],
                     random.Random(rng.getrandbits(64)))

    def _guarantee(self, plans: list[_Plan]) -> None:
        """A demo of any real size shows every state and the rarer paths at least twice."""
        if len(plans) < GUARANTEE_FROM:
            return
        old = [p for p in plans if (self.now - p.filed_at).days >= OLD_ENOUGH_DAYS]
        counts = Counter(p.target for p in plans)
        for target in TARGETS:
            while counts[target] < MIN_PER_STATE:
                spare = [p for p in old if p.target == "closed" and p.kind == "hazard"
                         and counts["closed"] > MIN_PER_STATE]
                if not spare:
                    break
                # The longest stories (closed, reopened, worked again) go to the oldest cards.
                spare = spare[: max(1, len(spare) // 3)] if target in LONG_STORIES else spare
                chosen = self.rng.choice(spare)
                chosen.target = target
                counts[target] += 1
                counts["closed"] -= 1
        closed_hazards = [p for p in old if p.kind == "hazard" and p.target == "closed"]
        for variant in ("accept", "ineffective"):
            if closed_hazards and not any(p.variant == variant for p in closed_hazards):
                self.rng.choice([p for p in closed_hazards if p.variant == "normal"]
                                or closed_hazards).variant = variant

    # -- running the stories

    def run(self, plans: list[_Plan]) -> None:
        # An anonymous filing hashes its receipt code with Argon2id, which is slow on purpose
        # (~0.2 s). Those filings run in a worker thread while the other stories go on
        # (Store.append serialises writers).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-anonymous") as pool:
            self.anonymous = {p.index: pool.submit(self._file_anonymous, p)
                              for p in plans if p.anonymous}
            try:
                self._run(plans)
            finally:
                for future in self.anonymous.values():
                    future.cancel()

    def _run(self, plans: list[_Plan]) -> None:
        order = itertools.count()
        heap = [(p.filed_at, p.index, next(order), self._story(p)) for p in plans]
        heapq.heapify(heap)
        while heap:
            moment, index, _, story = heapq.heappop(heap)
            self.clock_now = moment
            following = next(story, None)
            if following is None:
                continue
            if following > self.now:  # the rest of this story has not happened yet
                story.close()
                continue
            heapq.heappush(heap, (max(following, moment), index, next(order), story))

    def _file_anonymous(self, p: _Plan) -> Filed:
        """File one anonymous card at its own moment, by its own service (no shared clock)."""
        at = p.filed_at
        service = CardService(self.store, self.config, user=p.reporter,
                              device_id=self.device_id, clock=lambda: at, blobs=self.blobs,
                              queue_for_sync=False)
        return service.file(p.data, anonymous=True)

    def _story(self, p: _Plan) -> Iterator[datetime]:
        if p.anonymous:
            filed = self.anonymous[p.index].result()
        else:
            filed = self.service(p.reporter).file(p.data)
        p.card_id = filed.card_id
        p.supervisor = self.store.card(filed.card_id).supervisor
        if p.kind == "hazard":
            yield from self._hazard(p)
        elif p.kind == "complaint":
            yield from self._complaint(p)
        else:
            yield from self._idea(p)

    # -- time

    def later(self, start: datetime, rng: random.Random, low: float, high: float) -> datetime:
        """A moment `low`..`high` working hours after `start` (work happens in working hours)."""
        remaining = timedelta(hours=rng.uniform(low, high))
        day = start.astimezone(self.zone).date()
        while True:
            hours = self.cal.hours_of(day)
            if hours is not None:
                begin = max(hours[0], start)
                if begin < hours[1]:
                    if remaining <= hours[1] - begin:
                        return begin + remaining
                    remaining -= hours[1] - begin
            day += timedelta(days=1)

    def days_later(self, start: datetime, rng: random.Random, low: float,
                   high: float) -> datetime:
        return self.later(start, rng, low * self.day_hours, high * self.day_hours)

    def due_date(self, start: datetime, rng: random.Random, action_type: str) -> date:
        low, high = {"immediate": (0, 0.6), "corrective": (3, 10)}.get(action_type, (8, 25))
        return self.days_later(start, rng, low, high).astimezone(self.zone).date()

    # -- shared pieces of the stories

    def _supervisor(self, p: _Plan) -> CardService:
        return self.service(p.supervisor)

    def _say(self, p: _Plan, key: str) -> str:
        options = self.text["texts"][key]
        if isinstance(options, dict):
            options = options.get(p.kind) or next(iter(options.values()))
        return _fmt(p.rng.choice(options), p.fill)

    def _acknowledge(self, p: _Plan, t: datetime, low: float, high: float) -> Iterator[datetime]:
        """The first answer: a state change to assessing, sometimes with a word to the reporter."""
        t = self.later(t, p.rng, low, high)
        yield t
        self._supervisor(p).acknowledge(p.card_id or "")
        if p.rng.random() < 0.25:
            self._supervisor(p).comment(p.card_id or "", self._say(p, "ack_comments"))
        p.extra["t"] = t

    def _question(self, p: _Plan, t: datetime) -> Iterator[datetime]:
        """A question to the reporter and, unless the card is anonymous, the answer."""
        pairs = self.text["texts"]["questions"]
        question, answer = p.rng.choice(pairs.get(p.kind) or next(iter(pairs.values())))
        t = self.later(t, p.rng, 0.1, 3)
        yield t
        self._supervisor(p).comment(p.card_id or "", question, question=True)
        if not p.anonymous and p.reporter and p.rng.random() < 0.85:
            t = self.later(t, p.rng, 0.3, 6)
            yield t
            self.service(p.reporter).comment(p.card_id or "", answer)
        p.extra["t"] = t

    def _add_actions(self, p: _Plan, t: datetime,
                     chosen: list[tuple[str, str]]) -> Iterator[datetime]:
        """Plan actions one after another; p.extra["actions"] collects (id, owner, due, at)."""
        types = self.config.lists.get("action_types") or ["corrective"]
        owners = self.owners(p)
        added = p.extra.setdefault("actions", [])
        for action_type, title in chosen:
            action_type = action_type if action_type in types else types[0]
            t = self.later(t, p.rng, 0.05, 0.6)
            yield t
            due = self.due_date(t, p.rng, action_type)
            owner = p.supervisor if action_type == "immediate" and p.rng.random() < 0.5 else (
                p.rng.choice(owners))
            action_id, _ = self._supervisor(p).add_action(
                p.card_id or "", _fmt(title, p.fill), owner or "", due.isoformat(), action_type)
            added.append((action_id, owner, due, t))
        p.extra["t"] = t

    def _complete_actions(self, p: _Plan, t: datetime, *, leave_open: bool,
                          aside: str | None = None) -> Iterator[datetime]:
        """Mark planned actions done (mostly on time); with leave_open at least one stays open.

        `aside` names a supervisor comment (progress_comments) said while the work goes on.
        """
        rng = p.rng
        pending = [a for a in p.extra.get("actions", []) if a[0] not in p.extra.get("done", ())]
        count = rng.randint(0, len(pending) - 1) if leave_open and pending else len(pending)
        steps: list[tuple[datetime, str, str, bool]] = []
        for action_id, owner, due, added_at in rng.sample(pending, count):
            deadline = self.cal.end_of_day(due)
            span = self.cal.business_seconds(added_at, deadline) / 3600
            if rng.random() < 0.85 and span > 0:  # mostly done in time
                at = self.later(added_at, rng, span * 0.05, span * 0.95)
            else:
                at = self.days_later(max(deadline, added_at), rng, 0.2, 5)
            at = max(at, t)
            steps.append((at, action_id, owner, at > deadline))
        if aside:
            last = max((at for at, *_ in steps), default=self.later(t, rng, 2, 20))
            steps.append((t + (last - t) * rng.uniform(0.2, 0.8), "", "", False))
        supervisors = {u.id for u in self.supervisors}
        for at, action_id, owner, late in sorted(steps):
            yield at
            t = at
            if not action_id:
                self._supervisor(p).comment(p.card_id or "", self._say(p, aside or ""))
                continue
            note = self._say(p, "late_done_notes" if late else "done_notes")
            actor = owner if owner in supervisors else p.supervisor
            self.service(actor).complete_action(action_id, note)
            p.extra.setdefault("done", set()).add(action_id)
        p.extra["t"] = t

    def _close(self, p: _Plan, t: datetime, resolution: str, low: float = 0.1,
               high: float = 4) -> Iterator[datetime]:
        t = self.later(t, p.rng, low, high)
        yield t
        self._supervisor(p).close(p.card_id or "", resolution)
        p.extra["t"] = t

    def _reopen(self, p: _Plan, t: datetime) -> Iterator[datetime]:
        t = self.days_later(t, p.rng, 2, 15)
        yield t
        self._supervisor(p).reopen(p.card_id or "", self._say(p, "reopen_reasons"))
        p.extra["t"] = t

    def _reject(self, p: _Plan, t: datetime, low: float, high: float) -> Iterator[datetime]:
        t = self.later(t, p.rng, low, high)
        yield t
        self._supervisor(p).reject(p.card_id or "", self._say(p, "reject_reasons"))
        p.extra["t"] = t

    def _followup(self, p: _Plan, t: datetime) -> Iterator[datetime]:
        """The reporter asks what is happening (cards nobody answered)."""
        if p.anonymous or not p.reporter or p.rng.random() > 0.4:
            return
        t = self.days_later(t, p.rng, 1, 6)
        yield t
        self.service(p.reporter).comment(p.card_id or "", self._say(p, "reporter_followups"))

    # -- hazards

    def _levels(self) -> int:
        return int(self.config.risk.get("levels", 5))

    def _initial_rating(self, p: _Plan) -> tuple[int, int, int, str]:
        rng, top = p.rng, self._levels()
        jitter = ((-1, 0, 0, 0, 1), (-1, 0, 0, 0, 1), (-2, -1, -1, 0, 0, 1))
        degree, scale, frequency = (max(1, min(top, v + rng.choice(j)))
                                    for v, j in zip(p.template["risk"], jitter, strict=True))
        breach = p.template.get("breach", False) and rng.random() < 0.4
        return degree, scale, frequency, "breach" if breach else "ok"

    def _band_rank(self, rating: tuple[int, int, int, str]) -> int:
        rated = risk.rate(*rating, self.config)
        return risk.band_rank(rated.band, self.config)

    def _blocked_rank(self) -> int:
        return risk.band_rank(self.config.risk.get("close_blocked_from_band", "high"),
                              self.config)

    def _residual_high(self, p: _Plan) -> tuple[tuple[int, int, int, str], bool]:
        """A residual rating that still blocks closing: the lowest frequency that keeps the
        initial high band, or, for a card that was never high, unchanged and not effective."""
        degree, scale, frequency, compliance = p.extra["rating"]
        if self._band_rank(p.extra["rating"]) < self._blocked_rank():
            return (degree, scale, frequency, compliance), False
        for f in range(1, frequency + 1):
            rating = (degree, scale, f, "ok")
            if self._band_rank(rating) >= self._blocked_rank():
                return rating, p.rng.random() < 0.6
        return (degree, scale, frequency, compliance), False

    def _residual(self, p: _Plan) -> tuple[int, int, int, str]:
        """The re-rating after effective actions: lower than the initial one."""
        degree, scale, _frequency, _ = p.extra["rating"]
        blocked = self._blocked_rank()
        rating = (max(1, degree - p.rng.choice((0, 0, 1))), scale, p.rng.choice((1, 1, 2)), "ok")
        if self._band_rank(rating) >= blocked:
            rating = (rating[0], rating[1], 1, "ok")
        return rating

    def _hazard_actions(self, p: _Plan) -> list[tuple[str, str]]:
        listed = _pairs(p.template["actions"])
        count = min(len(listed), p.rng.choices((1, 2, 3), weights=(35, 40, 25))[0])
        picked = sorted(p.rng.sample(range(len(listed)), count))
        return [listed[i] for i in picked]

    def _hazard(self, p: _Plan) -> Iterator[datetime]:
        rng, card = p.rng, p.card_id or ""
        sup = self._supervisor(p)
        t = p.filed_at
        if p.target == "filed":
            yield from self._followup(p, t)
            return
        late = rng.random() < 0.2
        if rng.random() < 0.6:
            yield from self._acknowledge(p, t, *((4, 14) if late else (0.1, 3.5)))
            t = p.extra["t"]
        if p.target == "rejected":
            yield from self._reject(p, t, 0.5, 12)
            return
        if rng.random() < 0.3:
            yield from self._question(p, t)
            t = p.extra["t"]
        t = self.later(t, rng, 0.3, 14 if late else 8)
        yield t
        p.extra["rating"] = self._initial_rating(p)
        sup.assess(card, *p.extra["rating"], note=self._say(p, "assess_notes"))
        if p.target == "assessing":
            if rng.random() < 0.5:
                t = self.later(t, rng, 1, 12)
                yield t
                sup.comment(card, self._say(p, "progress_comments"))
            return
        yield from self._add_actions(p, t, self._hazard_actions(p))
        t = p.extra["t"]
        aside = "progress_comments" if rng.random() < 0.2 else None
        yield from self._complete_actions(p, t, leave_open=p.target == "actions", aside=aside)
        t = p.extra["t"]
        if p.target == "actions":
            return
        if p.target == "verifying":
            if rng.random() < 0.4:  # re-rated, waiting for the closing word
                t = self.later(t, rng, 2, 16)
                yield t
                sup.verify(card, *self._residual(p), effective=True,
                           note=self._say(p, "verify_notes"))
            return
        yield from self._verify(p, t)
        yield from self._close(p, p.extra["t"], self._hazard_resolution(p))
        if p.target in ("reopened", "reclosed"):
            yield from self._reopen(p, p.extra["t"])
            if p.target == "reclosed":
                yield from self._rework(p, p.extra["t"])

    def _verify(self, p: _Plan, t: datetime) -> Iterator[datetime]:
        rng, card, sup = p.rng, p.card_id or "", self._supervisor(p)
        t = self.later(t, rng, 2, 24)
        yield t
        if p.variant == "accept" and p.target != "reclosed":
            # Still high after the actions (or the actions did not work): closed only with a
            # reasoned acceptance, as the workflow demands.
            residual, effective = self._residual_high(p)
            sup.verify(card, *residual, effective=effective,
                       acceptance=self._say(p, "acceptance"), note=self._say(p, "verify_notes"))
        elif p.variant == "ineffective" and p.target != "reclosed":
            sup.verify(card, *self._residual(p), effective=False,
                       note=self._say(p, "ineffective_notes"))
            extra = rng.choice(_pairs(self.text["texts"]["extra_actions"]))
            yield from self._add_actions(p, self.later(t, rng, 0.5, 6), [extra])
            yield from self._complete_actions(p, p.extra["t"], leave_open=False)
            t = self.later(p.extra["t"], rng, 2, 24)
            yield t
            sup.verify(card, *self._residual(p), effective=True,
                       note=self._say(p, "verify_notes"))
        else:
            sup.verify(card, *self._residual(p), effective=True,
                       note=self._say(p, "verify_notes"))
        p.extra["t"] = t

    def _hazard_resolution(self, p: _Plan) -> str:
        thanks = self._say(p, "hazard_closing")
        return " ".join(s for s in (_fmt(p.template["resolution"], p.fill), thanks) if s)

    def _rework(self, p: _Plan, t: datetime) -> Iterator[datetime]:
        """A reopened hazard: assessed again, one more action, verified, closed again."""
        rng, card, sup = p.rng, p.card_id or "", self._supervisor(p)
        t = self.later(t, rng, 0.5, 8)
        yield t
        p.extra["rating"] = self._initial_rating(p)
        sup.assess(card, *p.extra["rating"], note=self._say(p, "assess_notes"))
        extra = rng.choice(_pairs(self.text["texts"]["extra_actions"]))
        yield from self._add_actions(p, t, [extra])
        yield from self._complete_actions(p, p.extra["t"], leave_open=False)
        t = self.later(p.extra["t"], rng, 2, 24)
        yield t
        sup.verify(card, *self._residual(p), effective=True,
                   note=self._say(p, "verify_notes"))
        resolution = (f"{_fmt(p.template['resolution'], p.fill)} После повторного сообщения "
                      f"дополнительно выполнено: «{extra[1]}».")
        yield from self._close(p, t, resolution)

    # -- complaints

    def _complaint(self, p: _Plan) -> Iterator[datetime]:
        rng = p.rng
        t = p.filed_at
        positive = p.data.get("sentiment") == "positive"
        if p.target == "filed":
            return
        if p.target in ("assessing", "actions", "verifying", "rejected") or rng.random() < 0.35:
            yield from self._acknowledge(p, t, 0.1, 6)
            t = p.extra["t"]
            if not positive and rng.random() < 0.25:
                yield from self._question(p, t)
                t = p.extra["t"]
        if p.target == "assessing":
            return
        if p.target == "rejected":
            yield from self._reject(p, t, 0.2, 6)
            return
        resolution = (p.template.get("resolution") if positive or rng.random() < 0.85
                      else rng.choice(self.text["texts"]["complaint_fallback_resolution"]))
        resolution = _fmt(resolution or "", p.fill)
        with_actions = p.target in ("actions", "verifying") or (
            not positive and rng.random() < 0.25)
        if with_actions:
            cause = p.extra.get("cause", "other")
            listed = self.text["texts"]["complaint_actions"].get(cause) or []
            chosen = _pairs(listed[: rng.randint(1, max(1, len(listed)))])
            yield from self._add_actions(p, t, chosen)
            yield from self._complete_actions(p, p.extra["t"], leave_open=p.target == "actions")
            t = p.extra["t"]
            if p.target in ("actions", "verifying"):
                return
            yield from self._close(p, t, resolution, 0.5, 8)
        elif rng.random() < 0.8:  # answered within a working day, as the KPI asks
            yield from self._close(p, t, resolution, 0.3, 7)
        else:
            yield from self._close(p, t, resolution, 9, 30)
        if p.target in ("reopened", "reclosed"):
            yield from self._reopen(p, p.extra["t"])
            if p.target == "reclosed":
                again = rng.choice(self.text["texts"]["complaint_fallback_resolution"])
                yield from self._close(p, p.extra["t"], again, 0.5, 8)

    # -- safety ideas

    def _idea(self, p: _Plan) -> Iterator[datetime]:
        rng = p.rng
        t = p.filed_at
        if p.target == "filed":
            yield from self._followup(p, t)
            return
        yield from self._acknowledge(p, t, 1, 24)
        t = p.extra["t"]
        if rng.random() < 0.3:
            yield from self._question(p, t)
            t = p.extra["t"]
        if p.target == "assessing":
            return
        if p.target in ("rejected", "reopened", "reclosed"):
            yield from self._reject(p, t, 8, 60)
            if p.target == "rejected":
                return
            yield from self._reopen(p, p.extra["t"])
            if p.target == "reopened":
                return
            t = p.extra["t"]
        steps = _pairs(p.template["actions"])
        yield from self._add_actions(p, self.later(t, rng, 1, 30), steps)
        yield from self._complete_actions(p, p.extra["t"], leave_open=p.target == "actions")
        t = p.extra["t"]
        if p.target in ("actions", "verifying"):
            return
        thanks = self._say(p, "idea_closing")
        done = " ".join(s for s in (_fmt(p.template["done"], p.fill), thanks) if s)
        yield from self._close(p, t, done, 1, 16)


def _pairs(items: Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    """[type, title] lists from the JSON files as (type, title) pairs."""
    return [(str(a[0]), str(a[1])) for a in items]


def _fmt(text: str, fill: dict[str, str]) -> str:
    return text.format_map(fill) if "{" in text else text


def _member(value: str, allowed: Sequence[str] | None) -> str:
    """`value` if the configuration still lists it, else the list's last entry ("other")."""
    if not allowed or value in allowed:
        return value
    return allowed[-1]
