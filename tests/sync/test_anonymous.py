"""The anonymous drop box (DESIGN.md §6, docs/protocol.md "Anonymous cards"): a card with no
actor, device or address; sent only after its delay, never in the signed-in push; followed
and answered by its receipt; refused when it names anyone; rate limited."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select

from forms import events as ev
from forms.store import syncio
from forms.store.repo import Store
from sync import protocol as p
from sync.client import SyncClient
from sync.errors import RateLimited, UnknownReceipt
from sync.server.anonymous import TokenBucket
from sync.server.models import BlobRow, ReceiptRow
from tests.forms.conftest import HAZARD
from tests.sync.conftest import SERVER, SyncASGITransport, Workstation
from tests.sync.helpers import one

ANON = f"{p.API}/anonymous"


class Spy(httpx.BaseTransport):
    def __init__(self, inner: SyncASGITransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.inner.handle_request(request)


@pytest.fixture(autouse=True)
def no_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFECARD_ANONYMOUS_DELAY", "0")


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "leak.png"
    Image.effect_noise((80, 60), 50).convert("RGB").save(path)
    return path


@pytest.fixture
def unsigned(transport: SyncASGITransport) -> Iterator[SyncClient]:
    with SyncClient(SERVER, transport=transport) as client:
        yield client


def _spy_on(ws: Workstation, transport: SyncASGITransport) -> Spy:
    spy = Spy(transport)
    token = ws.engine.client.token
    ws.engine.client.close()
    ws.engine.client = SyncClient(SERVER, token=token, transport=spy)
    return spy


def _server_events(store: Store, card_id: str) -> list[ev.Event]:
    return [e for _, e in store.events() if e.card_id == card_id]


def test_an_anonymous_card_goes_through_the_drop_box_alone_and_unsigned(
        workstation: Callable[[str], Workstation], transport: SyncASGITransport,
        server_store: Store, photo: Path) -> None:
    ws = workstation("ivanov")
    anon = ws.service.file(HAZARD | {"photos": [str(photo)]}, anonymous=True)
    named = ws.service.file(HAZARD)
    spy = _spy_on(ws, transport)
    report = ws.engine.sync_once()
    assert report.anonymous_sent == 1
    drops = [r for r in spy.requests if r.url.path == f"{ANON}/cards"]
    pushes = [r for r in spy.requests if r.url.path.endswith("/sync/push")]
    assert len(drops) == 1 and len(pushes) == 1
    assert "authorization" not in drops[0].headers
    drop_body = drops[0].content.decode()
    assert ws.service.device_id not in drop_body and "ivanov" not in drop_body
    pushed = {e["card_id"] for e in json.loads(pushes[0].content)["events"]}
    assert pushed == {named.card_id}  # the signed-in push never carries the anonymous card
    assert not [r for r in spy.requests if r.url.path.startswith(f"{p.API}/blobs/")
                and r.method == "PUT" and anon.card_id in r.content.decode(errors="ignore")]
    stored = _server_events(server_store, anon.card_id)
    assert [e.type for e in stored] == [ev.CARD_FILED, ev.ROUTED]
    assert all(e.actor is None and e.device_id is None and e.device_seq is None for e in stored)
    with server_store.session() as s:
        assert s.scalar(select(BlobRow.sha256)) == stored[0].payload["fields"]["photos"][0]
    assert syncio.count(ws.store, syncio.ANONYMOUS) == 0  # confirmed: left the outbox
    assert drops[0] is not None and spy.requests[0] is not None


def test_the_drop_box_answers_nothing_that_links_back(unsigned: SyncClient,
                                                      workstation: Callable[[str], Workstation],
                                                      transport: SyncASGITransport) -> None:
    ws = workstation("ivanov")
    ws.service.file(HAZARD, anonymous=True)
    events = syncio.pending(ws.store, 10, syncio.ANONYMOUS)
    body = p.AnonymousCardRequest(events=[p.WireEvent.of(e) for e in events])
    with httpx.Client(base_url=SERVER, transport=transport,
                      headers={p.PROTOCOL_HEADER: "1"}) as http:
        answer = http.post(f"{ANON}/cards", content=body.model_dump_json(),
                           headers={"Content-Type": "application/json"})
        assert answer.status_code == 200
        assert answer.json() == {"protocol": 1, "accepted": True}
        again = http.post(f"{ANON}/cards", content=body.model_dump_json(),
                          headers={"Content-Type": "application/json"})
        assert again.json() == {"protocol": 1, "accepted": True}  # a lost answer, retried


def test_a_drop_naming_a_user_or_a_device_is_refused_and_stores_nothing(
        workstation: Callable[[str], Workstation], transport: SyncASGITransport,
        server_store: Store) -> None:
    ws = workstation("ivanov")
    card_id = ws.service.file(HAZARD, anonymous=True).card_id
    events = syncio.pending(ws.store, 10, syncio.ANONYMOUS)
    with httpx.Client(base_url=SERVER, transport=transport,
                      headers={p.PROTOCOL_HEADER: "1"}) as http:
        for forged in ({"actor": "ivanov"}, {"device_id": "dev-1"}, {"device_seq": 1}):
            wire = [p.WireEvent.of(e).model_copy(update=forged) for e in events]
            body = p.AnonymousCardRequest(events=wire).model_dump_json()
            answer = http.post(f"{ANON}/cards", content=body,
                               headers={"Content-Type": "application/json"})
            assert (answer.status_code, answer.json()["error"]) == (400, "not_anonymous")
        named = one(ev.CARD_FILED, {**events[0].payload, "anonymous": False}, card_id,
                    None, None)
        body = p.AnonymousCardRequest(events=[p.WireEvent.of(named)]).model_dump_json()
        answer = http.post(f"{ANON}/cards", content=body,
                           headers={"Content-Type": "application/json"})
        assert answer.status_code == 400
    assert _server_events(server_store, card_id) == []


def test_not_before_is_respected(workstation: Callable[[str], Workstation],
                                 monkeypatch: pytest.MonkeyPatch, server_store: Store) -> None:
    monkeypatch.setenv("SAFECARD_ANONYMOUS_DELAY", "600")
    ws = workstation("ivanov")
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    ws.service.clock = lambda: now
    card_id = ws.service.file(HAZARD, anonymous=True).card_id
    ws.engine.clock = lambda: now - timedelta(seconds=1)
    assert ws.engine.sync_once().anonymous_sent == 0
    assert _server_events(server_store, card_id) == []
    ws.engine.clock = lambda: now + timedelta(seconds=601)  # past any delay ≤ 600 s
    assert ws.engine.sync_once().anonymous_sent == 1
    assert len(_server_events(server_store, card_id)) == 2


def test_status_and_answer_by_receipt(workstation: Callable[[str], Workstation],
                                      unsigned: SyncClient, server_store: Store) -> None:
    ivanov, petrov = workstation("ivanov"), workstation("petrov")
    filed = ivanov.service.file(HAZARD, anonymous=True)
    assert filed.receipt
    ivanov.engine.sync_once()
    petrov.engine.sync_once()
    card = petrov.store.card(filed.card_id)
    assert card.anonymous and card.supervisor == "petrov"
    petrov.service.comment(filed.card_id, "Which floor exactly?", question=True)
    petrov.engine.sync_once()

    status = unsigned.anonymous_status(filed.receipt.lower().replace("-", " "))
    assert [q.text for q in status.questions] == ["Which floor exactly?"]
    assert status.state == card.state and status.resolution is None
    assert "petrov" not in status.model_dump_json()

    answered = unsigned.anonymous_answer(filed.receipt, "Second floor, by the stairs")
    assert answered.comments[-1].text == "Second floor, by the stairs"
    assert answered.comments[-1].from_reporter
    last = _server_events(server_store, filed.card_id)[-1]
    assert last.type == ev.COMMENT_ADDED and last.actor is None and last.device_id is None
    petrov.engine.sync_once()
    seen = petrov.store.card(filed.card_id).comments
    assert seen[-1].text == "Second floor, by the stairs" and seen[-1].actor is None

    petrov.service.reject(filed.card_id, "Duplicate of an earlier report")
    petrov.engine.sync_once()
    assert unsigned.anonymous_status(filed.receipt).reject_reason == (
        "Duplicate of an earlier report")


def test_a_wrong_receipt_is_refused(workstation: Callable[[str], Workstation],
                                    unsigned: SyncClient, transport: SyncASGITransport) -> None:
    ws = workstation("ivanov")
    ws.service.file(HAZARD, anonymous=True)
    ws.engine.sync_once()
    with pytest.raises(UnknownReceipt) as caught:
        unsigned.anonymous_status("0000-0000-0000-0000-0000")
    assert caught.value.exit_code == 3
    with pytest.raises(UnknownReceipt):
        unsigned.anonymous_answer("0000-0000-0000-0000-0000", "hello")
    with httpx.Client(base_url=SERVER, transport=transport,
                      headers={p.PROTOCOL_HEADER: "1"}) as http:
        answer = http.post(f"{ANON}/status", json={"receipt": "0000"})
        assert (answer.status_code, answer.json()["error"]) == (404, "unknown_receipt")


def test_the_server_keeps_the_receipt_only_as_argon2id(
        workstation: Callable[[str], Workstation], server_store: Store) -> None:
    ws = workstation("ivanov")
    filed = ws.service.file(HAZARD, anonymous=True)
    ws.engine.sync_once()
    with server_store.session() as s:
        row = s.scalars(select(ReceiptRow)).one()
    assert row.receipt_hash.startswith("$argon2id$") and len(row.lookup) == 4
    assert filed.receipt and filed.receipt.replace("-", "") not in json.dumps(
        [e.payload for _, e in server_store.events()])


def test_rate_limit_answers_429_with_a_friendly_message(app: FastAPI, unsigned: SyncClient,
                                                       transport: SyncASGITransport) -> None:
    app.state.anonymous_status_limit = TokenBucket(capacity=2, rate=0.0)
    for _ in range(2):
        with pytest.raises(UnknownReceipt):
            unsigned.anonymous_status("0000-0000-0000-0000-0000")
    with pytest.raises(RateLimited) as caught:
        unsigned.anonymous_status("0000-0000-0000-0000-0000")
    assert caught.value.exit_code == 75 and caught.value.key == "sync_rate_limited"
    with httpx.Client(base_url=SERVER, transport=transport,
                      headers={p.PROTOCOL_HEADER: "1"}) as http:
        answer = http.post(f"{ANON}/status", json={"receipt": "0000"})
        assert answer.status_code == 429 and answer.headers["retry-after"] == "60"
        assert answer.json()["error"] == "rate_limited"


def test_a_rate_limited_drop_stays_in_the_outbox(app: FastAPI,
                                                 workstation: Callable[[str], Workstation],
                                                 server_store: Store) -> None:
    app.state.anonymous_drop_limit = TokenBucket(capacity=0, rate=0.0)
    ws = workstation("ivanov")
    card_id = ws.service.file(HAZARD, anonymous=True).card_id
    assert ws.engine.sync_once().anonymous_sent == 0
    assert syncio.count(ws.store, syncio.ANONYMOUS) == 2
    assert _server_events(server_store, card_id) == []
    app.state.anonymous_drop_limit = TokenBucket(capacity=5, rate=0.0)
    assert ws.engine.sync_once().anonymous_sent == 1
    assert syncio.count(ws.store, syncio.ANONYMOUS) == 0
