"""Friendly errors, offline help, the anonymous receipt and «О программе» (DESIGN.md §9).

An error says what happened and what to do now, links to the bundled help page about it, and
keeps the technical text behind «Показать подробности», with a Copy button, for whoever helps
(DOMAIN.md §4). Dialogs open with `open()`, never `exec()`: a worker's result must never wait
on a nested event loop.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from forms.display import Display
from forms.errors import (
    BadInput,
    Conflict,
    Forbidden,
    NotFound,
    SafeCardError,
    Unreachable,
    is_disk_full,
)
from forms.i18n import current_language, tr

HELP_ROOT = Path(__file__).resolve().parents[1] / "resources" / "help"

# Which help page explains which kind of error.
HELP_TOPICS: tuple[tuple[type[BaseException], str], ...] = (
    (Unreachable, "sync"),
    (Forbidden, "roles"),
    (Conflict, "workflow"),
    (NotFound, "workflow"),
    (BadInput, "filing"),
    (OSError, "errors"),
)


def help_path(topic: str, lang: str | None = None) -> Path:
    """The bundled page on `topic` in the user's language (Russian when not translated)."""
    lang = lang or current_language()
    for candidate in (HELP_ROOT / lang / f"{topic}.html", HELP_ROOT / "ru" / f"{topic}.html"):
        if candidate.is_file():
            return candidate
    return HELP_ROOT / "ru" / "index.html"


def help_topic(exc: BaseException) -> str:
    if isinstance(exc, SafeCardError) and exc.key.startswith("sync"):
        return "sync"
    return next((topic for kind, topic in HELP_TOPICS if isinstance(exc, kind)), "errors")


def error_message(exc: BaseException) -> tuple[str, str]:
    """(what happened and what to do, technical details)."""
    details = "".join(traceback.format_exception(exc)).strip()
    if isinstance(exc, SafeCardError):
        # The desktop's words: no command-line advice (Display.commands is off).
        return Display.create(None).error(exc), details
    if is_disk_full(exc):
        return tr("error.disk_full"), details
    if isinstance(exc, OSError):
        return tr("ui.error.disk"), details
    return tr("ui.error.unexpected"), details


class HelpWindow(QDialog):
    """The offline help: bundled HTML pages, links between them followed in place."""

    def __init__(self, topic: str = "index", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("ui.help.title"))
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(True)
        self.browser.setSearchPaths([str(help_path("index").parent)])
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(close)
        self.resize(720, 560)
        self.show_topic(topic)

    def show_topic(self, topic: str) -> None:
        self.browser.setSource(QUrl.fromLocalFile(str(help_path(topic))))


def open_help(parent: QWidget | None, topic: str = "index") -> HelpWindow:
    window = HelpWindow(topic, parent)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    return window


class ErrorDialog(QDialog):
    """What happened, what to do, help, and the details to copy."""

    def __init__(self, exc: BaseException, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("ui.error.title"))
        self.topic = help_topic(exc)
        text, details = error_message(exc)
        self.message = QLabel(text)
        self.message.setWordWrap(True)
        self.message.setObjectName("errorMessage")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.advice = QLabel(tr("ui.error.help"))
        self.advice.setWordWrap(True)
        self.help_link = QLabel(f"<a href='help:{self.topic}'>{tr('ui.error.help_link')}</a>")
        self.help_link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.help_link.linkActivated.connect(lambda _l: self.show_help())
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setMinimumHeight(160)
        self.details.hide()
        self.details_button = QPushButton(tr("ui.error.show_details"))
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self._toggle_details)
        self.copy_button = QPushButton(tr("ui.error.copy"))
        self.copy_button.clicked.connect(self.copy_details)
        self.copy_button.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.details_button)
        row.addWidget(self.copy_button)
        row.addStretch(1)
        row.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.advice)
        layout.addWidget(self.help_link)
        layout.addWidget(self.details, 1)
        layout.addLayout(row)
        self.setMinimumWidth(520)
        self.help_window: HelpWindow | None = None

    def _toggle_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.copy_button.setVisible(shown)
        self.details_button.setText(tr("ui.error.hide_details") if shown
                                    else tr("ui.error.show_details"))
        self.adjustSize()

    def copy_details(self) -> None:
        QApplication.clipboard().setText(
            f"{self.message.text()}\n\n{diagnostics_text()}\n\n{self.details.toPlainText()}")

    def show_help(self) -> HelpWindow:
        self.help_window = open_help(self, self.topic)
        return self.help_window


def show_error(parent: QWidget | None, exc: BaseException) -> ErrorDialog:
    dialog = ErrorDialog(exc, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


class ReceiptDialog(QDialog):
    """The receipt of an anonymous card: shown once, never stored anywhere."""

    printed = Signal()

    def __init__(self, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code = code
        self.setWindowTitle(tr("ui.receipt.title"))
        intro = QLabel(tr("ui.receipt.intro"))
        intro.setWordWrap(True)
        self.code_label = QLabel(code)
        self.code_label.setObjectName("receiptCode")
        self.code_label.setStyleSheet("font-size: 20pt; font-weight: bold; font-family: monospace;")
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        warning = QLabel(tr("ui.receipt.help"))
        warning.setWordWrap(True)
        warning.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.copy_button = QPushButton(tr("ui.receipt.copy"))
        self.copy_button.clicked.connect(self.copy)
        self.print_button = QPushButton(tr("ui.receipt.print"))
        self.print_button.clicked.connect(self.print_receipt)
        done = QPushButton(tr("ui.receipt.done"))
        done.setDefault(True)
        done.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.copy_button)
        row.addWidget(self.print_button)
        row.addStretch(1)
        row.addWidget(done)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.code_label)
        layout.addWidget(warning)
        layout.addLayout(row)
        self.setMinimumWidth(480)

    def copy(self) -> None:
        QApplication.clipboard().setText(self.code)
        self.copy_button.setText(tr("ui.receipt.copied"))

    def document(self) -> QTextDocument:
        document = QTextDocument()
        document.setPlainText(tr("ui.receipt.printed", code=self.code))
        return document

    def print_receipt(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter()
        dialog = QPrintDialog(printer, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def accepted() -> None:
            self.document().print_(printer)
            self.printed.emit()

        dialog.accepted.connect(accepted)
        dialog.open()


def show_receipt(parent: QWidget | None, code: str) -> ReceiptDialog:
    dialog = ReceiptDialog(code, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def diagnostics_text(extra: dict[str, str] | None = None) -> str:
    """Versions and where things are: for support, pasted with an error's details."""
    import platform
    import sys
    from importlib.metadata import PackageNotFoundError, version

    from PySide6.QtCore import qVersion

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:  # an uninstalled checkout
            return "—"

    lines = {
        "SafeCard": installed("safecard"),
        "Python": sys.version.split()[0],
        "PySide6": installed("PySide6"),
        "Qt": qVersion(),
        "OS": platform.platform(),
        **(extra or {}),
    }
    return "\n".join(f"{k}: {v}" for k, v in lines.items())
