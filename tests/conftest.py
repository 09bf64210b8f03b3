"""Fixtures shared by every test package (tests/forms, tests/sync, tests/reports, ...).

This file must stay importable without PySide6: the headless job runs every non-desktop test
in an environment where Qt is not installed.

* ``database_url`` runs a test twice, on SQLite and on PostgreSQL. The PostgreSQL run gets a
  fresh, empty schema of its own, reached through the URL's ``search_path`` option, and the
  schema is dropped afterwards. When the server cannot be reached the PostgreSQL run is skipped,
  or fails when ``SAFECARD_REQUIRE_POSTGRES=1`` (as in CI, where ``.ci/run`` starts the server).
* ``safecard_home`` points ``SAFECARD_HOME`` at an empty folder and sets a Russian locale.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

# Qt widgets need no screen in tests; set before anything can import PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A developer's machine may have the .deb's /etc/safecard/safecard.ini: tests that want
# site settings write their own file.
os.environ["SAFECARD_SITE_SETTINGS"] = str(Path(__file__).with_name("no-site-settings.ini"))

# Shared 2-core machines stall now and then: a slow example is not a failure. Speed is
# measured in bench/, not asserted in tests.
settings.register_profile("safecard", deadline=None)
settings.load_profile("safecard")

DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg:///safecard_test"
CONNECT_TIMEOUT_SECONDS = 5


def _postgres_base_url() -> URL:
    return make_url(os.environ.get("SAFECARD_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL))


def _postgres_required() -> bool:
    return os.environ.get("SAFECARD_REQUIRE_POSTGRES") == "1"


def _with_option(url: URL, option: str) -> URL:
    """Add a libpq ``options`` entry (``-c name=value``), keeping any the URL already has."""
    existing = url.query.get("options")
    if isinstance(existing, tuple):
        existing = " ".join(existing)
    options = f"{existing} {option}" if existing else option
    return url.update_query_dict({"options": options})


@pytest.fixture(scope="session")
def _postgres_admin_engine() -> Iterator[sa.Engine | str]:
    """An engine on the test database, or the reason it cannot be reached (checked once)."""
    url = _postgres_base_url()
    engine = sa.create_engine(
        url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    )
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any driver or network error means "no server"
        engine.dispose()
        shown = url.render_as_string(hide_password=True)
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        yield (
            f"PostgreSQL not reachable at {shown} ({type(exc).__name__}: {first_line}); "
            "start it with .ci/run or set SAFECARD_TEST_DATABASE_URL"
        )
        return
    yield engine
    engine.dispose()


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/store.db"


def _postgres_schema_url(admin: sa.Engine, schema: str) -> str:
    url = admin.url
    # Every connection made from this URL works inside the schema only; the application name
    # lets teardown find (and end) connections a test forgot to close.
    url = _with_option(url, f"-csearch_path={schema}")
    url = url.update_query_dict({"application_name": schema})
    return url.render_as_string(hide_password=False)


def _drop_schema(admin: sa.Engine, schema: str) -> None:
    with admin.begin() as conn:
        # A connection left open inside a transaction would hold locks and make DROP wait.
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND pid <> pg_backend_pid()"
            ),
            {"name": schema},
        )
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL to an empty database: SQLite in tmp_path, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path)
        return

    admin = request.getfixturevalue("_postgres_admin_engine")
    if isinstance(admin, str):
        if _postgres_required():
            pytest.fail(f"SAFECARD_REQUIRE_POSTGRES=1 but {admin}", pytrace=False)
        pytest.skip(admin)

    schema = f"t_{uuid.uuid4().hex}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(admin, schema)
    finally:
        _drop_schema(admin, schema)


@pytest.fixture
def safecard_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty SAFECARD_HOME folder, with a Russian locale and no SAFECARD_LANG override."""
    home = tmp_path / "safecard_home"
    home.mkdir()
    monkeypatch.setenv("SAFECARD_HOME", str(home))
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    # These outrank LANG when a locale is chosen from the environment; clear them so that
    # LANG decides on every machine (CI's environment may carry LC_ALL=C.UTF-8, say).
    for name in ("SAFECARD_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    return home
