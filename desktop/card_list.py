"""A page listing cards: a search box, the lazily loaded table, and an empty state.

One page class serves every list of the sidebar; each gets its own base query (all cards,
later my cards, the inbox), and the search box narrows it with `CardQuery.search`.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.models import (
    CARD_ID_ROLE,
    COL_FILED,
    COL_KIND,
    COL_RISK,
    COL_SITE,
    COL_STATE,
    COL_SUPERVISOR,
    COL_TITLE,
    CardTableModel,
)
from forms.i18n import tr
from forms.store.repo import CardQuery

SEARCH_DELAY_MS = 250
# The title takes what is left; the others fit their usual contents (the user may resize).
COLUMN_WIDTHS = {COL_KIND: 155, COL_STATE: 128, COL_SITE: 165, COL_SUPERVISOR: 120,
                 COL_RISK: 110, COL_FILED: 120}


class EmptyState(QWidget):
    """What to do when a list has nothing to show, instead of a blank table."""

    file_requested = Signal()
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setObjectName("emptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setMaximumWidth(560)
        self.file_button = QPushButton(tr("ui.nav.file"))
        self.file_button.clicked.connect(self.file_requested)
        self.demo_button = QPushButton(tr("ui.empty.demo"))
        self.demo_button.clicked.connect(self.demo_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.file_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addStretch(2)

    def show_nothing_yet(self, *, offer_demo: bool) -> None:
        self.title.setText(tr("ui.empty.title"))
        self.text.setText(tr("ui.empty.text"))
        self.file_button.show()
        self.demo_button.setVisible(offer_demo)

    def show_no_match(self, search: str) -> None:
        self.title.setText(tr("ui.empty.no_match_title"))
        self.text.setText(tr("ui.empty.no_match_text", search=search))
        self.file_button.hide()
        self.demo_button.hide()

    def set_demo_busy(self, busy: bool) -> None:
        self.demo_button.setEnabled(not busy)
        self.demo_button.setText(tr("ui.empty.demo_busy") if busy else tr("ui.empty.demo"))


class CardListPage(QWidget):
    open_card = Signal(str)

    def __init__(self, model: CardTableModel, *, heading: str,
                 base_query: CardQuery | None = None, offer_demo: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.base_query = base_query or CardQuery()
        self.offer_demo = offer_demo

        title = QLabel(heading)
        title.setObjectName("pageHeading")
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("ui.list.search"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(360)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.apply_search)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.search)

        self.table = QTableView()
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(
            self.table.fontMetrics().lineSpacing() + 10)
        columns = self.table.horizontalHeader()
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        columns.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        columns.setHighlightSections(False)
        for column, width in COLUMN_WIDTHS.items():
            self.table.setColumnWidth(column, width)
        self.table.activated.connect(self._activated)  # double click or Enter

        self.empty = EmptyState()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        self.status = QLabel()

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status)

        model.reloaded.connect(self._update_state)
        model.rowsInserted.connect(lambda *_: self._update_status())
        model.loading_changed.connect(lambda _b: self._update_status())
        model.set_query(self.base_query)

    def apply_search(self) -> None:
        self._search_timer.stop()
        text = self.search.text().strip()
        query = replace(self.base_query, search=text or None)
        if query != self.model.query:
            self.model.set_query(query)

    def _activated(self, index: QModelIndex) -> None:
        card_id = index.data(CARD_ID_ROLE)
        if card_id:
            self.open_card.emit(card_id)

    def _update_state(self) -> None:
        if self.model.total:
            self.stack.setCurrentWidget(self.table)
        else:
            search = self.model.query.search
            if search:
                self.empty.show_no_match(search)
            else:
                self.empty.show_nothing_yet(offer_demo=self.offer_demo)
            self.stack.setCurrentWidget(self.empty)
        self._update_status()

    def _update_status(self) -> None:
        if self.model.loading:
            self.status.setText(tr("ui.list.loading"))
        else:
            self.status.setText(tr("ui.list.count", shown=self.model.rowCount(),
                                   total=self.model.total))
