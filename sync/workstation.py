"""Connecting a workstation's home to a server: what the CLI and the desktop both call.

`sign_in` logs in, keeps the token in the keyring and the server and user in settings.json;
`engine_for` builds the SyncEngine of a signed-in home (or says what is missing).
"""

from __future__ import annotations

import httpx

from forms.errors import BadInput
from forms.home import Home
from forms.store.repo import Store
from sync import protocol as p
from sync.client import SyncClient
from sync.credentials import Credentials
from sync.engine import SyncEngine
from sync.errors import SignedOut


def sign_in(home: Home, store: Store, server: str, user: str, password: str, *,
            transport: httpx.BaseTransport | None = None) -> p.LoginResponse:
    server = server.strip().rstrip("/")
    if not server.startswith(("http://", "https://")):
        raise BadInput("sync_bad_server_url", value=server)
    with SyncClient(server, transport=transport) as client:
        answer = client.login(user, password, home.device_id(store))
    # The server's name for the user: a personnel number signs in as its user's name.
    Credentials(home.path, home.credential_scope).save(server, answer.user, answer.token)
    home.save_settings({"server": server, "user": answer.user})
    return answer


def engine_for(home: Home, store: Store, *,
               transport: httpx.BaseTransport | None = None) -> SyncEngine:
    settings = home.settings()
    server, user = settings.get("server"), settings.get("user")
    if not server or not user:
        raise BadInput("sync_no_server")
    token = Credentials(home.path, home.credential_scope).load(server, user)
    if not token:
        raise SignedOut("sync_signed_out", reason="no_token", server=server)
    client = SyncClient(server, token=token, transport=transport)
    return SyncEngine(store, client, config_dir=home.path / "config", blobs=home.blobs)
