"""The workstation's share of a push: CPU spent by SyncEngine.push on this side (reading the
outbox, marking attempts, building requests, reading answers, confirming), with the real
engine, the real client and the real server in-process (httpx ASGI transport, SQLite).

The server's own work runs inside the transport (its endpoints on the worker threads of the
ASGI server): the figure is the CPU of the pushing thread (`time.thread_time()`) less what
that thread spent inside the transport, so it is the client's CPU alone.

Baseline: raw `sqlite3` on a copy of the same store file, reading the same outbox rows in
batches of 100 (events joined to the outbox, oldest first) and deleting them, one
transaction per batch — what any push must at least do on this side.

    .venv/bin/python bench/push_client.py [--events 10000] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx
from _result import report
from sync_push_pull import cards

from forms.config import load_config
from forms.hlc import HybridClock
from forms.store.repo import Store
from sync import protocol as p
from sync.client import SyncClient
from sync.engine import SyncEngine, SyncReport
from sync.server import auth
from sync.server.app import create_app
from sync.server.db import open_server_store

PASSWORD = "bench password"
BATCH = p.CLIENT_PUSH_EVENTS


class TimedASGITransport(httpx.BaseTransport):
    """The app behind httpx's ASGI transport, driven synchronously; counts the CPU in it."""

    def __init__(self, app: object) -> None:
        self.inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self.cpu = 0.0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        start = time.thread_time()
        try:
            if not isinstance(request.stream, httpx.AsyncByteStream):
                body = request.read()
                request.stream = httpx.ByteStream(body)

            async def run() -> httpx.Response:
                response = await self.inner.handle_async_request(request)
                content = await response.aread()
                return httpx.Response(response.status_code, headers=response.headers,
                                      content=content, request=request)

            return asyncio.run(run())
        finally:
            self.cpu += time.thread_time() - start


def raw_sqlite(path: Path, batch: int) -> float:
    """CPU seconds to read and delete the outbox rows with plain sqlite3, batch by batch."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    start = time.process_time()
    while True:
        conn.execute("BEGIN IMMEDIATE")
        rows = conn.execute(
            "SELECT e.id, e.card_id, e.type, e.hlc, e.actor, e.payload, e.device_id, "
            "e.device_seq FROM outbox o JOIN events e ON e.id = o.event_id "
            "WHERE o.channel = 'sync' ORDER BY o.seq LIMIT ?", (batch,)).fetchall()
        if not rows:
            conn.execute("COMMIT")
            break
        conn.executemany("DELETE FROM outbox WHERE event_id = ?", [(r[0],) for r in rows])
        conn.execute("COMMIT")
    seconds = time.process_time() - start
    conn.close()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", "--cards", dest="events", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="pyinstrument the push")
    args = parser.parse_args()
    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server = open_server_store(f"sqlite:///{folder / 'server.db'}")
        auth.add_user(server, "ivanov", "staff", PASSWORD)
        transport = TimedASGITransport(create_app(server.url, store=server))
        writer = Store(f"sqlite:///{folder / 'ws.db'}", config)
        mine = cards(args.events // 2, "ivanov", "bench-device", HybridClock())
        for i in range(0, len(mine), 2000):
            writer.append(mine[i : i + 2000], device_id="bench-device")
        writer.close()
        shutil.copy(folder / "ws.db", folder / "raw.db")
        raw_cpu = raw_sqlite(folder / "raw.db", BATCH)

        writer = Store(f"sqlite:///{folder / 'ws.db'}", config)
        client = SyncClient("http://safecard.bench", transport=transport, timeout=120)
        client.login("ivanov", PASSWORD, "bench-device")
        engine = SyncEngine(writer, client)
        transport.cpu = 0.0
        profiler = None
        if args.profile:
            from pyinstrument import Profiler
            profiler = Profiler()
            profiler.start()
        wall, cpu, thread = time.perf_counter(), time.process_time(), time.thread_time()
        result = SyncReport()
        engine.push(result)
        thread = time.thread_time() - thread
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False))
        assert result.accepted == len(mine), result
        client_cpu = thread - transport.cpu
        client.close()
        writer.close()
        server.close()
    n = len(mine)
    print(f"push {n} events, batches of {BATCH}: wall {wall:.2f} s, process cpu {cpu:.2f} s")
    print(f"  server and ASGI glue: cpu {cpu - client_cpu:.2f} s")
    print(f"  client: cpu {client_cpu:.3f} s = {1e6 * client_cpu / n:.0f} us per event")
    print(f"  raw sqlite3 read + delete of the same outbox: cpu {raw_cpu:.3f} s "
          f"-> ratio {client_cpu / raw_cpu:.1f}x")
    report("push client cpu", client_cpu, "s",
           baseline=f"raw sqlite3 read + delete of the outbox, batches of {BATCH}",
           baseline_value=raw_cpu, cards=n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
