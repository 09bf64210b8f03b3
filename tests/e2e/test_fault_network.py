"""Fault: the network is cut and restored, and connections die mid-request and mid-response.

A worker's pending events and a supervisor's pulls go through a loopback proxy
(faults/proxy.py) to the real `safecard-server` process. Half of the proxy's connections are
cut after a random number of bytes, in either direction — so some pushes never arrive whole
and others are stored while their answer is lost — and for a while the network is down
altogether. Sync keeps retrying; in the end every event is on the server exactly once, the
worker's outbox is empty, and the worker, the supervisor and the server hold the same cards.
Runs on SQLite and, through the `database_url` fixture, on PostgreSQL.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.faults.proxy import DroppingProxy
from tests.e2e.faults.workstation import (
    Workstation,
    converge,
    server_cards,
    server_events,
)
from tests.e2e.test_two_desktops import PASSWORD, Server
from tests.e2e.test_two_desktops import server as server

CARDS = 300  # 600 events: six push batches, three pull pages


@pytest.fixture
def proxy(server: Server) -> Iterator[DroppingProxy]:
    seed = int(os.environ.get("SAFECARD_FAULT_SEED", random.randrange(1 << 30)))
    print(f"seed {seed}")
    running = DroppingProxy(server.port, seed=seed)
    yield running
    running.close()


def test_cut_connections_and_a_dead_network_lose_and_double_nothing(
        server: Server, proxy: DroppingProxy, tmp_path: Path) -> None:
    worker = Workstation(tmp_path / "worker", "ivanov")
    boss = Workstation(tmp_path / "supervisor", "petrov")
    try:
        filed = worker.file(CARDS, "Опасность")
        server.start()
        worker.connect(server.address, PASSWORD, via=proxy.address)
        boss.connect(server.address, PASSWORD, via=proxy.address)

        proxy.cut()  # the network is down: nothing gets through, nothing is lost
        assert worker.sync_once() is None and boss.sync_once() is None
        assert worker.store.outbox_count() == 2 * CARDS
        proxy.restore()

        passes = converge([worker, boss], server.url)

        ids = server_events(server.url)
        assert len(ids) == len(set(ids)) == 2 * CARDS
        on_server = server_cards(server.url)
        assert {c[0] for c in on_server} == set(filed)
        assert worker.cards() == boss.cards() == on_server
        # The faults really happened, in both directions.
        counts = proxy.counts
        assert counts.refused >= 2 and counts.cut_request >= 3 and counts.cut_response >= 3, \
            counts
        assert worker.failures + boss.failures >= 5, (worker.failures, boss.failures)
        assert worker.known > 0, "no push was stored with its answer lost"
        print(f"proxy {counts}; failed rounds: worker {worker.failures}, "
              f"supervisor {boss.failures}; events resent after a lost answer {worker.known}; "
              f"{passes} pass(es) to converge")
    finally:
        worker.close()
        boss.close()
