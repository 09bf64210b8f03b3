"""In-process client and server: the real FastAPI app behind httpx's ASGI transport.

`SyncASGITransport` lets the (synchronous) SyncClient talk to the app without a socket;
each workstation is a real local Store with a CardService and a SyncEngine.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import keyring
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from forms.config import Config, load_config
from forms.service import CardService
from forms.store.repo import Store
from sync.client import SyncClient
from sync.engine import SyncEngine
from sync.server import auth, signin
from sync.server.app import create_app
from sync.server.db import open_server_store
from tests.sync.memory_keyring import MemoryKeyring

SERVER = "http://safecard.test"
PASSWORD = "correct horse battery"
USERS = {"ivanov": "staff", "smirnova": "staff", "petrov": "supervisor",
         "sokolova": "supervisor", "kuznetsova": "supervisor", "auditor": "auditor",
         "admin": "admin"}


class _AsyncChunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


class SyncASGITransport(httpx.BaseTransport):
    """httpx.ASGITransport (async only) driven from synchronous code, one loop per request."""

    def __init__(self, app: FastAPI) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if not isinstance(request.stream, httpx.AsyncByteStream):  # a sync generator body
            request.stream = _AsyncChunks(list(request.stream))  # type: ignore[arg-type]

        async def run() -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=body,
                                  request=request)

        return asyncio.run(run())


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id still, with the smallest cost: tests sign in hundreds of times."""
    monkeypatch.setattr(signin, "hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                         parallelism=1))


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config()


@pytest.fixture
def server_store(database_url: str) -> Iterator[Store]:
    store = open_server_store(database_url)
    for name, role in USERS.items():
        auth.add_user(store, name, role, PASSWORD)
    yield store
    store.close()


@pytest.fixture
def app(server_store: Store) -> FastAPI:
    return create_app(server_store.url, store=server_store)


@pytest.fixture
def transport(app: FastAPI) -> SyncASGITransport:
    return SyncASGITransport(app)


@pytest.fixture
def signed_in(transport: SyncASGITransport) -> Callable[..., SyncClient]:
    """A client signed in as `user` from workstation `device`."""
    def make(user: str, device: str | None = None) -> SyncClient:
        client = SyncClient(SERVER, transport=transport)
        client.login(user, PASSWORD, device or f"dev-{user}")
        return client
    return make


@dataclass
class Workstation:
    user: str
    store: Store
    service: CardService
    engine: SyncEngine
    home: Path


@pytest.fixture
def workstation(tmp_path: Path, config: Config, signed_in: Callable[..., SyncClient],
                ) -> Iterator[Callable[[str], Workstation]]:
    made: list[Workstation] = []

    def make(user: str) -> Workstation:
        home = tmp_path / f"ws-{user}-{len(made)}"
        home.mkdir()
        store = Store(f"sqlite:///{home}/safecard.db", config)
        device = f"dev-{user}-{len(made)}"
        service = CardService(store, config, user=user, device_id=device, blobs=home / "blobs")
        engine = SyncEngine(store, signed_in(user, device), config_dir=home / "config")
        ws = Workstation(user, store, service, engine, home)
        made.append(ws)
        return ws

    yield make
    for ws in made:
        ws.engine.client.close()
        ws.store.close()
