"""The shared ``database_url`` fixture: each PostgreSQL test works in a fresh schema of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

only_postgres = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

# Filled by one test for the test after it: the earlier schema's name, a leaked connection.
_seen: dict[str, str] = {}
_leaked: list[tuple[sa.Connection, sa.Engine]] = []


@pytest.fixture(scope="module", autouse=True)
def _close_leaked() -> Iterator[None]:
    yield
    while _leaked:
        conn, engine = _leaked.pop()
        conn.invalidate()
        engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database_url)
    yield engine
    engine.dispose()


def _tables_named(conn: sa.Connection, name: str) -> list[tuple[str, str]]:
    return [
        (row.table_schema, row.table_name)
        for row in conn.execute(
            sa.text(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_name = :name"
            ),
            {"name": name},
        )
    ]


def test_database_url_gives_a_working_empty_database(engine: sa.Engine) -> None:
    assert sa.inspect(engine).get_table_names() == []
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE probe (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(sa.text("INSERT INTO probe (id, name) VALUES (1, 'Пожарный выход')"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM probe")).scalar_one() == "Пожарный выход"
    assert sa.inspect(engine).get_table_names() == ["probe"]


@pytest.mark.postgres
@only_postgres
def test_postgres_url_points_at_its_own_schema(database_url: str, engine: sa.Engine) -> None:
    url = make_url(database_url)
    assert url.get_backend_name() == "postgresql"
    with engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    assert schema is not None and schema.startswith("t_")
    assert f"search_path={schema}" in str(url.query["options"])


@pytest.mark.postgres
@only_postgres
def test_a_table_made_in_one_test_schema(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE isolation_probe (id INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO isolation_probe (id) VALUES (1)"))
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
        # information_schema lists the table under the test's own schema, not under public.
        assert (schema, "isolation_probe") in _tables_named(conn, "isolation_probe")
        assert ("public", "isolation_probe") not in _tables_named(conn, "isolation_probe")
    _seen["schema"] = schema


@pytest.mark.postgres
@only_postgres
def test_is_not_seen_in_the_next_test_schema(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
        assert "isolation_probe" not in sa.inspect(conn).get_table_names()
        # (Other schemas may hold one: another test run may share this database right now.)
        assert ("public", "isolation_probe") not in _tables_named(conn, "isolation_probe")
        if "schema" in _seen:
            # The earlier test's schema was dropped with its table.
            assert schema != _seen["schema"]
            dropped = conn.execute(
                sa.text("SELECT count(*) FROM pg_namespace WHERE nspname = :name"),
                {"name": _seen["schema"]},
            ).scalar_one()
            assert dropped == 0


@pytest.mark.postgres
@only_postgres
def test_schema_is_dropped_even_with_a_connection_left_in_a_transaction(
    database_url: str,
) -> None:
    # Teardown must not hang on locks held by a connection the test forgot to close.
    leaky = sa.create_engine(database_url)
    conn = leaky.connect()
    conn.execute(sa.text("CREATE TABLE held (id INTEGER)"))
    conn.execute(sa.text("LOCK TABLE held IN ACCESS EXCLUSIVE MODE"))
    _leaked.append((conn, leaky))  # checked, then closed, by the next test


@pytest.mark.postgres
def test_the_leaked_connection_was_ended(
    _postgres_admin_engine: sa.Engine | str,
) -> None:
    if isinstance(_postgres_admin_engine, str):
        pytest.skip(_postgres_admin_engine)
    if not _leaked:
        pytest.skip("runs after the test above")
    conn, leaky = _leaked.pop()
    try:
        with pytest.raises(sa.exc.OperationalError):
            conn.execute(sa.text("SELECT 1"))
    finally:
        conn.invalidate()
        leaky.dispose()
