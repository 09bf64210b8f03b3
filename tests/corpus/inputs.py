"""The corpus as data: hostile card inputs, hostile strings and hostile images.

Everything is generated, nothing is shipped: each case is small to build (the 1 MB strings and
the decompression-bomb PNG take milliseconds)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from PIL import Image

# A valid card every case is a variation of (tests/cli/test_cli.py's HAZARD).
HAZARD: dict[str, Any] = {
    "kind": "hazard", "title": "Нет ограждения на площадке", "description": "Сняли перила",
    "site": "sever", "department": "synthesis", "location": "Резервуар Р-12",
    "category": "height", "work_stopped": True, "observed_at": "2026-11-20T09:15"}

MEGABYTE = 1_048_576

# Strings that are valid text: stored verbatim and harmless (never executed, never a path).
SQL_STRINGS = ["'; DROP TABLE events; --", '" OR 1=1 --', "1; DELETE FROM cards WHERE 1=1",
               "Robert'); DROP TABLE students;--", "' UNION SELECT * FROM users --"]
PATH_STRINGS = ["../../etc/passwd", "..\\..\\windows\\system32", "/etc/shadow",
                "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "file:///etc/passwd"]
HARMLESS_TEXT = SQL_STRINGS + PATH_STRINGS

# Every C0 control character except tab, newline and carriage return, plus DEL.
CONTROL_CHARS = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\x7f"]


def _card(**fields: Any) -> bytes:
    return json.dumps(HAZARD | fields, ensure_ascii=False).encode()


def _deep(depth: int) -> bytes:
    return b'{"kind": "hazard", "title": ' + b"[" * depth + b"]" * depth + b"}"


def bad_cards() -> dict[str, bytes]:
    """Raw stdin / JSONL-line bytes, each refused with exit code 2."""
    cases: dict[str, bytes] = {
        "malformed: truncated": b'{"kind": "hazard", "title": ',
        "malformed: trailing comma": b'{"kind": "hazard",}',
        "malformed: single quotes": b"{'kind': 'hazard'}",
        "malformed: two objects": _card() + _card(),
        "malformed: bare word": b"hazard",
        "not an object: array": b'["hazard"]',
        "not an object: string": b'"hazard"',
        "not an object: number": b"42",
        "not an object: null": b"null",
        "nan": _card(work_stopped=True).replace(b"true", b"NaN"),
        "infinity": _card(work_stopped=True).replace(b"true", b"Infinity"),
        "huge number": _card(work_stopped=True).replace(b"true", b"1" + b"0" * 5000),
        "deep nesting": _deep(10_000),
        "duplicate keys": b'{"kind": "hazard", "kind": "incident"}',
        "bom then garbage": b"\xef\xbb\xbf{broken",
        "invalid utf-8: lone continuation": b'{"kind": "hazard", "title": "\x80"}',
        "invalid utf-8: overlong": b'{"kind": "hazard", "title": "\xc0\xaf"}',
        "invalid utf-8: surrogate": b'{"kind": "hazard", "title": "\xed\xa0\x80"}',
        "invalid utf-8: latin-1": "{\"kind\": \"hazard\", \"title\": \"café\"}".encode("latin-1"),
        "utf-16": json.dumps(HAZARD).encode("utf-16"),
        "lone surrogate escape": json.dumps(HAZARD | {"title": "\ud800"}).encode(),
        "null byte in title": _card(title="a\x00b"),
        "null byte in key": b'{"kind\\u0000": "hazard"}',
        "title 1 MB": _card(title="x" * MEGABYTE),
        "description 1 MB": _card(description="я" * MEGABYTE),
        "unknown field": _card(priority="high"),
        "sql as field name": _card(**{"'; DROP TABLE events; --": 1}),
        "path as photo": _card(photos=["../../etc/passwd"]),
        "windows path as photo": _card(photos=["..\\..\\windows\\win.ini"]),
        "sql as kind": _card(kind="hazard'; DROP TABLE events; --"),
        "path as kind": _card(kind="../../etc/passwd"),
        "path as category": _card(category="../../etc/passwd"),
    }
    for field, wrong in [("title", 5), ("title", None), ("title", ["a"]), ("title", {"a": 1}),
                         ("work_stopped", "yes"), ("work_stopped", 1), ("observed_at", 20261120),
                         ("photos", "a.jpg"), ("photos", [1]), ("kind", 7),
                         ("description", True), ("site", [])]:
        cases[f"wrong type: {field}={json.dumps(wrong)}"] = _card(**{field: wrong})
    for char in CONTROL_CHARS:
        cases[f"control char U+{ord(char):04X} in title"] = _card(title=f"a{char}b")
    return cases


def harmless_cards() -> dict[str, dict[str, Any]]:
    """Valid cards whose text is SQL or a path: filed and stored verbatim."""
    return {text: HAZARD | {"title": text, "description": text, "location": text}
            for text in HARMLESS_TEXT}


# ---- images -------------------------------------------------------------------------------

def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_bomb(side: int = 20_000) -> bytes:
    """A 1-bit side×side PNG of zeros: a few KB on disk, 400 M pixels decoded."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data)
            + _png_chunk(b"IEND", b""))


def _jpeg(size: tuple[int, int] = (64, 48), **save: Any) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(out, "JPEG", **save)
    return out.getvalue()


def bad_images() -> dict[str, bytes]:
    """File name → bytes; each is refused as a photo with a clear message."""
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"\x00" * 10 * MEGABYTE)
    svg = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" '
           b'height="10"><script>alert(1)</script></svg>')
    return {
        "bomb.png": png_bomb(),
        "truncated.jpg": _jpeg()[:300],
        "zip.jpg": zipped.getvalue(),
        "drawing.svg": svg,
        "empty.jpg": b"",
        "text.png": b"\x89PNG\r\n\x1a\n not really",
    }


def huge_exif_jpeg() -> bytes:
    """A valid JPEG carrying a ~60 KB EXIF blob: accepted, and the blob is gone after scrub."""
    exif = Image.Exif()
    exif[0x010E] = "GPS 55.7558 37.6173 " + "z" * 60_000  # ImageDescription
    return _jpeg(exif=exif.tobytes())


def write_images(folder: Path) -> dict[str, Path]:
    paths = {}
    for name, data in bad_images().items():
        path = folder / name
        path.write_bytes(data)
        paths[name] = path
    return paths
