"""The card view: fields, risk and the full history, refreshed when the card changes."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import pytest

from desktop.formatting import local_time
from desktop.main_window import MainWindow
from forms.cardjson import history_summary
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
    for line, entry in zip(view.history_lines, card.history, strict=True):
        assert line.startswith(local_time(entry.at))
        assert history_summary(entry, config) in line
    assert "Иванов Иван Ильич" in view.history_lines[0]
    assert "Петров Сергей Николаевич" in view.history_lines[-1]
    assert view.title.text() == card.title


def test_history_times_are_in_the_workstation_time_zone(qtbot, window: MainWindow, service,
                                                       monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Yekaterinburg")  # UTC+5, far from any CI machine's zone
    time.tzset()
    try:
        card_id = service.file(hazard()).card_id
        window.open_card(card_id)
        view = window.card_view
        qtbot.waitUntil(lambda: view.card is not None)
        filed_at = view.card.history[0].at
        local = filed_at.astimezone(ZoneInfo("Asia/Yekaterinburg"))
        assert view.history_lines[0].startswith(local.strftime("%d.%m.%Y %H:%M"))
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
