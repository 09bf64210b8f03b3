"""`forms.store.queries`: the desktop's list pages and deadline cards, on SQLite and PostgreSQL.

A list page must be exactly `Store.list_cards`'s page (same cards, same order, same count)
however it is read — by the search index once, by each match, or by walking the order index.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from forms import deadlines
from forms.config import Config
from forms.service import CardService
from forms.store import queries
from forms.store.queries import deadline_cards, list_page
from forms.store.repo import SORTABLE, CardQuery, Store
from tests.forms.conftest import COMPLAINT, HAZARD, FakeClock

WORDS = ("Масло на полу", "Кабель повреждён", "Люк открыт", "Масло у ворот")


@pytest.fixture
def filled(database_url: str, config: Config, clock: FakeClock) -> Iterator[Store]:
    store = Store(database_url, config)
    worker = CardService(store, config, user="ivanov", clock=clock)
    boss = CardService(store, config, user="petrov", clock=clock)  # sever's supervisor
    for i in range(24):
        clock.advance(hours=1 + i % 3)
        card_id = worker.file(HAZARD | {"title": f"{WORDS[i % 4]} {i}",
                                        "site": ("sever", "yug")[i % 2]}).card_id
        if i % 3 == 0:
            boss_of = CardService(store, config, user=("petrov", "belov")[i % 2], clock=clock)
            boss_of.assess(card_id, 2, 3, i % 5 + 1, "ok")
        if i % 6 == 0:
            boss.add_action(card_id, f"Мера {i}", "smirnova", "2026-12-20")
    CardService(store, config, user="morozova", clock=clock).file(COMPLAINT)
    yield store
    store.close()


QUERIES = [CardQuery(), CardQuery(site="yug"), CardQuery(search="масло"),
           CardQuery(search="люк"), CardQuery(search="масло", site="sever"),
           CardQuery(search="ма"), CardQuery(search="нет такого"), CardQuery(open_only=True)]


@pytest.mark.parametrize("few", [0, 10_000])  # every search by order index / by each match
def test_a_list_page_is_exactly_the_page_list_cards_gives(filled: Store, few: int,
                                                          monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(queries, "FEW_MATCHES", few)
    for query in QUERIES:
        for sort_by in SORTABLE:
            for newest_first in (True, False):
                order = {"sort_by": sort_by, "newest_first": newest_first}
                for offset in (0, 5):
                    want = filled.list_cards(query, limit=7, offset=offset, **order)
                    got, total = list_page(filled, query, limit=7, offset=offset, **order)
                    assert [e.id for e in got] == [c.id for c in want], (query, order, offset)
                    assert total == filled.count_cards(query)
                    for entry, card in zip(got, want, strict=True):
                        assert (entry.title, entry.kind, entry.state, entry.site,
                                entry.supervisor, entry.risk_band, entry.filed_at) == (
                            card.title, card.kind, card.state, card.fields.get("site"),
                            card.supervisor, card.risk_band, card.filed_at)
    assert list_page(filled, CardQuery(search="масло"), limit=3, count=False)[1] is None
    assert filled.count_cards(CardQuery(search="масло")) == 12


def test_deadline_cards_are_the_open_cards_due_soonest(filled: Store, config: Config,
                                                       clock: FakeClock):
    cards, total = deadline_cards(filled, limit=5)
    due = [deadlines.next_due(c, config) for c in cards]
    assert len(cards) == 5 and due == sorted(due)
    everything = [c for c in filled.list_cards(CardQuery(open_only=True))
                  if deadlines.next_due(c, config) is not None]
    assert total == len(everything)
    assert min(deadlines.next_due(c, config) for c in everything) == due[0]

    mine, mine_total = deadline_cards(filled, limit=100, user="smirnova")
    assert mine_total == len(mine) == 4  # only through the actions they own
    assert all(any(a.owner == "smirnova" for a in c.actions.values()) for c in mine)
    assert deadline_cards(filled, limit=100, user="morozova")[1] == 1  # their complaint
