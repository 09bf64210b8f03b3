"""A store of 100 000 cards opens on its first page at once and scrolls lazily.

Filing 100k cards through `Store.append` costs about 5 ms a card here (the per-card
projection), minutes in all; so a few cards are filed the real way and their projection row
is then copied 100 000 times inside SQLite (about a second). The list reads only the
projection, which is what this test is about.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from desktop.deadlines_view import CARD_LIMIT
from desktop.main_window import MainWindow
from desktop.models import PAGE_SIZE
from forms.home import Home, open_home
from forms.service import CardService
from tests.desktop.helpers import hazard

pytestmark = pytest.mark.desktop

CARDS = 100_000


@pytest.fixture(scope="session")
def big_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = open_home(tmp_path_factory.mktemp("big") / "home")
    config = home.config()
    store = home.open_store(config)
    try:
        template = CardService(store, config, user="ivanov").file(
            hazard("Образец", department="synthesis")).card_id
    finally:
        store.close()
    clone(home.store_path, template, CARDS - 1)
    return home


def clone(db: Path, template: str, copies: int) -> None:
    with sqlite3.connect(db) as con:
        columns = [r[1] for r in con.execute("PRAGMA table_info(cards)")]
        rest = [c for c in columns if c not in ("id", "title", "data")]
        new_id = "printf('00000000-0000-7000-8000-%012d', n.i)"
        title = "'Карточка № ' || n.i"
        con.execute(
            f"""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                INSERT INTO cards (id, title, data, {", ".join(rest)})
                SELECT {new_id}, {title},
                       json_set(c.data, '$.id', {new_id}, '$.fields.title', {title}),
                       {", ".join("c." + r for r in rest)}
                FROM cards c, n WHERE c.id = ?""", (copies, template))


@pytest.mark.parametrize("user", ["auditor", "petrov"])
def test_a_100k_card_store_shows_its_first_page_and_loads_more_on_scroll(qtbot, big_home,
                                                                         user):
    config = big_home.config()
    store = big_home.open_store(config)
    try:
        started = time.perf_counter()
        window = MainWindow(big_home, config, store, user=user)
        qtbot.addWidget(window)
        window.show()
        model = window.list_model
        qtbot.waitUntil(lambda: model.rowCount() == PAGE_SIZE, timeout=10000)
        first_page = time.perf_counter() - started
        assert model.total == CARDS
        assert first_page < 5  # seconds; typically well under one
        assert len({model.row(i).id for i in range(model.rowCount())}) == PAGE_SIZE
        assert model._generation == 1  # one query at start: no reload for the sort indicator

        window.show_section("all")
        window.list_page.table.scrollToBottom()
        qtbot.waitUntil(lambda: model.rowCount() >= 2 * PAGE_SIZE, timeout=10000)
        assert model.rowCount() < CARDS  # only what was scrolled to is loaded
        window.close()
    finally:
        store.close()


def test_the_deadlines_of_a_100k_card_store_show_the_soonest_cards_only(qtbot, big_home):
    config = big_home.config()
    store = big_home.open_store(config)
    try:
        window = MainWindow(big_home, config, store, user="petrov")
        qtbot.addWidget(window)
        window.show()
        started = time.perf_counter()
        window.show_section("deadlines")
        page = window.deadlines_page
        qtbot.waitUntil(lambda: page.loaded, timeout=10000)
        assert time.perf_counter() - started < 5  # seconds; it read 100k cards for minutes
        assert page.total_cards == CARDS
        assert len({i.card_id for i in page.items}) == CARD_LIMIT
        assert page.more.isVisibleTo(page) and "из 100\xa0000" in page.more.text()
        window.close()
    finally:
        store.close()

