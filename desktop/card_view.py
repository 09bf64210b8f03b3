"""One card: its fields, risk, corrective actions and full history.

The card is read on the worker (`Store.card`) and drawn from the folded `Card`; the window
calls `reload_if` with every `Changes`, so an open card follows edits made anywhere.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from desktop.ops import Ops
from forms import risk
from forms.card import Card, Rating
from forms.cardjson import history_summary
from forms.config import Config
from forms.i18n import field_label, option_label, tr
from forms.service import Changes
from forms.store.repo import Store

THUMBNAIL = 96


def chip(text: str, color: str) -> QLabel:
    """A coloured label, for a risk band or a state."""
    label = QLabel(text)
    label.setStyleSheet(f"background: {color}; color: white; border-radius: 4px;"
                        " padding: 2px 8px; font-weight: bold;")
    return label


def _wrapping(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _scroll(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


class CardView(QWidget):
    back = Signal()

    def __init__(self, store: Store, config: Config, ops: Ops, *, blobs: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.config = config
        self.ops = ops
        self.blobs = blobs
        self.card: Card | None = None
        self.card_id: str | None = None
        self.history_lines: list[str] = []

        back = QPushButton(tr("ui.card.back"))
        back.clicked.connect(self.back)
        self.title = QLabel()
        self.title.setObjectName("pageHeading")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.badges = QHBoxLayout()
        top = QHBoxLayout()
        top.addWidget(back, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.title, 1)

        self.details = _scroll(QWidget())
        self.history = _scroll(QWidget())
        history_box = QGroupBox(tr("ui.card.history"))
        QVBoxLayout(history_box).addWidget(self.history)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.details)
        split.addWidget(history_box)
        split.setSizes([560, 480])
        split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(self.badges)
        layout.addWidget(split, 1)

    # ---- loading -------------------------------------------------------------------------

    def show_card(self, card_id: str) -> None:
        self.card_id = card_id
        store = self.store
        self.ops.run(lambda: store.card(card_id), self._loaded)

    def reload_if(self, changes: Changes) -> None:
        if self.card_id is not None and self.card_id in changes.card_ids:
            self.show_card(self.card_id)

    def _loaded(self, card: Card) -> None:
        if card.id != self.card_id:  # another card was asked for meanwhile
            return
        self.card = card
        self._render(card)

    # ---- drawing -------------------------------------------------------------------------

    def _render(self, card: Card) -> None:
        self.title.setText(card.title)
        while self.badges.count():
            item = self.badges.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.badges.addWidget(QLabel(formatting.option(self.config, "kinds", card.kind)))
        self.badges.addWidget(chip(formatting.option(self.config, "states", card.state),
                                   "#455a64"))
        if card.risk_band:
            self.badges.addWidget(chip(formatting.option(self.config, "bands", card.risk_band),
                                       risk.band_color(card.risk_band, self.config)))
        number = QLabel(tr("ui.card.number", number=card.id[-8:]))
        number.setToolTip(card.id)
        number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.badges.addWidget(number)
        self.badges.addStretch(1)
        self.details.setWidget(self._details(card))
        self.history.setWidget(self._timeline(card))

    def _details(self, card: Card) -> QWidget:
        widget = QWidget()
        column = QVBoxLayout(widget)
        column.setContentsMargins(0, 0, 8, 0)

        about = QGroupBox(tr("ui.card.about"))
        form = QFormLayout(about)
        form.addRow(tr("ui.card.filed_at"), _wrapping(formatting.local_time(card.filed_at)))
        reporter = tr("ui.anonymous") if card.anonymous else formatting.person(
            self.config, card.reporter)
        form.addRow(tr("ui.card.reporter"), _wrapping(reporter))
        form.addRow(tr("ui.card.supervisor"),
                    _wrapping(self.config.user_name(card.supervisor) or "—"))
        kind = self.config.kind(card.kind)
        for spec in kind.fields if kind else ():
            if spec.name == "title":
                continue
            value = card.fields.get(spec.name)
            if spec.type == "photos" and value:
                form.addRow(field_label(spec.name), self._photos(value))
            else:
                form.addRow(field_label(spec.name),
                            _wrapping(formatting.field_value(spec, value, self.config) or "—"))
        column.addWidget(about)

        if kind is not None and kind.risk:
            column.addWidget(self._risk(card))
        column.addWidget(self._actions(card))
        if card.resolution or card.reject_reason:
            outcome = QGroupBox(tr("ui.card.resolution"))
            QVBoxLayout(outcome).addWidget(_wrapping(card.resolution or card.reject_reason or ""))
            column.addWidget(outcome)
        column.addStretch(1)
        return widget

    def _risk(self, card: Card) -> QGroupBox:
        box = QGroupBox(tr("ui.card.risk"))
        form = QFormLayout(box)
        if card.risk_initial is None:
            form.addRow(_wrapping(tr("ui.card.risk_not_assessed")))
            return box
        form.addRow(tr("ui.card.risk_initial"), self._rating(card.risk_initial))
        if card.risk_residual is not None:
            form.addRow(tr("ui.card.risk_residual"), self._rating(card.risk_residual))
        if card.effective is not None:
            form.addRow(tr("ui.card.effective"),
                        QLabel(tr("ui.yes") if card.effective else tr("ui.no")))
        return box

    def _rating(self, rating: Rating) -> QWidget:
        widget = QWidget()
        row = QHBoxLayout(widget)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(chip(formatting.option(self.config, "bands", rating.band),
                           risk.band_color(rating.band, self.config)),
                      0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(_wrapping(tr(
            "ui.card.rating", score=rating.score, severity=rating.severity,
            likelihood=rating.likelihood, degree=rating.degree, scale=rating.scale,
            frequency=rating.frequency,
            compliance=tr(f"ui.card.compliance.{rating.compliance}"))), 1)
        return widget

    def _actions(self, card: Card) -> QGroupBox:
        box = QGroupBox(tr("ui.card.actions"))
        column = QVBoxLayout(box)
        if not card.actions:
            column.addWidget(_wrapping(tr("ui.card.no_actions")))
        for action in card.actions.values():
            column.addWidget(_wrapping(tr(
                "ui.card.action", title=action.title,
                owner=self.config.user_name(action.owner) or action.owner,
                due=formatting.local_date(action.due),
                status=option_label("action_status", action.status))))
        return box

    def _photos(self, shas: list[str]) -> QWidget:
        widget = QWidget()
        row = QHBoxLayout(widget)
        row.setContentsMargins(0, 0, 0, 0)
        for sha in shas:
            path = self.blobs / f"{sha}.jpg" if self.blobs else None
            label = QLabel()
            pixmap = QPixmap(str(path)) if path and path.is_file() else QPixmap()
            if pixmap.isNull():
                label.setText(sha[:8])
            else:
                label.setPixmap(pixmap.scaled(THUMBNAIL, THUMBNAIL,
                                              Qt.AspectRatioMode.KeepAspectRatio,
                                              Qt.TransformationMode.SmoothTransformation))
            row.addWidget(label)
        row.addStretch(1)
        return widget

    def _timeline(self, card: Card) -> QWidget:
        """Oldest first, as the story happened: when, who, what."""
        widget = QWidget()
        column = QVBoxLayout(widget)
        column.setContentsMargins(4, 4, 8, 4)
        column.setSpacing(10)
        self.history_lines = []
        for entry in card.history:
            when = formatting.local_time(entry.at)
            who = formatting.person(self.config, entry.actor)
            what = history_summary(entry, self.config)
            self.history_lines.append(f"{when} {who}: {what}")
            label = _wrapping(
                f"<span style='color: palette(placeholder-text)'>{html.escape(when)}</span>"
                f" · <b>{html.escape(who)}</b><br>{html.escape(what)}")
            label.setTextFormat(Qt.TextFormat.RichText)
            column.addWidget(label)
        column.addStretch(1)
        return widget
