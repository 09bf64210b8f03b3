"""Benchmark (not a test): the planning-meeting PDF over a demo store.

Prints, for a month and an ISO week at all sites, the time to gather the figures
(`reports.planning.collect`: two store queries and every metric) and to write the whole PDF
(figures, charts, layout), the page count, and the CSV/XLSX export times. The baseline is
the figures alone: the ratio is what the PDF adds on top of them. Each is the best of
--repeat runs in the same process (absolute times drift on shared machines).

    .venv/bin/python bench/planning_pdf.py [--cards 1000] [--seed 1] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _result import report
from audit_pdf import bench_store, best_of  # a sibling script (bench/ is not a package)

from forms.config import load_config
from forms.display import Display
from reports import export, planning
from reports.scope import parse_period, site_timezone

GENERATED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the store and outputs here")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="safecard-bench-"))
    config = load_config()
    store = bench_store(folder, config, args.cards, args.seed)

    tz = site_timezone(config)
    fmt = Display.create(config, "ru")
    for name in ("2026-10", "2026-W43"):
        period = parse_period(name, tz)
        collect_s, data = best_of(args.repeat, lambda period=period: planning.collect(
            store, config, period=period, site=None, now=GENERATED_AT))
        pdf = folder / f"planning-{name}.pdf"
        pdf_s, summary = best_of(args.repeat, lambda name=name, pdf=pdf: planning.write_planning(
            store, config, period=name, site=None, out=pdf, lang="ru",
            generated_at=GENERATED_AT))
        tables = planning.tables(data, fmt)
        csv_s, _ = best_of(args.repeat, lambda name=name, tables=tables: export.write_csv(
            tables, folder / f"planning-{name}.csv"))
        xlsx_s, _ = best_of(args.repeat, lambda name=name, tables=tables: export.write_xlsx(
            tables, folder / f"planning-{name}.xlsx"))
        print(f"{name}: {summary.cards} cards (previous {summary.previous_cards}); "
              f"figures {collect_s:.3f} s; PDF {pdf_s:.3f} s, {summary.pages} pages "
              f"({pdf.stat().st_size / 1e3:.0f} kB); ratio PDF / figures "
              f"{pdf_s / collect_s:.1f}x; CSV {csv_s * 1000:.0f} ms; XLSX {xlsx_s * 1000:.0f} ms")
        report(f"planning PDF {name}", pdf_s, "s", baseline="its figures alone (collect)",
               baseline_value=collect_s, cards=args.cards)
        report(f"planning XLSX {name}", xlsx_s * 1000, "ms", baseline="CSV of the same tables",
               baseline_value=csv_s * 1000, cards=args.cards)
    store.close()


if __name__ == "__main__":
    main()
