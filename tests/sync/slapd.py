"""A real OpenLDAP `slapd` on a loopback port with a small plant directory, for the
directory sign-in tests. Debian's `slapd` package (scripts/test installs it); each test gets
its own slapd.conf, database folder and port, and the server is stopped by its pid file.

The directory: people ivanov (group safecard-staff), petrov (safecard-supervisors), sidorov
(no SafeCard group), kozlov (safecard-staff, disabled by a test with OpenLDAP's own account
lock: ppolicy's pwdAccountLockedTime), a service account the server binds as.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ldap3 import MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, Connection, Server

from tests.e2e.faults.netutil import free_port

SUFFIX = "dc=plant,dc=ru"
ADMIN_DN, ADMIN_PASSWORD = f"cn=admin,{SUFFIX}", "slapd admin password"
SERVICE_DN, SERVICE_PASSWORD = f"cn=safecard,ou=services,{SUFFIX}", "service password"
STAFF_GROUP = f"cn=safecard-staff,ou=groups,{SUFFIX}"
SUPERVISOR_GROUP = f"cn=safecard-supervisors,ou=groups,{SUFFIX}"
PEOPLE = {  # login: (full name, password, personnel number, groups)
    "ivanov": ("Иванов Иван Петрович", "ivanov directory pw", "1001", [STAFF_GROUP]),
    "petrov": ("Петров Сергей Николаевич", "petrov directory pw", "1002", [SUPERVISOR_GROUP]),
    "sidorov": ("Сидоров Олег", "sidorov directory pw", "1003", []),
    "kozlov": ("Козлов Антон", "kozlov directory pw", "1004", [STAFF_GROUP]),
}
# The filter a site with OpenLDAP's ppolicy would use: a locked account is nobody.
USER_FILTER = "(&(objectClass=inetOrgPerson)(uid={login})(!(pwdAccountLockedTime=*)))"

CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb.la
moduleload ppolicy.la
pidfile {root}/slapd.pid
database mdb
maxsize 16777216
suffix "{suffix}"
rootdn "{admin}"
rootpw "{admin_password}"
directory {root}/data
access to attrs=userPassword by anonymous auth by self write by * none
access to * by dn.exact="{service}" read by self read by * none
overlay ppolicy
ppolicy_default "cn=default,ou=policies,{suffix}"
"""


def person_dn(login: str) -> str:
    return f"uid={login},ou=people,{SUFFIX}"


@dataclass
class Slapd:
    url: str
    root: Path

    def admin(self) -> contextlib.AbstractContextManager[Connection]:
        return _bound(self.url)

    def lock(self, login: str) -> None:
        """Disable the account as OpenLDAP does: binds fail, the site's filter skips it."""
        with self.admin() as conn:
            assert conn.modify(person_dn(login),
                               {"pwdAccountLockedTime": [(MODIFY_REPLACE, ["000001010000Z"])]})

    def move_to_group(self, login: str, old: str, new: str) -> None:
        with self.admin() as conn:
            for group, change in ((old, MODIFY_DELETE), (new, MODIFY_ADD)):
                assert conn.modify(group, {"member": [(change, [person_dn(login)])]})

    def server_env(self) -> dict[str, str]:
        """The SAFECARD_LDAP_* settings a site would give the server for this directory."""
        return {
            "SAFECARD_LDAP_URL": self.url,
            "SAFECARD_LDAP_BIND_DN": SERVICE_DN,
            "SAFECARD_LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
            "SAFECARD_LDAP_USER_BASE": f"ou=people,{SUFFIX}",
            "SAFECARD_LDAP_USER_FILTER": USER_FILTER,
            "SAFECARD_LDAP_GROUP_BASE": f"ou=groups,{SUFFIX}",
            "SAFECARD_LDAP_GROUP_ROLES": json.dumps(
                {SUPERVISOR_GROUP: "supervisor", STAFF_GROUP: "staff"}),
            "SAFECARD_LDAP_RECHECK_SECONDS": "0",
        }


def _binary() -> str:
    found = shutil.which("slapd", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if found is None:
        pytest.fail("slapd is not installed: apt-get install slapd ldap-utils "
                    "(bash scripts/test installs them)")
    return found


def _fill(conn: Connection) -> None:
    def add(dn: str, classes: list[str], attrs: dict[str, object]) -> None:
        assert conn.add(dn, classes, attrs), conn.result

    add(SUFFIX, ["dcObject", "organization"], {"dc": "plant", "o": "Завод"})
    for ou in ("people", "groups", "services", "policies"):
        add(f"ou={ou},{SUFFIX}", ["organizationalUnit"], {"ou": ou})
    add(f"cn=default,ou=policies,{SUFFIX}", ["pwdPolicy", "device"],
        {"cn": "default", "pwdAttribute": "userPassword", "pwdLockout": "TRUE"})
    add(SERVICE_DN, ["inetOrgPerson"],
        {"cn": "safecard", "sn": "SafeCard", "userPassword": SERVICE_PASSWORD})
    members: dict[str, list[str]] = {STAFF_GROUP: [], SUPERVISOR_GROUP: []}
    for login, (name, password, number, groups) in PEOPLE.items():
        add(person_dn(login), ["inetOrgPerson"],
            {"uid": login, "cn": name, "sn": name.split()[0], "userPassword": password,
             "employeeNumber": number})
        for group in groups:
            members[group].append(person_dn(login))
    # groupOfNames needs a member: the service account keeps each group valid.
    for group, people in members.items():
        add(group, ["groupOfNames"], {"cn": group.split(",")[0][3:],
                                      "member": [*people, SERVICE_DN]})


@contextlib.contextmanager
def _bound(url: str) -> Iterator[Connection]:
    """As the directory's admin. (ldap3's own `with` leaves an auto-bound socket open.)"""
    conn = Connection(Server(url), ADMIN_DN, ADMIN_PASSWORD, auto_bind=True)
    try:
        yield conn
    finally:
        conn.unbind()
        if conn.socket is not None:
            conn.socket.close()


def _listening(url: str) -> bool:
    host, port = url.removeprefix("ldap://").split(":")
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) == 0


@contextlib.contextmanager
def running_slapd(root: Path) -> Iterator[Slapd]:
    (root / "data").mkdir(parents=True)
    conf = root / "slapd.conf"
    conf.write_text(CONF.format(root=root, suffix=SUFFIX, admin=ADMIN_DN,
                                admin_password=ADMIN_PASSWORD, service=SERVICE_DN), "utf-8")
    url = f"ldap://127.0.0.1:{free_port()}"
    subprocess.run([_binary(), "-f", str(conf), "-h", f"{url}/"], check=True, timeout=30)
    pidfile = root / "slapd.pid"
    try:
        deadline = time.monotonic() + 15
        while not _listening(url):
            if time.monotonic() > deadline:
                pytest.fail(f"slapd did not listen at {url} in 15 s")
            time.sleep(0.02)
        with _bound(url) as conn:
            _fill(conn)
        yield Slapd(url, root)
    finally:
        if pidfile.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
