"""One A4 document shape for every report: frame, header, footer with "page N of M", metadata.

"Of M" needs the page count before a page is finished: each page draws its label as a PDF
form XObject that is only defined at `save()`, when the count is known. One layout pass, and
every page is written out as soon as it is full, so memory does not grow with the page count.

Builds are deterministic: ReportLab's `invariant` mode fixes the creation date and file id,
and font subsets are named by number, so the same story gives the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFBase85Encode,
    PDFDictionary,
    PDFName,
    PDFPage,
    PDFStream,
    PDFZCompress,
)
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
    footer: str  # left side of the footer: generation time (the header names the report)
    page_label: Callable[[int, int], str]  # (page, total) -> "Страница 2 из 7"
    continued: Callable[[str], str] = str  # section label -> "продолжение: …" in the header


class SectionMark(Flowable):  # type: ignore[misc]
    """Invisible marker where a section (a card) starts. A page that begins inside a section
    names it in its running header, so a table carried over to a new page keeps its context.
    With `outline` it is also an entry (at `level`) in the PDF's bookmarks."""

    def __init__(self, label: str, outline: str | None = None, level: int = 0) -> None:
        super().__init__()
        self.label = label
        self.outline = outline
        self.level = level

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        marks = getattr(canvas, "section_marks", None)
        if marks is not None and self.label:
            marks.append((self.label, y))
        outline = getattr(canvas, "outline_marks", None)
        if outline is not None and self.outline:
            outline.append((self.outline, self.level, y))

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


_SHOWN_MAX = 5_000  # strings whose text operators a canvas keeps (see drawString)


def _numbered_canvas(furniture: Furniture) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._number = 0
            self._bookmarks = 0
            self.section_marks: list[tuple[str, float]] = []  # started on this page
            self.outline_marks: list[tuple[str, int, float]] = []  # bookmarks on this page
            self._running: str | None = None  # the section the current page began inside
            self._shown: dict[tuple[str, float, float, str], str] = {}  # see drawString

        def drawString(self, x: float, y: float, text: str, mode: Any = None,
                       charSpace: float = 0, direction: Any = None, wordSpace: Any = None,
                       shaping: bool = False) -> None:
            if mode is not None or charSpace or direction or wordSpace or shaping \
                    or not self.bottomup:
                super().drawString(x, y, text, mode, charSpace, direction, wordSpace, shaping)
                return
            # What Canvas.drawString writes, with the text operators made once per string
            # and font: a report's cells repeat the same labels, names and dates thousands
            # of times, and encoding each into font subsets is most of drawing it.
            key = (self._fontname, self._fontsize, self._leading, text)
            shown = self._shown.get(key)
            if shown is None:
                if len(self._shown) >= _SHOWN_MAX:
                    self._shown.clear()
                shown = self._shown[key] = self.beginText()._formatText(text)
            self._code.append(f"BT 1 0 0 1 {fp_str(x, y)} Tm {shown} T* ET")

        def showPage(self) -> None:
            self._number += 1
            started_at_top = any(y >= FRAME_TOP - 1 for _, y in self.section_marks)
            carried = "" if started_at_top or not self._running else furniture.continued(
                self._running)
            if self.section_marks:
                self._running = self.section_marks[-1][0]
            for title, level, y in self.outline_marks:
                key = f"b{self._bookmarks}"
                self._bookmarks += 1
                self.bookmarkPage(key, fit="XYZ", top=y + 14, left=0)
                self.addOutlineEntry(title, key, level=level)
            self.section_marks = []
            self.outline_marks = []
            _draw_furniture(self, furniture, carried, self._number)
            super().showPage()
            _compress_now(self._doc.Pages.pages[-1])

        def save(self) -> None:
            # Each page drew its label as a form that is defined only now, when the page
            # count is known.
            total = self._number
            for number in range(1, total + 1):
                self.beginForm(_label_form(number), 0, 0, PAGE_WIDTH, MARGIN_BOTTOM)
                self.setFont(fonts.SANS, 7.5)
                self.setFillColor(MUTED)
                self.drawRightString(PAGE_WIDTH - MARGIN_X, MARGIN_BOTTOM - 7 * mm,
                                     furniture.page_label(number, total))
                self.endForm()
            if self._bookmarks:
                self.showOutline()
            super().save()

    return NumberedCanvas


def _compress_now(page: PDFPage) -> None:
    """Encode a finished page's content stream at once instead of at save(), as ReportLab
    would, with the same filters and so the same bytes: ReportLab keeps every page object
    until it writes the file, and the encoded stream is a fraction of the text it replaces."""
    if page.Contents or not page.stream or not page.compression:
        return
    filters = [PDFBase85Encode, PDFZCompress] if rl_config.useA85 else [PDFZCompress]
    content = page.stream
    for f in reversed(filters):  # PDFStream.format applies them in reverse order
        content = f.encode(content)
    page.Contents = _PageStream(PDFDictionary({"Filter": PDFArray([PDFName(f.pdfname)
                                                                     for f in filters])}),
                                content)
    page.Contents.__Comment__ = "page stream"
    page.stream = None


class _PageStream(PDFStream):  # type: ignore[misc]
    """A page's encoded content, let go of once it is written into the file. save() formats
    the whole file in memory while every object is still held; without this each page's
    bytes would be there twice at the peak. ReportLab formats each object once (a second
    time would fail loudly on the missing content, not write an empty page)."""

    def format(self, document: Any) -> bytes:
        out: bytes = super().format(document)
        self.content = None
        return out


def _label_form(page: int) -> str:
    return f"pagelabel{page}"


def _draw_furniture(canvas: Canvas, furniture: Furniture, carried: str, page: int) -> None:
    """Header and footer, drawn as each page ends; the "page N of M" label is a reference to
    a form that `save()` fills in, so no page is held in memory waiting for M."""
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
    # The label's room is reserved for the widest total it could show.
    label_width = canvas.stringWidth(furniture.page_label(page, 99999), fonts.SANS, 7.5)
    canvas.doForm(_label_form(page))
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


class LazyStory(list):  # type: ignore[type-arg]
    """The story as platypus consumes it (a list it takes from the front and puts split
    parts back on), filled from an iterator a little ahead of layout, so a report of 10,000
    cards never holds every card's flowables at once. Platypus asks `len()` before it takes
    the next flowable; that is when the buffer is topped up."""

    AHEAD = 40

    def __init__(self, source: Iterable[Flowable]) -> None:
        super().__init__()
        self._source: Iterator[Flowable] | None = iter(source)

    def __len__(self) -> int:
        while self._source is not None and super().__len__() < self.AHEAD:
            try:
                self.append(next(self._source))
            except StopIteration:
                self._source = None
        return super().__len__()


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

    def render(self, story: Sequence[Flowable] | Iterable[Flowable]) -> int:
        """Lay out and write the PDF; returns the number of pages. A story given as an
        iterator is drawn from as layout proceeds (see `LazyStory`)."""
        flowables = list(story) if isinstance(story, Sequence) else LazyStory(story)
        try:
            self.build(flowables, canvasmaker=_numbered_canvas(self._furniture))
            os.replace(self._partial, self._out)
        finally:
            self._partial.unlink(missing_ok=True)
        return int(self.page)
