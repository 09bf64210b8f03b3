"""Attachments are content-addressed blobs: uploaded before their events, stored once,
never half-stored, fetched by the other desktops (DESIGN.md §7, docs/protocol.md)."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from forms import events as ev
from forms.store import syncio
from forms.store.repo import Store
from sync import protocol as p
from sync.blobs import MAX_BLOB_BYTES
from sync.client import SyncClient
from sync.engine import MISSING_BLOBS_KEY, SyncEngine
from sync.errors import SyncUnreachable
from sync.server.models import BlobRow
from tests.forms.conftest import HAZARD, IDEA
from tests.sync.conftest import SERVER, SyncASGITransport, Workstation
from tests.sync.helpers import one

BLOBS = f"{p.API}/blobs/"


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "spill.png"
    Image.effect_noise((96, 64), 60).convert("RGB").save(path)
    return path


def _blob_count(store: Store) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(BlobRow)) or 0)


def _server_events(store: Store) -> list[ev.Event]:
    return [e for _, e in store.events()]


class Interceptor(httpx.BaseTransport):
    """Passes requests to the app; `fault` may answer or raise instead."""

    def __init__(self, inner: SyncASGITransport,
                 fault: Callable[[httpx.Request], httpx.Response | None]) -> None:
        self.inner = inner
        self.fault = fault
        self.requests: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        answer = self.fault(request)
        return answer if answer is not None else self.inner.handle_request(request)


def _engine(ws: Workstation, transport: httpx.BaseTransport) -> SyncEngine:
    client = SyncClient(SERVER, token=ws.engine.client.token, transport=transport)
    return SyncEngine(ws.store, client, config_dir=ws.home / "config")


def _puts(spy: Interceptor) -> int:
    return sum(1 for m, path in spy.requests if m == "PUT" and path.startswith(BLOBS))


def test_a_photo_goes_up_before_its_card_and_arrives_on_another_desktop(
        workstation: Callable[[str], Workstation], server_store: Store, photo: Path) -> None:
    ivanov, smirnova = workstation("ivanov"), workstation("smirnova")
    filed = ivanov.service.file(HAZARD | {"photos": [str(photo)]})
    sha = ivanov.store.card(filed.card_id).fields["photos"][0]
    report = ivanov.engine.sync_once()
    assert report.blobs_sent == 1 and report.rejected == 0
    assert _blob_count(server_store) == 1

    pulled = smirnova.engine.sync_once()
    assert (pulled.blobs_fetched, pulled.blobs_missing) == (1, 0)
    arrived = smirnova.home / "blobs" / f"{sha}.jpg"
    assert arrived.read_bytes() == (ivanov.home / "blobs" / f"{sha}.jpg").read_bytes()
    assert smirnova.store.get_meta(MISSING_BLOBS_KEY) == "[]"
    # Nothing more to do on the next round, on either side.
    assert ivanov.engine.sync_once().blobs_sent == 0
    assert smirnova.engine.sync_once().blobs_fetched == 0


def test_the_same_photo_attached_twice_is_stored_once(
        workstation: Callable[[str], Workstation], transport: SyncASGITransport,
        server_store: Store, photo: Path) -> None:
    ivanov, smirnova = workstation("ivanov"), workstation("smirnova")
    first = ivanov.service.file(HAZARD | {"photos": [str(photo)]})
    ivanov.service.file(HAZARD | {"photos": [str(photo), str(photo)]})
    smirnova.service.file(HAZARD | {"photos": [str(photo)]})
    spy = Interceptor(transport, lambda _r: None)
    assert _engine(ivanov, spy).sync_once().accepted > 0
    other = Interceptor(transport, lambda _r: None)
    assert _engine(smirnova, other).sync_once().blobs_sent == 0  # HEAD: already there
    assert (_puts(spy), _puts(other)) == (1, 0)
    assert _blob_count(server_store) == 1

    sha = ivanov.store.card(first.card_id).fields["photos"][0]
    data = (ivanov.home / "blobs" / f"{sha}.jpg").read_bytes()
    assert ivanov.engine.client.put_blob(sha, data) is False  # a second PUT: "already have"
    assert _blob_count(server_store) == 1


def test_an_upload_cut_midway_stores_nothing_and_the_next_sync_completes_it(
        workstation: Callable[[str], Workstation], transport: SyncASGITransport,
        server_store: Store, photo: Path) -> None:
    ws = workstation("ivanov")
    ws.service.file(HAZARD | {"photos": [str(photo)]})
    waiting = syncio.count(ws.store)
    cut: list[int] = []

    def cut_first_upload(request: httpx.Request) -> httpx.Response | None:
        if request.method != "PUT" or cut:
            return None
        body = request.read()
        half = httpx.Request("PUT", request.url, headers=request.headers,
                             content=body[: len(body) // 2])  # the server gets half…
        cut.append(transport.handle_request(half).status_code)
        raise httpx.WriteError("connection reset")  # …and the client a broken connection

    with pytest.raises(SyncUnreachable):
        _engine(ws, Interceptor(transport, cut_first_upload)).sync_once()
    assert cut == [400]  # the half body does not hash to its name: refused, not stored
    assert _blob_count(server_store) == 0
    assert _server_events(server_store) == []  # the card was not sent before its photo
    assert syncio.count(ws.store) == waiting

    spy = Interceptor(transport, lambda _r: None)
    report = _engine(ws, spy).sync_once()
    assert (report.blobs_sent, report.accepted, report.rejected) == (1, waiting, 0)
    assert [m for m, path in spy.requests if path.startswith(BLOBS)] == ["HEAD", "PUT"]
    assert _blob_count(server_store) == 1 and syncio.count(ws.store) == 0


def test_an_event_naming_a_missing_blob_is_rejected_alone(
        workstation: Callable[[str], Workstation], server_store: Store, photo: Path) -> None:
    ws = workstation("ivanov")
    with_photo = ws.service.file(HAZARD | {"photos": [str(photo)]}).card_id
    plain = ws.service.file(IDEA).card_id
    batch = syncio.pending(ws.store, 100)  # pushed without uploading the photo first
    answer = ws.engine.client.push(batch)
    by_id = {r.id: r for r in answer.results}
    filed = next(e for e in batch if e.card_id == with_photo and e.type == ev.CARD_FILED)
    assert (by_id[filed.id].status, by_id[filed.id].reason) == ("rejected", "missing_blob")
    assert all(by_id[e.id].status == "accepted" for e in batch if e.card_id == plain)
    assert {e.card_id for e in _server_events(server_store)} == {plain}

    unknown = hashlib.sha256(b"never uploaded").hexdigest()
    attach = one(ev.ATTACHMENT_ADDED, {"sha256": unknown}, plain, "ivanov",
                 ws.service.device_id)
    comment = one(ev.COMMENT_ADDED, {"comment_id": "c1", "text": "видно", "question": False},
                  plain, "ivanov", ws.service.device_id)
    results = ws.engine.client.push([attach, comment]).results
    assert [(r.status, r.reason) for r in results] == [("rejected", "missing_blob"),
                                                       ("accepted", None)]


def test_a_photo_missing_on_the_workstation_sets_its_card_aside(
        workstation: Callable[[str], Workstation], server_store: Store, photo: Path) -> None:
    ws = workstation("ivanov")
    card_id = ws.service.file(HAZARD | {"photos": [str(photo)]}).card_id
    ws.service.file(IDEA)
    for f in (ws.home / "blobs").iterdir():
        f.write_bytes(b"\xff\xd8\xff damaged")  # the file no longer hashes to its name
    report = ws.engine.sync_once()
    assert report.blobs_sent == 0 and report.rejected >= 1
    reasons = json.loads(ws.store.get_meta("sync_rejected") or "{}")
    assert "missing_blob" in reasons.values()
    assert card_id not in {e.card_id for e in _server_events(server_store)}
    assert syncio.count(ws.store) == 0 and _blob_count(server_store) == 0


def test_anonymous_photos_never_go_through_the_signed_in_channel(
        workstation: Callable[[str], Workstation], transport: SyncASGITransport,
        server_store: Store, photo: Path) -> None:
    ws = workstation("ivanov")
    ws.service.file(HAZARD | {"photos": [str(photo)]}, anonymous=True)
    spy = Interceptor(transport, lambda _r: None)
    _engine(ws, spy).sync_once()
    assert not [path for _m, path in spy.requests if path.startswith(BLOBS)]
    assert _blob_count(server_store) == 0


def test_a_failed_download_does_not_block_the_pull_and_is_retried(
        workstation: Callable[[str], Workstation], transport: SyncASGITransport,
        photo: Path) -> None:
    ivanov, smirnova = workstation("ivanov"), workstation("smirnova")
    ivanov.service.file(HAZARD | {"photos": [str(photo)]})
    ivanov.engine.sync_once()

    def no_downloads(request: httpx.Request) -> httpx.Response | None:
        if request.method == "GET" and request.url.path.startswith(BLOBS):
            raise httpx.ConnectError("network down")
        return None

    report = _engine(smirnova, Interceptor(transport, no_downloads)).sync_once()
    assert report.pulled > 0 and report.blobs_missing == 1
    assert len(json.loads(smirnova.store.get_meta(MISSING_BLOBS_KEY) or "[]")) == 1
    assert not (smirnova.home / "blobs").exists()
    again = smirnova.engine.sync_once()
    assert (again.pulled, again.blobs_fetched, again.blobs_missing) == (0, 1, 0)
    assert len(list((smirnova.home / "blobs").iterdir())) == 1


# ---- the endpoints ------------------------------------------------------------------------

def _jpeg(payload: bytes = b"") -> bytes:
    """A real (tiny) JPEG without metadata, its pixels distinct per payload: the server
    decodes what it accepts."""
    out = io.BytesIO()
    image = Image.frombytes("RGB", (8, 8), hashlib.sha256(payload).digest() * 6)
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def _padded(size: int) -> bytes:
    """A JPEG with zero bytes after its end marker up to `size`."""
    data = _jpeg(b"padded")
    return data + bytes(size - len(data))


def _http(transport: SyncASGITransport, token: str | None) -> httpx.Client:
    headers = {p.PROTOCOL_HEADER: str(p.PROTOCOL_VERSION)}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=SERVER, transport=transport, headers=headers)


def test_put_head_get(signed_in: Callable[..., SyncClient], transport: SyncASGITransport,
                      server_store: Store) -> None:
    data = _jpeg(b"pixels")
    sha = hashlib.sha256(data).hexdigest()
    with _http(transport, signed_in("ivanov").token) as http:
        assert http.head(BLOBS + sha).status_code == 404
        missing = http.get(BLOBS + sha)
        assert (missing.status_code, missing.json()["error"]) == (404, "no_blob")
        stored = http.put(BLOBS + sha, content=data)
        assert stored.status_code == 201
        assert p.BlobResponse.model_validate_json(stored.content).created is True
        again = http.put(BLOBS + sha, content=data)
        assert again.status_code == 200 and again.json()["created"] is False
        assert http.head(BLOBS + sha).status_code == 200
        got = http.get(BLOBS + sha)
        assert (got.status_code, got.content) == (200, data)
        assert got.headers["content-type"] == "image/jpeg"
    reader = signed_in("auditor")  # every signed-in user may read, as with the log
    assert reader.get_blob(sha) == data
    assert reader.get_blob(hashlib.sha256(b"other").hexdigest()) is None
    assert _blob_count(server_store) == 1


@pytest.mark.parametrize(("body", "name", "status", "error"), [
    (_jpeg(b"a"), hashlib.sha256(_jpeg(b"b")).hexdigest(), 400, "hash_mismatch"),
    (b"GIF89a not ours", hashlib.sha256(b"GIF89a not ours").hexdigest(), 415, "not_an_image"),
    (_jpeg(), "not-a-hash", 400, "bad_request"),
    (_jpeg(), hashlib.sha256(_jpeg()).hexdigest().upper(), 400, "bad_request"),
])
def test_a_wrong_upload_is_refused_and_nothing_is_stored(
        signed_in: Callable[..., SyncClient], transport: SyncASGITransport,
        server_store: Store, body: bytes, name: str, status: int, error: str) -> None:
    with _http(transport, signed_in("ivanov").token) as http:
        answer = http.put(BLOBS + name, content=body)
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    assert _blob_count(server_store) == 0


def test_an_oversized_blob_is_refused_with_413(
        signed_in: Callable[..., SyncClient], transport: SyncASGITransport,
        server_store: Store) -> None:
    data = _padded(MAX_BLOB_BYTES + 1)  # a byte over the limit
    sha = hashlib.sha256(data).hexdigest()
    with _http(transport, signed_in("ivanov").token) as http:
        answer = http.put(BLOBS + sha, content=data)
        assert (answer.status_code, answer.json()["error"]) == (413, "too_large")
        # Exactly the limit (more than a push may be) is read, and judged as a photo: bytes
        # after the end marker could carry anything, so it is refused for them.
        fits = _padded(MAX_BLOB_BYTES)
        judged = http.put(BLOBS + hashlib.sha256(fits).hexdigest(), content=fits)
        assert (judged.status_code, judged.json()["error"]) == (415, "photo_metadata")
    assert _blob_count(server_store) == 0


def test_blobs_need_a_signed_in_writer(signed_in: Callable[..., SyncClient],
                                       transport: SyncASGITransport,
                                       server_store: Store) -> None:
    data = _jpeg()
    sha = hashlib.sha256(data).hexdigest()
    with _http(transport, None) as anonymous:
        assert anonymous.put(BLOBS + sha, content=data).status_code == 401
        assert anonymous.head(BLOBS + sha).status_code == 401
        assert anonymous.get(BLOBS + sha).status_code == 401
    with _http(transport, signed_in("auditor").token) as auditor:
        refused = auditor.put(BLOBS + sha, content=data)
        assert (refused.status_code, refused.json()["error"]) == (403, "read_only")
    assert _blob_count(server_store) == 0


def test_a_pull_cut_after_a_page_still_fetches_that_pages_photos(
        workstation: Callable[[str], Workstation], transport: SyncASGITransport,
        photo: Path) -> None:
    ivanov, smirnova = workstation("ivanov"), workstation("smirnova")
    ivanov.service.file(HAZARD | {"photos": [str(photo)]})
    ivanov.engine.sync_once()

    def second_page_lost(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/sync/pull") and "cursor" in request.url.params:
            raise httpx.ReadError("connection reset")
        return None

    cut = _engine(smirnova, Interceptor(transport, second_page_lost))
    cut.pull_limit = 1  # the card.filed comes alone on the first page
    with pytest.raises(SyncUnreachable):
        cut.sync_once()
    assert len(json.loads(smirnova.store.get_meta(MISSING_BLOBS_KEY) or "[]")) == 1
    report = smirnova.engine.sync_once()
    assert (report.blobs_fetched, report.blobs_missing) == (1, 0)
