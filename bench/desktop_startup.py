"""Desktop start-up on a big store: cold start to a usable main window (its first page of
cards shown), the first page of the list, and the process's memory, each start in a fresh
process, against a bare PySide6 window started the same way in the same run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/desktop_startup.py [--cards 100000]

Figures (issue 8): cold start <= 0.6 s where a bare window takes 0.15 s (so the ratio to the
bare window, <= 4.0, is what is judged on a busy machine); first page <= 100 ms, the list's
own reload (query on the worker, rows prepared, model reset), against a raw sqlite3 query of
the same 200 rows; peak RSS <= 250 MB.

The store is built fast: one card is filed through the service, then its projection row (and
its search-index row) is copied inside SQLite with varied Russian titles and filing times
spread over about three years (the list reads only the projection).
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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _result import report

BARE = """
import time; t = time.perf_counter()
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([]); w = QMainWindow(); w.resize(1280, 800); w.show(); app.processEvents()
print(time.perf_counter() - t)
"""

# Waits in an event loop (as the app does), not a busy loop that would hold the GIL the
# worker thread needs.
SAFECARD = """
import sys, time; t = time.perf_counter()
from PySide6.QtCore import QEventLoop, QTimer
from desktop.app import application
from desktop.main_window import MainWindow
from forms.home import open_home
app = application([])
home = open_home(sys.argv[1]); config = home.config(); store = home.open_store(config)
window = MainWindow(home, config, store, user="auditor"); window.show()
model = window.list_model

def wait_page():
    loop = QEventLoop()
    model.reloaded.connect(loop.quit)
    QTimer.singleShot(60000, loop.quit)
    if model.rowCount() == 0 or model.loading:
        loop.exec()
    model.reloaded.disconnect(loop.quit)

wait_page()
app.processEvents()  # the rows painted
usable = time.perf_counter() - t
pages = []
for _ in range(5):
    started = time.perf_counter()
    model.reload(keep_loaded=False)
    wait_page()
    pages.append(time.perf_counter() - started)
pages.sort()
hwm = rss = 0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        hwm = int(line.split()[1]) / 1024
    if line.startswith("VmRSS:"):
        rss = int(line.split()[1]) / 1024
print(usable, pages[len(pages) // 2], model.total, rss, hwm)
window.close(); store.close()
"""

SUBJECTS = ["Масло", "Вода", "Кабель", "Стеллаж", "Лестница", "Погрузчик", "Ограждение",
            "Вентиляция", "Освещение", "Проход", "Поддон", "Шланг", "Баллон", "Люк", "Кран"]
PROBLEMS = ["на полу", "повреждён", "не закреплён", "загромождён", "не работает",
            "протекает", "искрит", "без маркировки", "скользкий", "перегружен", "открыт"]
PLACES = ["в цехе синтеза", "на складе сырья", "у ворот № 3", "в лаборатории", "на эстакаде",
          "в котельной", "у линии розлива", "в раздевалке", "в насосной", "у весовой"]
DETAILS = ["Рабочие обходят по краю.", "Возможна травма при падении.",
           "Сообщили мастеру смены.", "Нужна проверка электриком.",
           "Повторяется после каждой уборки.", "Нет предупреждающего знака."]


def _pick(words: list[str], step: int) -> str:
    return (f"json_extract('{json.dumps(words, ensure_ascii=False)}', "
            f"'$[' || ((n.i * {step}) % {len(words)}) || ']')")


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
        rest = [c for c in columns if c not in ("id", "title", "data", "filed_at", "next_due")]
        new_id = "printf('00000000-0000-7000-8000-%012d', n.i)"
        title = f"{_pick(SUBJECTS, 1)} || ' ' || {_pick(PROBLEMS, 7)} || ' ' || {_pick(PLACES, 3)}"
        description = f"'Обнаружено: ' || lower({title}) || '. ' || {_pick(DETAILS, 5)}"
        shift = "printf('-%d minutes', n.i * 15)"  # 100k cards: about three years
        filed = f"strftime('%Y-%m-%d %H:%M:%f', c.filed_at, {shift}) || '000'"
        filed_iso = f"strftime('%Y-%m-%dT%H:%M:%f', c.filed_at, {shift}) || '000+00:00'"
        due = f"strftime('%Y-%m-%d %H:%M:%f', c.next_due, {shift}) || '000'"  # moved alike
        con.execute(
            f"""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                INSERT INTO cards (id, title, data, filed_at, next_due, {", ".join(rest)})
                SELECT {new_id}, {title},
                       json_set(c.data, '$.id', {new_id}, '$.fields.title', {title},
                                '$.fields.description', {description}, '$.filed_at', {filed_iso}),
                       {filed}, {due}, {", ".join("c." + r for r in rest)}
                FROM cards c, n WHERE c.id = ?""", (cards - 1, template))
        con.execute("""INSERT INTO cards_fts (rowid, card_id, title, body)
                       SELECT rowid, id, title, json_extract(data, '$.fields.description')
                       FROM cards WHERE id != ?""", (template,))


def run(code: str, *args: str) -> list[float]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True,
                         text=True, env=env).stdout.split()
    return [float(x) for x in out]


def raw_first_page(db: Path) -> float:
    """The same 200 rows with plain sqlite3 and json.loads: the floor for a first page."""
    con = sqlite3.connect(db)
    try:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            rows = con.execute("SELECT data FROM cards ORDER BY filed_at DESC, id DESC "
                               "LIMIT 200").fetchall()
            [json.loads(r[0]) for r in rows]
            times.append(time.perf_counter() - started)
        return statistics.median(times)
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        build(home, args.cards)
        run(SAFECARD, str(home))  # the first start migrates and sets the device id
        bare, usable, page, rss, raw = [], [], [], [], []
        for _ in range(args.rounds):
            bare.append(run(BARE)[0])
            started, first, total, _now, peak = run(SAFECARD, str(home))
            assert int(total) == args.cards, total
            usable.append(started)
            page.append(first)
            rss.append(peak)
            raw.append(raw_first_page(home / "safecard.db"))
    bare_s, usable_s = statistics.median(bare), statistics.median(usable)
    page_ms, raw_ms = statistics.median(page) * 1000, statistics.median(raw) * 1000
    rss_mb = max(rss)
    print(f"{args.cards} cards, {args.rounds} rounds (medians):")
    print(f"  bare PySide6 window          {bare_s:.3f} s")
    print(f"  SafeCard usable main window  {usable_s:.3f} s  ({usable_s / bare_s:.1f}x bare)")
    print(f"  first page of the list       {page_ms:.1f} ms (raw sqlite3: {raw_ms:.1f} ms)")
    print(f"  peak RSS                     {rss_mb:.0f} MB")
    report("desktop cold start", usable_s, "s", baseline="bare PySide6 window",
           baseline_value=bare_s, target="<= 0.6 s (4.0x a 0.15 s bare window)",
           met=usable_s / bare_s <= 4.0, cards=args.cards)
    report("desktop first page", page_ms, "ms", baseline="raw sqlite3 page + json.loads",
           baseline_value=raw_ms, target="<= 100 ms", met=page_ms <= 100, cards=args.cards)
    report("desktop peak RSS", rss_mb, "MB", target="<= 250 MB", met=rss_mb <= 250,
           cards=args.cards)


if __name__ == "__main__":
    main()
