"""The one translation catalogue, shared by forms, reports, the CLI and the desktop.

Russian is the default; English is the second language. Keys are stable identifiers,
texts live in resources/translations/<lang>/*.json (one file per area: core, reports,
desktop; merged, a key must be defined once). A missing English text falls back to
Russian, a missing Russian text to the key itself (so a gap is visible, never a crash).
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forms.config import Config
    from forms.errors import SafeCardError

LANGUAGES = ("ru", "en")
DEFAULT_LANG = "ru"
_forced: str | None = None


@cache
def catalogue(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    folder = resources.files("resources") / "translations" / lang
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            merged.update(json.loads(entry.read_text("utf-8")))
    return merged


def set_language(lang: str | None) -> None:
    """Force a language for this process (the CLI's --lang, the desktop's setting)."""
    global _forced
    _forced = lang if lang in LANGUAGES else None


def current_language() -> str:
    if _forced:
        return _forced
    explicit = os.environ.get("SAFECARD_LANG", "")
    if explicit[:2] in LANGUAGES:
        return explicit[:2]
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else DEFAULT_LANG
    return DEFAULT_LANG


def tr(key: str, lang: str | None = None, **params: Any) -> str:
    lang = lang or current_language()
    text = catalogue(lang).get(key)
    if text is None and lang != DEFAULT_LANG:
        text = catalogue(DEFAULT_LANG).get(key)
    if text is None:
        return key
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError, ValueError):
        return text


def has(key: str, lang: str | None = None) -> bool:
    return key in catalogue(lang or current_language())


# Error parameters that are codes: shown to people by their label, not the code.
_LABELLED_PARAMS = {"state": "states", "operation": "operations", "band": "bands",
                    "role": "roles", "status": "action_status", "kind": "kinds"}


def error_text(error: SafeCardError, lang: str | None = None) -> str:
    """What happened and what to do now, as one line."""
    from forms.errors import ValidationFailed

    lang = lang or current_language()
    if isinstance(error, ValidationFailed):
        return " ".join(field_error_text(e.field, e.key, e.params, lang) for e in error.errors)
    params = {
        name: option_label(_LABELLED_PARAMS[name], value, lang)
        if name in _LABELLED_PARAMS and isinstance(value, str) else value
        for name, value in error.params.items()
    }
    what = tr(f"error.{error.key}", lang, **params)
    fix_key = f"error.{error.key}.fix"
    fix = tr(fix_key, lang, **params) if has(fix_key, lang) or has(fix_key, "ru") else ""
    return f"{what} {fix}".strip()


def field_error_text(field: str, key: str, params: dict[str, Any], lang: str | None = None) -> str:
    lang = lang or current_language()
    label = field_label(field, lang)
    return tr(f"field_error.{key}", lang, field=field, label=label, **params)


def field_label(name: str, lang: str | None = None) -> str:
    key = f"field.{name}"
    return tr(key, lang) if has(key, lang or current_language()) or has(key, "ru") else name


def option_label(list_name: str, code: str, lang: str | None = None,
                 config: Config | None = None) -> str:
    """The display label of a list value: configured labels first, then the catalogue."""
    lang = lang or current_language()
    if config is not None:
        configured = config.label(list_name, code, lang)
        if configured:
            return configured
    key = f"option.{list_name}.{code}"
    return tr(key, lang) if has(key, lang) or has(key, "ru") else code


def format_date(iso: str, lang: str | None = None) -> str:
    """A calendar date as people of that language write it (23.11.2026 in Russian)."""
    from datetime import date

    try:
        day = date.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso
    return day.strftime("%d.%m.%Y") if (lang or current_language()) == "ru" else day.isoformat()
