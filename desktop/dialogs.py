"""Small dialogs: the anonymous receipt, and friendly errors (DESIGN.md §9).

An error says what happened and what to do now; the technical text sits behind
«Подробнее», ready to copy for whoever helps.
"""

from __future__ import annotations

import traceback

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from forms.errors import SafeCardError
from forms.i18n import error_text, tr


def error_message(exc: BaseException) -> tuple[str, str]:
    """(what happened and what to do, technical details)."""
    details = "".join(traceback.format_exception(exc)).strip()
    if isinstance(exc, SafeCardError):
        return error_text(exc), details
    if isinstance(exc, OSError):
        return tr("ui.error.disk"), details
    return tr("ui.error.unexpected"), details


def show_error(parent: QWidget | None, exc: BaseException) -> QMessageBox:
    text, details = error_message(exc)
    box = QMessageBox(QMessageBox.Icon.Warning, tr("ui.error.title"), text,
                      QMessageBox.StandardButton.Ok, parent)
    box.setInformativeText(tr("ui.error.help"))
    box.setDetailedText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()  # not exec(): a worker's result must never wait on a nested event loop
    return box


def show_receipt(parent: QWidget | None, code: str) -> QMessageBox:
    """The receipt of an anonymous card: shown once, never stored anywhere."""
    box = QMessageBox(QMessageBox.Icon.Information, tr("ui.receipt.title"),
                      tr("ui.receipt.text", code=code), QMessageBox.StandardButton.Ok, parent)
    box.setInformativeText(tr("ui.receipt.help"))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    copy = box.addButton(tr("ui.receipt.copy"), QMessageBox.ButtonRole.AcceptRole)
    copy.clicked.connect(lambda: QApplication.clipboard().setText(code))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
