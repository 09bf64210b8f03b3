"""CSV and XLSX export of what a list shows (its query, every matching row, its visible columns).

The rows are read and written on the worker; these functions are plain file writers.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    # UTF-8 with a BOM and semicolons: what Excel on a Russian Windows opens without asking.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(headers)
        writer.writerows(rows)


def write_xlsx(path: Path, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for i, header in enumerate(headers):
        width = max([len(header), *(len(r[i]) for r in rows[:200])], default=10)
        sheet.column_dimensions[chr(ord("A") + i)].width = min(max(width + 2, 10), 60)
    sheet.freeze_panes = "A2"
    book.save(path)


def write_table(path: Path, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """By the file's suffix: .xlsx or (anything else) .csv."""
    if path.suffix.lower() == ".xlsx":
        write_xlsx(path, headers, rows)
    else:
        write_csv(path, headers, rows)
