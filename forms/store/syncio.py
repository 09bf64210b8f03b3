"""The store's side of sync: reading and clearing the outbox, applying pulled pages, and
storing events a server received — each in one transaction (DESIGN.md §7).

Kept apart from repo.py so the card store stays about cards; everything here goes through
`Store._append`, the one place that writes events and their projection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import NamedTuple

from sqlalchemy import Connection, Text, bindparam, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session

from forms.events import Event
from forms.store.models import EventRow, MetaRow, OutboxRow
from forms.store.repo import Part, Store, _event, batches

SYNC = "sync"
ANONYMOUS = "anonymous"
# Events the server refused (forbidden, clock far ahead, id conflict): kept, never re-sent.
SET_ASIDE = "rejected"


@contextmanager
def writing(store: Store) -> Iterator[Session]:
    """A write transaction taken the way Store.append takes one (write lock at BEGIN)."""
    with store._write_lock, store.writing.begin() as s:
        yield s


@contextmanager
def _writing_core(store: Store) -> Iterator[Connection]:
    """`writing` without an ORM session, for plain statements on the outbox."""
    with store._write_lock, store.writing.kw["bind"].begin() as conn:
        yield conn


def pending(store: Store, limit: int, channel: str = SYNC) -> list[Event]:
    """The oldest events of one outbox channel, in the order they were written."""
    with store.session() as s:
        rows = s.execute(
            select(EventRow).join(OutboxRow, OutboxRow.event_id == EventRow.id)
            .where(OutboxRow.channel == channel).order_by(OutboxRow.seq).limit(limit)
        ).scalars()
        return [_event(r) for r in rows]


class Outgoing(NamedTuple):
    """An outbox event as stored, its payload still the JSON text it was written as: a push
    sends that text on as it is, without building an Event or a model per event."""

    id: str
    card_id: str
    type: str
    hlc: int
    actor: str | None
    payload_json: str
    device_id: str | None
    device_seq: int | None


_events, _outbox, _meta = EventRow.__table__, OutboxRow.__table__, MetaRow.__table__
_OUTGOING = (
    select(_events.c.id, _events.c.card_id, _events.c.type, _events.c.hlc, _events.c.actor,
           cast(_events.c.payload, Text), _events.c.device_id, _events.c.device_seq)
    .join_from(_outbox, _events, _outbox.c.event_id == _events.c.id)
    .where(_outbox.c.channel == bindparam("channel"))
    .order_by(_outbox.c.seq).limit(bindparam("limit"))
)


def outgoing(store: Store, limit: int, channel: str = SYNC) -> list[Outgoing]:
    """What `pending` reads, as plain rows: one indexed select (outbox by seq)."""
    with store.engine.connect() as conn:
        rows = conn.execute(_OUTGOING, {"channel": channel, "limit": limit})
        return [Outgoing(*row) for row in rows]


_ids = bindparam("ids", expanding=True)
_CONFIRM = delete(_outbox).where(_outbox.c.event_id.in_(_ids))
_SET_ASIDE = update(_outbox).where(_outbox.c.event_id.in_(_ids)).values(channel=SET_ASIDE)
_ATTEMPT = (update(_outbox).where(_outbox.c.event_id.in_(_ids))
            .values(attempts=_outbox.c.attempts + 1))
_META_SET = (update(_meta).where(_meta.c.key == bindparam("meta_key"))
             .values(value=bindparam("meta_value")))
_META_ADD = insert(_meta).values(key=bindparam("meta_key"), value=bindparam("meta_value"))


def take(store: Store, limit: int, fit: Callable[[list[Outgoing]], int],
         channel: str = SYNC) -> list[Outgoing]:
    """The first `fit(rows)` of the oldest `limit` outbox rows, their attempt noted in the same
    transaction that reads them (one commit per batch, not two)."""
    with _writing_core(store) as conn:
        rows = [Outgoing(*row) for row in
                conn.execute(_OUTGOING, {"channel": channel, "limit": limit})]
        rows = rows[: fit(rows)] if rows else rows
        for chunk in batches([o.id for o in rows]):
            conn.execute(_ATTEMPT, {"ids": chunk})
        return rows


def settle(store: Store, done: Sequence[str], refused: Sequence[str],
           meta: Mapping[str, str]) -> None:
    """A push answer in ONE transaction: confirmed events leave the outbox, refused ones are
    set aside, and the meta keys that describe the answer are written with them."""
    with _writing_core(store) as conn:
        for chunk in batches(done):
            conn.execute(_CONFIRM, {"ids": chunk})
        for chunk in batches(refused):
            conn.execute(_SET_ASIDE, {"ids": chunk})
        for key, value in meta.items():
            row = {"meta_key": key, "meta_value": value}
            if not conn.execute(_META_SET, row).rowcount:
                conn.execute(_META_ADD, row)


def count(store: Store, channel: str = SYNC) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(OutboxRow)
                            .where(OutboxRow.channel == channel)) or 0)


def confirm(store: Store, event_ids: Sequence[str]) -> None:
    """The server confirmed these: they leave the outbox."""
    if not event_ids:
        return
    with writing(store) as s:
        s.execute(delete(OutboxRow).where(OutboxRow.event_id.in_(list(event_ids))))


def set_aside(store: Store, event_ids: Sequence[str]) -> None:
    if not event_ids:
        return
    with writing(store) as s:
        s.execute(update(OutboxRow).where(OutboxRow.event_id.in_(list(event_ids)))
                  .values(channel=SET_ASIDE))


def apply_page(store: Store, events: Sequence[Event], meta: Mapping[str, str]) -> list[str]:
    """Pulled events and the cursor after them, in ONE transaction: a crash between the two
    cannot skip a page, and a page applied twice changes nothing (ids already known)."""
    with writing(store) as s:
        touched = store._append(s, [Part(events, None)])
        for key, value in meta.items():
            s.merge(MetaRow(key=key, value=value))
        return touched


def receive(store: Store, s: Session, events: Sequence[Event],
            hashes: Mapping[str, str]) -> list[str]:
    """Server side: store pushed events with their content hashes in the caller's
    transaction and refresh the projection of the cards they touch."""
    touched = store._append(s, [Part(events, None)])
    if events:
        table = EventRow.__table__
        s.execute(update(table).where(table.c.id == bindparam("event_id"))
                  .values(payload_hash=bindparam("digest")),
                  [{"event_id": e.id, "digest": hashes[e.id]} for e in events])
    return touched
