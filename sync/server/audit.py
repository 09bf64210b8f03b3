"""The admin audit log: one row per admin command, chained by SHA-256.

Each row's `hash` is SHA-256 of the previous row's hash followed by the canonical JSON
(sorted keys, no spaces, UTF-8) of the row itself (seq, at, action, target, details), the
first row chaining from 64 zeros. Changing, inserting or deleting a row in the middle breaks
the chain from that row on; `verify` names the first row that does not hold.

What it does not prove: that the newest rows were not cut off together (keep a copy of the
last hash elsewhere to check that), and who typed the command (whoever can run it on the
server host). It records no passwords and nothing about anonymous reports.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column

from forms.store import syncio
from forms.store.models import UTCDateTime
from forms.store.repo import Store
from sync.server.models import ServerBase

GENESIS = "0" * 64
ACTIONS = ("add-user", "set-role", "disable-user", "revoke-device", "load-config", "new-epoch")
# Every append takes this lock on PostgreSQL, so two admins at once cannot fork the chain.
_PG_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('safecard.audit', 0))")


class AuditRow(ServerBase):
    __tablename__ = "server_audit"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(prev_hash: str, seq: int, at: datetime, action: str, target: str,
             details: str) -> str:
    body = _canonical({"seq": seq, "at": at.astimezone(UTC).isoformat(), "action": action,
                       "target": target, "details": details})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append(store: Store, action: str, target: str, details: dict[str, Any] | None = None,
           now: datetime | None = None) -> AuditRow:
    """Add one entry after the newest (in its own short transaction)."""
    # Microseconds dropped: both databases give back exactly what was hashed.
    at = (now or datetime.now(UTC)).replace(microsecond=0)
    detail_text = _canonical(details or {})
    with syncio.writing(store) as s:
        if not store.is_sqlite:
            s.execute(_PG_LOCK)
        last = s.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).first()
        seq = last.seq + 1 if last else 1
        prev = last.hash if last else GENESIS
        row = AuditRow(seq=seq, at=at, action=action, target=target[:200], details=detail_text,
                       prev_hash=prev,
                       hash=row_hash(prev, seq, at, action, target[:200], detail_text))
        s.add(row)
    return row


@dataclass(frozen=True)
class Verdict:
    entries: int
    broken_at: int | None  # seq of the first entry that does not hold
    why: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(store: Store) -> Verdict:
    prev = GENESIS
    expected_seq = 1
    n = 0
    with store.session() as s:
        for row in s.scalars(select(AuditRow).order_by(AuditRow.seq)):
            if row.seq != expected_seq:
                return Verdict(n, row.seq, "gap")
            if row.prev_hash != prev:
                return Verdict(n, row.seq, "prev_hash")
            if row.hash != row_hash(prev, row.seq, row.at, row.action, row.target, row.details):
                return Verdict(n, row.seq, "hash")
            prev = row.hash
            expected_seq += 1
            n += 1
    return Verdict(n, None)


def entries(store: Store) -> list[AuditRow]:
    with store.session() as s:
        return list(s.scalars(select(AuditRow).order_by(AuditRow.seq)))
