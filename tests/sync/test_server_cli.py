"""`safecard-server` admin commands: users, roles, devices, configuration."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.server_main import main
from forms.i18n import set_language
from sync.server import auth
from sync.server.db import open_server_store


@pytest.fixture
def admin(database_url: str, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    for name in ("SAFECARD_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        set_language(None)
        code = main(["--database-url", database_url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


def test_add_user_with_the_password_on_stdin(admin: Callable[..., tuple[int, str, str]],
                                             database_url: str) -> None:
    code, out, _ = admin("add-user", "petrov", "--role", "supervisor",
                         stdin="длинный пароль\n")
    assert code == 0 and "petrov" in out
    store = open_server_store(database_url)
    try:
        token, role = auth.login(store, "petrov", "длинный пароль", "dev")
        assert role == "supervisor" and token
        hashed = auth.users(store)[0].password_hash
        assert hashed.startswith("$argon2id$") and "длинный" not in hashed
    finally:
        store.close()
    assert admin("list-users")[1].split() == ["petrov", "supervisor", "active"]


def test_admin_errors_are_one_line_with_exit_codes(
        admin: Callable[..., tuple[int, str, str]]) -> None:
    assert admin("add-user", "ivanov", "--role", "staff", stdin="short")[0] == 2
    assert admin("add-user", "ivanov", "--role", "staff", stdin="long enough")[0] == 0
    code, _, err = admin("add-user", "ivanov", "--role", "staff", stdin="long enough")
    assert code == 2 and "уже есть" in err and "Traceback" not in err
    assert admin("add-user", "x", "--role", "boss", stdin="long enough")[0] == 2
    assert admin("set-role", "nobody", "admin")[0] == 3
    assert admin("disable-user", "nobody")[0] == 3
    assert admin("revoke-device", "nowhere")[0] == 3


def test_set_role_disable_and_revoke(admin: Callable[..., tuple[int, str, str]],
                                     database_url: str) -> None:
    admin("add-user", "ivanov", "--role", "staff", stdin="long enough")
    store = open_server_store(database_url)
    try:
        token, _ = auth.login(store, "ivanov", "long enough", "dev-1")
        assert admin("set-role", "ivanov", "supervisor")[0] == 0
        assert auth.authenticate(store, f"Bearer {token}").role == "supervisor"
        assert admin("revoke-device", "dev-1")[0] == 0
        with pytest.raises(auth.Unauthorized):
            auth.authenticate(store, f"Bearer {token}")
        token2, _ = auth.login(store, "ivanov", "long enough", "dev-2")
        assert admin("disable-user", "ivanov")[0] == 0
        with pytest.raises(auth.Unauthorized):
            auth.authenticate(store, f"Bearer {token2}")
    finally:
        store.close()


def test_show_and_load_config(admin: Callable[..., tuple[int, str, str]],
                              tmp_path: Path) -> None:
    code, out, _ = admin("show-config")
    before = json.loads(out)
    assert code == 0 and set(before) == {"version", "kinds", "lists", "org", "risk", "sla"}
    lifting = {"code": "lifting", "label": {"ru": "Подъём грузов", "en": "Lifting"}}
    lists = before["lists"] | {"hazard_categories": [*before["lists"]["hazard_categories"],
                                                     lifting]}
    path = tmp_path / "lists.json"
    path.write_text(json.dumps({"lists": lists}), "utf-8")
    assert admin("load-config", str(path))[0] == 0
    after = json.loads(admin("show-config")[1])
    assert after["version"] != before["version"]
    assert lifting in after["lists"]["hazard_categories"]
    assert after["org"] == before["org"]


def test_a_broken_config_is_refused_and_the_old_one_kept(
        admin: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    version = json.loads(admin("show-config")[1])["version"]
    broken = tmp_path / "org.json"
    broken.write_text(json.dumps({"org": {"users": [], "routing": {"fallback": {}}}}), "utf-8")
    code, _, err = admin("load-config", str(broken))
    assert code == 2 and "Traceback" not in err
    not_json = tmp_path / "x.json"
    not_json.write_text("{", "utf-8")
    assert admin("load-config", str(not_json))[0] == 2
    assert admin("load-config", str(tmp_path / "missing.json"))[0] == 2
    assert json.loads(admin("show-config")[1])["version"] == version


def test_migrate_and_new_epoch(admin: Callable[..., tuple[int, str, str]]) -> None:
    assert admin("migrate")[0] == 0
    assert admin("new-epoch")[0] == 0
    assert admin("no-such-command")[0] == 2
