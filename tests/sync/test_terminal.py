"""A shared terminal (sync/terminal.py) against the real server app in process: three people
file in a row, each under their own name, and nothing of one is left when the next signs in;
offline, a signed-out person's card still leaves later under their name."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from forms.config import Config
from forms.errors import Unreachable
from forms.home import Home
from forms.service import CardService
from forms.site_settings import SiteSettings
from forms.store.repo import Store
from sync import errors
from sync.server import signin
from sync.terminal import (
    Session,
    end_session,
    open_sessions,
    send_anonymous,
    send_pending,
    start_session,
)
from sync.workstation import engine_for
from tests.sync.conftest import PASSWORD, SERVER, SyncASGITransport
from tests.sync.memory_keyring import MemoryKeyring

HAZARD = {"kind": "hazard", "title": "Скользко у входа в цех", "description": "Лёд",
          "site": "sever", "department": "synthesis", "category": "slips_trips",
          "work_stopped": False}


@pytest.fixture
def terminal(tmp_path: Path) -> Home:
    site = SiteSettings(tmp_path / "safecard.ini", server=SERVER, mode="terminal")
    home = Home(tmp_path / "terminal", site=site)
    home.path.mkdir()
    return home


class Offline(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("network down", request=request)


def file_as(session_store: Store, config: Config, user: str, device: str, title: str,
            blobs: Path) -> str:
    service = CardService(session_store, config, user=user, device_id=device, blobs=blobs)
    return service.file(HAZARD | {"title": title}).card_id


def everything_under(terminal: Path) -> bytes:
    """Every file the terminal keeps, but the site's configuration (which lists the staff
    of the organisation, for routing: the admin's data, not what a person did here)."""
    return b"".join(p.read_bytes() for p in sorted(terminal.rglob("*"))
                    if p.is_file() and "config" not in p.relative_to(terminal).parts)


def test_three_people_file_in_a_row_each_under_their_name_and_nothing_of_one_remains(
        terminal: Home, config: Config, transport: SyncASGITransport, server_store: Store,
        memory_keyring: MemoryKeyring) -> None:
    signin.set_pin(server_store, "smirnova", "2468", "0007")
    people = [("ivanov", PASSWORD, "ivanov"), ("0007", "2468", "smirnova"),
              ("petrov", PASSWORD, "petrov")]
    filed: dict[str, str] = {}
    for login, secret, name in people:
        session = start_session(terminal, config, login, secret, transport=transport)
        assert session.user == name
        assert open_sessions(terminal) == [session.home.path]  # the one before is gone
        device = session.home.device_id(session.store)
        card = file_as(session.store, config, name, device, f"Сообщение от {name}",
                       session.home.blobs)
        engine_push(session, transport)
        assert end_session(session) is True
        filed[name] = card
        # Nothing of the person: no session folder, no token, their name in no file.
        assert open_sessions(terminal) == []
        assert memory_keyring.accounts() == []
        assert name.encode() not in everything_under(terminal.path)

    for name, card in filed.items():
        assert server_store.card(card).reporter == name
        assert server_store.card(card).title == f"Сообщение от {name}"


def engine_push(session: Session, transport: SyncASGITransport) -> None:
    engine = engine_for(session.home, session.store, transport=transport)
    try:
        engine.sync_once()
    finally:
        engine.client.close()


def test_offline_the_signed_out_persons_card_leaves_later_under_their_name(
        terminal: Home, config: Config, transport: SyncASGITransport,
        server_store: Store) -> None:
    session = start_session(terminal, config, "ivanov", PASSWORD, transport=transport)
    device = session.home.device_id(session.store)
    card = file_as(session.store, config, "ivanov", device, "Нет связи", session.home.blobs)
    assert end_session(session) is False  # the card is not on the server yet
    assert send_pending(terminal, transport=Offline()) == 1
    assert not (session.home.path / "drafts").exists()

    assert send_pending(terminal, transport=transport) == 0
    assert open_sessions(terminal) == []
    assert server_store.card(card).reporter == "ivanov"


def test_a_refused_sign_in_leaves_nothing(terminal: Home, config: Config,
                                          transport: SyncASGITransport) -> None:
    with pytest.raises(errors.SignedOut):
        start_session(terminal, config, "ivanov", "wrong password", transport=transport)
    with pytest.raises(Unreachable):
        start_session(terminal, config, "ivanov", PASSWORD, transport=Offline())
    assert open_sessions(terminal) == []


def test_anonymous_filing_needs_no_session(terminal: Home, config: Config,
                                           transport: SyncASGITransport, server_store: Store,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFECARD_ANONYMOUS_DELAY", "0")
    store = terminal.open_store(config)
    try:
        filed = CardService(store, config, user=None, blobs=terminal.blobs).file(
            HAZARD, anonymous=True)
        assert send_anonymous(terminal, store, transport=transport) == 1
    finally:
        store.close()
    assert server_store.card(filed.card_id).reporter is None
    assert open_sessions(terminal) == []
    assert os.path.exists(terminal.store_path)
