"""The anonymous drop box (DESIGN.md §6): `POST /api/v1/anonymous/cards`, `/status`, `/answer`.

No token, no device, no client address. The handlers never read `request.client` or the
User-Agent, log nothing, and answer the drop only with `{accepted: true}`: no id, no time.

An anonymous card arrives whole: its events (card.filed with `anonymous` and `receipt_hash`,
then routed; every one without actor, device id or device seq — one that names any is
refused) and its photos' bytes (base64, by SHA-256, JPEG/PNG only). It is stored like a push:
the same event log, content hash and projection. A retried drop (the answer was lost) finds
its events already there with the same content and is accepted again; another content under
the same ids is a conflict. Its photos are stored in the transaction of its events, so a
refused drop leaves none behind.

Receipts: the card.filed payload carries the Argon2id hash of the code and `receipt_lookup`,
a 16-bit tag (forms/receipt.py). The server keeps both in `server_receipts`; a status or an
answer finds the few rows with the code's tag and verifies Argon2id on them only. 16 bits
say almost nothing about a 100-bit code (84 unknown bits remain, each guess an Argon2id),
and they spare the server an Argon2id per stored receipt per request. A card filed before
the tag existed is stored with an empty tag and checked on every lookup.

Rate limits: one token bucket per process for the drop and one for status/answer (no
per-address buckets: that would need the address). Over the limit: 429 `rate_limited`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from forms import events as ev
from forms import receipt
from forms.card import Card
from forms.errors import BadInput, Conflict, NotFound
from forms.events import Event
from forms.hlc import HybridClock
from forms.ids import uuid7
from forms.store import syncio
from forms.store.repo import Store
from sync import blobs as b
from sync import protocol as p
from sync.protocol import event_hash
from sync.server import blobs, storage
from sync.server.models import ReceiptRow
from sync.server.permissions import bad_card

DROP_TYPES = frozenset({ev.CARD_FILED, ev.ROUTED})


@dataclass
class TokenBucket:
    """`capacity` requests at once, refilled at `rate` per second; thread-safe."""

    capacity: float
    rate: float
    clock: Callable[[], float] = time.monotonic
    _tokens: float = field(default=-1.0, init=False)
    _at: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def take(self) -> bool:
        with self._lock:
            now = self.clock()
            if self._tokens < 0:
                self._tokens, self._at = self.capacity, now
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


class RateLimited(Exception):
    pass


def install(app: FastAPI, store: Store, now_ms: Callable[[], int],
            protocol: Callable[..., None]) -> None:
    """Register the anonymous endpoints and their rate limits on `app` (app.state holds the
    buckets, so a test can replace them)."""
    app.state.anonymous_drop_limit = TokenBucket(capacity=30, rate=0.5)
    app.state.anonymous_status_limit = TokenBucket(capacity=30, rate=0.5)
    router = APIRouter(prefix=f"{p.API}/anonymous", dependencies=[Depends(protocol)])

    def limit(request: Request, name: str) -> None:
        if not getattr(request.app.state, name).take():
            raise RateLimited

    @router.post("/cards", response_model=p.AnonymousAccepted)
    def drop(body: p.AnonymousCardRequest, request: Request) -> p.AnonymousAccepted:
        _same_protocol(body)
        limit(request, "anonymous_drop_limit")
        store_card(store, [e.to_event() for e in body.events], body.photos, now_ms())
        return p.AnonymousAccepted(accepted=True)

    @router.post("/status", response_model=p.AnonymousStatus)
    def status(body: p.ReceiptRequest, request: Request) -> p.AnonymousStatus:
        _same_protocol(body)
        limit(request, "anonymous_status_limit")
        return card_status(store, body.receipt)

    @router.post("/answer", response_model=p.AnonymousStatus)
    def answer(body: p.AnswerRequest, request: Request) -> p.AnonymousStatus:
        _same_protocol(body)
        limit(request, "anonymous_status_limit")
        answer_by_receipt(store, body.receipt, body.text, now_ms())
        return card_status(store, body.receipt)

    app.include_router(router)

    @app.exception_handler(RateLimited)
    def _limited(_r: Request, _exc: RateLimited) -> JSONResponse:
        body = p.ErrorResponse(error="rate_limited", detail="try again in a minute")
        return JSONResponse(body.model_dump(), status_code=429, headers={"Retry-After": "60"})


def _same_protocol(body: p.Message) -> None:
    if body.protocol != p.PROTOCOL_VERSION:
        raise BadInput("sync_bad_protocol")


# ---- the drop ---------------------------------------------------------------------------------

def store_card(store: Store, events: list[Event], photos: dict[str, str], now_ms: int) -> None:
    filed = _check_shape(events, now_ms)
    if bad_card(filed, store.config):
        raise BadInput("sync_bad_payload")
    data = _decode_photos(photos)
    names = b.referenced_by(events)
    kinds = {name: blobs.check(name, data[name]) for name in names if name in data}
    card_id = filed.card_id
    with syncio.writing(store) as s:
        if not store.is_sqlite:
            s.execute(storage._PG_LOCK_CARDS, {"ids": [card_id]})
        known, logs = storage._known(s, [e.id for e in events], [card_id])
        hashes = {e.id: event_hash(e) for e in events}
        if known:
            if known == hashes:
                return  # the same drop again: its answer was lost
            raise Conflict("sync_id_conflict")
        if logs[card_id]:
            raise Conflict("sync_card_exists")
        for name, kind in kinds.items():  # in this transaction: a refused drop stores nothing
            blobs.insert(s, store, name, data[name], kind)
        if not blobs.present(s, names).issuperset(names):
            raise BadInput("sync_missing_blob")
        try:
            card = storage._card(events, card_id)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BadInput("sync_bad_payload") from None
        if card is None or not card.anonymous:
            raise BadInput("sync_bad_payload")
        syncio.receive(store, s, events, hashes)
        insert = sqlite_insert if store.is_sqlite else pg_insert
        s.execute(insert(ReceiptRow).values(
            card_id=card_id, lookup=filed.payload.get("receipt_lookup") or "",
            receipt_hash=str(filed.payload["receipt_hash"])).on_conflict_do_nothing(
                index_elements=["card_id"]))


def _check_shape(events: list[Event], now_ms: int) -> Event:
    """One card, filed anonymously, with a receipt; no actor, no device anywhere."""
    first = events[0]
    if first.type != ev.CARD_FILED:
        raise BadInput("sync_bad_payload")
    for event in events:
        if event.actor is not None or event.device_id is not None or event.device_seq is not None:
            raise BadInput("sync_not_anonymous")
        if event.type not in DROP_TYPES or event.card_id != first.card_id:
            raise BadInput("sync_bad_payload")
        if event is not first and event.type == ev.CARD_FILED:
            raise BadInput("sync_bad_payload")
        if storage._clock(event, now_ms, storage.MAX_CLOCK_AHEAD_MS):
            raise BadInput("sync_clock_ahead")
    payload = first.payload
    code_hash, lookup = payload.get("receipt_hash"), payload.get("receipt_lookup")
    if payload.get("anonymous") is not True or not isinstance(code_hash, str) \
            or not code_hash.startswith("$argon2id$") or len(code_hash) > 200 \
            or not isinstance(lookup, str | None) or len(lookup or "") > 16:
        raise BadInput("sync_not_anonymous")
    return first


def _decode_photos(photos: dict[str, str]) -> dict[str, bytes]:
    data: dict[str, bytes] = {}
    for name, text in photos.items():
        if not b.is_name(name):
            raise BadInput("sync_bad_payload")
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise BadInput("sync_bad_payload") from None
        if len(raw) > b.MAX_BLOB_BYTES or hashlib.sha256(raw).hexdigest() != name:
            raise BadInput("sync_bad_payload")
        data[name] = raw
    return data


# ---- following a card by its receipt ----------------------------------------------------------

def find_card(store: Store, code: str) -> str:
    """The card of this receipt, or NotFound. Argon2id only on rows with the code's tag."""
    tag = receipt.lookup_tag(code)
    with store.session() as s:
        rows = s.execute(select(ReceiptRow.card_id, ReceiptRow.receipt_hash)
                         .where(ReceiptRow.lookup.in_([tag, ""]))).all()
    for card_id, hashed in rows:
        if receipt.matches(code, hashed):
            return str(card_id)
    raise NotFound("sync_unknown_receipt")


def card_status(store: Store, code: str) -> p.AnonymousStatus:
    card = store.card(find_card(store, code))
    comments = [_comment(c) for c in card.comments]
    return p.AnonymousStatus(
        state=card.state, kind=card.kind,
        filed_at=card.filed_at.isoformat() if card.filed_at else None,
        questions=[c for c in comments if c.question], comments=comments,
        resolution=card.resolution if card.state == "closed" else None,
        reject_reason=card.reject_reason if card.state == "rejected" else None)


def _comment(c: object) -> p.AnonymousComment:
    # Text and time only: the reporter learns what was asked, not who asked it.
    return p.AnonymousComment(at=c.at.isoformat(), text=c.text,  # type: ignore[attr-defined]
                              question=c.question,  # type: ignore[attr-defined]
                              from_reporter=c.actor is None)  # type: ignore[attr-defined]


def answer_by_receipt(store: Store, code: str, text: str, now_ms: int) -> None:
    """The reporter's answer: a comment.added with no actor and no device."""
    card_id = find_card(store, code)
    text = text.strip()
    if not text:
        raise BadInput("sync_bad_payload")
    with syncio.writing(store) as s:
        if not store.is_sqlite:
            s.execute(storage._PG_LOCK_CARDS, {"ids": [card_id]})
        log = storage._logs(s, [card_id])[card_id]
        card: Card | None = storage._card(log, card_id)
        if card is None or not card.is_open:
            raise Conflict("sync_card_closed")
        clock = HybridClock(wall_ms=lambda: now_ms)
        clock.observe(max(e.hlc for e in log))
        event = Event(id=uuid7(), card_id=card_id, type=ev.COMMENT_ADDED, hlc=clock.now(),
                      actor=None, payload={"comment_id": uuid7(), "text": text,
                                           "question": False},
                      device_id=None)
        syncio.receive(store, s, [event], {event.id: event_hash(event)})
