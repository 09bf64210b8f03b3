"""Friendly errors with help and details; the offline help; drafts; filing every kind."""

from __future__ import annotations

import errno
import json
import sqlite3

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy.exc import OperationalError

from desktop.dialogs import ErrorDialog, error_message, help_path, show_error
from desktop.drafts import DraftStore
from desktop.main_window import MainWindow
from forms.errors import Conflict, Forbidden, Unreachable
from forms.store.repo import CardQuery
from tests.desktop.helpers import type_text

pytestmark = pytest.mark.desktop


def test_an_error_dialog_says_what_to_do_links_help_and_shows_details_to_copy(qtbot):
    try:
        raise Conflict("illegal_transition", operation="close", state="closed")
    except Conflict as exc:
        error = exc
    dialog = show_error(None, error)  # deletes itself when closed
    # The desktop's own advice, never a command to type.
    assert dialog.message.text() == (
        "Сейчас это действие (закрытие) недоступно: карточка в состоянии «Закрыта». "
        "Кнопки на карточке показывают, что можно сделать дальше.")
    assert "Показать подробности" in dialog.advice.text()
    assert not dialog.details.isVisible()
    qtbot.mouseClick(dialog.details_button, Qt.MouseButton.LeftButton)
    assert dialog.details.isVisible() and "Conflict" in dialog.details.toPlainText()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().text()
    assert "Traceback" in copied and "PySide6" in copied  # details and the About lines
    assert dialog.topic == "workflow"
    help_window = dialog.show_help()
    assert help_window.isVisible()
    assert "Путь карточки" in help_window.browser.toPlainText()
    help_window.close()
    dialog.accept()


@pytest.mark.parametrize(("error", "topic"), [
    (Unreachable("server_unreachable", url="x"), "sync"),
    (Forbidden("role_forbidden", role="staff", operation="close"), "roles"),
    (OSError("disk full"), "errors"),
    (RuntimeError("boom"), "errors"),
])
def test_every_error_leads_to_a_help_page_in_both_languages(qtbot, error, topic):
    dialog = ErrorDialog(error)
    qtbot.addWidget(dialog)
    assert dialog.topic == topic
    assert dialog.message.text()
    for lang in ("ru", "en"):
        assert help_path(topic, lang).is_file()
        assert help_path(topic, lang).parent.name == lang


def test_an_unexpected_worker_failure_opens_the_friendly_dialog(qtbot, window: MainWindow):
    window.ops.run(lambda: 1 / 0)
    qtbot.waitUntil(lambda: window.findChild(ErrorDialog) is not None)
    dialog = window.findChild(ErrorDialog)
    assert "ZeroDivisionError" in dialog.details.toPlainText()
    assert dialog.message.text() == "Действие не выполнено из-за внутренней ошибки. " \
        "Ваши данные не потеряны; попробуйте ещё раз."


def test_a_draft_is_saved_after_typing_stops_and_restored_after_a_crash(
        qtbot, window_as, home, store):
    window = window_as("ivanov")
    window.show_section("file")
    form = window.card_form
    form.set_kind("complaint")
    type_text(form.editors["title"].edit, "Клиент кричал на кассира")
    form.editors["steps_done"].set_value(["empathy", "apology"])
    qtbot.waitUntil(lambda: (home.path / "drafts" / "form.json").exists(), timeout=5000)
    draft = json.loads((home.path / "drafts" / "form.json").read_text("utf-8"))
    assert draft["kind"] == "complaint"
    assert draft["fields"]["title"] == "Клиент кричал на кассира"
    assert "ivanov" not in json.dumps(draft, ensure_ascii=False)  # a draft names no one

    # The app dies here; the next start finds the draft.
    again = window_as("ivanov")
    form2 = again.card_form
    assert form2.kind == "complaint"
    assert form2.editors["title"].value() == "Клиент кричал на кассира"
    assert form2.editors["steps_done"].value() == ["empathy", "apology"]
    assert form2.draft_note.isVisibleTo(form2)
    qtbot.mouseClick(form2.discard_button, Qt.MouseButton.LeftButton)
    assert form2.editors["title"].value() is None
    assert DraftStore(home.path / "drafts").load() is None
    assert store.count_cards() == 0


def test_the_complaint_form_is_a_guided_checklist(window: MainWindow):
    form = window.card_form
    form.set_kind("complaint")
    assert form.guide.isVisibleTo(form) and "3–5 предложений" in form.guide.text()
    assert list(form.editors) == ["title", "site", "department", "sentiment", "cause",
                                  "emotional_state", "account", "steps_done", "conclusion",
                                  "outcome", "observed_at"]
    steps = form.editors["steps_done"]
    assert len(steps.boxes) == 5  # the five steps, as a checklist


def test_photos_dropped_on_the_form_are_attached(qtbot, window: MainWindow, tmp_path):
    from PIL import Image

    photo = tmp_path / "leak.jpg"
    Image.new("RGB", (40, 30), "red").save(photo)
    (tmp_path / "notes.txt").write_text("x")
    form = window.card_form
    form.set_kind("hazard")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo)), QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    form.dropEvent(event)
    assert form.editors["photos"].value() == [str(photo)]


@pytest.mark.parametrize("kind", ["complaint", "safety_idea"])
def test_every_kind_is_filed_through_the_form(qtbot, window: MainWindow, store, kind):
    window.show_section("file")
    form = window.card_form
    form.set_kind(kind)
    type_text(form.editors["title"].edit, "Проверка формы")
    if kind == "complaint":
        for name, code in (("cause", "premises"), ("emotional_state", "calm"),
                           ("outcome", "satisfied")):
            form.editors[name].set_value(code)
        type_text(form.editors["account"].edit, "Клиент пожаловался на холод в зале.")
        form.editors["steps_done"].set_value(["empathy"])
    else:
        type_text(form.editors["proposal"].edit, "Повесить зеркало на повороте.")
    qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: store.count_cards() == 1)
    [card] = store.list_cards(CardQuery(kind=kind))
    assert card.title == "Проверка формы" and card.reporter == "ivanov"
    qtbot.waitUntil(lambda: window.card_view.card is not None)


def test_tab_goes_from_the_kind_through_every_field_to_send(qtbot, window: MainWindow):
    window.show_section("file")
    form = window.card_form
    form.set_kind("hazard")
    form.kind_picker.setFocus()
    qtbot.waitUntil(form.kind_picker.hasFocus)
    seen = []
    while QApplication.focusWidget() is not form.submit and len(seen) < 40:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    assert seen[0] is form.editors["title"].edit
    assert seen[-1] is form.submit
    photos = form.editors["photos"].list
    assert seen.index(form.editors["description"].edit) < seen.index(photos) \
        < seen.index(form.anonymous) < seen.index(form.submit)


@pytest.mark.parametrize("error", [
    OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full")),
    OSError(errno.ENOSPC, "No space left on device"),
])
def test_a_full_disk_is_named_as_such_not_as_an_unexpected_error(error):
    message, _details = error_message(error)
    assert message.startswith("Нет места на диске")
    assert "Освободите место" in message
