"""The shared terminal's window (site setting `mode = terminal`; sync/terminal.py).

It opens to «Кто вы?»: a personnel number or directory login, then a PIN or password. A
person who signs in gets the usual window, as themselves, for one job: filing a card or
following theirs. They are signed out when the card they filed has reached the server, when
they press «Выйти», or after `idle_seconds` without a key or a click; the window goes back to
«Кто вы?» and keeps nothing of them. «Сообщить анонимно» files without signing in (the card
leaves through the drop box). Unsent cards of signed-out people, and anonymous ones, are
sent in the background.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.dialogs import show_error
from desktop.ops import Ops
from forms.config import Config
from forms.errors import SafeCardError
from forms.home import Home
from forms.i18n import tr
from forms.service import CardService
from forms.store.repo import Store

if TYPE_CHECKING:
    import httpx

    from desktop.card_form import CardForm
    from desktop.main_window import MainWindow
    from sync.terminal import Session

PENDING_INTERVAL_MS = 30_000
INPUT_EVENTS = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                          QEvent.Type.Wheel, QEvent.Type.TouchBegin})
STYLE = """
QLabel#whoHeading { font-size: 28pt; font-weight: bold; }
QLabel#whoHint { font-size: 12pt; color: palette(dark); }
QLabel#whoMessage, QLabel#whoField { font-size: 13pt; }
QLineEdit, QPushButton { font-size: 14pt; padding: 6px; }
QPushButton#signIn { font-weight: bold; }
"""


class WhoAreYou(QWidget):
    """«Кто вы?»: the only screen a terminal shows to nobody in particular."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel(tr("ui.terminal.who"))
        heading.setObjectName("whoHeading")
        hint = QLabel(tr("ui.terminal.hint"))
        hint.setObjectName("whoHint")
        hint.setWordWrap(True)
        self.login = QLineEdit()
        self.login.setPlaceholderText(tr("ui.terminal.login_placeholder"))
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText(tr("ui.terminal.secret_placeholder"))
        self.sign_in_button = QPushButton(tr("ui.terminal.sign_in"))
        self.sign_in_button.setObjectName("signIn")
        self.sign_in_button.setDefault(True)
        self.anonymous_button = QPushButton(tr("ui.terminal.anonymous"))
        self.message = QLabel()
        self.message.setObjectName("whoMessage")
        self.message.setWordWrap(True)
        form = QFormLayout()
        for key, field in (("ui.terminal.login", self.login), ("ui.terminal.secret", self.secret)):
            label = QLabel(tr(key))
            label.setObjectName("whoField")
            form.addRow(label, field)
        column = QVBoxLayout()
        column.addStretch(1)
        for widget in (heading, hint):
            column.addWidget(widget)
        column.addLayout(form)
        column.addWidget(self.sign_in_button)
        column.addWidget(self.message)
        column.addSpacing(24)
        column.addWidget(self.anonymous_button)
        column.addStretch(2)
        row = QHBoxLayout(self)
        row.addStretch(1)
        row.addLayout(column, 2)
        row.addStretch(1)
        self.login.returnPressed.connect(self.secret.setFocus)
        self.secret.returnPressed.connect(self.sign_in_button.click)

    def ready(self, message: str = "") -> None:
        """Empty fields, the cursor in the first one, and what happened last (no names)."""
        self.login.clear()
        self.secret.clear()
        self.message.setText(message)
        self.set_busy(False)
        self.login.setFocus()

    def set_busy(self, busy: bool) -> None:
        for widget in (self.login, self.secret, self.sign_in_button, self.anonymous_button):
            widget.setEnabled(not busy)
        if busy:
            self.message.setText(tr("ui.terminal.signing_in"))


class TerminalWindow(QMainWindow):
    def __init__(self, home: Home, config: Config, store: Store, *,
                 transport: httpx.BaseTransport | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.home, self.config, self.store = home, config, store  # the terminal's own
        self.transport = transport
        self.ops = Ops(self)  # sign-in, sign-out and background sending, in order
        self.session: Session | None = None
        self.main: MainWindow | None = None
        self.anonymous_form: CardForm | None = None
        self.filed_in_session = False
        self._signing_in = False
        self.setWindowTitle(tr("ui.terminal.title"))
        self.setStyleSheet(STYLE)
        self.who = WhoAreYou()
        self.who.sign_in_button.clicked.connect(self.sign_in)
        self.who.anonymous_button.clicked.connect(self.file_anonymously)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.who)
        self.setCentralWidget(self.stack)
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.setInterval(home.site.idle_seconds * 1000)
        self.idle.timeout.connect(lambda: self.sign_out(tr("ui.terminal.out_idle")))
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.pending = QTimer(self)
        self.pending.setInterval(PENDING_INTERVAL_MS)
        self.pending.timeout.connect(self.send_waiting)
        self.pending.start()
        self.resize(1280, 800)
        self.who.ready()
        self.send_waiting()  # what a power cut left behind goes first

    # ---- who is here ---------------------------------------------------------------------

    def sign_in(self) -> None:
        from sync.terminal import start_session

        login, secret = self.who.login.text().strip(), self.who.secret.text()
        if not login or not secret:
            self.who.message.setText(tr("ui.terminal.fill_both"))
            return
        self.who.set_busy(True)
        self._signing_in = True
        home, config, transport = self.home, self.config, self.transport
        self.ops.run(lambda: start_session(home, config, login, secret, transport=transport),
                     self._signed_in, self._refused)

    def _refused(self, exc: BaseException) -> None:
        from desktop.formatting import display
        from desktop.sync_bridge import what_happened

        self._signing_in = False
        self.who.ready()
        if isinstance(exc, SafeCardError):
            self.who.message.setText(what_happened(exc, display(self.config)))
        else:
            show_error(self, exc)

    def _signed_in(self, session: Session) -> None:
        from desktop.main_window import MainWindow

        self.session = session
        self._signing_in = False
        self.filed_in_session = False
        main = MainWindow(session.home, self.config, session.store, user=session.user,
                          role=session.role, sync_transport=self.transport)
        main.setWindowFlags(Qt.WindowType.Widget)
        form = main.card_form
        # On a terminal, anonymous filing is the button on «Кто вы?», never a session's.
        form.anonymous.setChecked(False)
        form.anonymous.hide()
        form.filed.connect(self._filed)
        main.sync_bridge.round_done.connect(self._maybe_sent)
        out = QPushButton(tr("ui.terminal.sign_out"))
        out.clicked.connect(lambda: self.sign_out(tr("ui.terminal.out_button")))
        main.statusBar().addPermanentWidget(out)
        self.main = main
        self.stack.addWidget(main)
        self.stack.setCurrentWidget(main)
        main.show_section("file" if "file" in {s.key for s in main.sections} else "mine")
        self.idle.start()

    def _filed(self, _card_id: str) -> None:
        self.filed_in_session = True
        if self.main is not None:
            self.main.sync_bridge.sync_now()

    def _maybe_sent(self, _report: Any) -> None:
        if self.main is not None and self.filed_in_session \
                and self.main.sync_bridge.view.waiting == 0:
            self.sign_out(tr("ui.terminal.out_sent"))

    def sign_out(self, message: str) -> None:
        """Back to «Кто вы?»; the session is closed and, once sent, deleted."""
        from sync.terminal import end_session

        self.idle.stop()
        main, session, self.main, self.session = self.main, self.session, None, None
        if main is None or session is None:
            return
        main.close()  # stops its sync and waits for its store worker
        self.stack.removeWidget(main)
        main.deleteLater()
        self.who.ready(message)
        self.stack.setCurrentWidget(self.who)

        def closed(all_sent: bool) -> None:
            if not all_sent:
                self.who.message.setText(tr("ui.terminal.out_waiting"))

        self.ops.run(lambda: end_session(session), closed, lambda exc: show_error(self, exc))

    # ---- anonymous, without signing in -----------------------------------------------------

    def file_anonymously(self) -> None:
        from desktop.card_form import CardForm

        if self.anonymous_form is None:
            service = CardService(self.store, self.config, user=None, blobs=self.home.blobs)
            form = CardForm(service, self.ops)  # no drafts: nobody owns them here
            back = QPushButton(tr("ui.terminal.back"))
            back.clicked.connect(self._leave_anonymous)
            form.layout().addWidget(back)
            form.filed.connect(lambda _id: self._leave_anonymous(tr("ui.terminal.anon_sent")))
            form.failed.connect(lambda exc: show_error(self, exc))
            self.anonymous_form = form
            self.stack.addWidget(form)
        self.anonymous_form.reset()
        self.anonymous_form.anonymous.setChecked(True)
        self.anonymous_form.anonymous.setEnabled(False)
        self.stack.setCurrentWidget(self.anonymous_form)
        self.idle.start()

    def _leave_anonymous(self, message: str = "") -> None:
        self.idle.stop()
        if self.anonymous_form is not None:
            self.anonymous_form.reset()
        self.who.ready(message)
        self.stack.setCurrentWidget(self.who)
        self.send_waiting()

    # ---- in the background -----------------------------------------------------------------

    def send_waiting(self) -> None:
        """Signed-out people's unsent cards under their names; anonymous ones, unsigned."""
        from sync.terminal import send_anonymous, send_pending

        if not self.home.settings().get("server"):
            return
        home, store, transport = self.home, self.store, self.transport

        def work() -> None:
            # Read when the job runs, after any sign-in queued before it: an open session
            # is not a signed-out person's pending one.
            if self.session is None and not self._signing_in:
                send_pending(home, transport=transport)
            send_anonymous(home, store, transport=transport)

        self.ops.run(work, None, lambda _exc: None)  # offline: the next tick tries again

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS and self.idle.isActive():
            self.idle.start()  # any key or click keeps the person here a minute more
        return False

    def closeEvent(self, event: Any) -> None:
        self.pending.stop()
        if self.session is not None:
            self.sign_out("")
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.ops.shutdown()
        super().closeEvent(event)
