"""The store: append events and keep the card projection in step, in one transaction.

Appending is the only way to change a card. Each append inserts the events (an event id
already present is skipped, so a retried append never doubles anything), brings every card
they touch up to date (see `_plan`), rewrites those cards' projection rows, and queues the
new events in the outbox, all in one durable commit. It works a batch at a time — one
filing, a pulled page, an import's chunk of thousands of cards — with a few statements per
few hundred cards, not per card.
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Select,
    Text,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker

from forms import deadlines
from forms.card import Card
from forms.config import Config
from forms.errors import BadInput, NotFound
from forms.events import Event
from forms.fold import apply, fold
from forms.serialize import card_from_dict, card_to_dict, card_to_json
from forms.store.db import WRITE_OPTION, make_engine, upgrade
from forms.store.models import ActionRow, CardRow, EventRow, MetaRow, OutboxRow

T = TypeVar("T")
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


@dataclass(frozen=True)
class Part:
    """Events appended together, and the outbox channel that queues them for sync (None:
    not queued — pulled, demo or server-side events)."""

    events: Sequence[Event]
    outbox: str | None = "sync"
    not_before: datetime | None = None


@dataclass
class _Plan:
    """The touched cards of one append, by how their projection is brought up to date."""

    by_card: dict[str, list[Event]] = field(default_factory=lambda: defaultdict(list))
    new: dict[str, list[Event]] = field(default_factory=dict)  # first events in this store
    later: dict[str, tuple[dict[str, Any], list[Event]]] = field(default_factory=dict)
    refold: list[str] = field(default_factory=list)  # fold again from the whole log

    def cards(self) -> Iterator[tuple[Card, int]]:
        for card_id, new in self.new.items():
            yield fold(new, card_id), new[-1].hlc
        for data, new in self.later.values():
            card = card_from_dict(data)
            for event in new:
                apply(card, event)
            yield card, new[-1].hlc


class Store:
    def __init__(self, url: str, config: Config, *, migrate: bool = True,
                 pre_ping: bool = True) -> None:
        self.url = url
        self.config = config
        self.engine = make_engine(url, pre_ping=pre_ping)
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
        self._prepared: dict[tuple[int, tuple[str, ...]], tuple[str, list[Any]]] = {}

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
        return self.append_many([Part(events, outbox, not_before)], device_id=device_id)

    def append_many(self, parts: Sequence[Part], *, device_id: str | None = None) -> list[str]:
        """`append` for many cards at once (an import): one transaction, one durable commit,
        each part queued in its own outbox channel. All of it is stored, or none."""
        with self._write_lock, self.writing.begin() as s:
            if device_id is not None:
                parts = self._number(s, parts, device_id)
            return self._append(s, parts)

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

    def _number(self, s: Session, parts: Sequence[Part], device_id: str) -> list[Part]:
        row = s.get(MetaRow, "device_seq")
        seq = int(row.value) if row else 0
        numbered = []
        for part in parts:
            events = []
            for event in part.events:
                if event.device_id == device_id and event.device_seq is None:
                    seq += 1
                    # Built directly: dataclasses.replace costs more than the rest of numbering.
                    event = Event(event.id, event.card_id, event.type, event.hlc, event.actor,
                                  event.payload, event.device_id, seq)
                events.append(event)
            numbered.append(replace(part, events=events))
        s.merge(MetaRow(key="device_seq", value=str(seq)))
        return numbered

    def _append(self, s: Session, parts: Sequence[Part]) -> list[str]:
        """Insert the parts' events not stored yet, queue them, refresh their cards.

        Batch-wise, so a page of a thousand pulled events or an import costs a few statements
        per few hundred cards rather than several per card: the projection rows are read
        once, the events and outbox rows go in with executemany, each touched card is folded
        once, and its projection, actions and search rows are written in bulk.
        """
        queue: dict[str, Part] = {}
        fresh_by_id: dict[str, Event] = {}
        for part in parts:
            for event in part.events:  # an id twice in one call is stored once, the first
                queue.setdefault(event.id, part)
                fresh_by_id.setdefault(event.id, event)
        conn = s.connection()
        for chunk in batches(list(fresh_by_id)):
            for known in conn.execute(select(_EVENTS.c.id).where(_EVENTS.c.id.in_(chunk))):
                del fresh_by_id[known.id]
        fresh = list(fresh_by_id.values())
        if not fresh:
            return []
        plan = self._plan(s, fresh)
        rows = [dict(id=e.id, card_id=e.card_id, type=e.type, hlc=e.hlc, actor=e.actor,
                     device_id=e.device_id, device_seq=e.device_seq, payload=e.payload)
                for e in fresh]
        self._many(conn, _INSERT_EVENTS, rows)
        queued = [e.id for e in fresh if queue[e.id].outbox is not None]
        for chunk in batches(queued):
            # The outbox keeps the log's order. (Read back rather than RETURNING, which
            # SQLite's driver would run one row at a time to keep the order.)
            seqs = conn.execute(select(_EVENTS.c.id, _EVENTS.c.seq)
                                .where(_EVENTS.c.id.in_(chunk))).all()
            self._many(conn, _INSERT_OUTBOX, [
                dict(event_id=event_id, seq=seq, channel=queue[event_id].outbox,
                     not_before=queue[event_id].not_before, attempts=0)
                for event_id, seq in seqs])
        self._write_projections(s, [*plan.cards(), *self._fold_from_log(s, plan.refold)])
        return list(plan.by_card)

    def _plan(self, s: Session, fresh: Sequence[Event]) -> _Plan:
        """How each touched card is brought up to date, decided before the events go in.

        The usual cases need no read of the log: a card new to this store is folded from
        its new events alone, and a local step (always stamped after the card's last event)
        is applied to the stored card. Anything else — events arriving out of order from
        another workstation, events of a card filed elsewhere and not seen yet — folds the
        card again from its whole log. All give the same card: the fold is deterministic,
        and tests hold rebuild == incremental == bulk.
        """
        plan = _Plan()
        for event in fresh:
            plan.by_card[event.card_id].append(event)
        conn = s.connection()
        for chunk in batches(list(plan.by_card)):
            stored = {row.id: row for row in conn.execute(
                select(_CARDS.c.id, _CARDS.c.last_hlc, _CARDS.c.data)
                .where(_CARDS.c.id.in_(chunk)))}
            unseen = [card_id for card_id in chunk if card_id not in stored]
            logged = set(conn.scalars(select(_EVENTS.c.card_id).distinct()
                                      .where(_EVENTS.c.card_id.in_(unseen)))) if unseen else ()
            for card_id in chunk:
                new = sorted(plan.by_card[card_id], key=lambda e: e.sort_key)
                row = stored.get(card_id)
                if row is None and card_id not in logged:
                    plan.new[card_id] = new
                elif row is not None and new[0].hlc > row.last_hlc:
                    plan.later[card_id] = (row.data, new)
                else:
                    plan.refold.append(card_id)
        return plan

    def _fold_from_log(self, s: Session, card_ids: list[str]) -> Iterator[tuple[Card, int]]:
        conn = s.connection()
        for chunk in batches(card_ids):
            by_card: dict[str, list[Event]] = defaultdict(list)
            for row in conn.execute(select(_EVENTS).where(_EVENTS.c.card_id.in_(chunk))):
                by_card[row.card_id].append(_event(row))
            for card_id in chunk:
                log = by_card[card_id]
                yield fold(log, card_id), max((e.hlc for e in log), default=0)

    def _write_projections(self, s: Session, cards: Iterable[tuple[Card, int]]) -> None:
        """Upsert the cards' projection rows, and replace their actions and search entries,
        a few hundred cards per statement. A card with no filing yet has nothing to show."""
        conn = s.connection()
        shown = (self._projection_row(card, last) for card, last in cards
                 if card.filed_at is not None)
        for chunk in batches(shown):
            ids = [row["id"] for row, _card in chunk]
            # An upsert keeps the row's rowid, which keys its search-index entry.
            self._many(conn, self._upsert_card, [row for row, _card in chunk])
            conn.execute(delete(_ACTIONS).where(_ACTIONS.c.card_id.in_(ids)))
            actions = [dict(id=a.id, card_id=card.id, title=a.title, owner=a.owner, due=a.due,
                            status=a.status, done_at=a.done_at)
                       for _row, card in chunk for a in card.actions.values()]
            if actions:
                self._many(conn, _INSERT_ACTIONS, actions)
            if self.is_sqlite:
                rowids = dict(conn.execute(_ROWIDS, {"ids": ids}).all())
                conn.execute(_FTS_DELETE, {"r": list(rowids.values())})
                self._many(conn, _FTS_INSERT, [
                    {"r": rowids[card.id], "id": card.id, "t": card.title,
                     "b": "\n".join(str(card.fields.get(k) or "") for k in SEARCH_FIELDS[1:])}
                    for _row, card in chunk])

    def _many(self, conn: Connection, stmt: Any, rows: list[dict[str, Any]]) -> None:
        """executemany of a prebuilt statement. On SQLite the rows go to the driver as
        tuples, each value through its column's own bind processor: SQLAlchemy's generic
        per-row parameter handling cost as much as SQLite's insert itself on a bulk write."""
        if not self.is_sqlite or not rows:
            if rows:
                conn.execute(stmt, rows)
            return
        key = (id(stmt), tuple(rows[0]))
        prepared = self._prepared.get(key)
        if prepared is None:
            compiled = stmt.compile(dialect=conn.dialect, column_keys=list(rows[0]))
            names = list(compiled.positiontup or ())
            processors = [compiled.binds[n].type.bind_processor(conn.dialect) for n in names]
            prepared = self._prepared[key] = (compiled.string, list(zip(names, processors,
                                                                        strict=True)))
        sql, columns = prepared
        conn.exec_driver_sql(sql, [tuple(row[n] if p is None else p(row[n])
                                         for n, p in columns) for row in rows])

    def _projection_row(self, card: Card, last_hlc: int) -> tuple[dict[str, Any], Card]:
        f = card.fields
        rating = card.risk_residual or card.risk_initial
        return dict(
            id=card.id, kind=card.kind, state=card.state, title=card.title,
            site=f.get("site"), department=f.get("department"), location=f.get("location"),
            category=f.get("category") or f.get("cause"), supervisor=card.supervisor,
            reporter=card.reporter, anonymous=card.anonymous, filed_at=card.filed_at,
            updated_at=card.updated_at, closed_at=card.closed_at,
            risk_band=rating.band if rating else None,
            risk_score=rating.score if rating else None,
            next_due=deadlines.next_due(card, self.config),
            last_hlc=last_hlc,
            # SQLite stores JSON as text: the text is made here in one pass (see _upsert).
            data=card_to_json(card) if self.is_sqlite else card_to_dict(card),
        ), card

    def rebuild(self) -> int:
        """Throw the projection away and fold every card again from the log."""
        with self._write_lock, self.writing.begin() as s:
            s.execute(delete(CardRow))
            s.execute(delete(ActionRow))
            if self.is_sqlite:
                s.execute(text("DELETE FROM cards_fts"))
            card_ids = list(s.scalars(select(EventRow.card_id).distinct()))
            self._write_projections(s, self._fold_from_log(s, card_ids))
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

    def selection(self, q: CardQuery) -> Select[Any]:
        """The cards a query selects, as a statement to narrow or order further."""
        return self._select(q)

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
            # The index's rowid is the card row's (see _write_projections). The unary `+`
            # keeps SQLite from looking each match up by rowid and sorting them all: it walks
            # the list's order index instead and stops at a page of matches (a common word
            # among 100k cards: a few ms, not the 50-100 of sorting its thousands of matches).
            rowids = text("SELECT rowid FROM cards_fts WHERE cards_fts MATCH :q").bindparams(
                q=fts_phrase(needle))
            return literal_column("+cards.rowid").in_(rowids)
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return or_(CardRow.title.ilike(pattern, escape="\\"),
                   CardRow.location.ilike(pattern, escape="\\"))

    def list_cards(self, query: CardQuery | None = None, *, limit: int | None = None,
                   offset: int = 0, newest_first: bool = True,
                   sort_by: str = "filed_at") -> list[Card]:
        """`sort_by` is one of SORTABLE; `newest_first` then means descending (ties by id).

        A page picks its ids first and only then reads those cards' JSON: sorting or skipping
        over narrow (key, id) rows, not whole cards, keeps a page of 100k cards in
        milliseconds when an index gives the order and tolerable when none does.
        """
        stmt = self._select(query or CardQuery())
        column = getattr(CardRow, SORTABLE[sort_by])
        order = (column.desc(), CardRow.id.desc()) if newest_first else (column, CardRow.id)
        if limit is None:
            stmt = stmt.with_only_columns(CardRow.data).order_by(*order).offset(offset)
        else:
            page = (stmt.with_only_columns(CardRow.id).order_by(*order).offset(offset)
                    .limit(limit).subquery())
            stmt = select(CardRow.data).join(page, CardRow.id == page.c.id).order_by(*order)
        with self.session() as s:
            return [card_from_dict(data) for data in s.scalars(stmt)]

    def count_cards(self, query: CardQuery | None = None) -> int:
        sub = self._select(query or CardQuery()).with_only_columns(CardRow.id).subquery()
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


def fts_phrase(needle: str) -> str:
    """The search text as one FTS5 phrase (quotes doubled), matched anywhere (trigrams)."""
    return '"' + needle.replace('"', '""') + '"'


def _upsert_statement(sqlite: bool) -> Any:
    if sqlite:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    cards = CardRow.__table__
    stmt = dialect_insert(cards)
    if sqlite:  # `data` comes as JSON text already (serialize.card_to_json)
        stmt = stmt.values({c.name: bindparam(c.name, type_=Text() if c.name == "data"
                                              else c.type) for c in cards.columns})
    changed = {c.name: stmt.excluded[c.name] for c in cards.columns if c.name != "id"}
    return stmt.on_conflict_do_update(index_elements=[cards.c.id], set_=changed)


_EVENTS = EventRow.__table__
_CARDS = CardRow.__table__
_ACTIONS = ActionRow.__table__
_INSERT_EVENTS = insert(_EVENTS)
_INSERT_OUTBOX = insert(OutboxRow.__table__)
_INSERT_ACTIONS = insert(_ACTIONS)
_ROWIDS = text("SELECT id, rowid FROM cards WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True))
_FTS_DELETE = text("DELETE FROM cards_fts WHERE rowid IN :r").bindparams(
    bindparam("r", expanding=True))
_FTS_INSERT = text("INSERT INTO cards_fts(rowid, card_id, title, body) VALUES (:r, :id, :t, :b)")


def _pragma(dbapi_connection: Any, setting: str) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA {setting}")
    cursor.close()


def _event(row: Any) -> Event:  # an ORM row or a Core row of `events`
    return Event(id=row.id, card_id=row.card_id, type=row.type, hlc=row.hlc, actor=row.actor,
                 payload=row.payload, device_id=row.device_id, device_seq=row.device_seq)


def batches(items: Iterable[T], size: int = 500) -> Iterator[list[T]]:
    """`items` in lists of `size`: an IN list or executemany kept within SQLite's and
    PostgreSQL's comfortable parameter counts."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
