"""The look at a store file at every open (forms/store/integrity.py), on real SQLite files:
it flags what a damaged file looks like — a cut copy, a page of garbage or zeros at the end —
and leaves alone what a sound one may hold: free pages with anything on them. Its verdict
always comes from `PRAGMA quick_check`. The commands' side: tests/cli/test_damaged_store.py."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from forms.config import Config
from forms.errors import Damaged
from forms.service import CardService
from forms.store import integrity
from forms.store.repo import Store
from tests.forms.conftest import HAZARD

PAGE = 4096


@pytest.fixture
def db(tmp_path: Path, config: Config) -> Path:
    path = tmp_path / "safecard.db"
    store = Store(f"sqlite:///{path}", config)
    service = CardService(store, config, user="ivanov", device_id="dev-1")
    service.file_many([(HAZARD | {"title": f"Опасность {i}"}, False) for i in range(80)])
    store.close()
    return path


def _free_leaves(path: Path) -> list[int]:
    header = path.read_bytes()[:100]
    trunk = int.from_bytes(header[32:36], "big")
    with path.open("rb") as f:
        f.seek((trunk - 1) * PAGE)
        data = f.read(PAGE)
    count = int.from_bytes(data[4:8], "big")
    return [int.from_bytes(data[8 + 4 * i:12 + 4 * i], "big") for i in range(count)]


def test_a_sound_store_passes_the_look_and_the_check(db: Path) -> None:
    assert integrity.suspect(db) is None and integrity.problems(db) == []
    integrity.check_at_open(db)
    assert integrity.suspect(db.with_name("new.db")) is None  # a store not made yet


def test_a_cut_copy_is_damaged(db: Path) -> None:
    with db.open("r+b") as f:
        f.truncate(db.stat().st_size - 10 * PAGE)
    assert integrity.suspect(db) == "the file is shorter than its header says"
    with pytest.raises(Damaged):
        integrity.check_at_open(db)


def test_free_pages_may_hold_anything(db: Path) -> None:
    with sqlite3.connect(db) as conn:  # the outbox emptied, as after a sync: its pages free
        conn.execute("DELETE FROM outbox")
    conn.close()
    leaves = _free_leaves(db)
    assert leaves
    with db.open("r+b") as f:
        for leaf in leaves:
            f.seek((leaf - 1) * PAGE)
            f.write(os.urandom(PAGE))
    assert integrity.suspect(db) is None and integrity.problems(db) == []


def test_what_is_not_damage_is_not_called_damage(db: Path, tmp_path: Path) -> None:
    locked = sqlite3.connect(db)
    try:
        locked.execute("BEGIN EXCLUSIVE")  # another process holds the file
        error = sqlite3.OperationalError("database is locked")
        assert integrity.explain(error, db) is None
    finally:
        locked.rollback()
        locked.close()
    assert integrity.explain(ValueError("not a storage error"), db) is None
