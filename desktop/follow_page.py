"""«Отследить анонимное сообщение»: follow an anonymous card by its receipt code (issue 7).

The reporter types the code shown when they filed; the server's drop box (`POST
/api/v1/anonymous/status`, no token, the code in the body) answers with the card's state, the
supervisor's questions and comments (text and time only, never a name), and the resolution or
the reason it was rejected. While the card is open the reporter can answer; the answer is a
comment with no actor (`/anonymous/answer`).

The code is never stored: not in the settings, a draft or a log. It lives in the field while
the page is shown and in the one request that carries it; leaving the page clears the field,
the answer and what was shown. The calls run on the sync bridge's worker (network waits never
hold up the store's worker); the server's address is the one set in Settings.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from desktop.ops import Ops
from forms.card import OPEN_STATES
from forms.display import Display
from forms.errors import BadInput, Unreachable
from forms.home import Home
from forms.i18n import tr

if TYPE_CHECKING:
    import httpx

PAGE_WIDTH = 860
MAX_ANSWER = 4000  # sync.protocol.AnswerRequest.text
MESSAGE_STYLE = "color: #b71c1c;"
NOTE_STYLE = ("QLabel#followNote { background: #fff8e1; border: 1px solid #ffb300;"
              " border-radius: 4px; padding: 8px; }")


def follow_error_text(exc: BaseException) -> str | None:
    """The page's own words for what may go wrong with a receipt; None for anything else."""
    from sync import errors

    if isinstance(exc, errors.UnknownReceipt):
        return tr("ui.follow.unknown")
    if isinstance(exc, errors.RateLimited):
        return tr("ui.follow.rate_limited")
    if isinstance(exc, Unreachable):
        return tr("ui.follow.unreachable")
    if isinstance(exc, BadInput) and exc.params.get("reason") == "card_closed":
        return tr("ui.follow.closed")
    return None


class FollowPage(QWidget):
    failed = Signal(object)  # an error the page has no words for: the window's error dialog

    def __init__(self, home: Home, worker: Ops, *,
                 transport: httpx.BaseTransport | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("followPage")
        self.home = home
        self.fmt = formatting.display(home.config())
        self.worker = worker
        self.transport = transport  # tests: the server app in-process
        self.status: Any = None  # sync.protocol.AnonymousStatus last shown
        self.busy = False
        self._generation = 0  # bumped on clear: a late answer for a cleared page is dropped

        heading = QLabel(tr("ui.follow.heading"))
        heading.setObjectName("pageHeading")
        intro = QLabel(tr("ui.follow.intro"))
        intro.setWordWrap(True)
        self.no_server = QLabel(tr("ui.follow.no_server"))
        self.no_server.setObjectName("followNote")
        self.no_server.setStyleSheet(NOTE_STYLE)
        self.no_server.setWordWrap(True)
        self.code = QLineEdit()
        self.code.setObjectName("followCode")
        self.code.setPlaceholderText(tr("ui.follow.code_placeholder"))
        self.code.setMaxLength(64)
        self.code.setClearButtonEnabled(True)
        self.code.setStyleSheet("font-family: monospace; font-size: 13pt;")
        self.code.returnPressed.connect(self.check)
        self.code.textChanged.connect(lambda _t: self._update_buttons())
        self.check_button = QPushButton(tr("ui.follow.check"))
        self.check_button.setDefault(True)
        self.check_button.clicked.connect(self.check)
        code_row = QHBoxLayout()
        code_row.addWidget(QLabel(tr("ui.follow.code")))
        code_row.addWidget(self.code, 1)
        code_row.addWidget(self.check_button)
        self.message = QLabel()
        self.message.setObjectName("followMessage")
        self.message.setWordWrap(True)
        self.message.hide()

        self.summary = QLabel()
        self.summary.setObjectName("followSummary")
        self.summary.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.summary.setWordWrap(True)
        self.outcome = QLabel()
        self.outcome.setObjectName("followOutcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.thread = QTextBrowser()
        self.thread.setObjectName("followThread")
        self.thread.setOpenLinks(False)
        self.thread.setMinimumHeight(160)
        self.thread.setMaximumHeight(320)
        self.answer = QPlainTextEdit()
        self.answer.setObjectName("followAnswer")
        self.answer.setPlaceholderText(tr("ui.follow.answer_placeholder"))
        self.answer.setFixedHeight(90)
        self.answer.textChanged.connect(self._update_buttons)
        self.answer_note = QLabel(tr("ui.follow.answer_note"))
        self.answer_note.setWordWrap(True)
        self.answer_note.setStyleSheet("color: palette(placeholder-text);")
        self.answer_button = QPushButton(tr("ui.follow.answer"))
        self.answer_button.clicked.connect(self.send_answer)
        answer_row = QHBoxLayout()
        answer_row.addWidget(self.answer_note, 1)
        answer_row.addWidget(self.answer_button)
        self.answer_box = QWidget()
        answer_column = QVBoxLayout(self.answer_box)
        answer_column.setContentsMargins(0, 0, 0, 0)
        answer_column.addWidget(QLabel(tr("ui.follow.answer_heading")))
        answer_column.addWidget(self.answer)
        answer_column.addLayout(answer_row)
        self.result = QFrame()
        self.result.setObjectName("followResult")
        result_column = QVBoxLayout(self.result)
        result_column.setContentsMargins(0, 8, 0, 0)
        result_column.addWidget(self.summary)
        result_column.addWidget(self.outcome)
        result_column.addWidget(QLabel(tr("ui.follow.thread_heading")))
        result_column.addWidget(self.thread)
        result_column.addWidget(self.answer_box)
        self.result.hide()

        body = QWidget()
        body.setMaximumWidth(PAGE_WIDTH)
        column = QVBoxLayout(body)
        column.addWidget(heading)
        column.addWidget(intro)
        column.addWidget(self.no_server)
        column.addLayout(code_row)
        column.addWidget(self.message)
        column.addWidget(self.result)
        column.addStretch(1)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(24, 16, 24, 16)
        outer.addWidget(body, 1)
        outer.addStretch(0)
        self.refresh_server()

    # ---- what is set -------------------------------------------------------------------------

    def server(self) -> str:
        from desktop.sync_bridge import sync_available

        return str(self.home.settings().get("server") or "") if sync_available() else ""

    def refresh_server(self) -> None:
        """No server set: say so plainly, and nothing can be asked."""
        self.no_server.setVisible(not self.server())
        self._update_buttons()

    def _update_buttons(self) -> None:
        ready = bool(self.server()) and not self.busy
        self.code.setEnabled(bool(self.server()))
        self.check_button.setEnabled(ready and bool(self.code.text().strip()))
        self.answer_button.setEnabled(ready and bool(self.answer.toPlainText().strip()))

    # ---- asking the server -------------------------------------------------------------------

    def check(self) -> None:
        code = self.code.text().strip()
        if not code or self.busy or not self.server():
            return
        self._ask(lambda client: client.anonymous_status(code), answered=False)

    def send_answer(self) -> None:
        code, text = self.code.text().strip(), self.answer.toPlainText().strip()
        if not code or not text or self.busy or not self.server():
            return
        self._ask(lambda client: client.anonymous_answer(code, text[:MAX_ANSWER]),
                  answered=True)

    def _ask(self, call: Any, *, answered: bool) -> None:
        server, transport, generation = self.server(), self.transport, self._generation

        def work() -> Any:
            from sync.client import SyncClient

            with SyncClient(server, transport=transport) as client:
                return call(client)

        def done(status: Any) -> None:
            if generation != self._generation:
                return
            self._set_busy(False)
            if answered:
                self.answer.clear()
            self.show_status(status)
            if answered:
                self._say(tr("ui.follow.answered"), error=False)

        def failed(exc: BaseException) -> None:
            if generation != self._generation:
                return
            self._set_busy(False)
            text = follow_error_text(exc)
            if text is None:
                self._say(tr("ui.follow.failed"))
                self.failed.emit(exc)
                return
            if not answered:
                self._show_nothing()
            self._say(text)

        self._set_busy(True)
        self.message.hide()
        self.worker.run(work, done, failed)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.check_button.setText(tr("ui.follow.checking") if busy else tr("ui.follow.check"))
        self._update_buttons()

    def _say(self, text: str, *, error: bool = True) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(MESSAGE_STYLE if error else "color: #1b5e20;")
        self.message.show()

    # ---- showing -----------------------------------------------------------------------------

    def show_status(self, status: Any) -> None:
        self.status = status
        kind = self.fmt.kind(status.kind) if status.kind else ""
        state = self.fmt.state(status.state, status.kind)
        self.summary.setText(tr("ui.follow.summary", kind=kind, state=state) if kind
                             else state)
        outcome = []
        if status.filed_at:
            outcome.append(tr("ui.follow.filed_at", at=self.fmt.moment(status.filed_at)))
        if status.resolution:
            outcome.append(tr("ui.follow.resolution", text=html.escape(status.resolution)))
        if status.reject_reason:
            outcome.append(tr("ui.follow.rejected", text=html.escape(status.reject_reason)))
        self.outcome.setText("<br>".join(outcome))
        self.thread.setHtml(thread_html(status.comments, self.fmt))
        self.answer_box.setVisible(status.state in OPEN_STATES)
        if status.state not in OPEN_STATES:
            self.answer.clear()
        self.result.show()

    def _show_nothing(self) -> None:
        self.status = None
        self.summary.clear()
        self.outcome.clear()
        self.thread.clear()
        self.result.hide()

    def clear(self) -> None:
        """Forget the code, the answer and what was shown (leaving the page)."""
        self._generation += 1
        self.code.clear()
        self.answer.clear()
        self.message.clear()
        self.message.hide()
        self._show_nothing()
        self._set_busy(False)

    def showEvent(self, event: QShowEvent) -> None:
        self.refresh_server()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        if not event.spontaneous():  # another page, not a minimised window
            self.clear()
        super().hideEvent(event)


def thread_html(comments: list[Any], fmt: Display) -> str:
    """The questions, comments and the reporter's answers: time and text, never a name."""
    if not comments:
        return f"<p style='color: gray'>{html.escape(tr('ui.follow.no_comments'))}</p>"
    parts = []
    for comment in comments:
        if comment.question:
            who, colour = tr("ui.follow.question"), "#e65100"
        elif comment.from_reporter:
            who, colour = tr("ui.follow.you"), "#1565c0"
        else:
            who, colour = tr("ui.follow.comment"), "#424242"
        text = html.escape(comment.text).replace("\n", "<br>")
        parts.append(
            f"<p><span style='color: gray'>{html.escape(fmt.moment(comment.at))}</span> "
            f"<b style='color: {colour}'>{html.escape(who)}</b><br>{text}</p>")
    return "".join(parts)

