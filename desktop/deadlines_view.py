"""«Сроки»: what is overdue, due today, this week, escalated, per owner; and, for supervisors,
the urgent/important (Eisenhower) grouping.

The deadlines are `forms.deadlines.evaluate` of the open cards, computed on the worker; the
grouping is the pure `deadline_items` / `bucket` / `quadrant` below, tested without Qt.
On a big store only the `CARD_LIMIT` cards whose next deadline comes soonest are read
(`forms.store.queries.deadline_cards`), and the page says how many more there are: overdue
and escalated deadlines come first, and nobody reads the 100 000th deadline in a tree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from desktop.ops import Ops
from forms import deadlines, risk
from forms.calendar import BusinessCalendar, parse_duration
from forms.card import Card
from forms.config import Config
from forms.i18n import tr
from forms.store.queries import deadline_cards
from forms.store.repo import Store

BUCKETS = ("overdue", "today", "week", "later")
QUADRANTS = ("urgent_important", "important", "urgent", "other")
OVERDUE_COLOR = "#c62828"
ESCALATED_COLOR = "#6a1b9a"
IMPORTANT_BANDS = frozenset({"high", "critical"})
IMPORTANT_OUTCOMES = frozenset({"threats"})
IMPORTANT_STATES = frozenset({"aggressive"})
CARD_LIMIT = 500


@dataclass(frozen=True)
class DeadlineItem:
    card_id: str
    title: str
    kind: str
    band: str | None
    deadline: str  # acknowledge | assess | action | resolve
    due: datetime
    owner: str | None
    overdue: bool
    remind: bool
    escalated_to: str | None
    important: bool


def is_important(card: Card) -> bool:
    """High or critical risk, or a complaint with threats or an aggressive customer."""
    band = (card.risk_residual or card.risk_initial).band if card.risk_initial else None
    if band in IMPORTANT_BANDS:
        return True
    return card.kind == "complaint" and (
        card.fields.get("outcome") in IMPORTANT_OUTCOMES
        or card.fields.get("emotional_state") in IMPORTANT_STATES)


def deadline_items(cards: list[Card], config: Config, now: datetime) -> list[DeadlineItem]:
    """Every unmet deadline of the cards, soonest first."""
    items = []
    for card in cards:
        important = is_important(card)
        for status in deadlines.evaluate(card, config, now):
            d = status.deadline
            if d.met_at is not None:
                continue
            items.append(DeadlineItem(card.id, card.title, card.kind, card.risk_band, d.kind,
                                      d.due, d.owner, status.overdue, status.remind,
                                      status.escalated_to, important))
    return sorted(items, key=lambda i: (i.due, i.card_id))


def bucket(item: DeadlineItem, now: datetime, tz: tzinfo) -> str:
    """overdue, today (by the site's calendar, `tz`), week (the next 7 days), later."""
    if item.overdue:
        return "overdue"
    local_now = now.astimezone(tz)
    due = item.due.astimezone(tz)
    if due.date() == local_now.date():
        return "today"
    if due - local_now <= timedelta(days=7):
        return "week"
    return "later"


def quadrant(item: DeadlineItem, config: Config, now: datetime) -> str:
    """Urgent: overdue or due within one working day; important: see `is_important`."""
    horizon = BusinessCalendar.from_config(config.sla).add(now, parse_duration("1bd"))
    urgent = item.overdue or item.due <= horizon
    if urgent and item.important:
        return "urgent_important"
    if item.important:
        return "important"
    return "urgent" if urgent else "other"


class DeadlinesPage(QWidget):
    open_card = Signal(str)

    def __init__(self, store: Store, config: Config, ops: Ops, *, user: str,
                 role: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.config = config
        self.fmt = formatting.display(config)
        self.ops = ops
        self.user = user
        self.role = role
        self.items: list[DeadlineItem] = []
        self.total_cards = 0  # open cards with a deadline, shown or not
        self.now = self.fmt.now()
        self.stale = True
        self.loaded = False

        title = QLabel(tr("ui.nav.deadlines"))
        title.setObjectName("pageHeading")
        self.summary = QLabel()
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.summary)
        hint = self.fmt.zone_hint()
        self.zone = QLabel(tr("value.zone_hint", zone=hint) if hint else "")
        self.zone.setVisible(bool(hint))
        self.more = QLabel()
        self.more.hide()

        self.by_due = self._tree()
        self.by_owner = self._tree()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.by_due, tr("ui.deadlines.by_due"))
        self.tabs.addTab(self.by_owner, tr("ui.deadlines.by_owner"))
        self.quadrants: dict[str, QListWidget] = {}
        if role in (None, "supervisor", "admin"):
            grid_page = QWidget()
            grid = QGridLayout(grid_page)
            for i, key in enumerate(QUADRANTS):
                box = QGroupBox(tr(f"ui.deadlines.q.{key}"))
                items = QListWidget()
                items.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
                items.setTextElideMode(Qt.TextElideMode.ElideRight)
                items.itemActivated.connect(self._activated)
                QVBoxLayout(box).addWidget(items)
                grid.addWidget(box, i // 2, i % 2)
                self.quadrants[key] = items
            self.tabs.addTab(grid_page, tr("ui.deadlines.matrix"))

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.zone)
        layout.addWidget(self.more)
        layout.addWidget(self.tabs, 1)

    def _tree(self) -> QTreeWidget:
        tree = QTreeWidget()
        tree.setColumnCount(5)
        tree.setHeaderLabels([tr("ui.column.title"), tr("ui.deadlines.deadline"),
                              tr("ui.deadlines.due"), tr("ui.deadlines.owner"),
                              tr("ui.column.risk")])
        tree.setColumnWidth(0, 390)
        tree.setColumnWidth(1, 150)
        tree.setColumnWidth(2, 125)
        tree.setColumnWidth(3, 250)
        tree.setAlternatingRowColors(True)
        tree.itemActivated.connect(self._activated)
        return tree

    # ---- loading -------------------------------------------------------------------------

    def mark_stale(self) -> None:
        self.stale = True

    def refresh_if_stale(self) -> None:
        if self.stale:
            self.refresh()

    def refresh(self, now: datetime | None = None) -> None:
        self.stale = False
        store, config = self.store, self.config
        now = now or self.fmt.now()
        user, own_only = self.user, self.role == "staff"

        def load() -> tuple[list[DeadlineItem], int, int]:
            cards, total = deadline_cards(store, limit=CARD_LIMIT,
                                          user=user if own_only else None)
            items = deadline_items(cards, config, now)
            if own_only:  # a worker sees what is theirs: their actions, their cards
                mine = {c.id for c in cards if c.reporter == user}
                items = [i for i in items if i.owner == user or i.card_id in mine]
            return items, len(cards), total

        self.ops.run(load, lambda result: self._loaded(*result, now))

    def _loaded(self, items: list[DeadlineItem], shown: int, total: int,
                now: datetime) -> None:
        self.items, self.now, self.total_cards = items, now, total
        self.loaded = True
        self.more.setText(tr("ui.deadlines.more", count=shown, total=self.fmt.number(total)))
        self.more.setVisible(total > shown)
        self._fill_by_due()
        self._fill_by_owner()
        for key, widget in self.quadrants.items():
            widget.clear()
            for item in items:
                if quadrant(item, self.config, now) == key:
                    entry = QListWidgetItem(f"{self.fmt.moment(item.due)} · {item.title}")
                    entry.setData(Qt.ItemDataRole.UserRole, item.card_id)
                    entry.setToolTip(item.title)
                    if item.overdue:
                        entry.setForeground(QBrush(QColor(OVERDUE_COLOR)))
                    widget.addItem(entry)
        counts = defaultdict(int)
        for item in items:
            counts[bucket(item, now, self.fmt.tz)] += 1
        escalated = sum(1 for i in items if i.escalated_to)
        self.summary.setText(tr("ui.deadlines.summary", overdue=counts["overdue"],
                                today=counts["today"], week=counts["week"],
                                escalated=escalated))

    def _row(self, item: DeadlineItem) -> QTreeWidgetItem:
        owner = self.fmt.short_person(item.owner)
        if item.escalated_to:
            owner += " → " + self.fmt.short_person(item.escalated_to)
        row = QTreeWidgetItem([
            item.title, self.fmt.label("deadlines", item.deadline), self.fmt.moment(item.due),
            owner, self.fmt.band(item.band) if item.band else ""])
        row.setData(0, Qt.ItemDataRole.UserRole, item.card_id)
        row.setToolTip(0, item.title)
        if item.overdue:
            row.setForeground(2, QBrush(QColor(OVERDUE_COLOR)))
        if item.escalated_to:
            row.setForeground(3, QBrush(QColor(ESCALATED_COLOR)))
        if item.band:
            row.setForeground(4, QBrush(QColor(risk.band_color(item.band, self.config))))
        return row

    def _fill(self, tree: QTreeWidget, groups: dict[str, list[DeadlineItem]],
              labels: dict[str, str]) -> None:
        tree.clear()
        for key, members in groups.items():
            if not members:
                continue
            group = QTreeWidgetItem([f"{labels[key]} ({len(members)})"])
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            group.setFirstColumnSpanned(True)
            tree.addTopLevelItem(group)
            group.addChildren([self._row(i) for i in members])
            group.setExpanded(True)

    def _fill_by_due(self) -> None:
        groups: dict[str, list[DeadlineItem]] = {b: [] for b in (*BUCKETS, "escalated")}
        for item in self.items:
            groups[bucket(item, self.now, self.fmt.tz)].append(item)
            if item.escalated_to:
                groups["escalated"].append(item)
        order = ("overdue", "escalated", "today", "week", "later")
        self._fill(self.by_due, {k: groups[k] for k in order},
                   {k: tr(f"ui.deadlines.{k}") for k in order})

    def _fill_by_owner(self) -> None:
        groups: dict[str, list[DeadlineItem]] = defaultdict(list)
        for item in self.items:
            groups[item.escalated_to or item.owner or ""].append(item)
        names = {k: self.fmt.person(k) for k in groups}
        ordered = dict(sorted(groups.items(), key=lambda kv: names[kv[0]]))
        self._fill(self.by_owner, ordered, names)

    def _activated(self, item: QTreeWidgetItem | QListWidgetItem, *_: object) -> None:
        card_id = item.data(0, Qt.ItemDataRole.UserRole) if isinstance(
            item, QTreeWidgetItem) else item.data(Qt.ItemDataRole.UserRole)
        if card_id:
            self.open_card.emit(card_id)
