"""The anonymity promise under inspection (DESIGN.md §6, issue 7 "Done when").

A worker whose OS user, login name, host name and workstation id are unique markers files an
anonymous hazard with a JPEG carrying GPS EXIF, Make and Artist, then syncs to a real
`safecard-server` whose log goes to a file. Every byte of the client's SQLite files, its
blob folder, the server's database, the server log and an audit PDF of the client store is
searched for each marker and the photo's GPS values: zero hits (on PostgreSQL, every row
of every table as text plus the blobs' bytes, instead of the database file). The
supervisor sees the card and asks a question; the reporter answers by receipt.

Two rows hold the workstation id on purpose and are left out of the search: the client's own
`meta.device_id` and the server's enrolment of the workstation at sign-in (server_devices,
server_tokens) — neither is linked to the anonymous card. The searched copies have those rows
deleted and are VACUUMed, so no stale page hides a hit either.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import struct
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from sqlalchemy import create_engine, inspect, text

from tests.e2e.test_two_desktops import HAZARD, PASSWORD, Cli, Server
from tests.e2e.test_two_desktops import desktop as desktop
from tests.e2e.test_two_desktops import server as server
from tests.reports.pdftools import flat_text

# Latitude 55°45'21.1234" N, longitude 37°37'04.5678" E: rationals nobody else writes.
LAT = ((55, 1), (45, 1), (211234, 10000))
LON = ((37, 1), (37, 1), (45678, 10000))


def _gps_photo(path: Path, make: str, artist: str) -> None:
    image = Image.effect_noise((120, 90), 50).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = make  # Make
    exif[0x013B] = artist  # Artist
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", tuple(IFDRational(n, d) for n, d in LAT)
    gps[3], gps[4] = "E", tuple(IFDRational(n, d) for n, d in LON)
    image.save(path, "JPEG", exif=exif)
    data = path.read_bytes()  # the markers and the GPS values are really in the file
    assert make.encode() in data and artist.encode() in data
    assert any(n in data for n in _gps_needles()[4:])


def _gps_needles() -> list[bytes]:
    # Decimal degrees as a viewer would print them, and the rationals as EXIF stores them.
    needles = [b"55.7558676", b"37.6179355", b"55\xc2\xb045'21", b"37\xc2\xb037'04"]
    for n, d in (LAT[2], LON[2]):
        f = Fraction(n, d)  # EXIF keeps the reduced fraction
        for num, den in ((n, d), (f.numerator, f.denominator)):
            needles += [struct.pack("<II", num, den), struct.pack(">II", num, den)]
    return needles


def _scrubbed_copy(db: Path, out: Path, deletions: list[str]) -> bytes:
    """The database with its -wal, legit workstation-id rows removed, vacuumed; its bytes."""
    shutil.copy(db, out)
    wal = db.with_name(db.name + "-wal")
    if wal.exists():
        shutil.copy(wal, out.with_name(out.name + "-wal"))
    conn = sqlite3.connect(out)
    try:
        for statement in deletions:
            conn.execute(statement)
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()
    return out.read_bytes()


def _raw(db: Path) -> bytes:
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _postgres_dump(url: str) -> bytes:
    """Every row of every table of the test's schema as text, and the blobs' raw bytes —
    except the workstation's enrolment at sign-in (server_devices, server_tokens)."""
    engine = create_engine(url)
    parts: list[bytes] = []
    try:
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                if table in ("server_devices", "server_tokens"):
                    continue
                rows = conn.execute(text(f'SELECT CAST(t AS text) FROM "{table}" t')).scalars()
                parts.extend(row.encode() for row in rows)
            parts.extend(bytes(d) for d in conn.execute(
                text("SELECT data FROM server_blobs")).scalars())
    finally:
        engine.dispose()
    assert parts
    return b"\n".join(parts)


def test_nothing_ties_an_anonymous_card_to_its_reporter(
        server: Server, desktop: Callable[[str], Cli],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    tag = uuid.uuid4().hex[:10]
    markers = {name: f"{name}-marker-{tag}" for name in
               ("osuser", "login", "host", "device", "make", "artist")}
    monkeypatch.setenv("USER", markers["osuser"])
    monkeypatch.setenv("LOGNAME", markers["login"])
    monkeypatch.setenv("HOSTNAME", markers["host"])
    monkeypatch.setenv("SAFECARD_ANONYMOUS_DELAY", "0")

    a, b = desktop("reporter"), desktop("supervisor")
    home = tmp_path / "reporter"
    a("list")  # creates the store
    with sqlite3.connect(home / "safecard.db") as conn:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('device_id', ?)",
                     (markers["device"],))
    photo = tmp_path / "leak.jpg"
    _gps_photo(photo, markers["make"], markers["artist"])

    filed = json.loads(a("file", "--anonymous", "--json",
                         stdin=json.dumps(HAZARD | {"photos": [str(photo)]}).encode()).stdout)
    code, card_id = filed["receipt"], filed["id"]

    server.start()
    a("login", "--server", server.address, "--user", "ivanov", stdin=PASSWORD.encode())
    a("sync", "--once")

    # The supervisor sees the card and asks a question; the reporter answers by receipt.
    b("login", "--server", server.address, "--user", "petrov", stdin=PASSWORD.encode())
    b("sync", "--once")
    seen = json.loads(b("show", card_id, "--json").stdout)
    assert seen["anonymous"] is True and seen["supervisor"] == "petrov"
    b("comment", card_id, "--text", "На каком именно ярусе?", "--question")
    b("sync", "--once")
    status = json.loads(a("receipt-status", code, "--json").stdout)
    assert [q["text"] for q in status["questions"]] == ["На каком именно ярусе?"]
    a("receipt-status", code, "--answer", "Второй ярус, у лестницы")
    b("sync", "--once")
    history = json.loads(b("show", card_id, "--json").stdout)["history"]
    assert all(entry["actor"] is None for entry in history
               if entry["type"] in ("card.filed", "routed"))
    assert "Второй ярус, у лестницы" in json.dumps(history, ensure_ascii=False)
    # The photo went through the drop box and came down to the supervisor.
    assert len(list((tmp_path / "supervisor" / "blobs").glob("*.jpg"))) == 1
    assert a("receipt-status", "0000-0000-0000-0000-0000", ok=False).returncode == 3

    a("sync", "--once")
    today = date.today()
    pdf = tmp_path / "audit.pdf"
    a("report", "audit", "--from", str(today - timedelta(days=2)), "--to",
      str(today + timedelta(days=2)), "-o", str(pdf))
    server.stop()

    haystacks: dict[str, bytes] = {
        "client db": _scrubbed_copy(home / "safecard.db", tmp_path / "client-copy.db",
                                    ["DELETE FROM meta WHERE key = 'device_id'"]),
        "client db (raw)": _raw(home / "safecard.db"),
        "server log": server.log.read_bytes(),
        "audit pdf": pdf.read_bytes(),
        "audit pdf text": flat_text(pdf).encode(),
    }
    for blob in sorted((home / "blobs").glob("*")):
        haystacks[f"client blob {blob.name}"] = blob.read_bytes()
    if database_url.startswith("sqlite"):
        server_db = Path(database_url.removeprefix("sqlite:///"))
        haystacks["server db"] = _scrubbed_copy(
            server_db, tmp_path / "server-copy.db",
            ["DELETE FROM server_devices", "DELETE FROM server_tokens"])
        haystacks["server db (raw)"] = _raw(server_db)
    else:
        haystacks["server db (postgres)"] = _postgres_dump(database_url)

    needles = {name: value.encode() for name, value in markers.items()}
    needles |= {f"gps {i}": n for i, n in enumerate(_gps_needles())}
    hits = [(where, what) for where, data in haystacks.items() for what, needle in needles.items()
            if needle in data and not (what == "device" and "raw" in where)]
    assert hits == []
    # A control: the search does find the workstation id where it is kept on purpose.
    assert needles["device"] in haystacks["client db (raw)"]
    assert len(haystacks) >= 5
