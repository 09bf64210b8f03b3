"""A shared terminal (site setting `mode = terminal`, docs/terminal.md): one workstation,
many people, each signed in only for the card they file or follow.

Each person's sign-in is a *session*: a folder of its own under `<terminal>/sessions/`, with
its own store, drafts, photos, settings and a fresh device id, and the token the server
issued to that person for it (in the keyring, under that session). Their events carry their
name and are pushed with their token; the next person's session shares nothing with it, not
even a device sequence that would order the two.

`end_session` closes a session. When everything of it has reached the server, the folder and
the token are deleted: nothing of the person stays on the terminal. When the network is
down, the unsent events and the token to send them with stay in the folder, out of sight of
the app's screens, and `send_pending` pushes them later, under the person's identity, then
deletes them. Anonymous cards need no session: they are filed in the terminal's own store and
leave through the drop box (`send_anonymous`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from forms.config import Config
from forms.errors import BadInput, SafeCardError
from forms.home import Home
from forms.ids import uuid7
from forms.store.repo import Store
from sync import anonymous
from sync.client import SyncClient
from sync.credentials import Credentials
from sync.engine import SyncReport
from sync.workstation import engine_for, sign_in

SESSIONS = "sessions"


@dataclass
class Session:
    home: Home
    store: Store
    user: str
    role: str


def sessions_folder(terminal: Home) -> Path:
    return terminal.path / SESSIONS


def start_session(terminal: Home, config: Config, login: str, secret: str, *,
                  transport: httpx.BaseTransport | None = None) -> Session:
    """Sign a person in on the terminal's server: a new session, or the server's refusal
    (wrong PIN, no such user, offline: a SafeCardError, and nothing is left behind)."""
    server = terminal.settings().get("server")
    if not server:
        raise BadInput("sync_no_server")
    path = sessions_folder(terminal) / uuid7()
    path.mkdir(parents=True)
    home = Home(path, site=terminal.site, credential_scope=path.name)
    _copy_config(terminal.path / "config", path / "config")
    store = home.open_store(config)
    try:
        answer = sign_in(home, store, server, login.strip(), secret, transport=transport)
    except BaseException:
        store.close()
        shutil.rmtree(path, ignore_errors=True)
        raise
    return Session(home, store, answer.user, answer.role)


def end_session(session: Session) -> bool:
    """Sign the person out. True when nothing of theirs is left on the terminal; False when
    unsent events wait (with their token) for `send_pending`."""
    waiting = session.store.outbox_count()
    session.store.close()
    terminal = session.home.path.parent.parent
    _copy_config(session.home.path / "config", terminal / "config")  # not personal
    if waiting:
        shutil.rmtree(session.home.path / "drafts", ignore_errors=True)
        return False
    _forget(session.home)
    return True


def send_pending(terminal: Home, *, transport: httpx.BaseTransport | None = None) -> int:
    """Push what signed-out people left unsent, each with their own token; delete each
    session that the server has confirmed whole. Returns the sessions still waiting."""
    left = 0
    for path in open_sessions(terminal):
        home = Home(path, site=terminal.site, credential_scope=path.name)
        store = home.open_store(home.config())
        try:
            if store.outbox_count():
                engine = engine_for(home, store, transport=transport)
                try:
                    engine.push(SyncReport())
                finally:
                    engine.client.close()
            done = store.outbox_count() == 0
        except SafeCardError:
            done = False  # offline, or signed out by the server: try again later
        finally:
            store.close()
        if done:
            _forget(home)
        else:
            left += 1
    return left


def open_sessions(terminal: Home) -> list[Path]:
    folder = sessions_folder(terminal)
    return sorted(folder.iterdir()) if folder.is_dir() else []


def send_anonymous(terminal: Home, store: Store, *,
                   transport: httpx.BaseTransport | None = None) -> int:
    """The terminal's anonymous cards whose delay has passed, through the drop box (no
    token, no session); how many were sent."""
    server = terminal.settings().get("server")
    if not server or not anonymous.waiting(store):
        return 0
    with SyncClient(server, transport=transport) as client:
        return anonymous.send_due(store, client, datetime.now(UTC), terminal.blobs).sent


def _forget(home: Home) -> None:
    settings = home.settings()
    if settings.get("server") and settings.get("user"):
        Credentials(home.path, home.credential_scope).forget(settings["server"], settings["user"])
    shutil.rmtree(home.path, ignore_errors=True)


def _copy_config(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)

