"""A keyring backend that keeps passwords in this process's memory only.

For tests, set with `keyring.set_keyring(MemoryKeyring())`. Never the default anywhere.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._values: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self._values[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self._values.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        if self._values.pop((service, username), None) is None:
            raise PasswordDeleteError(username)

    def accounts(self) -> list[tuple[str, str]]:
        """Every (service, account) that holds a password now."""
        return list(self._values)
