"""A damaged store rebuilt from what can still be read of it (`safecard recover`).

The event log is the only source of truth (DESIGN.md §3), so recovery reads just that and
the few rows that say what a workstation still owes the server: the log (`events`), what
waits to be sent (`outbox`) and the workstation's own values (`meta`: its device id, its
sequence). Each table is read in rowid order; where a page cannot be read the reader steps
over it (`_Reader`) and goes on after it, so one bad page costs the rows on that page, not the
rest of the table. The projection — cards, actions, search index — is not read at all: it is
folded again from the events, in a new file, by the store's own append.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forms.events import Event
from forms.store.repo import Part, Store

CHUNK = 5000  # events per transaction of the rebuild
_FIRST = 0  # rowids of these tables start at 1


@dataclass
class Salvage:
    """What was read: the events (with the outbox channel and delay of those still to be
    sent) and the meta rows; how many events up to the last one read were lost (rows that
    could not be read, or not as an event), and whether the log and the outbox were read
    whole (when the log was not, more may be lost past the last one read)."""

    events: list[Event] = field(default_factory=list)
    queued: dict[str, tuple[str, datetime | None]] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    lost_events: int = 0
    log_whole: bool = True
    outbox_whole: bool = True


def salvage(path: Path) -> Salvage:
    found = Salvage()
    try:
        conn = sqlite3.connect(path, timeout=10)
    except sqlite3.Error:
        found.log_whole = found.outbox_whole = False
        return found
    try:
        log = _Reader(conn, "events", "id, card_id, type, hlc, actor, device_id, device_seq, "
                                      "payload")
        last = 0
        for row in log.rows():
            last = row[0]
            event = _event(row)
            if event is not None:
                found.events.append(event)
        # The log's sequence starts at 1 and has no gaps: every number up to the last one
        # read that is not an event read is lost (after it, how many were lost is unknown).
        found.lost_events = last - len(found.events)
        outbox = _Reader(conn, "outbox", "event_id, channel, not_before")
        found.queued = {str(r[1]): (str(r[2]), _moment(r[3])) for r in outbox.rows()}
        found.meta = {str(r[1]): str(r[2]) for r in _Reader(conn, "meta", "key, value").rows()}
        found.log_whole, found.outbox_whole = not log.damaged, not outbox.damaged
    finally:
        conn.close()
    return found


class _Reader:
    """(rowid, *columns) of every readable row of a table, in rowid order. Where a page
    cannot be read, the rowid from which the table reads again is found by doubling steps
    and halving back, and reading goes on from there; `damaged` tells that it happened."""

    def __init__(self, conn: sqlite3.Connection, table: str, columns: str) -> None:
        self.conn = conn
        self.query = f"SELECT rowid, {columns} FROM {table} WHERE rowid > ? ORDER BY rowid"
        self.probe = f"SELECT rowid FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT 1"
        self.damaged = False

    def rows(self) -> Iterator[tuple[Any, ...]]:
        after: int | None = _FIRST
        while after is not None:
            try:
                for row in self.conn.execute(self.query, (after,)):
                    yield row
                    after = row[0]
                return
            except sqlite3.DatabaseError:
                self.damaged = True
                after = self._past_damage(after)

    def _readable(self, after: int) -> bool:
        try:
            self.conn.execute(self.probe, (after,)).fetchall()
        except sqlite3.DatabaseError:
            return False
        return True

    def _past_damage(self, after: int) -> int | None:
        low, step = after, 1
        while not self._readable(after + step):
            low = after + step
            step *= 2
            if after + step > 2**62:
                return None  # nothing past `after` reads (or the table is gone)
        high = after + step
        while high - low > 1:
            middle = (low + high) // 2
            if self._readable(middle):
                high = middle
            else:
                low = middle
        return high


def _event(row: tuple[Any, ...]) -> Event | None:
    _rowid, event_id, card_id, kind, hlc, actor, device_id, device_seq, payload = row
    try:
        data = json.loads(payload)
    except (TypeError, ValueError):
        return None
    if not (isinstance(event_id, str) and isinstance(card_id, str) and isinstance(kind, str)
            and isinstance(hlc, int) and isinstance(data, dict)):
        return None
    return Event(event_id, card_id, kind, hlc, actor if isinstance(actor, str) else None,
                 data, device_id if isinstance(device_id, str) else None,
                 device_seq if isinstance(device_seq, int) else None)


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC) if value else None
    except ValueError:
        return None


def rebuild(found: Salvage, store: Store, *, forget: Iterable[str] = ()) -> int:
    """Append the salvaged events to an empty `store`, each queued as it was; copy the meta
    rows but those named in `forget`. When the outbox could not be read whole, every event
    of this workstation is queued again: the server answers those it has as known (a push
    is idempotent), so nothing unsent is left behind. Returns the number of cards."""
    device = found.meta.get("device_id")
    queued = dict(found.queued)
    if not found.outbox_whole and device:
        for event in found.events:
            if event.device_id == device:
                queued.setdefault(event.id, ("sync", None))
    with store.bulk():
        for start in range(0, len(found.events), CHUNK):
            chunk = found.events[start:start + CHUNK]
            by_queue: dict[tuple[str | None, datetime | None], list[Event]] = defaultdict(list)
            for event in chunk:
                by_queue[queued.get(event.id, (None, None))].append(event)
            store.append_many([Part(events, outbox=channel, not_before=not_before)
                               for (channel, not_before), events in by_queue.items()])
    kept = {k: v for k, v in found.meta.items() if k not in set(forget)}
    own = [e.device_seq for e in found.events if e.device_id == device and e.device_seq]
    if own:  # numbers already used are never given out again
        kept["device_seq"] = str(max([int(kept.get("device_seq") or 0), *own]))
    for key, value in kept.items():
        store.set_meta(key, value)
    return store.count_cards()
