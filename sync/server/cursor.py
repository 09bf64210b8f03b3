"""The pull cursor: opaque to clients, `(epoch, tx, seq)` to the server (DESIGN.md §7).

On SQLite `tx` is always 0 and `seq` alone orders the log; on PostgreSQL `tx` is the xid8 of
the transaction that wrote the event. The epoch changes when a database is restored, so a
cursor from before the restore restarts the client's pull from the beginning.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from forms.errors import BadInput

PREFIX = "c1"


@dataclass(frozen=True)
class Cursor:
    epoch: str
    tx: int
    seq: int

    def encode(self) -> str:
        raw = f"{PREFIX}:{self.epoch}:{self.tx}:{self.seq}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            prefix, epoch, tx, seq = raw.split(":")
            if prefix != PREFIX or int(tx) < 0 or int(seq) < 0:
                raise ValueError(raw)
            return cls(epoch, int(tx), int(seq))
        except (ValueError, UnicodeDecodeError):
            raise BadInput("sync_bad_cursor") from None
