"""Photos are re-encoded on attach: decoded, turned upright, shrunk, saved without metadata.

Nothing of the original file survives but its pixels, so no EXIF, GPS, XMP, ICC profile or
comment can leak who or where (DESIGN.md §6). Stored by the SHA-256 of the scrubbed bytes.

Only JPEG and PNG are ever opened (`FORMATS`): Pillow knows dozens of formats, some of which
run other programs (an EPS renamed .jpg starts Ghostscript, whose PostScript can loop
forever). A JPEG is decoded at a reduced size (libjpeg's scaled decoding, `draft`), so a
50-megapixel photo costs what a 12-megapixel one does; a PNG has no such mode and may have at
most MAX_DECODED_PIXELS. The server takes a photo only as scrub() makes one (`refusal`): a
JPEG or PNG within MAX_SIDE that carries nothing but its pixels.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from forms.errors import BadInput

MAX_SIDE = 2048
MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a decompression bomb is refused before it is decoded
MAX_DECODED_PIXELS = 4 * MAX_SIDE * MAX_SIDE  # what is ever decoded into memory at once
FORMATS = ("JPEG", "PNG")
_IMAGE_ERRORS = (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError,
                 ValueError)


def scrub(path: Path) -> bytes:
    if not path.is_file():
        raise BadInput("photo_not_found", path=str(path))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BadInput("photo_too_big", path=str(path), max_mb=MAX_FILE_BYTES // 2**20)
    try:
        with Image.open(path, formats=FORMATS) as original:
            if original.width * original.height > MAX_PIXELS:
                raise BadInput("photo_too_many_pixels", path=str(path))
            # The size the photo will have, asked of the decoder (JPEG only; a no-op else).
            original.draft("RGB", _fitted(original.size))
            if original.width * original.height > MAX_DECODED_PIXELS:
                raise BadInput("photo_too_many_pixels", path=str(path))
            original.thumbnail((MAX_SIDE, MAX_SIDE))  # decodes, then shrinks in place
            rgb = ImageOps.exif_transpose(original).convert("RGB")
    except _IMAGE_ERRORS:
        raise BadInput("not_an_image", path=str(path)) from None
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)  # a new image carries no info dict from the source
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=88, optimize=True)
    return out.getvalue()


def _fitted(size: tuple[int, int]) -> tuple[int, int]:
    scale = min(1.0, MAX_SIDE / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def refusal(data: bytes) -> str | None:
    """Why a server does not take `data` as a photo, or None: `not_an_image` unless it is a
    whole JPEG or PNG no larger than scrub() makes (the size is read from the header first,
    so a decompression bomb is refused before it is decoded); `photo_metadata` when it
    carries anything beside its pixels (EXIF, GPS, XMP, ICC, comments, a thumbnail, bytes
    after its end) — scrub() never leaves any, so only an old or modified client sends one."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            if max(image.size) > MAX_SIDE:
                return "not_an_image"
            image.load()
            kind = image.format
    except _IMAGE_ERRORS:
        return "not_an_image"
    extra = png_extras(data) if kind == "PNG" else jpeg_extras(data)  # JPEG or MPO
    return "photo_metadata" if extra else None


# Markers of a bare JPEG (ITU-T T.81 table B.1): frames, tables, scans, restarts.
_JPEG_FRAMES = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_TABLES = {0xC4, 0xCC, 0xDB, 0xDD}  # DHT, DAC, DQT, DRI
_SOS, _EOI, _APP0 = 0xDA, 0xD9, 0xE0
_JFIF_APP0_LENGTH = 16  # "JFIF\0", version, units, densities, a 0×0 thumbnail


def jpeg_extras(data: bytes) -> str | None:
    """The first segment of a JPEG that is not its image (an APPn or COM segment, a JFIF
    header with a thumbnail, bytes after the end marker), or None."""
    pos = 2  # after SOI
    while pos + 2 <= len(data):
        if data[pos] != 0xFF:
            return "stray bytes"
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == _EOI:
            return None if pos + 2 == len(data) else "data after the end"
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        segment = data[pos + 4:pos + 2 + length]
        if marker == _APP0:
            if length != _JFIF_APP0_LENGTH or not segment.startswith(b"JFIF\0") \
                    or segment[12:14] != b"\0\0":
                return "APP0"
        elif marker not in _JPEG_FRAMES | _JPEG_TABLES | {_SOS}:
            return f"marker {marker:02X}"  # APP1 EXIF/XMP, APP2 ICC, APP13, COM, ...
        pos += 2 + length
        if marker == _SOS:
            pos = _after_scan(data, pos)
    return "truncated"


def _after_scan(data: bytes, pos: int) -> int:
    """The position of the marker ending the entropy-coded data that starts at `pos` (a 0xFF
    in it is followed by 0x00, a restart marker by D0-D7)."""
    while (pos := data.find(b"\xff", pos)) >= 0 and pos + 1 < len(data):
        following = data[pos + 1]
        if following != 0x00 and not 0xD0 <= following <= 0xD7:
            return pos
        pos += 2
    return len(data)


# Chunks of a bare PNG: the image and how to display it; no text, time, EXIF or ICC profile.
_PNG_CHUNKS = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"gAMA", b"cHRM", b"sRGB",
               b"sBIT", b"bKGD", b"pHYs"}


def png_extras(data: bytes) -> str | None:
    """The first chunk of a PNG outside _PNG_CHUNKS (or bytes after IEND), or None."""
    pos = 8  # after the signature
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind not in _PNG_CHUNKS:
            return kind.decode("latin-1")
        pos += 12 + length
        if kind == b"IEND":
            return None if pos == len(data) else "data after the end"
    return "truncated"


def store_blob(data: bytes, blobs: Path) -> str:
    digest = hashlib.sha256(data).hexdigest()
    target = blobs / f"{digest}.jpg"
    if not target.exists():
        blobs.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return digest
