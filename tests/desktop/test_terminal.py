"""The shared terminal's window (desktop/terminal_window.py) against the real server app in
process: «Кто вы?», three people file in a row, each under their own name and signed out once
their card is sent; an idle minute signs out; anonymous filing needs no sign-in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi import FastAPI

from desktop.formatting import display
from desktop.sync_bridge import what_happened
from desktop.terminal_window import TerminalWindow
from forms.config import Config
from forms.home import Home
from forms.i18n import tr
from forms.site_settings import SiteSettings
from forms.store.repo import Store
from sync.errors import SignedOut
from sync.server import signin
from sync.terminal import open_sessions
from tests.desktop.helpers import type_text
from tests.desktop.test_card_form import fill_hazard
from tests.sync.conftest import (
    PASSWORD,
    SERVER,
    SyncASGITransport,
    cheap_password_hashes,  # noqa: F401  (autouse fixture)
    memory_keyring,  # noqa: F401  (autouse fixture)
)

WAIT = 20000


@pytest.fixture
def terminal_home(tmp_path: Path) -> Home:
    site = SiteSettings(tmp_path / "safecard.ini", server=SERVER, mode="terminal",
                        idle_seconds=60)
    home = Home(tmp_path / "terminal", site=site)
    home.path.mkdir()
    return home


@pytest.fixture
def terminal(qtbot, terminal_home: Home, config: Config, app: FastAPI,
             server_store: Store) -> Iterator[Callable[[], TerminalWindow]]:
    signin.set_pin(server_store, "smirnova", "2468", "0007")
    made: list[tuple[TerminalWindow, Store]] = []

    def make() -> TerminalWindow:
        store = terminal_home.open_store(config)
        window = TerminalWindow(terminal_home, config, store,
                                transport=SyncASGITransport(app))
        qtbot.addWidget(window)
        window.show()
        made.append((window, store))
        return window

    yield make
    for window, store in made:
        window.close()
        store.close()


def sign_in(qtbot, window: TerminalWindow, login: str, secret: str) -> None:
    window.who.login.setText(login)
    window.who.secret.setText(secret)
    window.who.sign_in_button.click()
    qtbot.waitUntil(lambda: window.main is not None or window.who.login.isEnabled(),
                    timeout=WAIT)


def test_three_people_file_in_a_row_each_under_their_own_name(
        qtbot, terminal, terminal_home: Home, server_store: Store) -> None:
    window = terminal()
    assert window.stack.currentWidget() is window.who
    for login, secret, name in (("ivanov", PASSWORD, "ivanov"), ("0007", "2468", "smirnova"),
                                ("petrov", PASSWORD, "petrov")):
        sign_in(qtbot, window, login, secret)
        assert window.main is not None and window.main.user == name
        assert len(open_sessions(terminal_home)) == 1  # nothing of the one before
        form = window.main.card_form
        assert form.anonymous.isHidden()
        fill_hazard(form, title=f"Сообщение от {name}")
        form.send()
        # Sent, then signed out by itself, and the session deleted.
        qtbot.waitUntil(lambda: window.main is None and not open_sessions(terminal_home),
                        timeout=WAIT)
        assert window.who.message.text() == tr("ui.terminal.out_sent")
        assert window.who.login.text() == "" and window.who.secret.text() == ""
    reporters = sorted(c.reporter for c in server_store.list_cards())
    assert reporters == ["ivanov", "petrov", "smirnova"]


def test_a_wrong_pin_says_so_and_signs_nobody_in(qtbot, terminal,
                                                 terminal_home: Home) -> None:
    window = terminal()
    sign_in(qtbot, window, "0007", "1111")
    assert window.main is None
    wrong = what_happened(SignedOut("sync_bad_credentials", server=SERVER), display(window.config))
    assert window.who.message.text() == wrong
    assert open_sessions(terminal_home) == []


def test_an_idle_minute_signs_out_and_keeps_no_draft(qtbot, terminal,
                                                     terminal_home: Home) -> None:
    window = terminal()
    sign_in(qtbot, window, "ivanov", PASSWORD)
    assert window.main is not None
    type_text(window.main.card_form.editors["title"].edit, "Недописанное")
    window.idle.setInterval(50)  # a minute, shortened
    window.idle.start()
    qtbot.waitUntil(lambda: window.main is None and not open_sessions(terminal_home),
                    timeout=WAIT)
    assert window.who.message.text() == tr("ui.terminal.out_idle")


def test_anonymous_filing_needs_no_sign_in(qtbot, terminal, terminal_home: Home,
                                           server_store: Store) -> None:
    window = terminal()
    window.who.anonymous_button.click()
    form = window.anonymous_form
    assert form is not None and form.anonymous.isChecked() and not form.anonymous.isEnabled()
    fill_hazard(form, title="Анонимно с терминала")
    site = form.editors["site"].combo  # nobody signed in: no profile to take it from
    site.setCurrentIndex(site.findData("sever"))
    form.send()
    qtbot.waitUntil(lambda: form.receipt is not None, timeout=WAIT)
    form.receipt.close()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.who, timeout=WAIT)
    window.send_waiting()
    qtbot.waitUntil(lambda: any(c.title == "Анонимно с терминала"
                                for c in server_store.list_cards()), timeout=WAIT)
    assert [c.reporter for c in server_store.list_cards()] == [None]
    assert open_sessions(terminal_home) == []
