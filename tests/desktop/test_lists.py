"""Card lists: filters, search, sorting on the database, remembered columns, CSV/XLSX export."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from desktop.card_list import CardListPage
from desktop.main_window import MainWindow
from desktop.models import COL_SITE, COL_TITLE
from forms.service import CardService
from tests.desktop.helpers import hazard, type_text

pytestmark = pytest.mark.desktop


@pytest.fixture
def filled(service: CardService, store, config) -> dict[str, str]:
    ids = {
        "oil": service.file(hazard("Масло на полу", department="synthesis")).card_id,
        "wire": service.file(hazard("Оголённый провод", site="yug",
                                    category="electrical")).card_id,
        "rail": service.file(hazard("Нет перил", category="height")).card_id,
        "idea": service.file({"kind": "safety_idea", "title": "Зеркало на повороте",
                              "proposal": "Повесить зеркало.", "site": "sever"}).card_id,
    }
    CardService(store, config, user="petrov").assess(ids["oil"], 5, 5, 5, "breach")
    return ids


def titles(page: CardListPage) -> list[str]:
    return [page.model.row(i).texts[COL_TITLE] for i in range(page.model.rowCount())]


def wait_titles(qtbot, page: CardListPage, expected: set[str]) -> None:
    qtbot.waitUntil(lambda: not page.model.loading and set(titles(page)) == expected)


def test_filters_and_search_give_the_right_rows(qtbot, supervisor: MainWindow, filled):
    page = supervisor.list_pages["all"]
    page.model.reload()
    wait_titles(qtbot, page, {"Масло на полу", "Оголённый провод", "Нет перил",
                              "Зеркало на повороте"})
    page.filters.set_filter("kind", "hazard")
    wait_titles(qtbot, page, {"Масло на полу", "Оголённый провод", "Нет перил"})
    page.filters.set_filter("site", "yug")
    wait_titles(qtbot, page, {"Оголённый провод"})
    page.filters.set_filter("site", None)
    page.filters.set_filter("category", "height")
    wait_titles(qtbot, page, {"Нет перил"})
    page.filters.set_filter("category", None)
    page.filters.set_filter("risk_band", "critical")
    wait_titles(qtbot, page, {"Масло на полу"})
    page.filters.set_filter("risk_band", None)
    page.filters.set_filter("state", "assessing")
    wait_titles(qtbot, page, {"Масло на полу"})
    page.filters.set_filter("state", None)
    type_text(page.search, "провод")
    wait_titles(qtbot, page, {"Оголённый провод"})
    page.search.clear()
    page.filters.period.setChecked(True)
    page.filters.date_from.setDate(page.filters.date_from.date().addYears(-1))
    wait_titles(qtbot, page, {"Масло на полу", "Оголённый провод", "Нет перил"})
    page.filters.date_to.setDate(page.filters.date_from.date())
    wait_titles(qtbot, page, set())
    page.filters.period.setChecked(False)
    page.filters.overdue.setChecked(True)
    wait_titles(qtbot, page, set())  # nothing is late yet
    query = page.filters.apply(page.base_query, now=datetime.now(UTC) + timedelta(days=60))
    page.model.set_query(query)
    wait_titles(qtbot, page, {"Масло на полу", "Оголённый провод", "Нет перил"})


def test_sorting_is_done_by_the_database(qtbot, supervisor: MainWindow, filled):
    page = supervisor.list_pages["all"]
    page.model.reload()
    qtbot.waitUntil(lambda: page.model.rowCount() == 4)
    page.table.sortByColumn(COL_TITLE, Qt.SortOrder.AscendingOrder)
    assert page.model.sort_order == ("title", False)
    qtbot.waitUntil(lambda: titles(page) == ["Зеркало на повороте", "Масло на полу",
                                             "Нет перил", "Оголённый провод"])
    page.table.sortByColumn(COL_TITLE, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: titles(page)[0] == "Оголённый провод")


def test_hidden_columns_are_remembered(qtbot, window_as, home):
    first = window_as("petrov")
    first.list_pages["all"].set_column_shown(COL_SITE, False)
    first.list_pages["all"].set_column_shown(COL_TITLE, False)  # the title always stays
    assert home.settings()["hidden_columns"]["all"] == ["ui.column.site"]
    again = window_as("petrov")
    assert again.list_pages["all"].table.isColumnHidden(COL_SITE)
    assert not again.list_pages["all"].table.isColumnHidden(COL_TITLE)
    assert not again.list_pages["inbox"].table.isColumnHidden(COL_SITE)


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_export_writes_what_the_list_shows(qtbot, supervisor: MainWindow, filled, tmp_path,
                                           suffix):
    page = supervisor.list_pages["all"]
    page.set_column_shown(COL_SITE, False)
    page.filters.set_filter("kind", "hazard")
    wait_titles(qtbot, page, {"Масло на полу", "Оголённый провод", "Нет перил"})
    out = tmp_path / f"cards.{suffix}"
    page.export(out)
    qtbot.waitUntil(lambda: page.export_path == out)
    if suffix == "csv":
        with out.open(encoding="utf-8-sig") as f:
            rows = list(csv.reader(f, delimiter=";"))
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(out).active
        rows = [[c or "" for c in r] for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Заголовок" and "Площадка" not in rows[0]
    assert {r[0] for r in rows[1:]} == {"Масло на полу", "Оголённый провод", "Нет перил"}
