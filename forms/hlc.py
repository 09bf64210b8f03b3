"""Hybrid logical clock (Kulkarni et al.): wall-clock milliseconds plus a counter.

Packed into one integer, `ms << 16 | counter`, so events sort by it in any database and
two workstations with slightly different clocks still order causally related events.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

COUNTER_BITS = 16
COUNTER_MASK = (1 << COUNTER_BITS) - 1


def pack(ms: int, counter: int) -> int:
    return (ms << COUNTER_BITS) | counter


def unpack(hlc: int) -> tuple[int, int]:
    return hlc >> COUNTER_BITS, hlc & COUNTER_MASK


def to_datetime(hlc: int) -> datetime:
    return datetime.fromtimestamp((hlc >> COUNTER_BITS) / 1000, tz=UTC)


def from_datetime(moment: datetime) -> int:
    return pack(int(moment.timestamp() * 1000), 0)


class HybridClock:
    """Issues strictly increasing HLC values; `observe` merges a remote one."""

    def __init__(self, wall_ms: Callable[[], int] | None = None, last: int = 0) -> None:
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self._last = last
        self._lock = threading.Lock()

    def now(self) -> int:
        with self._lock:
            last_ms, last_c = unpack(self._last)
            wall = self._wall_ms()
            self._last = pack(wall, 0) if wall > last_ms else pack(last_ms, last_c + 1)
            return self._last

    def observe(self, remote: int) -> None:
        with self._lock:
            self._last = max(self._last, remote)
