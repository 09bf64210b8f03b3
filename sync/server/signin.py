"""Who is signing in: a local password, a PIN for a shared terminal, or the directory.

`verify(store, login, secret, directory)` returns the user's name or raises Unauthorized:
- `login` is a user name, or a personnel number (табельный номер) an admin gave the user;
- a secret of 4 to 8 digits is checked as the user's PIN when they have one: five wrong PINs
  in a row lock PIN sign-in until the user signs in with their password or an admin sets a
  new PIN (a PIN is short; the lock, not the login rate limit alone, stops a guesser);
- a local account checks its Argon2id password; a name with no local account goes to the
  directory (sync/server/directory.py) when one is configured. A local account of the same
  name wins, so a site's break-glass admin keeps working when the directory is down.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select

from forms.errors import BadInput, NotFound
from forms.store import syncio
from forms.store.repo import Store
from sync.server.models import LOCAL, UserRow

if TYPE_CHECKING:
    from sync.server.directory import Directory

hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
# Verified against when the user is unknown, so a wrong name costs as long as a wrong password.
DUMMY_HASH = hasher.hash("safecard-no-such-user")
PIN = re.compile(r"\d{4,8}")
MAX_PIN_FAILURES = 5
PERSONNEL_NUMBER = re.compile(r"[0-9A-Za-z._-]{1,32}")


class Unauthorized(Exception):
    """401: no token, an unknown or revoked one, a wrong password."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def matches(password_hash: str, secret: str) -> bool:
    try:
        return hasher.verify(password_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def verify(store: Store, login: str, secret: str, directory: Directory | None = None) -> str:
    user = find(store, login.strip())
    if user is not None and user.pin_hash and PIN.fullmatch(secret):
        return _check_pin(store, user, secret)
    if user is not None and user.source == LOCAL:
        if not matches(user.password_hash, secret):
            raise Unauthorized("bad_credentials")
        _after_password(store, user, secret)
        return user.name
    if directory is not None and secret:
        return directory.sign_in(store, user.name if user else login.strip(), secret)
    matches(DUMMY_HASH, secret)
    raise Unauthorized("bad_credentials")


def find(store: Store, login: str) -> UserRow | None:
    """The user of that name, else the one with that personnel number."""
    if not login:
        return None
    with store.session() as s:
        rows = list(s.scalars(select(UserRow).where(
            or_(UserRow.name == login, UserRow.personnel_number == login))))
    return next((r for r in rows if r.name == login), rows[0] if rows else None)


def _check_pin(store: Store, user: UserRow, pin: str) -> str:
    if user.pin_failures >= MAX_PIN_FAILURES:
        raise Unauthorized("pin_locked")
    good = matches(user.pin_hash or DUMMY_HASH, pin)
    with syncio.writing(store) as s:
        row = s.get(UserRow, user.name)
        if row is not None:
            row.pin_failures = 0 if good else row.pin_failures + 1
    if not good:
        raise Unauthorized("bad_credentials")
    return user.name


def _after_password(store: Store, user: UserRow, password: str) -> None:
    """A good password unlocks PIN sign-in and upgrades an old hash."""
    rehash = hasher.check_needs_rehash(user.password_hash)
    if not rehash and not user.pin_failures:
        return
    with syncio.writing(store) as s:
        row = s.get(UserRow, user.name)
        if row is not None:
            row.pin_failures = 0
            if rehash:
                row.password_hash = hasher.hash(password)


def set_pin(store: Store, name: str, pin: str, personnel_number: str | None) -> None:
    """An admin gives a user a PIN (and a personnel number to sign in with)."""
    if not PIN.fullmatch(pin):
        raise BadInput("sync_bad_pin")
    if personnel_number is not None and not PERSONNEL_NUMBER.fullmatch(personnel_number):
        raise BadInput("sync_bad_personnel_number", value=personnel_number)
    with syncio.writing(store) as s:
        user = s.get(UserRow, name)
        if user is None:
            raise NotFound("sync_no_such_user", name=name)
        if personnel_number is not None:
            taken = s.scalar(select(UserRow.name).where(
                UserRow.personnel_number == personnel_number, UserRow.name != name))
            if taken is not None:
                raise BadInput("sync_personnel_number_taken", value=personnel_number,
                               name=taken)
            user.personnel_number = personnel_number
        user.pin_hash = hasher.hash(pin)
        user.pin_failures = 0
