"""Fault: the server's PostgreSQL restarts while workstations push and pull.

A private PostgreSQL instance (faults/postgres.py; the shared test cluster must not be
restarted under the other tests) backs the real `safecard-server` process. Three
workstations file and sync in a loop while PostgreSQL is stopped (fast shutdown: sessions
cut, open transactions rolled back), left down for a moment and started again, several
times. Every answer the server gives is either a success or a clean retryable 503 with
Retry-After — never a 500, never a traceback in the server's log — and once the database
is back everything syncs: every event on the server exactly once, every outbox empty,
every workstation's projection equal to the server's.

Needs the PostgreSQL server binaries (Debian's /usr/lib/postgresql/N/bin); skipped when they
are missing unless SAFECARD_REQUIRE_POSTGRES=1, as in CI, where it fails instead.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sync.server import auth
from sync.server.db import open_server_store
from tests.e2e.faults.netutil import free_port
from tests.e2e.faults.postgres import PrivatePostgres, find_bin
from tests.e2e.faults.workstation import (
    CARD,
    Workstation,
    converge,
    server_cards,
    server_events,
)
from tests.e2e.test_two_desktops import PASSWORD, Server

pytestmark = pytest.mark.postgres

WORKERS = 3
BACKLOG = 100  # cards each workstation files before the load starts
RESTARTS = 4


class Recording(httpx.HTTPTransport):
    """Keeps every answer's status (and a 503's Retry-After)."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: Counter[int] = Counter()
        self.bad: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        self.statuses[response.status_code] += 1
        if response.status_code != 200 and (
                response.status_code != 503 or "Retry-After" not in response.headers):
            self.bad.append(f"{request.method} {request.url.path}: {response.status_code} "
                            f"{response.content[:200]!r}")
        return response


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    bindir = find_bin()
    if bindir is None:
        if os.environ.get("SAFECARD_REQUIRE_POSTGRES") == "1":
            pytest.fail("SAFECARD_REQUIRE_POSTGRES=1 but no PostgreSQL server binaries "
                        "(/usr/lib/postgresql/N/bin)", pytrace=False)
        pytest.skip("no PostgreSQL server binaries to start a private instance")
    pg = PrivatePostgres(bindir)
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()


def test_database_restarts_under_load_give_503_and_lose_nothing(
        postgres: PrivatePostgres, tmp_path: Path) -> None:
    seed = int(os.environ.get("SAFECARD_FAULT_SEED", random.randrange(1 << 30)))
    print(f"seed {seed}")
    rng = random.Random(seed)
    store = open_server_store(postgres.url)
    for i in range(WORKERS):
        auth.add_user(store, f"worker{i}", "staff", PASSWORD)
    store.close()
    server = Server(postgres.url, free_port(), tmp_path / "server.log")

    stations = [Workstation(tmp_path / f"ws{i}", f"worker{i}") for i in range(WORKERS)]
    wires = [Recording() for _ in stations]
    stop = threading.Event()

    def load(station: Workstation) -> None:
        n = 0
        while not stop.is_set():
            station.service.file(CARD | {"title": f"{station.user} под нагрузкой {n}"})
            n += 1
            if station.sync_once() is None:
                time.sleep(0.01)

    threads = [threading.Thread(target=load, args=(s,), daemon=True) for s in stations]
    try:
        for station in stations:
            station.file(BACKLOG, f"{station.user} до нагрузки")
        server.start()
        for station, wire in zip(stations, wires, strict=True):
            station.connect(server.address, PASSWORD, transport=wire)
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for _ in range(RESTARTS):
            time.sleep(rng.uniform(0.3, 1.0))
            postgres.restart(down_for=rng.uniform(0.2, 1.0))
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(60)
            assert not thread.is_alive()

        loaded = time.monotonic() - started
        passes = converge(stations, postgres.url)

        local = sum(s.store.count_events() for s in stations)
        ids = server_events(postgres.url)
        assert len(ids) == len(set(ids)), "an event stored twice"
        on_server = server_cards(postgres.url)
        own = {c[0] for s in stations for c in s.cards() if c[2].startswith(s.user)}
        assert {c[0] for c in on_server} == own
        assert len(ids) == 2 * len(own)
        for station in stations:
            assert station.store.outbox_count() == 0
            assert station.cards() == on_server
        statuses = sum((w.statuses for w in wires), Counter())
        assert not [b for w in wires for b in w.bad], [b for w in wires for b in w.bad][:5]
        assert statuses[503] > 0, f"no request met the restarts: {statuses}"
        log = server.log.read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]
        print(f"{RESTARTS} restarts in {loaded:.1f} s of load, "
              f"{time.monotonic() - started:.1f} s with the final syncs; "
              f"answers {dict(statuses)}; {len(ids)} events exactly once, "
              f"{local} stored on the workstations; {passes} pass(es) to converge")
    finally:
        stop.set()
        server.stop()
        for station in stations:
            station.close()
