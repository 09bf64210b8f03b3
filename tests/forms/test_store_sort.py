"""`Store.list_cards(sort_by=…)`: lists sorted by the database, so lazy pages keep the order."""

from __future__ import annotations

from pathlib import Path

import pytest

from forms.home import open_home
from forms.service import CardService
from forms.store.repo import SORTABLE


def test_cards_sort_by_any_list_column_with_ties_broken_by_id(tmp_path: Path):
    home = open_home(tmp_path)
    config = home.config()
    store = home.open_store(config)
    try:
        service = CardService(store, config, user="ivanov")
        for title in ("Бета", "Альфа", "Гамма"):
            service.file({"kind": "hazard", "title": title, "description": "d",
                          "site": "sever", "category": "fire"})
        titles = [c.title for c in store.list_cards(sort_by="title", newest_first=False)]
        assert titles == ["Альфа", "Бета", "Гамма"]
        assert [c.title for c in store.list_cards(sort_by="title")] == titles[::-1]
        assert [c.title for c in store.list_cards(sort_by="title", limit=1, offset=1,
                                                  newest_first=False)] == ["Бета"]
        for key in SORTABLE:
            assert len(store.list_cards(sort_by=key)) == 3
        with pytest.raises(KeyError):
            store.list_cards(sort_by="data")
    finally:
        store.close()
