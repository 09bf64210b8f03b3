"""One clock: the workstation's is UTC, the site's is Moscow (or Vladivostok), and it is 23:30
UTC on 1 December 2026 — already 2 December at the site. The desktop, the command line and
both PDFs show every date and time on the site's clock, say whose clock it is, and pick
"today" and report periods by it (issue 12: on such a machine the Reports page used to offer
01.12–01.12 and the audit found none of that night's cards)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QLabel

from cli.main import main as safecard
from desktop.main_window import MainWindow
from desktop.models import COL_FILED
from forms import display
from forms.config import Config, load_raw
from forms.home import Home, open_home
from forms.service import CardService
from forms.store.repo import Store
from tests.desktop.helpers import hazard

NOW = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
UTC_DAY = "01.12.2026"  # the workstation's date: never shown
ZONES = {"Europe/Moscow": ("02.12.2026, 02:30", "по московскому времени",
                           "Москва, стандартное время (UTC+3)"),
         "Asia/Vladivostok": ("02.12.2026, 09:30", "по владивостокскому времени",
                              "Владивосток, стандартное время (UTC+10)")}


@pytest.fixture(params=sorted(ZONES))
def zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The site's zone; the machine in UTC; the one clock at 23:30 UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(display, "utc_now", lambda: NOW)
    try:
        yield request.param
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.fixture
def site_home(tmp_path: Path, zone: str) -> Home:
    home = open_home(tmp_path / "home")
    sla = load_raw()["sla"]
    sla["calendar"]["timezone"] = zone
    (home.path / "config").mkdir()
    (home.path / "config" / "sla.json").write_text(json.dumps(sla), "utf-8")
    return home


@pytest.fixture
def site(site_home: Home) -> Iterator[tuple[Home, Config, Store, str]]:
    """A hazard filed at 23:30 UTC, assessed, with an action due in a week, and a comment."""
    config = site_home.config()
    store = site_home.open_store(config)
    clock = lambda: NOW  # noqa: E731
    card_id = CardService(store, config, user="ivanov", clock=clock).file(hazard()).card_id
    petrov = CardService(store, config, user="petrov", clock=clock)
    petrov.assess(card_id, 3, 2, 4, "ok")
    petrov.add_action(card_id, "Поставить поддон", "ivanov", "2026-12-09")
    petrov.comment(card_id, "Уточните место", question=True)
    yield site_home, config, store, card_id
    store.close()


def on_site_clock(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%d.%m.%Y, %H:%M")


def pdf_text(path: Path) -> str:
    return " ".join("\n".join(p.extract_text() or "" for p in PdfReader(path).pages).split())


def test_the_desktop_shows_and_picks_on_the_sites_clock(qtbot, site, zone: str) -> None:
    home, config, store, card_id = site
    filed, note, _ = ZONES[zone]
    window = MainWindow(home, config, store, user="petrov")
    qtbot.addWidget(window)
    window.show()
    try:
        window.show_section("all")
        model = window.list_pages["all"].model
        qtbot.waitUntil(lambda: model.rowCount() == 1)
        assert model.row(0).texts[COL_FILED] == filed
        status = window.list_pages["all"].status.text()
        assert status.endswith(f"Даты и время — {note}.")

        window.open_card(card_id)
        view = window.card_view
        qtbot.waitUntil(lambda: view.card is not None)
        seen = list(view.history_lines)
        assert all(line.startswith(filed) for line in seen)
        hint = view.findChild(QLabel, "zoneHint")
        assert hint is not None and hint.text() == f"Даты и время — {note}."
        seen += [label.text() for label in view.findChildren(QLabel)]

        window.show_section("deadlines")
        page = window.deadlines_page
        qtbot.waitUntil(lambda: page.loaded)
        assert page.items
        tree = page.by_due
        rows = [tree.topLevelItem(i).child(j) for i in range(tree.topLevelItemCount())
                for j in range(tree.topLevelItem(i).childCount())]
        assert {row.text(2) for row in rows} == {on_site_clock(i.due, zone) for i in page.items}
        seen += [row.text(2) for row in rows]
        assert page.zone.text() == f"Даты и время — {note}."

        window.show_section("reports")
        reports = window.reports_page
        assert reports.date_from.text() == "01.12.2026"  # the site's month …
        assert reports.date_to.text() == "02.12.2026"  # … up to the site's today
        reports.make()
        qtbot.waitUntil(lambda: reports.preview.pdf is not None, timeout=30_000)
        text = pdf_text(reports.preview.pdf)
        assert "Поставить поддон" in text  # the night's card is in the period
        assert f"сформирован {filed} {note}" in text
        seen.append(text)

        window.show_section("file")
        editor = window.card_form.editors["observed_at"]
        assert editor.edit.text() == filed  # «when» starts at the site's now
        assert datetime.fromisoformat(editor.value()) == NOW
        seen.append(editor.edit.text())
    finally:
        window.close()
    assert not [text for text in seen if UTC_DAY in text]


def test_the_command_line_and_both_pdfs_show_the_sites_dates(site, zone: str, capsys,
                                                             tmp_path: Path) -> None:
    home, _config, store, card_id = site
    filed, note, zone_name = ZONES[zone]
    store.close()  # the command line opens the home as a separate program would
    base = ["--home", str(home.path), "--user", "petrov", "--lang", "ru"]

    assert safecard([*base, "show", card_id]) == 0
    shown = capsys.readouterr().out
    assert f"Подана: {filed}" in shown
    assert shown.rstrip().endswith(f"Даты и время — {note}.")
    assert "Поставить поддон" in shown and "09.12.2026" in shown

    texts = {"show": shown}
    for name, args in (
            ("audit", ["report", "audit", "--from", "2026-12-02", "--to", "2026-12-02"]),
            ("planning", ["report", "planning", "--period", "2026-12"]),
            ("week", ["report", "planning", "--period", "2026-W49"])):
        out = tmp_path / f"{name}.pdf"
        assert safecard([*base, *args, "-o", str(out)]) == 0, capsys.readouterr()
        capsys.readouterr()
        texts[name] = pdf_text(out)
    assert "Разлито масло" in texts["audit"]  # filed on the site's 2 December
    assert f"Подана {filed}" in texts["audit"]
    for name in ("audit", "planning", "week"):
        assert zone_name in texts[name], name
        assert f"сформирован {filed} {note}" in texts[name], name
    assert "декабрь 2026 г. в сравнении с ноябрём" in texts["planning"]
    assert "49-я неделя (30 ноября — 6 декабря)" in texts["week"]
    for name, text in texts.items():
        assert UTC_DAY not in text, name
        assert zone not in text, name  # the zone by its name, not its identifier

    assert safecard([*base[:-1], "en", "show", card_id]) == 0
    english = capsys.readouterr().out
    assert "Dec 2, 2026" in english and "Dec 1, 2026" not in english
    assert english.rstrip().endswith(f"Dates and times are {note_en(zone)}.")


def note_en(zone: str) -> str:
    return {"Europe/Moscow": "Moscow time", "Asia/Vladivostok": "Vladivostok time"}[zone]


def test_the_sites_today_moves_at_the_sites_midnight(site_home: Home, zone: str,
                                                     monkeypatch) -> None:
    fmt = display.Display.create(site_home.config(), "ru")
    midnight = datetime(2026, 12, 2, tzinfo=ZoneInfo(zone))
    monkeypatch.setattr(display, "utc_now", lambda: midnight - timedelta(minutes=1))
    assert fmt.day(fmt.now()) == "01.12.2026"
    monkeypatch.setattr(display, "utc_now", lambda: midnight)
    assert fmt.day(fmt.now()) == "02.12.2026"
