"""The shortcuts that make a 1000-card audit affordable write what ReportLab itself would.

Each is checked against ReportLab's own path on the same input: paragraphs parsed through a
cache, a canvas that reuses the text operators of a string it drew before, a font that
reuses a string's subset encoding, and tables whose cells start from a shared look instead
of nine style commands each.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFDocument
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from reports import fonts
from reports.document import Furniture, _numbered_canvas
from reports.styles import CELL_PADDING_X, GRID, INK, Para, cell, grid, stylesheet

TEXTS = [
    "Разлив масла у пресса",
    "  leading and   inner   spaces ",
    "tab\there",
    "no\xa0break",
    "x",
    "Клиент сказал «читайте на стенде» — №2 & <нет>",
    "<b>bold</b> then <i>italic</i><br/>and a new line",
    "слово " * 60,
]


def _frags(p: Paragraph) -> list[dict[str, Any]]:
    return [dict(f.__dict__) for f in p.frags]


def _drawn(p: Paragraph, width: float) -> str:
    canvas = Canvas(io.BytesIO(), invariant=1)
    p.wrapOn(canvas, width, 1000)
    p.drawOn(canvas, 10, 10)
    return canvas._code[-1] if canvas._code else ""


@pytest.mark.parametrize("value", TEXTS)
def test_para_parses_wraps_and_draws_as_paragraph(value: str) -> None:
    st = stylesheet()
    markup = value if value.startswith("<b>") else value.replace("&", "&amp;").replace(
        "<", "&lt;").replace(">", "&gt;")
    for style in (st.cell, st.body, st.note):
        ours, theirs = Para(markup, style), Paragraph(markup, style)
        assert _frags(ours) == _frags(theirs)
        assert ours.wrap(60 * mm, 500) == theirs.wrap(60 * mm, 500)
        assert _drawn(Para(markup, style), 60 * mm) == _drawn(Paragraph(markup, style), 60 * mm)


def test_para_breaks_lines_again_after_a_split_gave_up() -> None:
    p = Para("слово " * 80, stylesheet().body)
    _, height = p.wrap(50 * mm, 1000)
    assert p.split(50 * mm, 5) == []  # no room for two lines: ReportLab drops its lines
    assert p.wrap(50 * mm, 1000) == (50 * mm, height)
    first, rest = p.split(50 * mm, height / 2)  # split parts are made by ReportLab's call
    assert isinstance(first, Para) and isinstance(rest, Para)
    assert first.wrap(50 * mm, 1000)[1] + rest.wrap(50 * mm, 1000)[1] == pytest.approx(height)


def test_a_wrap_at_another_width_breaks_lines_anew() -> None:
    p = Para("слово " * 40, stylesheet().body)
    narrow = p.wrap(30 * mm, 1000)[1]
    wide = p.wrap(120 * mm, 1000)[1]
    assert narrow > wide and p.wrap(30 * mm, 1000)[1] == narrow


def test_canvas_draws_strings_as_reportlab_does() -> None:
    fonts.register()
    furniture = Furniture(header="h", footer="f", page_label=lambda n, m: f"{n}/{m}")
    ours = _numbered_canvas(furniture)(io.BytesIO(), invariant=1)
    theirs = Canvas(io.BytesIO(), invariant=1)
    for canvas in (ours, theirs):
        for name, size in ((fonts.SANS, 8), (fonts.SANS_BOLD, 7.5), (fonts.MONO, 8)):
            canvas.setFont(name, size, size * 1.25)
            for i, text in enumerate([*TEXTS, "", "Ёж", *TEXTS]):  # repeats hit the memo
                Canvas.drawString(canvas, 10 + i, 700 - i * 3.5, text) if canvas is theirs \
                    else canvas.drawString(10 + i, 700 - i * 3.5, text)
    assert ours._code == theirs._code


def test_font_encodes_strings_as_reportlab_does() -> None:
    fonts.register()
    font = pdfmetrics.getFont(fonts.SANS)
    ours, theirs = PDFDocument(invariant=1), PDFDocument(invariant=1)
    for text in [*TEXTS, "Ёж", *TEXTS, "".join(chr(c) for c in range(0x400, 0x4ff))]:
        assert font.splitString(text, ours) == TTFont.splitString(font, text, theirs)


def _old_commands(header: bool) -> list[tuple[Any, ...]]:
    """The commands every report table carried before its cells started as CellLook."""
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), fonts.SANS),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LEADING", (0, 0), (-1, -1), 10),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING_X),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING_X),
    ]
    if header:
        commands.append(("FONTNAME", (0, 0), (-1, 0), fonts.SANS_BOLD))
    return commands


def test_grid_cells_look_as_the_old_style_commands_made_them() -> None:
    fonts.register()
    st = stylesheet()
    rows: list[list[Any]] = [
        [cell("Метка", st.cell_head), cell("Итого", st.cell_head), "plain"],
        [cell("Площадка", st.cell_bold), cell(12, st.cell_right_bold), "x"],
        [cell("01a0b3c8", st.mono), cell(3, st.cell_right), cell("обычный", st.cell)],
    ]
    widths = [40 * mm, 30 * mm, 30 * mm]
    ours = grid(rows, widths, ("TEXTCOLOR", (2, 1), (2, 1), GRID))
    reference = Table([[c.value if hasattr(c, "value") else c for c in row] for row in rows],
                      colWidths=widths)
    commands = [*_old_commands(header=True), ("TEXTCOLOR", (2, 1), (2, 1), GRID)]
    for r, row in enumerate(rows):  # each Cell's own look, as _resolve used to add it
        for c, value in enumerate(row):
            style = getattr(value, "style", None)
            if style is not None:
                commands += [("FONTNAME", (c, r), (c, r), style.fontName),
                             ("FONTSIZE", (c, r), (c, r), style.fontSize),
                             ("LEADING", (c, r), (c, r), style.leading),
                             ("TEXTCOLOR", (c, r), (c, r), style.textColor)]
                if style.alignment == TA_RIGHT:
                    commands.append(("ALIGN", (c, r), (c, r), "RIGHT"))
    reference.setStyle(TableStyle(commands))
    names = ("fontname", "fontsize", "leading", "color", "alignment", "valign",
             "leftPadding", "rightPadding", "topPadding", "bottomPadding")
    for r in range(len(rows)):
        for c in range(len(widths)):
            want = {n: getattr(reference._cellStyles[r][c], n) for n in names}
            got = {n: getattr(ours._cellStyles[r][c], n) for n in names}
            assert got == want, (r, c)


def test_grid_measures_its_cells_once_per_width(monkeypatch: pytest.MonkeyPatch) -> None:
    st = stylesheet()
    table = grid([[cell("a", st.cell_head)], [cell("слово " * 50, st.cell)]], [60 * mm])
    calls: list[float] = []
    original = Table._calc

    def counting(self: Table, w: float, h: float) -> None:
        calls.append(w)
        original(self, w, h)

    monkeypatch.setattr(Table, "_calc", counting)
    full = table.wrap(60 * mm, 1000)
    assert table.wrap(60 * mm, 900) == full and table.wrap(60 * mm, 5) == full
    assert table.split(60 * mm, 1000) == [table] and calls == [60 * mm]
    table.wrap(50 * mm, 1000)
    assert calls == [60 * mm, 50 * mm]


def test_para_transforms_text_as_its_style_says() -> None:
    loud = ParagraphStyle("loud", parent=stylesheet().cell, textTransform="uppercase")
    assert _frags(Para("тихо сказано", loud)) == _frags(Paragraph("тихо сказано", loud))
    assert Para("тихо сказано", loud).frags[0].text == "ТИХО СКАЗАНО"
