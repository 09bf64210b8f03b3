"""Settings for every user of a workstation, set by site IT, not by the user.

One INI file, machine-wide, so that a package (`msiexec /i … SERVER=…`, the .deb's conffile),
Group Policy Preferences ("Ini Files") or Ansible can write it:
`%ProgramData%\\SafeCard\\safecard.ini` on Windows, `/etc/safecard/safecard.ini` elsewhere,
or the file `SAFECARD_SITE_SETTINGS` names. Section `[safecard]`:

    server = https://safecard.example.ru   the sync server (the sign-in form's default)
    language = ru | en                     the app's language until a user picks another
    mode = personal | terminal             terminal: a shared workstation (docs/terminal.md)
    idle_seconds = 60                      on a terminal, sign out after this long idle

A missing file is no settings at all. A value that cannot be used is left out and named in
`problems`, which `safecard check` prints: a typo by IT must not stop a worker filing.
"""

from __future__ import annotations

import configparser
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SITE_SETTINGS_ENV = "SAFECARD_SITE_SETTINGS"
SECTION = "safecard"
MODES = ("personal", "terminal")
LANGUAGES = ("ru", "en")
DEFAULT_IDLE_SECONDS = 60
IDLE_RANGE = (15, 3600)


@dataclass(frozen=True)
class SiteSettings:
    path: Path
    server: str | None = None
    language: str | None = None
    mode: str = "personal"
    idle_seconds: int = DEFAULT_IDLE_SECONDS
    problems: tuple[str, ...] = ()

    @property
    def terminal(self) -> bool:
        return self.mode == "terminal"

    def defaults(self) -> dict[str, Any]:
        """What a user's own settings.json starts from."""
        found = {"server": self.server, "language": self.language}
        return {key: value for key, value in found.items() if value}


def site_settings_path() -> Path:
    explicit = os.environ.get(SITE_SETTINGS_ENV)
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData"), "SafeCard", "safecard.ini")
    return Path("/etc/safecard/safecard.ini")


def load_site_settings(path: Path | None = None) -> SiteSettings:
    path = path or site_settings_path()
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8-sig") as handle:  # Notepad writes a BOM
            parser.read_file(handle)
    except FileNotFoundError:
        return SiteSettings(path)
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        return SiteSettings(path, problems=(f"{path}: {_first_line(exc)}",))
    if not parser.has_section(SECTION):
        return SiteSettings(path, problems=(f"{path}: no [{SECTION}] section",))
    values = parser[SECTION]
    problems: list[str] = []

    def bad(key: str, expected: str) -> None:
        problems.append(f"{path}: {key} = {values[key]!r}: expected {expected}")

    server = values.get("server", "").strip().rstrip("/") or None
    if server and not server.startswith(("http://", "https://")):
        bad("server", "an http:// or https:// address")
        server = None
    language = values.get("language", "").strip().lower() or None
    if language and language not in LANGUAGES:
        bad("language", " or ".join(LANGUAGES))
        language = None
    mode = values.get("mode", "").strip().lower() or "personal"
    if mode not in MODES:
        bad("mode", " or ".join(MODES))
        mode = "personal"
    idle = DEFAULT_IDLE_SECONDS
    if values.get("idle_seconds", "").strip():
        try:
            idle = int(values["idle_seconds"])
        except ValueError:
            idle = -1
        if not IDLE_RANGE[0] <= idle <= IDLE_RANGE[1]:
            bad("idle_seconds", f"whole seconds from {IDLE_RANGE[0]} to {IDLE_RANGE[1]}")
            idle = DEFAULT_IDLE_SECONDS
    for key in values:
        if key not in ("server", "language", "mode", "idle_seconds"):
            problems.append(f"{path}: unknown setting {key!r}")
    return SiteSettings(path, server, language, mode, idle, tuple(problems))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
