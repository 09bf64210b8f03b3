"""What a modified client sends, against the real `safecard-server` (issue 15, points 5, 6).

The server process runs on loopback with short timeouts (1 s) set through its environment, as
a site would set them (docs/deployment.md). Raw sockets and hand-made requests play the
attacker:
- bodies whose headers lie about their size (Content-Length with Transfer-Encoding, chunked
  with no length, a length far over the limit), each streamed up to 300 MB: the server's
  peak RSS (VmHWM, reset before the attack through /proc/PID/clear_refs) never rises by more
  than the photo limit, and the lying request is answered with its reason;
- half-open connections (nothing sent, half a request head, half a body): every one is closed
  by the server within the timeout plus a second;
- more connections from one address than allowed: the extra ones get 503 at once;
- photos carrying EXIF and GPS, through the photo upload and through the anonymous drop
  box, and a drop refused as a conflict with a photo inside: refused, nothing stored, and no
  photo the server holds carries any metadata;
- an EPS named .jpg and a 49-megapixel JPEG, to the server and to the real `safecard file`:
  refused without decoding (the server's peak RSS does not move), or filed at 2048 px.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import create_engine, select

from forms import photos
from forms.config import load_config
from forms.events import Event
from forms.ids import uuid7
from forms.service import CardService
from forms.store import syncio
from forms.store.repo import Store
from sync import protocol as p
from sync.blobs import MAX_BLOB_BYTES
from sync.server import auth
from sync.server.db import open_server_store
from sync.server.models import BlobRow
from tests.e2e.faults.netutil import free_port
from tests.e2e.test_two_desktops import HAZARD, PASSWORD, Server

TIMEOUT = 1.0
PER_CLIENT = 12
MB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module (each test leaves it with no connection open)."""
    folder = tmp_path_factory.mktemp("limits")
    url = f"sqlite:///{folder}/server.db"
    store = open_server_store(url)
    auth.add_user(store, "ivanov", "staff", PASSWORD)
    store.close()
    with pytest.MonkeyPatch.context() as env:
        for name, value in (("SAFECARD_HEADER_TIMEOUT", TIMEOUT),
                            ("SAFECARD_BODY_TIMEOUT", TIMEOUT),
                            ("SAFECARD_CLIENT_CONNECTIONS", PER_CLIENT)):
            env.setenv(name, str(value))
        srv = Server(url, free_port(), folder / "server.log")
        srv.start()
    yield srv
    srv.stop()


def _token(server: Server) -> str:
    answer = httpx.post(f"{server.address}{p.API}/auth/login", timeout=10, json={
        "protocol": p.PROTOCOL_VERSION, "user": "ivanov", "password": PASSWORD,
        "device_id": "dev-e2e"}, headers={p.PROTOCOL_HEADER: str(p.PROTOCOL_VERSION)})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def _connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or 10 s pass)."""
    data = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


def _peak_mb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) // 1024


def _put_head(token: str, framing: bytes) -> bytes:
    return (b"PUT " + f"{p.API}/blobs/{'a' * 64}".encode() + b" HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {token}\r\n{p.PROTOCOL_HEADER}: 1\r\n".encode()
            + framing + b"\r\n")


def _flood(sock: socket.socket, total: int) -> int:
    """Send chunked-looking data until `total` bytes or the server closes; bytes sent."""
    chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
    sent = 0
    with contextlib.suppress(OSError):
        while sent < total:
            sock.sendall(chunk)
            sent += len(chunk)
    return sent


def test_a_body_that_lies_about_its_size_never_grows_the_server(server: Server) -> None:
    token = _token(server)
    photo = io.BytesIO()
    Image.effect_noise((1200, 900), 60).convert("RGB").save(photo, "JPEG")
    data = photo.getvalue()
    with httpx.Client(base_url=server.address, timeout=10, headers={
            "Authorization": f"Bearer {token}", p.PROTOCOL_HEADER: "1"}) as http:
        for _ in range(3):  # warm: the upload path has run before the peak is reset
            stored = http.put(f"{p.API}/blobs/{hashlib.sha256(data).hexdigest()}", content=data)
            assert stored.status_code in (200, 201), stored.text
    assert server.proc is not None
    pid = server.proc.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = _peak_mb(pid)

    attacks = {
        b"Content-Length: 100\r\nTransfer-Encoding: chunked\r\n": b"ambiguous_length",
        b"Transfer-Encoding: chunked\r\n": b"length_required",
        b"Content-Length: 300000000\r\n": b"too_large",
    }
    for framing, reason in attacks.items():
        with _connect(server) as sock:
            sock.sendall(_put_head(token, framing))
            sent = _flood(sock, 300 * MB)
            answer = _answer(sock)
        assert reason in answer, (framing, answer[:300])
        assert sent < 300 * MB or framing.startswith(b"Content-Length: 3"), framing
    grown = _peak_mb(pid) - before
    assert grown <= MAX_BLOB_BYTES // MB, f"peak RSS grew {grown} MB"
    assert httpx.get(f"{server.address}{p.API}/health", timeout=5).status_code == 200


def test_half_open_connections_are_closed_within_the_timeout(server: Server) -> None:
    body_head = (f"POST {p.API}/auth/login HTTP/1.1\r\nHost: x\r\n{p.PROTOCOL_HEADER}: 1\r\n"
                 "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{").encode()
    halves = {"nothing": b"", "half a head": f"POST {p.API}/auth/login HTTP/1.1\r\nHo".encode(),
              "half a body": body_head}
    socks: list[tuple[str, socket.socket]] = []
    started = time.monotonic()
    for kind, sent in halves.items():
        for _ in range(PER_CLIENT // len(halves)):
            sock = _connect(server)
            sock.sendall(sent)
            socks.append((kind, sock))
    closed_after: dict[str, float] = {}
    answers: dict[str, bytes] = {}
    for kind, sock in socks:
        with sock:
            answers[kind] = _answer(sock)
        closed_after[kind] = max(closed_after.get(kind, 0.0), time.monotonic() - started)
    assert all(t <= TIMEOUT + 1.0 for t in closed_after.values()), closed_after
    assert answers["nothing"] == answers["half a head"] == b""
    assert b" 408 " in answers["half a body"] and b"request_timeout" in answers["half a body"]
    assert httpx.get(f"{server.address}{p.API}/health", timeout=5).status_code == 200


def test_connections_from_one_address_are_bounded(server: Server) -> None:
    held = [_connect(server) for _ in range(PER_CLIENT)]
    try:
        with _connect(server) as extra:
            answer = _answer(extra)
        assert b" 503 " in answer
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"] == "busy"
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 5  # the server sees the closes a moment later
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{server.address}{p.API}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.05)
    pytest.fail("the server did not take new connections after the held ones closed")


# ---- photos -----------------------------------------------------------------------------------

def _photo_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = "Ivanov I. I."  # Artist
    exif.get_ifd(0x8825)[1] = "N"  # GPSLatitudeRef
    out = io.BytesIO()
    Image.effect_noise((320, 240), 50).convert("RGB").save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert b"Ivanov I. I." in data
    return data


def _anonymous_card(tmp_path: Path, photo: bytes) -> tuple[list[Event], str]:
    """The events of an anonymous card filed on a real workstation store, then changed as a
    modified client would: its photo replaced by `photo` (named by its hash)."""
    config = load_config()
    store = Store(f"sqlite:///{tmp_path}/ws-{uuid7()}.db", config)
    try:
        service = CardService(store, config, user="ivanov", device_id="dev-ws",
                              blobs=tmp_path / "blobs")
        service.file(HAZARD, anonymous=True)
        events = syncio.pending(store, 10, syncio.ANONYMOUS)
    finally:
        store.close()
    name = hashlib.sha256(photo).hexdigest()
    filed = events[0]
    fields = {**filed.payload["fields"], "photos": [name]}
    return [replace(filed, payload={**filed.payload, "fields": fields}), *events[1:]], name


def _drop(server: Server, events: list[Event], photos: dict[str, bytes]) -> httpx.Response:
    body = p.AnonymousCardRequest(
        events=[p.WireEvent.of(e) for e in events],
        photos={n: base64.b64encode(d).decode("ascii") for n, d in photos.items()})
    return httpx.post(f"{server.address}{p.API}/anonymous/cards", timeout=10,
                      content=body.model_dump_json(),
                      headers={p.PROTOCOL_HEADER: "1", "Content-Type": "application/json"})


def _stored_blobs(server: Server) -> list[bytes]:
    engine = create_engine(server.url)
    try:
        with engine.connect() as conn:
            return [bytes(d) for d in conn.scalars(select(BlobRow.data))]
    finally:
        engine.dispose()


def test_a_photo_on_the_server_never_carries_exif(server: Server, tmp_path: Path) -> None:
    before = _stored_blobs(server)
    leaky = _photo_with_gps()
    name = hashlib.sha256(leaky).hexdigest()
    with httpx.Client(base_url=server.address, timeout=10, headers={
            "Authorization": f"Bearer {_token(server)}", p.PROTOCOL_HEADER: "1"}) as http:
        upload = http.put(f"{p.API}/blobs/{name}", content=leaky)
    assert (upload.status_code, upload.json()["error"]) == (415, "photo_metadata")

    events, name = _anonymous_card(tmp_path, leaky)
    dropped = _drop(server, events, {name: leaky})
    assert (dropped.status_code, dropped.json()["error"]) == (415, "photo_metadata")

    # A drop refused for its card (one with this id is there already) stores no photo either.
    clean = photos.scrub(_write(tmp_path / "clean.jpg", leaky))
    events, name = _anonymous_card(tmp_path, clean)
    assert _drop(server, events, {name: clean}).status_code == 200
    again = [replace(e, id=uuid7()) for e in events]
    other = photos.scrub(_write(tmp_path / "other.jpg", _photo_with_gps()))
    other_events = [replace(again[0], payload={**again[0].payload, "fields": {
        **again[0].payload["fields"], "photos": [hashlib.sha256(other).hexdigest()]}}),
        *again[1:]]
    refused = _drop(server, other_events, {hashlib.sha256(other).hexdigest(): other})
    assert (refused.status_code, refused.json()["error"]) == (409, "card_exists")

    stored = _stored_blobs(server)
    assert len(stored) == len(before) + 1 and clean in stored and other not in stored
    for data in stored:
        assert photos.jpeg_extras(data) is None and b"Exif" not in data
        assert b"Ivanov" not in data


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n{ } loop\n%%EOF\n"
MAKE_49MP = ("import sys; from PIL import Image; "
             "Image.effect_noise((1012, 756), 40).convert('RGB').resize((8100, 6050))"
             ".save(sys.argv[1], 'JPEG', quality=85)")


def test_an_eps_and_a_49_megapixel_jpeg_are_refused_or_bounded(
        server: Server, tmp_path: Path) -> None:
    eps, big = tmp_path / "photo.jpg", tmp_path / "big.jpg"
    eps.write_bytes(EPS)
    subprocess.run([sys.executable, "-c", MAKE_49MP, str(big)], check=True, timeout=120)
    assert server.proc is not None
    pid = server.proc.pid
    token = _token(server)  # before the peak is reset: a sign-in's Argon2id takes 64 MB
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    before = _peak_mb(pid)
    with httpx.Client(base_url=server.address, timeout=30, headers={
            "Authorization": f"Bearer {token}", p.PROTOCOL_HEADER: "1"}) as http:
        for path in (eps, big):
            data = path.read_bytes()
            answer = http.put(f"{p.API}/blobs/{hashlib.sha256(data).hexdigest()}",
                              content=data)
            assert (answer.status_code, answer.json()["error"]) == (415, "not_an_image")
    # Read, the 7.7 MB body is held twice at most; decoded, it would take some 150 MB.
    assert _peak_mb(pid) - before <= 2 * MAX_BLOB_BYTES // MB

    # The real `safecard file`: the EPS is refused at once (no Ghostscript), the 49 MP photo
    # filed at 2048 px.
    exe = shutil.which("safecard", path=str(Path(sys.executable).parent))
    assert exe
    env = {**os.environ, "SAFECARD_HOME": str(tmp_path / "home"), "LANG": "ru_RU.UTF-8"}
    env.pop("SAFECARD_LANG", None)
    for path, code in ((eps, 2), (big, 0)):
        card = json.dumps(HAZARD | {"photos": [str(path)]}, ensure_ascii=False)
        done = subprocess.run([exe, "--user", "ivanov", "file", "--json"], input=card,
                              capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == code, done.stderr
        assert "Traceback" not in done.stderr
    assert "JPEG или PNG" in subprocess.run(
        [exe, "--user", "ivanov", "file"], input=json.dumps(HAZARD | {"photos": [str(eps)]}),
        capture_output=True, text=True, env=env, timeout=60).stderr
    [stored] = (tmp_path / "home" / "blobs").glob("*.jpg")
    with Image.open(stored) as photo:
        assert photo.size == (2048, 1530)
