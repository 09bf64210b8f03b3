"""«Подать сообщение»: a form generated from the kind's fields in the configuration.

Filing runs on the worker through `CardService.file`. Validation is the core's: every problem
comes back at once as a `ValidationFailed` and is shown in red next to its field, and nothing
is saved. The form never checks a rule of its own that the core does not also check.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.dialogs import show_receipt
from desktop.field_editors import FieldEditor, editor_for
from desktop.ops import Ops
from forms.config import Config
from forms.errors import SafeCardError, ValidationFailed
from forms.i18n import error_text, field_error_text, has, option_label, tr
from forms.service import CardService, Filed

ERROR_STYLE = "color: #c62828;"
HINT_STYLE = "color: palette(placeholder-text);"
FORM_WIDTH = 860
LABEL_TOP = 4


class CardForm(QWidget):
    filed = Signal(str)  # the new card's id
    failed = Signal(object)  # an unexpected error, for the window's error dialog

    def __init__(self, service: CardService, ops: Ops, *, kind: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.config: Config = service.config
        self.ops = ops
        self.editors: dict[str, FieldEditor] = {}
        self.errors: dict[str, QLabel] = {}

        self.heading = QLabel(tr("ui.form.heading"))
        self.heading.setObjectName("pageHeading")
        self.kind_picker = QComboBox()
        for name in self.config.kinds:
            self.kind_picker.addItem(option_label("kinds", name, config=self.config), name)
        kind_row = QHBoxLayout()
        kind_row.addWidget(QLabel(tr("ui.form.kind")))
        kind_row.addWidget(self.kind_picker)
        kind_row.addStretch(1)

        self.general_error = QLabel()
        self.general_error.setStyleSheet(ERROR_STYLE)
        self.general_error.setWordWrap(True)
        self.general_error.hide()

        self.fields_host = QWidget()
        self.fields_layout = QFormLayout(self.fields_host)
        self.fields_layout.setFieldGrowthPolicy(
            QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields_layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.fields_layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight
                                             | Qt.AlignmentFlag.AlignTop)
        self.fields_host.setMaximumWidth(FORM_WIDTH)
        # Rows keep their natural height at the top; the spare room stays below them.
        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(self.fields_host)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)

        self.anonymous = QCheckBox(tr("ui.form.anonymous"))
        self.anonymous.setToolTip(tr("ui.form.anonymous_help"))
        anonymous_help = QLabel(tr("ui.form.anonymous_help"))
        anonymous_help.setStyleSheet(HINT_STYLE)
        anonymous_help.setWordWrap(True)
        self.submit = QPushButton(tr("ui.form.submit"))
        self.submit.setDefault(True)
        self.submit.clicked.connect(self.send)
        self.clear_button = QPushButton(tr("ui.form.clear"))
        self.clear_button.clicked.connect(self.reset)
        bottom = QHBoxLayout()
        bottom.addWidget(self.anonymous)
        bottom.addWidget(anonymous_help, 1)
        bottom.addWidget(self.clear_button)
        bottom.addWidget(self.submit)

        required = QLabel(tr("ui.form.required_note"))
        required.setStyleSheet(HINT_STYLE)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(kind_row)
        layout.addWidget(required)
        layout.addWidget(self.general_error)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)

        if kind is not None:
            self.set_kind(kind)
        self.kind_picker.currentIndexChanged.connect(lambda _i: self._build())
        self._build()

    # ---- building ------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return str(self.kind_picker.currentData())

    def set_kind(self, kind: str) -> None:
        index = self.kind_picker.findData(kind)
        if index < 0:
            raise KeyError(kind)
        self.kind_picker.setCurrentIndex(index)

    def _defaults(self) -> dict[str, Any]:
        """Where the user works, so a worker's own site is already filled in."""
        user = self.config.users.get(self.service.user or "")
        return {"site": user.site, "department": user.department} if user else {}

    def _build(self) -> None:
        while self.fields_layout.rowCount():
            self.fields_layout.removeRow(0)
        self.editors.clear()
        self.errors.clear()
        self._clear_errors()
        defaults = self._defaults()
        for spec in self.config.kinds[self.kind].fields:
            editor = editor_for(spec, self.config, defaults)
            error = QLabel()
            error.setObjectName(f"error_{spec.name}")
            error.setStyleSheet(ERROR_STYLE)
            error.setWordWrap(True)
            error.hide()
            cell = QWidget()
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(editor.widget)
            if spec.hint and (has(spec.hint) or has(spec.hint, "ru")):
                hint = QLabel(tr(spec.hint))
                hint.setStyleSheet(HINT_STYLE)
                hint.setWordWrap(True)
                column.addWidget(hint)
            column.addWidget(error)
            label = QLabel("" if editor.label_in_widget else editor.label())
            label.setBuddy(editor.widget)
            label.setContentsMargins(0, LABEL_TOP, 0, 0)  # level with the editor's text
            self.fields_layout.addRow(label, cell)
            self.editors[spec.name] = editor
            self.errors[spec.name] = error

    def reset(self) -> None:
        self.anonymous.setChecked(False)
        self._build()

    # ---- filing --------------------------------------------------------------------------

    def data(self) -> dict[str, Any]:
        """The card JSON the form holds now."""
        data: dict[str, Any] = {"kind": self.kind}
        for name, editor in self.editors.items():
            value = editor.value()
            if value is not None:
                data[name] = value
        return data

    def send(self) -> None:
        if not self.submit.isEnabled():
            return
        self._clear_errors()
        data, anonymous = self.data(), self.anonymous.isChecked()
        self.submit.setEnabled(False)
        self.ops.run(lambda: self.service.file(data, anonymous=anonymous),
                     self._done, self._failed)

    def _done(self, filed: Filed) -> None:
        self.submit.setEnabled(True)
        self.reset()
        if filed.receipt:
            show_receipt(self, filed.receipt)
        self.filed.emit(filed.card_id)

    def _failed(self, exc: BaseException) -> None:
        self.submit.setEnabled(True)
        if isinstance(exc, ValidationFailed):
            self.show_errors(exc)
        elif isinstance(exc, SafeCardError):
            self._general(error_text(exc))
        else:
            self.failed.emit(exc)

    def show_errors(self, failed: ValidationFailed) -> None:
        stray = []
        for problem in failed.errors:
            text = field_error_text(problem.field, problem.key, problem.params)
            label = self.errors.get(problem.field)
            if label is None:
                stray.append(text)
                continue
            label.setText(text)
            label.show()
        first = next((self.editors[e.field] for e in failed.errors if e.field in self.editors),
                     None)
        if first is not None:
            first.widget.setFocus()
        self._general(" ".join([tr("ui.form.fix_errors"), *stray]))

    def _general(self, text: str) -> None:
        self.general_error.setText(text)
        self.general_error.show()

    def _clear_errors(self) -> None:
        self.general_error.hide()
        for label in self.errors.values():
            label.clear()
            label.hide()
