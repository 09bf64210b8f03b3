"""The sync loop: backoff with jitter, smaller batches after a timeout, stopping when a
person must act, and the status a desktop shows."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest

from forms.errors import SafeCardError
from forms.store import syncio
from sync import protocol as p
from sync.client import SyncClient
from sync.engine import MAX_BACKOFF, SyncEngine, SyncReport
from sync.errors import SignedOut, SyncUnreachable, TooLarge
from sync.server.app import create_app
from tests.forms.conftest import IDEA
from tests.sync.conftest import PASSWORD, SERVER, SyncASGITransport, Workstation


class Down(httpx.BaseTransport):
    def __init__(self, error: type[httpx.TransportError] = httpx.ConnectError) -> None:
        self.error = error
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        raise self.error("no route to host")


def _offline_engine(ws: Workstation, transport: httpx.BaseTransport) -> SyncEngine:
    return SyncEngine(ws.store, SyncClient(SERVER, token="t", transport=transport))


def test_backoff_doubles_with_jitter_up_to_five_minutes(
        workstation: Callable[[str], Workstation]) -> None:
    ws = workstation("ivanov")
    low = SyncEngine(ws.store, ws.engine.client, rng=lambda: 0.0)
    high = SyncEngine(ws.store, ws.engine.client, rng=lambda: 1.0)
    seen = []
    for failures in range(1, 12):
        low._failures = high._failures = failures
        seen.append((low.next_delay(), high.next_delay()))
    assert seen[0] == (1.0, 2.0) and seen[1] == (2.0, 4.0)
    assert all(lo == hi / 2 for lo, hi in seen)
    assert seen[-1][1] == MAX_BACKOFF


def test_offline_status_counts_the_changes_waiting(
        workstation: Callable[[str], Workstation]) -> None:
    ws = workstation("ivanov")
    ws.service.file(IDEA)
    engine = _offline_engine(ws, Down())
    with pytest.raises(SyncUnreachable) as caught:
        engine.sync_once()
    assert caught.value.exit_code == 75
    status = engine.status()
    assert status.offline and status.waiting == 2 and not status.stopped
    assert status.last_error == "sync_unreachable"


def test_a_timeout_halves_the_batch(workstation: Callable[[str], Workstation]) -> None:
    ws = workstation("ivanov")
    ws.service.file(IDEA)
    engine = _offline_engine(ws, Down(httpx.ReadTimeout))
    for expected in (50, 25, 12):
        with pytest.raises(SyncUnreachable):
            engine.sync_once()
        assert engine.batch_events == expected
    assert syncio.count(ws.store) == 2


def test_the_loop_retries_while_offline_and_stops_when_signed_out(
        workstation: Callable[[str], Workstation], transport: SyncASGITransport) -> None:
    ws = workstation("ivanov")
    ws.service.file(IDEA)
    down = Down()
    engine = SyncEngine(ws.store, SyncClient(SERVER, token="revoked", transport=down),
                        rng=lambda: 0.0)
    stop = threading.Event()
    rounds: list[SyncReport | SafeCardError] = []

    def on_round(result: SyncReport | SafeCardError) -> None:
        rounds.append(result)
        if len(rounds) == 3:  # the network is back, but this token is not valid
            engine.client._http._transport = transport  # type: ignore[attr-defined]

    delays: list[float] = []
    stop.wait = lambda delay: delays.append(delay) or False  # type: ignore[method-assign]
    engine.run(stop, on_round=on_round)
    assert [type(r) for r in rounds] == [SyncUnreachable] * 3 + [SignedOut]
    assert delays == [1.0, 2.0, 4.0]
    assert engine.status().stopped and syncio.count(ws.store) == 2


def test_a_413_stops_the_loop(workstation: Callable[[str], Workstation],
                              transport: SyncASGITransport) -> None:
    ws = workstation("ivanov")
    ws.service.file(IDEA)
    app = transport.inner.app
    small = SyncASGITransport(create_app("", store=app.state.store, max_body=200))
    client = SyncClient(SERVER, transport=small)
    client.login("ivanov", PASSWORD, ws.service.device_id)
    engine = SyncEngine(ws.store, client)
    engine.run(threading.Event(), on_round=lambda r: None)
    assert engine.status().stopped and engine.status().last_error == "sync_too_large"
    with pytest.raises(TooLarge):
        engine.sync_once()
    assert syncio.count(ws.store) == 2


def test_a_good_sync_records_its_time_and_clears_the_error(
        workstation: Callable[[str], Workstation]) -> None:
    ws = workstation("ivanov")
    ws.service.file(IDEA)
    ws.store.set_meta("sync_last_error", "sync_unreachable")
    ws.engine.sync_once()
    status = ws.engine.status()
    assert status.last_sync is not None and status.last_error is None
    assert (status.waiting, status.offline, status.stopped) == (0, False, False)


def test_configuration_reaches_the_workstation(
        workstation: Callable[[str], Workstation]) -> None:
    from forms.config import load_config
    from forms.home import Home

    ws = workstation("ivanov")
    assert ws.engine.sync_once().config_changed
    assert not ws.engine.sync_once().config_changed  # same version: nothing rewritten
    local = load_config(ws.home / "config")
    assert local.version == ws.engine.client.config().version
    assert Home(ws.home).config().version == local.version
    assert p.PROTOCOL_VERSION == 1
