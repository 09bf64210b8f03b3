"""The server's blob store: attachments in the `server_blobs` table (docs/decisions.md, Sync).

A blob is stored in one statement (`INSERT … ON CONFLICT DO NOTHING`): it is there whole or
not at all, so an upload cut mid-way leaves nothing, and a blob is never overwritten (its
name is the hash of its bytes, checked before anything is written). A blob is a photo as a
workstation makes one (forms.photos.refusal): a JPEG or PNG within 2048 px with no metadata;
anything else is refused, never re-encoded (that would change its name).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from forms import photos
from forms.errors import BadInput
from forms.store import syncio
from forms.store.repo import Store, batches
from sync import blobs as b
from sync.server.models import BlobRow


class BlobRefused(BadInput):
    """The body is not the blob its name says (400 hash_mismatch), not an image or one that
    still carries metadata (415 not_an_image, photo_metadata)."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(f"sync_{reason}")
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Blob:
    data: bytes
    media_type: str


def check(name: str, data: bytes) -> str:
    """The media type of `data` if the server may keep it under `name`, else BlobRefused.
    Decodes the image: call it before a transaction, not inside one."""
    if hashlib.sha256(data).hexdigest() != name:
        raise BlobRefused("hash_mismatch", 400)
    kind = b.media_type(data)
    if kind is None:
        raise BlobRefused("not_an_image", 415)
    reason = photos.refusal(data)  # a bomb, a fake, a huge one, one with metadata
    if reason is not None:
        raise BlobRefused(reason, 415)
    return kind


def put(store: Store, name: str, data: bytes) -> bool:
    """Keep `data` under `name`; True when stored now, False when it was already there."""
    kind = check(name, data)
    with syncio.writing(store) as s:
        return insert(s, store, name, data, kind)


def insert(s: Session, store: Store, name: str, data: bytes, kind: str) -> bool:
    """Store a blob `check` accepted, in the caller's transaction (so a request refused later
    in it stores nothing); False when it was already there."""
    dialect_insert = sqlite_insert if store.is_sqlite else pg_insert
    statement = (dialect_insert(BlobRow)
                 .values(sha256=name, size=len(data), media_type=kind, data=data)
                 .on_conflict_do_nothing(index_elements=["sha256"])
                 .returning(BlobRow.sha256))
    return s.execute(statement).first() is not None  # no row: it was already there


def has(store: Store, name: str) -> bool:
    with store.session() as s:
        return bool(present(s, [name]))


def get(store: Store, name: str) -> Blob | None:
    with store.session() as s:
        row = s.execute(select(BlobRow.data, BlobRow.media_type)
                        .where(BlobRow.sha256 == name)).first()
    return Blob(bytes(row.data), row.media_type) if row else None


def present(s: Session, names: Iterable[str]) -> set[str]:
    """Which of these blobs are stored (malformed names never are)."""
    wanted = sorted({n for n in names if b.is_name(n)})
    found: set[str] = set()
    for chunk in batches(wanted):
        found.update(s.scalars(select(BlobRow.sha256).where(BlobRow.sha256.in_(chunk))))
    return found
