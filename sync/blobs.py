"""Attachments as content-addressed blobs (DESIGN.md §7): which blobs an event names.

A blob's name is the SHA-256 (lowercase hex) of its bytes. A card's photos are named in the
`card.filed` payload's `fields.photos`; an `attachment.added` event names one in
`payload.sha256`. Both ends use `referenced()`: the client uploads these before it pushes
the event, the server refuses the event (`missing_blob`) while it lacks one of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from forms import events as ev
from forms.events import Event

SHA256 = re.compile(r"^[0-9a-f]{64}$")
SHA256_PATTERN = SHA256.pattern
MAX_BLOB_BYTES = 10 * 1024 * 1024
# Scrubbed photos are JPEGs (forms/photos.py); PNG is accepted for future attachments.
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def is_name(value: object) -> bool:
    return isinstance(value, str) and SHA256.match(value) is not None


def media_type(data: bytes) -> str | None:
    """image/jpeg or image/png by the first bytes, None for anything else."""
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    if data.startswith(PNG_MAGIC):
        return "image/png"
    return None


def referenced(event: Event) -> list[str]:
    """The blob names an event refers to, in order, without repeats (any string, even a
    malformed one: the server refuses an event naming a blob it cannot have)."""
    names: list[object] = []
    payload = event.payload if isinstance(event.payload, dict) else {}
    if event.type == ev.CARD_FILED:
        fields = payload.get("fields")
        photos = fields.get("photos") if isinstance(fields, dict) else None
        if isinstance(photos, list):
            names.extend(photos)
    elif event.type == ev.ATTACHMENT_ADDED:
        names.append(payload.get("sha256"))
    return list(dict.fromkeys(str(n) for n in names if n is not None))


def referenced_by(events: Iterable[Event]) -> list[str]:
    return list(dict.fromkeys(name for e in events for name in referenced(e)))
