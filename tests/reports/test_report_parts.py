"""The pieces reports are made of: scope, figures, text handling, fonts and the catalogue."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import pytest
from reportlab.pdfbase import pdfmetrics

from forms.card import Card
from forms.config import Config
from forms.errors import BadInput
from forms.events import Event
from reports import fonts, metrics
from reports.scope import Period, Scope, canonical_events, site_timezone
from reports.styles import chunks

REPORTS = Path(__file__).resolve().parents[2] / "reports"


def test_period_covers_whole_days_in_the_site_timezone(config: Config) -> None:
    period = Period(date(2026, 10, 1), date(2026, 10, 31), site_timezone(config))
    assert period.start.astimezone(UTC) == datetime(2026, 9, 30, 21, 0, tzinfo=UTC)
    assert period.end.astimezone(UTC) == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
    query = Scope(period, site="yug").query()
    assert (query.filed_from, query.filed_to, query.site) == (period.start, period.end, "yug")


def test_a_single_day_is_a_period_and_a_reversed_one_is_bad_input(config: Config) -> None:
    tz = site_timezone(config)
    day = Period(date(2026, 10, 5), date(2026, 10, 5), tz)
    assert (day.end - day.start).total_seconds() == 24 * 3600
    with pytest.raises(BadInput) as caught:
        Period(date(2026, 10, 6), date(2026, 10, 5), tz)
    assert caught.value.key == "bad_period"


def test_canonical_events_do_not_depend_on_arrival_order() -> None:
    a = Event(id="b", card_id="c1", type="card.filed", hlc=5, actor=None,
              payload={"ж": 1, "a": [1, 2]})
    b = Event(id="a", card_id="c2", type="routed", hlc=5, actor="petrov", payload={})
    c = Event(id="z", card_id="c1", type="comment.added", hlc=3, actor="ivanov",
              payload={"text": "Привет"})
    assert canonical_events([a, b, c]) == canonical_events([c, a, b])
    decoded = json.loads(canonical_events([a, b, c]))
    assert [e["id"] for e in decoded] == ["z", "a", "b"]  # by (hlc, id)
    assert "Привет".encode() in canonical_events([c])  # UTF-8 as is, not \\u escapes
    assert canonical_events([]) == b"[]"


def test_kind_state_counts(config: Config) -> None:
    cards = [Card(id="1", kind="hazard", state="filed"), Card(id="2", kind="hazard",
                                                              state="closed"),
             Card(id="3", kind="complaint", state="closed"), Card(id="4", kind="custom",
                                                                   state="filed")]
    counts = metrics.kind_state_counts(cards, config)
    assert counts.kinds == ("hazard", "complaint", "safety_idea", "custom")
    assert "draft" not in counts.states and counts.states[0] == "filed"
    assert counts.get("hazard", "closed") == 1 and counts.get("safety_idea", "filed") == 0
    assert counts.state_total("closed") == 2 and counts.kind_total("hazard") == 2
    assert counts.total == 4


def test_chunks_keep_every_character_and_cut_at_spaces() -> None:
    long = " ".join(f"слово{n}" for n in range(400))
    pieces = chunks(long, 100)
    assert all(len(p) <= 100 for p in pieces)
    assert " ".join(pieces) == long
    assert chunks("коротко") == ["коротко"]
    assert chunks("") == [""]
    assert "".join(chunks("x" * 250, 100)) == "x" * 250  # no space: cut anyway


def test_fonts_register_once_from_the_bundled_files() -> None:
    fonts.register()
    fonts.register()
    registered = set(pdfmetrics.getRegisteredFontNames())
    assert {fonts.SANS, fonts.SANS_BOLD, fonts.SANS_ITALIC, fonts.MONO} <= registered
    folder = resources.files("resources").joinpath("fonts")
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
                 "DejaVuSansMono.ttf"):
        assert folder.joinpath(name).is_file()


def _catalogue(lang: str) -> dict[str, object]:
    text = resources.files("resources").joinpath("translations", lang, "reports.json")
    return dict(json.loads(text.read_text("utf-8")))


def test_catalogue_keys_are_ours_and_in_both_languages() -> None:
    ru, en = _catalogue("ru"), _catalogue("en")
    assert set(ru) == set(en)
    # This package's texts, its error messages and its command-line help; none repeats a
    # key of the core catalogue (the merged catalogue would silently keep only one).
    assert all(key.startswith(("report.", "error.", "cli.help.report", "cli.help.period"))
               for key in ru)
    for lang, ours in (("ru", ru), ("en", en)):
        core = json.loads(resources.files("resources").joinpath(
            "translations", lang, "core.json").read_text("utf-8"))
        assert not set(ours) & set(core), set(ours) & set(core)
    used = set()
    for path in REPORTS.glob("*.py"):
        used |= set(re.findall(r'"(report\.[a-z_.]+[a-z_])"', path.read_text("utf-8")))
    assert used <= set(ru), used - set(ru)
    # Placeholders and plural forms of every catalogue: tests/forms/test_catalogue.py.
