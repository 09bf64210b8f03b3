"""A pull never skips an event whose transaction commits after a later one (DESIGN.md §7).

Connection A inserts an event and holds its transaction open; on PostgreSQL connection B
meanwhile inserts another (a higher seq) and commits, and a pull runs. A plain `seq > cursor`
reader would return B's event, move its cursor past A's lower seq, and never see A's event.
The (tx, seq) rule holds both back until A ends. SQLite allows one writer, so there B waits;
the same test checks that an uncommitted event is invisible and then delivered once.
"""

from __future__ import annotations

from sqlalchemy import insert

from forms.ids import uuid7
from forms.store.models import EventRow
from forms.store.repo import Store
from sync.server import storage


def _row(card: str) -> dict[str, object]:
    return dict(id=uuid7(), card_id=card, type="comment.added", hlc=1, actor="x",
                device_id=None, device_seq=None, payload={}, payload_hash="h")


def _pull_all(store: Store, cursor: str | None) -> tuple[list[str], str]:
    ids: list[str] = []
    while True:
        page = storage.pull(store, cursor, 100)
        ids += [e.id for e in page.events]
        cursor = page.cursor
        if not page.more:
            return ids, cursor


def test_a_late_commit_of_a_lower_seq_is_not_skipped(server_store: Store) -> None:
    store = server_store
    with store.session.begin() as s:
        s.execute(insert(EventRow).values(**_row(uuid7())))
    seen, cursor = _pull_all(store, None)
    assert len(seen) == 1

    late = _row(uuid7())
    a = store.engine.connect()
    a_tx = a.begin()
    a.execute(insert(EventRow).values(**late))  # takes the lower seq, commits late
    early = _row(uuid7())
    if not store.is_sqlite:
        with store.session.begin() as s:  # B: a higher seq, committed first
            s.execute(insert(EventRow).values(**early))

    during, cursor = _pull_all(store, cursor)
    assert late["id"] not in during
    a_tx.commit()
    a.close()
    if store.is_sqlite:
        with store.session.begin() as s:
            s.execute(insert(EventRow).values(**early))

    after, cursor = _pull_all(store, cursor)
    delivered = during + after
    assert sorted(delivered) == sorted([late["id"], early["id"]])
    assert len(delivered) == len(set(delivered))  # each exactly once
    assert _pull_all(store, cursor)[0] == []
