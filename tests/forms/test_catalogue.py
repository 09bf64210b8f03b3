"""The translation catalogue: every text in both languages with the same placeholders, every
counted phrase in CLDR's plural forms, every key the code asks for present, and the desktop's
advice free of commands to type."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from forms.i18n import LANGUAGES, catalogue, locale, plural_form, tr

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = (1, 2, 5, 11, 21, 101)
# CLDR's categories for those numbers, written out: the Russian rule is one for 1, 21, 101
# (but not 11), few for 2–4, many for 5–20; English has one for 1 only.
CLDR = {"ru": {1: "one", 2: "few", 5: "many", 11: "many", 21: "one", 101: "one"},
        "en": {1: "one", 2: "other", 5: "other", 11: "other", 21: "other", 101: "other"}}
# Grammar CLDR has not got (the Russian instrumental case of month names): Russian only,
# English takes CLDR's month names.
ONE_LANGUAGE = ("time.month_instrumental.",)
# A parameter that counts something: a word after it must agree with it.
COUNT = re.compile(r"\{(count|n|\w+_count)\}(?=\s+\w)")
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)[^{}]*\}(?!\})")
COMMAND = re.compile(r"\bsafecard(-server)? [a-z]|(^|\s)--[a-z]|\bpip install\b|"
                     r"\bset-role\b|\blist-users\b")


def texts(entry: Any) -> list[str]:
    return list(entry.values()) if isinstance(entry, dict) else [entry]


def placeholders(entry: Any) -> set[str]:
    return {name for text in texts(entry) for name in PLACEHOLDER.findall(text)}


def area_files(lang: str) -> list[Path]:
    folder = resources.files("resources").joinpath("translations", lang)
    return sorted(Path(str(f)) for f in folder.iterdir() if f.name.endswith(".json"))


def test_babel_has_the_cldr_plural_rules_written_above() -> None:
    for lang in LANGUAGES:
        assert {n: plural_form(lang, n) for n in NUMBERS} == CLDR[lang]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_counted_phrase_has_exactly_the_cldr_forms_and_renders_each_number(
        lang: str) -> None:
    forms_of_lang = set(locale(lang).plural_form.tags) | {"other"}
    counted = {k: v for k, v in catalogue(lang).items() if isinstance(v, dict)}
    assert len(counted) >= 12
    for key, forms in counted.items():
        assert set(forms) == forms_of_lang, key
        assert all("{count}" in form for form in forms.values()), key
        if lang == "ru":  # «1 балл», «2 балла», «5 баллов»: the forms differ
            assert len({forms["one"], forms["few"], forms["many"]}) >= 2, key
        others = {name: f"<{name}>" for name in placeholders(forms) - {"count"}}
        for n in NUMBERS:
            text = tr(key, lang, count=n, **others)
            assert text == forms[CLDR[lang][n]].format(count=n, **others), (key, n)
            assert str(n) in text


def test_a_count_is_written_with_the_languages_digit_grouping() -> None:
    assert tr("value.score", "ru", count=1234) == "1\xa0234 балла"
    assert tr("value.score", "en", count=1234) == "1,234 points"
    assert tr("value.score", "ru", count=21) == "21 балл"
    assert tr("value.photos", "ru", count=11) == "11 фотографий"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_number_followed_by_a_word_is_a_counted_phrase(lang: str) -> None:
    """«{count} изменений» reads «2 изменений»: such a text must be a plural entry. A count
    after a colon («Ждут отправки: 2») needs no agreement and may stay a string."""
    wrong = [key for key, entry in catalogue(lang).items()
             if isinstance(entry, str) and COUNT.search(entry)]
    assert not wrong


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    ru, en = catalogue("ru"), catalogue("en")
    only_ru = {k for k in set(ru) - set(en) if not k.startswith(ONE_LANGUAGE)}
    assert not only_ru and not set(en) - set(ru), (only_ru, set(en) - set(ru))
    for key, entry in en.items():
        assert placeholders(entry) == placeholders(ru[key]), key


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_key_is_defined_in_one_area_file_only(lang: str) -> None:
    seen: dict[str, str] = {}
    for path in area_files(lang):
        for key in json.loads(path.read_text("utf-8")):
            assert key not in seen, f"{key} in {seen.get(key)} and {path.name}"
            seen[key] = path.name


def test_every_key_the_code_asks_for_is_in_the_catalogue() -> None:
    asked = set()
    for package in ("forms", "sync", "reports", "cli", "desktop"):
        for path in (ROOT / package).rglob("*.py"):
            asked |= set(re.findall(r'(?:\btr|\.t)\(\s*"([a-z_]+\.[a-z0-9_.]*[a-z0-9_])"',
                                    path.read_text("utf-8")))
    assert len(asked) > 200
    missing = asked - set(catalogue("ru"))
    assert not missing


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_desktop_has_its_own_advice_where_the_command_lines_names_a_command(
        lang: str) -> None:
    texts_ = catalogue(lang)
    for key, entry in texts_.items():
        if key.endswith(".fix") and any(COMMAND.search(t) for t in texts(entry)):
            desktop = texts_.get(f"{key}.desktop")
            assert desktop is not None, key
            assert not any(COMMAND.search(t) for t in texts(desktop)), key
