"""Fault: the sync server is killed with SIGKILL and restarted 50 times while a workstation
syncs.

A worker with 1000 pending events syncs (the real SyncEngine, retrying at once instead of
the background loop's seconds of backoff) and keeps filing, while a killer loop starts the
real server, lets it work for a random 10–200 ms, and kills it with SIGKILL as soon as a
request is on the wire: mid-push, mid-pull, mid-config. The server processes are forked from
a warm parent that has imported the server's modules (faults/zygote.py): a cold
`safecard-server` takes about 3 s to start here, which would make 50 rounds last minutes.
The last start is a cold one of the installed `safecard-server`. In the end every event is
on the server exactly once, the outbox is empty, the server saw the device's sequence with
no gap, and the workstation's and the server's projections agree. On SQLite, the server's
fastest start; a PostgreSQL server is killed mid-push in test_two_desktops.py and loses its
database under load in test_fault_database_restart.py.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import httpx

from sync.engine import CONTIGUOUS_KEY
from sync.server import auth
from sync.server.db import open_server_store
from tests.e2e.faults.servers import WarmServer
from tests.e2e.faults.workstation import Workstation, server_cards, server_events
from tests.e2e.test_two_desktops import PASSWORD, Server


class InFlight(httpx.HTTPTransport):
    """Knows whether a request is on the wire, so a kill can wait for one."""

    def __init__(self) -> None:
        super().__init__()
        self.busy = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.busy.set()
        try:
            response = super().handle_request(request)
            response.read()
            return response
        finally:
            self.busy.clear()


KILLS = 50
BACKLOG = 500  # cards filed offline before the first start: 1000 events
PER_ROUND = 2  # cards filed between two sync rounds while the killer works


def test_server_killed_50_times_during_sync_keeps_every_event_once(tmp_path: Path) -> None:
    seed = int(os.environ.get("SAFECARD_FAULT_SEED", random.randrange(1 << 30)))
    print(f"seed {seed}")
    rng = random.Random(seed)
    url = f"sqlite:///{tmp_path}/server.db"
    store = open_server_store(url)
    auth.add_user(store, "ivanov", "staff", PASSWORD)
    store.close()

    worker = Workstation(tmp_path / "worker", "ivanov")
    server = WarmServer(url, tmp_path / "server.log")
    stop = threading.Event()
    rounds = 0

    def sync_while_killed() -> None:
        nonlocal rounds
        n = 0
        while not stop.is_set():
            for _ in range(PER_ROUND):
                worker.service.file({"kind": "hazard", "title": f"Во время сбоев {n}",
                                     "description": "-", "site": "sever",
                                     "department": "synthesis", "location": "-",
                                     "category": "height", "work_stopped": False})
                n += 1
            if worker.sync_once() is None:
                time.sleep(0.005)
            rounds += 1

    try:
        worker.file(BACKLOG, "До сбоев")
        server.start()
        wire = InFlight()
        worker.connect(server.address, PASSWORD, transport=wire)
        started = time.monotonic()
        syncing = threading.Thread(target=sync_while_killed, daemon=True)
        syncing.start()
        for i in range(KILLS):
            if i:
                server.start()
            time.sleep(rng.uniform(0.01, 0.2))
            wire.busy.wait(1)  # kill while a request is on the wire
            server.kill()
        stop.set()
        syncing.join(60)
        assert not syncing.is_alive()
        killing = time.monotonic() - started
        failures_during_kills, cut_mid_request = worker.failures, worker.cut

        cold = Server(url, server.port, tmp_path / "server.log")
        cold.start()
        try:
            worker.sync_until_clean()
        finally:
            cold.stop()

        local = worker.store.count_events()
        ids = server_events(url)
        assert len(ids) == len(set(ids)) == local
        assert worker.store.outbox_count() == 0
        assert worker.store.get_meta(CONTIGUOUS_KEY) == str(local)
        assert worker.cards() == server_cards(url)
        # Most kills cut a request in flight (a refused connection, while the server was
        # down, is not counted here).
        assert cut_mid_request >= KILLS // 2, (cut_mid_request, failures_during_kills)
        print(f"{KILLS} kills in {killing:.1f} s, {rounds} rounds, {failures_during_kills} "
              f"failed, {cut_mid_request} cut mid-request, {local} events exactly once")
    finally:
        stop.set()
        server.close()
        worker.close()
