"""«Отследить анонимное сообщение» (issue 7): following an anonymous card by its receipt, with
the real server app in-process (tests/desktop/conftest.py, test_sync_background.py).

Set SAFECARD_SCREENSHOTS=docs/screenshots to also write follow-anonymous.png there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop.main_window import MainWindow
from forms.config import Config
from forms.errors import NotFound
from forms.service import CardService
from forms.store.repo import Store
from sync.client import SyncClient
from sync.engine import SyncEngine
from tests.desktop import test_sync_background as background
from tests.desktop.helpers import type_text
from tests.desktop.test_card_form import fill_hazard
from tests.sync.conftest import (  # noqa: F401  (autouse fixtures)
    PASSWORD,
    SERVER,
    SyncASGITransport,
    cheap_password_hashes,
    memory_keyring,
)

pytestmark = pytest.mark.desktop

# The in-process server and a window signed in to it, as the background sync tests use them.
WAIT = background.WAIT
transport = background.transport
synced_window = background.synced_window

QUESTION = "На каком этаже люк? Рядом с какой дверью?"
ANSWER = "Второй проезд, у ворот склада № 3"


@pytest.fixture
def petrov(tmp_path: Path, config: Config,
           transport: SyncASGITransport) -> Iterator[tuple[CardService, SyncEngine]]:
    """The supervisor on a workstation of his own, signed in to the same server."""
    home = tmp_path / "petrov"
    home.mkdir()
    store = Store(f"sqlite:///{home}/safecard.db", config)
    client = SyncClient(SERVER, transport=transport)
    client.login("petrov", PASSWORD, "dev-petrov")
    engine = SyncEngine(store, client, config_dir=home / "config")
    yield CardService(store, config, user="petrov", device_id="dev-petrov"), engine
    client.close()
    store.close()


def _on_server(server_store: Store, card_id: str) -> bool:
    try:
        return server_store.card(card_id) is not None
    except NotFound:
        return False


def _file_anonymously(qtbot, window: MainWindow) -> tuple[str, str]:
    """File from the window's form; (card id, receipt code) once the drop box has it."""
    window.show_section("file")
    form = window.card_form
    fill_hazard(form)
    form.anonymous.setChecked(True)
    filed: list[str] = []
    form.filed.connect(filed.append)
    qtbot.mouseClick(form.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.receipt is not None and form.receipt.isVisible())
    dialog = form.receipt
    assert dialog is not None and filed
    hints = [w.text() for w in dialog.findChildren(QLabel) if w.objectName() == "followHint"]
    assert hints and "«Отследить по коду»" in hints[0]
    code = dialog.code
    dialog.accept()
    return filed[0], code


def test_the_reporter_follows_the_card_and_answers_the_question_by_receipt(
        qtbot, synced_window, store, server_store, petrov, tmp_path):
    window = synced_window("ivanov")
    bridge = window.sync_bridge
    qtbot.waitUntil(lambda: bridge.rounds >= 1, timeout=WAIT)
    card_id, code = _file_anonymously(qtbot, window)
    qtbot.waitUntil(lambda: store.outbox_count() == 0 and _on_server(server_store, card_id),
                    timeout=WAIT)

    service, engine = petrov
    engine.sync_once()
    service.comment(card_id, QUESTION, question=True)
    engine.sync_once()
    assert server_store.card(card_id).comments[-1].question

    window.show_section("follow")
    page = window.follow_page
    assert page.isVisible() and not page.no_server.isVisible()
    assert not page.result.isVisible()
    type_text(page.code, code)
    qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status is not None and page.result.isVisible(), timeout=WAIT)
    assert page.summary.text() == "Сообщение об опасности: Подана"
    thread = page.thread.toPlainText()
    assert QUESTION in thread and "Вопрос руководителя" in thread
    assert "petrov" not in thread and "Петров" not in thread  # text and time, never a name
    assert page.answer_box.isVisible()

    target = Path(os.environ.get("SAFECARD_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    window.resize(1280, 800)
    page.answer.setPlainText(ANSWER)
    qtbot.waitUntil(lambda: page.answer_button.isEnabled())
    assert window.grab().save(str(target / "follow-anonymous.png"))

    qtbot.mouseClick(page.answer_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.message.text() == "Ответ добавлен без имени.", timeout=WAIT)
    assert page.answer.toPlainText() == ""
    assert "Ваш ответ" in page.thread.toPlainText()
    assert ANSWER in page.thread.toPlainText()
    last = server_store.card(card_id).comments[-1]
    assert (last.text, last.actor) == (ANSWER, None)

    # Rejected: the reason is shown, and there is nothing left to answer.
    engine.sync_once()
    service.reject(card_id, "Повтор сообщения от 20.11")
    engine.sync_once()
    qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Отклонено:" in page.outcome.text(), timeout=WAIT)
    assert "Повтор сообщения от 20.11" in page.outcome.text()
    assert page.summary.text() == "Сообщение об опасности: Отклонена"
    assert not page.answer_box.isVisible()

    # Leaving the page forgets the code, the answer and what was shown.
    window.show_section("mine")
    assert page.code.text() == "" and page.status is None and not page.result.isVisible()
    window.show_section("follow")
    assert page.code.text() == ""
    # …and it was never written anywhere on this workstation.
    for path in window.home.path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert code.encode() not in data and code.replace("-", "").encode() not in data, path


def test_a_wrong_code_says_so_plainly(qtbot, synced_window, server_store):
    window = synced_window("ivanov")
    window.show_section("follow")
    page = window.follow_page
    page.code.setText("0000-0000-0000-0000-0000")
    qtbot.keyClick(page.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.message.isVisible() and not page.busy, timeout=WAIT)
    assert page.message.text().startswith("Нет сообщения с таким кодом.")
    assert not page.result.isVisible() and page.status is None
    assert page.check_button.isEnabled()  # try again with the right code


def test_without_a_server_the_page_says_to_set_one(qtbot, window_as):
    window = window_as("ivanov")
    window.show_section("follow")
    page = window.follow_page
    assert page.no_server.isVisible()
    assert "«Настройки»" in page.no_server.text()
    assert not page.code.isEnabled() and not page.check_button.isEnabled()
    page.check()  # nothing is asked of nobody
    assert not page.busy


def test_every_role_can_follow_a_report(window_as):
    for user in ("ivanov", "petrov", "auditor", "admin"):
        window = window_as(user)
        assert "follow" in {s.key for s in window.sections}
        window.show_section("follow")
        assert window.stack.currentWidget() is window.follow_page


def test_too_many_tries_are_refused_kindly(qtbot, synced_window, app):
    from sync.server.anonymous import TokenBucket

    app.state.anonymous_status_limit = TokenBucket(capacity=1, rate=0.0)
    window = synced_window("ivanov")
    window.show_section("follow")
    page = window.follow_page
    for expected in ("Нет сообщения с таким кодом.", "Слишком много попыток."):
        page.code.setText("0000-0000-0000-0000-0000")
        qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not page.busy, timeout=WAIT)
        assert page.message.text().startswith(expected)
