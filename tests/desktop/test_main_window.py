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


def sidebar_keys(window: MainWindow) -> list[str]:
    return [window.sidebar.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(window.sidebar.count())]


def test_each_role_sees_only_its_sections(window_as):
    assert sidebar_keys(window_as("ivanov")) == [
        "file", "mine", "follow", "deadlines", "settings"]
    assert sidebar_keys(window_as("petrov")) == [
        "file", "mine", "follow", "inbox", "all", "deadlines", "dashboard", "reports",
        "settings"]
    auditor = window_as("auditor")
    assert sidebar_keys(auditor) == [
        "follow", "all", "deadlines", "dashboard", "reports", "settings"]
    assert "mine" not in auditor.pages and "inbox" not in auditor.pages  # hidden, not greyed
    standalone = window_as("someone-not-in-the-directory")
    assert len(sidebar_keys(standalone)) == 9
    assert [standalone.sidebar.item(i).text() for i in range(9)] == [
        "Подать сообщение", "Мои карточки", "Отследить по коду", "Входящие", "Все карточки",
        "Сроки", "Сводка", "Отчёты", "Настройки"]


def test_a_supervisor_starts_in_the_inbox_which_holds_only_their_open_cards(
        qtbot, supervisor: MainWindow, service, store, config):
    mine = service.file(hazard("Опасность в цехе синтеза", department="synthesis")).card_id
    service.file(hazard("На Южном", site="yug"))  # routed elsewhere
    assert supervisor.stack.currentWidget() is supervisor.list_pages["inbox"]
    inbox = supervisor.models["inbox"]
    inbox.reload()
    qtbot.waitUntil(lambda: inbox.rowCount() == 1)
    assert inbox.row(0).id == mine
    all_cards = supervisor.models["all"]
    all_cards.reload()
    qtbot.waitUntil(lambda: all_cards.rowCount() == 2)


def test_shortcuts_new_card_search_and_sync(qtbot, supervisor: MainWindow, service):
    supervisor.shortcuts["new"].activated.emit()
    assert supervisor.stack.currentWidget() is supervisor.card_form
    supervisor.shortcuts["search"].activated.emit()
    page = supervisor.stack.currentWidget()
    assert page is supervisor.list_page and page.search.hasFocus()
    service.file(hazard())
    supervisor.shortcuts["sync"].activated.emit()  # F5: no server yet, so it refreshes
    qtbot.waitUntil(lambda: supervisor.list_model.rowCount() == 1)
    assert supervisor.shortcuts["new"].key().toString() == "Ctrl+N"
    assert supervisor.shortcuts["search"].key().toString() == "Ctrl+F"
    assert supervisor.shortcuts["sync"].key().toString() == "F5"


def test_an_empty_store_explains_what_to_do_and_offers_demo_data(qtbot, window_as):
    window = window_as("admin")
    window.show_section("all")
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


def test_demo_data_is_loaded_on_the_worker_and_the_list_fills(qtbot, window_as, service,
                                                              monkeypatch):
    window = window_as("admin")
    window.show_section("all")
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
