"""`safecard recover` with a real server (issue 15, point 7): what the damage took comes back.

A worker files 40 cards and syncs them to the real `safecard-server` on loopback, then files
5 more that are not sent yet. A page of the oldest part of the log and the file's last page
are overwritten. Every command says the store is damaged; `safecard recover` keeps a copy,
rebuilds what it can read — the 5 unsent cards among it, still queued — sends those and
pulls the whole log again: the workstation then has all 45 cards, the server too, once each.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from forms.store.models import CardRow
from sync.server import auth
from sync.server.db import open_server_store
from tests.e2e.faults.netutil import free_port
from tests.e2e.test_two_desktops import HAZARD, PASSWORD, Cli, Server
from tests.e2e.test_two_desktops import desktop as desktop

PAGE = 4096


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path}/server.db"
    store = open_server_store(url)
    auth.add_user(store, "ivanov", "staff", PASSWORD)
    store.close()
    srv = Server(url, free_port(), tmp_path / "server.log")
    srv.start()
    yield srv
    srv.stop()


def _first_log_page(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        first = conn.execute("SELECT min(pageno) FROM dbstat WHERE name = 'events' "
                             "AND pagetype = 'leaf'").fetchone()[0]
    conn.close()
    return int(first)


def _overwrite(db: Path, page: int) -> None:
    with db.open("r+b") as f:
        f.seek((page - 1) * PAGE)
        f.write(os.urandom(PAGE))


def _titles(run: Cli) -> list[str]:
    cards = json.loads(run("list", "--json", "--limit", "100").stdout)
    return sorted(c["title"] for c in cards)


def test_recover_rebuilds_sends_what_was_owed_and_pulls_the_rest(
        server: Server, desktop: Callable[[str], Cli], tmp_path: Path) -> None:
    a = desktop("worker")
    lines = tmp_path / "cards.jsonl"
    lines.write_text("\n".join(json.dumps(HAZARD | {"title": f"Опасность {i:02}"},
                                          ensure_ascii=False) for i in range(40)), "utf-8")
    a("--user", "ivanov", "import", str(lines))
    a("login", "--server", server.address, "--user", "ivanov", stdin=PASSWORD.encode())
    a("sync", "--once")
    for i in range(40, 45):
        a("--user", "ivanov", "file", stdin=json.dumps(HAZARD | {"title": f"Опасность {i}"},
                                                       ensure_ascii=False).encode())
    db = tmp_path / "worker" / "safecard.db"
    _overwrite(db, _first_log_page(db))
    _overwrite(db, db.stat().st_size // PAGE)

    broken = a("list", ok=False)
    assert broken.returncode == 74 and "safecard recover" in broken.stderr
    recovered = a("recover")
    assert "Часть журнала событий не прочитана" in recovered.stdout
    assert "С сервера получено событий" in recovered.stdout
    assert len(list((tmp_path / "worker" / "damaged").glob("*.db"))) == 1

    expected = sorted([f"Опасность {i:02}" for i in range(40)]
                      + [f"Опасность {i}" for i in range(40, 45)])
    assert _titles(a) == expected
    engine = create_engine(server.url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(CardRow)) == 45
    finally:
        engine.dispose()
    assert "отправлено 0" in a("sync", "--once").stdout  # nothing is owed any more
