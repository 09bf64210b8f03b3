"""One editor widget per field type of the card kinds (forms.config.FIELD_TYPES).

An editor knows its widget, reads its value as card JSON wants it (None = left empty) and can
be reset. The form is generated from these, so a field an admin adds to kinds.json appears
without code; a new field *type* is one class here and one line in EDITORS.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from forms.config import Config, FieldSpec
from forms.display import Display
from forms.errors import ValidationFailed
from forms.i18n import tr

SINGLE_COLUMN_MAX = 6


ERROR_STYLE = "color: #c62828;"


def error_label(name: str = "") -> QLabel:
    """The red line that tells what is wrong with a field (hidden until there is something)."""
    error = QLabel()
    if name:
        error.setObjectName(f"error_{name}")
    error.setStyleSheet(ERROR_STYLE)
    error.setWordWrap(True)
    error.hide()
    return error


def field_cell(widget: QWidget, *below: QWidget, name: str = "") -> tuple[QWidget, QLabel]:
    """A field's editor with anything that explains it, and its error line under them."""
    error = error_label(name)
    cell = QWidget()
    column = QVBoxLayout(cell)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    for item in (widget, *below, error):
        column.addWidget(item)
    return cell, error


def place_field_errors(labels: dict[str, QLabel], failed: ValidationFailed,
                       fmt: Display) -> list[str]:
    """Show each problem under its field; return the texts of those with no field shown."""
    stray = []
    for problem in failed.errors:
        text = fmt.field_error(problem)
        label = labels.get(problem.field)
        if label is None:
            stray.append(text)
        else:
            label.setText(text)
            label.show()
    return stray


class FieldEditor(ABC):
    """Base: `widget` goes into the form; `value()` is the card JSON value or None."""

    label_in_widget = False  # a check box carries its own label

    def __init__(self, spec: FieldSpec, config: Config, defaults: dict[str, Any]) -> None:
        self.spec = spec
        self.config = config
        self.fmt = formatting.display(config)
        self.widget = self._build(defaults.get(spec.name, spec.default))

    @abstractmethod
    def _build(self, default: Any) -> QWidget: ...

    @abstractmethod
    def value(self) -> Any: ...

    @abstractmethod
    def set_value(self, value: Any) -> None:
        """Put a saved value back (a restored draft)."""

    @abstractmethod
    def on_change(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever the user changes the value (drafts, clearing errors)."""

    def label(self) -> str:
        return self.fmt.field(self.spec.name) + (" *" if self.spec.required else "")

    def options(self) -> list[tuple[str, str]]:
        """(label, code) of the field's list."""
        codes = self.config.lists.get(self.spec.list or "", [])
        return [(self.fmt.label(self.spec.list or "", c), c) for c in codes]


class TextEditor(FieldEditor):
    def _build(self, default: Any) -> QWidget:
        self.edit = QLineEdit(str(default or ""))
        if self.spec.max_length:
            self.edit.setMaxLength(self.spec.max_length)
        return self.edit

    def value(self) -> Any:
        return self.edit.text().strip() or None

    def set_value(self, value: Any) -> None:
        self.edit.setText(str(value or ""))

    def on_change(self, callback: Callable[[], None]) -> None:
        self.edit.textChanged.connect(lambda _t: callback())


class LongTextEditor(FieldEditor):
    def _build(self, default: Any) -> QWidget:
        self.edit = QPlainTextEdit(str(default or ""))
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(self.edit.fontMetrics().lineSpacing() * 4 + 14)
        return self.edit

    def value(self) -> Any:
        return self.edit.toPlainText().strip() or None

    def set_value(self, value: Any) -> None:
        self.edit.setPlainText(str(value or ""))

    def on_change(self, callback: Callable[[], None]) -> None:
        self.edit.textChanged.connect(callback)


class BoolEditor(FieldEditor):
    label_in_widget = True

    def _build(self, default: Any) -> QWidget:
        self.box = QCheckBox(self.fmt.field(self.spec.name))
        self.box.setChecked(bool(default))
        return self.box

    def value(self) -> Any:
        return self.box.isChecked()

    def set_value(self, value: Any) -> None:
        self.box.setChecked(bool(value))

    def on_change(self, callback: Callable[[], None]) -> None:
        self.box.toggled.connect(lambda _b: callback())


class ChoiceEditor(FieldEditor):
    """A fixed list; nothing is picked for the user unless the kind has a default."""

    def _build(self, default: Any) -> QWidget:
        self.combo = QComboBox()
        self.combo.addItem(tr("ui.form.choose"), None)
        for label, code in self.options():
            self.combo.addItem(label, code)
        index = self.combo.findData(default) if default is not None else -1
        self.combo.setCurrentIndex(max(index, 0))
        return self.combo

    def value(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        self.combo.setCurrentIndex(max(self.combo.findData(value), 0))

    def on_change(self, callback: Callable[[], None]) -> None:
        self.combo.currentIndexChanged.connect(lambda _i: callback())


class OpenChoiceEditor(FieldEditor):
    """A list to pick from, or any text typed in: an unknown site is accepted as written."""

    def _build(self, default: Any) -> QWidget:
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for label, code in self.options():
            self.combo.addItem(label, code)
        index = self.combo.findData(default) if default is not None else -1
        self.combo.setCurrentIndex(index)
        if index < 0:
            self.combo.setEditText(str(default or ""))
        line = self.combo.lineEdit()
        line.setPlaceholderText(tr("ui.form.choose_or_type"))
        return self.combo

    def value(self) -> Any:
        text = self.combo.currentText().strip()
        if not text:
            return None
        index = self.combo.findText(text, Qt.MatchFlag.MatchFixedString)
        return self.combo.itemData(index) if index >= 0 else text

    def set_value(self, value: Any) -> None:
        index = self.combo.findData(value) if value is not None else -1
        self.combo.setCurrentIndex(index)
        if index < 0:
            self.combo.setEditText(str(value or ""))

    def on_change(self, callback: Callable[[], None]) -> None:
        self.combo.currentTextChanged.connect(lambda _t: callback())


class MultiChoiceEditor(FieldEditor):
    def _build(self, default: Any) -> QWidget:
        widget = QWidget()
        grid = QGridLayout(widget)
        grid.setContentsMargins(0, 0, 0, 0)
        chosen = set(default or [])
        self.boxes: list[tuple[QCheckBox, str]] = []
        options = self.options()
        # A short list (the five steps of a complaint) reads top to bottom, in its order.
        per_column = len(options) if len(options) <= SINGLE_COLUMN_MAX else (
            (len(options) + 1) // 2)
        for i, (label, code) in enumerate(options):
            box = QCheckBox(label)
            box.setChecked(code in chosen)
            grid.addWidget(box, i % per_column, i // per_column)
            self.boxes.append((box, code))
        return widget

    def value(self) -> Any:
        return [code for box, code in self.boxes if box.isChecked()]

    def set_value(self, value: Any) -> None:
        chosen = set(value or [])
        for box, code in self.boxes:
            box.setChecked(code in chosen)

    def on_change(self, callback: Callable[[], None]) -> None:
        for box, _code in self.boxes:
            box.toggled.connect(lambda _b: callback())


class DateTimeEditor(FieldEditor):
    """When it happened, on the site's clock; «не помню» leaves the field empty."""

    def _build(self, default: Any) -> QWidget:
        widget = QWidget()
        row = QHBoxLayout(widget)
        row.setContentsMargins(0, 0, 0, 0)
        self.edit = formatting.datetime_edit(self.fmt)
        self.edit.setMaximumDateTime(
            formatting.wall_clock(self.fmt, self.fmt.now() + timedelta(hours=1)))
        self.unknown = QCheckBox(tr("ui.form.unknown_time"))
        self.unknown.toggled.connect(lambda on: self.edit.setEnabled(not on))
        row.addWidget(self.edit)
        row.addWidget(self.unknown)
        row.addStretch(1)
        return widget

    def value(self) -> Any:
        if self.unknown.isChecked():
            return None
        return formatting.picked_moment(self.fmt, self.edit).isoformat(timespec="minutes")

    def set_value(self, value: Any) -> None:
        self.unknown.setChecked(not value)
        if value:
            formatting.set_site_moment(self.fmt, self.edit, datetime.fromisoformat(str(value)))

    def on_change(self, callback: Callable[[], None]) -> None:
        self.edit.dateTimeChanged.connect(lambda _d: callback())
        self.unknown.toggled.connect(lambda _b: callback())


class PhotosEditor(FieldEditor):
    def _build(self, default: Any) -> QWidget:
        widget = QWidget()
        column = QVBoxLayout(widget)
        column.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setFixedHeight(self.list.fontMetrics().lineSpacing() * 3 + 12)
        self.list.addItems([str(p) for p in default or []])
        buttons = QHBoxLayout()
        add = QPushButton(tr("ui.form.add_photos"))
        add.clicked.connect(self._add)
        remove = QPushButton(tr("ui.form.remove_photo"))
        remove.clicked.connect(lambda: self.list.takeItem(self.list.currentRow()))
        buttons.addWidget(add)
        buttons.addWidget(remove)
        drop = QLabel(tr("ui.form.drop_photos"))
        drop.setStyleSheet("color: palette(placeholder-text);")
        buttons.addWidget(drop)
        buttons.addStretch(1)
        column.addWidget(self.list)
        column.addLayout(buttons)
        return widget

    def _add(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self.widget, tr("ui.form.add_photos_title"), str(Path.home()),
            tr("ui.form.photo_filter"))
        self.add_paths(paths)

    def add_paths(self, paths: list[str]) -> None:
        shown = {self.list.item(i).text() for i in range(self.list.count())}
        self.list.addItems([p for p in paths if p not in shown])
        if self._changed is not None:
            self._changed()

    def value(self) -> Any:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def set_value(self, value: Any) -> None:
        self.list.clear()
        self.add_paths([str(p) for p in value or []])

    _changed: Callable[[], None] | None = None

    def on_change(self, callback: Callable[[], None]) -> None:
        self._changed = callback
        self.list.model().rowsRemoved.connect(lambda *_: callback())


EDITORS: dict[str, type[FieldEditor]] = {
    "text": TextEditor,
    "longtext": LongTextEditor,
    "bool": BoolEditor,
    "choice": ChoiceEditor,
    "open_choice": OpenChoiceEditor,
    "multichoice": MultiChoiceEditor,
    "datetime": DateTimeEditor,
    "photos": PhotosEditor,
}


def editor_for(spec: FieldSpec, config: Config, defaults: dict[str, Any]) -> FieldEditor:
    return EDITORS.get(spec.type, TextEditor)(spec, config, defaults)
