"""The audit PDF: what it shows, that it is an archivable record, and that it is reproducible."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from forms.errors import BadInput
from forms.ids import short_id
from forms.service import CardService
from reports.audit import AuditSummary, write_audit
from tests.reports.conftest import GENERATED_AT, PERIOD, FakeClock, Sample, msk
from tests.reports.pdftools import (
    flat_text,
    fonts,
    full_text,
    page_texts,
    qpdf_check,
    render_page,
)

IN_PERIOD = ("oil", "wire", "queue", "idea", "late_evening")


def audit(sample: Sample, out: Path, **kw: object) -> AuditSummary:
    args: dict[str, object] = dict(date_from=PERIOD[0], date_to=PERIOD[1], site=None, out=out,
                                   lang="ru", generated_at=GENERATED_AT)
    args.update(kw)
    return write_audit(sample.store, sample.config, **args)  # type: ignore[arg-type]


def test_audit_shows_every_card_filed_in_the_period_in_russian(sample: Sample,
                                                               tmp_path: Path) -> None:
    pdf = tmp_path / "audit.pdf"
    summary = audit(sample, pdf)
    text = flat_text(pdf)
    titles = sample.titles()
    for name in IN_PERIOD:
        assert titles[name] in text, name
        assert short_id(sample.ids[name]) in text
    assert titles["november"] not in text  # 00:30 on 1 November in Moscow is outside
    assert "Отчёт о проверке по ОТ и ПБ" in text
    assert "1—31 окт. 2026 г." in text  # the period's days, and its name
    assert "октябрь 2026 г." in text
    assert "Москва, стандартное время (UTC+3)" in text  # the zone by its name, not its id
    assert "Europe/Moscow" not in text
    assert summary.sha256 in text
    assert summary.cards == len(IN_PERIOD)
    # Labels, not codes: the site, the category, the kind, the band, people's names.
    for label in ("Завод «Северный»", "Электробезопасность", "Жалоба", "Высокий",
                  "Петров Сергей Николаевич"):
        assert label in text, label
    # User text is printed as typed, markup characters and all.
    assert "<около 1 м²> & следы обуви" in text


def test_a_card_shows_its_risk_actions_and_full_history(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "audit.pdf"
    audit(sample, pdf)
    text = flat_text(pdf)
    card = sample.store.card(sample.ids["oil"])
    assert len(card.history) >= 8
    for heading in ("Оценка риска", "Исходный", "Остаточный", "Корректирующие мероприятия",
                    "История", "Что сделано"):
        assert heading in text, heading
    assert "Убрать разлив и поставить поддон" in text
    assert "Разлив убран, под прессом стоит поддон" in text
    assert "05.10.2026, 09:15" in text  # filed 06:15 UTC, shown in the site's timezone


def test_anonymous_card_names_no_reporter(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "audit.pdf"
    audit(sample, pdf)
    text = full_text(pdf)
    # From its full id (printed once, in its own section) to the next card's.
    section = text[text.index(sample.ids["wire"]):text.index(sample.ids["queue"])]
    assert "Автор\nаноним" in section  # the reporter
    assert section.count("аноним") >= 2  # and the actor of its own events
    assert "Иванов" not in section  # the workstation user who filed it
    receipt_hash = sample.store.card_events(sample.ids["wire"])[0].payload["receipt_hash"]
    assert receipt_hash not in text and receipt_hash.encode() not in pdf.read_bytes()


def test_digest_is_sha256_of_the_canonical_events_of_the_cards_in_scope(
        sample: Sample, tmp_path: Path) -> None:
    summary = audit(sample, tmp_path / "a.pdf")
    in_scope = {sample.ids[n] for n in IN_PERIOD}
    events = sorted((e for _, e in sample.store.events() if e.card_id in in_scope),
                    key=lambda e: (e.hlc, e.id))
    canonical = json.dumps(
        [{"id": e.id, "card_id": e.card_id, "type": e.type, "hlc": e.hlc, "actor": e.actor,
          "payload": e.payload, "device_id": e.device_id, "device_seq": e.device_seq}
         for e in events],
        sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert summary.sha256 == hashlib.sha256(canonical).hexdigest()
    assert summary.events == len(events)


def test_digest_changes_with_an_event_in_scope_only(sample: Sample, tmp_path: Path) -> None:
    before = audit(sample, tmp_path / "a.pdf").sha256
    clock = FakeClock(msk(3, 10, month=11))
    petrov = CardService(sample.store, sample.config, user="petrov", clock=clock)
    petrov.comment(sample.ids["november"], "Вне периода")
    assert audit(sample, tmp_path / "b.pdf").sha256 == before
    petrov.comment(sample.ids["wire"], "Провод заизолирован")
    assert audit(sample, tmp_path / "c.pdf").sha256 != before


def test_only_embedded_dejavu_fonts(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "audit.pdf"
    audit(sample, pdf)
    rows = fonts(pdf)
    assert rows
    for row in rows:
        assert row["emb"] == "yes", row["line"]
        assert "DejaVu" in row["name"], row["line"]
        assert "Helvetica" not in row["line"]
    assert {r["name"].split("+")[-1] for r in rows} >= {"DejaVuSans", "DejaVuSans-Bold"}


def test_pdf_is_structurally_valid_and_renders(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "audit.pdf"
    audit(sample, pdf)
    check = qpdf_check(pdf)
    assert check.returncode == 0, check.stdout + check.stderr
    rendered = render_page(pdf, 1, tmp_path / "page1")
    assert rendered.returncode == 0, rendered.stderr
    assert (tmp_path / "page1.png").stat().st_size > 5000


def test_metadata_names_the_report_and_its_scope(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "audit.pdf"
    summary = audit(sample, pdf, site="sever")
    meta = PdfReader(pdf).metadata
    assert meta is not None
    assert meta.author == "SafeCard"
    assert meta.title == "Отчёт о проверке по ОТ и ПБ, октябрь 2026\u202fг."
    assert meta.subject == "период: октябрь 2026\u202fг.; площадка: Завод «Северный»"
    assert summary.site == "sever"


def test_site_filter_keeps_that_sites_cards(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "audit.pdf"
    summary = audit(sample, pdf, site="office")
    text = full_text(pdf)
    titles = sample.titles()
    assert summary.cards == 1
    assert titles["queue"] in text
    assert titles["oil"] not in text and titles["idea"] not in text
    assert "Сервисный центр на Ленина" in text


def test_pages_are_numbered_n_of_m(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "audit.pdf"
    summary = audit(sample, pdf)
    pages = page_texts(pdf)
    assert summary.pages == len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert f"Страница {number} из {len(pages)}" in page
        assert "сформирован 02.11.2026, 12:00 по московскому времени" in page


def test_long_history_splits_across_pages_with_its_header_repeated(
        sample: Sample, tmp_path: Path) -> None:
    clock = FakeClock(msk(14, 9))
    petrov = CardService(sample.store, sample.config, user="petrov", clock=clock)
    wire = sample.ids["wire"]
    for n in range(70):
        petrov.comment(wire, f"Обход №{n + 1}: щитовая закрыта, провод под напряжением")
    petrov.comment(wire, "Очень длинный отчёт электрика. " * 250)  # taller than a page
    pdf = tmp_path / "audit.pdf"
    summary = audit(sample, pdf)
    pages = page_texts(pdf)
    with_rounds = [p for p in pages if "Обход №" in p]
    assert len(with_rounds) >= 2
    for page in with_rounds:
        assert "Время" in page and "Кто" in page and "Событие" in page
    # A page that starts inside the card names it in its running header.
    carried = f"продолжение: № {short_id(wire)} «Оголённый провод в щитовой»"
    assert carried in with_rounds[1]
    assert not any(carried in p for p in pages[:2])
    assert "Обход №70" in full_text(pdf)
    assert qpdf_check(pdf).returncode == 0
    assert summary.pages == len(pages)


def test_same_inputs_give_identical_bytes(sample: Sample, tmp_path: Path) -> None:
    first, second = tmp_path / "1.pdf", tmp_path / "2.pdf"
    audit(sample, first)
    audit(sample, second)
    assert first.read_bytes() == second.read_bytes()
    third = tmp_path / "3.pdf"
    audit(sample, third, generated_at=datetime(2026, 11, 3, 9, 0, tzinfo=GENERATED_AT.tzinfo))
    assert third.read_bytes() != first.read_bytes()


def test_empty_period_gives_a_valid_pdf_saying_so(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "empty.pdf"
    summary = audit(sample, pdf, date_from=date(2025, 1, 1), date_to=date(2025, 1, 31))
    assert (summary.cards, summary.events, summary.overdue) == (0, 0, 0)
    assert summary.sha256 == hashlib.sha256(b"[]").hexdigest()
    text = full_text(pdf)
    assert "В этом периоде карточек нет." in text
    assert "Страница 1 из 1" in text
    assert qpdf_check(pdf).returncode == 0
    assert all(r["emb"] == "yes" and "DejaVu" in r["name"] for r in fonts(pdf))


def test_deadlines_are_judged_at_now(sample: Sample, tmp_path: Path) -> None:
    late = audit(sample, tmp_path / "late.pdf")
    early = audit(sample, tmp_path / "early.pdf", now=msk(13, 10))
    assert late.overdue >= 1
    assert early.overdue == 0
    assert "Карточек с нарушенным сроком на 13.10.2026, 10:00: 0" in full_text(
        tmp_path / "early.pdf")
    assert "просрочено" in full_text(tmp_path / "late.pdf")


def test_english_report(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "audit.pdf"
    audit(sample, pdf, lang="en")
    text = flat_text(pdf)
    assert "OHS audit report" in text
    assert "Oct 1 – 31, 2026" in text and "October 2026" in text
    assert "Moscow Standard Time (UTC+3)" in text
    assert "Page 1 of" in text
    assert "Sever plant" in text
    assert sample.titles()["oil"] in text  # user text stays as typed


def test_bad_arguments_are_refused(sample: Sample, tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        audit(sample, tmp_path / "a.pdf", date_from=date(2026, 10, 31),
              date_to=date(2026, 10, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        audit(sample, tmp_path / "a.pdf", generated_at=datetime(2026, 11, 2, 12, 0))
    assert not (tmp_path / "a.pdf").exists()
