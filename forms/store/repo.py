"""The store: append events and keep the card projection in step, in one transaction.

Appending is the only way to change a card. Each append inserts the events (an event id
already present is skipped, so a retried append never doubles anything), refolds every card
they touch from its full log, rewrites those cards' projection rows, and queues the new
events in the outbox, all in one durable commit.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, insert, or_, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker

from forms import deadlines
from forms.card import Card
from forms.config import Config
from forms.errors import BadInput, NotFound
from forms.events import Event
from forms.fold import apply, fold
from forms.serialize import card_from_dict, card_to_dict
from forms.store.db import WRITE_OPTION, make_engine, upgrade
from forms.store.models import ActionRow, CardRow, EventRow, MetaRow, OutboxRow

SEARCH_FIELDS = ("title", "description", "account", "proposal", "location", "conclusion")


@dataclass(frozen=True)
class CardQuery:
    """What a list shows. Every filter is optional; `overdue_at` keeps cards past a deadline."""

    kind: str | None = None
    state: str | None = None
    site: str | None = None
    department: str | None = None
    category: str | None = None
    supervisor: str | None = None
    reporter: str | None = None
    risk_band: str | None = None
    overdue_at: datetime | None = None
    filed_from: datetime | None = None
    filed_to: datetime | None = None
    search: str | None = None
    open_only: bool = False


# The list columns a list may be sorted by, on the database (lazy pages stay in order).
SORTABLE = {"filed_at": "filed_at", "title": "title", "kind": "kind", "state": "state",
            "site": "site", "supervisor": "supervisor", "risk": "risk_score"}


class Store:
    def __init__(self, url: str, config: Config, *, migrate: bool = True) -> None:
        self.url = url
        self.config = config
        self.engine = make_engine(url)
        if migrate:
            upgrade(self.engine)
        self.session = sessionmaker(self.engine, expire_on_commit=False)
        # Writes take the write lock when they begin (see db._sqlite_begin); the thread lock
        # keeps this process's own writers from queueing on SQLite's busy timeout.
        self.writing = sessionmaker(self.engine.execution_options(**{WRITE_OPTION: True}),
                                    expire_on_commit=False)
        self._write_lock = threading.RLock()
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._upsert_card = _upsert_statement(self.is_sqlite)

    def close(self) -> None:
        self.engine.dispose()

    # ---- writing -------------------------------------------------------------------------

    def append(
        self,
        events: Sequence[Event],
        *,
        outbox: str | None = "sync",
        not_before: datetime | None = None,
        device_id: str | None = None,
    ) -> list[str]:
        """Store events durably and refresh the projection; returns the touched card ids.

        With `device_id`, events of that device get the next numbers of its per-device
        sequence (DESIGN.md §7), taken in the same transaction so no number is lost or reused.
        """
        with self._write_lock, self.writing.begin() as s:
            if device_id is not None:
                events = self._number(s, events, device_id)
            return self._append(s, events, outbox, not_before)

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Many small commits without an fsync each (demo data, imports that can be redone).

        Connections checked out inside the block run with synchronous=NORMAL — in WAL mode
        still safe against a crash of the app, not against power loss — and go back to FULL
        when returned; a final checkpoint writes everything to the database file.
        """
        if not self.is_sqlite:
            yield
            return

        def relax(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            _pragma(dbapi_connection, "synchronous=NORMAL")

        def restore(dbapi_connection: Any, _record: Any) -> None:
            if dbapi_connection is not None:  # None when the pool dropped a broken one
                _pragma(dbapi_connection, "synchronous=FULL")

        sa_event.listen(self.engine, "checkout", relax)
        sa_event.listen(self.engine, "checkin", restore)
        try:
            yield
        finally:
            sa_event.remove(self.engine, "checkout", relax)
            sa_event.remove(self.engine, "checkin", restore)
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")

    def _number(self, s: Session, events: Sequence[Event], device_id: str) -> list[Event]:
        row = s.get(MetaRow, "device_seq")
        seq = int(row.value) if row else 0
        numbered = []
        for event in events:
            if event.device_id == device_id and event.device_seq is None:
                seq += 1
                event = replace(event, device_seq=seq)
            numbered.append(event)
        s.merge(MetaRow(key="device_seq", value=str(seq)))
        return numbered

    def _append(self, s: Session, events: Sequence[Event], outbox: str | None,
                not_before: datetime | None) -> list[str]:
        ids = [e.id for e in events]
        known = set(s.scalars(select(EventRow.id).where(EventRow.id.in_(ids)))) if ids else set()
        fresh = [e for e in events if e.id not in known]
        if not fresh:
            return []
        # Core statements built once (below), not ORM units of work: this is the hot path.
        conn = s.connection()
        seqs = conn.execute(_INSERT_EVENTS, [
            dict(id=e.id, card_id=e.card_id, type=e.type, hlc=e.hlc, actor=e.actor,
                 device_id=e.device_id, device_seq=e.device_seq, payload=e.payload)
            for e in fresh
        ]).scalars().all()
        if outbox is not None:
            conn.execute(_INSERT_OUTBOX, [
                dict(event_id=e.id, seq=seq, channel=outbox, not_before=not_before, attempts=0)
                for e, seq in zip(fresh, seqs, strict=True)
            ])
        return self._project(s, fresh)

    def _project(self, s: Session, fresh: Sequence[Event]) -> list[str]:
        """Bring the projection of the touched cards up to date with the new events.

        The usual case (a local step, always stamped after the card's last event) applies the
        new events to the stored card; anything else — a new card, events arriving out of
        order from another workstation — folds the card again from its whole log. Both give
        the same card: the fold is deterministic and a test holds rebuild == incremental.
        """
        by_card: dict[str, list[Event]] = defaultdict(list)
        for event in fresh:
            by_card[event.card_id].append(event)
        refold: list[str] = []
        for chunk in _chunks(list(by_card), 500):
            stored = {row.id: row for row in s.execute(
                select(CardRow.id, CardRow.last_hlc, CardRow.data).where(CardRow.id.in_(chunk)))}
            for card_id in chunk:
                new = sorted(by_card[card_id], key=lambda e: e.sort_key)
                row = stored.get(card_id)
                if row is None or new[0].hlc <= row.last_hlc:
                    refold.append(card_id)
                    continue
                card = card_from_dict(row.data)
                for event in new:
                    apply(card, event)
                self._write_projection(s, card, new[-1].hlc)
        self._refold(s, refold)
        return list(by_card)

    def _refold(self, s: Session, card_ids: list[str]) -> None:
        for chunk in _chunks(card_ids, 500):
            by_card: dict[str, list[Event]] = defaultdict(list)
            for row in s.scalars(select(EventRow).where(EventRow.card_id.in_(chunk))):
                by_card[row.card_id].append(_event(row))
            for card_id in chunk:
                log = by_card[card_id]
                self._write_projection(s, fold(log, card_id),
                                       max((e.hlc for e in log), default=0))

    def _write_projection(self, s: Session, card: Card, last_hlc: int) -> None:
        if card.filed_at is None:  # events arrived before the filing: nothing to show yet
            return
        f = card.fields
        rating = card.risk_residual or card.risk_initial
        values: dict[str, Any] = dict(
            id=card.id, kind=card.kind, state=card.state, title=card.title,
            site=f.get("site"), department=f.get("department"), location=f.get("location"),
            category=f.get("category") or f.get("cause"), supervisor=card.supervisor,
            reporter=card.reporter, anonymous=card.anonymous, filed_at=card.filed_at,
            updated_at=card.updated_at, closed_at=card.closed_at,
            risk_band=rating.band if rating else None,
            risk_score=rating.score if rating else None,
            next_due=deadlines.next_due(card, self.config),
            last_hlc=last_hlc,
            data=card_to_dict(card),
        )
        conn = s.connection()
        # An upsert keeps the row's rowid, which keys its search-index entry.
        conn.execute(self._upsert_card, values)
        conn.execute(_DELETE_ACTIONS, {"card_id": card.id})
        if card.actions:
            conn.execute(_INSERT_ACTIONS, [
                dict(id=a.id, card_id=card.id, title=a.title, owner=a.owner, due=a.due,
                     status=a.status, done_at=a.done_at)
                for a in card.actions.values()
            ])
        if self.is_sqlite:
            body = "\n".join(str(f.get(k) or "") for k in SEARCH_FIELDS if k != "title")
            rowid = conn.execute(_FTS_ROWID, {"id": card.id}).scalar_one()
            conn.execute(_FTS_DELETE, {"r": rowid})
            conn.execute(_FTS_INSERT, {"r": rowid, "id": card.id, "t": card.title, "b": body})

    def rebuild(self) -> int:
        """Throw the projection away and fold every card again from the log."""
        with self._write_lock, self.writing.begin() as s:
            s.execute(delete(CardRow))
            s.execute(delete(ActionRow))
            if self.is_sqlite:
                s.execute(text("DELETE FROM cards_fts"))
            card_ids = list(s.scalars(select(EventRow.card_id).distinct()))
            self._refold(s, card_ids)
            return len(card_ids)

    # ---- reading -------------------------------------------------------------------------

    def card(self, card_id: str) -> Card:
        return self.card_and_last_hlc(card_id)[0]

    def card_and_last_hlc(self, card_id: str) -> tuple[Card, int]:
        """The card, and the HLC of its latest event (new events must be stamped after it)."""
        with self.session() as s:
            row = s.execute(select(CardRow.data, CardRow.last_hlc).where(
                CardRow.id == self.resolve_id(card_id, s))).one()
            return card_from_dict(row.data), row.last_hlc

    def resolve_id(self, text_id: str, s: Session | None = None) -> str:
        """A full card id, or the short form people read off a screen (its last 8 digits)."""
        text_id = (text_id or "").strip().lower()
        if not text_id or len(text_id) > 36 or any(c not in "0123456789abcdef-" for c in text_id):
            raise BadInput("bad_card_id", id=text_id)
        own = s or self.session()
        try:
            if own.scalar(select(CardRow.id).where(CardRow.id == text_id)) is not None:
                return text_id
            if len(text_id) >= 6:
                found = list(own.scalars(
                    select(CardRow.id).where(CardRow.id.like(f"%{text_id}")).limit(2)))
                if len(found) == 1:
                    return found[0]
                if len(found) > 1:
                    raise BadInput("ambiguous_card_id", id=text_id)
            raise NotFound("card_not_found", id=text_id)
        finally:
            if s is None:
                own.close()

    def card_events(self, card_id: str) -> list[Event]:
        with self.session() as s:
            rows = s.scalars(select(EventRow).where(EventRow.card_id == card_id)
                             .order_by(EventRow.hlc, EventRow.id))
            return [_event(r) for r in rows]

    def query_events(self, query: CardQuery) -> Iterator[Event]:
        """Every event of the cards a query selects, in (HLC, id) order — the fold's — read
        from one statement in batches, so a report over 10,000 cards can digest its whole
        log slice without holding it in memory."""
        ids = self._select(query).with_only_columns(CardRow.id)
        stmt = (select(EventRow).where(EventRow.card_id.in_(ids))
                .order_by(EventRow.hlc, EventRow.id).execution_options(yield_per=1000))
        with self.session() as s:
            for row in s.scalars(stmt):
                yield _event(row)

    def events(self, after_seq: int = 0, limit: int | None = None) -> list[tuple[int, Event]]:
        with self.session() as s:
            q = select(EventRow).where(EventRow.seq > after_seq).order_by(EventRow.seq)
            if limit:
                q = q.limit(limit)
            return [(r.seq, _event(r)) for r in s.scalars(q)]

    def action_card(self, action_id: str) -> str:
        with self.session() as s:
            card_id = s.scalar(select(ActionRow.card_id).where(ActionRow.id == action_id))
        if card_id is None:
            raise NotFound("action_not_found", id=action_id)
        return card_id

    def _select(self, q: CardQuery) -> Select[Any]:
        stmt = select(CardRow)
        for column, value in (
            (CardRow.kind, q.kind), (CardRow.state, q.state), (CardRow.site, q.site),
            (CardRow.department, q.department), (CardRow.category, q.category),
            (CardRow.supervisor, q.supervisor), (CardRow.reporter, q.reporter),
            (CardRow.risk_band, q.risk_band),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if q.overdue_at is not None:
            stmt = stmt.where(CardRow.next_due < q.overdue_at)
        if q.filed_from is not None:
            stmt = stmt.where(CardRow.filed_at >= q.filed_from)
        if q.filed_to is not None:
            stmt = stmt.where(CardRow.filed_at < q.filed_to)
        if q.open_only:
            stmt = stmt.where(CardRow.state.not_in(("closed", "rejected", "draft")))
        if q.search and q.search.strip():
            stmt = stmt.where(self._search_clause(q.search.strip()))
        return stmt

    def _search_clause(self, needle: str) -> Any:
        if self.is_sqlite and len(needle) >= 3:
            phrase = '"' + needle.replace('"', '""') + '"'
            ids = text("SELECT card_id FROM cards_fts WHERE cards_fts MATCH :q").bindparams(
                q=phrase).columns(card_id=CardRow.id.type)
            return CardRow.id.in_(ids)
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return or_(CardRow.title.ilike(pattern, escape="\\"),
                   CardRow.location.ilike(pattern, escape="\\"))

    def list_cards(self, query: CardQuery | None = None, *, limit: int | None = None,
                   offset: int = 0, newest_first: bool = True,
                   sort_by: str = "filed_at") -> list[Card]:
        """`sort_by` is one of SORTABLE; `newest_first` then means descending (ties by id)."""
        stmt = self._select(query or CardQuery())
        column = getattr(CardRow, SORTABLE[sort_by])
        order = (column.desc(), CardRow.id.desc()) if newest_first else (column, CardRow.id)
        stmt = stmt.order_by(*order).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.session() as s:
            return [card_from_dict(r.data) for r in s.scalars(stmt)]

    def count_cards(self, query: CardQuery | None = None) -> int:
        sub = self._select(query or CardQuery()).subquery()
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(sub)) or 0)

    def count_events(self) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(EventRow)) or 0)

    def outbox_count(self) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(OutboxRow)) or 0)

    def get_meta(self, key: str) -> str | None:
        with self.session() as s:
            row = s.get(MetaRow, key)
            return row.value if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write_lock, self.writing.begin() as s:
            s.merge(MetaRow(key=key, value=value))


def _upsert_statement(sqlite: bool) -> Any:
    if sqlite:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    cards = CardRow.__table__
    stmt = dialect_insert(cards)
    changed = {c.name: stmt.excluded[c.name] for c in cards.columns if c.name != "id"}
    return stmt.on_conflict_do_update(index_elements=[cards.c.id], set_=changed)


_EVENTS = EventRow.__table__
_INSERT_EVENTS = insert(_EVENTS).returning(_EVENTS.c.seq, sort_by_parameter_order=True)
_INSERT_OUTBOX = insert(OutboxRow.__table__)
_DELETE_ACTIONS = delete(ActionRow.__table__).where(
    ActionRow.__table__.c.card_id == bindparam("card_id"))
_INSERT_ACTIONS = insert(ActionRow.__table__)
_FTS_ROWID = text("SELECT rowid FROM cards WHERE id = :id")
_FTS_DELETE = text("DELETE FROM cards_fts WHERE rowid = :r")
_FTS_INSERT = text("INSERT INTO cards_fts(rowid, card_id, title, body) VALUES (:r, :id, :t, :b)")


def _pragma(dbapi_connection: Any, setting: str) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA {setting}")
    cursor.close()


def _event(row: EventRow) -> Event:
    return Event(id=row.id, card_id=row.card_id, type=row.type, hlc=row.hlc, actor=row.actor,
                 payload=row.payload, device_id=row.device_id, device_seq=row.device_seq)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
