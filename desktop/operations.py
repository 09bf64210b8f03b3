"""Dialogs for the workflow operations a card offers (assess, add action, verify, close, …).

A dialog only collects the arguments of one `CardService` call and emits `submitted`; the
card view runs the call on the worker. When the core refuses with `ValidationFailed`, the
dialog stays open and shows each message next to its field — the dialog checks no rule the
core does not also check.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from desktop.field_editors import ERROR_STYLE, field_cell, place_field_errors
from desktop.risk_matrix import RiskMatrixWidget
from forms.card import Card
from forms.config import Config
from forms.errors import ValidationFailed
from forms.i18n import tr

# The operations that need more than one click, with the title key of their dialog.
DIALOG_OPERATIONS = ("assess", "action", "verify", "close", "reject", "reopen", "comment")


def _text_box(lines: int = 4) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * lines + 14)
    return edit


class OperationDialog(QDialog):
    submitted = Signal(str, dict)  # operation, keyword arguments for the service

    def __init__(self, operation: str, card: Card, config: Config,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.operation = operation
        self.card = card
        self.config = config
        self.fmt = formatting.display(config)
        self.setWindowTitle(tr(f"ui.op.{operation}"))
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.form = QFormLayout()
        self.matrix: RiskMatrixWidget | None = None
        self.general_error = QLabel()
        self.general_error.setStyleSheet(ERROR_STYLE)
        self.general_error.setWordWrap(True)
        self.general_error.hide()

        layout = QVBoxLayout(self)
        intro = QLabel(tr(f"ui.op.{operation}.intro"))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if operation in ("assess", "verify"):
            self.matrix = RiskMatrixWidget(config)
            previous = card.risk_residual or card.risk_initial
            if previous is not None:
                self.matrix.set_values(previous.degree, previous.scale, previous.frequency,
                                       previous.compliance)
            layout.addWidget(self.matrix)
        layout.addLayout(self.form)
        getattr(self, f"_build_{operation}")()
        layout.addWidget(self.general_error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(tr(f"ui.op.{operation}.ok"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(680 if self.matrix is not None else 560)

    # ---- the inputs of each operation ----------------------------------------------------

    def _add(self, name: str, widget: QWidget, label: str | None = None) -> None:
        cell, error = field_cell(widget)
        self.form.addRow(self.fmt.field(name) if label is None else label, cell)
        self.inputs[name] = widget
        self.errors[name] = error

    def _build_assess(self) -> None:
        self._add("note", QLineEdit(), tr("ui.op.note"))

    def _build_verify(self) -> None:
        effective = QWidget()
        row = QHBoxLayout(effective)
        row.setContentsMargins(0, 0, 0, 0)
        self.effective_yes = QRadioButton(tr("ui.op.verify.effective_yes"))
        self.effective_no = QRadioButton(tr("ui.op.verify.effective_no"))
        self.effective_yes.setChecked(True)
        group = QButtonGroup(effective)
        group.addButton(self.effective_yes)
        group.addButton(self.effective_no)
        row.addWidget(self.effective_yes)
        row.addWidget(self.effective_no)
        row.addStretch(1)
        self._add("effective", effective, tr("ui.card.effective"))
        acceptance = _text_box(2)
        acceptance.setPlaceholderText(tr("ui.op.verify.acceptance_hint"))
        self._add("acceptance", acceptance, tr("ui.op.verify.acceptance"))
        self._add("note", QLineEdit(), tr("ui.op.note"))

    def _build_action(self) -> None:
        self._add("title", QLineEdit())
        owner = QComboBox()
        owner.setEditable(True)
        owner.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for user_id, user in sorted(self.config.users.items(), key=lambda u: u[1].name):
            owner.addItem(user.name, user_id)
        owner.setCurrentIndex(-1)
        owner.lineEdit().setPlaceholderText(tr("ui.form.choose_or_type"))
        self._add("owner", owner)
        self._add("due", formatting.date_edit(self.fmt, self.fmt.today() + timedelta(days=7)))
        kind = QComboBox()
        for code in self.config.lists.get("action_types", ["corrective"]):
            kind.addItem(self.fmt.label("action_types", code), code)
        kind.setCurrentIndex(max(kind.findData("corrective"), 0))
        self._add("type", kind)

    def _build_close(self) -> None:
        text = _text_box()
        text.setPlaceholderText(tr("ui.op.close.hint"))
        self._add("resolution", text)

    def _build_reject(self) -> None:
        self._add("reason", _text_box(3))

    def _build_reopen(self) -> None:
        self._add("reason", _text_box(3))

    def _build_comment(self) -> None:
        self._add("text", _text_box())
        self.question = QCheckBox(tr("ui.op.comment.question"))
        self.question.setToolTip(tr("ui.op.comment.question_help"))
        self.question.setChecked(self.card.state not in ("closed", "rejected"))
        self.form.addRow("", self.question)

    # ---- values and errors ---------------------------------------------------------------

    def _text(self, name: str) -> str:
        widget = self.inputs[name]
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText().strip()
        if isinstance(widget, QLineEdit):
            return widget.text().strip()
        raise TypeError(name)

    def values(self) -> dict[str, Any]:
        """Keyword arguments of the service call (besides the card id)."""
        op = self.operation
        if op == "assess":
            assert self.matrix is not None
            return {**self.matrix.values(), "note": self._text("note")}
        if op == "verify":
            assert self.matrix is not None
            return {**self.matrix.values(), "effective": self.effective_yes.isChecked(),
                    "acceptance": self._text("acceptance"), "note": self._text("note")}
        if op == "action":
            owner = self.inputs["owner"]
            assert isinstance(owner, QComboBox)
            text = owner.currentText().strip()
            index = owner.findText(text, Qt.MatchFlag.MatchFixedString)
            due = self.inputs["due"]
            kind = self.inputs["type"]
            assert isinstance(due, QDateEdit) and isinstance(kind, QComboBox)
            return {"title": self._text("title"),
                    "owner": owner.itemData(index) if index >= 0 else text,
                    "due": formatting.picked_day(due).isoformat(),
                    "action_type": kind.currentData()}
        if op == "close":
            return {"resolution": self._text("resolution")}
        if op in ("reject", "reopen"):
            return {"reason": self._text("reason")}
        if op == "comment":
            return {"text": self._text("text"), "question": self.question.isChecked()}
        raise ValueError(op)

    def submit(self) -> None:
        self.clear_errors()
        self.ok_button.setEnabled(False)
        self.submitted.emit(self.operation, self.values())

    def failed(self, exc: ValidationFailed) -> None:
        """The core refused: each message by its field; the dialog stays open."""
        self.ok_button.setEnabled(True)
        stray = place_field_errors(self.errors, exc, self.fmt)
        self.general_error.setText(" ".join([tr("ui.op.fix_errors"), *stray]))
        self.general_error.show()

    def refused(self, text: str) -> None:
        self.ok_button.setEnabled(True)
        self.general_error.setText(text)
        self.general_error.show()

    def clear_errors(self) -> None:
        self.general_error.hide()
        for label in self.errors.values():
            label.hide()
