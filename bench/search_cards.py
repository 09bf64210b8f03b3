"""Search on a big store: realistic Russian queries through the desktop search box's own path
(the card list model's reload: the first page of matches newest first, their count, the rows
prepared for display), against a raw sqlite3 FTS5 query of the same words on the same table,
in the same run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/search_cards.py [--cards 100000]

Target (issue 8): p95 <= 50 ms on 100k cards. The store is built as bench/desktop_startup.py
builds it (varied titles and descriptions, a search-index row per card).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _result import report
from desktop_startup import build

# What people type into the box: words and phrases of titles, places and descriptions, word
# stems (the index is trigram: any 3+ characters match), and a two-letter start, which falls
# back to a plain LIKE over titles and places.
QUERIES = ["масло", "масло на полу", "кабель", "лестниц", "погрузчик", "не работает",
           "скользк", "цехе синтеза", "ворот", "протекает", "вентиляц", "маркировки",
           "котельной", "баллон", "искрит", "мастеру смены", "проверка электриком",
           "травма", "ограждение", "склад", "насосн", "раздевалк", "обходят по краю",
           "люк открыт", "нет предупреждающего знака", "кран", "шланг", "весов", "ма",
           "образец"]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def through_the_list(home: Path, rounds: int) -> list[float]:
    """Each query as the search box runs it: `CardTableModel.set_query`, until `reloaded`."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.models import CardTableModel
    from desktop.ops import Ops
    from forms.home import open_home
    from forms.store.repo import CardQuery

    app = QApplication.instance() or QApplication([])
    where = open_home(home)
    config = where.config()
    store = where.open_store(config)
    ops = Ops()
    model = CardTableModel(store, config, ops)
    loop = QEventLoop()
    model.reloaded.connect(loop.quit)

    def run(query: CardQuery) -> float:
        started = time.perf_counter()
        model.set_query(query)
        QTimer.singleShot(30000, loop.quit)
        loop.exec()
        return time.perf_counter() - started

    try:
        run(CardQuery())  # the list as it opens
        times = []
        for _ in range(rounds):
            for text in QUERIES:
                times.append(run(CardQuery(search=text)))
                run(CardQuery())  # the box cleared: the next search is not a cached repeat
        return times
    finally:
        ops.shutdown()
        store.close()
        del app


def raw_fts(db: Path, rounds: int) -> list[float]:
    """The same words straight to FTS5 (every matching row id), no ordering, no cards."""
    con = sqlite3.connect(db)
    try:
        times = []
        for _ in range(rounds):
            for text in QUERIES:
                started = time.perf_counter()
                if len(text) >= 3:
                    phrase = '"' + text.replace('"', '""') + '"'
                    con.execute("SELECT rowid FROM cards_fts WHERE cards_fts MATCH ?",
                                (phrase,)).fetchall()
                else:
                    con.execute("SELECT rowid FROM cards WHERE title LIKE ?",
                                (f"%{text}%",)).fetchall()
                times.append(time.perf_counter() - started)
        return times
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        build(home, args.cards)
        ours = through_the_list(home, args.rounds)
        raw = raw_fts(home / "safecard.db", args.rounds)
    ours_p95, raw_p95 = p95(ours) * 1000, p95(raw) * 1000
    n = len(QUERIES)

    def median_ms(times: list[float], text: str) -> float:
        i = QUERIES.index(text)
        return statistics.median(times[r * n + i] for r in range(args.rounds)) * 1000

    slowest = sorted(QUERIES, key=lambda q: -median_ms(ours, q))[:4]
    print(f"{args.cards} cards, {len(QUERIES)} queries x {args.rounds} rounds:")
    print(f"  search box (list model)  p50 {statistics.median(ours) * 1000:6.1f} ms"
          f"  p95 {ours_p95:6.1f} ms")
    print(f"  raw sqlite3 FTS5         p50 {statistics.median(raw) * 1000:6.1f} ms"
          f"  p95 {raw_p95:6.1f} ms")
    for text in slowest:
        print(f"  slow: {text!r:30} {median_ms(ours, text):6.1f} ms"
              f" (raw {median_ms(raw, text):.1f} ms)")
    report("search p95", ours_p95, "ms", baseline="raw sqlite3 FTS5 query",
           baseline_value=raw_p95, target="<= 50 ms", met=ours_p95 <= 50, cards=args.cards)


if __name__ == "__main__":
    main()
