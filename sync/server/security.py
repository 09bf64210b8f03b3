"""Hardening around the whole application (DESIGN.md §7, issue 7).

- `LoginLimiter`: in-process token buckets for sign-ins, one per user name and one for the
  whole server; a refused attempt is 429 `rate_limited` with Retry-After, before any password
  is checked. A successful sign-in refills nothing, so it cannot open a door for a guesser.
- `Hardening`: one ASGI middleware, outermost, that puts the security headers on every answer
  (also the refusals of the body limits and the 500 below) and turns any unexpected exception
  into 500 `internal`: the traceback goes to the server's log, without the client's address,
  never into the answer.
- `json_refusal`: what the body limits (limits.py) ask of a JSON body they have read: JSON
  nested deeper than `MAX_JSON_DEPTH` is refused with 400 `too_deep` after a bounded scan of
  the raw bytes (before any parser builds it), NaN, Infinity, NUL and lone surrogates with 400.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sync.protocol import ErrorResponse
from sync.server.limits import Refused, send_error

log = logging.getLogger("safecard.server")

MAX_JSON_DEPTH = 32
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-resource-policy": "same-origin",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The interactive API pages (/docs, /redoc) load their script from a CDN; they keep the other
# headers and may still not be framed.
DOCS_CSP = "frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")


class RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class TokenBucket:
    def __init__(self, capacity: float, per_second: float, now: float) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.tokens = capacity
        self.at = now

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one will be there."""
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


class LoginLimiter:
    """Per user name: `per_user` attempts at once, then one every `user_every` seconds; the
    server as a whole: `overall` at once, then `overall_per_second`. At most `max_names`
    buckets are kept (the oldest go first), so made-up names cannot fill the memory."""

    def __init__(self, per_user: int = 10, user_every: float = 6.0, overall: int = 100,
                 overall_per_second: float = 10.0, max_names: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_user = per_user
        self.user_rate = 1 / user_every
        self.clock = clock
        self.max_names = max_names
        self.overall = TokenBucket(overall, overall_per_second, clock())
        self.users: OrderedDict[str, TokenBucket] = OrderedDict()
        self.lock = threading.Lock()

    def check(self, name: str) -> None:
        """Take one attempt for `name`, or raise RateLimited."""
        key = name.strip().casefold()[:64]
        with self.lock:
            now = self.clock()
            bucket = self.users.get(key)
            if bucket is None:
                bucket = self.users[key] = TokenBucket(self.per_user, self.user_rate, now)
                while len(self.users) > self.max_names:
                    self.users.popitem(last=False)
            self.users.move_to_end(key)
            wait = bucket.take(now)
            if wait:
                raise RateLimited(wait)
            wait = self.overall.take(now)
            if wait:
                raise RateLimited(wait)


def too_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text nests arrays/objects deeper than `limit`. Strings are cut out
    first (escaped backslashes, then escaped quotes, then what lies between quotes; an
    unclosed one runs to the end), then the brackets left are counted in one pass. A stray
    backslash outside any string can shift what counts as a string after it, but a parser
    stops at that byte, so the depth up to it is all it would ever reach."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    plain = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(plain.split(b'"')[::2]).translate(None, _NOT_BRACKETS)
    depth = 0
    for opening in brackets.translate(_BRACKET_SIGN):
        depth += 1 if opening else -1
        if depth > limit:
            return True
    return False


def not_storable(data: bytes) -> bool:
    """Whether the JSON text holds NaN or Infinity (not JSON, yet Python reads them) or a NUL
    character in a string (PostgreSQL text cannot hold it): refused whole, before parsing.
    Only a body with NaN, Infinity or a \\u escape at all (rare: clients send UTF-8) is
    scanned string by string."""
    if not any(mark in data for mark in _SUSPECT):
        return False
    for match in _VALUES.finditer(data):
        token = match.group()
        if token[:1] != b'"' or b"\\u0000" in token:
            return True
        if b"\\ud" in token.lower() and not _utf8(token):  # a lone surrogate
            return True
    return False


def _utf8(token: bytes) -> bool:
    try:
        json.loads(token).encode("utf-8")
    except (ValueError, UnicodeError):
        return False
    return True


_VALUES = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|NaN|Infinity', re.DOTALL)


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_SIGN = bytes.maketrans(b"[]{}", b"\x01\x00\x01\x00")  # 1 opens, 0 closes
_SUSPECT = (b"NaN", b"Infinity", b"\\u", b"\\U")


def json_refusal(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Refused | None:
    """Why a JSON body is refused before any parser sees it, or None."""
    if too_deep(body, max_depth):
        return Refused(400, "too_deep", f"nesting over {max_depth}", close=False)
    if not_storable(body):
        return Refused(400, "bad_request",
                       "NaN, Infinity, NUL (\\u0000) and lone surrogates are not accepted",
                       close=False)
    return None


class Hardening:
    """See the module text."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        extra = _headers_for(path)
        started = False

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in extra if k not in present)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # The traceback for the operator; the method and path only, never the address.
            log.exception("internal error in %s %s", scope.get("method"), path)
            if not started:
                await send_error(send_with_headers, Refused(500, "internal", close=False))


def _headers_for(path: str) -> list[tuple[bytes, bytes]]:
    docs = path.startswith(DOCS_PATHS)
    headers = {**SECURITY_HEADERS, "content-security-policy": DOCS_CSP if docs else API_CSP}
    if not docs:
        headers["cache-control"] = "no-store"
    return [(k.encode(), v.encode()) for k, v in headers.items()]


def install(app: FastAPI, *, limiter: LoginLimiter | None = None) -> LoginLimiter:
    """Add the hardening middleware (outermost: call after the other middlewares) and the 429
    handler; returns the login limiter, kept on `app.state.login_limiter`."""
    app.add_middleware(Hardening)
    app.state.login_limiter = limiter or LoginLimiter()

    @app.exception_handler(RateLimited)
    def _limited(_r: Request, exc: RateLimited) -> JSONResponse:
        body = ErrorResponse(error="rate_limited").model_dump()
        return JSONResponse(body, status_code=429,
                            headers={"Retry-After": str(max(1, math.ceil(exc.retry_after)))})

    return app.state.login_limiter
