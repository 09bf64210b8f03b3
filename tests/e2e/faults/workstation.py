"""An in-process workstation for fault tests: the store, CardService and SyncEngine the CLI and
the desktop use, with sync retried the way the desktop's background loop retries."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from forms.events import Event
from forms.home import open_home
from forms.service import CardService
from sync.client import SyncClient
from sync.engine import SyncEngine, SyncReport
from sync.errors import SyncUnreachable
from sync.protocol import PushResponse

CARD = {"kind": "hazard", "description": "Сняли перила и не вернули", "site": "sever",
        "department": "synthesis", "location": "Резервуар Р-12", "category": "height",
        "work_stopped": True}


class Workstation:
    def __init__(self, path: Path, user: str) -> None:
        self.user = user
        self.home = open_home(path)
        config = self.home.config()
        self.store = self.home.open_store(config)
        self.device_id = self.home.device_id(self.store)
        self.service = CardService(self.store, config, user=user, device_id=self.device_id,
                                   blobs=self.home.blobs)
        self.engine: SyncEngine | None = None
        self.failures = 0  # sync rounds that ended in a retryable error
        self.cut = 0  # … of them, because a connection died mid-request (not refused)
        self.known = 0  # events the server already had: a push whose answer was lost

    def file(self, count: int, prefix: str) -> list[str]:
        with self.store.bulk():  # set-up speed only: durability is test_fault_kill_filing's
            return [self.service.file(CARD | {"title": f"{prefix} {i}"}).card_id
                    for i in range(count)]

    def connect(self, server: str, password: str, *, via: str | None = None,
                **client_options: object) -> None:
        """Sign in at `server` directly; sync through `via` (a proxy) when given."""
        with SyncClient(server) as client:
            token = client.login(self.user, password, self.device_id).token
        sync_client = SyncClient(via or server, token=token, **client_options)  # type: ignore[arg-type]
        push = sync_client.push

        def counting_push(events: Sequence[Event]) -> PushResponse:
            answer = push(events)  # a round may still fail later: count here, not per round
            self.known += sum(1 for r in answer.results if r.status == "known")
            return answer

        push_wire = sync_client.push_wire  # what SyncEngine.push calls

        def counting_push_wire(events: Sequence[bytes]) -> PushResponse:
            answer = push_wire(events)
            self.known += sum(1 for r in answer.results if r.status == "known")
            return answer

        sync_client.push = counting_push  # type: ignore[method-assign]
        sync_client.push_wire = counting_push_wire  # type: ignore[method-assign]
        self.engine = SyncEngine(self.store, sync_client, blobs=self.home.blobs)

    def sync_once(self) -> SyncReport | None:
        assert self.engine is not None
        try:
            report = self.engine.sync_once()
        except SyncUnreachable as error:
            self.failures += 1
            self.cut += not isinstance(error.__cause__, httpx.ConnectError)
            return None
        return report

    def sync_until_clean(self, seconds: float = 60.0, pause: float = 0.01) -> None:
        """Retry (without the real backoff's seconds) until a whole round succeeds with
        nothing left in the outbox."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.sync_once() is not None and self.store.outbox_count() == 0:
                return
            time.sleep(pause)
        raise AssertionError(f"{self.user}: not synced in {seconds} s, "
                             f"{self.store.outbox_count()} events still waiting")

    def cards(self) -> list[tuple[str, str, str]]:
        return sorted((c.id, c.state, c.title) for c in self.store.list_cards())

    def close(self) -> None:
        if self.engine is not None:
            self.engine.client.close()
        self.store.close()


def server_events(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(text("SELECT id FROM events")))
    finally:
        engine.dispose()


def server_cards(url: str) -> list[tuple[str, str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted((r[0], r[1], r[2]) for r in conn.execute(
                text("SELECT id, state, title FROM cards")))
    finally:
        engine.dispose()


def converge(stations: Sequence[Workstation], url: str, seconds: float = 60.0) -> int:
    """Sync every station until each holds exactly the server's cards.

    One clean round is not always enough on PostgreSQL: a pull serves only events below the
    oldest running transaction (DESIGN.md §7, the late-commit rule), and on the shared test
    cluster that may be another test's transaction, so a page can come back short for a
    moment. Data only lags then; a stall that lasts (a leaked open transaction, a lost event)
    fails here. Returns how many passes it took."""
    deadline = time.monotonic() + seconds
    passes = 0
    while True:
        passes += 1
        for station in stations:
            station.sync_until_clean(max(1.0, deadline - time.monotonic()))
        on_server = server_cards(url)
        if all(s.cards() == on_server for s in stations):
            return passes
        if time.monotonic() > deadline:
            raise AssertionError("stations still differ from the server: " + ", ".join(
                f"{s.user} {len(s.cards())}" for s in stations) + f", server {len(on_server)}")
        time.sleep(0.2)
