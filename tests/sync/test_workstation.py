"""Signing a home in and syncing it, as the CLI and the desktop do."""

from __future__ import annotations

from pathlib import Path

import pytest

from forms.config import Config
from forms.home import Home
from forms.service import CardService
from sync.errors import SignedOut
from sync.workstation import engine_for, sign_in
from tests.forms.conftest import IDEA
from tests.sync.conftest import PASSWORD, SERVER, SyncASGITransport
from tests.sync.memory_keyring import MemoryKeyring


def test_sign_in_keeps_the_token_in_the_keyring_and_syncs(
        tmp_path: Path, config: Config, transport: SyncASGITransport,
        memory_keyring: MemoryKeyring) -> None:
    home = Home(tmp_path / "home")
    home.path.mkdir()
    store = home.open_store(config)
    try:
        with pytest.raises(Exception, match="not connected"):
            engine_for(home, store, transport=transport)
        answer = sign_in(home, store, SERVER + "/", "ivanov", PASSWORD, transport=transport)
        assert answer.role == "staff"
        assert home.settings()["server"] == SERVER and home.user() == "ivanov"
        assert "token" not in home.path.joinpath("settings.json").read_text()
        assert memory_keyring.get_password("SafeCard", f"ivanov@{SERVER}") == answer.token
        service = CardService(store, config, user="ivanov", device_id=home.device_id(store))
        service.file(IDEA)
        engine = engine_for(home, store, transport=transport)
        assert engine.sync_once().accepted == 2
        memory_keyring.delete_password("SafeCard", f"ivanov@{SERVER}")
        with pytest.raises(SignedOut):
            engine_for(home, store, transport=transport)
    finally:
        store.close()
