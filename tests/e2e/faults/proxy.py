"""A loopback TCP proxy that cuts connections mid-request and mid-response.

Every accepted connection (httpx keeps one alive for many requests) gets a fate from a
seeded RNG: pass through untouched (1 in 5), or be cut after N bytes client→server (the
request never arrives whole) or server→client (the server did the work, the answer is lost).
N is log-uniform from 1 byte to about 200 KB, so cuts land in headers, in bodies, in small
push answers and in long pull pages. A cut closes
both sides, half of them with a TCP reset. `cut()` takes the network down (every connection
is dropped at once, new ones are reset), `restore()` brings it back.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
from dataclasses import dataclass

CHUNK = 16 * 1024
FORCED = 6


@dataclass
class Counts:
    connections: int = 0
    cut_request: int = 0
    cut_response: int = 0
    refused: int = 0


class DroppingProxy:
    def __init__(self, upstream_port: int, *, seed: int, cut_share: float = 0.8) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.rng = random.Random(seed)
        self.cut_share = cut_share
        self.counts = Counts()
        self._down = False
        self._fated = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._closed = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        with self._lock:
            self._down = True
            sockets = list(self._open)
        for s in sockets:
            _drop(s, reset=True)

    def restore(self) -> None:
        with self._lock:
            self._down = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._listener.close()
        self._thread.join(5)

    def _fate(self) -> tuple[int | None, int | None, bool]:
        """(bytes allowed to the server, bytes allowed back, reset?) — None: no limit.

        The first `FORCED` connections are all cut, alternately in each direction, within
        their first 3 KB: inside the first request, or inside the first answer (a push's, when
        a workstation with pending events connects), so every run has both kinds."""
        with self._lock:
            rng, n = self.rng, self._fated
            self._fated += 1
            if n >= FORCED and rng.random() >= self.cut_share:
                return None, None, False
            budget = int(10 ** rng.uniform(0, 3.5 if n < FORCED else 5.3))
            reset = rng.random() < 0.5
            to_server = n % 2 == 0 if n < FORCED else rng.random() < 0.5
            return (budget, None, reset) if to_server else (None, budget, reset)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                down = self._down
                self.counts.connections += 1
                if down:
                    self.counts.refused += 1
            if down:
                _drop(client, reset=True)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _drop(client, reset=True)
                continue
            server.settimeout(None)
            up, down_budget, reset = self._fate()
            with self._lock:
                self._open |= {client, server}
            pair = _Pair(client, server)
            for src, dst, budget in ((client, server, up), (server, client, down_budget)):
                threading.Thread(target=self._pump, args=(src, dst, budget, reset, pair),
                                 daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, budget: int | None, reset: bool,
              pair: _Pair) -> None:
        cut = True
        try:
            while True:
                data = src.recv(CHUNK)
                if not data:
                    dst.shutdown(socket.SHUT_WR)  # a clean half-close passes through
                    cut = False
                    break
                if budget is not None and len(data) >= budget:
                    dst.sendall(data[:budget])
                    with self._lock:
                        if src is pair.sockets[0]:
                            self.counts.cut_request += 1
                        else:
                            self.counts.cut_response += 1
                    break
                dst.sendall(data)
                if budget is not None:
                    budget -= len(data)
        except OSError:
            pass
        if pair.finished(cut):  # a cut drops both sides; a clean end waits for the other
            for s in pair.sockets:
                _drop(s, reset=reset and cut)
            with self._lock:
                self._open -= set(pair.sockets)


class _Pair:
    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.sockets = (client, server)
        self._ended = 0
        self._lock = threading.Lock()

    def finished(self, cut: bool) -> bool:
        """One direction ended; True when the connection should now be closed."""
        with self._lock:
            self._ended += 1
            return cut or self._ended == 2


def _drop(s: socket.socket, *, reset: bool) -> None:
    try:
        if reset:  # SO_LINGER 0: close sends RST instead of FIN
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()
