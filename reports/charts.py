"""Charts for the reports, drawn with reportlab.graphics as vector drawings.

Every string a chart draws names an embedded DejaVu face: ReportLab's chart defaults are
Helvetica, which is neither embedded nor able to show Cyrillic, so each label, axis and legend
is set here explicitly (the PDF tests run pdffonts over every report to catch a miss).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from reports import fonts
from reports.styles import ACCENT, GRID, INK, MUTED

SERIES = [ACCENT, colors.HexColor("#9fa8da"), colors.HexColor("#ef6c00"),
          colors.HexColor("#2e7d32"), colors.HexColor("#6a1b9a"), colors.HexColor("#00838f")]
LABEL_SIZE = 7


def _drawing(width: float, height: float) -> Drawing:
    """A drawing whose initial graphics state names DejaVu: the renderer otherwise starts
    every drawing by selecting Helvetica, which puts an unembedded font in the PDF."""
    return Drawing(width, height, initialFontName=fonts.SANS, initialFontSize=LABEL_SIZE)


def _value_axis(axis: Any, series: Sequence[Sequence[float]]) -> None:
    """A value axis from 0 to a round number above every value, in the report's font."""
    top = _nice_max(max((v for s in series for v in s), default=0))
    axis.valueMin, axis.valueMax = 0, top
    axis.valueStep = _step(top)
    axis.labels.fontName = fonts.SANS
    axis.labels.fontSize = LABEL_SIZE
    axis.strokeColor = GRID


def _nice_max(value: float) -> float:
    """An axis top a little above `value` on a round step (at least 1)."""
    if value <= 5:
        return 5
    for step in (2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value / step <= 8:
            return float(step * (int(value // step) + 1))
    return float(value * 1.1)


def _step(top: float) -> float:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top / step <= 8:
            return float(step)
    return top / 5


def _shorten(text: str, width: float, size: float = LABEL_SIZE) -> str:
    if stringWidth(text, fonts.SANS, size) <= width:
        return text
    while text and stringWidth(text + "…", fonts.SANS, size) > width:
        text = text[:-1]
    return text + "…"


def _legend(drawing: Drawing, x: float, y: float, names: Sequence[str],
            series_colors: Sequence[colors.Color]) -> None:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName = fonts.SANS
    legend.fontSize = LABEL_SIZE
    legend.alignment = "right"
    legend.boxAnchor = "nw"
    legend.columnMaximum = 1
    legend.deltax = 70
    legend.dx = legend.dy = 6
    legend.colorNamePairs = list(zip(series_colors, names, strict=True))
    legend.strokeWidth = 0
    drawing.add(legend)


def grouped_bars(labels: Sequence[str], series: Sequence[Sequence[float]],
                 names: Sequence[str], width: float, height: float = 60 * mm) -> Drawing:
    """Horizontal bars, one group per label (long Russian category names stay readable),
    one bar per series (e.g. this period and the previous one)."""
    rows = max(len(labels), 1)
    height = max(height, 22 * mm + rows * 4.2 * len(series) * 1.2)
    drawing = _drawing(width, height)
    label_room = 48 * mm
    chart = HorizontalBarChart()
    chart.x, chart.y = label_room, 8 * mm
    chart.width, chart.height = width - label_room - 8 * mm, height - 18 * mm
    # The first label and the first series are drawn at the bottom: reverse both, so the
    # largest group reads first and the first series (this period) is on top in each group.
    chart.data = [list(reversed(s)) or [0] for s in reversed(series)]
    chart.categoryAxis.categoryNames = [_shorten(x, label_room - 6) for x in reversed(labels)]
    chart.categoryAxis.labels.fontName = fonts.SANS
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -3
    chart.categoryAxis.strokeColor = GRID
    _value_axis(chart.valueAxis, series)
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#eeeeee")
    chart.valueAxis.labelTextFormat = "%d"
    chart.barLabels.fontName = fonts.SANS
    chart.barLabels.fontSize = 6
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 2
    chart.barLabelFormat = "%d"
    chart.barSpacing = 0.5
    chart.groupSpacing = 3
    for i in range(len(series)):
        chart.bars[i].fillColor = SERIES[(len(series) - 1 - i) % len(SERIES)]
        chart.bars[i].strokeColor = None
    drawing.add(chart)
    _legend(drawing, label_room, height - 2 * mm, names, SERIES[:len(series)])
    return drawing


def trend_lines(periods: Sequence[str], series: Sequence[Sequence[float]],
                names: Sequence[str], width: float, height: float = 55 * mm) -> Drawing:
    """One line per series over the periods (oldest left)."""
    drawing = _drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y = 12 * mm, 10 * mm
    chart.width, chart.height = width - 20 * mm, height - 22 * mm
    chart.data = [list(s) for s in series] or [[0] * len(periods)]
    chart.categoryAxis.categoryNames = list(periods)
    chart.categoryAxis.labels.fontName = fonts.SANS
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    chart.categoryAxis.labels.dy = -2
    chart.categoryAxis.strokeColor = GRID
    _value_axis(chart.valueAxis, series)
    chart.valueAxis.labelTextFormat = "%d"
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#eeeeee")
    chart.joinedLines = 1
    for i in range(len(series)):
        chart.lines[i].strokeColor = SERIES[i % len(SERIES)]
        chart.lines[i].strokeWidth = 1.6
    drawing.add(chart)
    _legend(drawing, 12 * mm, height - 2 * mm, names, SERIES[:len(series)])
    return drawing


def percent_bars(labels: Sequence[str], values: Sequence[float | None], width: float,
                 empty: str, percent: Callable[[float], str]) -> Drawing:
    """One horizontal 0–100 % gauge per label (e.g. in-SLA % per deadline kind), its value
    written by `percent`; a value of None (nothing fell due) is drawn as an empty track with
    `empty` written in it."""
    row = 8 * mm
    height = row * max(len(labels), 1) + 2 * mm
    drawing = _drawing(width, height)
    label_room = 40 * mm
    track = width - label_room - 18 * mm
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = height - (i + 1) * row
        drawing.add(String(0, y + 2.2 * mm, _shorten(label, label_room - 4), fontName=fonts.SANS,
                           fontSize=8, fillColor=INK))
        drawing.add(Rect(label_room, y + 1 * mm, track, 5 * mm, fillColor=colors.HexColor(
            "#eeeeee"), strokeColor=None))
        if value is None:
            drawing.add(String(label_room + 2 * mm, y + 2.2 * mm, empty, fontName=fonts.SANS,
                               fontSize=7, fillColor=MUTED))
            continue
        fill = (colors.HexColor("#2e7d32") if value >= 90 else
                colors.HexColor("#f9a825") if value >= 70 else colors.HexColor("#c62828"))
        drawing.add(Rect(label_room, y + 1 * mm, track * max(0.0, min(value, 100)) / 100,
                         5 * mm, fillColor=fill, strokeColor=None))
        drawing.add(String(label_room + track + 2 * mm, y + 2.2 * mm, percent(value),
                           fontName=fonts.SANS_BOLD, fontSize=8, fillColor=INK))
    return drawing


def heat_map(levels: int, bands: Sequence[Sequence[str]], counts: dict[tuple[int, int], int],
             band_colors: dict[str, str], x_label: str, y_label: str,
             width: float = 95 * mm) -> Drawing:
    """The risk matrix: severity up, likelihood across, each cell in its band's colour with the
    number of cards rated there (blank when none). `bands[s-1][l-1]` is the cell's band."""
    cell = (width - 16 * mm) / levels
    height = cell * levels + 14 * mm
    drawing = _drawing(width, height)
    x0, y0 = 14 * mm, 10 * mm
    for s in range(1, levels + 1):
        for lik in range(1, levels + 1):
            band = bands[s - 1][lik - 1]
            fill = colors.HexColor(band_colors.get(band, "#9e9e9e"))
            x, y = x0 + (lik - 1) * cell, y0 + (s - 1) * cell
            drawing.add(Rect(x, y, cell, cell, fillColor=fill, strokeColor=colors.white,
                             strokeWidth=1.2))
            count = counts.get((s, lik), 0)
            if count:
                luminance = 0.299 * fill.red + 0.587 * fill.green + 0.114 * fill.blue
                ink = colors.black if luminance > 0.6 else colors.white
                drawing.add(String(x + cell / 2, y + cell / 2 - 4, str(count),
                                   fontName=fonts.SANS_BOLD, fontSize=11, fillColor=ink,
                                   textAnchor="middle"))
        drawing.add(String(x0 - 2 * mm, y0 + (s - 0.5) * cell - 3, str(s), fontName=fonts.SANS,
                           fontSize=8, fillColor=INK, textAnchor="end"))
    for lik in range(1, levels + 1):
        drawing.add(String(x0 + (lik - 0.5) * cell, y0 - 4 * mm, str(lik), fontName=fonts.SANS,
                           fontSize=8, fillColor=INK, textAnchor="middle"))
    drawing.add(String(x0 + levels * cell / 2, 0.5 * mm, x_label, fontName=fonts.SANS,
                       fontSize=7.5, fillColor=MUTED, textAnchor="middle"))
    drawing.add(String(0, y0 + levels * cell + 2 * mm, y_label, fontName=fonts.SANS,
                       fontSize=7.5, fillColor=MUTED))
    return drawing
