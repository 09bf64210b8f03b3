"""Card JSON and typing for the desktop tests."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget


def hazard(title: str = "Скользкий пол у входа в цех", **fields: object) -> dict[str, object]:
    data: dict[str, object] = {"kind": "hazard", "title": title,
                               "description": "Разлито масло, никто не убрал.",
                               "site": "sever", "category": "slips_trips"}
    data.update(fields)
    return data


def type_text(widget: QWidget, text: str) -> None:
    """Type text as key presses (QTest.keyClicks only knows ASCII, not Cyrillic)."""
    widget.setFocus()
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char))
