"""Paragraph and table styles shared by every report, all set in the embedded DejaVu fonts.

ReportLab's own defaults (getSampleStyleSheet, a bare ParagraphStyle, a TableStyle without
FONTNAME) name Helvetica; nothing here inherits from them, so no base-14 font can reach a PDF.
`text()` is the one way user-typed text enters a Paragraph: it is escaped, so a title with
"<" or "&" prints as typed instead of breaking the markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Table, TableStyle

from reports import fonts

INK = colors.HexColor("#212121")
MUTED = colors.HexColor("#616161")
RULE = colors.HexColor("#9e9e9e")
GRID = colors.HexColor("#bdbdbd")
HEADER_BG = colors.HexColor("#e8eaf6")
ZEBRA_BG = colors.HexColor("#f5f5f5")
ACCENT = colors.HexColor("#283593")
ALERT = colors.HexColor("#c62828")

BODY_SIZE = 9
SMALL_SIZE = 7.5
CELL_SIZE = 8
CELL_LEADING = 10
CELL_PADDING_X = 4
# ReportLab splits a row across pages only into parts at least this tall (points). Small
# values let it fill a page's last few millimetres with a header and a sliver of a row; this
# keeps in-row splitting for rows too tall to fit anywhere else.
IN_ROW_SPLIT_MIN = 300
CHUNK = 600  # characters of long text per table row (about ten lines in a wide column)


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    body: ParagraphStyle
    note: ParagraphStyle
    label: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cell_right: ParagraphStyle
    cell_right_bold: ParagraphStyle
    cell_head: ParagraphStyle
    mono: ParagraphStyle


def _style(name: str, **kw: Any) -> ParagraphStyle:
    base: dict[str, Any] = dict(
        fontName=fonts.SANS, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.3,
        textColor=INK, bulletFontName=fonts.SANS, splitLongWords=1,
    )
    base.update(kw)
    return ParagraphStyle(name, **base)


@cache
def stylesheet() -> Styles:
    fonts.register()
    return Styles(
        title=_style("title", fontName=fonts.SANS_BOLD, fontSize=18, leading=23,
                     textColor=ACCENT, spaceAfter=4),
        subtitle=_style("subtitle", fontSize=11, leading=15, textColor=MUTED, spaceAfter=10),
        h1=_style("h1", fontName=fonts.SANS_BOLD, fontSize=13, leading=17, textColor=ACCENT,
                  spaceBefore=10, spaceAfter=5),
        h2=_style("h2", fontName=fonts.SANS_BOLD, fontSize=11, leading=14, spaceBefore=2,
                  spaceAfter=3),
        h3=_style("h3", fontName=fonts.SANS_BOLD, fontSize=9, leading=12, textColor=MUTED,
                  spaceBefore=6, spaceAfter=2),
        body=_style("body", spaceAfter=3),
        note=_style("note", fontName=fonts.SANS_ITALIC, fontSize=8, leading=10.5,
                    textColor=MUTED, spaceBefore=2, spaceAfter=3),
        label=_style("label", fontName=fonts.SANS_BOLD, fontSize=8, leading=10.5,
                     textColor=MUTED, spaceBefore=3),
        cell=_style("cell", fontSize=8, leading=10),
        cell_bold=_style("cell_bold", fontName=fonts.SANS_BOLD, fontSize=8, leading=10),
        cell_right=_style("cell_right", fontSize=8, leading=10, alignment=TA_RIGHT),
        cell_right_bold=_style("cell_right_bold", fontName=fonts.SANS_BOLD, fontSize=8,
                               leading=10, alignment=TA_RIGHT),
        cell_head=_style("cell_head", fontName=fonts.SANS_BOLD, fontSize=7.5, leading=9.5,
                         textColor=ACCENT),
        mono=_style("mono", fontName=fonts.MONO, fontSize=8, leading=10),
    )


@dataclass(frozen=True, slots=True)
class Cell:
    """Table cell text, set as a plain string when it fits one line (drawn directly, which is
    several times faster than a Paragraph) and as a wrapping Paragraph when it does not."""

    value: str
    style: ParagraphStyle


def cell(value: object, style: ParagraphStyle) -> Cell:
    return Cell(str(value), style)


def text(value: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text as typed: escaped, line breaks kept."""
    return Paragraph(escape(str(value)).replace("\n", "<br/>"), style)


def heading(value: str, style: ParagraphStyle, room: float = 30 * mm) -> list[Flowable]:
    """A heading that starts a new page unless `room` is left below it for what it heads,
    so no heading is stranded at the foot of a page (tables then split with their header)."""
    return [CondPageBreak(room), text(value, style)]


def markup(value: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of trusted markup (built here from escaped parts)."""
    return Paragraph(value, style)


def table_style(*extra: tuple[Any, ...], header: bool = True, zebra: bool = True) -> TableStyle:
    """The grid every report table uses; FONTNAME is set for plain-string cells too."""
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), fonts.SANS),
        ("FONTSIZE", (0, 0), (-1, -1), CELL_SIZE),
        ("LEADING", (0, 0), (-1, -1), CELL_LEADING),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING_X),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING_X),
    ]
    if header:
        commands += [
            ("FONTNAME", (0, 0), (-1, 0), fonts.SANS_BOLD),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ]
        if zebra:
            commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_BG]))
    commands.extend(extra)
    return TableStyle(commands)


def grid(rows: list[list[Any]], widths: list[float], *extra: tuple[Any, ...],
         header: bool = True, zebra: bool = True) -> Table:
    """A table with fixed column widths (fast, and never wider than the frame) whose header
    row repeats on every page it spans. A row taller than a page may split inside rather
    than fail the whole report; `record_grid` keeps long text from needing that."""
    commands: list[tuple[Any, ...]] = []
    data = [[_resolve(value, widths[c], (c, r), commands) for c, value in enumerate(row)]
            for r, row in enumerate(rows)]
    table = Table(data, colWidths=widths, repeatRows=1 if header else 0,
                  splitInRow=IN_ROW_SPLIT_MIN, hAlign="LEFT")
    # The cells' own looks go last so they win over the header row's and the extras.
    table.setStyle(table_style(*extra, *commands, header=header, zebra=zebra))
    return table


def _resolve(value: Any, width: float, at: tuple[int, int],
             commands: list[tuple[Any, ...]]) -> Any:
    if not isinstance(value, Cell):
        return value
    st = value.style
    room = width - 2 * CELL_PADDING_X
    if "\n" in value.value or stringWidth(value.value, st.fontName, st.fontSize) > room:
        return text(value.value, st)
    for command, wanted, default in (("FONTNAME", st.fontName, fonts.SANS),
                                     ("FONTSIZE", st.fontSize, CELL_SIZE),
                                     ("LEADING", st.leading, CELL_LEADING),
                                     ("TEXTCOLOR", st.textColor, INK)):
        if wanted != default:
            commands.append((command, at, at, wanted))
    if st.alignment == TA_RIGHT:
        commands.append(("ALIGN", at, at, "RIGHT"))
    return value.value


def chunks(value: str, size: int = CHUNK) -> list[str]:
    """Text in pieces of at most about `size` characters, cut at spaces where possible."""
    pieces = []
    rest = value
    while len(rest) > size:
        cut = rest.rfind(" ", size // 2, size)
        cut = size if cut < 0 else cut
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest or not pieces else pieces


def record_grid(head: list[Any], records: list[list[Any]], widths: list[float], *,
                long_col: int, style: ParagraphStyle) -> Table:
    """A table of records whose `long_col` is plain text of any length.

    Long text is set over as many rows as it needs, drawn as one record (one background, no
    rule inside), so pages break between short rows instead of inside a tall one; ReportLab's
    in-row split would also repeat the header in the middle of the page.
    """
    rows: list[list[Any]] = [head]
    commands: list[tuple[Any, ...]] = []
    for n, record in enumerate(records):
        first = len(rows)
        for i, piece in enumerate(chunks(str(record[long_col]))):
            row = list(record) if i == 0 else [""] * len(record)
            row[long_col] = Cell(piece, style)
            rows.append(row)
        last = len(rows) - 1
        background = ZEBRA_BG if n % 2 else colors.white
        commands.append(("BACKGROUND", (0, first), (-1, last), background))
        if last > first:
            commands.append(("LINEBELOW", (0, first), (-1, last - 1), 0.6, background))
    return grid(rows, widths, *commands, zebra=False)
