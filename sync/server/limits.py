"""What one request may cost the server (DESIGN.md §7; issue 15, point 5).

`HttpLimits` holds the settings (the environment of `safecard-server`, docs/deployment.md);
sync/server/connection.py applies the ones that belong to a connection (a deadline for each
request head, connections per client address), `BodyLimit` the ones that belong to a body.

`BodyLimit` is an ASGI middleware that stands between the app and every request body, and
trusts no header for what it lets through:
- a request with both Content-Length and Transfer-Encoding is refused (400
  `ambiguous_length`, connection closed): the two framings disagree about where the body
  ends, the way requests are smuggled past a proxy;
- a body of unknown length is refused (411), one announced over its path's limit (413),
  both before a byte of it is read (a 413 leaves the connection open for the client to read
  it while the rest of its body is thrown away, for at most connection.py's head deadline);
- the bytes actually received are counted as the app reads them, and the request is refused
  (413, connection closed) the moment they pass the announced length, whatever the headers
  said;
- the whole body must arrive within `body_timeout` seconds of the request's start (408), so
  a client that sends a byte now and then cannot hold a request open;
- the bodies announced at once share one budget per process (503 `busy`, Retry-After), so
  many concurrent uploads cannot add up to more memory than that.
A body the app does not read (a request refused for its token, say) is never read at all.
Paths with an `inspect` check (the JSON endpoints: security.json_refusal) get their body as
one message once it has passed that check; the others (the photo upload) as it arrives.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from forms.errors import BadInput
from sync.protocol import ErrorResponse

BODY_METHODS = {"POST", "PUT", "PATCH"}
MB = 1024 * 1024


@dataclass(frozen=True)
class HttpLimits:
    """Seconds and counts; each is read from the environment variable named in ENV."""

    header_timeout: float = 10.0  # the request line and headers, from their first byte
    body_timeout: float = 60.0  # the whole body, from the end of the headers
    keep_alive: float = 30.0  # an idle connection between two requests
    client_connections: int = 64  # open at once from one address (0: no bound)
    max_connections: int = 1000  # open at once in one server process (0: no bound)
    body_budget_mb: int = 128  # bodies being read at once in one server process
    max_header_bytes: int = 16 * 1024  # request line and headers

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> HttpLimits:
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = ENV[f.name]
            text = environ.get(name, "").strip()
            if not text:
                continue
            try:
                value = float(text) if f.type == "float" else int(text)
            except ValueError:
                raise BadInput("sync_bad_setting", name=name, value=text) from None
            if not 0 <= value < float("inf"):
                raise BadInput("sync_bad_setting", name=name, value=text)
            values[f.name] = value
        return cls(**values)


ENV = {
    "header_timeout": "SAFECARD_HEADER_TIMEOUT",
    "body_timeout": "SAFECARD_BODY_TIMEOUT",
    "keep_alive": "SAFECARD_KEEP_ALIVE",
    "client_connections": "SAFECARD_CLIENT_CONNECTIONS",
    "max_connections": "SAFECARD_MAX_CONNECTIONS",
    "body_budget_mb": "SAFECARD_BODY_BUDGET_MB",
    "max_header_bytes": "SAFECARD_MAX_HEADER_BYTES",
}


class Refused(Exception):
    """A whole request refused: its status, reason key and detail (an ErrorResponse), and
    whether the connection must close (when the rest of the body cannot be trusted)."""

    def __init__(self, status: int, error: str, detail: str | None = None, *,
                 close: bool = True, retry_after: int | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.detail = status, error, detail
        self.close, self.retry_after = close, retry_after


class Budget:
    """Bytes of request bodies announced at once, process-wide."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self.lock = threading.Lock()

    def take(self, size: int) -> bool:
        with self.lock:
            if self.held + size > self.limit:
                return False
            self.held += size
            return True

    def give(self, size: int) -> None:
        with self.lock:
            self.held -= size


class BodyLimit:
    """See the module text. `larger`: path prefixes with their own size limit; `inspect`
    gives a path's check of a whole body (a refusal or None), or None for no check."""

    def __init__(self, app: Any, max_body: int, limits: HttpLimits,
                 larger: dict[str, int] | None = None,
                 inspect: Callable[[str], Callable[[bytes], Refused | None] | None]
                 | None = None) -> None:
        self.app = app
        self.max_body = max_body
        self.larger = larger or {}
        self.timeout = limits.body_timeout
        # Never below the largest single body, or that body could never be read.
        self.budget = Budget(max(limits.body_budget_mb * MB, max_body, *self.larger.values()))
        self.inspect = inspect or (lambda _path: None)

    def limit_for(self, path: str) -> int:
        return next((n for prefix, n in self.larger.items() if path.startswith(prefix)),
                    self.max_body)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        try:
            size = self._announced(scope)
        except Refused as refused:
            await send_error(send, refused)
            return
        if not self.budget.take(size):
            await send_error(send, Refused(503, "busy", "too many uploads at once",
                                           close=False, retry_after=2))
            return
        body = GuardedBody(receive, send, size, time.monotonic() + self.timeout,
                           self.inspect(scope["path"]))
        try:
            await self.app(scope, body.receive, body.send)
        except Exception:
            if body.refused is None:  # the app's own failure
                raise
            # Else the app saw the body end early and gave up; the refusal is answered.
        finally:
            self.budget.give(size)

    def _announced(self, scope: Any) -> int:
        """The body's Content-Length, once the headers say nothing else about its size."""
        lengths = [v for k, v in scope["headers"] if k == b"content-length"]
        if any(k == b"transfer-encoding" for k, _v in scope["headers"]):
            if lengths:
                raise Refused(400, "ambiguous_length",
                              "Content-Length and Transfer-Encoding together")
            raise Refused(411, "length_required")  # our clients always send a length
        if len(lengths) != 1 or not lengths[0].isdigit():
            raise Refused(411, "length_required", close=False)
        limit = self.limit_for(scope["path"])
        if int(lengths[0]) > limit:
            raise Refused(413, "too_large", f"limit {limit} bytes", close=False)
        return int(lengths[0])


class GuardedBody:
    """The `receive` and `send` the app gets: the body counted against its announced size
    and a deadline as it is read. On a refusal the answer goes out at once (unless the app
    has begun its own) and the app sees the client as gone; what it sends then is dropped."""

    def __init__(self, receive: Any, send: Any, announced: int, deadline: float,
                 inspect: Callable[[bytes], Refused | None] | None) -> None:
        self._receive, self._send = receive, send
        self.announced, self.deadline, self.inspect = announced, deadline, inspect
        self.size = 0
        self.held: list[bytes] = []  # an inspected body, until it is whole
        self.ended = False
        self.started = False
        self.refused: Refused | None = None

    async def receive(self) -> Any:
        if self.refused is not None:
            return {"type": "http.disconnect"}
        if self.ended:
            return await self._receive()  # after the body: only the client's disconnect
        while True:
            try:
                message = await asyncio.wait_for(self._receive(),
                                                 self.deadline - time.monotonic())
            except TimeoutError:
                return await self._refuse(Refused(
                    408, "request_timeout", "the body did not arrive in time"))
            if message["type"] != "http.request":
                return message
            chunk = message.get("body", b"")
            self.size += len(chunk)
            if self.size > self.announced:
                return await self._refuse(Refused(413, "too_large",
                                                  "more bytes than Content-Length"))
            self.ended = not message.get("more_body", False)
            if self.inspect is None:
                return message
            self.held.append(chunk)
            if self.ended:
                whole = b"".join(self.held)
                self.held = []
                refusal = self.inspect(whole)
                if refusal is not None:
                    return await self._refuse(refusal)
                return {"type": "http.request", "body": whole, "more_body": False}

    async def send(self, message: dict[str, Any]) -> None:
        if self.refused is not None:
            return
        self.started = True
        await self._send(message)

    async def _refuse(self, refused: Refused) -> dict[str, str]:
        self.refused = refused
        self.held = []
        if not self.started:
            await send_error(self._send, refused)
        return {"type": "http.disconnect"}


async def send_error(send: Any, refused: Refused) -> None:
    body = json.dumps(ErrorResponse(error=refused.error, detail=refused.detail)
                      .model_dump()).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    if refused.close:
        headers.append((b"connection", b"close"))
    if refused.retry_after is not None:
        headers.append((b"retry-after", str(refused.retry_after).encode()))
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
