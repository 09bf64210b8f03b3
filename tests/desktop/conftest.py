"""Fixtures for the desktop tests: a temporary home, its store, and the main window on it.

Qt runs offscreen (tests/conftest.py sets QT_QPA_PLATFORM); pytest-qt provides the session's
QApplication. Waiting is always `qtbot.waitUntil`, never sleep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

pytest.importorskip("PySide6")

from desktop.main_window import MainWindow
from forms import i18n
from forms.config import Config
from forms.home import Home, open_home
from forms.service import CardService
from forms.store.repo import Store

if TYPE_CHECKING:
    from fastapi import FastAPI

USER = "ivanov"


@pytest.fixture(autouse=True)
def russian(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every desktop test speaks the default language, whatever the machine's locale."""
    for name in ("SAFECARD_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "SAFECARD_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    monkeypatch.setenv("SAFECARD_ANONYMOUS_DELAY", "0")
    i18n.set_language(None)
    yield
    i18n.set_language(None)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return open_home(tmp_path / "home")


@pytest.fixture
def config(home: Home) -> Config:
    return home.config()


@pytest.fixture
def store(home: Home, config: Config) -> Iterator[Store]:
    store = home.open_store(config)
    yield store
    store.close()


@pytest.fixture
def service(store: Store, config: Config, home: Home) -> CardService:
    return CardService(store, config, user=USER, blobs=home.blobs)


@pytest.fixture
def window_as(qtbot, home: Home, config: Config,
              store: Store) -> Iterator[Callable[[str], MainWindow]]:
    """The main window as a given user (ivanov: staff, petrov: supervisor, auditor, admin;
    a name not in the directory: standalone, everything)."""
    windows: list[MainWindow] = []

    def make(user: str) -> MainWindow:
        window = MainWindow(home, config, store, user=user)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()  # waits for the worker before the store fixture closes the store


@pytest.fixture
def window(window_as: Callable[[str], MainWindow]) -> MainWindow:
    """A staff member's window (ivanov)."""
    return window_as(USER)


@pytest.fixture
def supervisor(window_as: Callable[[str], MainWindow]) -> MainWindow:
    """Petrov's window: the supervisor hazards at «Северный» are routed to."""
    return window_as("petrov")



@pytest.fixture
def server_store(tmp_path: Path) -> Iterator[Store]:
    """An in-process server's database with the test users (tests/sync/conftest.py)."""
    from sync.server import auth
    from sync.server.db import open_server_store
    from tests.sync.conftest import PASSWORD, USERS

    store = open_server_store(f"sqlite:///{tmp_path}/server.db")
    for name, role in USERS.items():
        auth.add_user(store, name, role, PASSWORD)
    yield store
    store.close()


@pytest.fixture
def app(server_store: Store) -> FastAPI:
    from sync.server.app import create_app

    return create_app(server_store.url, store=server_store)
