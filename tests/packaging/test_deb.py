"""The .deb as a plant's IT would use it: unpacked into a clean prefix, its frozen program
run with a bare environment (no virtualenv, no PYTHONPATH), offscreen: the window opens, a
card is filed, a report rendered, and the card synced to a real server on loopback.

`scripts/package` builds the .deb, or copies it from its cache when nothing that goes into
it has changed (scripts/test runs it just before pytest, so this finds it cached).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from forms.store.models import EventRow
from sync.server import auth
from sync.server.db import open_server_store
from tests.e2e.server_process import Server

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "package password"
HAZARD = {"kind": "hazard", "title": "Открыт люк у насосной №2",
          "description": "Крышку сняли и не вернули", "site": "sever",
          "department": "synthesis", "category": "height", "work_stopped": True}


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    env = os.environ | {"VENV": sys.prefix, "SAFECARD_PACKAGE_OUT": str(out)}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "package")], env=env,
                          capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [found] = out.glob("safecard_*.deb")
    return found


@pytest.fixture(scope="module")
def prefix(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("prefix")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True, timeout=300)
    return root


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path}/server.db"
    store = open_server_store(url)
    auth.add_user(store, "ivanov", "staff", PASSWORD)
    store.close()
    srv = Server(url, None, tmp_path / "server.log")
    srv.start()
    yield srv
    srv.stop()


def test_the_package_installs_to_opt_with_a_menu_entry(deb: Path, prefix: Path) -> None:
    fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Depends"],
                            capture_output=True, text=True, check=True).stdout
    assert "Package: safecard" in fields
    assert "python" not in fields.lower()  # the bundle carries its own interpreter
    assert os.access(prefix / "opt/safecard/safecard", os.X_OK)
    assert os.readlink(prefix / "usr/bin/safecard") == "/opt/safecard/safecard"
    entry = (prefix / "usr/share/applications/safecard.desktop").read_text("utf-8")
    assert "Exec=/opt/safecard/safecard" in entry and "Icon=safecard" in entry
    assert (prefix / "usr/share/icons/hicolor/scalable/apps/safecard.svg").is_file()
    assert "[safecard]" in (prefix / "etc/safecard/safecard.ini").read_text("utf-8")


def test_the_packaged_app_opens_files_reports_and_syncs(
        prefix: Path, server: Server, tmp_path: Path) -> None:
    home, site = tmp_path / "home", tmp_path / "safecard.ini"
    site.write_text(f"[safecard]\nserver = {server.address}\nlanguage = ru\n", "utf-8")
    # A bare environment: what a desktop session gives a program from the menu.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "QT_QPA_PLATFORM": "offscreen", "SAFECARD_SITE_SETTINGS": str(site),
           "SAFECARD_KEYRING_FALLBACK": "file"}
    program = str(prefix / "opt/safecard/safecard")

    def run(*args: str, stdin: str = "") -> str:
        done = subprocess.run([program, "--home", str(home), *args], input=stdin, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
        return done.stdout

    checked = run("check", "--screenshot", str(tmp_path / "window.png"))
    assert "Рабочее место готово." in checked
    with Image.open(tmp_path / "window.png") as picture:
        assert picture.size[0] >= 800 and picture.size[1] >= 500

    card_id = json.loads(run("--user", "ivanov", "file", "--json",
                             stdin=json.dumps(HAZARD)))["id"]
    run("report", "audit", "--from", "2020-01-01", "--to", "2100-01-01",
        "-o", str(tmp_path / "audit.pdf"))
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "audit.pdf").pages)
    assert HAZARD["title"] in text

    run("login", "--user", "ivanov", stdin=PASSWORD + "\n")  # the server from the site file
    run("sync", "--once")
    store = open_server_store(server.url)
    try:
        with store.session() as s:
            types = list(s.scalars(select(EventRow.type).where(EventRow.card_id == card_id)))
    finally:
        store.close()
    assert "card.filed" in types
