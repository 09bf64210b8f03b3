"""`safecard import` run again files each line once (issue 15, point 8; forms/imports.py).

A line is known by its `source_id`, else by the hash of its canonical JSON; a re-run skips
the lines already filed and says how many; identical lines of one file are one card; an
explicit `source_id` is the card's, whatever else changed. The kill -9 test cuts a real
`safecard import` process at random moments, runs it again until it finishes, and finds
every line filed exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cli import commands
from cli.main import main
from forms.i18n import set_language
from tests.cli.test_cli import HAZARD, IDEA
from tests.cli.test_import_bulk import lines_file, store_of

ROOT = Path(__file__).resolve().parents[2]


def _import(path: Path, capsys: pytest.CaptureFixture[str], *more: str) -> tuple[int, str, str]:
    set_language(None)
    code = main(["--user", "ivanov", "import", str(path), *more])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_rerun_files_only_the_lines_not_filed_yet(
        safecard_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(commands, "IMPORT_CHUNK", 3)
    cards = [HAZARD | {"title": f"Опасность {i}"} for i in range(7)]
    first = lines_file(tmp_path, cards[:4])
    code, out, err = _import(first, capsys)
    assert code == 0 and len(out.split()) == 4 and "пропущено как поданные раньше: 0" in err
    # The same lines again, re-saved with other spacing and key order, plus three new ones.
    both = tmp_path / "both.jsonl"
    both.write_text("\r\n".join(json.dumps(dict(reversed(c.items())), ensure_ascii=False,
                                           indent=1).replace("\n", " ") for c in cards),
                    "utf-8")
    code, out, err = _import(both, capsys, "--json")
    report = json.loads(out)
    assert code == 0
    assert [x["line"] for x in report["skipped"]] == [1, 2, 3, 4]
    assert [x["line"] for x in report["filed"]] == [5, 6, 7]
    code, out, err = _import(both, capsys)
    assert (code, out) == (0, "")
    assert "Подано: 0, пропущено как поданные раньше: 7, с ошибками: 0." in err
    store = store_of(safecard_home)
    try:
        titles = sorted(c.title for c in store.list_cards())
        assert titles == sorted(c["title"] for c in cards)
        assert all(c.source_id and c.source_id.startswith("sha256:")
                   for c in store.list_cards())
    finally:
        store.close()


def test_identical_lines_are_one_card_and_a_source_id_names_its_card(
        safecard_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(commands, "IMPORT_CHUNK", 10)
    path = lines_file(tmp_path, [
        IDEA, IDEA,  # the same line twice in one chunk
        HAZARD | {"source_id": "АКТ-17", "category": "nope"},  # refused: not filed
        HAZARD | {"source_id": "АКТ-17"},  # so this one is filed
        HAZARD | {"source_id": " АКТ-17 ", "title": "Другой заголовок"},  # the same card
        HAZARD | {"source_id": 17},
    ])
    code, out, err = _import(path, capsys, "--json")
    report = json.loads(out)
    assert code == 2
    assert [x["line"] for x in report["filed"]] == [1, 4]
    assert [(x["line"], x["id"]) for x in report["skipped"]] == [
        (2, report["filed"][0]["id"]), (5, report["filed"][1]["id"])]
    assert [x["line"] for x in report["failed"]] == [3, 6]
    assert "source_id" in report["failed"][1]["error"].lower() or \
        "Идентификатор источника" in report["failed"][1]["error"]
    shown = json.loads(_show(report["filed"][1]["id"], capsys))
    assert shown["source_id"] == "АКТ-17"
    # `file` keeps the same promise for a card JSON with a source_id.
    set_language(None)
    monkeypatch.setattr(sys, "stdin", _stdin(HAZARD | {"source_id": "АКТ-17"}))
    assert main(["--user", "ivanov", "file", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"id": report["filed"][1]["id"], "skipped": True}
    assert "уже подана раньше" in err


def _show(card_id: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["show", card_id, "--json"]) == 0
    return capsys.readouterr().out


def _stdin(card: dict[str, object]) -> object:
    import io

    return io.TextIOWrapper(io.BytesIO(json.dumps(card, ensure_ascii=False).encode()))


IMPORTER = """
import sys
from cli import commands
from cli.main import main
commands.IMPORT_CHUNK = int(sys.argv[1])
raise SystemExit(main(["--user", "ivanov", "import", sys.argv[2]]))
"""


def test_an_import_killed_mid_way_is_finished_by_running_it_again(
        tmp_path: Path) -> None:
    """SIGKILL lands 0-30 ms after a chunk was printed (committed): in the next chunk's
    validation, its transaction or its fsync; four times. Then the same command, to the end."""
    lines, chunk = 600, 40
    path = lines_file(tmp_path, [HAZARD | {"title": f"Опасность {i}"} for i in range(lines)])
    home = tmp_path / "home"
    env = {**os.environ, "SAFECARD_HOME": str(home), "LANG": "ru_RU.UTF-8",
           "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    env.pop("SAFECARD_LANG", None)
    rng = random.Random(15)
    printed: list[str] = []

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-c", IMPORTER, str(chunk), str(path)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    kills = 0
    for _ in range(4):
        proc = start()
        assert proc.stdout is not None
        printed.append(proc.stdout.readline())  # a chunk is committed once it is printed
        try:
            proc.wait(rng.uniform(0, 0.03))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        out, _err = proc.communicate(timeout=120)
        printed.extend(out.splitlines(keepends=True))
    assert kills >= 3, "the kills should land while the import runs"
    proc = start()
    out, err = proc.communicate(timeout=120)
    printed.extend(out.splitlines(keepends=True))
    assert proc.returncode == 0, err
    assert "с ошибками: 0" in err and "Traceback" not in err
    skipped = int(err.split("пропущено как поданные раньше: ")[1].split(",")[0])
    assert 0 < skipped < lines
    store = store_of(home)
    try:
        cards = store.list_cards(limit=lines + 10)
        titles = [c.title for c in cards]
        assert len(titles) == len(set(titles)) == lines
        # An id and its newline are two writes: a kill between them leaves a lone newline.
        acknowledged = {line.split()[0] for line in printed
                        if line.endswith("\n") and line.strip()}
        assert acknowledged <= {c.id for c in cards}
    finally:
        store.close()
