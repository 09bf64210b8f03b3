"""One machine-readable line per measured figure, so `bench/run_all` can gather every bench.

Each bench prints its human-readable lines as it likes and, for every figure that has a target,
calls `report(...)`, which prints one line starting with ``BENCH `` followed by JSON:

    BENCH {"name": "filing p95", "value": 3.6, "unit": "ms", "baseline": "raw sqlite3 insert",
           "baseline_value": 0.37, "ratio": 9.7, "target": "<= 5 ms", "met": true}

`ratio` is value / baseline_value unless the bench passes its own (for throughput the
meaningful ratio is ours / theirs). `met` is None when the figure has no target.
"""

from __future__ import annotations

import json
import sys

PREFIX = "BENCH "


def report(name: str, value: float, unit: str, *, baseline: str | None = None,
           baseline_value: float | None = None, ratio: float | None = None,
           target: str | None = None, met: bool | None = None, cards: int | None = None) -> None:
    if ratio is None and baseline_value:
        ratio = value / baseline_value
    line = {"name": name, "value": round(value, 4), "unit": unit, "baseline": baseline,
            "baseline_value": None if baseline_value is None else round(baseline_value, 4),
            "ratio": None if ratio is None else round(ratio, 3), "target": target, "met": met,
            "cards": cards}
    print(PREFIX + json.dumps(line, ensure_ascii=False), flush=True)
    sys.stdout.flush()
