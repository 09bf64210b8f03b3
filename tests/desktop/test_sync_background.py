"""Background sync in the desktop (issue 5): the real server app in-process (tests/sync's
SyncASGITransport over `sync.server.app.create_app` on a temporary SQLite file), the window's
SyncBridge rounds, and what the status bar and Settings/Sync say.

Set SAFECARD_SCREENSHOTS=docs/screenshots to also write settings-sync.png there.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

import httpx
from fastapi import FastAPI

from desktop.dialogs import ErrorDialog
from desktop.main_window import MainWindow
from forms.config import Config
from forms.home import Home
from forms.service import CardService
from forms.store import syncio
from forms.store.repo import Store
from sync.client import SyncClient
from sync.credentials import Credentials
from sync.engine import SyncEngine
from sync.workstation import sign_in
from tests.desktop.helpers import hazard
from tests.sync.conftest import (
    PASSWORD,
    SERVER,
    SyncASGITransport,
    cheap_password_hashes,  # noqa: F401  (autouse fixture)
    memory_keyring,  # noqa: F401  (autouse fixture)
)

WAIT = 15000  # ms: a round runs the real app; shared machines are slow now and then


@pytest.fixture
def transport(app: FastAPI) -> SyncASGITransport:
    return SyncASGITransport(app)


@pytest.fixture
def synced_window(qtbot, home: Home, config: Config, store: Store,
                  transport: httpx.BaseTransport) -> Iterator[Callable[..., MainWindow]]:
    """The window of a workstation signed in to the in-process server as `user`."""
    windows: list[MainWindow] = []

    def make(user: str, *, through: httpx.BaseTransport | None = None,
             signed_in: bool = True) -> MainWindow:
        if signed_in:
            sign_in(home, store, SERVER, user, PASSWORD, transport=transport)
        window = MainWindow(home, config, store, user=user,
                            sync_transport=through or transport)
        window.sync_bridge.debounce_ms = 50
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


class DownTransport(httpx.BaseTransport):
    """No route to the server: each request hangs until released, then fails to connect."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        self.release.wait(10)
        raise httpx.ConnectError("[Errno 113] No route to host", request=request)


def test_a_card_filed_in_the_window_goes_up_in_the_background(
        qtbot, synced_window, store, server_store, tmp_path):
    window = synced_window("ivanov")
    bridge = window.sync_bridge
    qtbot.waitUntil(lambda: bridge.rounds >= 1, timeout=WAIT)  # the round at start-up

    filed = []
    window.ops.run(lambda: window.service.file(hazard()), filed.append)
    qtbot.waitUntil(lambda: bool(filed))
    assert store.outbox_count() > 0  # queued by the local change, sent by the bridge

    qtbot.waitUntil(lambda: store.outbox_count() == 0 and not bridge.running
                    and bridge.view.state == "synced" and bridge.view.waiting == 0,
                    timeout=WAIT)
    assert store.outbox_count() == 0
    assert window.sync_label.text().startswith("Синхронизировано в ")
    assert "Ждут" not in window.sync_label.text()
    assert server_store.card(filed[0].card_id) is not None
    assert not window.outbox_label.isVisible()  # the sync status says it instead

    window.show_section("settings")
    page = window.settings_page
    qtbot.waitUntil(lambda: page.sync_status.text().startswith("Синхронизировано в "))
    assert page.outbox.text() == "0 изменений"
    assert page.last_sync.text() != "ещё не было"
    assert not page.details_button.isVisible()
    assert page.account.text() == "http://safecard.test, пользователь ivanov"
    qtbot.waitUntil(lambda: "Карточек: 1" in page.diagnostics.toPlainText())
    qtbot.waitUntil(lambda: not window.ops.busy)
    target = Path(os.environ.get("SAFECARD_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    window.resize(1280, 800)
    assert window.grab().save(str(target / "settings-sync.png"))


def test_with_the_server_unreachable_it_says_offline_with_the_changes_waiting(
        qtbot, synced_window, home, store):
    home.save_settings({"server": SERVER, "user": "ivanov"})
    Credentials(home.path).save(SERVER, "ivanov", "a-token")
    down = DownTransport()
    window = synced_window("ivanov", through=down, signed_in=False)
    bridge = window.sync_bridge
    window.ops.run(lambda: window.service.file(hazard()))
    window.ops.run(lambda: window.service.file(hazard("Нет ограждения")))
    qtbot.waitUntil(lambda: bridge.running and down.calls >= 1, timeout=WAIT)

    # A round waits on the network; the window's store calls do not wait behind it.
    counted: list[int] = []
    window.ops.run(store.count_cards, counted.append)
    qtbot.waitUntil(lambda: counted == [2], timeout=WAIT)
    assert bridge.running

    down.release.set()
    waiting = syncio.count(store)
    assert waiting > 0
    expected = f"Нет связи с сервером — изменений ждут отправки: {waiting}"
    qtbot.waitUntil(lambda: window.sync_label.text() == expected, timeout=WAIT)
    page = window.settings_page
    assert page.sync_status.text() == expected
    assert "Проверьте сеть" in page.sync_advice.text()
    assert store.outbox_count() >= waiting  # nothing was lost or dropped

    # Backoff: a down server is not hammered, and a local change does not cut the wait.
    assert bridge.failures >= 1 and bridge.timer.isActive()
    calls = down.calls
    bridge.local_change()
    assert bridge.timer.remainingTime() > bridge.debounce_ms or down.calls > calls
    page.details_button.click()
    qtbot.waitUntil(lambda: page.findChild(ErrorDialog) is not None)
    dialog = page.findChild(ErrorDialog)
    assert dialog.topic == "sync"
    assert "ConnectError" in dialog.details.toPlainText() or \
        "sync_unreachable" in dialog.details.toPlainText()


def test_a_card_another_user_filed_on_the_server_appears_after_a_round(
        qtbot, synced_window, config, transport, tmp_path):
    window = synced_window("petrov")
    bridge = window.sync_bridge
    qtbot.waitUntil(lambda: bridge.rounds >= 1 and not bridge.running, timeout=WAIT)
    before = window.list_model.rowCount()

    # Ivanov, on his own workstation, files a hazard and syncs it.
    other = Store(f"sqlite:///{tmp_path}/other.db", config)
    client = SyncClient(SERVER, transport=transport)
    try:
        client.login("ivanov", PASSWORD, "dev-ivanov-other")
        service = CardService(other, config, user="ivanov", device_id="dev-ivanov-other",
                              blobs=tmp_path / "other-blobs")
        card_id = service.file(hazard("Открытый люк во дворе")).card_id
        SyncEngine(other, client).sync_once()
    finally:
        client.close()
        other.close()

    window.shortcuts["sync"].activated.emit()  # F5; the 30 s timer would do the same
    qtbot.waitUntil(lambda: window.list_model.rowCount() == before + 1, timeout=WAIT)
    assert window.list_model.row_of(card_id) is not None
    assert window.sync_label.text().startswith("Синхронизировано в ")


def test_a_lapsed_sign_in_stops_the_sync_and_offers_to_sign_in_again(
        qtbot, synced_window, home, server_store):
    home.save_settings({"server": SERVER, "user": "petrov"})
    Credentials(home.path).save(SERVER, "petrov", "not-a-valid-token")
    window = synced_window("petrov", signed_in=False)
    bridge = window.sync_bridge
    qtbot.waitUntil(lambda: bridge.stopped, timeout=WAIT)
    assert window.sync_label.text().startswith("Ошибка: ")
    assert window.sign_in_again_button.isVisibleTo(window)
    assert not bridge.timer.isActive()  # no more background rounds until a person acts

    window.sign_in_again_button.click()
    page = window.settings_page
    assert window.stack.currentWidget() is page
    page.password.setText(PASSWORD)
    page.sign_in()
    qtbot.waitUntil(lambda: window.sync_label.text().startswith("Синхронизировано в "),
                    timeout=WAIT)
    assert not bridge.stopped
    assert not window.sign_in_again_button.isVisibleTo(window)


def test_settings_list_the_changes_the_server_set_aside_with_their_reasons(
        qtbot, synced_window):
    from datetime import UTC, datetime

    from desktop.sync_bridge import SyncView

    window = synced_window("petrov")
    bridge = window.sync_bridge
    qtbot.waitUntil(lambda: bridge.rounds >= 1 and not bridge.running, timeout=WAIT)
    reasons = {"e1": "clock_ahead", "e2": "clock_ahead", "e3": "forbidden"}
    page = window.settings_page
    page.show_status(SyncView("synced", 0, 3, reasons, datetime.now(UTC), server=SERVER))
    text = page.set_aside.text()
    assert text.startswith("Изменений отклонено: 3")
    assert "часы рабочего места спешат" in text and "(2)" in text
    assert "у вашей роли нет права" in text
