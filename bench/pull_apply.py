"""Applying pulled events to a workstation store, without the network: 100k pre-built events
in pages of the size the sync engine asks for, each page and its cursor in one transaction
(`syncio.apply_page`, what `SyncEngine.pull` calls), into a fresh store.

The baseline inserts the same event rows with plain `sqlite3` executemany into a store of the
same schema, the same pages, one transaction each with its cursor, WAL + synchronous=FULL.
SafeCard also folds every touched card and writes its projection, actions and search rows,
so the ratio says what keeping the projection in step costs on top of the log. The events
are those of bench/sync_push_pull.py: filed cards and their routing, two per card.

    .venv/bin/python bench/pull_apply.py [--events 100000] [--page N]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from _result import report

from forms import events as ev
from forms.config import load_config
from forms.events import Event
from forms.hlc import HybridClock
from forms.ids import uuid7
from forms.store import syncio
from forms.store.repo import Store
from sync.engine import CURSOR_KEY, SyncEngine

TARGET_S = 5.0


def make_events(count: int) -> list[Event]:
    clock = HybridClock()
    out: list[Event] = []
    for i in range(count // 2):
        card_id = uuid7()
        fields = {"title": f"Идея {i}", "proposal": "Повесить зеркала на перекрёстках",
                  "expected_effect": "Меньше столкновений", "site": "sever",
                  "department": "warehouse"}
        out.append(Event(uuid7(), card_id, ev.CARD_FILED, clock.now(), "kozlov",
                         {"kind": "safety_idea", "fields": fields, "anonymous": False,
                          "sla_profile": "safety_idea"}))
        out.append(Event(uuid7(), card_id, ev.ROUTED, clock.now(), "kozlov",
                         {"supervisor": "sokolova", "chain": ["sokolova", "petrov"],
                          "rule": "sever-warehouse"}))
    return out


def pages(events: list[Event], size: int) -> list[list[Event]]:
    return [events[i : i + size] for i in range(0, len(events), size)]


def run_safecard(path: Path, batches: list[list[Event]]) -> tuple[float, float]:
    """Wall and CPU seconds (the CPU figure says more on a busy shared machine)."""
    store = Store(f"sqlite:///{path}", load_config())
    start, cpu = time.perf_counter(), time.process_time()
    for number, page in enumerate(batches):
        syncio.apply_page(store, page, {CURSOR_KEY: f"cursor-{number}"})
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    store.close()
    return elapsed, cpu


def run_raw(path: Path, batches: list[list[Event]]) -> float:
    Store(f"sqlite:///{path}", load_config()).close()  # the same schema and indexes
    rows = [[(e.id, e.card_id, e.type, e.hlc, e.actor, e.device_id, e.device_seq,
              json.dumps(e.payload)) for e in page] for page in batches]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    start = time.perf_counter()
    for number, page in enumerate(rows):
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO events (id, card_id, type, hlc, actor, device_id, "
                       "device_seq, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", page)
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                   (CURSOR_KEY, f"cursor-{number}"))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=None,
                        help="events per page (default: what the sync engine asks for)")
    args = parser.parse_args()
    size = args.page or _engine_page()
    batches = pages(make_events(args.events), size)
    n = sum(len(b) for b in batches)
    with tempfile.TemporaryDirectory() as tmp:
        raw = run_raw(Path(tmp) / "raw.db", batches)
        ours, cpu = run_safecard(Path(tmp) / "safecard.db", batches)
    print(f"applying {n} pulled events ({n // 2} cards), {len(batches)} pages of {size}, "
          "one transaction each, WAL + synchronous=FULL")
    print(f"  raw sqlite3 executemany, event rows only   {raw:7.2f} s")
    print(f"  safecard apply_page (log + projection)     {ours:7.2f} s   "
          f"(cpu {cpu:.2f} s, {n / ours:,.0f} events/s)")
    print(f"  ratio                                      {ours / raw:7.2f}x   "
          f"target: <= {TARGET_S:g} s")
    report("pull apply events", ours, "s", baseline="raw sqlite3 executemany, event rows",
           baseline_value=raw, target=f"<= {TARGET_S:g} s", met=ours <= TARGET_S, cards=n // 2)


def _engine_page() -> int:
    """The page size SyncEngine asks the server for (read from a throwaway engine)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/probe.db", load_config())
        try:
            return SyncEngine(store, client=None, blobs=None).pull_limit  # type: ignore[arg-type]
        finally:
            store.close()


if __name__ == "__main__":
    main()
