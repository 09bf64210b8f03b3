"""Tray notifications: a new card in my inbox, a reminder before a deadline, an escalation to
me, a question on a card I filed.

What to notify is the pure `decide(seen, cards, user, config, now)`: it compares what the
user has already been told (`Seen`) with the cards now, so a notice is given once. The first
look only takes stock (nothing pops up for what was there before the app started). The
`Notifier` runs it on the worker after every change and on a timer, and shows the notices
with `QSystemTrayIcon` where the desktop has a tray.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from desktop.ops import Ops
from forms import deadlines
from forms.card import Card
from forms.config import Config
from forms.display import Display
from forms.i18n import tr
from forms.store.repo import CardQuery, Store

CHECK_EVERY_MS = 5 * 60 * 1000
# What a check looks at: the newest cards of each kind of interest, within a horizon that
# covers every profile's reminder; a store of 100k cards costs the same as a small one.
LOOK_LIMIT = 500
REMIND_HORIZON = timedelta(days=7)


@dataclass(frozen=True)
class Notice:
    kind: str  # inbox | reminder | escalation | question
    card_id: str
    title: str
    text: str


@dataclass
class Seen:
    """What the user has been told about (or what was already there at the first look)."""

    inbox: set[str] = field(default_factory=set)
    reminders: set[tuple[str, str, str]] = field(default_factory=set)
    escalations: set[tuple[str, str, str, int]] = field(default_factory=set)
    questions: set[str] = field(default_factory=set)


def decide(seen: Seen | None, cards: list[Card], user: str, config: Config,
           now: datetime) -> tuple[list[Notice], Seen]:
    """(notices to show, what has been seen now). `seen` None: the first look, no notices."""
    current = Seen()
    notices: list[Notice] = []
    fmt = Display.create(config)
    for card in cards:
        if card.is_open and card.supervisor == user:
            current.inbox.add(card.id)
            if seen is not None and card.id not in seen.inbox:
                notices.append(Notice("inbox", card.id, tr("ui.notify.inbox"), card.title))
        if card.is_open:
            for status in deadlines.evaluate(card, config, now):
                d = status.deadline
                key = (card.id, d.kind, d.ref or "")
                if status.remind and d.owner == user:
                    current.reminders.add(key)
                    if seen is not None and key not in seen.reminders:
                        notices.append(Notice("reminder", card.id, tr("ui.notify.reminder"), tr(
                            "ui.notify.reminder_text", title=card.title,
                            deadline=fmt.label("deadlines", d.kind))))
                if status.escalated_to == user:
                    level = (*key, status.escalation_level)
                    current.escalations.add(level)
                    if seen is not None and level not in seen.escalations:
                        notices.append(Notice("escalation", card.id,
                                              tr("ui.notify.escalation"), card.title))
        if card.reporter == user:
            for comment in card.comments:
                if comment.question and comment.actor != user:
                    current.questions.add(comment.id)
                    if seen is not None and comment.id not in seen.questions:
                        notices.append(Notice("question", card.id, tr("ui.notify.question"),
                                              f"{card.title}: {comment.text}"))
    return notices, current


class Notifier(QObject):
    notified = Signal(object)  # list[Notice]

    def __init__(self, store: Store, config: Config, ops: Ops, *, user: str,
                 enabled: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.enabled = enabled  # an auditor is told nothing: nothing is theirs to act on
        self.store = store
        self.config = config
        self.ops = ops
        self.user = user
        self.seen: Seen | None = None
        self.shown: list[Notice] = []
        self._checking = False
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_EVERY_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            app = QApplication.instance()
            icon = app.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning) \
                if isinstance(app, QApplication) else None
            self.tray = QSystemTrayIcon(self)
            if icon is not None:
                self.tray.setIcon(icon)
            self.tray.setToolTip("SafeCard")
            self.tray.show()

    def check(self, now: datetime | None = None) -> None:
        if self._checking or not self.enabled:
            return
        self._checking = True
        store, config, user, seen = self.store, self.config, self.user, self.seen
        now = now or Display.create(self.config).now()

        def look() -> tuple[list[Notice], Seen]:
            # My inbox, my own cards, and the open cards due soon or overdue (reminders for
            # actions I own, escalations to me).
            cards: dict[str, Card] = {}
            for query in (CardQuery(supervisor=user, open_only=True),
                          CardQuery(reporter=user),
                          CardQuery(open_only=True, overdue_at=now + REMIND_HORIZON)):
                cards.update((c.id, c) for c in store.list_cards(query, limit=LOOK_LIMIT))
            return decide(seen, list(cards.values()), user, config, now)

        self.ops.run(look, self._decided, self._failed)

    def _failed(self, _exc: BaseException) -> None:
        self._checking = False  # a notice is not worth an error dialog; try at the next check

    def _decided(self, result: tuple[list[Notice], Seen]) -> None:
        self._checking = False
        notices, self.seen = result
        if not notices:
            return
        self.shown.extend(notices)
        self.notified.emit(notices)
        if self.tray is not None:
            first = notices[0]
            more = tr("ui.notify.more", count=len(notices) - 1) if len(notices) > 1 else ""
            self.tray.showMessage(first.title, first.text + more,
                                  QSystemTrayIcon.MessageIcon.Information)

    def stop(self) -> None:
        self.timer.stop()
        if self.tray is not None:
            self.tray.hide()
