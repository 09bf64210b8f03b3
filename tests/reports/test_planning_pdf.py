"""The planning-meeting PDF: the figures it prints are the metrics', it is an archivable
record, reproducible, and calm about an empty period."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from forms.errors import BadInput
from forms.service import CardService
from reports import metrics
from reports.planning import PlanningSummary, collect, write_planning
from reports.scope import parse_period, site_timezone
from tests.reports.conftest import GENERATED_AT, FakeClock, Sample, msk
from tests.reports.pdftools import flat_text, fonts, qpdf_check, render_page


def planning(sample: Sample, out: Path, **kw: object) -> PlanningSummary:
    args: dict[str, object] = dict(period="2026-10", site=None, out=out, lang="ru",
                                   generated_at=GENERATED_AT)
    args.update(kw)
    return write_planning(sample.store, sample.config, **args)  # type: ignore[arg-type]


@pytest.fixture
def with_september(sample: Sample) -> Sample:
    """One positive-feedback complaint in September, for the previous period's column."""
    clock = FakeClock(msk(10, 11, month=9))
    CardService(sample.store, sample.config, user="volkov", clock=clock).file({
        "kind": "complaint", "title": "Благодарность оператору", "site": "office",
        "department": "call_centre", "sentiment": "positive", "cause": "staff_behaviour",
        "emotional_state": "calm", "account": "Клиент поблагодарил за быструю помощь.",
        "steps_done": ["satisfaction"], "outcome": "satisfied"})
    return sample


def test_prints_the_metrics_of_the_period_against_the_previous(with_september: Sample,
                                                               tmp_path: Path) -> None:
    s = with_september
    pdf = tmp_path / "planning.pdf"
    summary = planning(s, pdf)
    assert (summary.cards, summary.previous_cards) == (5, 1)
    text = flat_text(pdf)
    for phrase in ("Отчёт к планёрке", "октябрь 2026 г. в сравнении с сентябрём",
                   "1—31 окт. 2026 г.", "1—30 сент. 2026 г.", "Итоги периода",
                   "Графики", "Жалобы и отзывы", "Повторяющиеся проблемы",
                   "Мотивационные программы", "Электробезопасность", "Страница 1 из"):
        assert phrase in text, phrase
    assert "Карточек всего 5 1 +4 (+400 %)" in text
    # The same figures the metrics give.
    data = collect(s.store, s.config, period=parse_period("2026-10", site_timezone(s.config)),
                   site=None, now=GENERATED_AT)
    f = data.current
    assert f.loyalty == metrics.Loyalty(0, 1)  # October: one (negative) complaint
    assert "Индекс лояльности −1,00 1,00 −2,00" in text  # September: one positive
    ack = f.sla["acknowledge"]
    assert ack.percent is not None
    assert re.search(rf"В срок, %: Первый ответ {ack.percent:.1f}".replace(".", ","), text)
    # Steps skipped: the October complaint skipped "questions" and "satisfaction".
    assert "Открытые вопросы 1 0 +1 Замер удовлетворённости 1 0 +1" in text
    # Overdue with owners and escalation: the wire, Petrov's, escalated up its chain.
    overdue = text[text.index("Просроченные сроки и ответственные"):]
    assert re.search(r"Оголённый провод в щитовой Решение 19\.10\.2026, 16:40 "
                     r"Петров Сергей Николаевич Кузнецова", overdue)


def test_motivation_never_credits_the_anonymous_card(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "planning.pdf"
    planning(sample, pdf)
    text = flat_text(pdf)
    # Ivanov filed three October cards, one of them anonymously: he is credited with two.
    assert "Иванов Иван Ильич 2 0 0 2" in text
    assert "Анонимные сообщения (1)" in text


def test_week_period_english_and_ltifr(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "week.pdf"
    cfg = replace(sample.config, ltifr={"man_hours": {"2026-10": {"sever": 1_000_000,
                                                                  "yug": 1_000_000}},
                                        "lost_time_injuries": {"2026-10": {"sever": 3}}})
    summary = write_planning(sample.store, cfg, period="2026-W41", site="sever", out=pdf,
                             lang="en", generated_at=GENERATED_AT)
    assert summary.cards == 1  # 5–11 October at the Sever plant: the oil spill
    text = flat_text(pdf)
    assert "Planning-meeting report" in text
    assert "week 41 (October 5 – 11) compared with week 40 (September 28 – October 4)" in text
    # 3 × 1,000,000 / 1,000,000 man-hours at Sever
    assert "LTIFR (lost-time injuries per million man-hours) = 3.00" in text
    assert "months: October 2026" in text
    assert "Page 1 of" in text


def test_empty_period_is_a_short_calm_report(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "empty.pdf"
    summary = planning(sample, pdf, period="2026-07")
    assert summary.cards == 0
    text = flat_text(pdf)
    assert "В этом периоде карточек нет." in text
    assert "Карточек всего 0 0 ±0" in text
    assert qpdf_check(pdf).returncode == 0


def test_bad_period_is_bad_input_and_writes_nothing(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "x.pdf"
    with pytest.raises(BadInput) as err:
        planning(sample, pdf, period="2026-13")
    assert err.value.key == "bad_report_period"
    assert not pdf.exists()


def test_archivable_deterministic_and_renders(sample: Sample, tmp_path: Path) -> None:
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    summary = planning(sample, a)
    planning(sample, b)
    assert a.read_bytes() == b.read_bytes()
    rows = fonts(a)
    assert rows and all(r["emb"] == "yes" and "DejaVu" in r["name"] for r in rows), rows
    check = qpdf_check(a)
    assert check.returncode == 0, check.stdout + check.stderr
    meta = PdfReader(a).metadata
    assert meta is not None and meta.author == "SafeCard"
    assert meta.title == "Отчёт к планёрке, октябрь 2026\u202fг."
    for page in (1, 2, summary.pages):
        rendered = render_page(a, page, tmp_path / f"p{page}")
        assert rendered.returncode == 0, rendered.stderr
        assert (tmp_path / f"p{page}.png").stat().st_size > 3000
