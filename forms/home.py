"""A workstation's home folder: the local store, photos, settings and config overrides.

`SAFECARD_HOME` (or the CLI's --home) overrides the platform's user data folder.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from forms.config import Config, load_config
from forms.ids import uuid7
from forms.site_settings import SiteSettings, load_site_settings
from forms.store import integrity
from forms.store.repo import Store


def default_home() -> Path:
    explicit = os.environ.get("SAFECARD_HOME")
    return Path(explicit) if explicit else Path(user_data_dir("SafeCard", appauthor=False))


@dataclass
class Home:
    path: Path
    # The machine-wide settings site IT set (forms/site_settings.py), read once per Home.
    site: SiteSettings = field(default_factory=load_site_settings)
    # Set for a shared terminal's session: its token is kept apart (sync/terminal.py).
    credential_scope: str | None = None

    @property
    def store_path(self) -> Path:
        return self.path / "safecard.db"

    @property
    def blobs(self) -> Path:
        return self.path / "blobs"

    @property
    def settings_path(self) -> Path:
        return self.path / "settings.json"

    def settings(self) -> dict[str, Any]:
        """The user's own settings over the site's defaults (server, language)."""
        return self.site.defaults() | self._own_settings()

    def _own_settings(self) -> dict[str, Any]:
        try:
            found = json.loads(self.settings_path.read_text("utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return found if isinstance(found, dict) else {}

    def save_settings(self, values: dict[str, Any]) -> None:
        merged = self._own_settings() | values
        tmp = self.settings_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(merged, ensure_ascii=False, indent=2), "utf-8")
        tmp.replace(self.settings_path)

    def config(self) -> Config:
        return load_config(self.path / "config")

    def open_store(self, config: Config | None = None) -> Store:
        """The store, once it is known not to be damaged (forms/store/integrity.py: a cheap
        look at every open, the full check when it finds something or SQLite fails)."""
        self.path.mkdir(parents=True, exist_ok=True)
        integrity.check_at_open(self.store_path)
        try:
            return Store(f"sqlite:///{self.store_path}", config or self.config())
        except Exception as error:
            damaged = integrity.explain(error, self.store_path)
            if damaged is not None:
                raise damaged from None
            raise

    def device_id(self, store: Store) -> str:
        """A random id for this workstation's store (never derived from the machine)."""
        existing = store.get_meta("device_id")
        if existing:
            return existing
        new = uuid7()
        store.set_meta("device_id", new)
        return new

    def user(self, explicit: str | None = None) -> str:
        """Who is acting: --user, SAFECARD_USER, the saved setting, else the OS login name."""
        return (explicit or os.environ.get("SAFECARD_USER") or self.settings().get("user")
                or getpass.getuser())


def open_home(path: Path | str | None = None) -> Home:
    home = Home(Path(path) if path else default_home())
    home.path.mkdir(parents=True, exist_ok=True)
    return home
