"""A page listing cards: search, filters, the lazily loaded table, export, and an empty state.

One page class serves every list of the sidebar; each gets its own base query (all cards,
my cards, the inbox), and the search box and filters narrow it (`CardQuery`). Sorting is done
by the database, so lazily loaded pages continue the same order; the columns a user hides
are remembered in the home's settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from desktop.export import write_table
from desktop.models import (
    CARD_ID_ROLE,
    COL_FILED,
    COL_KIND,
    COL_RISK,
    COL_SITE,
    COL_STATE,
    COL_SUPERVISOR,
    COL_TITLE,
    COLUMN_KEYS,
    CardTableModel,
    list_row,
)
from forms.card import STATES
from forms.config import Config
from forms.i18n import tr
from forms.store.repo import CardQuery

SEARCH_DELAY_MS = 250
FILTER_CHARS = 9
SEARCH_WIDTH = 260
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


class FilterBar(QWidget):
    """Kind, state, site, department, category, risk band, overdue and period filters."""

    changed = Signal()

    # (CardQuery field, list name in the configuration)
    CHOICES = (("kind", "kinds"), ("state", "states"), ("site", "sites"),
               ("department", "departments"), ("category", "hazard_categories"),
               ("risk_band", "bands"))

    def __init__(self, config: Config, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.fmt = formatting.display(config)
        self.combos: dict[str, QComboBox] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for name, list_name in self.CHOICES:
            combo = QComboBox()
            combo.setObjectName(f"filter_{name}")
            combo.addItem(tr(f"ui.filter.{name}"), None)
            for code in self._codes(list_name):
                combo.addItem(self.fmt.label(list_name, code), code)
            # Narrow enough that every filter fits beside the sidebar at 1280 px; the open
            # list is as wide as its longest entry.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(FILTER_CHARS)
            combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + 24)
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
            row.addWidget(combo)
            self.combos[name] = combo
        row.addStretch(1)
        # Overdue and the period sit in the page's header row, beside the search box.
        self.extras = QWidget()
        extras = QHBoxLayout(self.extras)
        extras.setContentsMargins(0, 0, 0, 0)
        self.overdue = QCheckBox(tr("ui.filter.overdue"))
        self.overdue.toggled.connect(lambda _b: self.changed.emit())
        extras.addWidget(self.overdue)
        self.period = QCheckBox(tr("ui.filter.period"))
        today = self.fmt.today()
        self.date_from = formatting.date_edit(
            self.fmt, formatting.to_qdate(today).addMonths(-1).toPython())
        self.date_to = formatting.date_edit(self.fmt, today)
        for edit in (self.date_from, self.date_to):
            edit.setEnabled(False)
            edit.dateChanged.connect(lambda _d: self.period.isChecked() and self.changed.emit())
        self.period.toggled.connect(self._period_toggled)
        extras.addWidget(self.period)
        extras.addWidget(self.date_from)
        extras.addWidget(QLabel("–"))
        extras.addWidget(self.date_to)

    def _codes(self, list_name: str) -> list[str]:
        if list_name == "kinds":
            return list(self.config.kinds)
        if list_name == "states":
            return [s for s in STATES if s != "draft"]
        if list_name == "bands":
            return [str(b["name"]) for b in self.config.risk["bands"]]
        return list(self.config.lists.get(list_name, []))

    def _period_toggled(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.changed.emit()

    def set_filter(self, name: str, code: str | None) -> None:
        combo = self.combos[name]
        combo.setCurrentIndex(max(combo.findData(code), 0))

    def apply(self, query: CardQuery, now: datetime | None = None) -> CardQuery:
        values: dict[str, Any] = {name: combo.currentData()
                                  for name, combo in self.combos.items()
                                  if combo.currentData() is not None}
        if self.overdue.isChecked():
            values["overdue_at"] = now or self.fmt.now()
        if self.period.isChecked():  # whole days on the site's calendar
            values["filed_from"] = formatting.site_start(
                self.fmt, formatting.picked_day(self.date_from))
            values["filed_to"] = formatting.site_start(
                self.fmt, formatting.picked_day(self.date_to) + timedelta(days=1))
        return replace(query, **values)


class CardListPage(QWidget):
    open_card = Signal(str)

    def __init__(self, model: CardTableModel, *, heading: str,
                 base_query: CardQuery | None = None, offer_demo: bool = False,
                 settings: tuple[Callable[[], dict[str, Any]],
                                 Callable[[dict[str, Any]], None]] | None = None,
                 name: str = "all", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.base_query = base_query or CardQuery()
        self.offer_demo = offer_demo
        self.settings = settings
        self.name = name
        self.export_path: Path | None = None

        title = QLabel(heading)
        title.setObjectName("pageHeading")
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("ui.list.search"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(SEARCH_WIDTH)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.apply_search)
        self.export_button = QPushButton(tr("ui.list.export"))
        export_menu = QMenu(self.export_button)
        export_menu.addAction(tr("ui.list.export_xlsx"), lambda: self.ask_export("xlsx"))
        export_menu.addAction(tr("ui.list.export_csv"), lambda: self.ask_export("csv"))
        self.export_button.setMenu(export_menu)
        self.filters = FilterBar(model.config)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.filters.extras)
        header.addWidget(self.search)
        header.addWidget(self.export_button)
        self.filters.changed.connect(self.apply_search)

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
        # The indicator first: enabling sorting sorts by it, and the model's own order (newest
        # first) then asks nothing of the store — no wasted query of a 100k list at start.
        columns.setSortIndicator(COL_FILED, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        columns.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        columns.customContextMenuRequested.connect(self._column_menu)
        for column in self._hidden_columns():
            self.table.setColumnHidden(column, True)

        self.empty = EmptyState()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        self.status = QLabel()

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.filters)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status)

        model.reloaded.connect(self._update_state)
        model.rowsInserted.connect(lambda *_: self._update_status())
        model.loading_changed.connect(lambda _b: self._update_status())
        model.set_query(self.base_query)

    def apply_search(self) -> None:
        self._search_timer.stop()
        text = self.search.text().strip()
        query = self.filters.apply(replace(self.base_query, search=text or None))
        if query != self.model.query:
            self.model.set_query(query)

    # ---- columns -------------------------------------------------------------------------

    def _hidden_columns(self) -> list[int]:
        if self.settings is None:
            return []
        hidden = self.settings[0]().get("hidden_columns", {}).get(self.name, [])
        return [COLUMN_KEYS.index(k) for k in hidden if k in COLUMN_KEYS]

    def set_column_shown(self, column: int, shown: bool) -> None:
        if column == COL_TITLE:  # a row must stay recognisable
            return
        self.table.setColumnHidden(column, not shown)
        if self.settings is not None:
            load, save = self.settings
            all_hidden = dict(load().get("hidden_columns", {}))
            all_hidden[self.name] = [COLUMN_KEYS[c] for c in range(len(COLUMN_KEYS))
                                     if self.table.isColumnHidden(c)]
            save({"hidden_columns": all_hidden})

    def _column_menu(self, at: QPoint) -> None:
        menu = QMenu(self)
        for column, key in enumerate(COLUMN_KEYS):
            action = menu.addAction(tr(key))
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(column))
            action.setEnabled(column != COL_TITLE)
            action.toggled.connect(lambda on, c=column: self.set_column_shown(c, on))
        menu.popup(self.table.horizontalHeader().mapToGlobal(at))

    # ---- export --------------------------------------------------------------------------

    def ask_export(self, fmt: str) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, tr("ui.list.export"), str(Path.home() / f"safecard.{fmt}"),
            tr(f"ui.list.filter_{fmt}"))
        if path:
            self.export(Path(path))

    def export(self, path: Path, on_done: Callable[[Any], None] | None = None) -> None:
        """Every row the list's query matches, in its order, in the shown columns."""
        model, query = self.model, self.model.query
        store, config = model.store, model.config
        sort_by, descending = model.sort_order
        shown = [c for c in range(len(COLUMN_KEYS)) if not self.table.isColumnHidden(c)]
        headers = [tr(COLUMN_KEYS[c]) for c in shown]

        def write() -> Path:
            cards = store.list_cards(query, sort_by=sort_by, newest_first=descending)
            rows = [[list_row(card, config).texts[c] for c in shown] for card in cards]
            write_table(path, headers, rows)
            return path

        self.export_path = None

        def done(result: Any) -> None:
            self.export_path = result
            self.status.setText(tr("ui.list.exported", path=str(result)))
            if on_done is not None:
                on_done(result)

        model.ops.run(write, done)

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
            return
        fmt = self.filters.fmt
        text = tr("ui.list.count", shown=fmt.number(self.model.rowCount()),
                  total=fmt.number(self.model.total))
        hint = fmt.zone_hint()
        self.status.setText(f"{text} · {tr('value.zone_hint', zone=hint)}" if hint else text)
