"""The HTTP client of the sync protocol: httpx with timeouts and an injectable transport.

Every response is validated with the protocol models before anything trusts it; a failure
becomes a SafeCardError from sync/errors.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from forms.events import Event
from sync import errors
from sync import protocol as p

M = TypeVar("M", bound=BaseModel)
DEFAULT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 5.0


class SyncClient:
    def __init__(self, server: str, *, token: str | None = None,
                 transport: httpx.BaseTransport | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self._http = httpx.Client(
            base_url=self.server, transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
            headers={p.PROTOCOL_HEADER: str(p.PROTOCOL_VERSION)}, follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ---- the endpoints -----------------------------------------------------------------------

    def health(self) -> p.HealthResponse:
        return self._call("GET", "/health", p.HealthResponse, signed=False)

    def login(self, user: str, password: str, device_id: str) -> p.LoginResponse:
        body = p.LoginRequest(user=user, password=password, device_id=device_id)
        answer = self._call("POST", "/auth/login", p.LoginResponse, body=body, signed=False)
        self.token = answer.token
        return answer

    def push(self, events: Sequence[Event]) -> p.PushResponse:
        body = p.PushRequest(events=[p.WireEvent.of(e) for e in events])
        return self._call("POST", "/sync/push", p.PushResponse, body=body)

    def pull(self, cursor: str | None, limit: int = p.PULL_DEFAULT) -> p.PullResponse:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        return self._call("GET", "/sync/pull", p.PullResponse, params=params)

    def config(self) -> p.ConfigResponse:
        return self._call("GET", "/config", p.ConfigResponse)

    # ---- plumbing ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, model: type[M], *, body: BaseModel | None = None,
              params: dict[str, Any] | None = None, signed: bool = True) -> M:
        headers = {}
        if signed:
            if not self.token:
                raise errors.SignedOut("sync_signed_out", reason="no_token", server=self.server)
            headers["Authorization"] = f"Bearer {self.token}"
        content = body.model_dump_json().encode() if body is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(method, p.API + path, content=content, params=params,
                                          headers=headers)
        except httpx.TransportError as exc:
            raise errors.from_transport(exc, self.server) from exc
        if response.status_code != 200:
            raise errors.from_response(response, self.server)
        try:
            answer = model.model_validate_json(response.content)
        except ValidationError:
            raise errors.not_a_server(self.server) from None
        if getattr(answer, "protocol", p.PROTOCOL_VERSION) != p.PROTOCOL_VERSION:
            raise errors.ProtocolMismatch("sync_protocol_mismatch", server=self.server)
        return answer
