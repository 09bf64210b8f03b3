"""The damaged-store check at every open (forms/store/integrity.py) against the full check.

Builds a store of N cards with `safecard import` (bench/import_cards.py), then times, warm
(the file in the page cache) and cold (the file's pages dropped from it with
posix_fadvise(DONTNEED)):
- `integrity.suspect`, the cheap look every open of the store runs;
- `PRAGMA quick_check`, the full check it stands in for (run only when the look finds
  something, or after an SQLite error).
The figure is the look's warm time; its ratio is against quick_check's, measured in the same
run. Not a test: prints its figures.

    .venv/bin/python bench/store_check.py [--cards 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _result import report
from import_cards import run_import, write_cards

from forms.store import integrity

TARGET_MS = 5.0


def _drop_cache(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _median_ms(fn: Callable[[], object], runs: int, path: Path | None = None) -> float:
    times = []
    for _ in range(runs):
        if path is not None:
            _drop_cache(path)
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the store here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="safecard-bench-"))
    db = folder / "home" / "safecard.db"
    if not db.exists():
        write_cards(folder / "cards.jsonl", args.cards)
        run_import(folder / "home", folder / "cards.jsonl")
    assert integrity.problems(db) == [], "the bench store should be sound"

    look = _median_ms(lambda: integrity.suspect(db), 50)
    look_cold = _median_ms(lambda: integrity.suspect(db), 5, db)
    full = _median_ms(lambda: integrity.problems(db), 3)
    full_cold = _median_ms(lambda: integrity.problems(db), 2, db)
    size = db.stat().st_size / 2**20
    print(f"store of {args.cards} cards, {size:.0f} MB")
    print(f"  look at open (header, freelist, last {integrity.TAIL_PAGES} pages) "
          f"{look:8.2f} ms warm  {look_cold:8.2f} ms cold")
    print(f"  PRAGMA quick_check                                   "
          f"{full:8.1f} ms warm  {full_cold:8.1f} ms cold")
    report("store check at open", look, "ms", baseline="PRAGMA quick_check",
           baseline_value=full, target=f"<= {TARGET_MS:g} ms", met=look <= TARGET_MS,
           cards=args.cards)
    report("store check at open, cold cache", look_cold, "ms",
           baseline="PRAGMA quick_check, cold cache", baseline_value=full_cold,
           target=f"<= {TARGET_MS:g} ms", met=look_cold <= TARGET_MS, cards=args.cards)


if __name__ == "__main__":
    main()
