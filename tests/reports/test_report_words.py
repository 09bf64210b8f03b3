"""Both PDFs read as people write: no word of a label broken inside itself, no code or machine
value where a label belongs, place names as written."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

from pypdf import PdfReader

from forms.i18n import catalogue
from forms.service import CardService
from reports.audit import write_audit
from reports.planning import write_planning
from tests.reports.conftest import GENERATED_AT, PERIOD, FakeClock, Sample, msk

WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def vocabulary() -> set[str]:
    """Every word of six letters or more in the Russian catalogue."""
    words: set[str] = set()
    for entry in catalogue("ru").values():
        for text in entry.values() if isinstance(entry, dict) else [entry]:
            words |= {w for w in WORD.findall(text) if len(w) >= 6}
    return words


def broken_words(pdf: Path, words: set[str]) -> list[str]:
    """A line ending in a piece of a known word whose rest starts the next line."""
    broken = []
    for page in PdfReader(pdf).pages:
        lines = [line.split() for line in (page.extract_text() or "").splitlines()]
        for this, following in pairwise(lines):
            if not this or not following:
                continue
            head, tail = this[-1], following[0]
            if head not in words and (head + tail).strip(".,:;»)") in words:
                broken.append(f"{head}|{tail}")
    return broken


def with_critical_risks(sample: Sample) -> Sample:
    """Open critical and high risks for the agenda, with long labels in narrow columns."""
    clock = FakeClock(msk(20, 9))
    petrov = CardService(sample.store, sample.config, user="petrov", clock=clock)
    for title, rating in (("Нет ограждения у пресса", (5, 5, 5, "breach")),
                          ("Открытый люк в пролёте", (4, 4, 5, "ok"))):
        ivanov = CardService(sample.store, sample.config, user="ivanov", clock=clock)
        card_id = ivanov.file({
            "kind": "hazard", "title": title, "description": "Опасно", "site": "sever",
            "department": "synthesis", "category": "machinery", "location": "РМЦ, пролёт Б",
        }).card_id
        petrov.assess(card_id, *rating)
        petrov.add_action(card_id, "Предупреждающее ограждение", "ivanov", "2026-10-22",
                          "preventive")
    return sample


def test_no_label_is_broken_inside_a_word(sample: Sample, tmp_path: Path) -> None:
    s = with_critical_risks(sample)
    words = vocabulary()
    assert {"Критический", "Подразделение", "Предупреждающее"} <= words
    planning, audit = tmp_path / "planning.pdf", tmp_path / "audit.pdf"
    write_planning(s.store, s.config, period="2026-10", site=None, out=planning, lang="ru",
                   generated_at=GENERATED_AT)
    write_audit(s.store, s.config, date_from=PERIOD[0], date_to=PERIOD[1], site=None,
                out=audit, lang="ru", generated_at=GENERATED_AT)
    for pdf in (planning, audit):
        assert not broken_words(pdf, words), pdf.name
    text = " ".join("\n".join(p.extract_text() or "" for p in PdfReader(planning).pages).split())
    assert "Критический" in text and "Повестка" in text
    assert "РМЦ, пролёт Б" in text  # a place name as written, not «рмц, пролёт б»
    assert "рмц" not in text


def test_table_headers_name_the_thing_and_no_code_is_printed(sample: Sample,
                                                             tmp_path: Path) -> None:
    planning = tmp_path / "planning.pdf"
    write_planning(sample.store, sample.config, period="2026-10", site=None, out=planning,
                   lang="ru", generated_at=GENERATED_AT)
    text = " ".join("\n".join(p.extract_text() or "" for p in PdfReader(planning).pages).split())
    assert "Значение" not in text
    for header in ("Категория Период Предыдущий Изменение",
                   "Площадка Период Предыдущий Изменение",
                   "Причина жалобы Период Предыдущий Изменение",
                   "Шаг алгоритма Период Предыдущий Изменение"):
        assert header in text, header
    for code in ("slips_trips", "service_quality", "sever", "2026-10", "2026-W", "LTIFR LTIFR",
                 "Europe/Moscow"):
        assert code not in text, code
    assert "Травматизм (LTIFR)" in text
