"""The store's side of sync: reading and clearing the outbox, applying pulled pages, and
storing events a server received — each in one transaction (DESIGN.md §7).

Kept apart from repo.py so the card store stays about cards; everything here goes through
`Store._append`, the one place that writes events and their projection.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from forms.events import Event
from forms.store.models import EventRow, MetaRow, OutboxRow
from forms.store.repo import Part, Store, _event

SYNC = "sync"
ANONYMOUS = "anonymous"
# Events the server refused (forbidden, clock far ahead, id conflict): kept, never re-sent.
SET_ASIDE = "rejected"


@contextmanager
def writing(store: Store) -> Iterator[Session]:
    """A write transaction taken the way Store.append takes one (write lock at BEGIN)."""
    with store._write_lock, store.writing.begin() as s:
        yield s


def pending(store: Store, limit: int, channel: str = SYNC) -> list[Event]:
    """The oldest events of one outbox channel, in the order they were written."""
    with store.session() as s:
        rows = s.execute(
            select(EventRow).join(OutboxRow, OutboxRow.event_id == EventRow.id)
            .where(OutboxRow.channel == channel).order_by(OutboxRow.seq).limit(limit)
        ).scalars()
        return [_event(r) for r in rows]


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


def note_attempt(store: Store, event_ids: Sequence[str]) -> None:
    if not event_ids:
        return
    with writing(store) as s:
        s.execute(update(OutboxRow).where(OutboxRow.event_id.in_(list(event_ids)))
                  .values(attempts=OutboxRow.attempts + 1))


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
