"""«Подать сообщение»: a form generated from the kind's fields in the configuration.

Filing runs on the worker through `CardService.file`. Validation is the core's: every problem
comes back at once as a `ValidationFailed` and is shown in red next to its field, and nothing
is saved. The form never checks a rule of its own that the core does not also check.

What is typed is kept as a draft a few seconds after typing stops and restored after a crash;
photos can be dropped onto the form; «Анонимно» shows what will and will not be recorded.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
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

from desktop import formatting
from desktop.dialogs import ReceiptDialog, show_receipt
from desktop.drafts import DraftStore
from desktop.field_editors import (
    ERROR_STYLE,
    FieldEditor,
    PhotosEditor,
    editor_for,
    field_cell,
    place_field_errors,
)
from desktop.ops import Ops
from forms.config import Config
from forms.errors import SafeCardError, ValidationFailed
from forms.i18n import has, tr
from forms.service import CardService, Filed

HINT_STYLE = "color: palette(placeholder-text);"
FORM_WIDTH = 860
LABEL_TOP = 4
DRAFT_DELAY_MS = 2000
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".webp", ".bmp")
ANONYMOUS_STYLE = ("QFrame#anonymousPanel { background: #fff8e1; border: 1px solid #ffb300;"
                   " border-radius: 4px; }")


class CardForm(QWidget):
    filed = Signal(str)  # the new card's id
    failed = Signal(object)  # an unexpected error, for the window's error dialog

    def __init__(self, service: CardService, ops: Ops, *, kind: str | None = None,
                 drafts: DraftStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.config: Config = service.config
        self.fmt = formatting.display(self.config)
        self.ops = ops
        self.drafts = drafts
        self.editors: dict[str, FieldEditor] = {}
        self.errors: dict[str, QLabel] = {}
        self.receipt: ReceiptDialog | None = None
        self._restoring = False
        self.draft_timer = QTimer(self)
        self.draft_timer.setSingleShot(True)
        self.draft_timer.setInterval(DRAFT_DELAY_MS)
        self.draft_timer.timeout.connect(self.save_draft)
        self.setAcceptDrops(True)

        self.heading = QLabel(tr("ui.form.heading"))
        self.heading.setObjectName("pageHeading")
        self.kind_picker = QComboBox()
        for name in self.config.kinds:
            self.kind_picker.addItem(self.fmt.kind(name), name)
        kind_row = QHBoxLayout()
        kind_row.addWidget(QLabel(tr("ui.form.kind")))
        kind_row.addWidget(self.kind_picker)
        kind_row.addStretch(1)

        self.general_error = QLabel()
        self.general_error.setStyleSheet(ERROR_STYLE)
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        self.guide = QLabel()
        self.guide.setWordWrap(True)
        self.guide.setStyleSheet(HINT_STYLE)
        self.draft_note = QLabel()
        self.draft_note.setStyleSheet(HINT_STYLE)
        self.discard_button = QPushButton(tr("ui.form.discard_draft"))
        self.discard_button.clicked.connect(self.reset)
        draft_row = QHBoxLayout()
        draft_row.addWidget(self.draft_note, 1)
        draft_row.addWidget(self.discard_button)
        self.draft_note.hide()
        self.discard_button.hide()

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
        self.anonymous_panel = QFrame()
        self.anonymous_panel.setObjectName("anonymousPanel")
        self.anonymous_panel.setStyleSheet(ANONYMOUS_STYLE)
        panel = QHBoxLayout(self.anonymous_panel)
        for key in ("ui.form.anonymous_recorded", "ui.form.anonymous_not_recorded"):
            text = QLabel(tr(key))
            text.setWordWrap(True)
            text.setTextFormat(Qt.TextFormat.RichText)
            panel.addWidget(text, 1, Qt.AlignmentFlag.AlignTop)
        self.anonymous_panel.hide()
        self.anonymous.toggled.connect(self._anonymous_toggled)
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
        layout.addLayout(draft_row)
        layout.addWidget(self.guide)
        layout.addWidget(self.general_error)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.anonymous_panel)
        layout.addLayout(bottom)

        if kind is not None:
            self.set_kind(kind)
        self.kind_picker.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self._build()
        self.restore_draft()

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
            hints = []
            if spec.hint and (has(spec.hint) or has(spec.hint, "ru")):
                hint = QLabel(tr(spec.hint))
                hint.setStyleSheet(HINT_STYLE)
                hint.setWordWrap(True)
                hints.append(hint)
            cell, error = field_cell(editor.widget, *hints, name=spec.name)
            label = QLabel("" if editor.label_in_widget else editor.label())
            label.setBuddy(editor.widget)
            label.setContentsMargins(0, LABEL_TOP, 0, 0)  # level with the editor's text
            self.fields_layout.addRow(label, cell)
            self.editors[spec.name] = editor
            self.errors[spec.name] = error
            editor.on_change(lambda name=spec.name: self._edited(name))
        self._tab_order()
        guide = f"ui.form.guide.{self.kind}"
        self.guide.setText(tr(guide) if has(guide) or has(guide, "ru") else "")
        self.guide.setVisible(bool(self.guide.text()))

    def focus_chain(self) -> list[QWidget]:
        """Kind, every field top to bottom, then anonymous, clear and send."""
        chain: list[QWidget] = [self.kind_picker]
        for editor in self.editors.values():
            for widget in [editor.widget, *editor.widget.findChildren(QWidget)]:
                # Not a combo box's popup list (a window of its own) nor a hidden part.
                if (widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget not in chain
                        and widget.window() is self.window() and not widget.isHidden()
                        and widget.focusProxy() is None):
                    chain.append(widget)
        return [*chain, self.anonymous, self.clear_button, self.submit]

    def _tab_order(self) -> None:
        chain = self.focus_chain()
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _kind_changed(self) -> None:
        self._build()
        self._edited(None)

    def reset(self) -> None:
        self.draft_timer.stop()
        if self.drafts is not None:
            self.drafts.clear()
        self.draft_note.hide()
        self.discard_button.hide()
        self._restoring = True
        self.anonymous.setChecked(False)
        self._build()
        self._restoring = False

    def _anonymous_toggled(self, on: bool) -> None:
        self.anonymous_panel.setVisible(on)
        self._edited(None)

    # ---- drafts --------------------------------------------------------------------------

    def _edited(self, name: str | None) -> None:
        if name in self.errors:  # the user is fixing it: the old message no longer applies
            self.errors[name].hide()
        if not self._restoring and self.drafts is not None:
            self.draft_timer.start()

    def save_draft(self) -> None:
        self.draft_timer.stop()
        if self.drafts is None:
            return
        fields = {k: v for k, v in self.data().items() if k != "kind"}
        self.drafts.save(self.kind, fields, self.anonymous.isChecked())

    def restore_draft(self) -> bool:
        draft = self.drafts.load() if self.drafts is not None else None
        if not draft or draft.get("kind") not in self.config.kinds:
            return False
        self._restoring = True
        try:
            self.set_kind(str(draft["kind"]))
            self._build()
            for name, value in draft["fields"].items():
                if name in self.editors:
                    self.editors[name].set_value(value)
            self.anonymous.setChecked(bool(draft.get("anonymous")))
        finally:
            self._restoring = False
        self.draft_note.setText(tr("ui.form.draft_restored"))
        self.draft_note.show()
        self.discard_button.show()
        return True

    # ---- photos dropped onto the form ----------------------------------------------------

    def _photos_editor(self) -> PhotosEditor | None:
        return next((e for e in self.editors.values() if isinstance(e, PhotosEditor)), None)

    @staticmethod
    def _dropped_photos(event: QDragEnterEvent | QDropEvent) -> list[str]:
        if not event.mimeData().hasUrls():
            return []
        return [url.toLocalFile() for url in event.mimeData().urls()
                if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower()
                in PHOTO_SUFFIXES]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._photos_editor() is not None and self._dropped_photos(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        editor = self._photos_editor()
        paths = self._dropped_photos(event)
        if editor is not None and paths:
            editor.add_paths(paths)
            event.acceptProposedAction()

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
        self.filed.emit(filed.card_id)
        if filed.receipt:
            self.receipt = show_receipt(self.window(), filed.receipt)
            self._add_follow_hint(self.receipt)

    @staticmethod
    def _add_follow_hint(dialog: ReceiptDialog) -> None:
        """Where the code is used: the «Отследить анонимное сообщение» page."""
        hint = QLabel(tr("ui.follow.receipt_hint"))
        hint.setObjectName("followHint")
        hint.setWordWrap(True)
        layout = dialog.layout()
        if isinstance(layout, QVBoxLayout):
            layout.insertWidget(max(0, layout.count() - 1), hint)  # above the buttons

    def _failed(self, exc: BaseException) -> None:
        self.submit.setEnabled(True)
        if isinstance(exc, ValidationFailed):
            self.show_errors(exc)
        elif isinstance(exc, SafeCardError):
            self._general(self.fmt.error(exc))
        else:
            self.failed.emit(exc)

    def show_errors(self, failed: ValidationFailed) -> None:
        stray = place_field_errors(self.errors, failed, self.fmt)
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
