"""Directory sign-in against a real OpenLDAP slapd (tests/sync/slapd.py), and the PIN of a
shared terminal: through the real server process on loopback, and in process."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from cli import server_main
from forms.errors import BadInput
from forms.store.repo import Store
from sync import errors
from sync.client import SyncClient
from sync.server import auth, signin
from sync.server.app import create_app
from sync.server.db import open_server_store
from sync.server.directory import Directory, DirectorySettings
from tests.e2e.faults.netutil import free_port
from tests.e2e.server_process import Server
from tests.sync.conftest import SERVER, SyncASGITransport
from tests.sync.slapd import PEOPLE, STAFF_GROUP, SUPERVISOR_GROUP, Slapd, running_slapd

LOCAL_PASSWORD = "local admin password"


def password(login: str) -> str:
    return PEOPLE[login][1]


@pytest.fixture
def slapd(tmp_path: Path) -> Iterator[Slapd]:
    with running_slapd(tmp_path / "slapd") as directory:
        yield directory


@pytest.fixture
def real_server(slapd: Slapd, tmp_path: Path) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path}/server.db"
    store = open_server_store(url)
    auth.add_user(store, "admin", "admin", LOCAL_PASSWORD)  # a local account beside them
    store.close()
    server = Server(url, None, tmp_path / "server.log", env=slapd.server_env())
    server.start()
    yield server
    server.stop()


def test_directory_users_sign_in_with_roles_from_groups_and_a_disabled_one_is_refused(
        slapd: Slapd, real_server: Server) -> None:
    clients: list[SyncClient] = []
    roles: dict[str, str] = {}

    def sign_in(login: str, secret: str, device: str) -> SyncClient:
        clients.append(client := SyncClient(real_server.address))
        roles[login] = client.login(login, secret, device).role
        return client

    def refused(login: str, secret: str) -> str:
        with pytest.raises(errors.SignedOut) as out:
            sign_in(login, secret, f"dev-{login}")
        return out.value.key

    try:
        ivanov = sign_in("ivanov", password("ivanov"), "dev-1")
        petrov = sign_in("petrov", password("petrov"), "dev-2")
        admin = sign_in("admin", LOCAL_PASSWORD, "dev-3")  # a local account beside them
        for client in (ivanov, petrov, admin):
            client.pull(None, 10)  # each token works
        assert roles == {"ivanov": "staff", "petrov": "supervisor", "admin": "admin"}
        assert refused("ivanov", "not the password") == "sync_bad_credentials"
        assert refused("sidorov", password("sidorov")) == "sync_no_role"

        kozlov = sign_in("kozlov", password("kozlov"), "dev-6")
        kozlov.pull(None, 10)
        slapd.lock("kozlov")  # the directory disables him
        with pytest.raises(errors.SignedOut) as out:
            kozlov.pull(None, 10)  # his token is refused at once (re-check every 0 s here)
        assert out.value.key == "sync_user_disabled"
        assert refused("kozlov", password("kozlov")) == "sync_bad_credentials"
    finally:
        for client in clients:
            client.close()


# ---- in process: role changes, outages, settings ------------------------------------------

@pytest.fixture
def bare_store(database_url: str) -> Iterator[Store]:
    """A server with no local accounts: the directory's people are nobody here yet."""
    store = open_server_store(database_url)
    yield store
    store.close()


@pytest.fixture
def directory_app(slapd: Slapd, bare_store: Store) -> FastAPI:
    return create_app(bare_store.url, store=bare_store,
                      directory=Directory.from_env(slapd.server_env()))


def test_a_group_change_in_the_directory_changes_the_role(
        slapd: Slapd, directory_app: FastAPI, bare_store: Store) -> None:
    with SyncClient(SERVER, transport=SyncASGITransport(directory_app)) as client:
        assert client.login("ivanov", password("ivanov"), "dev-1").role == "staff"
        slapd.move_to_group("ivanov", STAFF_GROUP, SUPERVISOR_GROUP)
        client.pull(None, 10)
    assert {u.name: u.role for u in auth.users(bare_store)}["ivanov"] == "supervisor"


def test_the_directory_gives_the_personnel_number_for_a_terminal_pin(
        directory_app: FastAPI, bare_store: Store) -> None:
    client = SyncClient(SERVER, transport=SyncASGITransport(directory_app))
    client.login("petrov", password("petrov"), "dev-1")
    signin.set_pin(bare_store, "petrov", "4711", None)
    answer = SyncClient(SERVER, transport=SyncASGITransport(directory_app)).login(
        PEOPLE["petrov"][2], "4711", "terminal-1")
    assert (answer.user, answer.role) == ("petrov", "supervisor")


def test_a_directory_user_cannot_take_over_a_local_account(
        directory_app: FastAPI, bare_store: Store) -> None:
    auth.add_user(bare_store, "ivanov", "auditor", LOCAL_PASSWORD)
    with pytest.raises(errors.SignedOut):
        SyncClient(SERVER, transport=SyncASGITransport(directory_app)).login(
            "ivanov", password("ivanov"), "dev-1")


def test_a_directory_that_does_not_answer_is_503_and_local_accounts_still_sign_in(
        server_store: Store) -> None:
    env = {"SAFECARD_LDAP_URL": f"ldap://127.0.0.1:{free_port()}",
           "SAFECARD_LDAP_USER_BASE": "ou=people,dc=plant,dc=ru", "SAFECARD_LDAP_TIMEOUT": "1",
           "SAFECARD_LDAP_GROUP_ROLES": '{"cn=staff,dc=plant,dc=ru": "staff"}'}
    app = create_app(server_store.url, store=server_store, directory=Directory.from_env(env))
    transport = SyncASGITransport(app)
    with pytest.raises(errors.SyncUnreachable) as down:
        SyncClient(SERVER, transport=transport).login("someone", "a password", "dev-1")
    assert down.value.key == "sync_directory_unavailable"
    assert SyncClient(SERVER, transport=transport).login(
        "ivanov", "correct horse battery", "dev-2").role == "staff"


@pytest.mark.parametrize(("setting", "value"), [
    ("URL", "http://dc1"), ("USER_BASE", ""), ("GROUP_ROLES", "staff"),
    ("GROUP_ROLES", '{"cn=x,dc=ru": "boss"}'), ("GROUP_ROLES", "{}"),
    ("USER_FILTER", "(uid=ivanov)"), ("TIMEOUT", "soon"), ("BIND_PASSWORD_FILE", "/nope"),
])
def test_a_directory_setting_that_cannot_work_is_refused(setting: str, value: str) -> None:
    env = {"SAFECARD_LDAP_URL": "ldap://dc1", "SAFECARD_LDAP_USER_BASE": "dc=plant,dc=ru",
           "SAFECARD_LDAP_GROUP_ROLES": '{"cn=staff,dc=plant,dc=ru": "staff"}',
           f"SAFECARD_LDAP_{setting}": value}
    with pytest.raises(BadInput) as refused:
        DirectorySettings.from_env(env)
    assert refused.value.params["name"] == f"SAFECARD_LDAP_{setting}"


def test_the_server_will_not_start_with_a_broken_directory_setting(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    monkeypatch.setenv("SAFECARD_LDAP_URL", "dc1.plant.ru")
    code = server_main.main(["--database-url", f"sqlite:///{tmp_path}/s.db", "--lang", "en"])
    assert code == 2
    assert "SAFECARD_LDAP_URL" in capsys.readouterr().err


# ---- personnel number and PIN ---------------------------------------------------------------

def test_a_personnel_number_and_pin_sign_in_as_the_user(
        transport: SyncASGITransport, server_store: Store) -> None:
    signin.set_pin(server_store, "ivanov", "2580", "0042")
    answer = SyncClient(SERVER, transport=transport).login("0042", "2580", "terminal-1")
    assert (answer.user, answer.role) == ("ivanov", "staff")
    assert SyncClient(SERVER, transport=transport).login("ivanov", "2580", "t-2").user == \
        "ivanov"


def test_five_wrong_pins_lock_pin_sign_in_until_the_password_is_used(
        transport: SyncASGITransport, server_store: Store) -> None:
    signin.set_pin(server_store, "ivanov", "2580", "0042")

    def attempt(secret: str) -> str:
        try:
            SyncClient(SERVER, transport=transport).login("0042", secret, "terminal-1")
        except errors.SignedOut as refused:
            return refused.key
        return "ok"

    assert [attempt(f"{n:04d}") for n in range(5)] == ["sync_bad_credentials"] * 5
    assert attempt("2580") == "sync_pin_locked"  # even the right PIN
    assert attempt("correct horse battery") == "ok"  # the password unlocks
    assert attempt("2580") == "ok"


@pytest.mark.parametrize(("pin", "number", "key"), [
    ("12", None, "sync_bad_pin"), ("12345678901", None, "sync_bad_pin"),
    ("12a4", None, "sync_bad_pin"), ("1234", "no spaces please", "sync_bad_personnel_number"),
])
def test_a_pin_or_personnel_number_that_does_not_fit_is_refused(
        server_store: Store, pin: str, number: str | None, key: str) -> None:
    with pytest.raises(BadInput) as refused:
        signin.set_pin(server_store, "ivanov", pin, number)
    assert refused.value.key == key


def test_set_pin_on_the_command_line_and_a_taken_personnel_number(
        server_store: Store, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def run(*args: str, stdin: str) -> int:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        return server_main.main(["--database-url", server_store.url, "--lang", "en", *args])

    assert run("set-pin", "ivanov", "--personnel-number", "0042", stdin="2580\n") == 0
    assert "PIN set for ivanov" in capsys.readouterr().out
    assert run("set-pin", "petrov", "--personnel-number", "0042", stdin="1111\n") == 2
    assert "already belongs to ivanov" in capsys.readouterr().err
