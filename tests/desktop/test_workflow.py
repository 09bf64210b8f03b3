"""A supervisor takes a hazard through the whole workflow with the card view's buttons, and
only legal operations are ever offered."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from shiboken6 import isValid

from desktop.main_window import MainWindow
from desktop.operations import OperationDialog
from forms import risk
from forms.service import CardService
from tests.desktop.helpers import hazard, type_text

pytestmark = pytest.mark.desktop


def open_card(qtbot, window: MainWindow, card_id: str) -> None:
    window.open_card(card_id)
    qtbot.waitUntil(lambda: window.card_view.card is not None
                    and window.card_view.card.id == card_id)


def offered(window: MainWindow) -> list[str]:
    return list(window.card_view.operation_buttons)


def click_operation(qtbot, window: MainWindow, operation: str) -> OperationDialog:
    qtbot.mouseClick(window.card_view.operation_buttons[operation], Qt.MouseButton.LeftButton)
    dialog = window.card_view.dialog
    assert dialog is not None and dialog.operation == operation and dialog.isVisible()
    return dialog


def submit(qtbot, window: MainWindow, dialog: OperationDialog, state: str | None) -> None:
    view = window.card_view
    before = len(view.card.history) if view.card else 0
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not isValid(dialog) or not dialog.isVisible())
    qtbot.waitUntil(lambda: view.card is not None and len(view.card.history) > before)
    if state is not None:
        assert view.card.state == state


def test_a_supervisor_runs_a_hazard_from_filing_to_closing_and_reopens_it(
        qtbot, supervisor: MainWindow, service: CardService):
    card_id = service.file(hazard(department="synthesis")).card_id
    open_card(qtbot, supervisor, card_id)
    view = supervisor.card_view
    assert offered(supervisor) == ["acknowledge", "assess", "action", "close", "reject",
                                   "comment"]

    qtbot.mouseClick(view.operation_buttons["acknowledge"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.card.state == "assessing")
    assert "acknowledge" not in offered(supervisor)

    dialog = click_operation(qtbot, supervisor, "assess")
    matrix = dialog.matrix
    assert matrix is not None
    matrix.set_values(5, 3, 5, "ok")
    assert matrix.grid.highlight == (5, 5)
    assert matrix.band.text() == "Критический"
    assert risk.band_color("critical", supervisor.config) in matrix.band.styleSheet()
    submit(qtbot, supervisor, dialog, "assessing")
    assert view.card.risk_initial.band == "critical"

    dialog = click_operation(qtbot, supervisor, "action")
    type_text(dialog.inputs["title"], "Засыпать масло сорбентом, поставить поддон")
    owner = dialog.inputs["owner"]
    owner.setCurrentIndex(owner.findData("ivanov"))
    dialog.inputs["due"].setDate(date.today() + timedelta(days=3))
    submit(qtbot, supervisor, dialog, "actions")
    [action] = view.card.actions.values()
    assert action.owner == "ivanov" and action.title.startswith("Засыпать")
    assert "verify" not in offered(supervisor)  # an action is still open

    qtbot.mouseClick(view.complete_buttons[action.id], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.card.state == "verifying")
    assert not view.complete_buttons

    dialog = click_operation(qtbot, supervisor, "verify")
    dialog.matrix.set_values(1, 2, 1, "ok")
    assert dialog.matrix.band.text() == "Низкий"
    dialog.effective_yes.setChecked(True)
    submit(qtbot, supervisor, dialog, "verifying")
    assert view.card.risk_residual.band == "low" and view.card.effective is True

    dialog = click_operation(qtbot, supervisor, "close")
    type_text(dialog.inputs["resolution"], "Масло убрали, под прессом поддон.")
    submit(qtbot, supervisor, dialog, "closed")
    assert view.resolution_label.text() == "Масло убрали, под прессом поддон."
    assert offered(supervisor) == ["reopen", "comment"]

    dialog = click_operation(qtbot, supervisor, "reopen")
    type_text(dialog.inputs["reason"], "Снова течёт")
    submit(qtbot, supervisor, dialog, "reopened")


def test_a_refused_operation_shows_the_message_by_its_field_and_saves_nothing(
        qtbot, supervisor: MainWindow, service: CardService, store):
    card_id = service.file(hazard(department="synthesis")).card_id
    open_card(qtbot, supervisor, card_id)
    events = store.count_events()
    dialog = click_operation(qtbot, supervisor, "reject")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # no reason given
    qtbot.waitUntil(lambda: dialog.errors["reason"].isVisible())
    assert dialog.errors["reason"].text()
    assert dialog.isVisible() and dialog.ok_button.isEnabled()
    assert store.count_events() == events


def test_a_supervisor_asks_the_reporter_a_question_and_the_reporter_sees_it(
        qtbot, supervisor: MainWindow, window_as, service: CardService):
    card_id = service.file(hazard(department="synthesis")).card_id
    open_card(qtbot, supervisor, card_id)
    dialog = click_operation(qtbot, supervisor, "comment")
    assert dialog.question.isChecked()
    type_text(dialog.inputs["text"], "Где именно течёт?")
    submit(qtbot, supervisor, dialog, None)
    [comment] = supervisor.card_view.card.comments
    assert comment.question and comment.text == "Где именно течёт?"

    reporter = window_as("ivanov")
    open_card(qtbot, reporter, card_id)
    assert offered(reporter) == ["comment"]  # staff may only talk about the card
    texts = [label.text() for label in reporter.card_view.details.widget().findChildren(QLabel)]
    assert any("Где именно течёт?" in t and "вопрос автору" in t for t in texts)


def test_illegal_and_forbidden_operations_are_not_offered(qtbot, window_as, service,
                                                          store, config):
    card_id = service.file(hazard(department="synthesis")).card_id
    complaint = service.file({"kind": "complaint", "title": "Долго ждал", "site": "office",
                              "cause": "service_quality", "emotional_state": "calm",
                              "account": "Клиент ждал.", "outcome": "satisfied"}).card_id
    auditor = window_as("auditor")
    open_card(qtbot, auditor, card_id)
    assert offered(auditor) == []  # an auditor only reads
    admin = window_as("admin")
    open_card(qtbot, admin, complaint)
    assert "assess" not in offered(admin) and "verify" not in offered(admin)  # no risk
    CardService(store, config, user="petrov").close(complaint, "Извинились, перенесли срок.")
    open_card(qtbot, admin, card_id)
    open_card(qtbot, admin, complaint)
    assert offered(admin) == ["reopen", "comment"]


def test_photos_show_as_thumbnails_that_open_full_size(qtbot, supervisor: MainWindow, store,
                                                       config, home, tmp_path):
    from PIL import Image

    from desktop.card_view import ClickableLabel, PhotoViewer

    photo = tmp_path / "spill.jpg"
    Image.new("RGB", (640, 480), "orange").save(photo)
    filer = CardService(store, config, user="ivanov", blobs=home.blobs)
    card_id = filer.file(hazard(department="synthesis", photos=[str(photo)])).card_id
    open_card(qtbot, supervisor, card_id)
    [thumb] = supervisor.card_view.details.widget().findChildren(ClickableLabel)
    assert thumb.pixmap() is not None and max(thumb.pixmap().width(),
                                              thumb.pixmap().height()) == 96
    qtbot.mouseClick(thumb, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: supervisor.card_view.findChild(PhotoViewer) is not None)
    viewer = supervisor.card_view.findChild(PhotoViewer)
    assert viewer.isVisible()
    viewer.close()


def test_a_concurrent_change_that_lost_is_shown_as_a_conflict_note(qtbot, supervisor, store,
                                                                  config, service):
    from forms import events as ev
    from forms.events import Event
    from forms.ids import uuid7

    card_id = service.file(hazard(department="synthesis")).card_id
    CardService(store, config, user="petrov").acknowledge(card_id)
    last = max(e.hlc for e in store.card_events(card_id))
    # Another desktop rejected the card while offline, from the state it saw: «filed».
    store.append([Event(uuid7(), card_id, ev.STATE_CHANGED, last + 1, "fedorov",
                        {"from": "filed", "to": "rejected", "reason": "Дубль"})], outbox=None)
    open_card(qtbot, supervisor, card_id)
    assert supervisor.card_view.card.conflicts
    texts = [label.text() for label in
             supervisor.card_view.details.widget().findChildren(QLabel)]
    assert any("Фёдоров" in t and "Отклонена" in t and "Оценка" in t for t in texts)
