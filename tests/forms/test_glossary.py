"""docs/glossary.md is applied: the catalogue keys it names use its terms, and no catalogue text,
configured label or help page uses a word it retired."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from forms.i18n import LANGUAGES, catalogue

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "docs" / "glossary.md"
COLUMNS = {"ru": (1, 4), "en": (2, 5)}  # (term, retired) column of each language


@dataclass(frozen=True)
class Row:
    concept: str
    terms: dict[str, str]
    keys: tuple[str, ...]
    retired: dict[str, tuple[str, ...]]


def rows() -> list[Row]:
    lines = GLOSSARY.read_text("utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Concept |"))
    found = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        found.append(Row(
            concept=cells[0],
            terms={lang: cells[COLUMNS[lang][0]] for lang in LANGUAGES},
            keys=tuple(re.findall(r"`([^`]+)`", cells[3])),
            retired={lang: tuple(w.strip() for w in cells[COLUMNS[lang][1]].split(",")
                                 if w.strip() not in ("", "—")) for lang in LANGUAGES}))
    return found


def retired_pattern(word: str) -> re.Pattern[str]:
    """The retired word as a whole word; any case, unless it is written in capitals."""
    flags = 0 if word.isupper() else re.IGNORECASE
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", flags)


def catalogue_texts(lang: str) -> Iterator[tuple[str, str]]:
    for key, entry in catalogue(lang).items():
        for text in entry.values() if isinstance(entry, dict) else [entry]:
            yield f"catalogue {key}", text


def label_texts(lang: str) -> Iterator[tuple[str, str]]:
    """Every configured label ({"ru": …, "en": …}) in the bundled configuration."""
    def walk(where: str, value: Any) -> Iterator[tuple[str, str]]:
        if isinstance(value, dict):
            if isinstance(value.get("label"), dict) and lang in value["label"]:
                yield f"{where} label", value["label"][lang]
            for name, inner in value.items():
                yield from walk(f"{where}.{name}", inner)
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                yield from walk(f"{where}[{i}]", inner)

    for path in sorted((ROOT / "resources" / "config").glob("*.json")):
        yield from walk(path.name, json.loads(path.read_text("utf-8")))


def help_texts(lang: str) -> Iterator[tuple[str, str]]:
    for path in sorted((ROOT / "resources" / "help" / lang).glob("*.html")):
        yield f"help {path.name}", html.unescape(re.sub(r"<[^>]+>", " ", path.read_text("utf-8")))


def test_the_glossary_is_a_table_of_terms_with_their_keys() -> None:
    found = rows()
    assert len(found) >= 30
    assert all(r.terms["ru"] and r.terms["en"] and r.keys for r in found)
    retired = [w for r in found for w in r.retired["ru"]]
    assert {"мера", "заявитель", "эскалация", "квитанция", "статус"} <= set(retired)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_key_named_in_the_glossary_uses_its_term(lang: str) -> None:
    texts = catalogue(lang)
    for row in rows():
        for key in row.keys:
            assert key in texts, (row.concept, key)
            value = texts[key]
            assert isinstance(value, str), key
            assert row.terms[lang].casefold() in value.casefold(), (row.concept, lang, key, value)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_a_person_reads_uses_a_retired_word(lang: str) -> None:
    found = rows()
    offences = []
    for where, text in [*catalogue_texts(lang), *label_texts(lang), *help_texts(lang)]:
        for row in found:
            # The current term may contain the retired word («ОТ и ПБ» holds «ОТ»).
            rest = re.sub(re.escape(row.terms[lang]), " ", text, flags=re.IGNORECASE)
            for word in row.retired[lang]:
                if retired_pattern(word).search(rest):
                    offences.append(f"{where}: «{word}» ({row.concept}) in {text!r}")
    assert not offences, "\n".join(offences)


def test_a_retired_word_is_found_where_it_hides() -> None:
    """The checker itself: whole words only, any case, capitals only in capitals."""
    assert retired_pattern("мера").search("Мера не сработала")
    assert not retired_pattern("мера").search("Мероприятие")
    assert retired_pattern("ОТ").search("в области ОТ»")
    assert not retired_pattern("ОТ").search("от 1 до 5")
