"""`safecard import` in chunks: one transaction per chunk, lines reported in order, a chunk
the store cannot take leaves nothing of itself behind. Re-runs: tests/cli/test_import_rerun.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import commands
from cli.main import main
from forms.config import load_config
from forms.i18n import set_language
from forms.store.repo import Store
from tests.cli.test_cli import HAZARD, IDEA


def lines_file(tmp_path: Path, cards: list[object]) -> Path:
    path = tmp_path / "cards.jsonl"
    path.write_text("\n".join(c if isinstance(c, str) else json.dumps(c, ensure_ascii=False)
                              for c in cards), "utf-8")
    return path


def store_of(home: Path) -> Store:
    return Store(f"sqlite:///{home / 'safecard.db'}", load_config(), migrate=False)


def test_chunks_file_every_good_line_in_order(safecard_home: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(commands, "IMPORT_CHUNK", 2)
    path = lines_file(tmp_path, [HAZARD, "{broken", IDEA, HAZARD | {"category": "nope"},
                             HAZARD | {"anonymous": True}, IDEA | {"title": "Вторая идея"}])
    set_language(None)
    assert main(["--user", "ivanov", "import", str(path)]) == 2
    out, err = capsys.readouterr()
    ids = [line.split()[0] for line in out.splitlines()]
    assert len(ids) == 4 and "Код обращения" in out.splitlines()[2]
    assert err.index("строка 2") < err.index("строка 4")
    store = store_of(safecard_home)
    try:
        assert sorted(c.id for c in store.list_cards()) == sorted(ids)
        assert store.outbox_count() == 8  # 3 signed-in cards + 1 anonymous, 2 events each
        seqs = [e.device_seq for _, e in store.events() if e.device_seq is not None]
        assert seqs == list(range(1, 7))
    finally:
        store.close()


def test_a_chunk_the_store_refuses_leaves_nothing_of_itself(
        safecard_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(commands, "IMPORT_CHUNK", 2)
    calls = []
    original = Store._write_projections

    def second_fails(self: Store, *args: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "_write_projections", second_fails)
    path = lines_file(tmp_path, [HAZARD, IDEA, HAZARD | {"title": "Другая"},
                             IDEA | {"title": "Другая"}, HAZARD | {"title": "Третья"}])
    set_language(None)
    assert main(["--user", "ivanov", "import", str(path)]) == 1
    out, err = capsys.readouterr()
    assert len(out.split()) == 2 and "Нет места на диске" in err and "Traceback" not in err
    store = store_of(safecard_home)
    try:
        assert store.count_cards() == 2 and store.count_events() == 4
        assert store.outbox_count() == 4
    finally:
        store.close()
