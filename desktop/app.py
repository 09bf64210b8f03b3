"""Start the desktop app: `safecard` with no command comes here (entry point `safecard.gui`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from forms.config import Config, ConfigError
from forms.display import Display
from forms.errors import SafeCardError
from forms.home import Home, open_home
from forms.i18n import current_language, set_language, tr
from forms.store.repo import Store

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


def first_window(where: Home, config: Config, store: Store) -> QWidget:
    """What the app opens to: «Кто вы?» on a shared terminal, else the main window."""
    if where.site.terminal:
        from desktop.terminal_window import TerminalWindow

        return TerminalWindow(where, config, store)
    from desktop.main_window import MainWindow

    return MainWindow(where, config, store)


def run(home: str | None = None, argv: Sequence[str] | None = None) -> int:
    """Open the home's store and show the main window; returns the exit code."""
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
        QMessageBox.critical(None, APP_NAME, Display.create(None).error(exc))
        return exc.exit_code
    try:
        window = first_window(where, config, store)
        window.show()
        return app.exec()
    finally:
        store.close()


def check(home: str | None = None, screenshot: str | None = None) -> str:
    """For `safecard check`: open the first window as `run` does, draw it, close it; the
    platform and size it was drawn at. Errors are raised, for the check to print."""
    where = open_home(home)
    language = where.settings().get("language")
    if language:
        set_language(language)
    app = application([sys.argv[0]])
    config = where.config()
    store = where.open_store(config)
    try:
        window = first_window(where, config, store)
        window.show()
        app.processEvents()
        picture = window.grab()
        if screenshot and not picture.save(screenshot, "PNG"):
            raise OSError(f"cannot write {screenshot}")
        window.close()
        app.processEvents()
        return tr("check.window_ok", platform=app.platformName(), width=picture.width(),
                  height=picture.height())
    finally:
        store.close()
