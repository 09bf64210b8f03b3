"""Is the workstation's SQLite file damaged? Asked at every open and after a storage error.

SQLite notices a damaged page only when a statement reads it, so a store with a bad page
where no list or search looks — an index, the search index, the newest pages — would go on
answering, and taking new cards, as if nothing were wrong. The authoritative answer is
`PRAGMA quick_check`, but it reads the whole file: 0.65 s warm and 2.9 s cold at 100k cards
(478 MB; docs/performance.md), too slow for every `safecard file`. So:

- at every open, `suspect()` reads a fixed few pages whatever the size — the header, the
  freelist's trunk pages and the last TAIL_PAGES pages, where SQLite appends and where a
  torn write, a cut copy or a disk that lied about a flush shows first — and checks that each
  is what a page may be (a b-tree page whose header fits, an overflow page, a free page).
  About 1 ms. Only when something looks wrong does the full check run;
- after any SQLite error (`explain()`), the full check runs, so "disk I/O error" or
  "malformed" anywhere is told apart from a full disk or a locked file.

The verdict is always quick_check's: a false alarm of the cheap look (a checkpoint of another
process running under it) costs one full check, never a wrong message. A damaged store raises
`Damaged`: what happened and what to do (`safecard recover`), in the user's language.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from forms.errors import Damaged

MAGIC = b"SQLite format 3\x00"
TAIL_PAGES = 32
MAX_TRUNKS = 64  # freelist trunk pages walked (each lists ~1000 free pages)
LOCK_BYTE_OFFSET = 1 << 30  # the page holding this offset is never used (file format §1.3)
_BTREE = {2: 12, 5: 12, 10: 8, 13: 8}  # page type → header length


def suspect(path: Path) -> str | None:
    """Why the file looks damaged from a few pages, or None (also for no file yet)."""
    try:
        size = path.stat().st_size
        if size == 0:
            return None  # SQLite's empty database: made on first use
        with path.open("rb") as f:
            return _tail_check(f, size)
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"cannot read: {error.strerror}"


def _tail_check(f: BinaryIO, size: int) -> str | None:
    header = f.read(100)
    if len(header) < 100 or not header.startswith(MAGIC):
        return "not a SQLite file"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return "bad page size"
    if size % page_size:
        return "the file ends inside a page"
    pages = size // page_size
    if header[24:28] == header[92:96]:  # the header's page count is valid
        counted = int.from_bytes(header[28:32], "big")
        if counted > pages:
            return "the file is shorter than its header says"
        pages = counted or pages  # pages past it are not (yet) the database's
    if int.from_bytes(header[52:56], "big"):
        return None  # auto-vacuum pointer-map pages: not a layout this check knows
    usable = page_size - header[20]

    def page(number: int) -> bytes:
        f.seek((number - 1) * page_size)
        return f.read(page_size)

    free = _free_pages(header, page, pages, usable)
    if free is None:
        return "the freelist is broken"
    lock_page = LOCK_BYTE_OFFSET // page_size + 1
    for number in range(max(1, pages - TAIL_PAGES + 1), pages + 1):
        if number in free or number == lock_page:
            continue
        if not _plausible(page(number), number, usable, pages):
            return f"page {number} of {pages} is not a database page"
    return None


def _free_pages(header: bytes, page: Callable[[int], bytes], pages: int, usable: int,
                ) -> set[int] | None:
    """Every page on the freelist; None when a trunk is broken. A freelist longer than
    MAX_TRUNKS trunks is not walked to its end: its other pages count as not free."""
    free: set[int] = set()
    trunk = int.from_bytes(header[32:36], "big")
    for _ in range(MAX_TRUNKS):
        if trunk == 0:
            break
        if trunk > pages or trunk in free:
            return None
        data = page(trunk)
        count = int.from_bytes(data[4:8], "big")
        if count > usable // 4 - 2:
            return None
        free.add(trunk)
        for i in range(count):
            leaf = int.from_bytes(data[8 + 4 * i:12 + 4 * i], "big")
            if not 2 <= leaf <= pages:
                return None
            free.add(leaf)
        trunk = int.from_bytes(data[0:4], "big")
    return free


def _plausible(data: bytes, number: int, usable: int, pages: int) -> bool:
    """A b-tree page whose header and cell pointers fit in it, or an overflow page: the
    number of the next one (or 0) and content that is not all zeros (what SafeCard stores
    spills over as JSON text, which has no NUL)."""
    start = 100 if number == 1 else 0
    if data[start] in _BTREE and _btree_fits(data, start, usable, pages):
        return True
    if number == 1:
        return False
    following = int.from_bytes(data[0:4], "big")
    return following <= pages and data[4:usable].strip(b"\0") != b""


def _btree_fits(data: bytes, start: int, usable: int, pages: int) -> bool:
    header = _BTREE[data[start]]
    cells = int.from_bytes(data[start + 3:start + 5], "big")
    content = int.from_bytes(data[start + 5:start + 7], "big") or 65536
    pointers = start + header
    if pointers + 2 * cells > content or content > usable or data[start + 7] > 60:
        return False
    if header == 12 and not 2 <= int.from_bytes(data[start + 8:start + 12], "big") <= pages:
        return False
    for i in range(cells):
        cell = int.from_bytes(data[pointers + 2 * i:pointers + 2 * i + 2], "big")
        if not content <= cell < usable:
            return False
    block, previous = int.from_bytes(data[start + 1:start + 3], "big"), 0
    while block:
        if block < content or block <= previous or block + 4 > usable:
            return False
        if block + int.from_bytes(data[block + 2:block + 4], "big") > usable:
            return False
        previous, block = block, int.from_bytes(data[block:block + 2], "big")
    return True


# What SQLite answers when the file itself is bad (result codes; an extended I/O error
# code keeps 10 in its low byte): corrupt, not a database, cannot be read.
_DAMAGE = {11, 26, 10}


def problems(path: Path) -> list[str] | None:
    """What `PRAGMA quick_check` finds wrong in the file: empty when it is sound, None when
    the check could not run (the file is locked or cannot be opened: not damage)."""
    try:
        conn = sqlite3.connect(path, timeout=10)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check(20)")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return [str(error)] if is_damage(error) else None
    return [] if rows == ["ok"] else rows


def is_damage(error: BaseException) -> bool:
    """Whether a driver error says the file is damaged (not locked, full or forbidden)."""
    orig = getattr(error, "orig", error)  # SQLAlchemy wraps the driver's error
    code = getattr(orig, "sqlite_errorcode", None)
    return isinstance(orig, sqlite3.DatabaseError) and code is not None \
        and code & 0xFF in _DAMAGE


def check_at_open(path: Path) -> None:
    """Raise Damaged when the cheap look finds something and the full check confirms it."""
    if suspect(path) is not None:
        _confirm(path)


def explain(error: BaseException, path: Path) -> Damaged | None:
    """After a storage error: Damaged when the file turns out to be damaged, else None (the
    error meant something else: a full disk, a lock held too long, a permission)."""
    orig = getattr(error, "orig", error)
    if not isinstance(orig, sqlite3.DatabaseError) or not path.exists():
        return None
    try:
        _confirm(path)
    except Damaged as damaged:
        return damaged
    return None


def _confirm(path: Path) -> None:
    found = problems(path)
    if found:
        raise Damaged("store_damaged", path=str(path), detail=found[0][:200])
