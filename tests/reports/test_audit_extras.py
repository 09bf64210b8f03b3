"""The audit PDF's risk section (heat map, escalations, late actions), photos, bookmarks and
department filter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from forms.ids import short_id
from forms.service import CardService
from reports.audit import AuditSummary, write_audit
from reports.document import LazyStory
from tests.reports.conftest import GENERATED_AT, PERIOD, FakeClock, Sample, msk
from tests.reports.pdftools import flat_text, page_texts, qpdf_check


def audit(sample: Sample, out: Path, **kw: object) -> AuditSummary:
    args: dict[str, object] = dict(date_from=PERIOD[0], date_to=PERIOD[1], site=None, out=out,
                                   lang="ru", generated_at=GENERATED_AT)
    args.update(kw)
    return write_audit(sample.store, sample.config, **args)  # type: ignore[arg-type]


def test_risk_section_heat_map_escalations_and_late_actions(sample: Sample,
                                                            tmp_path: Path) -> None:
    # An action done two days after its due date.
    clock = FakeClock(msk(21, 10))
    lebedev = CardService(sample.store, sample.config, user="lebedev", device_id="dev-1",
                          clock=clock)
    action, _ = lebedev.add_action(sample.ids["idea"], "Заменить аккумуляторы светильников",
                                   "kozlov", "2026-10-22")
    clock.set(msk(26, 10))
    lebedev.complete_action(action)
    pdf = tmp_path / "audit.pdf"
    audit(sample, pdf)
    text = flat_text(pdf)
    risks = text[text.index("Тепловая карта рисков"):]
    risks = risks[:risks.index("Разлив масла у пресса")]
    # Oil (severity 3 × likelihood 4) and wire (4 × 3) are both high: two cells of one.
    assert "Низкий: 0, Средний: 0, Высокий: 2, Критический: 0" in risks
    escalated = risks[risks.index("Сроки, переданные выше"):
                      risks.index("Мероприятия, выполненные")]
    assert short_id(sample.ids["wire"]) in escalated
    assert short_id(sample.ids["oil"]) not in escalated
    late = risks[risks.index("Мероприятия, выполненные с опозданием"):]
    assert "Заменить аккумуляторы светильников" in late
    assert "26.10.2026, 10:00" in late  # done at, in Moscow time
    assert "22.10.2026, 17:00" in late  # due: the end of that working day


def test_each_card_is_a_bookmark_on_its_page(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "audit.pdf"
    audit(sample, pdf)
    reader = PdfReader(pdf)
    top = [o for o in reader.outline if not isinstance(o, list)]
    assert [o.title for o in top] == ["Сводка", "Риски", "Карточки"]
    cards = next(o for o in reader.outline if isinstance(o, list))
    texts = page_texts(pdf)
    assert len(cards) == 5
    for entry in cards:
        page = reader.get_destination_page_number(entry)
        number = entry.title.split()[1]
        assert number in texts[page], (entry.title, page)


def test_photos_are_printed_scaled_when_the_blobs_are_given(sample: Sample,
                                                            tmp_path: Path) -> None:
    photo = tmp_path / "leak.jpg"
    Image.new("RGB", (1600, 900), (200, 40, 40)).save(photo, "JPEG")
    clock = FakeClock(msk(8, 9))
    blobs = tmp_path / "blobs"
    ivanov = CardService(sample.store, sample.config, user="ivanov", device_id="dev-1",
                         clock=clock, blobs=blobs)
    ivanov.file({"kind": "hazard", "title": "Течь реагента", "description": "Капает",
                 "site": "sever", "category": "chemicals", "photos": [str(photo)]})
    with_photo, without = tmp_path / "with.pdf", tmp_path / "without.pdf"
    audit(sample, with_photo, blobs=blobs)
    audit(sample, without)
    images = [im for page in PdfReader(with_photo).pages for im in page.images]
    assert len(images) == 1
    assert not [im for page in PdfReader(without).pages for im in page.images]
    assert qpdf_check(with_photo).returncode == 0
    # 1600 × 900 px fitted into 55 × 45 mm: drawn 155.9 × 87.7 pt (the image's matrix).
    streams = b"".join(page.get_contents().get_data() for page in PdfReader(with_photo).pages)
    assert re.search(rb"155\.9\d* 0 0 87\.69\d* ", streams), "photo not scaled to the box"
    assert "Фотографии" in flat_text(with_photo)


def test_department_filter(sample: Sample, tmp_path: Path) -> None:
    pdf = tmp_path / "audit.pdf"
    summary = audit(sample, pdf, site="sever", department="synthesis")
    assert summary.cards == 2
    text = flat_text(pdf)
    assert "Разлив масла у пресса №3" in text and "Оголённый провод в щитовой" in text
    assert "Не горит аварийное освещение" not in text
    assert "Цех синтеза" in text


def test_reading_cards_in_batches_changes_nothing(sample: Sample, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Cards come from the store a batch at a time (bounded memory): the batch size must not
    show in the result."""
    from reports import audit as audit_module

    whole = tmp_path / "whole.pdf"
    audit(sample, whole)
    monkeypatch.setattr(audit_module, "BATCH", 2)
    monkeypatch.setattr(LazyStory, "AHEAD", 1)
    batched = tmp_path / "batched.pdf"
    audit(sample, batched)
    assert whole.read_bytes() == batched.read_bytes()
