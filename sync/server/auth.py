"""Users, devices and tokens: Argon2id passwords, bearer tokens bound to an enrolled device.

A token is 256 random bits shown once to the client; the server keeps only its SHA-256, so a
copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import DBAPIError

from forms.errors import BadInput, Forbidden, NotFound
from forms.store import syncio
from forms.store.models import MetaRow
from forms.store.repo import Store
from sync.server import signin
from sync.server.db import CONFIG_KEY
from sync.server.models import ROLES, DeviceRow, TokenRow, UserRow
from sync.server.signin import Unauthorized

if TYPE_CHECKING:
    from sync.server.directory import Directory

DEFAULT_TOKEN_DAYS = 30


def token_lifetime() -> timedelta:
    """How long a token is good for: SAFECARD_TOKEN_DAYS (default 30), read at each check."""
    raw = os.environ.get("SAFECARD_TOKEN_DAYS", "")
    try:
        days = float(raw) if raw.strip() else DEFAULT_TOKEN_DAYS
    except ValueError:
        days = DEFAULT_TOKEN_DAYS
    return timedelta(days=days if days > 0 else DEFAULT_TOKEN_DAYS)


@dataclass(frozen=True)
class Principal:
    user: str
    role: str
    device_id: str


def _now() -> datetime:
    return datetime.now(UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise BadInput("sync_bad_role", role=role, allowed=", ".join(ROLES))


def add_user(store: Store, name: str, role: str, password: str) -> None:
    _check_role(role)
    name = name.strip()
    if not name or len(name) > 64:
        raise BadInput("sync_bad_user_name", name=name)
    if len(password) < 8:
        raise BadInput("sync_weak_password", min=8)
    with syncio.writing(store) as s:
        if s.get(UserRow, name) is not None:
            raise BadInput("sync_user_exists", name=name)
        s.add(UserRow(name=name, role=role, password_hash=signin.hasher.hash(password),
                      disabled=False, created_at=_now()))


def set_role(store: Store, name: str, role: str) -> None:
    _check_role(role)
    with syncio.writing(store) as s:
        user = s.get(UserRow, name)
        if user is None:
            raise NotFound("sync_no_such_user", name=name)
        user.role = role


def disable_user(store: Store, name: str) -> None:
    with syncio.writing(store) as s:
        user = s.get(UserRow, name)
        if user is None:
            raise NotFound("sync_no_such_user", name=name)
        user.disabled = True
        s.execute(update(TokenRow).where(TokenRow.user == name).values(revoked=True))


def revoke_device(store: Store, device_id: str) -> None:
    with syncio.writing(store) as s:
        device = s.get(DeviceRow, device_id)
        if device is None:
            raise NotFound("sync_no_such_device", device=device_id)
        device.revoked = True
        s.execute(update(TokenRow).where(TokenRow.device_id == device_id).values(revoked=True))


def login(store: Store, name: str, password: str, device_id: str,
          directory: Directory | None = None) -> tuple[str, str]:
    """A new bearer token for (user, device), enrolling the device on first sign-in. `name`
    may be a personnel number and `password` a PIN or a directory password (signin.py)."""
    return issue_token(store, signin.verify(store, name, password, directory), device_id)


def issue_token(store: Store, name: str, device_id: str) -> tuple[str, str]:
    """A token for a user whose credentials `signin.verify` accepted, and their role."""
    with syncio.writing(store) as s:
        user = s.get(UserRow, name)
        if user is None:
            raise Unauthorized("bad_credentials")
        if user.disabled:
            raise Unauthorized("user_disabled")
        device = s.get(DeviceRow, device_id)
        if device is None:
            s.add(DeviceRow(id=device_id, enrolled_by=name, enrolled_at=_now(), revoked=False,
                            contiguous_seq=0))
        elif device.revoked:
            raise Forbidden("sync_device_revoked")
        token = secrets.token_urlsafe(32)
        s.add(TokenRow(token_hash=_token_hash(token), user=name, device_id=device_id,
                       created_at=_now(), revoked=False))
        return token, user.role


def authenticate(store: Store, authorization: str | None, now: datetime | None = None,
                 on_config: Callable[[str], object] | None = None) -> Principal:
    """The token's user and device, read afresh on every request, so a revocation, a disabled
    user or an expiry takes effect at once. The same round trip reads the saved
    configuration's text, handed to `on_config` once the token is good."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized("no_token")
    token = authorization.removeprefix("Bearer ").strip()
    if not token or len(token) > 200:
        raise Unauthorized("bad_token")
    row = _principal_row(store, _token_hash(token))
    if row is None or row.token_revoked:
        raise Unauthorized("bad_token")
    if _aware(row.created_at) + token_lifetime() <= (now or _now()):
        raise Unauthorized("token_expired")
    if row.user is None or row.disabled:
        raise Unauthorized("user_disabled")
    if row.device_id is None or row.device_revoked:
        raise Unauthorized("device_revoked")
    if on_config is not None:
        on_config(row.config or "")
    return Principal(user=row.user, role=row.role, device_id=row.device_id)


_PRINCIPAL = (
    select(TokenRow.revoked.label("token_revoked"), TokenRow.created_at,
           UserRow.name.label("user"), UserRow.role, UserRow.disabled,
           DeviceRow.id.label("device_id"), DeviceRow.revoked.label("device_revoked"),
           select(MetaRow.value).where(MetaRow.key == CONFIG_KEY).scalar_subquery()
           .label("config"))
    .select_from(TokenRow)
    .outerjoin(UserRow, UserRow.name == TokenRow.user)
    .outerjoin(DeviceRow, DeviceRow.id == TokenRow.device_id)
    .where(TokenRow.token_hash == bindparam("token_hash"))
)


def _principal_row(store: Store, token_hash: str) -> Any:
    """One round trip: token, user, device and configuration together. A pooled connection
    that died since its last use (the database restarted) is retried once on a new one:
    a request's first statement, so nothing was written."""
    for attempt in (1, 2):
        try:
            with store.engine.connect() as conn:
                if not store.is_sqlite:  # a lone read: no BEGIN and ROLLBACK round trips
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                return conn.execute(_PRINCIPAL, {"token_hash": token_hash}).first()
        except DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise
    raise AssertionError("unreachable")


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def users(store: Store) -> list[UserRow]:
    with store.session() as s:
        return list(s.scalars(select(UserRow).order_by(UserRow.name)))
