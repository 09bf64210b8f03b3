"""The store's batch paths on SQLite and PostgreSQL: a pulled page applied at once, pages in
any order, many cards filed in one transaction — each gives the projection the one-by-one
path gives, stores nothing twice, and commits whole or not at all."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from forms.config import Config
from forms.errors import SafeCardError
from forms.events import Event
from forms.service import CardService, Filed
from forms.store import syncio
from forms.store.models import ActionRow, CardRow
from forms.store.repo import CardQuery, Part, Store
from tests.forms.conftest import COMPLAINT, HAZARD, IDEA, FakeClock


@pytest.fixture
def any_store(database_url: str, config: Config) -> Iterator[Store]:
    s = Store(database_url, config)
    yield s
    s.close()


@pytest.fixture
def source(tmp_path: Path, config: Config, clock: FakeClock) -> Iterator[Store]:
    """A workstation where cards were filed and worked: their log is what others pull."""
    s = Store(f"sqlite:///{tmp_path}/source.db", config)
    worker, boss = (CardService(s, config, user=u, device_id=f"dev-{u}", clock=clock)
                    for u in ("ivanov", "petrov"))
    for i in range(7):
        clock.advance(hours=2)
        card_id = worker.file(HAZARD | {"title": f"Опасность {i}"}).card_id
        if i % 2:
            boss.assess(card_id, 2, 3, i % 5 + 1, "ok")
            action_id, _ = boss.add_action(card_id, f"Мера {i}", "ivanov", "2026-12-20")
            boss.comment(card_id, f"Комментарий {i}")
            if i % 3 == 0:
                worker.complete_action(action_id, "сделано")
    worker.file(COMPLAINT)
    worker.file(IDEA)
    yield s
    s.close()


def _projection(store: Store) -> list[tuple[object, ...]]:
    """Every projection row (card rows, actions, search hits) in a comparable form."""
    with store.session() as s:
        cards = [tuple(getattr(r, c.name) for c in CardRow.__table__.columns)
                 for r in s.scalars(select(CardRow).order_by(CardRow.id))]
        actions = [(a.id, a.card_id, a.title, a.owner, a.due, a.status, a.done_at)
                   for a in s.scalars(select(ActionRow).order_by(ActionRow.id))]
    hits = [c.id for c in store.list_cards(CardQuery(search="Опасность"))]
    return [*cards, *actions, tuple(sorted(hits))]


def _one_by_one(tmp_path: Path, config: Config, events: list[Event]) -> Store:
    other = Store(f"sqlite:///{tmp_path}/one_by_one.db", config)
    for event in events:
        other.append([event], outbox=None)
    return other


def test_a_page_applied_at_once_equals_events_applied_one_by_one(
        any_store: Store, source: Store, config: Config, tmp_path: Path) -> None:
    events = [e for _, e in source.events()]
    assert syncio.apply_page(any_store, events, {"sync_cursor": "c1"})
    reference = _one_by_one(tmp_path, config, events)
    try:
        assert _projection(any_store) == _projection(reference) == _projection(source)
        assert any_store.get_meta("sync_cursor") == "c1"
        assert any_store.outbox_count() == 0
        any_store.rebuild()
        assert _projection(any_store) == _projection(reference)
    finally:
        reference.close()


@pytest.mark.parametrize("order", ["in_order", "reversed", "shuffled"])
def test_pages_in_any_order_and_cut_anywhere_give_the_same_cards(
        any_store: Store, source: Store, order: str) -> None:
    """Small pages cut cards in two: a page then continues a stored card (applied on top)
    or comes before what is stored (folded again from the log); both must agree."""
    events = [e for _, e in source.events()]
    if order == "reversed":
        events.reverse()
    elif order == "shuffled":
        random.Random(5).shuffle(events)
    for i in range(0, len(events), 3):
        syncio.apply_page(any_store, events[i : i + 3], {"sync_cursor": str(i)})
    assert _projection(any_store) == _projection(source)


def test_a_page_applied_twice_changes_nothing(any_store: Store, source: Store) -> None:
    events = [e for _, e in source.events()]
    syncio.apply_page(any_store, events, {"sync_cursor": "c1"})
    before = (any_store.count_events(), _projection(any_store))
    assert syncio.apply_page(any_store, events + events, {"sync_cursor": "c1"}) == []
    assert (any_store.count_events(), _projection(any_store)) == before


def test_filing_many_is_one_transaction_with_per_card_errors(
        any_store: Store, config: Config, clock: FakeClock) -> None:
    service = CardService(any_store, config, user="ivanov", device_id="dev-A", clock=clock)
    outcomes = service.file_many([(HAZARD, False), ({"kind": "hazard"}, False),
                                  (IDEA, False), (COMPLAINT, False)])
    assert [type(o) for o in outcomes] == [Filed, type(outcomes[1]), Filed, Filed]
    assert isinstance(outcomes[1], SafeCardError)
    ids = [o.card_id for o in outcomes if isinstance(o, Filed)]
    assert sorted(c.id for c in any_store.list_cards()) == sorted(ids)
    # Every event is queued once, numbered in one contiguous device sequence.
    seqs = [e.device_seq for _, e in any_store.events()]
    assert seqs == list(range(1, 7)) and any_store.outbox_count() == 6
    assert [e.id for e in syncio.pending(any_store, 10)] == [e.id for _, e in any_store.events()]
    assert any_store.count_cards(CardQuery(search="Светоотражающая")) == 1


def test_appending_the_same_parts_again_stores_nothing_twice(
        any_store: Store, source: Store) -> None:
    by_card: dict[str, list[Event]] = {}
    for _, event in source.events():
        by_card.setdefault(event.card_id, []).append(event)
    parts = [Part(events) for events in by_card.values()]
    any_store.append_many(parts)
    before = (any_store.count_events(), any_store.outbox_count(), _projection(any_store))
    assert any_store.append_many(parts + parts) == []
    assert (any_store.count_events(), any_store.outbox_count(),
            _projection(any_store)) == before
    assert _projection(any_store) == _projection(source)


def test_a_failing_batch_leaves_nothing_behind(any_store: Store, source: Store,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    events = [e for _, e in source.events()]

    def broken(*_args: object) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(any_store, "_write_projections", broken)
    with pytest.raises(RuntimeError):
        syncio.apply_page(any_store, events, {"sync_cursor": "c1"})
    monkeypatch.undo()
    assert any_store.count_events() == 0 and any_store.get_meta("sync_cursor") is None
    with any_store.session() as s:
        assert s.scalar(text("SELECT count(*) FROM cards")) == 0
