"""The sign-in token, kept in the operating system's keyring (`keyring`), never in a file.

On a machine with no usable keyring backend (a server-less Linux session) the user is told
what to install; the one documented fallback, chosen explicitly with
SAFECARD_KEYRING_FALLBACK=file, keeps the token in `<home>/token` readable by its owner
only (0600). docs/deployment.md, "Credentials".
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import keyring
from keyring.errors import KeyringError

from forms.errors import SafeCardError

SERVICE = "SafeCard"
FALLBACK_ENV = "SAFECARD_KEYRING_FALLBACK"


class NoKeyring(SafeCardError):
    exit_code = 2


def _account(server: str, user: str, scope: str | None = None) -> str:
    account = f"{user}@{server.rstrip('/')}"
    return f"{account}#{scope}" if scope else account


def _fallback_file(home: Path) -> Path | None:
    return home / "token" if os.environ.get(FALLBACK_ENV) == "file" else None


def _usable() -> bool:
    # keyring's "fail" backend (priority 0) and "null" backend (negative) keep nothing.
    return keyring.get_keyring().priority > 0


class Credentials:
    """`scope` keeps apart the tokens of one user on one server that several homes hold
    (the sessions of a shared terminal: sync/terminal.py)."""

    def __init__(self, home: Path, scope: str | None = None) -> None:
        self.home = home
        self.scope = scope

    def save(self, server: str, user: str, token: str) -> None:
        fallback = _fallback_file(self.home)
        if fallback is not None:
            fallback.unlink(missing_ok=True)
            fd = os.open(fallback, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(f"{_account(server, user, self.scope)}\n{token}\n")
            return
        if not _usable():
            raise NoKeyring("sync_no_keyring", env=FALLBACK_ENV)
        try:
            keyring.set_password(SERVICE, _account(server, user, self.scope), token)
        except KeyringError as exc:
            raise NoKeyring("sync_no_keyring", env=FALLBACK_ENV) from exc

    def load(self, server: str, user: str) -> str | None:
        fallback = _fallback_file(self.home)
        if fallback is not None:
            try:
                account, token = fallback.read_text("utf-8").splitlines()[:2]
            except (FileNotFoundError, ValueError):
                return None
            return token if account == _account(server, user, self.scope) else None
        if not _usable():
            raise NoKeyring("sync_no_keyring", env=FALLBACK_ENV)
        try:
            return keyring.get_password(SERVICE, _account(server, user, self.scope))
        except KeyringError as exc:
            raise NoKeyring("sync_no_keyring", env=FALLBACK_ENV) from exc

    def forget(self, server: str, user: str) -> None:
        fallback = _fallback_file(self.home)
        if fallback is not None:
            fallback.unlink(missing_ok=True)
            return
        with contextlib.suppress(KeyringError):
            keyring.delete_password(SERVICE, _account(server, user, self.scope))
