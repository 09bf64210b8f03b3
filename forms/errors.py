"""Errors a user can meet. Each carries a catalogue key and parameters, never prose,
so the CLI, the desktop and the server render it in the user's language; each class
has the exit code of DESIGN.md §10."""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import Any


class SafeCardError(Exception):
    exit_code = 1

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __str__(self) -> str:
        from forms.display import Display

        return Display.create(None, "en", commands=True).error(self)


class BadInput(SafeCardError):
    exit_code = 2


class NotFound(SafeCardError):
    exit_code = 3


class Forbidden(SafeCardError):
    exit_code = 4


class Conflict(SafeCardError):
    exit_code = 4


class Unreachable(SafeCardError):
    exit_code = 75


class Damaged(SafeCardError):
    """The workstation's store file is damaged (forms/store/integrity.py): exit 74, the
    sysexits code for an I/O error. Nothing more is written to it; `safecard recover`."""

    exit_code = 74


@dataclass(frozen=True)
class FieldError:
    """One field's problem, shown next to that field in a form or as one CLI line."""

    field: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


class ValidationFailed(BadInput):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("validation", count=len(errors))
        self.errors = errors


def is_disk_full(error: BaseException) -> bool:
    """True when a storage error means no room to write (the store itself is unharmed)."""
    # SQLite names a full disk only in words ("database or disk is full"), and a write refused
    # past a size limit comes back as "disk I/O error"; the OS says ENOSPC, EDQUOT or EFBIG.
    text = str(error).lower()
    if "database or disk is full" in text or "disk i/o error" in text:
        return True
    return getattr(error, "errno", None) in {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
