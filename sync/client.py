"""The HTTP client of the sync protocol: httpx with timeouts and an injectable transport.

Every response is validated with the protocol models before anything trusts it; a failure
becomes a SafeCardError from sync/errors.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from forms.events import Event
from sync import errors
from sync import protocol as p

M = TypeVar("M", bound=BaseModel)
DEFAULT_TIMEOUT = 30.0
_PUSH_HEAD = b'{"protocol":%d,"events":[' % p.PROTOCOL_VERSION
CONNECT_TIMEOUT = 5.0


class SyncClient:
    def __init__(self, server: str, *, token: str | None = None,
                 transport: httpx.BaseTransport | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self._transport = transport
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

    def push_wire(self, events: Sequence[bytes]) -> p.PushResponse:
        """A push whose events are already JSON objects (`sync.engine.wire_json`): the body is
        joined from them, not encoded again. The server validates it with PushRequest."""
        return self._call("POST", "/sync/push", p.PushResponse,
                          content=_PUSH_HEAD + b",".join(events) + b"]}")

    def pull(self, cursor: str | None, limit: int = p.PULL_DEFAULT) -> p.PullResponse:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        return self._call("GET", "/sync/pull", p.PullResponse, params=params)

    def config(self) -> p.ConfigResponse:
        return self._call("GET", "/config", p.ConfigResponse)

    def has_blob(self, sha256: str) -> bool:
        """HEAD /blobs/{sha256}: is the blob stored whole on the server?"""
        response = self._send("HEAD", f"/blobs/{sha256}")
        if response.status_code in (200, 404):
            return response.status_code == 200
        raise errors.from_response(response, self.server)

    def put_blob(self, sha256: str, data: bytes) -> bool:
        """PUT /blobs/{sha256}; True when stored now, False when the server had it."""
        response = self._send("PUT", f"/blobs/{sha256}", content=data,
                              content_type="application/octet-stream")
        if response.status_code not in (200, 201):
            raise errors.from_response(response, self.server)
        answer = self._valid(response, p.BlobResponse)
        if answer.sha256 != sha256:
            raise errors.not_a_server(self.server)
        return answer.created

    def get_blob(self, sha256: str) -> bytes | None:
        """GET /blobs/{sha256}: the bytes, checked against their name; None if not stored."""
        response = self._send("GET", f"/blobs/{sha256}")
        if response.status_code == 404 and _reason(response) == "no_blob":
            return None
        if response.status_code != 200:
            raise errors.from_response(response, self.server)
        if hashlib.sha256(response.content).hexdigest() != sha256:
            raise errors.not_a_server(self.server)  # a portal's page, a cut body
        return response.content

    # ---- the anonymous drop box (never signed: no token, no device id) ------------------------

    def unsigned(self) -> SyncClient:
        """A fresh client to the same server with no token: for the drop box."""
        return SyncClient(self.server, transport=self._transport)

    def drop_anonymous(self, body: p.AnonymousCardRequest) -> p.AnonymousAccepted:
        return self._call("POST", "/anonymous/cards", p.AnonymousAccepted, body=body,
                          signed=False)

    def anonymous_status(self, code: str) -> p.AnonymousStatus:
        return self._anonymous("/anonymous/status", p.ReceiptRequest(receipt=code))

    def anonymous_answer(self, code: str, text: str) -> p.AnonymousStatus:
        return self._anonymous("/anonymous/answer", p.AnswerRequest(receipt=code, text=text))

    def _anonymous(self, path: str, body: BaseModel) -> p.AnonymousStatus:
        content = body.model_dump_json().encode()
        response = self._send("POST", path, content=content, signed=False,
                              content_type="application/json")
        if response.status_code == 404 and _reason(response) == "unknown_receipt":
            raise errors.UnknownReceipt("sync_unknown_receipt")
        if response.status_code == 429 and _reason(response) == "rate_limited":
            raise errors.RateLimited("sync_rate_limited", server=self.server)
        if response.status_code != 200:
            raise errors.from_response(response, self.server)
        return self._valid(response, p.AnonymousStatus)

    # ---- plumbing ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, model: type[M], *, body: BaseModel | None = None,
              params: dict[str, Any] | None = None, signed: bool = True,
              content: bytes | None = None) -> M:
        if body is not None:
            content = body.model_dump_json().encode()
        response = self._send(method, path, content=content, params=params, signed=signed,
                              content_type="application/json" if content is not None else None)
        if response.status_code != 200:
            raise errors.from_response(response, self.server)
        return self._valid(response, model)

    def _send(self, method: str, path: str, *, content: bytes | None = None,
              params: dict[str, Any] | None = None, signed: bool = True,
              content_type: str | None = None) -> httpx.Response:
        headers = {}
        if signed:
            if not self.token:
                raise errors.SignedOut("sync_signed_out", reason="no_token", server=self.server)
            headers["Authorization"] = f"Bearer {self.token}"
        if content_type is not None:
            headers["Content-Type"] = content_type
        try:
            return self._http.request(method, p.API + path, content=content, params=params,
                                      headers=headers)
        except httpx.TransportError as exc:
            raise errors.from_transport(exc, self.server) from exc

    def _valid(self, response: httpx.Response, model: type[M]) -> M:
        try:
            answer = model.model_validate_json(response.content)
        except ValidationError:
            raise errors.not_a_server(self.server) from None
        if getattr(answer, "protocol", p.PROTOCOL_VERSION) != p.PROTOCOL_VERSION:
            raise errors.ProtocolMismatch("sync_protocol_mismatch", server=self.server)
        return answer


def _reason(response: httpx.Response) -> str | None:
    try:
        return p.ErrorResponse.model_validate_json(response.content).error
    except ValidationError:
        return None
