"""Directory sign-in (LDAP: Active Directory, ALD Pro / FreeIPA, OpenLDAP) with ldap3.

A directory user signs in with their directory password: the server binds with its service
account, finds the user with the site's filter, binds as the user with the password given,
and takes the role from the first group of `SAFECARD_LDAP_GROUP_ROLES` the user is a member
of (no such group: refused). Their row in the users table is made or updated then
(`source = directory`; SafeCard never stores their password). While their tokens are used,
the server looks them up again at most every `SAFECARD_LDAP_RECHECK_SECONDS`: a user the
filter no longer finds (disabled, locked, moved out) is disabled here and their tokens
revoked; a changed group changes the role. A directory that cannot be reached refuses new
directory sign-ins with 503 and keeps existing tokens working. docs/deployment.md,
"Directory sign-in", has the settings and a filter per directory.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ldap3 import SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPBindError, LDAPException, LDAPStartTLSError
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn
from sqlalchemy import select

from forms.errors import BadInput
from forms.store import syncio
from forms.store.repo import Store
from sync.server import auth
from sync.server.models import DIRECTORY, LOCAL, ROLES, UserRow
from sync.server.signin import Unauthorized

log = logging.getLogger("safecard.server")

ENV = "SAFECARD_LDAP_"
DEFAULT_USER_FILTER = "(&(objectClass=inetOrgPerson)(uid={login}))"
DEFAULT_GROUP_FILTER = "(|(objectClass=groupOfNames)(objectClass=group))"
DEFAULT_RECHECK_SECONDS = 300
RETRY_AFTER_OUTAGE_SECONDS = 60


class DirectoryUnavailable(Exception):
    """The directory did not answer: 503, try again (local accounts still sign in)."""


def _normal_dn(dn: str) -> str:
    """DNs compare without case and spaces around the separators."""
    return ",".join(f"{attr.lower()}={value.lower()}" for attr, value, _sep in parse_dn(dn))


@dataclass(frozen=True)
class DirectorySettings:
    url: str
    user_base: str
    group_roles: tuple[tuple[str, str], ...]  # (normalised group DN, role), in order
    bind_dn: str | None = None
    bind_password: str | None = None
    user_filter: str = DEFAULT_USER_FILTER
    login_attribute: str = "uid"
    group_base: str | None = None
    group_filter: str = DEFAULT_GROUP_FILTER
    member_attribute: str = "member"
    personnel_attribute: str | None = "employeeNumber"
    start_tls: bool = False
    ca_file: str | None = None
    timeout: float = 5.0
    recheck_seconds: float = DEFAULT_RECHECK_SECONDS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DirectorySettings | None:
        """The SAFECARD_LDAP_* settings, or None when SAFECARD_LDAP_URL is not set. A
        setting that cannot work is refused now, when the server starts."""
        env = os.environ if env is None else env

        def get(name: str, default: str | None = None) -> str | None:
            value = env.get(ENV + name, "").strip()
            return value or default

        url = get("URL")
        if url is None:
            return None
        if not url.startswith(("ldap://", "ldaps://")):
            raise _bad("URL", "an ldap:// or ldaps:// address")
        user_base = get("USER_BASE")
        if user_base is None:
            raise _bad("USER_BASE", "the DN under which users are searched")
        password = get("BIND_PASSWORD")
        password_file = get("BIND_PASSWORD_FILE")
        if password_file is not None:
            try:
                with open(password_file, encoding="utf-8") as handle:
                    password = handle.read().strip()
            except OSError as exc:
                raise _bad("BIND_PASSWORD_FILE", f"a readable file ({exc.strerror})") from None
        user_filter = get("USER_FILTER", DEFAULT_USER_FILTER) or DEFAULT_USER_FILTER
        if "{login}" not in user_filter:
            raise _bad("USER_FILTER", "a filter with {login} in it")
        try:
            raw_roles = json.loads(get("GROUP_ROLES", "") or "")
            roles = tuple((_normal_dn(dn), role) for dn, role in raw_roles.items())
        except (ValueError, AttributeError, LDAPException):
            raise _bad("GROUP_ROLES", 'a JSON object {"group DN": "role", ...}') from None
        if not roles or any(role not in ROLES for _dn, role in roles):
            raise _bad("GROUP_ROLES", "at least one group, each mapped to "
                       + ", ".join(ROLES))
        try:
            timeout = float(get("TIMEOUT", "5") or 5)
            recheck = float(get("RECHECK_SECONDS", str(DEFAULT_RECHECK_SECONDS)) or 0)
        except ValueError:
            raise _bad("TIMEOUT", "a number of seconds") from None
        personnel = get("PERSONNEL_ATTRIBUTE", "employeeNumber")
        return cls(
            url=url, user_base=user_base, group_roles=roles, bind_dn=get("BIND_DN"),
            bind_password=password, user_filter=user_filter,
            login_attribute=get("LOGIN_ATTRIBUTE", "uid") or "uid",
            group_base=get("GROUP_BASE"),
            group_filter=get("GROUP_FILTER", DEFAULT_GROUP_FILTER) or DEFAULT_GROUP_FILTER,
            member_attribute=get("MEMBER_ATTRIBUTE", "member") or "member",
            personnel_attribute=None if personnel == "-" else personnel,
            start_tls=get("STARTTLS", "0") in ("1", "true", "yes"), ca_file=get("CA_FILE"),
            timeout=timeout, recheck_seconds=max(0.0, recheck))


def _bad(name: str, expected: str) -> BadInput:
    return BadInput("sync_ldap_setting", name=ENV + name, expected=expected)


@dataclass(frozen=True)
class DirectoryUser:
    login: str
    dn: str
    role: str | None
    personnel_number: str | None


@dataclass
class Directory:
    settings: DirectorySettings
    _checked: dict[str, float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Directory | None:
        found = DirectorySettings.from_env(env)
        return cls(found) if found is not None else None

    # ---- talking to the directory ----------------------------------------------------------

    def _server(self) -> Server:
        cfg = self.settings
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=cfg.ca_file,
                  version=ssl.PROTOCOL_TLS_CLIENT)
        return Server(cfg.url, use_ssl=cfg.url.startswith("ldaps://"), tls=tls,
                      connect_timeout=cfg.timeout)

    @contextlib.contextmanager
    def _connect(self, user: str | None, password: str | None) -> Iterator[Connection]:
        """A bound connection, closed afterwards also when the bind fails (LDAPBindError
        for a wrong password, another LDAPException when the directory does not answer)."""
        # ldap3 packs the receive timeout as whole seconds. The filters are the site's: not
        # checked against ldap3's idea of the schema (AD's `group` is no OpenLDAP class).
        conn = Connection(self._server(), user=user, password=password,
                          receive_timeout=max(1, math.ceil(self.settings.timeout)),
                          read_only=True, check_names=False, raise_exceptions=False)
        try:
            conn.open(read_server_info=False)
            if self.settings.start_tls and not conn.start_tls(read_server_info=False):
                raise LDAPStartTLSError(str(conn.result))
            if not conn.bind(read_server_info=False):
                raise LDAPBindError(str(conn.result.get("description") if conn.result else ""))
            yield conn
        finally:
            conn.unbind()
            if conn.socket is not None:  # ldap3 leaves it open when the connect failed
                conn.socket.close()

    def lookup(self, login: str) -> DirectoryUser | None:
        """The user the site's filter finds for `login` (with the service account), or None;
        DirectoryUnavailable when the directory does not answer."""
        cfg = self.settings
        wanted = [cfg.login_attribute] + ([cfg.personnel_attribute]
                                          if cfg.personnel_attribute else [])
        try:
            with self._connect(cfg.bind_dn, cfg.bind_password) as conn:
                query = cfg.user_filter.replace("{login}", escape_filter_chars(login))
                conn.search(cfg.user_base, query, SUBTREE, attributes=wanted, size_limit=2)
                if len(conn.entries) != 1:  # none, or an ambiguous filter: nobody
                    return None
                entry = conn.entries[0]
                role = self._role(conn, entry.entry_dn)
                return DirectoryUser(login=_first(entry, cfg.login_attribute) or login,
                                     dn=entry.entry_dn, role=role,
                                     personnel_number=_first(entry, cfg.personnel_attribute))
        except LDAPException as exc:
            raise DirectoryUnavailable(str(exc)) from exc

    def _role(self, conn: Connection, user_dn: str) -> str | None:
        cfg = self.settings
        base = cfg.group_base or ",".join(
            f"{a}={v}" for a, v, _s in parse_dn(cfg.user_base) if a.lower() == "dc")
        member = f"({cfg.member_attribute}={escape_filter_chars(user_dn)})"
        conn.search(base, f"(&{cfg.group_filter}{member})", SUBTREE, attributes=[])
        groups = {_normal_dn(e.entry_dn) for e in conn.entries}
        return next((role for dn, role in cfg.group_roles if dn in groups), None)

    def _password_ok(self, dn: str, password: str) -> bool:
        try:
            with self._connect(dn, password):
                return True
        except LDAPException as exc:
            if isinstance(exc, LDAPBindError):
                return False
            raise DirectoryUnavailable(str(exc)) from exc

    # ---- what the server asks --------------------------------------------------------------

    def sign_in(self, store: Store, login: str, password: str) -> str:
        """The user's name after a good directory bind, with their row up to date."""
        found = self.lookup(login)
        if found is None or not self._password_ok(found.dn, password):
            raise Unauthorized("bad_credentials")
        if found.role is None:
            raise Unauthorized("no_role")
        with syncio.writing(store) as s:
            row = s.get(UserRow, found.login)
            if row is not None and row.source == LOCAL:
                raise Unauthorized("bad_credentials")  # never take over a local account
            if row is None:
                row = UserRow(name=found.login, password_hash="!directory", source=DIRECTORY,
                              created_at=datetime.now(UTC), pin_failures=0)
                s.add(row)
            row.role, row.disabled = found.role, False
            if found.personnel_number and _number_free(s, found):
                row.personnel_number = found.personnel_number
        self._mark(found.login)
        return found.login

    def recheck(self, store: Store, name: str) -> None:
        """Called for every signed request: at most every `recheck_seconds` per user, a
        directory user is looked up again; gone from the directory → disabled here,
        Unauthorized. An outage keeps them in (and asks again a minute later)."""
        now = time.monotonic()
        with self._lock:
            due = self._checked.get(name, 0.0)
        if now < due:
            return
        with store.session() as s:
            row = s.get(UserRow, name)
            source = row.source if row is not None else LOCAL
        if source != DIRECTORY:
            self._mark(name, forever=True)
            return
        try:
            found = self.lookup(name)
        except DirectoryUnavailable as exc:
            log.warning("directory unreachable, %s keeps their token: %s", name, exc)
            with self._lock:
                self._checked[name] = now + RETRY_AFTER_OUTAGE_SECONDS
            return
        if found is None or found.role is None:
            auth.disable_user(store, name)  # and revokes their tokens
            with self._lock:
                self._checked.pop(name, None)
            raise Unauthorized("user_disabled")
        auth.set_role(store, name, found.role)
        self._mark(name)

    def _mark(self, name: str, *, forever: bool = False) -> None:
        wait = float("inf") if forever else self.settings.recheck_seconds
        with self._lock:
            self._checked[name] = time.monotonic() + wait


def _number_free(session: Any, found: DirectoryUser) -> bool:
    """The directory's personnel number is taken only when no other user has it."""
    return session.scalar(select(UserRow.name).where(
        UserRow.personnel_number == found.personnel_number,
        UserRow.name != found.login)) is None


def _first(entry: Any, attribute: str | None) -> str | None:
    if not attribute or attribute not in entry:
        return None
    value = entry[attribute].value
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value is not None else None
