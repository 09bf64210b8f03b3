"""Paragraph and table styles shared by every report, all set in the embedded DejaVu fonts.

ReportLab's own defaults (getSampleStyleSheet, a bare ParagraphStyle, a TableStyle without
FONTNAME) name Helvetica; nothing here inherits from them, so no base-14 font can reach a PDF.
`text()` is the one way user-typed text enters a Paragraph: it is escaped, so a title with
"<" or "&" prints as typed instead of breaking the markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Table, TableStyle
from reportlab.platypus.paragraph import cleanBlockQuotedText, textTransformFrags
from reportlab.platypus.paraparser import ParaParser
from reportlab.platypus.tables import CellStyle

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


class Para(Paragraph):  # type: ignore[misc]
    """A Paragraph that parses its markup through a cache and breaks its lines once per width.

    An audit sets the same few thousand strings (labels, names, event summaries) over and
    over, and ReportLab parses every one anew; a table also wraps each cell paragraph twice
    (to size the row, then again to draw it). Lines depend only on the text, the style and
    the width, so the second break is the first one's result."""

    def __init__(self, value: str | None, style: ParagraphStyle, bulletText: Any = None,
                 frags: list[Any] | None = None) -> None:
        if frags is None:  # else a part of a split paragraph (ReportLab's own call)
            style, parsed, bullet = _parsed(value or "", style)
            # A copy of the list: a split paragraph replaces its frags, never edits them.
            frags, bulletText = list(parsed), bulletText or bullet
        super().__init__(value, style, bulletText=bulletText, frags=frags)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        # split() drops blPara when it gives up on a page; the next page must break anew.
        if getattr(self, "_wrapped_at", None) != avail_width or "blPara" not in self.__dict__:
            super().wrap(avail_width, avail_height)
            self._wrapped_at = avail_width
        return self.width, self.height


def _parsed(value: str, style: ParagraphStyle) -> tuple[ParagraphStyle, tuple[Any, ...], Any]:
    """What Paragraph._setup would parse `value` into: (style, frags, bullet text). Short
    strings (labels, names, dates) repeat and are kept; long text seldom does."""
    return _parsed_short(value, style) if len(value) <= _KEEP_CHARS else _parse(value, style)


_KEEP_CHARS = 120


@lru_cache(maxsize=2048)
def _parsed_short(value: str, style: ParagraphStyle
                  ) -> tuple[ParagraphStyle, tuple[Any, ...], Any]:
    return _parse(value, style)


def _parse(value: str, style: ParagraphStyle) -> tuple[ParagraphStyle, tuple[Any, ...], Any]:
    if value != "x" and _plain(value) and not style.textTransform:
        # No markup, entity or whitespace for the parser to fold: its one fragment is the
        # style's, holding the text as it is (and the HTML parser is most of its cost).
        style, (frag,), bullet = _parsed_short("x", style)
        return style, (frag.clone(text=value),), bullet
    parser = ParaParser()
    style, frags, bullet = parser.parse(cleanBlockQuotedText(value), style)
    if frags is None:
        raise ValueError(f"paragraph markup: {parser.errors[0]} in {value[:30]!r}")
    textTransformFrags(frags, style)
    return style, tuple(frags), bullet


def _plain(value: str) -> bool:
    return bool(value) and "<" not in value and "&" not in value \
        and value == " ".join(value.split())


def text(value: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text as typed: escaped, line breaks kept."""
    return Para(escape(str(value)).replace("\n", "<br/>"), style)


def heading(value: str, style: ParagraphStyle, room: float = 30 * mm) -> list[Flowable]:
    """A heading that starts a new page unless `room` is left below it for what it heads,
    so no heading is stranded at the foot of a page (tables then split with their header)."""
    return [CondPageBreak(room), text(value, style)]


def markup(value: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of trusted markup (built here from escaped parts)."""
    return Para(value, style)


class CellLook(CellStyle):  # type: ignore[misc]
    """The look every report table cell starts from. Given to the Table as its cell styles,
    it replaces nine style commands that ReportLab would apply cell by cell to every table."""

    fontname = fonts.SANS
    fontsize = CELL_SIZE
    leading = CELL_LEADING
    color = INK
    valign = "TOP"
    topPadding = 2
    bottomPadding = 3
    leftPadding = CELL_PADDING_X
    rightPadding = CELL_PADDING_X


def table_style(*extra: tuple[Any, ...], header: bool = True, zebra: bool = True) -> TableStyle:
    """The grid every report table uses, over cells that start as `CellLook`."""
    commands: list[tuple[Any, ...]] = [("GRID", (0, 0), (-1, -1), 0.4, GRID)]
    if header:
        commands += [
            ("FONTNAME", (0, 0), (-1, 0), fonts.SANS_BOLD),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ]
        if zebra:
            commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA_BG]))
    commands.extend(extra)
    return TableStyle(commands)


class Grid(Table):  # type: ignore[misc]
    """A Table that sizes itself once per width. Platypus asks a table its size more than
    once (KeepTogether, then the frame; wrap, then split), and ReportLab measures every cell
    each time; the rows and columns depend only on the width once every row is measured."""

    def _calc(self, avail_width: float, avail_height: float) -> None:
        if getattr(self, "_sized_at", None) == avail_width:
            return
        super()._calc(avail_width, avail_height)
        complete = self._hmax == len(self._cellvalues)  # long tables stop at the frame's foot
        self._sized_at = avail_width if complete else None


def grid(rows: list[list[Any]], widths: list[float], *extra: tuple[Any, ...],
         header: bool = True, zebra: bool = True) -> Table:
    """A table with fixed column widths (fast, and never wider than the frame) whose header
    row repeats on every page it spans. A row taller than a page may split inside rather
    than fail the whole report; `record_grid` keeps long text from needing that. Columns
    are first widened to hold their longest word (`fit_words`)."""
    widths = fit_words(rows, widths, extra)
    looks = [[CellLook("cell") for _ in row] for row in rows]
    own: list[tuple[CellStyle, dict[str, Any]]] = []
    data = [[_resolve(value, widths[c], looks[r][c], own) for c, value in enumerate(row)]
            for r, row in enumerate(rows)]
    table = Grid(data, colWidths=widths, repeatRows=1 if header else 0,
                 splitInRow=IN_ROW_SPLIT_MIN, hAlign="LEFT", cellStyles=looks)
    table.setStyle(table_style(*extra, header=header, zebra=zebra))
    # The cells' own looks go last so they win over the header row's and the extras.
    for look, values in own:
        for name, value in values.items():
            setattr(look, name, value)
    return table


def fit_words(rows: list[list[Any]], widths: list[float],
              commands: Sequence[tuple[Any, ...]] = ()) -> list[float]:
    """The column widths with every column wide enough for the longest word of its cells,
    the room taken from columns that can spare it: ReportLab would otherwise break a word
    that does not fit inside itself («Критическ|ий»). A word no column can make room for
    (a pasted 200-character token) is still broken, as the last resort."""
    spanned = {(cmd[1][1] % len(rows), cmd[1][0] % len(widths))
               for cmd in commands if cmd[0] == "SPAN"}
    need = [0.0] * len(widths)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, Cell) and (r, c) not in spanned:
                need[c] = max(need[c], _room_for_words(value, widths[c]))
    fitted = list(widths)
    for c in sorted(range(len(fitted)), key=lambda i: fitted[i] - need[i]):
        short = need[c] - fitted[c]
        for donor in sorted(range(len(fitted)), key=lambda i: need[i] - fitted[i]):
            if short <= 0:
                break
            spare = fitted[donor] - max(need[donor], 10 * mm)
            if donor != c and spare > 0:
                given = min(spare, short)
                fitted[donor] -= given
                fitted[c] += given
                short -= given
    return fitted


@lru_cache(maxsize=16384)
def _width(text: str, font: str, size: float) -> float:
    """A string's width, remembered: labels, names and dates repeat in every table, and both
    the column fitting and the cell layout measure them."""
    return float(stringWidth(text, font, size))


def _room_for_words(value: Cell, width: float) -> float:
    """The column width a cell needs so that none of its words is broken: the whole text's
    when it fits on one line (an upper bound, one measurement), else its widest word's. Only
    the words within a few letters of the longest are measured: a record's 600 characters of
    history need not be measured word by word."""
    st, pad = value.style, 2 * CELL_PADDING_X + 0.5
    whole = _width(value.value, st.fontName, st.fontSize) + pad
    if whole <= width:
        return whole
    words = value.value.split()
    longest = max(map(len, words), default=0)
    return pad + max((_width(w, st.fontName, st.fontSize) for w in words
                      if len(w) >= longest - 3), default=0.0)


def _resolve(value: Any, width: float, look: CellStyle,
             own: list[tuple[CellStyle, dict[str, Any]]]) -> Any:
    if not isinstance(value, Cell):
        return value
    st = value.style
    room = width - 2 * CELL_PADDING_X
    if "\n" in value.value or _width(value.value, st.fontName, st.fontSize) > room:
        return text(value.value, st)
    values = {name: wanted for name, wanted in (("fontname", st.fontName),
                                                ("fontsize", st.fontSize),
                                                ("leading", st.leading),
                                                ("color", st.textColor))
              if wanted != getattr(CellLook, name)}
    if st.alignment == TA_RIGHT:
        values["alignment"] = "RIGHT"
    if values:
        own.append((look, values))
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
