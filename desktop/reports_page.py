"""«Отчёты»: the audit (and, once `reports` has it, the planning-meeting) PDF for a period and
site, rendered on the worker, then shown in the built-in preview with page navigation, Print
and Save as — auditors print from the app, with no other PDF reader.

The pages are rendered to images on the worker with PDFium (pypdfium2): the PySide6 6.11
wheels carry no QtPdf, and a workstation may have no PDF reader at all.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from desktop.dialogs import show_error
from desktop.ops import Ops
from forms.config import Config
from forms.home import Home
from forms.i18n import tr
from forms.store.repo import Store

PREVIEW_DPI = 80


def planning_available() -> bool:
    return importlib.util.find_spec("reports.planning") is not None


def render_pages(pdf: Path, folder: Path, dpi: int = PREVIEW_DPI) -> list[Path]:
    """PNG images of every page, rendered with PDFium (the wheels of PySide6 6.11 carry no
    QtPdf, and a workstation has no PDF tools of its own)."""
    import pypdfium2 as pdfium  # only when a report is previewed: not at start-up

    folder.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(str(pdf))
    pages: list[Path] = []
    try:
        for number in range(len(document)):
            page = document[number]
            try:
                image = page.render(scale=dpi / 72).to_pil()
            finally:
                page.close()
            path = folder / f"page-{number + 1}.png"
            image.save(path)
            pages.append(path)
    finally:
        document.close()
    return pages


class PdfPreview(QWidget):
    """One page at a time, with ← → navigation, Print and Save as."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pdf: Path | None = None
        self.pages: list[Path] = []
        self.page = 0
        self.image = QLabel(tr("ui.reports.no_preview"))
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.image)
        self.previous = QPushButton(tr("ui.reports.previous"))
        self.previous.clicked.connect(lambda: self.go(self.page - 1))
        self.next = QPushButton(tr("ui.reports.next"))
        self.next.clicked.connect(lambda: self.go(self.page + 1))
        self.page_label = QLabel()
        self.print_button = QPushButton(tr("ui.reports.print"))
        self.print_button.clicked.connect(self.print_pdf)
        self.save_button = QPushButton(tr("ui.reports.save_as"))
        self.save_button.clicked.connect(self.ask_save)
        bar = QHBoxLayout()
        bar.addWidget(self.previous)
        bar.addWidget(self.page_label)
        bar.addWidget(self.next)
        bar.addStretch(1)
        bar.addWidget(self.print_button)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(scroll, 1)
        self._update()

    def set_document(self, pdf: Path, pages: list[Path]) -> None:
        self.pdf, self.pages = pdf, pages
        self.go(0)

    def go(self, page: int) -> None:
        if self.pages:
            self.page = max(0, min(page, len(self.pages) - 1))
            self.image.setPixmap(QPixmap(str(self.pages[self.page])))
        self._update()

    def _update(self) -> None:
        has = bool(self.pages)
        self.previous.setEnabled(has and self.page > 0)
        self.next.setEnabled(has and self.page < len(self.pages) - 1)
        self.print_button.setEnabled(has)
        self.save_button.setEnabled(self.pdf is not None)
        self.page_label.setText(tr("ui.reports.page", page=self.page + 1, pages=len(self.pages))
                                if has else "")

    def save(self, target: Path) -> None:
        assert self.pdf is not None
        shutil.copyfile(self.pdf, target)

    def ask_save(self) -> None:
        if self.pdf is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, tr("ui.reports.save_as"),
                                              str(Path.home() / self.pdf.name), "PDF (*.pdf)")
        if path:
            self.save(Path(path))

    def print_pdf(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.paint_pages(printer))
        dialog.open()

    def paint_pages(self, printer: Any) -> None:
        painter = QPainter(printer)
        for i, path in enumerate(self.pages):
            if i:
                printer.newPage()
            pixmap = QPixmap(str(path))
            target = painter.viewport()
            size = pixmap.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawPixmap(0, 0, size.width(), size.height(), pixmap)
        painter.end()


class ReportsPage(QWidget):
    finished = Signal(object)  # the PDF's path

    def __init__(self, store: Store, config: Config, ops: Ops, *, home: Home,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.config = config
        self.ops = ops
        self.home = home
        self.fmt = formatting.display(config)
        self.stale = False
        self.out_dir = home.path / "reports"

        heading = QLabel(tr("ui.nav.reports"))
        heading.setObjectName("pageHeading")
        self.kind = QComboBox()
        self.kind.addItem(tr("ui.reports.audit"), "audit")
        if planning_available():
            self.kind.addItem(tr("ui.reports.planning"), "planning")
        today = self.fmt.today()  # the site's: a workstation in UTC is a day behind at night
        self.date_from = formatting.date_edit(self.fmt, today.replace(day=1))
        self.date_to = formatting.date_edit(self.fmt, today)
        self.site = QComboBox()
        self.site.addItem(tr("ui.filter.site"), None)
        for code in self.config.lists.get("sites", []):
            self.site.addItem(self.fmt.label("sites", code), code)
        self.make_button = QPushButton(tr("ui.reports.make"))
        self.make_button.clicked.connect(self.make)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: ReportLab gives no page-by-page progress
        self.progress.setMaximumWidth(200)
        self.progress.hide()
        self.status = QLabel()
        form = QFormLayout()
        form.addRow(tr("ui.reports.kind"), self.kind)
        period = QHBoxLayout()
        period.addWidget(self.date_from)
        period.addWidget(QLabel("–"))
        period.addWidget(self.date_to)
        period.addStretch(1)
        hint = self.fmt.zone_hint()
        if hint:
            period.addWidget(QLabel(tr("value.zone_hint", zone=hint)))
        form.addRow(tr("ui.reports.period"), period)
        form.addRow(tr("ui.column.site"), self.site)
        action = QHBoxLayout()
        action.addWidget(self.make_button)
        action.addWidget(self.progress)
        action.addWidget(self.status, 1)
        form.addRow("", action)
        self.preview = PdfPreview()
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.preview, 1)

    def make(self) -> None:
        store, config = self.store, self.config
        kind = self.kind.currentData()
        date_from = formatting.picked_day(self.date_from)
        date_to = formatting.picked_day(self.date_to)
        site = self.site.currentData()
        now = self.fmt.now()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        out = self.out_dir / f"{kind}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.pdf"
        pages_dir = Path(tempfile.mkdtemp(prefix="safecard-preview-"))

        def write() -> tuple[Path, list[Path]]:
            if kind == "planning":
                from reports import planning  # type: ignore[attr-defined]

                planning.write_planning(store, config, period=f"{date_to:%Y-%m}", site=site,
                                        out=out, generated_at=now)
            else:
                from reports.audit import write_audit

                write_audit(store, config, date_from=date_from, date_to=date_to, site=site,
                            out=out, generated_at=now)
            return out, render_pages(out, pages_dir)

        self.make_button.setEnabled(False)
        self.progress.show()
        self.status.setText(tr("ui.reports.rendering"))
        self.ops.run(write, self._done, self._failed)

    def _done(self, result: tuple[Path, list[Path]]) -> None:
        pdf, pages = result
        self.make_button.setEnabled(True)
        self.progress.hide()
        self.status.setText(tr("ui.reports.done", path=str(pdf)))
        self.preview.set_document(pdf, pages)
        self.finished.emit(pdf)

    def _failed(self, exc: BaseException) -> None:
        self.make_button.setEnabled(True)
        self.progress.hide()
        self.status.setText("")
        show_error(self, exc)
