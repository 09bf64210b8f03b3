"""The body limits in process (sync/server/limits.py): the app is called as uvicorn calls it,
with a `receive` that plays a hostile client — more bytes than announced, a body that stops
arriving, both framings at once, more uploads at once than the budget. Each is refused with
its reason and stores nothing. The same attacks on the real server process, with its RSS
and its sockets watched, are in tests/e2e/test_hostile_requests.py."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from cli.server_main import main as server_main
from forms.errors import BadInput
from forms.i18n import set_language
from forms.store.repo import Store
from sync import protocol as p
from sync.client import SyncClient
from sync.server.app import create_app
from sync.server.limits import HttpLimits
from sync.server.models import BlobRow

SLOW = HttpLimits(body_timeout=0.05)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((64, 48), 50).convert("RGB").save(out, "JPEG")
    return out.getvalue()


def _blobs(store: Store) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(BlobRow)) or 0)


Chunks = list[bytes | None]  # None: the client stops sending (and never goes on)


async def _call(app: Any, method: str, path: str, headers: dict[str, str],
                chunks: Chunks) -> tuple[int, dict[str, Any], dict[bytes, bytes]]:
    """One request through the ASGI app; its status, JSON body and headers."""
    read: list[int] = []
    forever = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if len(read) >= len(chunks):
            await forever.wait()
        index = len(read)
        read.append(index)
        chunk = chunks[index]
        if chunk is None:
            await forever.wait()
        return {"type": "http.request", "body": chunk,
                "more_body": index + 1 < len(chunks)}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
             "server": ("safecard.test", 80),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body), dict(start["headers"])


def _signed(signed_in: Callable[..., SyncClient], length: int, **more: str) -> dict[str, str]:
    return {"authorization": f"Bearer {signed_in('ivanov').token}",
            p.PROTOCOL_HEADER: str(p.PROTOCOL_VERSION), "content-length": str(length), **more}


def test_more_bytes_than_announced_are_refused_and_nothing_is_stored(
        server_store: Store, signed_in: Callable[..., SyncClient]) -> None:
    app = create_app(server_store.url, store=server_store)
    photo = _jpeg()
    path = f"{p.API}/blobs/{hashlib.sha256(photo).hexdigest()}"
    status, body, headers = asyncio.run(_call(
        app, "PUT", path, _signed(signed_in, len(photo)), [photo, b"x" * 1000]))
    assert (status, body["error"]) == (413, "too_large")
    assert headers[b"connection"] == b"close"  # the rest of that stream cannot be trusted
    assert _blobs(server_store) == 0


def test_both_framings_at_once_are_refused_before_reading(
        server_store: Store, signed_in: Callable[..., SyncClient]) -> None:
    app = create_app(server_store.url, store=server_store)
    status, body, headers = asyncio.run(_call(
        app, "PUT", f"{p.API}/blobs/{'a' * 64}",
        _signed(signed_in, 100, **{"transfer-encoding": "chunked"}), []))
    assert (status, body["error"]) == (400, "ambiguous_length")
    assert headers[b"connection"] == b"close"
    assert headers[b"x-content-type-options"] == b"nosniff"  # Hardening is outside


def test_a_body_that_stops_arriving_is_answered_408(
        server_store: Store, signed_in: Callable[..., SyncClient]) -> None:
    app = create_app(server_store.url, store=server_store, limits=SLOW)
    photo = _jpeg()
    path = f"{p.API}/blobs/{hashlib.sha256(photo).hexdigest()}"
    half = len(photo) // 2
    status, body, headers = asyncio.run(_call(
        app, "PUT", path, _signed(signed_in, len(photo)), [photo[:half], None]))
    assert (status, body["error"]) == (408, "request_timeout")
    assert headers[b"connection"] == b"close"
    login = json.dumps({"protocol": 1, "user": "ivanov", "password": "x",
                        "device_id": "d"}).encode()
    status, body, _ = asyncio.run(_call(  # a JSON body is held whole: the same deadline
        app, "POST", f"{p.API}/auth/login",
        {p.PROTOCOL_HEADER: "1", "content-length": str(len(login))}, [login[:5], None]))
    assert (status, body["error"]) == (408, "request_timeout")
    assert _blobs(server_store) == 0


def test_uploads_past_the_budget_are_told_to_come_back(
        server_store: Store, signed_in: Callable[..., SyncClient]) -> None:
    # 1 MB asked for: the budget is never below the largest single body (a 24 MB drop).
    app = create_app(server_store.url, store=server_store,
                     limits=HttpLimits(body_timeout=0.05, body_budget_mb=1))
    drop = {p.PROTOCOL_HEADER: "1", "content-length": str(20 * 1024 * 1024)}
    upload = _signed(signed_in, 8 * 1024 * 1024)

    async def both() -> list[tuple[int, dict[str, Any], dict[bytes, bytes]]]:
        first = asyncio.create_task(_call(app, "POST", f"{p.API}/anonymous/cards", drop,
                                          [None]))
        await asyncio.sleep(0)  # the first has announced its body and waits for it
        second = await _call(app, "PUT", f"{p.API}/blobs/{'b' * 64}", upload, [None])
        return [await first, second]

    (status1, body1, _), (status2, body2, headers2) = asyncio.run(both())
    assert (status1, body1["error"]) == (408, "request_timeout")
    assert (status2, body2["error"]) == (503, "busy") and headers2[b"retry-after"] == b"2"


def test_the_settings_come_from_the_environment_and_a_bad_one_stops_the_start(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    limits = HttpLimits.from_env({"SAFECARD_HEADER_TIMEOUT": "2.5",
                                  "SAFECARD_CLIENT_CONNECTIONS": " 0 "})
    assert (limits.header_timeout, limits.client_connections) == (2.5, 0)
    assert limits.body_timeout == HttpLimits().body_timeout
    for bad in ("soon", "-1", "nan", "inf", "1.5"):
        name = "SAFECARD_CLIENT_CONNECTIONS" if bad == "1.5" else "SAFECARD_BODY_TIMEOUT"
        with pytest.raises(BadInput):
            HttpLimits.from_env({name: bad})
    monkeypatch.setenv("SAFECARD_BODY_TIMEOUT", "soon")
    set_language("en")
    try:
        assert server_main(["--database-url", "sqlite://", "--port", "1"]) == 2
    finally:
        set_language(None)
    err = capsys.readouterr().err
    assert "SAFECARD_BODY_TIMEOUT=soon" in err and "Traceback" not in err
