"""The server's database: the shared store (forms migrations) plus the server tables."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, event
from sqlalchemy.exc import InvalidatePoolError

from forms.config import Config, build_config, load_raw
from forms.ids import uuid7
from forms.store.repo import Store

MIGRATIONS = Path(__file__).with_name("migrations")
CONFIG_KEY = "server_config"
EPOCH_KEY = "server_epoch"
# A pooled connection idle this long is pinged before use. One in steady use is not: a ping
# per checkout was two of a push's round trips. A connection that died anyway fails its
# first statement; authentication retries that once (auth.authenticate), anything else
# answers 503 and the client retries.
IDLE_PING_S = 5.0


def upgrade_server_tables(engine: Engine) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, "head")


def open_server_store(database_url: str) -> Store:
    """Migrate both schemas and open the store with the configuration the admin loaded."""
    # The pool does not ping at every checkout (two of a push's round trips), only after idling.
    store = Store(database_url, build_config(load_raw()), pre_ping=False)
    if not store.is_sqlite:
        ping_after_idle(store.engine)
    upgrade_server_tables(store.engine)
    store.config = current_config(store)
    if store.get_meta(EPOCH_KEY) is None:
        new_epoch(store)
    return store


def ping_after_idle(engine: Engine, idle_s: float = IDLE_PING_S) -> None:
    """Ping a pooled connection before use only after `idle_s` of idleness (the engine is
    made without the ping at every checkout)."""

    @event.listens_for(engine.pool, "checkin")
    def _idle_from(_dbapi: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _ping(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi)
            dbapi.rollback()  # the ping's implicit BEGIN: leave no transaction open
        except Exception as exc:  # the driver's own error type: the connection is gone
            raise InvalidatePoolError(str(exc)) from exc  # the pool reconnects, once


def current_config(store: Store) -> Config:
    saved = store.get_meta(CONFIG_KEY)
    return build_config(json.loads(saved)) if saved else build_config(load_raw())


class LiveConfig:
    """The configuration as saved now. `load-config` runs in another process than the server,
    so each request looks again (authentication reads the text in the token's round trip,
    see `seen`); it is rebuilt only when the text changed, and the store's projection
    (deadlines) follows it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._text: str | None = None

    def get(self) -> Config:
        return self.seen(self.store.get_meta(CONFIG_KEY) or "")

    def seen(self, saved: str) -> Config:
        """The configuration for the saved text just read ("" when none was loaded)."""
        if saved != self._text:
            self.store.config = build_config(json.loads(saved)) if saved else build_config(
                load_raw())
            self._text = saved
        return self.store.config


def save_config(store: Store, raw: dict[str, object]) -> Config:
    """Check a complete configuration (build_config raises ConfigError) and keep it."""
    config = build_config(raw)  # type: ignore[arg-type]
    store.set_meta(CONFIG_KEY, json.dumps(raw, ensure_ascii=False, sort_keys=True))
    store.config = config
    return config


def epoch(store: Store) -> str:
    return store.get_meta(EPOCH_KEY) or ""


def new_epoch(store: Store) -> str:
    """A restored database gets a new epoch, so every client's cursor is re-based."""
    value = uuid7().replace("-", "")[-12:]
    store.set_meta(EPOCH_KEY, value)
    return value
