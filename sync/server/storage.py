"""Push and pull against the server's store (DESIGN.md §7).

Push runs in one short transaction: lock the batch's cards (PostgreSQL advisory locks, in
id order so two pushes cannot deadlock), sort each event into known / conflict / rejected /
accepted (an event naming an attachment the server lacks is `missing_blob`), store the
accepted ones with their content hash, refresh the projection, and
advance the device's contiguous sequence. Pull reads `(tx, seq)` below the oldest running
transaction on PostgreSQL, plain `seq` on SQLite.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from forms import hlc
from forms.card import Card
from forms.events import Event
from forms.fold import fold
from forms.store import syncio
from forms.store.models import EventRow
from forms.store.repo import Store
from sync.blobs import referenced, referenced_by
from sync.protocol import EventResult, WireEvent, event_hash
from sync.server import blobs, db
from sync.server.auth import Principal
from sync.server.cursor import Cursor
from sync.server.models import DeviceRow
from sync.server.permissions import bad_card, refusal

MAX_CLOCK_AHEAD_MS = 10 * 60 * 1000  # an HLC further ahead of the server's clock is refused


# One round trip; the ids come sorted, so two pushes take shared cards in the same order.
_PG_LOCK_CARDS = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(c, 0)) "
    "FROM unnest(CAST(:ids AS text[])) WITH ORDINALITY AS t(c, n) ORDER BY n"
)


@dataclass
class PushOutcome:
    results: list[EventResult]
    device_seq_contiguous: int


def push(store: Store, who: Principal, events: list[Event], now_ms: int,
         max_ahead_ms: int = MAX_CLOCK_AHEAD_MS) -> PushOutcome:
    card_ids = sorted({e.card_id for e in events})
    with syncio.writing(store) as s:
        if not store.is_sqlite and card_ids:
            s.execute(_PG_LOCK_CARDS, {"ids": card_ids})
        stored = _stored_hashes(s, [e.id for e in events])
        logs = _logs(s, card_ids)
        have = blobs.present(s, referenced_by(events))
        folded: dict[str, Card | None] = {}
        results: list[EventResult] = []
        accepted: dict[str, str] = {}
        fresh: list[Event] = []
        for event in events:
            digest = event_hash(event)
            earlier = stored.get(event.id) or accepted.get(event.id)
            if earlier is not None:
                same = earlier == digest
                results.append(EventResult(id=event.id, status="known" if same else "rejected",
                                           reason=None if same else "id_conflict"))
                continue
            reason = _clock(event, now_ms, max_ahead_ms)
            if reason is None:
                if event.card_id not in folded:
                    folded[event.card_id] = _card(logs[event.card_id], event.card_id)
                reason = refusal(who, event, folded[event.card_id])
            if reason is None:
                reason = bad_card(event, store.config)
            if reason is None and not have.issuperset(referenced(event)):
                reason = "missing_blob"  # upload the attachment first (PUT /blobs/{sha256})
            if reason is None:
                try:  # a payload the fold cannot read would break the card for everyone
                    after = _card([*logs[event.card_id], event], event.card_id)
                except (KeyError, TypeError, ValueError, AttributeError):
                    reason = "bad_payload"
            if reason is not None:
                results.append(EventResult(id=event.id, status="rejected", reason=reason))
                continue
            results.append(EventResult(id=event.id, status="accepted"))
            accepted[event.id] = digest
            fresh.append(event)
            logs[event.card_id].append(event)
            folded[event.card_id] = after
        if fresh:
            syncio.receive(store, s, fresh, accepted)
        contiguous = _advance_device(s, who.device_id)
    return PushOutcome(results, contiguous)


def _clock(event: Event, now_ms: int, max_ahead_ms: int) -> str | None:
    ms, _ = hlc.unpack(event.hlc)
    return "clock_ahead" if ms > now_ms + max_ahead_ms else None


def _stored_hashes(s: Session, ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(ids, 500):
        for row in s.scalars(select(EventRow).where(EventRow.id.in_(chunk))):
            found[row.id] = row.payload_hash or event_hash(_event(row))
    return found


def _logs(s: Session, card_ids: list[str]) -> dict[str, list[Event]]:
    logs: dict[str, list[Event]] = defaultdict(list)
    for chunk in _chunks(card_ids, 500):
        for row in s.scalars(select(EventRow).where(EventRow.card_id.in_(chunk))):
            logs[row.card_id].append(_event(row))
    return logs


def _card(log: list[Event], card_id: str) -> Card | None:
    if not log:
        return None
    card = fold(log, card_id)
    return card if card.filed_at is not None else None


def _advance_device(s: Session, device_id: str) -> int:
    device = s.get(DeviceRow, device_id, with_for_update=True)
    if device is None:
        return 0
    n = device.contiguous_seq
    above = s.scalars(select(EventRow.device_seq).where(
        EventRow.device_id == device_id, EventRow.device_seq > n).order_by(EventRow.device_seq))
    for seq in above:
        if seq != n + 1:
            break
        n = seq
    device.contiguous_seq = n
    return n


# ---- pull ---------------------------------------------------------------------------------

_PG_PULL = text(
    "SELECT seq, tx::text AS tx, id, card_id, type, hlc, actor, payload, device_id, device_seq "
    "FROM events WHERE (tx, seq) > (CAST(:tx AS xid8), :seq) "
    "AND tx < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx, seq LIMIT :limit"
)


@dataclass
class Page:
    events: list[WireEvent]
    cursor: str
    more: bool
    reset: bool


def pull(store: Store, cursor_text: str | None, limit: int) -> Page:
    current = db.epoch(store)
    cursor = Cursor.decode(cursor_text) if cursor_text else Cursor(current, 0, 0)
    reset = cursor.epoch != current
    if reset:
        cursor = Cursor(current, 0, 0)
    with store.session() as s:
        if store.is_sqlite:
            rows = list(s.scalars(select(EventRow).where(EventRow.seq > cursor.seq)
                                  .order_by(EventRow.seq).limit(limit)))
            events = [WireEvent.of(_event(r)) for r in rows]
            last = Cursor(current, 0, rows[-1].seq) if rows else cursor
        else:
            found = s.execute(_PG_PULL, {"tx": str(cursor.tx), "seq": cursor.seq,
                                         "limit": limit}).mappings().all()
            events = [WireEvent(id=r["id"], card_id=r["card_id"], type=r["type"], hlc=r["hlc"],
                                actor=r["actor"], payload=r["payload"],
                                device_id=r["device_id"], device_seq=r["device_seq"])
                      for r in found]
            last = Cursor(current, int(found[-1]["tx"]), found[-1]["seq"]) if found else cursor
    return Page(events, last.encode(), len(events) == limit, reset and cursor_text is not None)


def _event(row: EventRow) -> Event:
    return Event(id=row.id, card_id=row.card_id, type=row.type, hlc=row.hlc, actor=row.actor,
                 payload=row.payload, device_id=row.device_id, device_seq=row.device_seq)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
