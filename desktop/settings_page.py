"""«Настройки и синхронизация»: language, user, server address, the sync status with the changes
waiting to be sent, and «О программе» (versions, configuration, store path, counts).

Settings are saved in the home's settings.json, where the command line reads them too; the
language applies at the next start. With no sync engine on this workstation (standalone use)
the sync part shows the local status only, and «Синхронизировать» refreshes what is shown;
with a server, sign-in, sign-out and the background sync go through `desktop.sync_bridge`
(its own worker), whose `SyncView` this page shows: the state in plain words, what to check,
the changes waiting, the last sync, the changes the server set aside with their reasons,
«Подробности» (the technical error) and «Войти снова» when the sign-in has lapsed.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from desktop.dialogs import diagnostics_text, show_error
from desktop.ops import Ops
from desktop.sync_bridge import (
    SyncBridge,
    SyncView,
    advice,
    reason_counts,
    reason_label,
    status_text,
    sync_available,
)
from forms.config import Config
from forms.home import Home
from forms.i18n import current_language, tr
from forms.store.repo import Store

LANGUAGES = (("ru", "Русский"), ("en", "English"))

__all__ = ["SettingsPage", "sync_available"]


class SettingsPage(QWidget):
    sync_requested = Signal()
    help_requested = Signal()

    def __init__(self, home: Home, config: Config, store: Store, ops: Ops, *, user: str,
                 bridge: SyncBridge | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge if bridge is not None else SyncBridge(home, store, parent=self)
        self.home = home
        self.config = config
        self.fmt = formatting.display(config)
        self.store = store
        self.ops = ops
        self.stale = True
        saved = home.settings()

        heading = QLabel(tr("ui.nav.settings"))
        heading.setObjectName("pageHeading")

        general = QGroupBox(tr("ui.settings.general"))
        form = QFormLayout(general)
        self.language = QComboBox()
        for code, name in LANGUAGES:
            self.language.addItem(name, code)
        self.language.setCurrentIndex(
            max(self.language.findData(saved.get("language") or current_language()), 0))
        form.addRow(tr("ui.settings.language"), self.language)
        self.user = QLineEdit(saved.get("user") or user)
        form.addRow(tr("ui.settings.user"), self.user)
        self.server = QLineEdit(saved.get("server", ""))
        self.server.setPlaceholderText("https://safecard.example.ru")
        form.addRow(tr("ui.settings.server"), self.server)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setEnabled(sync_available())
        form.addRow(tr("ui.settings.password"), self.password)
        self.sign_in_button = QPushButton(tr("ui.settings.sign_in"))
        self.sign_in_button.clicked.connect(self.sign_in)
        self.sign_out_button = QPushButton(tr("ui.settings.sign_out"))
        self.sign_out_button.clicked.connect(self.sign_out)
        for button in (self.sign_in_button, self.sign_out_button):
            button.setVisible(sync_available())
        account = QHBoxLayout()
        account.addWidget(self.sign_in_button)
        account.addWidget(self.sign_out_button)
        account.addStretch(1)
        form.addRow("", account)
        self.save_button = QPushButton(tr("ui.settings.save"))
        self.save_button.clicked.connect(self.save)
        self.saved_note = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.saved_note, 1)
        form.addRow("", row)

        sync = QGroupBox(tr("ui.settings.sync"))
        sync_form = QFormLayout(sync)
        self.sync_status = QLabel()
        self.sync_status.setObjectName("syncStatus")
        self.sync_status.setWordWrap(True)
        self.sync_advice = QLabel()
        self.sync_advice.setWordWrap(True)
        self.sync_advice.hide()
        self.account = QLabel("—")
        self.account.setWordWrap(True)
        self.outbox = QLabel("—")
        self.last_sync = QLabel(tr("ui.settings.never"))
        self.set_aside = QLabel(tr("ui.sync.set_aside_none"))
        self.set_aside.setWordWrap(True)
        self.sync_button = QPushButton(tr("ui.settings.sync_now"))
        self.sync_button.clicked.connect(self.sync_requested)
        self.details_button = QPushButton(tr("ui.sync.details"))
        self.details_button.clicked.connect(self.show_details)
        self.details_button.hide()
        self.sign_in_again_button = QPushButton(tr("ui.sync.sign_in_again"))
        self.sign_in_again_button.clicked.connect(self.ask_password)
        self.sign_in_again_button.hide()
        sync_buttons = QHBoxLayout()
        sync_buttons.addWidget(self.sync_button)
        sync_buttons.addWidget(self.sign_in_again_button)
        sync_buttons.addWidget(self.details_button)
        sync_buttons.addStretch(1)
        sync_form.addRow(tr("ui.settings.status"), self.sync_status)
        sync_form.addRow("", self.sync_advice)
        sync_form.addRow(tr("ui.sync.account"), self.account)
        sync_form.addRow(tr("ui.settings.waiting"), self.outbox)
        sync_form.addRow(tr("ui.settings.last_sync"), self.last_sync)
        sync_form.addRow(tr("ui.sync.set_aside"), self.set_aside)
        sync_form.addRow("", sync_buttons)
        self.show_status(None)

        about = QGroupBox(tr("ui.settings.about"))
        about_column = QVBoxLayout(about)
        self.diagnostics = QPlainTextEdit()
        self.diagnostics.setReadOnly(True)
        self.diagnostics.setMinimumHeight(150)
        help_button = QPushButton(tr("ui.settings.help"))
        help_button.clicked.connect(self.help_requested)
        about_column.addWidget(self.diagnostics)
        about_column.addWidget(help_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        top = QHBoxLayout()
        top.addWidget(general, 1)
        top.addWidget(sync, 1)
        layout.addLayout(top)
        layout.addWidget(about, 1)

    def show_status(self, view: SyncView | None) -> None:
        """The bridge's `SyncView`, or None: the status as far as this workstation knows."""
        self.view = view
        if view is not None and view.state != "standalone":
            text = status_text(view, self.fmt)
            if view.state == "idle" and view.last_sync is None:
                text = tr("ui.settings.sync_server", server=view.server)
            self.outbox.setText(tr("ui.settings.waiting_count", count=view.waiting))
            if view.last_sync is not None:
                self.last_sync.setText(self.fmt.recent(view.last_sync))
            self._show_set_aside(view)
        elif self.home.settings().get("server") and sync_available():
            text = tr("ui.settings.sync_server", server=self.home.settings()["server"])
        else:
            text = tr("ui.settings.sync_standalone")
        self.sync_status.setText(text)
        saved = self.home.settings()
        self.account.setText(
            tr("ui.sync.account_text", server=saved["server"], user=saved["user"])
            if saved.get("server") and saved.get("user") and view is not None
            and view.state not in ("standalone", "signed_out") else "—")
        said = advice(view) if view is not None else ""
        self.sync_advice.setText(said)
        self.sync_advice.setVisible(bool(said))
        self.details_button.setVisible(view is not None and view.error is not None)
        self.sign_in_again_button.setVisible(view is not None and view.sign_in_again)

    def _show_set_aside(self, view: SyncView) -> None:
        if not view.set_aside:
            self.set_aside.setText(tr("ui.sync.set_aside_none"))
            return
        lines = [tr("ui.sync.set_aside_count", count=view.set_aside)]
        lines += [f"• {reason_label(reason)} ({count})"
                  for reason, count in reason_counts(view.reasons)]
        self.set_aside.setText("\n".join(lines))

    def show_details(self) -> None:
        """The last error in the friendly dialog, with «Показать подробности» to copy."""
        if self.view is not None and self.view.error is not None:
            show_error(self, self.view.error)

    def ask_password(self) -> None:
        """«Войти снова»: the same server and user, a password to type."""
        self.password.clear()
        self.password.setFocus()
        self.saved_note.setText(tr("ui.sync.type_password"))

    def sign_in(self) -> None:
        home = self.home
        server, user, password = self.server.text(), self.user.text().strip(), \
            self.password.text()
        self.sign_in_button.setEnabled(False)

        def done(_answer: object) -> None:
            self.sign_in_button.setEnabled(True)
            self.password.clear()
            saved = home.settings()
            self.saved_note.setText(tr("ui.settings.signed_in", user=saved.get("user", user),
                                       server=saved.get("server", server)))
            self.show_status(self.bridge.view)

        def failed(exc: BaseException) -> None:
            self.sign_in_button.setEnabled(True)
            show_error(self, exc)

        self.bridge.sign_in(server, user, password, done, failed)

    def sign_out(self) -> None:
        def done(_result: object) -> None:
            self.saved_note.setText(tr("ui.settings.signed_out"))

        self.bridge.sign_out(done, lambda exc: show_error(self, exc))

    def set_outbox(self, count: int) -> None:
        """Standalone: every change kept here. With a server the bridge's view says it."""
        if self.view is not None and self.view.state != "standalone":
            return
        self.outbox.setText(tr("ui.settings.waiting_count", count=count))

    def save(self) -> None:
        values = {"language": self.language.currentData(), "user": self.user.text().strip(),
                  "server": self.server.text().strip()}
        before = self.home.settings()
        self.home.save_settings(values)
        self.saved_note.setText(tr("ui.settings.saved"))
        if (before.get("server"), before.get("user")) != (values["server"], values["user"]):
            self.bridge.settings_changed()

    # ---- «О программе» -------------------------------------------------------------------

    def mark_stale(self) -> None:
        self.stale = True

    def refresh_if_stale(self) -> None:
        if self.stale:
            self.refresh()

    def refresh(self) -> None:
        self.stale = False
        store, config, home = self.store, self.config, self.home

        def collect() -> str:
            return diagnostics_text({
                tr("ui.about.config_version"): str(getattr(config, "version", None) or "—"),
                tr("ui.about.home"): str(home.path),
                tr("ui.about.store"): str(home.store_path),
                tr("ui.about.cards"): str(store.count_cards()),
                tr("ui.about.events"): str(store.count_events()),
                tr("ui.about.outbox"): str(store.outbox_count()),
            })

        self.ops.run(collect, self.diagnostics.setPlainText)
