"""The command line as a site scripts it: outputs, exit codes, and one-line friendly errors."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from cli.main import main
from forms.i18n import set_language

HAZARD = {"kind": "hazard", "title": "Нет ограждения на площадке резервуара Р-12",
          "description": "Сняли перила для ремонта и не вернули", "site": "sever",
          "department": "synthesis", "location": "Резервуар Р-12", "category": "height",
          "work_stopped": True, "observed_at": "2026-11-20T09:15"}
COMPLAINT = {"kind": "complaint", "title": "Грубость кассира", "site": "office",
             "sentiment": "negative", "cause": "staff_behaviour",
             "emotional_state": "aggressive",
             "account": "Клиент пожаловался на тон кассира. Я выслушала и извинилась. "
                        "Предложила решение.",
             "steps_done": ["empathy", "apology", "questions"], "conclusion": "Частично",
             "outcome": "dissatisfied", "observed_at": "2026-11-21T15:00:00+03:00"}
IDEA = {"kind": "safety_idea", "title": "Зеркала на перекрёстках склада",
        "proposal": "Повесить выпуклые зеркала", "expected_effect": "Меньше столкновений",
        "site": "yug", "department": "logistics"}


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


@pytest.fixture
def run(safecard_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    def _run(*args: str, stdin: bytes | str = b"", user: str | None = None) -> Result:
        raw = stdin.encode() if isinstance(stdin, str) else stdin
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
        argv = (["--user", user] if user else []) + list(args)
        set_language(None)
        code = main(argv)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)
    return _run


def _file(run: Callable[..., Result], card: dict, user: str = "ivanov") -> str:
    result = run("file", "--json", stdin=json.dumps(card, ensure_ascii=False), user=user)
    assert result.code == 0, result.err
    return str(result.json()["id"])  # type: ignore[index]


def _store_fingerprint(home: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(home.glob("safecard.db*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_each_kind_files_and_returns_an_id(run: Callable[..., Result]) -> None:
    ids = [_file(run, HAZARD), _file(run, COMPLAINT, "morozova"), _file(run, IDEA, "kozlov")]
    listed = run("list", "--json").json()
    assert sorted(c["id"] for c in listed) == sorted(ids)  # type: ignore[union-attr]
    by_kind = {c["kind"]: c for c in listed}  # type: ignore[union-attr]
    assert by_kind["complaint"]["steps_done"] == ["empathy", "apology", "questions"]
    assert by_kind["hazard"]["supervisor"] == "petrov"
    assert by_kind["hazard"]["state"] == "filed"
    assert {d["type"] for d in by_kind["hazard"]["deadlines"]} >= {"acknowledge", "resolve"}


def test_anonymous_filing_prints_a_receipt_once(run: Callable[..., Result]) -> None:
    result = run("file", "--anonymous", "--json", stdin=json.dumps(HAZARD), user="ivanov")
    out = result.json()
    assert result.code == 0 and len(out["receipt"]) == 24  # type: ignore[index]
    shown = run("show", out["id"], "--json").json()  # type: ignore[index]
    assert shown["anonymous"] is True  # type: ignore[index]
    assert all(h["actor"] is None for h in shown["history"])  # type: ignore[index]
    assert out["receipt"] not in json.dumps(shown)  # type: ignore[index]


def test_supervisor_path_from_the_command_line(run: Callable[..., Result]) -> None:
    card_id = _file(run, HAZARD)
    assert run("assess", card_id, "--degree", "4", "--scale", "3", "--frequency", "3",
               "--compliance", "breach", "--note", "Нарушение", user="petrov").code == 0
    added = run("action", "add", card_id, "--title", "Вернуть перила", "--owner", "ivanov",
                "--due", "2030-01-15", "--json", user="petrov")
    action_id = added.json()["id"]  # type: ignore[index]
    assert run("action", "done", action_id, "--note", "Перила на месте", user="ivanov").code == 0
    assert run("verify", card_id, "--degree", "1", "--scale", "1", "--frequency", "1",
               "--compliance", "ok", "--effective", "yes", user="petrov").code == 0
    assert run("close", card_id, "--resolution", "Перила вернули и закрепили",
               user="petrov").code == 0
    card = run("show", card_id, "--json").json()
    assert card["state"] == "closed"  # type: ignore[index]
    assert card["risk"]["initial"]["band"] == "high"  # type: ignore[index]
    assert card["risk"]["residual"]["band"] == "low"  # type: ignore[index]
    assert card["actions"][0]["status"] == "done"  # type: ignore[index]
    steps = [(h["type"], h["actor"]) for h in card["history"]]  # type: ignore[index]
    assert ("assessed", "petrov") in steps and ("action.updated", "ivanov") in steps
    assert ("verified", "petrov") in steps and steps[-1] == ("state.changed", "petrov")
    assert all(h["at"] and h["summary"] for h in card["history"])  # type: ignore[index]
    text = run("show", card_id).out
    assert "Перила вернули и закрепили" in text and "Петров" in text


def test_overdue_lists_exactly_the_cards_past_a_deadline(run: Callable[..., Result]) -> None:
    hazard = _file(run, HAZARD)
    complaint = _file(run, COMPLAINT, "morozova")
    now = run("show", hazard, "--json").json()["filed_at"]  # type: ignore[index]
    assert run("list", "--overdue", "--now", now, "--json").json() == []
    later = run("list", "--overdue", "--now", "2030-01-01T00:00", "--json").json()
    assert sorted(c["id"] for c in later) == sorted([hazard, complaint])  # type: ignore
    for card in later:  # type: ignore[union-attr]
        assert any(d["overdue"] for d in card["deadlines"])
    run("close", complaint, "--resolution", "Извинились", user="novikova")
    again = run("list", "--overdue", "--now", "2030-01-01T00:00", "--json").json()
    assert [c["id"] for c in again] == [hazard]  # type: ignore[union-attr]


BAD_FILE_INPUTS = {
    "malformed json": (b'{"kind": "hazard", "title": ', 2, "JSON"),
    "not an object": (b'["hazard"]', 2, "JSON"),
    "unknown field": (json.dumps(HAZARD | {"priority": "high"}).encode(), 2, "priority"),
    "missing required": (json.dumps({"kind": "hazard", "title": "x"}).encode(), 2,
                         "обязательно"),
    "wrong type": (json.dumps(HAZARD | {"work_stopped": "yes"}).encode(), 2, "true"),
    "enum outside list": (json.dumps(HAZARD | {"category": "aliens"}).encode(), 2,
                          "slips_trips"),
    "unknown kind": (json.dumps({"kind": "incident"}).encode(), 2, "hazard"),
    "invalid utf-8": (b'{"kind": "hazard", "title": "\xff\xfe"}', 2, "UTF-8"),
    "empty input": (b"   ", 2, "safecard file"),
    "control characters": (json.dumps(HAZARD | {"title": "a\u0000b"}).encode(), 2,
                           "символы"),
    "huge string": (json.dumps(HAZARD | {"title": "я" * 5000}).encode(), 2, "200"),
    "oversized input": (b'{"kind": "hazard", "description": "' + b"x" * 1_100_000 + b'"}', 2,
                        "КБ"),
    "bad date": (json.dumps(HAZARD | {"observed_at": "вчера"}).encode(), 2, "2026-11-23"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILE_INPUTS))
def test_bad_card_input_gives_one_line_and_changes_nothing(
        case: str, run: Callable[..., Result], safecard_home: Path) -> None:
    _file(run, IDEA, "kozlov")
    before = _store_fingerprint(safecard_home)
    raw, code, hint = BAD_FILE_INPUTS[case]
    result = run("file", stdin=raw, user="ivanov")
    assert result.code == code
    assert result.out == ""
    assert result.err.count("\n") == 1 and result.err.startswith("safecard: ")
    assert hint in result.err
    assert "Traceback" not in result.err
    assert _store_fingerprint(safecard_home) == before


def test_photo_that_is_not_an_image_is_refused(run: Callable[..., Result], tmp_path: Path,
                                               safecard_home: Path) -> None:
    fake = tmp_path / "photo.jpg"
    fake.write_text("not really a photo")
    _file(run, IDEA, "kozlov")
    before = _store_fingerprint(safecard_home)
    result = run("file", stdin=json.dumps(HAZARD | {"photos": [str(fake)]}), user="ivanov")
    assert result.code == 2 and "изображением" in result.err
    missing = run("file", stdin=json.dumps(HAZARD | {"photos": ["/nope.jpg"]}), user="ivanov")
    assert missing.code == 2 and "не найден" in missing.err
    assert _store_fingerprint(safecard_home) == before


def test_photo_is_scrubbed_of_metadata(run: Callable[..., Result], tmp_path: Path,
                                       safecard_home: Path) -> None:
    photo = tmp_path / "leak.jpg"
    exif = Image.Exif()
    exif[0x013B] = "Artist Secret Name"  # Artist
    exif[0x010F] = "SecretCamCorp"  # Make
    Image.new("RGB", (4000, 1000), "orange").save(photo, exif=exif)
    card_id = _file(run, HAZARD | {"photos": [str(photo)]})
    shown = run("show", card_id, "--json").json()
    stored = Path(shown["photos"][0])  # type: ignore[index]
    data = stored.read_bytes()
    assert b"Secret" not in data
    with Image.open(stored) as img:
        assert max(img.size) == 2048 and not img.getexif()


@pytest.mark.parametrize(("args", "code", "hint"), [
    (("show", "0123456789ab"), 3, "не найдена"),
    (("show", "../../etc/passwd"), 2, "номер"),
    (("action", "done", "01a20000-0000-7000-8000-000000000000"), 3, "не найдено"),
    (("assess", "ID", "--degree", "9", "--scale", "1", "--frequency", "1",
      "--compliance", "ok"), 2, "от 1 до 5"),
    (("assess", "ID", "--degree", "три", "--scale", "1", "--frequency", "1",
      "--compliance", "ok"), 2, "число"),
    (("assess", "ID", "--degree", "1", "--scale", "1", "--frequency", "1",
      "--compliance", "maybe"), 2, "breach"),
    (("close", "ID", "--resolution", "Готово"), 4, "проверьте результат"),
    (("reopen", "ID"), 4, "недоступно"),
    (("action", "add", "ID", "--title", "x", "--owner", "ivanov", "--due", "завтра"), 2,
     "2026-12-31"),
    (("list", "--now", "позавчера"), 2, "2026-11-23"),
    (("list", "--kind", "incident"), 2, "hazard"),
    (("import", "/no/such/file.jsonl"), 2, "не найден"),
    (("report", "audit", "--from", "2026-12-01", "--to", "2026-11-01", "-o", "x.pdf"), 2,
     "Период"),
    (("frobnicate",), 2, "--help"),
])
def test_command_errors_have_their_exit_code(
        args: tuple[str, ...], code: int, hint: str, run: Callable[..., Result],
        safecard_home: Path) -> None:
    card_id = _file(run, HAZARD)
    run("assess", card_id, "--degree", "2", "--scale", "2", "--frequency", "2",
        "--compliance", "ok", user="petrov")
    before = _store_fingerprint(safecard_home)
    result = run(*(card_id if a == "ID" else a for a in args), user="petrov")
    assert result.code == code, result.err
    assert hint.lower() in result.err.lower()
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert _store_fingerprint(safecard_home) == before


def test_forbidden_step_exits_4(run: Callable[..., Result]) -> None:
    card_id = _file(run, HAZARD)
    result = run("assess", card_id, "--degree", "2", "--scale", "2", "--frequency", "2",
                 "--compliance", "ok", user="ivanov")
    assert result.code == 4 and "Роль" in result.err


def test_messages_are_english_with_lang_en(run: Callable[..., Result],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert "not found" in run("--lang", "en", "show", "0123456789ab").err
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    result = run("file", stdin=b"{", user="ivanov")
    assert result.code == 2 and "Malformed JSON" in result.err


def test_import_files_good_lines_and_reports_bad_ones(run: Callable[..., Result],
                                                      tmp_path: Path) -> None:
    lines = [json.dumps(HAZARD, ensure_ascii=False), "{broken",
             json.dumps(COMPLAINT | {"outcome": "ecstatic"}, ensure_ascii=False), "",
             json.dumps(IDEA, ensure_ascii=False)]
    path = tmp_path / "cards.jsonl"
    path.write_text("\n".join(lines), "utf-8")
    result = run("import", str(path), "--json", user="ivanov")
    assert result.code == 2
    out = result.json()
    assert [f["line"] for f in out["filed"]] == [1, 5]  # type: ignore[index]
    assert [f["line"] for f in out["failed"]] == [2, 3]  # type: ignore[index]
    assert "строка 2" in result.err and "строка 3" in result.err
    assert len(run("list", "--json").json()) == 2  # type: ignore[arg-type]


def test_rebuild_keeps_every_card(run: Callable[..., Result]) -> None:
    ids = {_file(run, HAZARD), _file(run, IDEA, "kozlov")}
    before = run("list", "--json").out
    assert run("rebuild").code == 0
    assert run("list", "--json").out == before
    assert {c["id"] for c in json.loads(before)} == ids


def test_the_installed_console_script_runs(safecard_home: Path) -> None:
    exe = shutil.which("safecard", path=str(Path(sys.executable).parent))
    assert exe, "the safecard console script is not installed"
    done = subprocess.run([exe, "file", "--json"], input=json.dumps(IDEA).encode(),
                          capture_output=True, check=False, timeout=60,
                          env={"SAFECARD_HOME": str(safecard_home), "SAFECARD_USER": "kozlov",
                               "PATH": "/usr/bin:/bin", "LANG": "ru_RU.UTF-8"})
    assert done.returncode == 0, done.stderr.decode()
    assert "id" in json.loads(done.stdout)
    server = subprocess.run([str(Path(exe).with_name("safecard-server")), "--no-such-option"],
                            capture_output=True,
                            check=False, timeout=60)
    assert server.returncode == 2 and b"Traceback" not in server.stderr


# ---- in people's words: labels with the codes to type, errors in their language --------


def test_a_malformed_json_is_explained_in_the_users_language(run: Callable[..., Result]):
    ru = run("file", stdin=b'{"kind": "hazard", "title": ', user="ivanov")
    assert ru.code == 2
    assert "ожидалось значение" in ru.err and "Expecting" not in ru.err
    comma = run("file", stdin=b'{"kind": "hazard" "title": "x"}', user="ivanov")
    assert "не хватает запятой между элементами" in comma.err
    en = run("--lang", "en", "file", stdin=b'{"kind": "hazard",}', user="ivanov")
    assert "a field name in double quotes was expected" in en.err


def test_allowed_values_are_named_by_label_with_the_code_to_type(run: Callable[..., Result]):
    bad = run("file", stdin=json.dumps(HAZARD | {"category": "aliens"}), user="ivanov")
    assert bad.code == 2
    assert "Скольжение, спотыкание (slips_trips)" in bad.err
    assert "Работа на высоте (height)" in bad.err
    kind = run("list", "--kind", "incident")
    assert "Сообщение об опасности (hazard)" in kind.err and "Жалоба (complaint)" in kind.err


def test_show_prints_labels_and_the_json_keeps_codes(run: Callable[..., Result]):
    filed = run("file", "--json", stdin=json.dumps(COMPLAINT, ensure_ascii=False),
                user="morozova")
    card_id = filed.json()["id"]  # type: ignore[index]
    shown = run("show", card_id).out
    for label in ("Вид: Жалоба", "Причина жалобы: Поведение сотрудника",
                  "С чем ушёл клиент: Ушёл недовольным",
                  "Выполненные шаги алгоритма: Сопереживание, Извинение, Открытые вопросы",
                  "Когда замечено: 21.11.2026, 15:00", "Подана карточка: Жалоба"):
        assert label in shown, label
    assert "staff_behaviour" not in shown and "dissatisfied" not in shown
    card = run("show", card_id, "--json").json()
    assert card["cause"] == "staff_behaviour" and card["kind"] == "complaint"  # type: ignore[index]
    assert card["observed_at"] == "2026-11-21T12:00:00+00:00"  # type: ignore[index]
    listed = run("list").out
    assert "Жалоба" in listed and listed.rstrip().endswith("1 карточка")
