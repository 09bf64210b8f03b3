"""The main window: sections, search, the empty state and demo data."""

from __future__ import annotations

import sys
import types

import pytest
from PySide6.QtCore import Qt

import forms
from desktop.main_window import MainWindow
from forms.service import Changes
from tests.desktop.helpers import hazard, type_text

pytestmark = pytest.mark.desktop


def test_the_sidebar_lists_only_sections_that_work(window: MainWindow):
    keys = [window.sidebar.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(window.sidebar.count())]
    assert keys == ["file", "all"]
    assert [window.sidebar.item(i).text() for i in range(2)] == [
        "Подать сообщение", "Все карточки"]
    assert window.stack.currentWidget() is window.list_page


def test_an_empty_store_explains_what_to_do_and_offers_demo_data(qtbot, window: MainWindow):
    page = window.list_page
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.empty)
    assert page.empty.title.text() == "Карточек пока нет"
    assert page.empty.demo_button.isVisible()
    assert page.empty.demo_button.text() == "Загрузить демо-данные"
    qtbot.mouseClick(page.empty.file_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.card_form


def test_the_search_box_filters_the_list(qtbot, window: MainWindow, service):
    service.file(hazard("Оголённый провод в щитовой", category="electrical"))
    service.file(hazard("Скользкий пол у входа"))
    service.file(hazard("Нет перил на лестнице", category="height"))
    page = window.list_page
    window.list_model.reload()
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 3)

    type_text(page.search, "перил")
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 1)
    assert window.list_model.row(0).texts[0] == "Нет перил на лестнице"

    page.search.setText("такого нет нигде")
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.empty)
    assert "такого нет нигде" in page.empty.text.text()
    assert not page.empty.demo_button.isVisible()

    page.search.clear()
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 3)
    assert page.stack.currentWidget() is page.table


def test_opening_a_row_shows_the_card_and_back_returns_to_the_list(qtbot, window: MainWindow,
                                                                   service):
    card_id = service.file(hazard()).card_id
    window.list_model.reload()
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 1)
    window.list_page.table.activated.emit(window.list_model.index(0, 0))
    qtbot.waitUntil(lambda: window.card_view.card is not None)
    assert window.card_view.card.id == card_id
    assert window.stack.currentWidget() is window.card_view
    window.card_view.back.emit()
    assert window.stack.currentWidget() is window.list_page


def test_demo_data_is_loaded_on_the_worker_and_the_list_fills(qtbot, window: MainWindow,
                                                              service, monkeypatch):
    calls: list[dict[str, object]] = []

    def generate(store, config, *, cards, seed, now, blobs):
        calls.append({"cards": cards, "seed": seed, "now": now, "blobs": blobs})
        for i in range(3):
            service.file(hazard(f"Демо {i}"))
        return Changes()

    fake = types.ModuleType("forms.demo")
    fake.generate = generate  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "forms.demo", fake)
    monkeypatch.setattr(forms, "demo", fake, raising=False)

    page = window.list_page
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.empty)
    qtbot.mouseClick(page.empty.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 3)
    assert page.stack.currentWidget() is page.table
    assert calls[0]["cards"] == 200 and calls[0]["seed"] == 1
    assert calls[0]["now"].tzinfo is not None  # type: ignore[union-attr]
    assert calls[0]["blobs"] == window.home.blobs
    assert page.empty.demo_button.isEnabled()
