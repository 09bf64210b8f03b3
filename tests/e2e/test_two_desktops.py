"""End to end: the real `safecard-server` process on loopback and two real CLI homes.

Worker A files while the server is not even running; the server starts; A syncs; supervisor
B syncs, assesses and syncs; A syncs; both projections agree. Then the server is killed
(SIGKILL) in the middle of a large push and restarted: every event ends up exactly once on
both sides. Runs on SQLite and, through the `database_url` fixture, on PostgreSQL.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import create_engine, func, select

from cli.main import main as cli_main
from forms.i18n import set_language
from forms.store.models import EventRow
from sync.server import auth
from sync.server.db import open_server_store
from tests.e2e.server_process import Server

BIN = Path(sys.executable).parent
PASSWORD = "e2e password"
HAZARD = {"kind": "hazard", "title": "Нет ограждения у резервуара Р-12",
          "description": "Сняли перила и не вернули", "site": "sever",
          "department": "synthesis", "location": "Резервуар Р-12", "category": "height",
          "work_stopped": True}


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    store = open_server_store(database_url)
    for name, role in (("ivanov", "staff"), ("petrov", "supervisor")):
        auth.add_user(store, name, role, PASSWORD)
    store.close()
    srv = Server(database_url, None, tmp_path / "server.log")
    yield srv
    srv.stop()


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


Cli = Callable[..., Done]


@pytest.fixture
def desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Callable[[str], Cli]:
    """A workstation home driven through the real command line (cli.main, in-process)."""
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    monkeypatch.setenv("SAFECARD_KEYRING_FALLBACK", "file")  # no keyring daemon here
    for name in ("SAFECARD_LANG", "LC_ALL", "LC_MESSAGES", "SAFECARD_USER", "SAFECARD_HOME"):
        monkeypatch.delenv(name, raising=False)

    def make(name: str) -> Cli:
        home = tmp_path / name
        home.mkdir()

        def run(*args: str, stdin: bytes = b"", ok: bool = True) -> Done:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
            set_language(None)
            code = cli_main(["--home", str(home), *args])
            out = capsys.readouterr()
            if ok:
                assert code == 0, out.err
            return Done(code, out.out, out.err)
        return run
    return make


def _projection(run: Cli) -> list[tuple[str, str, object]]:
    cards = json.loads(run("list", "--json").stdout)
    return sorted((c["id"], c["state"], c["risk"]) for c in cards)


def test_offline_filing_then_assessment_reaches_both_desktops(
        server: Server, desktop: Callable[[str], Cli], tmp_path: Path) -> None:
    a, b = desktop("worker-a"), desktop("supervisor-b")
    card_id = json.loads(a("--user", "ivanov", "file", "--json",
                           stdin=json.dumps(HAZARD).encode()).stdout)["id"]
    photo = tmp_path / "railing.png"
    Image.effect_noise((64, 48), 40).convert("RGB").save(photo)
    a("--user", "ivanov", "file", "--json",
      stdin=json.dumps(HAZARD | {"title": "Второй", "photos": [str(photo)]}).encode())
    with pytest.raises(httpx.ConnectError):  # the server is not running yet
        httpx.get(f"{server.address}/api/v1/health")

    server.start()
    a("login", "--server", server.address, "--user", "ivanov", stdin=PASSWORD.encode())
    assert "отправлено 4" in a("sync", "--once").stdout
    b("login", "--server", server.address, "--user", "petrov", stdin=PASSWORD.encode())
    b("sync", "--once")
    b("assess", card_id, "--degree", "4", "--scale", "3", "--frequency", "3",
      "--compliance", "breach")
    b("sync", "--once")
    a("sync", "--once")

    seen_a, seen_b = _projection(a), _projection(b)
    assert seen_a == seen_b and len(seen_a) == 2
    assessed = next(c for c in seen_a if c[0] == card_id)
    assert assessed[1] == "assessing" and assessed[2] is not None
    # The photo went up before its card and came down to the supervisor's desktop.
    sent = sorted(p.name for p in (tmp_path / "worker-a" / "blobs").glob("*.jpg"))
    assert len(sent) == 1
    assert sorted(p.name for p in (tmp_path / "supervisor-b" / "blobs").glob("*.jpg")) == sent

    # A staff member cannot assess: refused locally (exit 4) before anything is queued.
    assert a("assess", card_id, "--degree", "1", "--scale", "1", "--frequency", "1",
             "--compliance", "ok", ok=False).returncode == 4


def test_killing_the_server_mid_push_loses_and_doubles_nothing(
        server: Server, desktop: Callable[[str], Cli], tmp_path: Path) -> None:
    a = desktop("worker-a")
    lines = "\n".join(json.dumps(HAZARD | {"title": f"Опасность {i}"}) for i in range(400))
    (tmp_path / "cards.jsonl").write_text(lines, "utf-8")
    a("--user", "ivanov", "import", str(tmp_path / "cards.jsonl"))
    server.start()
    a("login", "--server", server.address, "--user", "ivanov", stdin=PASSWORD.encode())

    engine = create_engine(server.url)
    try:
        def on_server() -> int:
            with engine.connect() as conn:
                return int(conn.scalar(select(func.count()).select_from(EventRow)) or 0)

        exe = shutil.which("safecard", path=str(BIN))
        env = {"SAFECARD_HOME": str(tmp_path / "worker-a"), "LANG": "ru_RU.UTF-8",
               "SAFECARD_KEYRING_FALLBACK": "file", "PATH": os.environ.get("PATH", "")}
        pushing = subprocess.Popen([exe, "sync", "--once"], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)  # a real second process
        deadline = time.monotonic() + 60
        while on_server() == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        server.kill()
        _, err = pushing.communicate(timeout=60)
        partial = on_server()
        assert 0 < partial < 800, "the kill should land between batches"
        assert pushing.returncode == 75, err.decode()
        assert "недоступен" in err.decode() and b"Traceback" not in err

        server.start()
        a("sync", "--once")
        with engine.connect() as conn:
            ids = list(conn.scalars(select(EventRow.id)))
        assert len(ids) == len(set(ids)) == 800
        local = a("list", "--json", "--limit", "1000")
        assert len(json.loads(local.stdout)) == 400
        assert "отправлено 0" in a("sync", "--once").stdout  # nothing waiting
    finally:
        engine.dispose()
