"""Photos are re-encoded on attach: decoded, turned upright, shrunk, saved without metadata.

Nothing of the original file survives but its pixels, so no EXIF, GPS, XMP, ICC profile or
comment can leak who or where (DESIGN.md §6). Stored by the SHA-256 of the scrubbed bytes.
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


def scrub(path: Path) -> bytes:
    if not path.is_file():
        raise BadInput("photo_not_found", path=str(path))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BadInput("photo_too_big", path=str(path), max_mb=MAX_FILE_BYTES // 2**20)
    try:
        with Image.open(path) as original:
            if original.width * original.height > MAX_PIXELS:
                raise BadInput("photo_too_many_pixels", path=str(path))
            upright = ImageOps.exif_transpose(original)
            rgb = upright.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise BadInput("not_an_image", path=str(path)) from None
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)  # a new image carries no info dict from the source
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=88, optimize=True)
    return out.getvalue()


def is_scrubbed_image(data: bytes) -> bool:
    """Whether `data` is a whole JPEG or PNG no larger than scrub() makes (longest side at most
    MAX_SIDE): what a server accepts as a photo. The size is read from the header first, so a
    decompression bomb is refused before it is decoded."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("JPEG", "PNG") or max(image.size) > MAX_SIDE:
                return False
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError,
            ValueError):
        return False
    return True


def store_blob(data: bytes, blobs: Path) -> str:
    digest = hashlib.sha256(data).hexdigest()
    target = blobs / f"{digest}.jpg"
    if not target.exists():
        blobs.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return digest
