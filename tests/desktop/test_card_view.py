"""The card view: fields, risk and the full history, refreshed when the card changes."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtWidgets import QLabel

from desktop.main_window import MainWindow
from forms.display import Display
from forms.service import CardService
from tests.desktop.helpers import hazard

pytestmark = pytest.mark.desktop


def test_the_card_view_shows_every_history_entry(qtbot, window: MainWindow, service,
                                                 store, config):
    card_id = service.file(hazard()).card_id
    CardService(store, config, user="petrov").assess(card_id, 3, 2, 3, "ok")
    card = store.card(card_id)

    window.open_card(card_id)
    view = window.card_view
    qtbot.waitUntil(lambda: view.card is not None)
    assert [e.type for e in card.history] == ["card.filed", "routed", "state.changed",
                                               "assessed"]
    assert len(view.history_lines) == len(card.history)
    fmt = Display.create(config)
    for line, entry in zip(view.history_lines, card.history, strict=True):
        assert line.startswith(fmt.moment(entry.at))
        assert fmt.history(entry, card.kind) in line
    assert view.history_lines[-1].endswith("Оценён риск: 9 баллов, средний")
    assert "Иванов Иван Ильич" in view.history_lines[0]
    assert "Петров Сергей Николаевич" in view.history_lines[-1]
    assert view.title.text() == card.title


def test_history_times_are_on_the_site_clock_and_say_so_on_another_machine(
        qtbot, window: MainWindow, service, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Yekaterinburg")  # the workstation: UTC+5, the site: Moscow
    time.tzset()
    try:
        card_id = service.file(hazard()).card_id
        window.open_card(card_id)
        view = window.card_view
        qtbot.waitUntil(lambda: view.card is not None)
        filed_at = view.card.history[0].at
        moscow = filed_at.astimezone(ZoneInfo("Europe/Moscow"))
        assert view.history_lines[0].startswith(moscow.strftime("%d.%m.%Y, %H:%M"))
        hint = view.findChild(QLabel, "zoneHint")
        assert hint is not None and hint.text() == "Даты и время — по московскому времени."
    finally:
        monkeypatch.undo()
        time.tzset()


def test_an_anonymous_card_names_no_one(qtbot, window: MainWindow, service):
    card_id = service.file(hazard(), anonymous=True).card_id
    window.open_card(card_id)
    view = window.card_view
    qtbot.waitUntil(lambda: view.card is not None)
    assert all("аноним" in line for line in view.history_lines)
    assert not any("Иванов" in line for line in view.history_lines)


def test_an_open_card_follows_a_change_made_through_ops(qtbot, window: MainWindow, service,
                                                        store, config):
    card_id = service.file(hazard()).card_id
    window.open_card(card_id)
    view = window.card_view
    qtbot.waitUntil(lambda: view.card is not None)
    assert view.card.risk_initial is None

    supervisor = CardService(store, config, user="petrov")
    window.ops.run(lambda: supervisor.assess(card_id, 5, 5, 5, "breach"))
    qtbot.waitUntil(lambda: view.card is not None and view.card.risk_initial is not None)
    assert view.card.risk_band == "critical"
    assert len(view.history_lines) == len(view.card.history) > 2
