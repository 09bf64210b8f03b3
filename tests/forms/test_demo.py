"""Demo data: realistic, complete, deterministic, and made only through the real CardService."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from forms import deadlines
from forms.calendar import BusinessCalendar
from forms.card import STATES, Card
from forms.config import Config, load_config
from forms.demo import DemoResult, content, generate
from forms.risk import band_rank
from forms.serialize import card_to_dict
from forms.store.repo import CardQuery, Store

NOW = datetime(2026, 10, 14, 12, 30, tzinfo=UTC)  # a Wednesday, 15:30 in Moscow
CARDS = 200
_FIELD = re.compile(r"\{(\w+)\}")


def _store(path: Path, config: Config) -> Store:
    return Store(f"sqlite:///{path}/s.db", config)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, DemoResult]]:
    config = load_config()
    store = _store(tmp_path_factory.mktemp("demo"), config)
    result = generate(store, config, cards=CARDS, seed=1, now=NOW)
    yield store, result
    store.close()


@pytest.fixture(scope="module")
def cards(demo: tuple[Store, DemoResult]) -> list[Card]:
    return demo[0].list_cards()


def _signature(cards: list[Card]) -> Counter[tuple[str, str, str]]:
    return Counter((c.title, c.kind, c.state) for c in cards)


# ---- size, kinds, places, states ---------------------------------------------------------

def test_makes_exactly_the_cards_asked_for(demo: tuple[Store, DemoResult],
                                           cards: list[Card]) -> None:
    store, result = demo
    assert store.count_cards() == CARDS == result.cards == len(cards)
    assert sum(result.by_kind.values()) == sum(result.by_state.values()) == CARDS
    assert result.by_kind == dict(Counter(c.kind for c in cards))
    assert result.by_state == dict(Counter(c.state for c in cards))


def test_mix_of_kinds_sites_and_categories(cards: list[Card]) -> None:
    config = load_config()
    kinds = Counter(c.kind for c in cards)
    assert set(kinds) == {"hazard", "complaint", "safety_idea"}
    assert 0.45 < kinds["hazard"] / CARDS < 0.65
    assert 0.2 < kinds["complaint"] / CARDS < 0.4
    assert 0.08 < kinds["safety_idea"] / CARDS < 0.22
    assert {c.fields["site"] for c in cards} >= {"sever", "yug", "office"}
    assert len({c.fields.get("department") for c in cards}) >= 5
    complaint_sites = Counter(c.fields["site"] for c in cards if c.kind == "complaint")
    assert complaint_sites.most_common(1)[0][0] == "office"
    categories = {c.fields["category"] for c in cards if c.kind == "hazard"}
    assert categories == set(config.lists["hazard_categories"])


def test_every_state_but_draft_is_present(cards: list[Card]) -> None:
    states = Counter(c.state for c in cards)
    assert set(states) == set(STATES) - {"draft"}
    assert states["closed"] > CARDS / 3
    assert any(c.state == "closed" and c.reopen_count for c in cards)  # reopened, then closed


def test_some_cards_are_anonymous_and_carry_no_user(demo: tuple[Store, DemoResult],
                                                    cards: list[Card]) -> None:
    store = demo[0]
    anonymous = [c for c in cards if c.anonymous]
    assert 0.05 < len(anonymous) / CARDS < 0.16
    for card in anonymous:
        assert card.reporter is None
        filing = [e for e in store.card_events(card.id) if e.type == "card.filed"]
        assert filing[0].actor is None and filing[0].device_id is None


def test_some_cards_are_overdue_at_now(demo: tuple[Store, DemoResult],
                                       cards: list[Card]) -> None:
    store = demo[0]
    config = load_config()
    assert store.count_cards(CardQuery(overdue_at=NOW)) > 0
    kinds = Counter(s.deadline.kind for c in cards for s in deadlines.evaluate(c, config, NOW)
                    if s.overdue)
    assert kinds["acknowledge"] > 0  # filed long ago, never answered
    assert kinds["action"] > 0  # an action past its due date


# ---- time --------------------------------------------------------------------------------

def test_history_is_ordered_and_never_after_now(demo: tuple[Store, DemoResult],
                                                cards: list[Card]) -> None:
    store = demo[0]
    for card in cards:
        moments = [h.at for h in card.history]
        assert moments == sorted(moments), card.title
        assert moments[-1] <= NOW
        assert card.filed_at is not None and NOW - timedelta(days=122) <= card.filed_at
    assert all(event.at <= NOW for _, event in store.events())


def test_cards_are_filed_mostly_in_working_hours(cards: list[Card]) -> None:
    cal = BusinessCalendar.from_config(load_config().sla)
    working = sum(cal.is_working_time(c.filed_at) for c in cards if c.filed_at)
    assert working / CARDS > 0.75
    ages = [(NOW - c.filed_at).days for c in cards if c.filed_at]
    assert min(ages) < 3 and max(ages) > 90  # spread over the whole ~120 days


def test_complaints_are_often_answered_within_a_working_day(cards: list[Card]) -> None:
    cal = BusinessCalendar.from_config(load_config().sla)
    closed = [c for c in cards if c.kind == "complaint" and c.state == "closed"
              and not c.reopen_count]
    quick = [c for c in closed if c.filed_at and c.closed_at
             and cal.business_seconds(c.filed_at, c.closed_at) <= 9 * 3600]
    assert len(quick) > len(closed) / 2


# ---- determinism and rebuild -------------------------------------------------------------

def _signatures(tmp_path: Path, seeds: tuple[int, ...], count: int = 60) -> list[Counter]:
    config = load_config()
    found = []
    for i, seed in enumerate(seeds):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        store = _store(folder, config)
        try:
            generate(store, config, cards=count, seed=seed, now=NOW)
            found.append(_signature(store.list_cards()))
        finally:
            store.close()
    return found


def test_same_seed_same_cards(tmp_path: Path) -> None:
    first, second = _signatures(tmp_path, (1, 1))
    assert first == second


def test_different_seed_different_cards(tmp_path: Path) -> None:
    first, second = _signatures(tmp_path, (1, 2))
    assert first != second


def test_rebuild_leaves_the_same_projection(demo: tuple[Store, DemoResult]) -> None:
    store = demo[0]
    before = [card_to_dict(c) for c in store.list_cards()]
    assert store.rebuild() == CARDS
    assert [card_to_dict(c) for c in store.list_cards()] == before


def test_works_on_sqlite_and_postgresql(database_url: str) -> None:
    config = load_config()
    store = Store(database_url, config)
    try:
        result = generate(store, config, cards=40, seed=7, now=NOW)
        assert result.cards == store.count_cards() == 40
        before = [card_to_dict(c) for c in store.list_cards()]
        store.rebuild()
        assert [card_to_dict(c) for c in store.list_cards()] == before
    finally:
        store.close()


def test_per_commit_durability_is_back_after_generating(
        demo: tuple[Store, DemoResult]) -> None:
    store = demo[0]
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


# ---- what the cards say ------------------------------------------------------------------

def test_hazards_are_complete(cards: list[Card]) -> None:
    config = load_config()
    hazards = [c for c in cards if c.kind == "hazard"]
    assert any(c.fields["work_stopped"] for c in hazards)
    assert sum("observed_at" in c.fields for c in hazards) > len(hazards) / 2
    for card in hazards:
        assert card.fields["description"] and card.fields["location"]
        if "observed_at" in card.fields:
            assert datetime.fromisoformat(card.fields["observed_at"]) <= card.filed_at
    bands = Counter(c.risk_initial.band for c in hazards if c.risk_initial)
    assert bands["high"] + bands["critical"] > 0 and bands["low"] + bands["medium"] > 0
    closed = [c for c in hazards if c.state == "closed"]
    for card in closed:
        assert card.resolution and card.risk_residual and card.actions
        assert all(a.status == "done" for a in card.actions.values())
    assert any(c.risk_residual.band in ("low", "medium") for c in closed if c.risk_residual)
    accepted = [c for c in closed if c.risk_acceptance]
    assert accepted
    blocked = band_rank(config.risk["close_blocked_from_band"], config)
    assert any(c.effective is False or band_rank(c.risk_residual.band, config) >= blocked
               for c in accepted if c.risk_residual)


def test_complaints_fill_the_whole_checklist(cards: list[Card]) -> None:
    config = load_config()
    complaints = [c for c in cards if c.kind == "complaint"]
    positive = [c for c in complaints if c.fields["sentiment"] == "positive"]
    assert 0.1 < len(positive) / len(complaints) < 0.35
    assert all(c.fields["outcome"] == "satisfied" for c in positive)
    for card in complaints:
        f = card.fields
        assert f["cause"] in config.lists["complaint_causes"]
        assert f["emotional_state"] in config.lists["emotional_states"]
        assert f["outcome"] in config.lists["complaint_outcomes"]
        assert set(f["steps_done"]) <= set(config.lists["complaint_steps"])
        assert f["conclusion"]
        sentences = [s for s in re.split(r"[.!?](?:\s|$)", f["account"]) if s.strip()]
        assert 3 <= len(sentences) <= 5, f["account"]
    assert len({tuple(c.fields["steps_done"]) for c in complaints}) > 2
    assert len({c.fields["outcome"] for c in complaints}) > 2
    assert all(c.resolution for c in complaints if c.state == "closed")


def test_ideas_are_implemented_or_rejected_with_a_reason(cards: list[Card]) -> None:
    ideas = [c for c in cards if c.kind == "safety_idea"]
    assert all(c.fields["proposal"] and c.fields["expected_effect"] for c in ideas)
    assert any(c.state == "closed" and "Внедрено" in (c.resolution or "") for c in ideas)
    assert any(c.state == "rejected" and c.reject_reason for c in ideas)


def test_people_act_in_their_roles(cards: list[Card]) -> None:
    users = load_config().users
    for card in cards:
        site = card.fields["site"]
        for entry in card.history:
            if entry.type in ("card.filed", "routed"):
                assert entry.actor is None if card.anonymous else users[entry.actor].role == "staff"
            elif entry.type == "comment.added":
                assert entry.actor in (card.supervisor, card.reporter)
            elif entry.type == "action.updated" or entry.payload.get("to") == "verifying":
                # An action is marked done by the card's supervisor or by its owner when the
                # owner is a supervisor (staff may not; see PERMISSIONS).
                assert users[entry.actor].role == "supervisor"
            else:
                assert entry.actor == card.supervisor, (entry.type, card.title)
        for action in card.actions.values():
            owner = users[action.owner]
            assert owner.site == site or action.owner == card.supervisor
            assert owner.role in ("staff", "supervisor")


def test_titles_do_not_repeat_much(cards: list[Card]) -> None:
    titles = Counter(c.title for c in cards)
    assert len(titles) > CARDS * 0.6
    assert titles.most_common(1)[0][1] <= 6


# ---- content files and arguments ---------------------------------------------------------

def test_content_files_are_complete_and_every_placeholder_fills() -> None:
    config = load_config()
    texts = content()
    fill = {name: "1" for name in ("n", "n2", "nn", "nn2", "nnn", "act", "window", "minutes",
                                   "order", "time", "shift", "Shift", "client", "product",
                                   "liquid")}
    for category in config.lists["hazard_categories"]:
        templates = texts["hazards"][category]
        assert len({t["title"] for t in templates}) >= 6, category
        for t in templates:
            assert t["description"] and t["locations"] and t["actions"] and t["resolution"]
            assert len(t["risk"]) == 3 and all(1 <= v <= 5 for v in t["risk"])
            assert all(kind in config.lists["action_types"] for kind, _ in t["actions"])
    for cause in config.lists["complaint_causes"]:
        assert len(texts["complaints"]["negative"][cause]) >= 4, cause
    assert len(texts["complaints"]["positive"]) >= 4
    assert len(texts["ideas"]["ideas"]) >= 10

    def strings(value: object) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    extra = {"help": "", "missing": ""}
    for name, data in texts.items():
        for text in strings(data):
            names = set(_FIELD.findall(text))
            assert names <= set(fill) | set(extra), (name, text)
            filled = text.format_map(fill | extra)
            assert not set(filled) & set("{}"), (name, text)


def test_arguments(tmp_path: Path) -> None:
    config = load_config()
    store = _store(tmp_path, config)
    try:
        assert generate(store, config, cards=0, now=NOW) == DemoResult(0, {}, {})
        result = generate(store, config, cards=5, seed=3, now=NOW)
        assert result.cards == 5 and store.count_cards() == 5
        with pytest.raises(ValueError):
            generate(store, config, cards=5, now=datetime(2026, 10, 14, 12, 30))
        with pytest.raises(ValueError):
            generate(store, config, cards=-1, now=NOW)
    finally:
        store.close()


def test_demo_data_is_never_queued_for_sync(demo: tuple[Store, DemoResult]) -> None:
    store, _ = demo
    assert store.count_events() > 0
    assert store.outbox_count() == 0
