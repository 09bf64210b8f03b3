"""The corpus against the HTTP API, in process: push, the anonymous drop box, login and
receipt status. Every case gets a 4xx with a JSON error body, never a 5xx, and the server's
database does not change. (Rate limits are lifted here: they are tested in tests/sync.)"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from forms.config import Config
from forms.service import CardService
from forms.store import syncio
from forms.store.repo import Store
from sync import protocol as p
from sync.server.anonymous import TokenBucket
from sync.server.security import LoginLimiter
from tests.corpus import inputs
from tests.sync.conftest import PASSWORD, SERVER, SyncASGITransport

V = {p.PROTOCOL_HEADER: str(p.PROTOCOL_VERSION)}
JSON = {"Content-Type": "application/json"}
ANON = f"{p.API}/anonymous"
BAD = inputs.bad_cards()


@pytest.fixture
def http(app: FastAPI, transport: SyncASGITransport) -> Iterator[httpx.Client]:
    app.state.anonymous_drop_limit = TokenBucket(capacity=10**6, rate=10**6)
    app.state.anonymous_status_limit = TokenBucket(capacity=10**6, rate=10**6)
    app.state.login_limiter = LoginLimiter(per_user=10**6, user_every=1e-6, overall=10**6,
                                           overall_per_second=1e6)
    with httpx.Client(base_url=SERVER, transport=transport, headers=V) as client:
        yield client


@pytest.fixture
def bearer(http: httpx.Client) -> dict[str, str]:
    answer = http.post(f"{p.API}/auth/login", json={"user": "ivanov", "password": PASSWORD,
                                                    "device_id": "dev-corpus"})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture
def template(tmp_path: Path, config: Config) -> list[dict[str, Any]]:
    """A real anonymous card's wire events, made by a real workstation service."""
    store = Store(f"sqlite:///{tmp_path}/ws.db", config)
    service = CardService(store, config, user="ivanov", device_id="dev-ws",
                          blobs=tmp_path / "blobs")
    service.file(dict(inputs.HAZARD), anonymous=True)
    events = syncio.pending(store, 10, syncio.ANONYMOUS)
    store.close()
    return [p.WireEvent.of(e).model_dump(mode="json") for e in events]


def _fingerprint(store: Store) -> str:
    """Every row of every table (the audit log and tokens included)."""
    digest = hashlib.sha256()
    with store.engine.connect() as conn:
        for name in sorted(sa.inspect(conn).get_table_names()):
            rows = sorted(repr(tuple(r)) for r in conn.execute(sa.text(f'SELECT * FROM "{name}"')))
            digest.update(name.encode() + repr(rows).encode())
    return digest.hexdigest()


def _refused(answer: httpx.Response, case: str) -> None:
    assert 400 <= answer.status_code < 500, (case, answer.status_code, answer.text[:300])
    body = answer.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str), (case, body)
    assert "Traceback" not in answer.text and 'File "' not in answer.text


def _as_object(raw: bytes) -> dict[str, Any] | None:
    """The case as a card object, when it is one (then it goes inside an event's payload)."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _with_fields(template: list[dict[str, Any]], card: dict[str, Any]) -> list[dict[str, Any]]:
    events = json.loads(json.dumps(template))
    fields = {k: v for k, v in card.items() if k != "kind"}
    events[0]["payload"] = {**events[0]["payload"], "fields": fields,
                            "kind": card.get("kind", "hazard")}
    return events


def test_raw_bad_bodies_are_refused_everywhere(http: httpx.Client, bearer: dict[str, str],
                                               server_store: Store) -> None:
    before = _fingerprint(server_store)
    routes = [f"{p.API}/auth/login", f"{ANON}/cards", f"{ANON}/status", f"{ANON}/answer",
              f"{p.API}/sync/push"]
    for case, raw in BAD.items():
        for route in routes:
            _refused(http.post(route, content=raw, headers=JSON | bearer), f"{route} {case}")
    assert _fingerprint(server_store) == before


def _object_cases() -> dict[str, dict[str, Any]]:
    return {case: card for case, raw in BAD.items() if (card := _as_object(raw)) is not None}


def test_bad_cards_never_cause_a_server_error(http: httpx.Client, bearer: dict[str, str],
                                              template: list[dict[str, Any]]) -> None:
    """Every bad card inside a well-formed drop or push: a 4xx, a per-event rejection or (see
    the xfail below) an acceptance, but never a 5xx or a body that is not JSON."""
    for case, card in _object_cases().items():
        events = _with_fields(template, card)
        body = json.dumps({"protocol": p.PROTOCOL_VERSION, "events": events})
        answer = http.post(f"{ANON}/cards", content=body, headers=JSON)
        assert answer.status_code < 500 and isinstance(answer.json(), dict), (case, answer.text)
        for e in events:
            e["actor"], e["device_id"] = "ivanov", "dev-corpus"
        events[0]["payload"]["anonymous"] = False
        body = json.dumps({"protocol": p.PROTOCOL_VERSION, "events": events})
        answer = http.post(f"{p.API}/sync/push", content=body, headers=JSON | bearer)
        assert answer.status_code < 500 and isinstance(answer.json(), dict), (case, answer.text)


def test_bad_card_fields_in_the_drop_box_are_refused(http: httpx.Client, server_store: Store,
                                                     template: list[dict[str, Any]]) -> None:
    before = _fingerprint(server_store)
    for case, card in _object_cases().items():
        body = json.dumps({"protocol": p.PROTOCOL_VERSION,
                           "events": _with_fields(template, card)})
        _refused(http.post(f"{ANON}/cards", content=body, headers=JSON), case)
    assert _fingerprint(server_store) == before


def test_hostile_strings_in_login_and_receipts(http: httpx.Client,
                                               server_store: Store) -> None:
    before = _fingerprint(server_store)
    strings = (inputs.HARMLESS_TEXT + inputs.CONTROL_CHARS
               + ["x" * inputs.MEGABYTE, "a\x00b", "\ud800", "", " " * 70])
    for s in strings:
        for field in ("user", "password", "device_id"):
            body = {"user": "ivanov", "password": PASSWORD, "device_id": "dev-x"} | {field: s}
            answer = http.post(f"{p.API}/auth/login", content=json.dumps(body), headers=JSON)
            if field == "device_id" and answer.status_code == 200:
                continue  # a valid device name; tokens are checked below
            _refused(answer, f"login {field}={s[:20]!r}")
        for route in (f"{ANON}/status", f"{ANON}/answer"):
            body = {"receipt": s, "text": s or "x"}
            answer = http.post(route, content=json.dumps(body), headers=JSON)
            _refused(answer, f"{route} {s[:20]!r}")
        for token in (s, f"Bearer {s}"):
            try:
                answer = http.get(f"{p.API}/config", headers={"Authorization": token})
            except (httpx.LocalProtocolError, UnicodeEncodeError):
                continue  # not even sendable as a header
            _refused(answer, f"token {s[:20]!r}")
    after = _fingerprint(server_store)
    if after != before:  # only a successful sign-in (a hostile but valid device name) writes
        with server_store.engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
        assert names  # tables all still there
        assert "events" in names


def test_sql_and_path_text_in_the_drop_box_is_stored_verbatim(
        http: httpx.Client, server_store: Store, template: list[dict[str, Any]]) -> None:
    for text in inputs.HARMLESS_TEXT:
        events = _with_fields(template, inputs.harmless_cards()[text])
        for e in events:  # a fresh card id each time
            e["card_id"] = e["card_id"][:-6] + hashlib.sha256(text.encode()).hexdigest()[:6]
        events[0]["id"] = events[0]["id"][:-6] + hashlib.sha256(text.encode()).hexdigest()[:6]
        body = json.dumps({"protocol": p.PROTOCOL_VERSION, "events": events[:1]})
        answer = http.post(f"{ANON}/cards", content=body, headers=JSON)
        assert answer.status_code == 200, (text, answer.text)
    with server_store.engine.connect() as conn:
        payloads = [json.loads(r[0]) if isinstance(r[0], str) else r[0]
                    for r in conn.execute(sa.text("SELECT payload FROM events"))]
    titles = {pl["fields"]["title"] for pl in payloads if "fields" in pl}
    assert set(inputs.HARMLESS_TEXT) <= titles


def test_hostile_images_are_refused_in_the_drop_box_and_as_blobs(
        http: httpx.Client, bearer: dict[str, str], server_store: Store,
        template: list[dict[str, Any]]) -> None:
    before = _fingerprint(server_store)
    for name, data in inputs.bad_images().items():
        sha = hashlib.sha256(data).hexdigest()
        events = _with_fields(template, inputs.HAZARD | {"photos": [sha]})
        body = json.dumps({"protocol": p.PROTOCOL_VERSION, "events": events,
                           "photos": {sha: base64.b64encode(data).decode()}})
        _refused(http.post(f"{ANON}/cards", content=body, headers=JSON), name)
        answer = http.put(f"{p.API}/blobs/{sha}", content=data,
                          headers=bearer | {"Content-Type": "application/octet-stream"})
        _refused(answer, f"blob {name}")
    for hostile in ["../../etc/passwd", "..%2f..%2fetc%2fpasswd", "' OR 1=1 --", "a" * 64]:
        answer = http.put(f"{p.API}/blobs/{hostile}", content=b"x", headers=bearer)
        assert 400 <= answer.status_code < 500 and answer.status_code != 201, hostile
    assert _fingerprint(server_store) == before
