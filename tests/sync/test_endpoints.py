"""Every endpoint, as the server answers it: health, login, push, pull, config, OpenAPI,
and whole-request refusals (401, 403, 411, 413, 426, 400)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from forms.config import load_raw
from forms.errors import Conflict
from forms.i18n import error_text
from forms.store.repo import Store
from sync import protocol as p
from sync.client import SyncClient
from sync.errors import ProtocolMismatch, SignedOut, SyncForbidden, TooLarge
from sync.server import auth
from sync.server.app import create_app
from sync.server.db import open_server_store, save_config
from tests.sync.conftest import PASSWORD, SERVER, SyncASGITransport


@pytest.fixture
def raw(transport: SyncASGITransport) -> httpx.Client:
    """A plain HTTP client on the app, for requests our own client would never send."""
    client = httpx.Client(base_url=SERVER, transport=transport,
                          headers={p.PROTOCOL_HEADER: str(p.PROTOCOL_VERSION)})
    yield client  # type: ignore[misc]
    client.close()


def test_health_needs_no_sign_in(transport: SyncASGITransport) -> None:
    health = SyncClient(SERVER, transport=transport).health()
    assert health.status == "ok" and health.database in ("sqlite", "postgresql")


def test_login_gives_a_token_bound_to_the_device(transport: SyncASGITransport) -> None:
    client = SyncClient(SERVER, transport=transport)
    answer = client.login("petrov", PASSWORD, "dev-1")
    assert answer.role == "supervisor" and answer.device_id == "dev-1" and len(answer.token) > 30
    assert client.pull(None).events == []


@pytest.mark.parametrize(("user", "password"), [("petrov", "wrong password"),
                                                ("nobody", PASSWORD)])
def test_wrong_name_or_password_is_401(transport: SyncASGITransport, user: str,
                                       password: str) -> None:
    with pytest.raises(SignedOut) as caught:
        SyncClient(SERVER, transport=transport).login(user, password, "dev-1")
    assert caught.value.key == "sync_bad_credentials"
    assert "неверное имя пользователя или пароль" in error_text(caught.value, "ru")


def test_no_token_or_a_made_up_one_is_401(raw: httpx.Client) -> None:
    assert raw.get("/api/v1/sync/pull").status_code == 401
    answer = raw.get("/api/v1/sync/pull", headers={"Authorization": "Bearer made-up"})
    assert answer.status_code == 401 and answer.json()["error"] == "bad_token"


def test_a_disabled_user_is_signed_out(signed_in: Callable[..., SyncClient],
                                       server_store: Store, transport: SyncASGITransport,
                                       ) -> None:
    client = signed_in("ivanov")
    auth.disable_user(server_store, "ivanov")
    with pytest.raises(SignedOut):
        client.pull(None)
    with pytest.raises(SignedOut):
        SyncClient(SERVER, transport=transport).login("ivanov", PASSWORD, "dev-ivanov")


def test_a_revoked_device_is_signed_out_and_cannot_sign_in_again(
        signed_in: Callable[..., SyncClient], server_store: Store,
        transport: SyncASGITransport) -> None:
    client = signed_in("ivanov", "stolen-laptop")
    auth.revoke_device(server_store, "stolen-laptop")
    with pytest.raises(SignedOut):
        client.push([])
    with pytest.raises(SyncForbidden):
        SyncClient(SERVER, transport=transport).login("ivanov", PASSWORD, "stolen-laptop")


def test_a_role_change_applies_to_existing_tokens(signed_in: Callable[..., SyncClient],
                                                  server_store: Store) -> None:
    client = signed_in("ivanov")
    auth.set_role(server_store, "ivanov", "auditor")
    with pytest.raises(SyncForbidden):
        client.push([])


@pytest.mark.parametrize("header", [None, "0", "2", "x"])
def test_another_protocol_version_is_426(raw: httpx.Client, header: str | None) -> None:
    headers = {p.PROTOCOL_HEADER: header} if header is not None else {}
    client = httpx.Client(base_url=SERVER, transport=raw._transport, headers=headers)
    answer = client.post("/api/v1/auth/login", json={"user": "petrov", "password": PASSWORD,
                                                     "device_id": "d"})
    assert answer.status_code == 426
    assert answer.json()["error"] == "protocol_mismatch"


def test_a_body_of_another_protocol_version_is_426(raw: httpx.Client) -> None:
    answer = raw.post("/api/v1/auth/login", json={"protocol": 2, "user": "petrov",
                                                  "password": PASSWORD, "device_id": "d"})
    assert answer.status_code == 426


def test_the_client_reports_a_version_mismatch(transport: SyncASGITransport,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    client = SyncClient(SERVER, transport=transport)
    client._http.headers[p.PROTOCOL_HEADER] = "99"
    with pytest.raises(ProtocolMismatch) as caught:
        client.login("petrov", PASSWORD, "d")
    assert isinstance(caught.value, Conflict) and caught.value.key == "sync_protocol_mismatch"


def test_malformed_requests_are_400_with_a_reason(signed_in: Callable[..., SyncClient],
                                                  raw: httpx.Client) -> None:
    token = signed_in("petrov").token
    headers = {"Authorization": f"Bearer {token}"}
    for params in ({"limit": 0}, {"limit": p.PULL_MAX + 1}, {"cursor": "!!"}):
        answer = raw.get("/api/v1/sync/pull", params=params, headers=headers)
        assert answer.status_code == 400, params
        assert p.ErrorResponse.model_validate(answer.json()).error
    answer = raw.post("/api/v1/sync/push", headers=headers,
                      json={"events": [{"id": "x", "unknown_field": 1}]})
    assert answer.status_code == 400 and answer.json()["error"] == "bad_request"


def test_an_oversized_or_unsized_request_is_refused_before_reading(
        server_store: Store, signed_in: Callable[..., SyncClient]) -> None:
    small = SyncASGITransport(create_app(server_store.url, store=server_store, max_body=2048))
    client = SyncClient(SERVER, transport=small)
    client.login("petrov", PASSWORD, "dev-petrov")
    from tests.sync.helpers import one

    event = one("comment.added", {"text": "я" * 2000}, "0190f000-0000-7000-8000-000000000001",
                "petrov", "dev-petrov")
    with pytest.raises(TooLarge):
        client.push([event])
    raw = httpx.Client(base_url=SERVER, transport=small)
    chunked = raw.post("/api/v1/auth/login", content=iter([b"{}"]))
    assert chunked.status_code == 411


def test_the_config_endpoint_serves_the_loaded_configuration(
        signed_in: Callable[..., SyncClient], server_store: Store) -> None:
    client = signed_in("ivanov")
    first = client.config()
    assert set(first.config) == {"kinds", "lists", "org", "risk", "sla"}
    assert {u["id"] for u in first.config["org"]["users"]} >= {"ivanov", "petrov"}
    raw_config = load_raw()
    lifting = {"code": "lifting", "label": {"ru": "Подъём грузов", "en": "Lifting"}}
    raw_config["lists"]["hazard_categories"] = [*raw_config["lists"]["hazard_categories"],
                                                lifting]
    admin = open_server_store(server_store.url)  # as `safecard-server load-config` does
    try:
        save_config(admin, raw_config)
    finally:
        admin.close()
    second = client.config()
    assert second.version != first.version
    assert lifting in second.config["lists"]["hazard_categories"]


def test_config_needs_sign_in(raw: httpx.Client) -> None:
    assert raw.get("/api/v1/config").status_code == 401


def test_openapi_is_published(raw: httpx.Client) -> None:
    spec = raw.get("/openapi.json").json()
    assert {"/api/v1/auth/login", "/api/v1/sync/push", "/api/v1/sync/pull", "/api/v1/config",
            "/api/v1/health"} <= set(spec["paths"])
    assert "PushRequest" in spec["components"]["schemas"]
    docs = raw.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
