"""The sync protocol: the one definition of every request and response (DESIGN.md §7).

Both ends validate with these models, so a client never trusts a body the server did not
shape (an HTML page from a captive portal fails validation) and the server never stores an
event it could not read. Every exchange carries `PROTOCOL_VERSION`: in the
`X-SafeCard-Protocol` header of each request and in each body.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from forms.events import Event

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-SafeCard-Protocol"
API = "/api/v1"

# Batches (DESIGN.md §7). The client keeps to the small numbers; the server refuses a
# request beyond the large ones as a whole (413).
CLIENT_PUSH_EVENTS = 100
CLIENT_PUSH_BYTES = 512 * 1024
SERVER_PUSH_EVENTS = 1000
SERVER_MAX_BODY = 4 * 1024 * 1024
PULL_DEFAULT = 200
PULL_MAX = 1000

ID = Field(min_length=1, max_length=36, pattern=r"^[0-9a-f-]+$")


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    protocol: int = PROTOCOL_VERSION


class WireEvent(BaseModel):
    """An event as it travels: forms.events.Event without the derived `at`."""

    model_config = ConfigDict(extra="forbid")
    id: str = ID
    card_id: str = ID
    type: str = Field(min_length=1, max_length=40)
    hlc: int = Field(ge=0, lt=1 << 63)
    actor: str | None = Field(default=None, max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict)
    device_id: str | None = Field(default=None, max_length=64)
    device_seq: int | None = Field(default=None, ge=1)

    @classmethod
    def of(cls, event: Event) -> WireEvent:
        return cls(id=event.id, card_id=event.card_id, type=event.type, hlc=event.hlc,
                   actor=event.actor, payload=event.payload, device_id=event.device_id,
                   device_seq=event.device_seq)

    def to_event(self) -> Event:
        return Event(id=self.id, card_id=self.card_id, type=self.type, hlc=self.hlc,
                     actor=self.actor, payload=dict(self.payload), device_id=self.device_id,
                     device_seq=self.device_seq)


def event_hash(event: Event) -> str:
    """SHA-256 of everything an event says; equal hashes = the same event resent."""
    body = [event.card_id, event.type, event.hlc, event.actor, event.payload,
            event.device_id, event.device_seq]
    blob = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class LoginRequest(Message):
    user: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    device_id: str = Field(min_length=1, max_length=64)


class LoginResponse(Message):
    token: str
    user: str
    role: Literal["staff", "supervisor", "auditor", "admin"]
    device_id: str


class PushRequest(Message):
    events: list[WireEvent] = Field(max_length=SERVER_PUSH_EVENTS)


class EventResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    status: Literal["accepted", "known", "rejected"]
    reason: str | None = None  # a catalogue key under "sync.reason." when rejected


class PushResponse(Message):
    results: list[EventResult]
    # Highest n such that this device's events 1..n are all on the server; a gap below
    # what the device has sent reveals a lost outbox row or a restored workstation.
    device_seq_contiguous: int = 0
    server_time_ms: int


class PullResponse(Message):
    events: list[WireEvent]
    cursor: str = Field(min_length=1, max_length=200)
    more: bool
    reset: bool = False  # the cursor came from another epoch: this page starts from zero


class ConfigResponse(Message):
    version: str
    config: dict[str, Any]  # kinds, lists, org (incl. the users directory), risk, sla


class HealthResponse(Message):
    status: Literal["ok"]
    database: str
    server_time_ms: int


class BlobResponse(Message):
    """The answer to PUT /blobs/{sha256}: 201 stored now (`created`), 200 already stored."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    created: bool


class ErrorResponse(Message):
    error: str  # reason key: sync.reason.<error> in the catalogue
    detail: str | None = None


# ---- the anonymous drop box (DESIGN.md §6; docs/protocol.md "Anonymous cards") ---------------

ANONYMOUS_MAX_EVENTS = 20
ANONYMOUS_MAX_PHOTOS = 10
ANONYMOUS_MAX_BODY = 24 * 1024 * 1024  # photos travel inside, base64


class AnonymousCardRequest(Message):
    """One anonymous card: its events (no actor, no device) and its photos' bytes, base64,
    by SHA-256. Sent without a token, so nothing ties it to a signed-in user."""

    events: list[WireEvent] = Field(min_length=1, max_length=ANONYMOUS_MAX_EVENTS)
    photos: dict[str, str] = Field(default_factory=dict, max_length=ANONYMOUS_MAX_PHOTOS)


class AnonymousAccepted(Message):
    """The only answer the drop box gives: no id, no time, nothing that links back."""

    accepted: Literal[True]


class ReceiptRequest(Message):
    receipt: str = Field(min_length=1, max_length=64)  # in the body, never in a URL


class AnswerRequest(ReceiptRequest):
    text: str = Field(min_length=1, max_length=4000)


class AnonymousComment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: str  # ISO 8601, UTC
    text: str
    question: bool = False  # a supervisor's question to the reporter
    from_reporter: bool = False  # written by the reporter (by receipt)


class AnonymousStatus(Message):
    state: str
    kind: str
    filed_at: str | None = None
    questions: list[AnonymousComment] = Field(default_factory=list)
    comments: list[AnonymousComment] = Field(default_factory=list)
    resolution: str | None = None  # "what we did", once closed
    reject_reason: str | None = None
