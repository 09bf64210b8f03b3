"""Server hardening: token expiry and revocation, login rate limits, security headers, no
stack traces, JSON depth, and forged events (issue 7)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from forms import events as ev
from forms.errors import SafeCardError
from forms.store.repo import Store
from sync import protocol as p
from sync.client import SyncClient
from sync.server import auth, security
from sync.server.app import create_app
from sync.server.models import TokenRow
from tests.forms.conftest import HAZARD
from tests.sync.conftest import PASSWORD, SERVER, SyncASGITransport, Workstation
from tests.sync.helpers import one

V = {p.PROTOCOL_HEADER: str(p.PROTOCOL_VERSION)}


@pytest.fixture
def http(transport: SyncASGITransport) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=SERVER, transport=transport, headers=V) as client:
        yield client


def _login(http: httpx.Client, user: str, password: str = PASSWORD,
           device: str | None = None) -> httpx.Response:
    return http.post(f"{p.API}/auth/login", json={"user": user, "password": password,
                                                  "device_id": device or f"dev-{user}"})


def _token(http: httpx.Client, user: str, device: str | None = None) -> dict[str, str]:
    answer = _login(http, user, device=device)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


# ---- tokens -------------------------------------------------------------------------------

def test_an_expired_token_is_refused_with_its_own_reason(
        http: httpx.Client, server_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    bearer = _token(http, "ivanov")
    assert http.get(f"{p.API}/config", headers=bearer).status_code == 200
    with server_store.writing.begin() as s:  # signed in 31 days ago
        s.execute(update(TokenRow).values(
            created_at=datetime.now(UTC) - timedelta(days=31)))
    answer = http.get(f"{p.API}/config", headers=bearer)
    assert answer.status_code == 401 and answer.json()["error"] == "token_expired"
    monkeypatch.setenv("SAFECARD_TOKEN_DAYS", "60")  # the lifetime is configurable
    assert http.get(f"{p.API}/config", headers=bearer).status_code == 200


def test_the_client_reads_an_expired_token_as_signed_out(
        signed_in: Callable[..., SyncClient], server_store: Store) -> None:
    client = signed_in("ivanov")
    with server_store.writing.begin() as s:
        s.execute(update(TokenRow).values(
            created_at=datetime.now(UTC) - timedelta(days=31)))
    with pytest.raises(SafeCardError) as caught:
        client.pull(None)
    assert caught.value.key == "sync_signed_out"
    assert caught.value.exit_code != 0


def test_a_revoked_device_and_a_disabled_user_are_refused_at_once(
        http: httpx.Client, server_store: Store) -> None:
    device = _token(http, "ivanov", "dev-a")
    user = _token(http, "smirnova")
    auth.revoke_device(server_store, "dev-a")
    auth.disable_user(server_store, "smirnova")
    assert http.get(f"{p.API}/config", headers=device).json()["error"] == "bad_token"
    assert http.get(f"{p.API}/config", headers=user).status_code == 401
    assert _login(http, "ivanov", device="dev-a").status_code == 403


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer " + "x" * 5000, "Basic abc",
                                    "Bearer \u0000"])
def test_malformed_tokens_are_401(http: httpx.Client, header: str) -> None:
    try:
        answer = http.get(f"{p.API}/config", headers={"Authorization": header})
    except (httpx.LocalProtocolError, UnicodeEncodeError):
        return  # httpx itself will not send it
    assert answer.status_code == 401


# ---- login rate limits ----------------------------------------------------------------------

class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limited(server_store: Store, clock: FakeClock) -> Iterator[httpx.Client]:
    limiter = security.LoginLimiter(per_user=3, user_every=10, overall=6,
                                    overall_per_second=0.5, clock=clock)
    app = create_app(server_store.url, store=server_store, login_limiter=limiter)
    with httpx.Client(base_url=SERVER, transport=SyncASGITransport(app), headers=V) as client:
        yield client


def test_login_attempts_per_user_name_are_limited(limited: httpx.Client,
                                                  clock: FakeClock) -> None:
    for _ in range(3):
        assert _login(limited, "ivanov", "wrong password").status_code == 401
    refused = _login(limited, "ivanov")  # even the right password waits its turn
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert _login(limited, "smirnova").status_code == 200  # another name is not blocked
    clock.t += 10
    assert _login(limited, "ivanov").status_code == 200


def test_a_successful_login_does_not_refill_anyones_bucket(limited: httpx.Client,
                                                            clock: FakeClock) -> None:
    for _ in range(2):
        assert _login(limited, "ivanov", "wrong password").status_code == 401
    assert _login(limited, "ivanov").status_code == 200
    assert _login(limited, "ivanov", "wrong password").status_code == 429
    assert _login(limited, "ivanov").status_code == 429


def test_login_attempts_overall_are_limited(limited: httpx.Client, clock: FakeClock) -> None:
    names = ["a1", "a2", "a3", "a4", "a5", "a6"]
    assert [_login(limited, n).status_code for n in names] == [401] * 6
    answer = _login(limited, "ivanov")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"
    clock.t += 2
    assert _login(limited, "ivanov").status_code == 200


def test_the_limiter_forgets_the_oldest_names() -> None:
    limiter = security.LoginLimiter(max_names=3, overall=1000)
    for i in range(10):
        limiter.check(f"name{i}")
    assert list(limiter.users) == ["name7", "name8", "name9"]


# ---- headers, errors, JSON limits ---------------------------------------------------------

def _assert_secure(answer: httpx.Response) -> None:
    h = answer.headers
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in h["content-security-policy"]


def test_security_headers_on_every_answer(http: httpx.Client) -> None:
    bearer = _token(http, "ivanov")
    answers = [http.get(f"{p.API}/health"), http.get(f"{p.API}/config", headers=bearer),
               http.get(f"{p.API}/config"), http.get("/nowhere"),
               http.post(f"{p.API}/sync/push", content=b"x" * (p.SERVER_MAX_BODY + 1),
                         headers=bearer),
               http.get("/openapi.json"), http.get("/docs")]
    assert [a.status_code for a in answers] == [200, 200, 401, 404, 413, 200, 200]
    for answer in answers:
        _assert_secure(answer)
    for answer in answers[:-1]:
        assert answer.headers["content-security-policy"] == "default-src 'none'; " \
                                                            "frame-ancestors 'none'"
        assert answer.headers["cache-control"] == "no-store"


def test_an_unexpected_error_is_500_internal_without_a_trace(
        server_store: Store, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    app: FastAPI = create_app(server_store.url, store=server_store)

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("secret internals at /srv/safecard")

    monkeypatch.setattr("sync.server.storage.pull", broken)
    with httpx.Client(base_url=SERVER, transport=SyncASGITransport(app), headers=V) as client, \
            caplog.at_level(logging.ERROR, logger="safecard.server"):
        answer = client.get(f"{p.API}/sync/pull", headers=_token(client, "ivanov"))
    assert answer.status_code == 500 and answer.json()["error"] == "internal"
    assert answer.json()["detail"] is None
    assert "secret" not in answer.text and "Traceback" not in answer.text
    _assert_secure(answer)
    logged = caplog.text
    assert "secret internals" in logged and "Traceback" in logged
    assert "127.0.0.1" not in logged and "testclient" not in logged


def _nested(depth: int) -> bytes:
    return b'{"protocol": 1, "events": [' + b"[" * (depth - 2) + b"]" * (depth - 2) + b"]}"


def test_json_nested_too_deep_is_refused_before_parsing(
        http: httpx.Client, server_store: Store) -> None:
    bearer = {**_token(http, "ivanov"), "Content-Type": "application/json"}
    before = server_store.count_events()
    deep = http.post(f"{p.API}/sync/push", content=_nested(40), headers=bearer)
    assert deep.status_code == 400 and deep.json()["error"] == "too_deep"
    _assert_secure(deep)
    shallow = http.post(f"{p.API}/sync/push", content=_nested(10), headers=bearer)
    assert shallow.status_code == 400 and shallow.json()["error"] == "bad_request"
    assert server_store.count_events() == before


def test_the_depth_scan_skips_brackets_inside_strings() -> None:
    assert not security.too_deep(b'{"a": "' + b"[" * 100 + b'\\"[[[["}', limit=2)
    assert security.too_deep(b"[" * 3, limit=2)
    assert not security.too_deep(b"[[]]", limit=2)
    assert security.too_deep(b'["\\\\", [[[', limit=3)


# ---- forged events ------------------------------------------------------------------------

@pytest.fixture
def filed(workstation: Callable[[str], Workstation]) -> Workstation:
    ws = workstation("ivanov")
    ws.card_id = ws.service.file(HAZARD).card_id  # type: ignore[attr-defined]
    ws.engine.sync_once()
    return ws


_COMMENT = {"comment_id": "c", "text": "x", "question": False}


@pytest.mark.parametrize(("user", "actor", "device", "type_", "reason"), [
    ("smirnova", "ivanov", "dev-smirnova", ev.COMMENT_ADDED, "actor_mismatch"),  # spoofed
    ("smirnova", "smirnova", "dev-ivanov-0", ev.COMMENT_ADDED, "device_mismatch"),
    ("smirnova", "smirnova", "dev-smirnova", ev.COMMENT_ADDED, "forbidden"),  # not hers
    ("sokolova", "sokolova", "dev-sokolova", ev.STATE_CHANGED, "forbidden"),  # other unit
    ("sokolova", "petrov", "dev-sokolova", ev.STATE_CHANGED, "actor_mismatch"),
])
def test_forged_events_are_rejected_and_nothing_is_stored(
        filed: Workstation, signed_in: Callable[..., SyncClient], server_store: Store,
        user: str, actor: str, device: str, type_: str, reason: str) -> None:
    client = signed_in(user)
    payload = _COMMENT if type_ == ev.COMMENT_ADDED else {"to": "closed", "note": "x"}
    before = server_store.count_events()
    card_before = server_store.card(filed.card_id)  # type: ignore[attr-defined]
    event = one(type_, payload, filed.card_id, actor, device)
    result = client.push([event]).results[0]
    assert (result.status, result.reason) == ("rejected", reason)
    assert server_store.count_events() == before
    assert server_store.card(filed.card_id) == card_before  # type: ignore[attr-defined]
