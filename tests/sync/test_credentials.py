"""The token lives in the keyring; with no usable keyring the user is told what to do."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from forms.i18n import error_text
from sync.credentials import FALLBACK_ENV, Credentials, NoKeyring
from tests.sync.memory_keyring import MemoryKeyring


def test_the_token_goes_to_the_keyring_not_to_a_file(tmp_path: Path,
                                                     memory_keyring: MemoryKeyring) -> None:
    creds = Credentials(tmp_path)
    creds.save("https://srv/", "ivanov", "secret-token")
    assert creds.load("https://srv", "ivanov") == "secret-token"
    assert creds.load("https://srv", "petrov") is None
    assert list(tmp_path.iterdir()) == []
    assert memory_keyring.get_password("SafeCard", "ivanov@https://srv") == "secret-token"
    creds.forget("https://srv", "ivanov")
    assert creds.load("https://srv", "ivanov") is None


def test_no_keyring_says_what_to_install_and_the_fallback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keyring.set_keyring(fail.Keyring())
    monkeypatch.delenv(FALLBACK_ENV, raising=False)
    with pytest.raises(NoKeyring) as caught:
        Credentials(tmp_path).save("https://srv", "ivanov", "t")
    text = error_text(caught.value, "ru")
    assert "gnome-keyring" in text and "SAFECARD_KEYRING_FALLBACK=file" in text
    assert caught.value.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_the_explicit_file_fallback_is_private_to_its_owner(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setenv(FALLBACK_ENV, "file")
    creds = Credentials(tmp_path)
    creds.save("https://srv", "ivanov", "t1")
    creds.save("https://srv", "ivanov", "t2")
    path = tmp_path / "token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert creds.load("https://srv", "ivanov") == "t2"
    assert creds.load("https://other", "ivanov") is None
