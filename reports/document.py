"""One A4 document shape for every report: frame, header, footer with "page N of M", metadata.

"Of M" needs the page count before a page is finished, so the canvas keeps each page's
state and draws the furniture (running header, footer) on all pages at `save()`, when the
count is known: one layout pass instead of building the whole document twice.

Builds are deterministic: ReportLab's `invariant` mode fixes the creation date and file id,
and font subsets are named by number, so the same story gives the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from reports import fonts
from reports.styles import MUTED, RULE

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 16 * mm
MARGIN_TOP = 18 * mm
MARGIN_BOTTOM = 18 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
FRAME_TOP = PAGE_HEIGHT - MARGIN_TOP


@dataclass(frozen=True)
class Furniture:
    """What every page carries besides the story."""

    header: str  # running header from page 2 on (the first page has the title)
    footer: str  # left side of the footer: report, scope, generation time
    page_label: Callable[[int, int], str]  # (page, total) -> "Страница 2 из 7"
    continued: Callable[[str], str] = str  # section label -> "продолжение: …" in the header


class SectionMark(Flowable):  # type: ignore[misc]
    """Invisible marker where a section (a card) starts. A page that begins inside a section
    names it in its running header, so a table carried over to a new page keeps its context."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        marks = getattr(canvas, "section_marks", None)
        if marks is not None:
            marks.append((self.label, y))

    def draw(self) -> None:
        pass


@dataclass(frozen=True)
class Metadata:
    title: str
    subject: str
    author: str = "SafeCard"
    creator: str = "SafeCard"
    keywords: tuple[str, ...] = ()
    lang: str = "ru"


def _numbered_canvas(furniture: Furniture) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[tuple[dict[str, Any], str | None]] = []
            self.section_marks: list[tuple[str, float]] = []  # started on this page
            self._running: str | None = None  # the section the current page began inside

        def showPage(self) -> None:
            started_at_top = any(y >= FRAME_TOP - 1 for _, y in self.section_marks)
            self._pages.append((dict(self.__dict__), None if started_at_top else self._running))
            if self.section_marks:
                self._running = self.section_marks[-1][0]
            self.section_marks = []
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, (state, running) in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                carried = furniture.continued(running) if running else ""
                _draw_furniture(self, furniture, carried, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def _draw_furniture(canvas: Canvas, furniture: Furniture, carried: str, page: int,
                    total: int) -> None:
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.4)
    canvas.setFillColor(MUTED)
    if page > 1:
        top = PAGE_HEIGHT - MARGIN_TOP + 5 * mm
        canvas.setFont(fonts.SANS, 7.5)
        header = _fit(furniture.header, 7.5, FRAME_WIDTH)
        canvas.drawString(MARGIN_X, top + 1.5 * mm, header)
        room = FRAME_WIDTH - stringWidth(header, fonts.SANS, 7.5) - 6 * mm
        if carried and room > 20 * mm:
            canvas.drawRightString(PAGE_WIDTH - MARGIN_X, top + 1.5 * mm,
                                   _fit(carried, 7.5, room))
        canvas.line(MARGIN_X, top, PAGE_WIDTH - MARGIN_X, top)
    bottom = MARGIN_BOTTOM - 7 * mm
    canvas.line(MARGIN_X, bottom + 4 * mm, PAGE_WIDTH - MARGIN_X, bottom + 4 * mm)
    canvas.setFont(fonts.SANS, 7.5)
    label = furniture.page_label(page, total)
    label_width = canvas.stringWidth(label, fonts.SANS, 7.5)
    canvas.drawRightString(PAGE_WIDTH - MARGIN_X, bottom, label)
    room = FRAME_WIDTH - label_width - 6 * mm
    canvas.drawString(MARGIN_X, bottom, _fit(furniture.footer, 7.5, room))
    canvas.restoreState()


def _fit(line: str, size: float, width: float) -> str:
    """Shorten a one-line header/footer with an ellipsis rather than run off the page."""
    if stringWidth(line, fonts.SANS, size) <= width:
        return line
    while line and stringWidth(line + "…", fonts.SANS, size) > width:
        line = line[:-1]
    return line + "…"


class ReportDocument(BaseDocTemplate):  # type: ignore[misc]
    def __init__(self, out: Path, metadata: Metadata, furniture: Furniture) -> None:
        fonts.register()
        self._furniture = furniture
        self._out = out
        # Written beside the target and moved over it when complete, so a failed build never
        # leaves a half-written PDF under the name an auditor would archive.
        self._partial = out.with_name(out.name + ".part")
        super().__init__(
            str(self._partial),
            pagesize=A4,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=metadata.title,
            author=metadata.author,
            subject=metadata.subject,
            creator=metadata.creator,
            keywords=list(metadata.keywords),
            lang=metadata.lang,
            invariant=1,
            # The canvas names a font in every page's preamble; make it ours, not Helvetica.
            initialFontName=fonts.SANS,
            initialFontSize=9,
            initialLeading=11.7,
        )
        frame = Frame(MARGIN_X, MARGIN_BOTTOM, FRAME_WIDTH, PAGE_HEIGHT - MARGIN_TOP
                      - MARGIN_BOTTOM, id="body", leftPadding=0, rightPadding=0,
                      topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])

    def render(self, story: Sequence[Flowable]) -> int:
        """Lay out and write the PDF; returns the number of pages."""
        try:
            self.build(list(story), canvasmaker=_numbered_canvas(self._furniture))
            os.replace(self._partial, self._out)
        finally:
            self._partial.unlink(missing_ok=True)
        return int(self.page)
