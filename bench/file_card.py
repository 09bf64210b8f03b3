"""Filing one card: p50/p95 of `CardService.file` against a raw durable SQLite insert.

Both write to a WAL store with synchronous=FULL on the same disk in the same run, so the
ratio says what SafeCard adds (validation, routing, fold, projection, FTS, outbox) on top of
the fsync every durable write pays. Not a test: prints its figures.

    .venv/bin/python bench/file_card.py [--cards 300]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from _result import report

from forms.config import load_config
from forms.service import CardService
from forms.store.repo import Store

CARD = {"kind": "hazard", "title": "Разлив масла у пресса №3",
        "description": "На полу масляное пятно у пресса, можно поскользнуться",
        "site": "sever", "department": "synthesis", "location": "Пресс №3",
        "category": "slips_trips", "work_stopped": True}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def bench_safecard(folder: Path, n: int) -> list[float]:
    config = load_config()
    store = Store(f"sqlite:///{folder}/safecard.db", config)
    service = CardService(store, config, user="ivanov", device_id="bench")
    samples = []
    for i in range(n):
        start = time.perf_counter()
        service.file(CARD | {"title": f"{CARD['title']} ({i})"})
        samples.append(time.perf_counter() - start)
    store.close()
    return samples


def bench_raw(folder: Path, n: int) -> list[float]:
    db = sqlite3.connect(folder / "raw.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE cards (id INTEGER PRIMARY KEY, data TEXT)")
    samples = []
    for i in range(n):
        start = time.perf_counter()
        db.execute("BEGIN")
        db.execute("INSERT INTO cards(data) VALUES (?)",
                   (json.dumps(CARD | {"title": f"{i}"}, ensure_ascii=False),))
        db.execute("COMMIT")
        samples.append(time.perf_counter() - start)
    db.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=300)
    n = parser.parse_args().cards
    with tempfile.TemporaryDirectory() as tmp:
        raw = _percentiles(bench_raw(Path(tmp), n))
        ours = _percentiles(bench_safecard(Path(tmp), n))
    print(f"filing one card, {n} cards, WAL + synchronous=FULL")
    print(f"  raw sqlite3 insert   p50 {raw[0] * 1000:7.2f} ms   p95 {raw[1] * 1000:7.2f} ms")
    print(f"  safecard file        p50 {ours[0] * 1000:7.2f} ms   p95 {ours[1] * 1000:7.2f} ms")
    print(f"  ratio (p95)          {ours[1] / raw[1]:.2f}x   target: p95 <= 5 ms")
    report("filing p50", ours[0] * 1000, "ms", baseline="raw sqlite3 insert, p50",
           baseline_value=raw[0] * 1000, cards=n)
    report("filing p95", ours[1] * 1000, "ms", baseline="raw sqlite3 insert, p95",
           baseline_value=raw[1] * 1000, target="<= 5 ms", met=ours[1] * 1000 <= 5, cards=n)


if __name__ == "__main__":
    main()
