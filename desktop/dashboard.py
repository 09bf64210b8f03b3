"""«Сводка»: counts and trends by kind, category and site, in-SLA %, the loyalty index and the
top recurring problems.

Every figure comes from `reports.metrics` — the same functions as the PDFs, so the dashboard
and a printed report never disagree; this module only draws them (QPainter bar charts). The
figures are of the cards filed in the months the trend shows (`since`), plus the overdue tile
over every open overdue card, whenever filed: a store with years of history then costs what
its last months cost, not all of it. They are computed beside the worker (`Ops.run_read`),
so the lists stay live — for months of cards in a child process (`desktop.dashboard_data`) —
and the page says «Считаю сводку…» meanwhile.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from desktop.dashboard_data import (
    TOP_PROBLEMS,
    TREND_MONTHS,
    Cancelled,
    Dashboard,
    Isolated,
    Problem,
    compute,
    load,
    since,
)
from desktop.ops import Ops
from forms.config import Config
from forms.i18n import tr
from forms.store.repo import Store
from reports.scope import parse_period

__all__ = ["TOP_PROBLEMS", "TREND_MONTHS", "Dashboard", "DashboardPage", "compute", "load",
           "since"]

BAR_COLOR = "#1e88e5"
LIST_OF = {"kind": "kinds", "category": "hazard_categories", "site": "sites"}


class BarChart(QWidget):
    """Horizontal bars with their labels and values."""

    def __init__(self, number: Callable[[float], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.number = number  # how a value is written
        self.bars: list[tuple[str, float, str]] = []  # label, value, colour
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_bars(self, bars: list[tuple[str, float, str]]) -> None:
        self.bars = bars
        self.updateGeometry()
        self.update()

    def _row(self) -> int:
        return self.fontMetrics().height() + 8

    def sizeHint(self) -> QSize:
        return QSize(360, max(1, len(self.bars)) * self._row() + 4)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics_ = self.fontMetrics()
        label_width = min(max((metrics_.horizontalAdvance(b[0]) for b in self.bars),
                              default=0) + 16, self.width() // 2)
        value_width = metrics_.horizontalAdvance("00000") + 8
        top = max((b[1] for b in self.bars), default=0) or 1
        room = max(self.width() - label_width - value_width, 10)
        row = self._row()
        for i, (label, value, color) in enumerate(self.bars):
            y = i * row + 2
            painter.setPen(self.palette().text().color())
            elided = metrics_.elidedText(label, Qt.TextElideMode.ElideRight, label_width - 6)
            painter.drawText(QRectF(0, y, label_width - 6, row - 4),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, elided)
            width = room * value / top
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(color))
            painter.drawRoundedRect(QRectF(label_width, y + 2, max(width, 2), row - 8), 2, 2)
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(label_width + width + 4, y, value_width, row - 4),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             self.number(value))
        painter.end()


def _tile(title: str) -> tuple[QFrame, QLabel]:
    frame = QFrame()
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    column = QVBoxLayout(frame)
    caption = QLabel(title)
    caption.setWordWrap(True)
    value = QLabel("—")
    value.setStyleSheet("font-size: 20pt; font-weight: bold;")
    column.addWidget(caption)
    column.addWidget(value)
    return frame, value


class DashboardPage(QWidget):
    def __init__(self, store: Store, config: Config, ops: Ops,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.config = config
        self.fmt = formatting.display(config)
        self.ops = ops
        self.stale = True
        self.data: Dashboard | None = None
        self.period_start = since(self.fmt.now(), self.fmt.tz)
        self.job: Isolated | None = None

        heading = QLabel(tr("ui.nav.dashboard"))
        heading.setObjectName("pageHeading")
        tiles = QHBoxLayout()
        self.tiles: dict[str, QLabel] = {}
        for key in ("cards", "open_overdue", "sla", "loyalty"):
            frame, value = _tile(tr(f"ui.dash.{key}"))
            tiles.addWidget(frame)
            self.tiles[key] = value
        self.charts: dict[str, BarChart] = {}
        grid = QGridLayout()
        for i, key in enumerate(("kind", "category", "site", "trend", "sla_kinds")):
            box = QGroupBox(tr(f"ui.dash.by_{key}"))
            chart = BarChart(self.fmt.number)
            QVBoxLayout(box).addWidget(chart)
            grid.addWidget(box, i // 2, i % 2)
            self.charts[key] = chart
        self.recurring_box = QGroupBox(tr("ui.dash.recurring"))
        self.recurring = QLabel()
        self.recurring.setWordWrap(True)
        self.recurring.setTextFormat(Qt.TextFormat.RichText)
        QVBoxLayout(self.recurring_box).addWidget(self.recurring)
        grid.addWidget(self.recurring_box, 2, 1)

        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(heading)
        self.note = QLabel()
        self.note.setObjectName("dashboardNote")
        column.addWidget(self.note)
        column.addLayout(tiles)
        column.addLayout(grid)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        QVBoxLayout(self).addWidget(scroll)

    def mark_stale(self) -> None:
        self.stale = True

    def refresh_if_stale(self) -> None:
        if self.stale:
            self.refresh()

    def refresh(self, now: datetime | None = None) -> None:
        self.stale = False
        store, config = self.store, self.config
        now = now or self.fmt.now()
        self.period_start = since(now, self.fmt.tz)
        self.note.setText(tr("ui.dash.loading"))
        job = self.job = Isolated()
        self.ops.run_read(lambda: job.run(store, config, now), self._show, self._failed)

    def cancel(self) -> None:
        """End a computation still running (the window is closing)."""
        if self.job is not None:
            self.job.cancel()

    def _failed(self, exc: BaseException) -> None:
        self.stale = True
        if not isinstance(exc, Cancelled):
            self.ops.failed.emit(exc)

    def _label(self, dimension: str, code: str) -> str:
        return self.fmt.label(LIST_OF[dimension], code) if dimension in LIST_OF else code

    def _show(self, data: Dashboard) -> None:
        self.data = data
        fmt = self.fmt
        self.note.setText(tr("ui.dash.period", since=fmt.day(self.period_start)))
        f = data.figures
        self.tiles["cards"].setText(fmt.number(f.cards))
        overdue = data.open_overdue
        if overdue is None:
            overdue = len({i.card.id for i in f.overdue})
        self.tiles["open_overdue"].setText(fmt.number(overdue))
        resolve = f.sla.get("resolve")
        self.tiles["sla"].setText(fmt.percent(resolve.percent if resolve else None))
        loyalty = f.loyalty.value
        self.tiles["loyalty"].setText(fmt.number(loyalty, 2))  # as the PDFs write it
        for key, counts in (("kind", f.by_kind), ("category", f.by_category),
                            ("site", f.by_site)):
            self.charts[key].set_bars([(self._label(key, k), v, BAR_COLOR)
                                       for k, v in list(counts.items())[:8]])
        months = [parse_period(m, fmt.tz) for m in data.months]
        self.charts["trend"].set_bars([
            (fmt.period_short(p.first, p.last), sum(data.trend[m].values()), "#43a047")
            for m, p in zip(data.months, months, strict=True)])
        self.charts["sla_kinds"].set_bars([
            (fmt.label("deadlines", k), round(s.percent), "#fb8c00")
            for k, s in f.sla.items() if s.percent is not None])
        lines = [tr("ui.dash.recurring_line", count=r.count,
                    category=html.escape(self._problem_label(r)),
                    place=html.escape(", ".join(p for p in (self._label("site", r.site),
                                                            r.location) if p)))
                 for r in data.recurring]
        self.recurring.setText("<br>".join(lines) or tr("ui.dash.no_recurring"))

    def _problem_label(self, r: Problem) -> str:
        list_name = "complaint_causes" if r.kind == "complaint" else "hazard_categories"
        return self.fmt.label(list_name, r.category)
