"""Start the desktop app: `safecard` with no command comes here (entry point `safecard.gui`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox

from forms.config import ConfigError
from forms.errors import SafeCardError
from forms.home import open_home
from forms.i18n import current_language, error_text, set_language, tr

APP_NAME = "SafeCard"
QT_TRANSLATOR = "qtbase"


def application(argv: Sequence[str] | None = None) -> QApplication:
    """The process's QApplication, made once, speaking the user's language."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(list(argv) if argv is not None else sys.argv)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    use_language(app, current_language())
    return app


def use_language(app: QApplication, lang: str) -> None:
    """Qt's own texts (standard buttons, file dialogs) in the language of the catalogue."""
    QLocale.setDefault(QLocale(lang))
    old = app.findChild(QTranslator, QT_TRANSLATOR)
    if old is not None:
        app.removeTranslator(old)
        old.deleteLater()
    translator = QTranslator(app)
    translator.setObjectName(QT_TRANSLATOR)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(f"qtbase_{lang}", folder):
        app.installTranslator(translator)


def run(home: str | None = None, argv: Sequence[str] | None = None) -> int:
    """Open the home's store and show the main window; returns the exit code."""
    from desktop.main_window import MainWindow

    where = open_home(home)
    language = where.settings().get("language")
    if language:
        set_language(language)
    app = application(argv)
    try:
        config = where.config()
        store = where.open_store(config)
    except (ConfigError, OSError) as exc:
        QMessageBox.critical(None, APP_NAME, tr("ui.error.cannot_open", path=str(where.path),
                                                 reason=str(exc)))
        return 1
    except SafeCardError as exc:  # the store file is damaged (forms/store/integrity.py)
        QMessageBox.critical(None, APP_NAME, error_text(exc))
        return exc.exit_code
    try:
        window = MainWindow(where, config, store)
        window.show()
        return app.exec()
    finally:
        store.close()
