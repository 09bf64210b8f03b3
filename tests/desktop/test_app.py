"""Starting the app: the home's store opens, the window shows, the exit code comes back."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.app import run
from desktop.main_window import MainWindow

pytestmark = pytest.mark.desktop


def test_run_opens_the_home_and_shows_the_main_window_in_russian(qtbot, tmp_path):
    seen: list[MainWindow] = []

    def close_when_shown() -> None:
        windows = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(10, close_when_shown)
            return
        seen.extend(windows)
        for window in windows:
            window.close()

    QTimer.singleShot(0, close_when_shown)
    assert run(str(tmp_path / "home"), argv=["safecard"]) == 0
    [window] = seen
    assert QCoreApplication.applicationName() == "SafeCard"
    assert window.sidebar.item(0).text() == "Подать сообщение"
    assert (tmp_path / "home" / "safecard.db").is_file()


def test_a_damaged_store_is_refused_with_what_to_do(qtbot, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "safecard.db").write_bytes(b"SQLite format 3\x00" + bytes(4096 * 2 - 16))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda _parent, _title, text: shown.append(text))
    assert run(str(home), argv=["safecard"]) == 74
    [text] = shown
    assert "повреждён" in text and "ИТ-служб" in text and "safecard recover" not in text
