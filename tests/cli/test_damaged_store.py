"""A damaged store says so, and `safecard recover` rebuilds it (issue 15, point 7).

The store is a real SQLite file of 60 cards made by `safecard import`; then one page of it
is overwritten, as a bad sector, a torn write or a cut copy would: the last page (where
SQLite appends), with random bytes or zeros, or a page in the middle of the event log. Every
command — list, search, file, sync, rebuild — then stops with exit 74 and one line saying
what happened and what to do, in Russian or English, and writes nothing. `safecard recover`
keeps the damaged file byte for byte, rebuilds the cards from the readable log with their
outbox, and says what it could not read. With a real server: tests/e2e/test_recover.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from forms.config import load_config
from forms.store import integrity
from forms.store.repo import Store
from tests.cli.test_cli import HAZARD, IDEA, Result
from tests.cli.test_cli import run as run
from tests.cli.test_import_bulk import lines_file

CARDS = 60
PAGE = 4096


@pytest.fixture
def filed(run: Callable[..., Result], safecard_home: Path, tmp_path: Path) -> Path:
    path = lines_file(tmp_path, [HAZARD | {"title": f"Опасность {i}"} for i in range(CARDS)])
    assert run("import", str(path), user="ivanov").code == 0
    assert not (safecard_home / "safecard.db-wal").exists()  # all in the file itself
    return safecard_home / "safecard.db"


def _overwrite(db: Path, page: int, data: bytes) -> None:
    with db.open("r+b") as f:
        f.seek((page - 1) * PAGE)
        f.write(data)


def _last_page(db: Path) -> int:
    return db.stat().st_size // PAGE


def _page_of(db: Path, table: str) -> int:
    """A leaf page in the middle of `table` (SQLite's dbstat)."""
    with sqlite3.connect(db) as conn:
        leaves = [n for (n,) in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
            (table,))]
    conn.close()
    assert len(leaves) >= 3
    return leaves[len(leaves) // 2]


def _digest(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


@pytest.mark.parametrize("garbage", [os.urandom(PAGE), bytes(PAGE)], ids=["random", "zeros"])
def test_every_command_on_a_store_with_its_last_page_overwritten_says_so(
        run: Callable[..., Result], filed: Path, garbage: bytes) -> None:
    _overwrite(filed, _last_page(filed), garbage)
    before = _digest(filed)
    idea = json.dumps(IDEA, ensure_ascii=False)
    for args, stdin in ((["list"], ""), (["list", "--search", "Опасность"], ""),
                        (["file"], idea), (["sync", "--once"], ""), (["rebuild"], "")):
        result = run(*args, stdin=stdin, user="ivanov")
        assert result.code == 74, (args, result)
        assert result.err.count("\n") == 1 and "Traceback" not in result.err
        assert "повреждён" in result.err and "safecard recover" in result.err
    english = run("--lang", "en", "list")
    assert english.code == 74 and "damaged" in english.err and "safecard recover" in english.err
    assert _digest(filed) == before  # nothing was written to it


def test_damage_in_the_middle_is_found_when_a_command_meets_it(
        run: Callable[..., Result], filed: Path) -> None:
    _overwrite(filed, _page_of(filed, "events"), os.urandom(PAGE))
    assert integrity.suspect(filed) is None  # the cheap look at open sees the tail only
    assert run("list").code == 0  # the projection is intact: listing works
    result = run("rebuild")  # reads the whole log: meets the page, then the full check
    assert result.code == 74 and "повреждён" in result.err and "Traceback" not in result.err


def test_recover_keeps_the_damaged_file_and_rebuilds_from_the_log(
        run: Callable[..., Result], filed: Path, safecard_home: Path) -> None:
    store = Store(f"sqlite:///{filed}", load_config(), migrate=False)
    try:
        device, outbox = store.get_meta("device_id"), store.outbox_count()
    finally:
        store.close()
    _overwrite(filed, _last_page(filed), os.urandom(PAGE))
    damaged = filed.read_bytes()

    result = run("recover")
    assert result.code == 0, result.err
    assert f"карточек: {CARDS}" in result.out and "Сервер не настроен" in result.out
    copies = list((safecard_home / "damaged").glob("safecard-*.db"))
    assert len(copies) == 1 and copies[0].read_bytes() == damaged
    assert integrity.problems(filed) == []
    store = Store(f"sqlite:///{filed}", load_config(), migrate=False)
    try:
        assert store.count_cards() == CARDS
        assert store.get_meta("device_id") == device
        assert store.outbox_count() == outbox  # what was still owed the server still is
    finally:
        store.close()
    assert len(run("list", "--json", "--limit", "100").json()) == CARDS  # type: ignore[arg-type]
    assert run("file", stdin=json.dumps(IDEA, ensure_ascii=False), user="ivanov").code == 0
    assert "цел" in run("recover").out  # a sound store is left alone


def test_recover_steps_over_a_damaged_page_of_the_log(
        run: Callable[..., Result], filed: Path) -> None:
    _overwrite(filed, _page_of(filed, "events"), os.urandom(PAGE))
    result = run("recover")
    assert result.code == 0, result.err
    lost = int(result.out.split("не меньше ")[1].split(" ")[0])
    assert 0 < lost < CARDS  # one page of the log, not the rest of it
    cards = run("list", "--json", "--limit", "100").json()
    assert CARDS - lost <= len(cards) < CARDS  # type: ignore[arg-type]
    assert integrity.problems(filed) == []
