"""Push and pull keep every event exactly once through retries, lost answers and failures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from forms import events as ev
from forms.service import CardService
from forms.store import syncio
from forms.store.models import EventRow
from forms.store.repo import Store
from sync import protocol as p
from sync.client import SyncClient
from sync.engine import CURSOR_KEY, SyncEngine, _limit_bytes
from sync.errors import SyncUnreachable
from sync.server.db import new_epoch
from tests.forms.conftest import HAZARD, IDEA
from tests.sync.conftest import SERVER, SyncASGITransport, Workstation
from tests.sync.helpers import one, stamp


def _server_ids(store: Store) -> list[str]:
    return [e.id for _, e in store.events()]


def _file_many(ws: Workstation, n: int) -> None:
    for i in range(n):
        ws.service.file(IDEA | {"title": f"Идея {i}"})


class Interceptor(httpx.BaseTransport):
    """Passes requests to the app, and lets a test break chosen ones."""

    def __init__(self, inner: SyncASGITransport,
                 fault: Callable[[httpx.Request, int], httpx.Response | None]) -> None:
        self.inner = inner
        self.fault = fault
        self.seen = 0
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        self.requests.append(request)
        broken = self.fault(request, self.seen)
        return broken if broken is not None else self.inner.handle_request(request)


def _engine(ws: Workstation, transport: httpx.BaseTransport) -> SyncEngine:
    client = SyncClient(SERVER, token=ws.engine.client.token, transport=transport)
    return SyncEngine(ws.store, client, config_dir=ws.home / "config")


def test_a_retried_batch_is_known_not_doubled(
        workstation: Callable[[str], Workstation], server_store: Store) -> None:
    ws = workstation("ivanov")
    ws.service.file(HAZARD)
    batch = syncio.pending(ws.store, 100)
    first = ws.engine.client.push(batch)
    again = ws.engine.client.push(batch)
    assert {r.status for r in first.results} == {"accepted"}
    assert [(r.id, r.status) for r in again.results] == [(e.id, "known") for e in batch]
    assert sorted(_server_ids(server_store)) == sorted(e.id for e in batch)


def test_the_same_id_with_another_payload_is_a_conflict(
        workstation: Callable[[str], Workstation], server_store: Store) -> None:
    ws = workstation("ivanov")
    card_id = ws.service.file(HAZARD).card_id
    ws.engine.sync_once()
    comment = one(ev.COMMENT_ADDED, {"comment_id": "c", "text": "первый", "question": False},
                  card_id, "ivanov", ws.service.device_id)
    assert ws.engine.client.push([comment]).results[0].status == "accepted"
    forged = ev.Event(**{**comment.__dict__, "payload": {**comment.payload, "text": "другой"}})
    result = ws.engine.client.push([forged]).results[0]
    assert (result.status, result.reason) == ("rejected", "id_conflict")
    with server_store.session() as s:
        kept = s.scalar(select(EventRow).where(EventRow.id == comment.id))
        assert kept is not None and kept.payload["text"] == "первый"


def test_response_lost_after_commit_is_known_on_retry(
        workstation: Callable[[str], Workstation], transport: SyncASGITransport,
        server_store: Store) -> None:
    ws = workstation("ivanov")
    _file_many(ws, 3)

    def lose_first_push_answer(request: httpx.Request, n: int) -> httpx.Response | None:
        if request.url.path.endswith("/sync/push") and n == 1:
            transport.handle_request(request)  # the server commits…
            raise httpx.ReadError("connection reset")  # …and the answer never arrives
        return None

    engine = _engine(ws, Interceptor(transport, lose_first_push_answer))
    with pytest.raises(SyncUnreachable):
        engine.sync_once()
    assert len(_server_ids(server_store)) == 6
    assert syncio.count(ws.store) == 6  # not confirmed: nothing left the outbox
    report = engine.sync_once()
    assert (report.accepted, report.known) == (0, 6)
    assert syncio.count(ws.store) == 0
    assert len(_server_ids(server_store)) == 6


def test_an_html_200_is_not_a_sync(workstation: Callable[[str], Workstation],
                                   transport: SyncASGITransport, server_store: Store) -> None:
    ws = workstation("ivanov")
    ws.service.file(HAZARD)

    def captive_portal(request: httpx.Request, n: int) -> httpx.Response | None:
        return httpx.Response(200, html="<html><body>Войдите в сеть Wi-Fi</body></html>")

    engine = _engine(ws, Interceptor(transport, captive_portal))
    with pytest.raises(SyncUnreachable) as caught:
        engine.sync_once()
    assert caught.value.key == "sync_not_a_server" and caught.value.exit_code == 75
    assert syncio.count(ws.store) == 2 and server_store.count_events() == 0
    assert engine.status().offline and engine.status().waiting == 2


def test_a_push_answer_naming_other_ids_confirms_nothing(
        workstation: Callable[[str], Workstation], transport: SyncASGITransport) -> None:
    ws = workstation("ivanov")
    ws.service.file(HAZARD)

    def wrong_ids(request: httpx.Request, n: int) -> httpx.Response | None:
        if not request.url.path.endswith("/sync/push"):
            return None
        body = p.PushResponse(results=[p.EventResult(id="0000", status="accepted")],
                              server_time_ms=0)
        return httpx.Response(200, json=body.model_dump())

    with pytest.raises(SyncUnreachable):
        _engine(ws, Interceptor(transport, wrong_ids)).sync_once()
    assert syncio.count(ws.store) == 2


def test_pull_pages_through_everything_in_order(
        workstation: Callable[[str], Workstation], server_store: Store) -> None:
    writer, reader = workstation("ivanov"), workstation("petrov")
    _file_many(writer, 130)
    writer.engine.sync_once()
    reader.engine.pull_limit = 100
    report = reader.engine.sync_once()
    assert report.pulled == 260
    assert [e.id for _, e in reader.store.events()] == _server_ids(server_store)
    assert reader.store.count_cards() == 130
    assert reader.store.get_meta(CURSOR_KEY)


def test_pushes_go_in_batches_of_at_most_100(
        workstation: Callable[[str], Workstation], transport: SyncASGITransport) -> None:
    ws = workstation("ivanov")
    _file_many(ws, 130)
    spy = Interceptor(transport, lambda request, n: None)
    _engine(ws, spy).sync_once()
    sizes = [len(p.PushRequest.model_validate_json(r.content).events)
             for r in spy.requests if r.url.path.endswith("/sync/push")]
    assert sizes == [100, 100, 60]


def test_batches_stay_under_512_kb() -> None:
    big = "ж" * 100_000  # 200 KB of UTF-8 each
    events = stamp([(ev.COMMENT_ADDED, {"text": big})] * 10, "c", "u", "d")
    kept = _limit_bytes(events)
    assert len(kept) == 2
    assert sum(len(p.WireEvent.of(e).model_dump_json().encode()) for e in kept) <= (
        p.CLIENT_PUSH_BYTES)
    assert len(_limit_bytes(stamp([(ev.COMMENT_ADDED, {"text": big * 6})], "c", "u", "d"))) == 1


def test_pull_resumes_from_the_stored_cursor_after_a_failure(
        workstation: Callable[[str], Workstation], transport: SyncASGITransport,
        server_store: Store) -> None:
    writer, reader = workstation("ivanov"), workstation("petrov")
    _file_many(writer, 60)
    writer.engine.sync_once()

    def fail_second_pull(request: httpx.Request, n: int) -> httpx.Response | None:
        pulls = [r for r in spy.requests if r.url.path.endswith("/sync/pull")]
        if request.url.path.endswith("/sync/pull") and len(pulls) == 2:
            raise httpx.ConnectError("network down")
        return None

    spy = Interceptor(transport, fail_second_pull)
    engine = _engine(reader, spy)
    engine.pull_limit = 50
    with pytest.raises(SyncUnreachable):
        engine.sync_once()
    assert reader.store.count_events() == 50  # the first page, with its cursor
    engine.sync_once()
    assert [e.id for _, e in reader.store.events()] == _server_ids(server_store)


def test_a_page_and_its_cursor_are_stored_together(
        workstation: Callable[[str], Workstation]) -> None:
    writer, reader = workstation("ivanov"), workstation("petrov")
    writer.service.file(HAZARD)
    page = syncio.pending(writer.store, 10)
    with pytest.raises(Exception):  # noqa: B017 - the cursor write fails: a crash
        syncio.apply_page(reader.store, page, {CURSOR_KEY: None})  # type: ignore[dict-item]
    assert reader.store.count_events() == 0 and reader.store.get_meta(CURSOR_KEY) is None
    syncio.apply_page(reader.store, page, {CURSOR_KEY: "c"})
    syncio.apply_page(reader.store, page, {CURSOR_KEY: "c"})  # applied twice: no change
    assert reader.store.count_events() == 2


def test_a_clock_in_2030_is_rejected_and_set_aside(
        workstation: Callable[[str], Workstation], server_store: Store) -> None:
    ws = workstation("ivanov")
    future = CardService(ws.store, ws.service.config, user="ivanov",
                         device_id=ws.service.device_id,
                         clock=lambda: datetime(2030, 1, 1, tzinfo=UTC))
    future.file(HAZARD)
    report = ws.engine.sync_once()
    assert report.rejected == 2 and server_store.count_events() == 0
    status = ws.engine.status()
    assert (status.waiting, status.set_aside) == (0, 2)
    ws.service.file(IDEA)  # the next card, with a sane clock, still goes up
    assert ws.engine.sync_once().accepted == 2


def test_the_server_reports_the_highest_contiguous_device_seq(
        workstation: Callable[[str], Workstation]) -> None:
    ws = workstation("ivanov")
    ws.service.file(HAZARD)
    ws.engine.sync_once()
    device = ws.service.device_id
    assert ws.store.get_meta("sync_device_contiguous") == "2"
    card_id = ws.store.list_cards()[0].id
    gap = one(ev.COMMENT_ADDED, {"comment_id": "c", "text": "x", "question": False}, card_id,
              "ivanov", device)
    gap = ev.Event(**{**gap.__dict__, "device_seq": 4})  # number 3 was lost
    assert ws.engine.client.push([gap]).device_seq_contiguous == 2


def test_anonymous_cards_never_travel_in_the_signed_in_push(
        workstation: Callable[[str], Workstation], transport: SyncASGITransport,
        server_store: Store) -> None:
    ws = workstation("ivanov")
    secret = ws.service.file(HAZARD, anonymous=True).card_id
    ws.service.file(IDEA)
    spy = Interceptor(transport, lambda request, n: None)
    _engine(ws, spy).sync_once()
    pushed = [e for r in spy.requests if r.url.path.endswith("/sync/push")
              for e in p.PushRequest.model_validate_json(r.content).events]
    assert len(pushed) == 2 and secret not in {e.card_id for e in pushed}
    assert all(e.card_id != secret for _, e in server_store.events())
    assert syncio.count(ws.store, syncio.ANONYMOUS) == 2


def test_a_new_epoch_makes_clients_pull_again_without_doubles(
        workstation: Callable[[str], Workstation], server_store: Store) -> None:
    writer, reader = workstation("ivanov"), workstation("petrov")
    _file_many(writer, 3)
    writer.engine.sync_once()
    reader.engine.sync_once()
    new_epoch(server_store)  # as after restoring the server from a dump
    page = reader.engine.client.pull(reader.store.get_meta(CURSOR_KEY))
    assert page.reset and len(page.events) == 6
    assert reader.engine.sync_once().pulled == 6
    assert reader.store.count_events() == 6
