"""The admin audit log: every admin command appends a hash-chained entry, and
`safecard-server verify-audit` finds a tampered, removed or inserted row."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from cli.server_main import main
from forms.i18n import set_language
from forms.store.repo import Store
from sync.server import audit
from sync.server.audit import AuditRow
from sync.server.db import open_server_store

Admin = Callable[..., tuple[int, str, str]]
PASSWORD = "длинный пароль 1"


@pytest.fixture
def admin(database_url: str, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Admin:
    monkeypatch.setenv("SAFECARD_LANG", "en")

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        set_language(None)
        code = main(["--database-url", database_url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


@pytest.fixture
def history(admin: Admin, tmp_path: Path) -> Admin:
    """One of each admin command that changes something."""
    assert admin("add-user", "petrov", "--role", "supervisor", stdin=PASSWORD)[0] == 0
    assert admin("add-user", "ivanov", "--role", "staff", stdin=PASSWORD)[0] == 0
    assert admin("set-role", "ivanov", "supervisor")[0] == 0
    assert admin("disable-user", "ivanov")[0] == 0
    lists = json.loads(admin("show-config")[1])["lists"]
    config = tmp_path / "lists.json"
    config.write_text(json.dumps({"lists": lists}), "utf-8")
    assert admin("load-config", str(config))[0] == 0
    assert admin("new-epoch")[0] == 0
    return admin


def _store(database_url: str) -> Store:
    return open_server_store(database_url)


def test_every_admin_command_appends_an_entry(history: Admin, database_url: str) -> None:
    store = _store(database_url)
    try:
        rows = audit.entries(store)
    finally:
        store.close()
    actions = [r.action for r in rows]
    assert actions == ["add-user", "add-user", "set-role", "disable-user", "load-config",
                       "new-epoch"]
    assert json.loads(rows[4].details)["keys"] == ["lists"]
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].target == "petrov" and json.loads(rows[0].details) == {"role": "supervisor"}
    assert all(PASSWORD not in r.details for r in rows)  # never the password
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in pairwise(rows))


def test_a_refused_command_appends_nothing(admin: Admin, database_url: str) -> None:
    assert admin("set-role", "nobody", "staff")[0] != 0
    code, out, _ = admin("verify-audit")
    assert code == 0 and "(0 entries)" in out


def test_verify_audit_reports_an_intact_chain(history: Admin) -> None:
    code, out, err = history("verify-audit")
    assert code == 0, err
    assert "intact" in out and "entries)" in out


@pytest.mark.parametrize("tamper", ["details", "target", "hash", "delete", "rehash_one"])
def test_a_tampered_row_breaks_the_chain(history: Admin, database_url: str,
                                         tamper: str) -> None:
    store = _store(database_url)
    try:
        with store.writing.begin() as s:
            row = s.get(AuditRow, 2)
            assert row is not None
            if tamper == "details":
                row.details = json.dumps({"role": "admin"})
            elif tamper == "target":
                row.target = "mallory"
            elif tamper == "hash":
                row.hash = "f" * 64
            elif tamper == "delete":
                s.execute(delete(AuditRow).where(AuditRow.seq == 2))
            else:  # rewrite row 2 consistently: row 3 no longer chains from it
                row.target = "mallory"
                row.hash = audit.row_hash(row.prev_hash, row.seq, row.at, row.action,
                                          row.target, row.details)
    finally:
        store.close()
    code, out, err = history("verify-audit")
    assert code == 4 and out == ""
    broken_at = 3 if tamper in ("delete", "rehash_one") else 2
    assert f"entry {broken_at}" in err


def test_an_edited_timestamp_is_detected(history: Admin, database_url: str) -> None:
    store = _store(database_url)
    try:
        with store.writing.begin() as s:
            row = s.get(AuditRow, 1)
            assert row is not None
            s.execute(update(AuditRow).where(AuditRow.seq == 1)
                      .values(at=row.at.replace(year=row.at.year - 1)))
    finally:
        store.close()
    code, _, err = history("verify-audit")
    assert code == 4 and "entry 1" in err
