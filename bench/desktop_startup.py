"""Desktop start-up: the main window on a 100k-card store until its first page of cards is
shown, against a bare PySide6 window (import, QApplication, show), each in a fresh process,
in the same run, so the ratio says what SafeCard adds. Not a test: prints its figures.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/desktop_startup.py [--cards 100000]

The store is built fast: one card is filed through the service, then its projection row is
copied inside SQLite (the list reads only the projection; see tests/desktop/test_big_store.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BARE = """
import time; t = time.perf_counter()
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([]); w = QMainWindow(); w.resize(1280, 800); w.show(); app.processEvents()
print(time.perf_counter() - t)
"""

SAFECARD = """
import sys, time; t = time.perf_counter()
from PySide6.QtCore import QCoreApplication
from desktop.app import application
from desktop.main_window import MainWindow
from forms.home import open_home
app = application([])
home = open_home(sys.argv[1]); config = home.config(); store = home.open_store(config)
window = MainWindow(home, config, store, user="auditor"); window.show()
shown = time.perf_counter()
while window.list_model.rowCount() == 0:
    QCoreApplication.processEvents()
first_page = time.perf_counter()
print(shown - t, first_page - t, window.list_model.total)
window.close(); store.close()
"""


def build(home: Path, cards: int) -> None:
    from forms.home import open_home
    from forms.service import CardService

    where = open_home(home)
    config = where.config()
    store = where.open_store(config)
    try:
        template = CardService(store, config, user="ivanov").file(
            {"kind": "hazard", "title": "Образец", "description": "d", "site": "sever",
             "department": "synthesis", "category": "slips_trips"}).card_id
    finally:
        store.close()
    with sqlite3.connect(where.store_path) as con:
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
                FROM cards c, n WHERE c.id = ?""", (cards - 1, template))


def run(code: str, *args: str) -> list[float]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True,
                         text=True, env=env).stdout.split()
    return [float(x) for x in out]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        build(home, args.cards)
        bare, shown, first = [], [], []
        for _ in range(args.rounds):
            bare.append(run(BARE)[0])
            window, page, total = run(SAFECARD, str(home))
            assert int(total) == args.cards
            shown.append(window)
            first.append(page)
    bare_s, first_s = statistics.median(bare), statistics.median(first)
    print(json.dumps({
        "cards": args.cards,
        "bare_window_s": round(bare_s, 3),
        "safecard_window_s": round(statistics.median(shown), 3),
        "safecard_first_page_s": round(first_s, 3),
        "first_page_vs_bare": round(first_s / bare_s, 1),
    }, indent=1))


if __name__ == "__main__":
    main()
