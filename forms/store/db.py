"""Engines and schema: SQLite tuned for durability, PostgreSQL as is; Alembic owns the schema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")
WRITE_OPTION = "safecard_write"  # execution option marking a write transaction


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN (pysqlite's own implicit BEGIN is deferred
    # and comes too late to serialise writers).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the UI) run beside the writer; FULL fsyncs each commit, so a card the
    # UI called saved survives power loss and kill -9.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A write transaction takes the write lock at BEGIN, so its reads (known ids, the device
    # sequence) cannot be overtaken by another writer, in this process or another one.
    immediate = conn.get_execution_options().get(WRITE_OPTION)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# JSON columns hold Russian text: written as UTF-8 it is a third of the size of \u escapes,
# and it can go out in a sync request as stored (the server scans escaped bodies slowly).
json_text = json.JSONEncoder(ensure_ascii=False).encode


def make_engine(url: str, *, pre_ping: bool = True) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False},
                               json_serializer=json_text)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=pre_ping, json_serializer=json_text)


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    # Importing Alembic costs a desktop start about 0.2 s; a store already at the head (every
    # start but the first after an update) does not need it.
    if revision == "head" and _stored_revision(engine) == head_revision():
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def head_revision() -> str | None:
    """The one revision no other migration revises (Alembic's "head"), read from the files."""
    revised, revisions = set(), set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text("utf-8")
        revisions.update(re.findall(r'^revision = "(\w+)"', source, re.MULTILINE))
        revised.update(re.findall(r'^down_revision = "(\w+)"', source, re.MULTILINE))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no version table yet: a new store, which Alembic creates
        return None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
