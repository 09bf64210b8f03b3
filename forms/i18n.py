"""The one translation catalogue, shared by forms, reports, the CLI and the desktop.

Russian is the default; English is the second language. Keys are stable identifiers,
texts live in resources/translations/<lang>/*.json (one file per area: core, reports,
desktop, sync; merged, a key must be defined once). A missing English text falls back to
Russian, a missing Russian text to the key itself (so a gap is visible, never a crash).

A counted phrase is an object of CLDR plural forms instead of a string — Russian
`{"one": "{count} балл", "few": "{count} балла", "many": "{count} баллов", "other": …}`,
English `{"one": …, "other": …}` — and the form is chosen by the `count` parameter with the
language's CLDR plural rule (Babel). Values as a person reads them (dates, numbers, labels,
errors) are made by `forms.display.Display`, which uses this catalogue.
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from babel import Locale
from babel.numbers import format_decimal

if TYPE_CHECKING:
    from forms.config import Config
    from forms.errors import SafeCardError

LANGUAGES = ("ru", "en")
DEFAULT_LANG = "ru"
_forced: str | None = None

Entry = str | dict[str, str]  # a text, or a counted phrase's plural forms


@cache
def catalogue(lang: str) -> dict[str, Entry]:
    merged: dict[str, Entry] = {}
    folder = resources.files("resources") / "translations" / lang
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            merged.update(json.loads(entry.read_text("utf-8")))
    return merged


@cache
def locale(lang: str) -> Locale:
    return Locale.parse(lang)


def plural_form(lang: str, count: float) -> str:
    """The CLDR plural category of `count` in `lang`: one, few, many or other."""
    return str(locale(lang).plural_form(count))


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
    """The text of `key` with `params` filled in. A counted phrase takes the plural form of
    its `count`, which is written with the language's digit grouping (1 234 / 1,234)."""
    lang = lang or current_language()
    text = catalogue(lang).get(key)
    if text is None and lang != DEFAULT_LANG:
        text, lang = catalogue(DEFAULT_LANG).get(key), DEFAULT_LANG
    if text is None:
        return key
    count = params.get("count")
    if isinstance(count, int) and not isinstance(count, bool):
        params["count"] = format_decimal(count, locale=locale(lang))
    if isinstance(text, dict):
        number = count if isinstance(count, int | float) else 0
        text = text.get(plural_form(lang, number)) or text["other"]
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError, ValueError):
        return text


def has(key: str, lang: str | None = None) -> bool:
    return key in catalogue(lang or current_language())


def error_text(error: SafeCardError, lang: str | None = None) -> str:
    """What happened and what to do now, as one line, for the command line (`Display.error`
    without a site configuration: labels from the catalogue only)."""
    from forms.display import Display

    return Display.create(None, lang, commands=True).error(error)


def option_label(list_name: str, code: str, lang: str | None = None,
                 config: Config | None = None) -> str:
    """The label of a list value (`Display.label`): configured labels, then the catalogue."""
    from forms.display import Display

    return Display.create(config, lang).label(list_name, code)
