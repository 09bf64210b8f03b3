"""Filing through the form: generated from the configuration, validated by the core."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from desktop.card_form import CardForm
from desktop.main_window import MainWindow
from forms import receipt
from forms.store.repo import CardQuery
from tests.desktop.helpers import type_text

pytestmark = pytest.mark.desktop


def fill_hazard(form: CardForm, title: str = "Открытый люк на проезде") -> None:
    form.set_kind("hazard")
    type_text(form.editors["title"].edit, title)
    type_text(form.editors["description"].edit, "Крышка люка сдвинута, ночью не видно.")
    category = form.editors["category"].combo
    category.setCurrentIndex(category.findData("transport"))
    form.editors["work_stopped"].box.setChecked(True)


def test_filing_a_hazard_shows_it_in_the_list_and_saves_it(qtbot, window: MainWindow, store):
    window.show_section("file")
    form = window.card_form
    fill_hazard(form)
    qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.list_model.rowCount() == 1)
    [card] = store.list_cards(CardQuery())
    assert card.title == "Открытый люк на проезде"
    assert card.fields["category"] == "transport"
    assert card.fields["site"] == "sever"  # ivanov's own site, filled in for him
    assert card.fields["work_stopped"] is True
    assert card.reporter == "ivanov"
    # the new card is shown
    assert window.stack.currentWidget() is window.card_view
    qtbot.waitUntil(lambda: window.card_view.card is not None)
    assert window.card_view.card.id == card.id
    # and the form is empty again for the next report
    assert form.editors["title"].edit.text() == ""


def test_an_invalid_form_shows_each_message_by_its_field_and_saves_nothing(
        qtbot, window: MainWindow, store):
    window.show_section("file")
    form = window.card_form
    form.set_kind("hazard")
    type_text(form.editors["description"].edit, "Без названия и категории")
    qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: form.errors["title"].isVisible())
    assert form.errors["title"].text() == "«Заголовок»: поле обязательно — заполните его."
    assert form.errors["category"].isVisible()
    assert not form.errors["description"].isVisible()
    assert form.general_error.isVisible()
    assert store.count_cards() == 0
    assert store.count_events() == 0
    assert window.stack.currentWidget() is form  # the user stays on the form, data kept
    assert form.editors["description"].edit.toPlainText() == "Без названия и категории"


def test_an_anonymous_card_gets_a_receipt_once_with_copy_and_print(qtbot, window: MainWindow,
                                                                    store):
    window.show_section("file")
    form = window.card_form
    fill_hazard(form)
    assert not form.anonymous_panel.isVisible()
    form.anonymous.setChecked(True)
    assert form.anonymous_panel.isVisible()  # what will and will not be recorded
    qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: form.receipt is not None and form.receipt.isVisible())
    dialog = form.receipt
    assert dialog is not None
    [card] = store.list_cards()
    assert card.anonymous and card.reporter is None
    assert all(e.actor is None for e in store.card_events(card.id))
    code = dialog.code_label.text()
    assert receipt.matches(code, store.card_events(card.id)[0].payload["receipt_hash"])
    assert "только один раз" in " ".join(w.text() for w in dialog.findChildren(QLabel))
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == code
    assert code in dialog.document().toPlainText()  # what Print sends to the printer
    assert dialog.print_button.isEnabled()
    dialog.accept()
    assert not form.anonymous.isChecked()  # the next report is not anonymous by accident
    assert not (window.home.path / "drafts" / "form.json").exists()


def test_each_kind_gets_its_own_fields(qtbot, window: MainWindow, config):
    form = window.card_form
    for kind in config.kinds:
        form.set_kind(kind)
        assert list(form.editors) == [f.name for f in config.kinds[kind].fields]
    form.set_kind("complaint")
    steps = form.editors["steps_done"]
    assert len(steps.boxes) == len(config.lists["complaint_steps"])
    assert form.editors["sentiment"].value() == "negative"  # the kind's default


def test_a_field_an_admin_adds_to_kinds_json_appears_and_is_filed(qtbot, home, tmp_path):
    from forms.config import load_raw

    raw = load_raw()
    raw["kinds"]["kinds"]["hazard"]["fields"].append(
        {"name": "shift", "type": "text", "max_length": 40,
         "label": {"ru": "Смена", "en": "Shift"}})
    (home.path / "config").mkdir()
    (home.path / "config" / "kinds.json").write_text(
        json.dumps(raw["kinds"], ensure_ascii=False), "utf-8")
    config = home.config()
    store = home.open_store(config)
    window = MainWindow(home, config, store, user="ivanov")
    qtbot.addWidget(window)
    try:
        form = window.card_form
        fill_hazard(form)
        assert "shift" in form.editors
        assert form.editors["shift"].label() == "Смена"  # the admin's label, not the name
        type_text(form.editors["shift"].edit, "ночная")
        qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: store.count_cards() == 1)
        assert store.list_cards()[0].fields["shift"] == "ночная"
    finally:
        window.close()
        store.close()


def test_an_unknown_site_typed_in_is_kept_as_written(qtbot, window: MainWindow, store):
    form = window.card_form
    fill_hazard(form)
    site = form.editors["site"].combo
    site.setEditText("Новая площадка")
    qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: store.count_cards() == 1)
    assert store.list_cards()[0].fields["site"] == "Новая площадка"


def test_a_site_picked_by_its_label_is_filed_by_its_code(qtbot, window: MainWindow, store):
    form = window.card_form
    fill_hazard(form)
    site = form.editors["site"].combo
    site.setCurrentIndex(site.findData("yug"))
    qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: store.count_cards() == 1)
    assert store.list_cards()[0].fields["site"] == "yug"
