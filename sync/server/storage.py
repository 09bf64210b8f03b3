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
from typing import Any

from sqlalchemy import String, any_, cast, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from forms import hlc
from forms.card import Card
from forms.events import Event
from forms.fold import apply, fold
from forms.store import syncio
from forms.store.models import EventRow
from forms.store.repo import Store, _event, batches
from sync.blobs import referenced, referenced_by
from sync.protocol import EventResult, PullResponse, WireEvent, event_hash
from sync.server import blobs, db
from sync.server.auth import Principal
from sync.server.cursor import Cursor
from sync.server.models import DeviceRow
from sync.server.permissions import bad_card, refusal

MAX_CLOCK_AHEAD_MS = 10 * 60 * 1000  # an HLC further ahead of the server's clock is refused


# One round trip: the device's row first, then the cards, sorted, so two pushes take shared
# locks in the same order. Holding the device's row from the start lets the closing UPDATE
# see every event an earlier push of the same device committed.
_PG_LOCK = text(
    "SELECT (SELECT contiguous_seq FROM server_devices WHERE id = :device FOR UPDATE) AS device, "
    "(SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtextextended(c, 0)) "
    "FROM unnest(CAST(:ids AS text[])) WITH ORDINALITY AS t(c, n) ORDER BY n) AS l) AS cards"
)

# The cards alone (the anonymous drop box, which has no device).
_PG_LOCK_CARDS = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(c, 0)) "
    "FROM unnest(CAST(:ids AS text[])) WITH ORDINALITY AS t(c, n) ORDER BY n"
)

# The device's contiguous sequence in one statement: the run of rows above it, in order,
# for as long as each is the next number (what a loop over them would count).
_PG_ADVANCE_DEVICE = text(
    "UPDATE server_devices AS d SET contiguous_seq = d.contiguous_seq + ("
    "SELECT coalesce(min(r.rn) FILTER (WHERE r.device_seq - r.rn <> d.contiguous_seq), "
    "count(*) + 1) - 1 FROM (SELECT device_seq, row_number() OVER (ORDER BY device_seq) AS rn "
    "FROM events WHERE device_id = :device AND device_seq > d.contiguous_seq) AS r) "
    "WHERE d.id = :device RETURNING d.contiguous_seq"
)


@dataclass
class PushOutcome:
    results: list[EventResult]
    device_seq_contiguous: int


def push(store: Store, who: Principal, events: list[Event], now_ms: int,
         max_ahead_ms: int = MAX_CLOCK_AHEAD_MS) -> PushOutcome:
    card_ids = sorted({e.card_id for e in events})
    with syncio.writing(store) as s:
        if not store.is_sqlite:
            s.execute(_PG_LOCK, {"device": who.device_id, "ids": card_ids})
        stored, logs = _known(s, [e.id for e in events], card_ids)
        have = blobs.present(s, referenced_by(events))
        cards = _Cards(logs)
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
                reason = refusal(who, event, cards.get(event.card_id))
            if reason is None:
                reason = bad_card(event, store.config)
            if reason is None and not have.issuperset(referenced(event)):
                reason = "missing_blob"  # upload the attachment first (PUT /blobs/{sha256})
            if reason is None and not cards.add(event):
                reason = "bad_payload"  # the fold cannot read it: it would break the card
            if reason is not None:
                results.append(EventResult(id=event.id, status="rejected", reason=reason))
                continue
            results.append(EventResult(id=event.id, status="accepted"))
            accepted[event.id] = digest
            fresh.append(event)
        if fresh:
            _store(store, s, fresh, accepted, cards)
        contiguous = _advance_device(s, who.device_id, store.is_sqlite)
    return PushOutcome(results, contiguous)


class _Cards:
    """The batch's cards as the server folds them, one fold per card: an event that sorts
    after the card's last one is applied to it (what the fold would do), any other folds
    the card's log again."""

    def __init__(self, logs: dict[str, list[Event]]) -> None:
        self.logs = logs
        self.cards: dict[str, Card | None] = {}
        self.touched: set[str] = set()
        self.last: dict[str, tuple[int, str] | None] = {}  # each card's greatest sort key

    def get(self, card_id: str) -> Card | None:
        if card_id not in self.cards:
            self.cards[card_id] = _card(self.logs[card_id], card_id)
        return self.cards[card_id]

    def add(self, event: Event) -> bool:
        """Fold the event into its card; False (card unchanged) when the fold cannot."""
        log = self.logs[event.card_id]
        card = self.get(event.card_id)
        if event.card_id not in self.last:
            self.last[event.card_id] = max((e.sort_key for e in log), default=None)
        try:
            last = self.last[event.card_id]
            if card is not None and last is not None and event.sort_key > last:
                apply(card, event)
            else:
                card = _card([*log, event], event.card_id)
        except (KeyError, TypeError, ValueError, AttributeError):
            self.cards[event.card_id] = _card(log, event.card_id)  # undo a half-applied one
            return False
        log.append(event)
        self.last[event.card_id] = max(event.sort_key, last or event.sort_key)
        self.cards[event.card_id] = card
        self.touched.add(event.card_id)
        return True


def _store(store: Store, s: Session, fresh: list[Event], hashes: dict[str, str],
           cards: _Cards) -> None:
    """The accepted events with their hashes in one executemany, then the touched
    cards' projection from the cards already folded (no read back, no refold)."""
    conn = s.connection()
    conn.execute(_INSERT_EVENTS, [
        dict(id=e.id, card_id=e.card_id, type=e.type, hlc=e.hlc, actor=e.actor,
             device_id=e.device_id, device_seq=e.device_seq, payload=e.payload,
             payload_hash=hashes[e.id]) for e in fresh])
    store._write_projections(s, [(card, max(e.hlc for e in cards.logs[card_id]))
                                 for card_id in sorted(cards.touched)
                                 if (card := cards.cards[card_id]) is not None])


def _clock(event: Event, now_ms: int, max_ahead_ms: int) -> str | None:
    ms, _ = hlc.unpack(event.hlc)
    return "clock_ahead" if ms > now_ms + max_ahead_ms else None


def _known(s: Session, ids: list[str], card_ids: list[str],
           ) -> tuple[dict[str, str], dict[str, list[Event]]]:
    """The hashes of the batch's ids already stored, and the logs of the batch's cards.
    PostgreSQL reads both in one query, the values as array parameters (`= ANY`): an IN
    list of a hundred parameters costs more to plan than to run."""
    conn = s.connection()
    query = select(*_EVENT_COLUMNS, _EVENTS.c.payload_hash)
    if conn.dialect.name == "postgresql":
        rows: list[Any] = list(conn.execute(query.where(
            (_EVENTS.c.id == any_(cast(ids, ARRAY(String))))
            | (_EVENTS.c.card_id == any_(cast(card_ids, ARRAY(String)))))))
        wanted_ids, wanted_cards = set(ids), set(card_ids)
        by_id = [r for r in rows if r.id in wanted_ids]
        by_card = [r for r in rows if r.card_id in wanted_cards]
    else:
        by_id = [r for chunk in batches(ids)
                 for r in conn.execute(query.where(_EVENTS.c.id.in_(chunk)))]
        by_card = [r for chunk in batches(card_ids)
                   for r in conn.execute(query.where(_EVENTS.c.card_id.in_(chunk)))]
    stored = {r.id: r.payload_hash or event_hash(_event(r)) for r in by_id}
    logs: dict[str, list[Event]] = defaultdict(list)
    for r in by_card:
        logs[r.card_id].append(_event(r))
    return stored, logs


def _logs(s: Session, card_ids: list[str]) -> dict[str, list[Event]]:
    return _known(s, [], card_ids)[1]


def _card(log: list[Event], card_id: str) -> Card | None:
    if not log:
        return None
    card = fold(log, card_id)
    return card if card.filed_at is not None else None


def _advance_device(s: Session, device_id: str, is_sqlite: bool) -> int:
    conn = s.connection()
    if not is_sqlite:  # the row is locked since the push began (_PG_LOCK)
        return conn.execute(_PG_ADVANCE_DEVICE, {"device": device_id}).scalar() or 0
    devices = DeviceRow.__table__
    n = conn.execute(select(devices.c.contiguous_seq).where(devices.c.id == device_id)
                     ).scalar()
    if n is None:
        return 0
    start = n
    above = conn.execute(select(_EVENTS.c.device_seq).where(
        _EVENTS.c.device_id == device_id, _EVENTS.c.device_seq > n)
        .order_by(_EVENTS.c.device_seq))
    for seq in above.scalars():
        if seq != n + 1:
            break
        n = seq
    if n != start:
        conn.execute(update(devices).where(devices.c.id == device_id)
                     .values(contiguous_seq=n))
    return n


_EVENTS = EventRow.__table__
_EVENT_COLUMNS = [_EVENTS.c[name] for name in (
    "id", "card_id", "type", "hlc", "actor", "payload", "device_id", "device_seq")]
# No RETURNING: psycopg then pipelines the rows, faster here than one multi-row INSERT.
_INSERT_EVENTS = insert(_EVENTS)


# ---- pull ---------------------------------------------------------------------------------

# The order is the xid8 column's, not the text of the `tx` output column (which would sort
# "10" before "9" and make every page sort everything past the cursor): the index walks it.
_PG_PULL = text(
    "SELECT seq, tx::text AS tx, id, card_id, type, hlc, actor, payload, device_id, device_seq "
    "FROM events WHERE (tx, seq) > (CAST(:tx AS xid8), :seq) "
    "AND tx < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY events.tx, events.seq "
    "LIMIT :limit"
)


# The same page as each event's JSON text, built by PostgreSQL: the payload goes out as it
# was stored, never parsed into Python and serialised again (most of a pull's server time).
_PG_PULL_JSON = text(
    "SELECT seq, tx::text AS tx, json_build_object('id', id, 'card_id', card_id, "
    "'type', type, 'hlc', hlc, 'actor', actor, 'payload', payload, 'device_id', device_id, "
    "'device_seq', device_seq)::text AS wire "
    "FROM events WHERE (tx, seq) > (CAST(:tx AS xid8), :seq) "
    "AND tx < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY events.tx, events.seq "
    "LIMIT :limit"
)


@dataclass
class Page:
    events: list[WireEvent]
    cursor: str
    more: bool
    reset: bool
    wire: list[str] | None = None  # with as_json on PostgreSQL: the events' JSON, not `events`

    def json(self) -> bytes:
        """The PullResponse body."""
        if self.wire is None:
            return PullResponse(events=self.events, cursor=self.cursor, more=self.more,
                                reset=self.reset).model_dump_json().encode()
        head = PullResponse(events=[], cursor=self.cursor, more=self.more, reset=self.reset)
        before, after = head.model_dump_json().split('"events":[]', 1)
        return f'{before}"events":[{",".join(self.wire)}]{after}'.encode()


def pull(store: Store, cursor_text: str | None, limit: int, *, as_json: bool = False) -> Page:
    current = db.epoch(store)
    cursor = Cursor.decode(cursor_text) if cursor_text else Cursor(current, 0, 0)
    reset = cursor.epoch != current
    if reset:
        cursor = Cursor(current, 0, 0)
    events: list[WireEvent] = []
    wire: list[str] | None = None
    with store.session() as s:
        if store.is_sqlite:
            rows = list(s.scalars(select(EventRow).where(EventRow.seq > cursor.seq)
                                  .order_by(EventRow.seq).limit(limit)))
            events = [WireEvent.of(_event(r)) for r in rows]
            last = Cursor(current, 0, rows[-1].seq) if rows else cursor
            count = len(rows)
        else:
            found = s.execute(_PG_PULL_JSON if as_json else _PG_PULL, {
                "tx": str(cursor.tx), "seq": cursor.seq, "limit": limit}).mappings().all()
            if as_json:
                wire = [r["wire"] for r in found]
            else:  # rows this server validated when it stored them: not validated again
                events = [WireEvent.model_construct(
                    id=r["id"], card_id=r["card_id"], type=r["type"], hlc=r["hlc"],
                    actor=r["actor"], payload=r["payload"], device_id=r["device_id"],
                    device_seq=r["device_seq"]) for r in found]
            last = Cursor(current, int(found[-1]["tx"]), found[-1]["seq"]) if found else cursor
            count = len(found)
    return Page(events, last.encode(), count == limit, reset and cursor_text is not None, wire)
