"""The server's database: the shared store (forms migrations) plus the server tables."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine

from forms.config import Config, build_config, load_raw
from forms.ids import uuid7
from forms.store.repo import Store

MIGRATIONS = Path(__file__).with_name("migrations")
CONFIG_KEY = "server_config"
EPOCH_KEY = "server_epoch"


def upgrade_server_tables(engine: Engine) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, "head")


def open_server_store(database_url: str) -> Store:
    """Migrate both schemas and open the store with the configuration the admin loaded."""
    store = Store(database_url, build_config(load_raw()))
    upgrade_server_tables(store.engine)
    store.config = current_config(store)
    if store.get_meta(EPOCH_KEY) is None:
        new_epoch(store)
    return store


def current_config(store: Store) -> Config:
    saved = store.get_meta(CONFIG_KEY)
    return build_config(json.loads(saved)) if saved else build_config(load_raw())


class LiveConfig:
    """The configuration as saved now. `load-config` runs in another process than the server,
    so each request looks again (one small read); it is rebuilt only when the text changed,
    and the store's projection (deadlines) follows it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._text: str | None = None

    def get(self) -> Config:
        saved = self.store.get_meta(CONFIG_KEY) or ""
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
