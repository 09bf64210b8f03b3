"""`safecard report planning|audit` from the command line: PDF, CSV and XLSX, --lang, and
one-line errors with the exit codes of DESIGN.md §10."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from cli.main import main
from forms.i18n import set_language
from tests.reports.pdftools import flat_text

HAZARD = {"kind": "hazard", "title": "Нет ограждения на площадке резервуара",
          "description": "Сняли перила", "site": "sever", "department": "synthesis",
          "category": "height"}


@pytest.fixture
def run(safecard_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    def _run(*args: str, stdin: str = "", user: str | None = None) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        set_language(None)
        code = main((["--user", user] if user else []) + list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return _run


def _this_month() -> str:
    # Cards are filed at the real clock; the period is this month in the site's timezone.
    return f"{datetime.now(UTC).astimezone(ZoneInfo('Europe/Moscow')):%Y-%m}"


def test_planning_pdf_csv_and_xlsx(run: Callable[..., tuple[int, str, str]],
                                   tmp_path: Path) -> None:
    code, _, err = run("file", "--json", stdin=json.dumps(HAZARD, ensure_ascii=False),
                       user="ivanov")
    assert code == 0, err
    month = _this_month()
    pdf = tmp_path / "p.pdf"
    code, out, err = run("report", "planning", "--period", month, "-o", str(pdf))
    assert code == 0, err
    assert str(pdf) in out
    text = flat_text(pdf)
    assert "Отчёт к планёрке" in text and "Карточек всего 1 0 +1" in text

    code, _, err = run("report", "planning", "--period", month, "-o", str(tmp_path / "en.pdf"),
                       "--lang", "en")
    assert code == 0, err
    assert "Planning-meeting report" in flat_text(tmp_path / "en.pdf")

    table_csv = tmp_path / "p.csv"
    code, _, err = run("report", "planning", "--period", month, "--site", "sever", "-o",
                       str(table_csv))
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(table_csv.read_text("utf-8-sig"))))
    assert rows[0] == ["key_figures", "Итоги периода"]
    assert rows[2] == ["Карточек всего", "1", "0", "1"]
    assert ["by_category", "Опасности по категориям"] in rows

    book_path = tmp_path / "tables.bin"
    code, _, err = run("report", "planning", "--period", month, "--format", "xlsx", "-o",
                       str(book_path))
    assert code == 0, err
    book = load_workbook(io.BytesIO(book_path.read_bytes()))  # any name: --format decides
    assert "key_figures" in book.sheetnames and "best_worker" in book.sheetnames
    sheet = book["best_worker"]
    assert [c.value for c in sheet[3]][:1] == ["Иванов Иван Ильич"]
    assert sheet.cell(3, sheet.max_column).value == 1


@pytest.mark.parametrize(("args", "code", "needle"), [
    (("report", "planning", "--period", "2026-13", "-o", "{tmp}/x.pdf"), 2, "2026-W43"),
    (("report", "planning", "--period", "октябрь", "-o", "{tmp}/x.pdf"), 2, "октябрь"),
    (("report", "planning", "--period", "2026-10", "-o", "{tmp}/no/such/x.pdf"), 2,
     "не существует"),
    (("report", "planning", "--period", "2026-10", "-o", "{tmp}"), 2, "папка"),
    (("report", "planning", "--period", "2026-10", "--format", "doc", "-o", "{tmp}/x"), 2,
     ""),
    (("report", "audit", "--from", "2026-10-01", "--to", "2026-10-31", "--lang", "de", "-o",
      "{tmp}/x.pdf"), 2, ""),
])
def test_bad_report_arguments(run: Callable[..., tuple[int, str, str]], tmp_path: Path,
                              args: tuple[str, ...], code: int, needle: str) -> None:
    got, _, err = run(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert got == code
    assert needle in err
    assert "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()


def test_unwritable_output_is_a_friendly_error(run: Callable[..., tuple[int, str, str]],
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root here, where folder permissions refuse nothing: refuse the write itself.
    from reports import export

    def refuse(*_: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(export, "write_csv", refuse)
    code, _, err = run("report", "planning", "--period", "2026-10", "-o",
                       str(tmp_path / "x.csv"))
    assert code == 2 and "Не удаётся записать" in err and "Permission denied" in err


def test_audit_with_department_and_lang(run: Callable[..., tuple[int, str, str]],
                                        tmp_path: Path) -> None:
    code, _, err = run("file", "--json", stdin=json.dumps(HAZARD, ensure_ascii=False),
                       user="ivanov")
    assert code == 0, err
    today = datetime.now(UTC).date().isoformat()
    pdf = tmp_path / "a.pdf"
    code, _, err = run("report", "audit", "--from", "2026-01-01", "--to", today,
                       "--department", "warehouse", "--lang", "en", "-o", str(pdf))
    assert code == 0, err
    text = flat_text(pdf)
    assert "OHS audit report" in text and "Department" in text
    assert "There are no cards in this period." in text  # the hazard is at another department
