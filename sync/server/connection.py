"""The connection limits uvicorn lacks (issue 15, point 5), in its own h11 protocol class.

uvicorn closes an idle connection between two requests (`timeout_keep_alive`) and bounds the
connections of a process (`limit_concurrency`), but a client that has sent part of a request
head — or nothing at all on a new connection — is waited for forever: 300 half-sent
requests were held for a minute in the attack this answers. `GuardedH11Protocol` adds:

- a deadline for every request head: the request line and headers must be whole within
  `header_timeout` seconds of the connection opening or of the first byte after the previous
  answer; otherwise the connection is closed. It also bounds the time a client may keep
  sending the rest of a body the server has already answered (a refused upload);
- a bound on the connections open at once from one client address: one more is answered 503
  and closed at once. The address is only compared with those of the open connections, in
  memory; it is never stored or logged (DESIGN.md §6).

`safecard-server` runs uvicorn with this class (`http=PROTOCOL`), always on h11, the same
parser on every machine. The settings are the environment's (limits.HttpLimits).
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from sync.protocol import ErrorResponse
from sync.server.limits import HttpLimits

PROTOCOL = "sync.server.connection:GuardedH11Protocol"


@functools.cache
def limits() -> HttpLimits:
    """The limits of this server process (each uvicorn worker reads its environment)."""
    return HttpLimits.from_env()


def _too_many() -> bytes:
    body = json.dumps(ErrorResponse(error="busy", detail="too many connections from one "
                                    "address").model_dump()).encode()
    return (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
            b"retry-after: 5\r\nconnection: close\r\ncontent-length: %d\r\n\r\n" % len(body)
            + body)


class GuardedH11Protocol(H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timer: asyncio.TimerHandle | None = None
        self.head_of: object = None  # the request cycle under way when the timer started

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        bound = limits().client_connections
        if bound and self.client and self._from_same_address() > bound:
            transport.write(_too_many())
            transport.close()
            return
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_seen(force=True)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._watch_head()
        super().data_received(data)
        self._head_seen()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._head_seen()  # a pipelined request may have started

    def _from_same_address(self) -> int:
        host = self.client[0] if self.client else None
        return sum(1 for c in self.connections
                   if getattr(c, "client", None) and c.client[0] == host)

    def _watch_head(self) -> None:
        """Start the head's deadline when the connection waits for a request head."""
        waiting = self.cycle is None or self.cycle.response_complete
        if self.head_timer is None and waiting and not self.transport.is_closing():
            self.head_of = self.cycle
            self.head_timer = self.loop.call_later(limits().header_timeout, self._too_slow)

    def _head_seen(self, force: bool = False) -> None:
        """A new request cycle means its head was read whole: stop the deadline."""
        if self.head_timer is not None and (force or self.cycle is not self.head_of):
            self.head_timer.cancel()
            self.head_timer = None

    def _too_slow(self) -> None:
        self.head_timer = None
        if not self.transport.is_closing():
            self.transport.close()
