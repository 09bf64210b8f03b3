"""Identifiers: UUIDv7 (RFC 9562) so ids sort by creation time across machines."""

from __future__ import annotations

import os
import time
import uuid


def uuid7(ms: int | None = None) -> str:
    """A UUIDv7 string: 48-bit Unix milliseconds, then 74 random bits."""
    if ms is None:
        ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def short_id(card_id: str) -> str:
    """The part of a card id people read aloud (last 8 hex digits)."""
    return card_id.replace("-", "")[-8:]
