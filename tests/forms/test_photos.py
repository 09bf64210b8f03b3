"""Photos through an allow-list (issue 15, point 6): only JPEG and PNG are opened, a large
JPEG is decoded at reduced size, and the server's check refuses anything that still carries
metadata (forms/photos.py). The same against the real server: tests/e2e/test_hostile_requests.py.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import EpsImagePlugin, Image, ImageCms

from forms import photos
from forms.errors import BadInput

ROOT = Path(__file__).resolve().parents[2]
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n{ } loop\n%%EOF\n"


def _jpeg(**save: object) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((64, 48), 50).convert("RGB").save(out, "JPEG", **save)
    return out.getvalue()


def _png(**save: object) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((64, 48), 50).convert("RGB").save(out, "PNG", **save)
    return out.getvalue()


def _gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Phone of Ivanov"  # Make
    exif.get_ifd(0x8825)[1] = "N"  # GPSLatitudeRef
    return exif


def test_an_eps_named_jpg_is_never_handed_to_ghostscript(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(EPS)
    with Image.open(path) as unrestricted:  # what Pillow alone would do with it
        assert unrestricted.format == "EPS"

    def ghostscript(*_a: object, **_k: object) -> None:
        raise AssertionError("the EPS decoder (Ghostscript) was started")

    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "load", ghostscript)
    with pytest.raises(BadInput) as refused:
        photos.scrub(path)
    assert refused.value.key == "not_an_image"
    assert photos.refusal(EPS) == "not_an_image"


def _peak_mb_of_scrub(path: Path) -> int:
    """Peak RSS of a fresh process that scrubs `path` (a child, so this one's heap is not
    counted and the measure starts from the same imports every time)."""
    code = ("import resource, sys; from pathlib import Path; from forms import photos; "
            "photos.scrub(Path(sys.argv[1])); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    done = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=120)
    return int(done.stdout)


def test_a_49_megapixel_jpeg_is_decoded_at_reduced_size(tmp_path: Path) -> None:
    big, small = tmp_path / "big.jpg", tmp_path / "small.jpg"
    make = ("import sys; from PIL import Image; "
            "Image.effect_noise((1012, 756), 40).convert('RGB').resize((8100, 6050))"
            ".save(sys.argv[1], 'JPEG', quality=85)")
    subprocess.run([sys.executable, "-c", make, str(big)], check=True, timeout=120)
    Image.effect_noise((800, 600), 40).convert("RGB").save(small, "JPEG")
    with Image.open(big) as header:
        assert header.width * header.height == 8100 * 6050  # 49 MP: under MAX_PIXELS
    # Decoded whole, with its copies, it cost ~600 MB more than a small photo (issue 15).
    grown = _peak_mb_of_scrub(big) - _peak_mb_of_scrub(small)
    assert grown < 150, f"scrubbing 49 MP took {grown} MB more than 0.5 MP"
    with Image.open(io.BytesIO(photos.scrub(big))) as out:
        assert out.size == (2048, 1530)


def test_a_png_too_large_to_decode_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    Image.new("1", (4200, 4200)).save(path)  # 17.6 MP: PNG has no reduced decoding
    with pytest.raises(BadInput) as refused:
        photos.scrub(path)
    assert refused.value.key == "photo_too_many_pixels"


def test_what_scrub_makes_is_what_the_server_takes(tmp_path: Path) -> None:
    path = tmp_path / "leak.jpg"
    path.write_bytes(_jpeg(exif=_gps_exif(), comment=b"Ivanov"))
    clean = photos.scrub(path)
    assert photos.refusal(clean) is None
    assert b"Ivanov" not in clean and b"Exif" not in clean


def test_the_server_check_refuses_every_kind_of_metadata() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>Ivanov</rdf:Description>'
    carrying = {
        "EXIF and GPS": _jpeg(exif=_gps_exif()),
        "XMP": _jpeg(xmp=xmp),
        "ICC profile": _jpeg(icc_profile=icc),
        "comment": _jpeg(comment=b"shot by Ivanov"),
        "thumbnail-free JFIF plus bytes after the end": _jpeg() + b"Ivanov",
        "PNG text": _png(pnginfo=_png_text()),
        "PNG ICC profile": _png(icc_profile=icc),
        "PNG EXIF": _png(exif=_gps_exif()),
        "PNG bytes after the end": _png() + b"Ivanov",
    }
    for what, data in carrying.items():
        assert photos.refusal(data) == "photo_metadata", what
    assert photos.refusal(_jpeg()) is None
    assert photos.refusal(_jpeg(progressive=True)) is None
    assert photos.refusal(_png()) is None
    assert photos.refusal(_jpeg()[:-40]) is not None  # cut short
    wide = io.BytesIO()
    Image.new("RGB", (photos.MAX_SIDE + 1, 8)).save(wide, "JPEG")
    assert photos.refusal(wide.getvalue()) == "not_an_image"


def _png_text() -> object:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Ivanov")
    return info
