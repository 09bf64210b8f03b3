"""What a workstation store must look like after any crash: checked with plain sqlite3."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path


def _connect(db: Path) -> sqlite3.Connection:
    # Read-write on purpose: opening a WAL database after a crash recovers it, exactly as the
    # next `safecard` start would.
    return sqlite3.connect(db)


def integrity(db: Path) -> str:
    conn = _connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def check_whole(db: Path) -> dict[str, str]:
    """Assert the store is whole; return its cards as {card id: title}.

    Whole means: integrity_check ok; every card has exactly its two filing events (card_filed
    and routed, written in one transaction), a projection row and both events in the outbox;
    event ids are unique; the device sequence runs 1..N with no gap and no repeat."""
    conn = _connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        cards = dict(conn.execute("SELECT id, title FROM cards"))
        per_card = Counter(row[0] for row in conn.execute("SELECT card_id FROM events"))
        assert set(per_card) == set(cards), "events without a card, or a card without events"
        assert set(per_card.values()) <= {2}, "a card filed half-way"
        ids = [row[0] for row in conn.execute("SELECT id FROM events")]
        assert len(ids) == len(set(ids))
        seqs = sorted(row[0] for row in conn.execute("SELECT device_seq FROM events"))
        assert seqs == list(range(1, len(seqs) + 1)), "device sequence has a gap or a repeat"
        queued = {row[0] for row in conn.execute("SELECT event_id FROM outbox")}
        assert queued == set(ids), "an event missing from the outbox"
        return cards
    finally:
        conn.close()


def projection(db: Path) -> list[tuple[object, ...]]:
    conn = _connect(db)
    try:
        return [*conn.execute("SELECT * FROM cards ORDER BY id"),
                *conn.execute("SELECT * FROM card_actions ORDER BY id")]
    finally:
        conn.close()
