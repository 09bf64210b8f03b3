"""Fault: the client's disk fills up while a card is being filed.

The real `safecard file` runs in a child process on a "full disk", made in one of two ways:
- `rlimit`: a file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored so a write fails with
  EFBIG instead of killing the process) stops the SQLite write-ahead log at 32 KB, so the
  card's transaction fails half-written. Works everywhere, unprivileged.
- `tmpfs`: the home is moved onto a tmpfs mounted with 48 KB to spare, so writes fail with
  ENOSPC, as on a really full disk. Needs root and the right to mount (as in CI); skipped
  where mounting is not allowed.
Expected: a non-zero exit, one line in the user's language (Russian and English both
checked) and no traceback; PRAGMA integrity_check ok, every earlier card there, nothing of
the failed card; and once space is back, filing works again.
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cli.main import main as cli_main
from tests.e2e.faults import store_checks

BIN = Path(sys.executable).parent
CARD = {"kind": "hazard", "description": "Сняли перила и не вернули", "site": "sever",
        "department": "synthesis", "location": "Резервуар Р-12", "category": "height",
        "work_stopped": True}
# Just over the -shm index (32 KB, sized when the store opens): the store opens, the
# card's first pages reach the WAL, and a later page of the same transaction fails.
LIMIT = 32 * 1024
SPARE = 48 * 1024  # room left on the tmpfs
MESSAGES = {"ru_RU.UTF-8": "Нет места на диске", "en_US.UTF-8": "The disk is full"}


def _file_in_child(home: Path, lang: str, title: str,
                   preexec: Callable[[], None] | None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("safecard", path=str(BIN))
    assert exe
    # No .pyc writes on a full disk: CPython would install a truncated one (it does not
    # check its raw write for a short count) and break every later import of that module.
    env = {"PATH": os.environ.get("PATH", ""), "LANG": lang, "SAFECARD_HOME": str(home),
           "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([exe, "--user", "ivanov", "file"],
                          input=json.dumps(CARD | {"title": title}), text=True,
                          capture_output=True, env=env, preexec_fn=preexec, timeout=120)


def _file_size_limit() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def _used(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


class Tmpfs:
    def __init__(self, where: Path) -> None:
        self.where = where
        where.mkdir()

    def mount(self, size: int) -> None:
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(self.where)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")

    def grow(self, size: int) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.where)], check=True)

    def unmount(self) -> None:
        if os.path.ismount(self.where):
            subprocess.run(["umount", str(self.where)], check=True)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Tmpfs]:
    disk = Tmpfs(tmp_path / "disk")
    try:
        yield disk
    finally:
        disk.unmount()


@pytest.mark.parametrize(("how", "lang"), [("rlimit", "ru_RU.UTF-8"), ("rlimit", "en_US.UTF-8"),
                                           ("tmpfs", "ru_RU.UTF-8")])
def test_disk_full_while_filing_says_so_and_corrupts_nothing(
        how: str, lang: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest) -> None:
    home = tmp_path / "workstation"
    monkeypatch.setenv("LANG", lang)
    for name in ("SAFECARD_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "SAFECARD_USER"):
        monkeypatch.delenv(name, raising=False)

    def file(title: str) -> None:
        card = json.dumps(CARD | {"title": title}).encode()
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(card)))
        assert cli_main(["--home", str(home), "--user", "ivanov", "file"]) == 0
        capsys.readouterr()

    for i in range(5):
        file(f"До заполнения диска {i}")
    preexec = None
    disk = None
    if how == "rlimit":
        preexec = _file_size_limit
        assert (home / "safecard.db").stat().st_size > LIMIT  # the limit binds
    else:
        disk = request.getfixturevalue("tmpfs")
        disk.mount(_used(home) + SPARE)
        home = Path(shutil.copytree(home, disk.where / "workstation"))
    db = home / "safecard.db"
    before = store_checks.check_whole(db)

    done = _file_in_child(home, lang, "Не поместилась", preexec)
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert MESSAGES[lang] in lines[0]
    assert "Traceback" not in done.stderr and "sqlite" not in done.stderr.lower()

    assert store_checks.check_whole(db) == before  # earlier cards all there, none half-filed
    if disk is not None:
        disk.grow(_used(home) + 4 * 1024 * 1024)
    file("После освобождения места")  # space is back: the store takes cards again
    after = store_checks.check_whole(db)
    assert len(after) == len(before) + 1
    assert "Не поместилась" not in after.values()
