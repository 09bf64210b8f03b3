"""The planning report's tables as CSV or XLSX, for people who work the figures further.

The tables are exactly those the PDF prints (`reports.planning.tables`), with raw numbers
(no thousands separators, "." as the decimal point, an empty cell where the PDF shows "—").

CSV: one UTF-8 file (with a byte-order mark, so spreadsheet programs read Cyrillic), one
section per table: a row with the table's key and title, its header row, its data rows, and a
blank row. XLSX: one sheet per table, named by its key, with the title in A1, the header in
row 2 and the data below.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

from reports.planning import MetricTable

FORMATS = ("pdf", "csv", "xlsx")


def write_csv(tables: Sequence[MetricTable], out: Path) -> None:
    partial = out.with_name(out.name + ".part")
    try:
        with partial.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            for table in tables:
                writer.writerow([table.key, table.title])
                writer.writerow(table.columns)
                writer.writerows([["" if v is None else v for v in row] for row in table.rows])
                writer.writerow([])
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def write_xlsx(tables: Sequence[MetricTable], out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.key[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append(table.columns)
        for c in sheet[2]:
            c.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
        sheet.column_dimensions["A"].width = 48
        for letter in "BCDEFGH":
            sheet.column_dimensions[letter].width = 16
    partial = out.with_name(out.name + ".part")
    try:
        book.save(partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
