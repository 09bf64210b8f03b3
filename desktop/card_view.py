"""One card: its fields, risk, corrective actions, comments and full history, and the
workflow buttons.

The card is read on the worker (`Store.card`) and drawn from the folded `Card`; the window
calls `reload_if` with every `Changes`, so an open card follows edits made anywhere. The
buttons are exactly `workflow.legal_operations(card, config, role)`: what is not legal now is
not offered. Every operation runs on the worker through `CardService`.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
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
from shiboken6 import isValid

from desktop import formatting
from desktop.dialogs import show_error
from desktop.operations import DIALOG_OPERATIONS, OperationDialog
from desktop.ops import Ops
from forms import risk, workflow
from forms.card import Action, Card, Rating
from forms.config import Config
from forms.display import inline
from forms.errors import SafeCardError, ValidationFailed
from forms.i18n import tr
from forms.service import CardService, Changes

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


class PhotoViewer(QDialog):
    """One photo at full size (scaled down to the screen)."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("ui.card.photo"))
        label = QLabel()
        pixmap = QPixmap(str(path))
        label.setPixmap(pixmap.scaled(1000, 700, Qt.AspectRatioMode.KeepAspectRatio,
                                      Qt.TransformationMode.SmoothTransformation))
        QVBoxLayout(self).addWidget(_scroll(label))
        self.resize(min(pixmap.width(), 1000) + 40, min(pixmap.height(), 700) + 40)


class ClickableLabel(QLabel):
    clicked = Signal()

    def mouseReleaseEvent(self, event: Any) -> None:
        self.clicked.emit()
        super().mouseReleaseEvent(event)


class CardView(QWidget):
    back = Signal()

    def __init__(self, service: CardService, ops: Ops, *, blobs: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.store = service.store
        self.config: Config = service.config
        self.fmt = formatting.display(self.config)
        self.ops = ops
        self.blobs = blobs
        self.card: Card | None = None
        self.card_id: str | None = None
        self.history_lines: list[str] = []
        self.operation_buttons: dict[str, QPushButton] = {}
        self.complete_buttons: dict[str, QPushButton] = {}
        self.dialog: OperationDialog | None = None

        back = QPushButton(tr("ui.card.back"))
        back.clicked.connect(self.back)
        self.title = QLabel()
        self.title.setObjectName("pageHeading")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.badges = QHBoxLayout()
        self.buttons_row = QHBoxLayout()
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
        layout.addLayout(self.buttons_row)
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
        self.badges.addWidget(QLabel(self.fmt.kind(card.kind)))
        self.badges.addWidget(chip(self.fmt.state(card.state, card.kind), "#455a64"))
        if card.risk_band:
            self.badges.addWidget(chip(self.fmt.band(card.risk_band),
                                       risk.band_color(card.risk_band, self.config)))
        number = QLabel(tr("ui.card.number", number=self.fmt.card_number(card.id)))
        number.setToolTip(card.id)
        number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.badges.addWidget(number)
        self.badges.addStretch(1)
        hint = self.fmt.zone_hint()
        if hint:  # this workstation's clock shows another time than the site's
            zone = QLabel(tr("value.zone_hint", zone=hint))
            zone.setObjectName("zoneHint")
            zone.setStyleSheet("color: palette(placeholder-text);")
            self.badges.addWidget(zone)
        self._operation_buttons(card)
        self.details.setWidget(self._details(card))
        self.history.setWidget(self._timeline(card))

    # ---- operations ----------------------------------------------------------------------

    @property
    def role(self) -> str | None:
        return self.service.role

    def legal_operations(self, card: Card) -> list[str]:
        return workflow.legal_operations(card, self.config, self.role)

    def _operation_buttons(self, card: Card) -> None:
        while self.buttons_row.count():
            item = self.buttons_row.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.operation_buttons = {}
        for operation in self.legal_operations(card):
            button = QPushButton(tr(f"ui.op.{operation}"))
            button.setObjectName(f"op_{operation}")
            button.clicked.connect(lambda _c=False, op=operation: self.start(op))
            self.buttons_row.addWidget(button)
            self.operation_buttons[operation] = button
        self.buttons_row.addStretch(1)

    def start(self, operation: str) -> None:
        """Ask for what the operation needs (a dialog), or run it at once (acknowledge)."""
        if self.card is None:
            return
        if operation not in DIALOG_OPERATIONS:
            self.run(operation, {})
            return
        dialog = OperationDialog(operation, self.card, self.config, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.submitted.connect(self.run)
        self.dialog = dialog
        dialog.open()

    def run(self, operation: str, kwargs: dict[str, Any]) -> None:
        card_id, service = self.card_id, self.service
        assert card_id is not None
        method = {"action": "add_action"}.get(operation, operation)
        call = getattr(service, method)
        dialog = self.dialog if self.dialog is not None and isValid(self.dialog) \
            and self.dialog.isVisible() else None

        def done(_result: object) -> None:
            if dialog is not None and isValid(dialog):
                dialog.accept()

        def failed(exc: BaseException) -> None:
            if dialog is None or not isValid(dialog):
                show_error(self, exc)
            elif isinstance(exc, ValidationFailed):
                dialog.failed(exc)
            elif isinstance(exc, SafeCardError):
                dialog.refused(self.fmt.error(exc))
            else:
                show_error(self, exc)

        self.ops.run(lambda: call(card_id, **kwargs), done, failed)

    def complete(self, action_id: str) -> None:
        service = self.service
        self.ops.run(lambda: service.complete_action(action_id), None,
                     lambda exc: show_error(self, exc))

    def can_complete(self, action: Action) -> bool:
        role = self.role
        return action.status == "open" and (
            role is None or "action" in workflow.PERMISSIONS.get(role, frozenset())
            or action.owner == self.service.user)

    def _details(self, card: Card) -> QWidget:
        widget = QWidget()
        column = QVBoxLayout(widget)
        column.setContentsMargins(0, 0, 8, 0)

        if card.resolution or card.reject_reason:
            outcome = QGroupBox(tr("ui.card.resolution") if card.resolution
                                else tr("ui.card.rejected"))
            outcome.setObjectName("resolutionBox")
            outcome.setStyleSheet("QGroupBox#resolutionBox { font-weight: bold; }")
            self.resolution_label = _wrapping(card.resolution or card.reject_reason or "")
            QVBoxLayout(outcome).addWidget(self.resolution_label)
            column.addWidget(outcome)
        if card.conflicts:
            column.addWidget(self._conflicts(card))

        about = QGroupBox(tr("ui.card.about"))
        form = QFormLayout(about)
        form.addRow(tr("ui.card.filed_at"), _wrapping(self.fmt.moment(card.filed_at)))
        reporter = self.fmt.actor(None) if card.anonymous else self.fmt.person(card.reporter)
        form.addRow(tr("ui.card.reporter"), _wrapping(reporter))
        form.addRow(tr("ui.card.supervisor"), _wrapping(self.fmt.person(card.supervisor)))
        kind = self.config.kind(card.kind)
        for spec in kind.fields if kind else ():
            if spec.name == "title":
                continue
            value = card.fields.get(spec.name)
            if spec.type == "photos" and value:
                form.addRow(self.fmt.field(spec.name), self._photos(value))
            else:
                form.addRow(self.fmt.field(spec.name), _wrapping(self.fmt.value(spec, value)))
        column.addWidget(about)

        if kind is not None and kind.risk:
            column.addWidget(self._risk(card))
        column.addWidget(self._actions(card))
        column.addWidget(self._comments(card))
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
            form.addRow(tr("ui.card.effective"), QLabel(self.fmt.yes_no(card.effective)))
        if card.risk_acceptance:
            form.addRow(tr("ui.op.verify.acceptance"), _wrapping(card.risk_acceptance))
        return box

    def _conflicts(self, card: Card) -> QGroupBox:
        box = QGroupBox(tr("ui.card.conflicts"))
        column = QVBoxLayout(box)
        for conflict in card.conflicts:
            column.addWidget(_wrapping(tr(
                "ui.card.conflict", at=self.fmt.moment(conflict.at),
                who=self.fmt.actor(conflict.actor),
                wanted=self.fmt.state(conflict.wanted, card.kind),
                kept=self.fmt.state(conflict.kept, card.kind))))
        return box

    def _comments(self, card: Card) -> QGroupBox:
        box = QGroupBox(tr("ui.card.comments"))
        column = QVBoxLayout(box)
        if not card.comments:
            column.addWidget(_wrapping(tr("ui.card.no_comments")))
        for comment in card.comments:
            label = _wrapping(
                f"<b>{html.escape(self.fmt.actor(comment.actor))}</b>"
                f" · {html.escape(self.fmt.moment(comment.at))}"
                + (f" · <i>{html.escape(tr('ui.card.question'))}</i>" if comment.question
                   else "")
                + f"<br>{html.escape(comment.text)}")
            label.setTextFormat(Qt.TextFormat.RichText)
            column.addWidget(label)
        return box

    def _rating(self, rating: Rating) -> QWidget:
        widget = QWidget()
        row = QHBoxLayout(widget)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(chip(self.fmt.band(rating.band), risk.band_color(rating.band, self.config)),
                      0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(_wrapping(tr(
            "ui.card.rating", score=self.fmt.score(rating.score), severity=rating.severity,
            likelihood=rating.likelihood, degree=rating.degree, scale=rating.scale,
            frequency=rating.frequency,
            compliance=inline(self.fmt.label("compliance", rating.compliance)))), 1)
        return widget

    def _actions(self, card: Card) -> QGroupBox:
        box = QGroupBox(tr("ui.card.actions"))
        column = QVBoxLayout(box)
        if not card.actions:
            column.addWidget(_wrapping(tr("ui.card.no_actions")))
        self.complete_buttons = {}
        for action in card.actions.values():
            row = QHBoxLayout()
            text = tr("ui.card.action", title=action.title,
                      owner=self.fmt.person(action.owner), due=self.fmt.day(action.due),
                      status=inline(self.fmt.label("action_status", action.status)))
            if action.note:
                text += "\n" + tr("value.action_note", note=action.note)
            row.addWidget(_wrapping(text), 1)
            if self.can_complete(action):
                button = QPushButton(tr("ui.card.complete_action"))
                button.setObjectName(f"complete_{action.id}")
                button.clicked.connect(lambda _c=False, a=action.id: self.complete(a))
                row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
                self.complete_buttons[action.id] = button
            column.addLayout(row)
        return box

    def _photos(self, shas: list[str]) -> QWidget:
        widget = QWidget()
        row = QHBoxLayout(widget)
        row.setContentsMargins(0, 0, 0, 0)
        for sha in shas:
            path = self.blobs / f"{sha}.jpg" if self.blobs else None
            label = ClickableLabel()
            pixmap = QPixmap(str(path)) if path and path.is_file() else QPixmap()
            if pixmap.isNull() or path is None:
                label.setText(sha[:8])
            else:
                label.setPixmap(pixmap.scaled(THUMBNAIL, THUMBNAIL,
                                              Qt.AspectRatioMode.KeepAspectRatio,
                                              Qt.TransformationMode.SmoothTransformation))
                label.setCursor(Qt.CursorShape.PointingHandCursor)
                label.setToolTip(tr("ui.card.photo_open"))
                label.clicked.connect(lambda p=path: self.show_photo(p))
            row.addWidget(label)
        row.addStretch(1)
        return widget

    def show_photo(self, path: Path) -> PhotoViewer:
        viewer = PhotoViewer(path, self)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.open()
        return viewer

    def _timeline(self, card: Card) -> QWidget:
        """Oldest first, as the story happened: when, who, what."""
        widget = QWidget()
        column = QVBoxLayout(widget)
        column.setContentsMargins(4, 4, 8, 4)
        column.setSpacing(10)
        self.history_lines = []
        for entry in card.history:
            when = self.fmt.moment(entry.at)
            who = self.fmt.actor(entry.actor)
            what = self.fmt.history(entry, card.kind)
            self.history_lines.append(f"{when} {who}: {what}")
            label = _wrapping(
                f"<span style='color: palette(placeholder-text)'>{html.escape(when)}</span>"
                f" · <b>{html.escape(who)}</b><br>{html.escape(what)}")
            label.setTextFormat(Qt.TextFormat.RichText)
            column.addWidget(label)
        column.addStretch(1)
        return widget
