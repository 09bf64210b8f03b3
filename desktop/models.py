"""Qt table models over the card projection.

Rows are fetched lazily, a page at a time, on the worker thread: the view asks
`canFetchMore`/`fetchMore` as it scrolls, so a list of 100k cards costs only what is seen.
Display text is prepared on the worker too, so painting never touches the store. A page is
read from the projection's columns (`forms.store.queries.list_page`), not decoded from each
card's JSON: a page of 200 costs a few milliseconds on a store of any size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QPainter, QPixmap

from desktop import formatting
from desktop.ops import Ops
from forms import risk
from forms.card import Card
from forms.config import Config
from forms.i18n import tr
from forms.store.queries import ListEntry, list_page
from forms.store.repo import CardQuery, Store

PAGE_SIZE = 200

COL_TITLE, COL_KIND, COL_STATE, COL_SITE, COL_SUPERVISOR, COL_RISK, COL_FILED = range(7)
COLUMN_KEYS = ("ui.column.title", "ui.column.kind", "ui.column.state", "ui.column.site",
               "ui.column.supervisor", "ui.column.risk", "ui.column.filed_at")

# What each column sorts by on the database (forms.store.repo.SORTABLE).
SORT_COLUMNS = ("title", "kind", "state", "site", "supervisor", "risk", "filed_at")

CARD_ID_ROLE = Qt.ItemDataRole.UserRole + 1
RISK_COLOR_ROLE = Qt.ItemDataRole.UserRole + 2  # "#rrggbb" of the card's band, or None
SORT_KEY_ROLE = Qt.ItemDataRole.UserRole + 3

AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class CardListRow:
    """What one list row shows, as text, ready to paint."""

    id: str
    texts: tuple[str, ...]  # one per column
    risk_band: str | None
    risk_color: str | None
    filed_at: datetime | None


def list_row(card: Card, config: Config) -> CardListRow:
    return entry_row(ListEntry(card.id, card.title, card.kind, card.state,
                               card.fields.get("site"), card.supervisor, card.risk_band,
                               card.filed_at), config)


def entry_row(entry: ListEntry, config: Config) -> CardListRow:
    return entry_rows([entry], config)[0]


def entry_rows(entries: list[ListEntry], config: Config) -> list[CardListRow]:
    """A page of rows. Labels are looked up once per page, not per row: a label costs a
    language lookup (the environment), 200 rows × 5 of them were most of a search's time."""
    fmt = formatting.display(config)
    labels: dict[tuple[str, str | None, str | None], str] = {}

    def label(list_name: str, code: str | None, kind: str | None = None) -> str:
        if (list_name, code, kind) not in labels:
            labels[list_name, code, kind] = "" if not code else fmt.state(code, kind) \
                if list_name == "states" else fmt.label(list_name, code)
        return labels[list_name, code, kind]

    people: dict[str | None, str] = {}
    colors: dict[str, str] = {}
    rows = []
    for e in entries:
        band = e.risk_band
        if e.supervisor not in people:
            people[e.supervisor] = fmt.short_person(e.supervisor) if e.supervisor else ""
        if band and band not in colors:
            colors[band] = risk.band_color(band, config)
        texts = (e.title, label("kinds", e.kind), label("states", e.state, e.kind),
                 label("sites", e.site), people[e.supervisor], label("bands", band),
                 fmt.moment(e.filed_at) if e.filed_at else "")
        rows.append(CardListRow(e.id, texts, band, colors.get(band) if band else None,
                                e.filed_at))
    return rows


class CardTableModel(QAbstractTableModel):
    """The cards matching a `CardQuery`, newest first."""

    loading_changed = Signal(bool)
    reloaded = Signal()  # a fresh first page (and the total) arrived

    def __init__(self, store: Store, config: Config, ops: Ops,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.config = config
        self.ops = ops
        self._query = CardQuery()
        self._rows: list[CardListRow] = []
        self._total = 0
        self._generation = 0  # results of an older query or reload are dropped
        self._pending = 0
        self._fetching = False
        self._dots: dict[str, QPixmap] = {}
        self._sort_by = "filed_at"
        self._descending = True

    # ---- what to show ----------------------------------------------------------------------

    @property
    def query(self) -> CardQuery:
        return self._query

    @property
    def total(self) -> int:
        """How many cards match the query (loaded or not)."""
        return self._total

    @property
    def loading(self) -> bool:
        return self._pending > 0

    def set_query(self, query: CardQuery) -> None:
        self._query = query
        self.reload(keep_loaded=False)

    @property
    def sort_order(self) -> tuple[str, bool]:
        """(column key, descending)."""
        return self._sort_by, self._descending

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorted by the database, so every lazily loaded page continues the same order."""
        key = SORT_COLUMNS[column]
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) != (self._sort_by, self._descending):
            self._sort_by, self._descending = key, descending
            self.reload(keep_loaded=False)

    def reload(self, *, keep_loaded: bool = True) -> None:
        """Fetch the list again; by default as many rows as are loaded now, so the scroll
        position survives a refresh after a change."""
        self._generation += 1
        generation, query = self._generation, self._query
        want = max(PAGE_SIZE, len(self._rows)) if keep_loaded else PAGE_SIZE
        store, config = self.store, self.config
        order = {"sort_by": self._sort_by, "newest_first": self._descending}

        def load() -> tuple[int, list[CardListRow]]:
            entries, total = list_page(store, query, limit=want, **order)
            return total or 0, entry_rows(entries, config)

        self._fetching = False
        self._start()
        self.ops.run(load, lambda result: self._reloaded(generation, *result),
                     lambda exc: self._failed(generation, exc))

    def row(self, row: int) -> CardListRow:
        return self._rows[row]

    def row_of(self, card_id: str) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.id == card_id), None)

    # ---- lazy loading ----------------------------------------------------------------------

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:
        return not parent.isValid() and not self._fetching and len(self._rows) < self._total

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        generation, query, offset = self._generation, self._query, len(self._rows)
        store, config = self.store, self.config
        order = {"sort_by": self._sort_by, "newest_first": self._descending}

        def load() -> list[CardListRow]:
            entries, _ = list_page(store, query, limit=PAGE_SIZE, offset=offset, count=False,
                                   **order)
            return entry_rows(entries, config)

        self._start()
        self.ops.run(load, lambda rows: self._appended(generation, rows),
                     lambda exc: self._failed(generation, exc))

    def _start(self) -> None:
        self._pending += 1
        if self._pending == 1:
            self.loading_changed.emit(True)

    def _finish(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.loading_changed.emit(False)

    def _reloaded(self, generation: int, total: int, rows: list[CardListRow]) -> None:
        self._finish()
        if generation != self._generation:
            return
        self.beginResetModel()
        self._rows, self._total = rows, total
        self.endResetModel()
        self.reloaded.emit()

    def _appended(self, generation: int, rows: list[CardListRow]) -> None:
        self._finish()
        if generation != self._generation:
            return
        self._fetching = False
        # A card filed since the last page shifts the offsets: skip rows already shown.
        seen = {r.id for r in self._rows}
        fresh = [r for r in rows if r.id not in seen]
        if not fresh:
            if not rows:  # fewer cards than counted (some were removed): stop asking
                self._total = len(self._rows)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._rows.extend(fresh)
        self.endInsertRows()

    def _failed(self, generation: int, exc: BaseException) -> None:
        self._finish()
        if generation == self._generation:
            self._fetching = False
            self.ops.failed.emit(exc)

    # ---- QAbstractTableModel ---------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMN_KEYS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return tr(COLUMN_KEYS[section])
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row.texts[column]
        if role == Qt.ItemDataRole.ToolTipRole and column in (COL_TITLE, COL_KIND, COL_STATE,
                                                              COL_SITE):
            return row.texts[column]
        if role == Qt.ItemDataRole.DecorationRole and column == COL_RISK and row.risk_color:
            return self._dot(row.risk_color)
        if role == CARD_ID_ROLE:
            return row.id
        if role == RISK_COLOR_ROLE:
            return row.risk_color
        if role == SORT_KEY_ROLE:
            if column == COL_FILED:
                return row.filed_at.timestamp() if row.filed_at else 0.0
            if column == COL_RISK:
                return _band_rank(row.risk_band, self.config)
            return row.texts[column].casefold()
        return None

    def _dot(self, color: str) -> QPixmap:
        """A small filled circle in the band's colour, cached per colour."""
        if color not in self._dots:
            pixmap = QPixmap(12, 12)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setBrush(QColor(color))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(1, 1, 10, 10)
            painter.end()
            self._dots[color] = pixmap
        return self._dots[color]


def _band_rank(band: str | None, config: Config) -> int:
    try:
        return risk.band_rank(band, config) if band else -1
    except ValueError:  # a band the configuration no longer knows
        return -1
