"""`safecard login` and `safecard sync` as a user meets them without a reachable server."""

from __future__ import annotations

import io
import json
import socket
import sys
from pathlib import Path

import pytest

from cli.main import main
from forms.i18n import set_language
from sync.credentials import Credentials


def _run(args: list[str], monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str], stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    set_language(None)
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sync_while_the_server_is_down_exits_75_with_one_russian_line(
        safecard_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = f"http://127.0.0.1:{_closed_port()}"
    (safecard_home / "settings.json").write_text(json.dumps({"server": server,
                                                             "user": "ivanov"}))
    Credentials(safecard_home).save(server, "ivanov", "token")
    code, _, err = _run(["sync", "--once"], monkeypatch, capsys)
    assert code == 75
    assert err.count("\n") == 1 and "недоступен" in err and "Traceback" not in err


def test_login_while_the_server_is_down_exits_75(
        safecard_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = f"http://127.0.0.1:{_closed_port()}"
    code, _, err = _run(["login", "--server", server, "--user", "ivanov"], monkeypatch, capsys,
                        stdin="password\n")
    assert code == 75 and "недоступен" in err


def test_sync_before_login_says_how_to_sign_in(
        safecard_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["sync", "--once"], monkeypatch, capsys)
    assert code == 2 and "safecard login" in err


def test_login_needs_a_server_address(
        safecard_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["login", "--server", "srv", "--user", "ivanov"], monkeypatch, capsys)
    assert code == 2 and "http" in err


def test_receipt_status_while_the_server_is_down_exits_75(
        safecard_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = f"http://127.0.0.1:{_closed_port()}"
    (safecard_home / "settings.json").write_text(json.dumps({"server": server}))
    code, _, err = _run(["receipt-status", "7K2M-9QXD-0000-0000-0000"], monkeypatch, capsys)
    assert code == 75 and "недоступен" in err and "Traceback" not in err


def test_receipt_status_without_a_server_says_how_to_connect(
        safecard_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["receipt-status", "7K2M-9QXD-0000-0000-0000"], monkeypatch, capsys)
    assert code == 2 and "safecard login" in err
