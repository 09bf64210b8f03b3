"""The corpus through `safecard file` and `safecard import`: every bad case exits 2 with one
line on stderr and no traceback, and the store's bytes do not change; SQL and path strings
that are valid text are stored verbatim and harm nothing."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.main import main
from forms.i18n import set_language
from tests.corpus import inputs

BAD = inputs.bad_cards()


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run(safecard_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    def _run(*args: str, stdin: bytes = b"", user: str = "ivanov") -> Result:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        set_language(None)
        code = main(["--user", user, *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)
    return _run


@pytest.fixture
def filed(run: Callable[..., Result]) -> str:
    """One good card, so the store exists and has something to lose."""
    result = run("file", "--json", stdin=json.dumps(inputs.HAZARD).encode())
    assert result.code == 0, result.err
    return str(json.loads(result.out)["id"])


def _fingerprint(home: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(home.glob("safecard.db*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _one_clear_line(result: Result, code: int = 2) -> None:
    assert result.code == code, result
    assert result.out == ""
    assert result.err.count("\n") == 1 and result.err.startswith("safecard: "), result.err
    assert "Traceback" not in result.err and len(result.err) < 600


@pytest.mark.parametrize("case", sorted(BAD))
def test_file_refuses_each_bad_card(case: str, run: Callable[..., Result], filed: str,
                                    safecard_home: Path) -> None:
    before = _fingerprint(safecard_home)
    _one_clear_line(run("file", stdin=BAD[case]))
    assert _fingerprint(safecard_home) == before


def test_import_refuses_every_bad_line_and_files_the_good_one(
        run: Callable[..., Result], filed: str, safecard_home: Path, tmp_path: Path) -> None:
    lines = [raw for raw in BAD.values() if b"\n" not in raw and b"\r" not in raw]
    assert len(lines) > 60
    path = tmp_path / "cards.jsonl"
    path.write_bytes(b"\n".join(lines))
    before = _fingerprint(safecard_home)
    result = run("import", str(path), "--json")
    assert result.code == 2 and "Traceback" not in result.err
    out = json.loads(result.out)
    assert out["filed"] == []
    assert [f["line"] for f in out["failed"]] == list(range(1, len(lines) + 1))
    assert all(line.startswith("safecard: ") for line in result.err.splitlines())
    assert _fingerprint(safecard_home) == before


def test_import_of_a_hostile_path_is_refused(run: Callable[..., Result], filed: str,
                                             safecard_home: Path, tmp_path: Path) -> None:
    before = _fingerprint(safecard_home)
    for target in ["../../etc/shadow-nope", str(tmp_path), str(tmp_path / "a\x01b.jsonl")]:
        result = run("import", target)
        assert result.code in (2, 3) and "Traceback" not in result.err, result
        assert result.err.count("\n") == 1
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage\x80\n\x00\x01")
    result = run("import", str(binary))
    assert result.code == 2 and "Traceback" not in result.err
    assert _fingerprint(safecard_home) == before


@pytest.mark.parametrize("text", inputs.HARMLESS_TEXT)
def test_sql_and_path_text_is_stored_verbatim(text: str, run: Callable[..., Result],
                                              filed: str, safecard_home: Path) -> None:
    card = inputs.harmless_cards()[text]
    result = run("file", "--json", stdin=json.dumps(card).encode())
    assert result.code == 0, result.err
    card_id = json.loads(result.out)["id"]
    shown = run("show", card_id, "--json")
    assert shown.code == 0
    stored = json.loads(shown.out)
    assert (stored["title"], stored["description"], stored["location"]) == (text, text, text)
    assert len(json.loads(run("list", "--json").out)) == 2
    with sqlite3.connect(safecard_home / "safecard.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "events" in tables


@pytest.mark.parametrize("hostile", ["../../etc/passwd", "..\\..\\windows", "' OR 1=1 --",
                                     "'; DROP TABLE events; --", "x" * 10_000, "a\x00b"])
def test_a_hostile_id_is_not_found(hostile: str, run: Callable[..., Result], filed: str,
                                   safecard_home: Path) -> None:
    before = _fingerprint(safecard_home)
    for args in [("show", hostile), ("close", hostile, "--resolution", "x"),
                 ("reject", hostile, "--reason", "x")]:
        result = run(*args, user="petrov")
        assert result.code in (2, 3), (args, result)
        assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert _fingerprint(safecard_home) == before


@pytest.mark.parametrize("name", sorted(inputs.bad_images()))
def test_hostile_images_are_refused_as_photos(name: str, run: Callable[..., Result],
                                              filed: str, safecard_home: Path,
                                              tmp_path: Path) -> None:
    path = inputs.write_images(tmp_path)[name]
    before = _fingerprint(safecard_home)
    result = run("file", stdin=json.dumps(inputs.HAZARD | {"photos": [str(path)]}).encode())
    _one_clear_line(result)
    assert _fingerprint(safecard_home) == before
    assert not list((safecard_home / "blobs").rglob("*")) if (safecard_home / "blobs").exists() \
        else True


def test_a_huge_exif_blob_is_dropped(run: Callable[..., Result], safecard_home: Path,
                                     tmp_path: Path) -> None:
    path = tmp_path / "exif.jpg"
    path.write_bytes(inputs.huge_exif_jpeg())
    result = run("file", "--json", stdin=json.dumps(inputs.HAZARD | {"photos": [str(path)]})
                 .encode())
    assert result.code == 0, result.err
    blobs = [p for p in safecard_home.rglob("*") if p.is_file() and "safecard.db" not in p.name
             and p.stat().st_size > 0 and p.suffix not in {".toml", ".json", ".log"}]
    kept = b"".join(p.read_bytes() for p in blobs)
    assert b"zzzzzzzzzz" not in kept and b"55.7558" not in kept
    assert b"zzzzzzzzzz" not in b"".join(p.read_bytes()
                                         for p in safecard_home.glob("safecard.db*"))
