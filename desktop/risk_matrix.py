"""`RiskMatrixWidget`: the four risk aspects of a hazard and the 5×5 matrix they land on.

The matrix is `forms.risk.matrix(config)` painted in the bands' colours, severity upwards and
likelihood to the right; the cell of the current rating is outlined, and the resulting band is
shown in colour beside the inputs. The rating itself is `forms.risk.rate` — the widget draws
it, it never computes a rule of its own.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from forms import risk
from forms.card import Rating
from forms.config import Config
from forms.i18n import tr

CELL = 40
AXIS = 28


def _text_color(background: str) -> QColor:
    color = QColor(background)
    return QColor("black") if color.lightness() > 150 else QColor("white")


class MatrixGrid(QWidget):
    """The painted matrix; `highlight` is (severity, likelihood) of the current rating."""

    def __init__(self, config: Config, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.cells = risk.matrix(config)
        self.levels = len(self.cells)
        self.highlight: tuple[int, int] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        side = AXIS + CELL * self.levels + 4
        return QSize(side, side)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def set_highlight(self, cell: tuple[int, int] | None) -> None:
        self.highlight = cell
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
        painter.setFont(small)
        for s in range(1, self.levels + 1):
            top = (self.levels - s) * CELL
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(0, top, AXIS - 4, CELL),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(s))
            for lik in range(1, self.levels + 1):
                band = self.cells[s - 1][lik - 1]
                color = risk.band_color(band, self.config)
                rect = QRectF(AXIS + (lik - 1) * CELL, top, CELL - 2, CELL - 2)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(color))
                painter.drawRoundedRect(rect, 3, 3)
                painter.setPen(_text_color(color))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(s * lik))
        for lik in range(1, self.levels + 1):
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(AXIS + (lik - 1) * CELL, self.levels * CELL, CELL, AXIS - 6),
                             Qt.AlignmentFlag.AlignCenter, str(lik))
        if self.highlight is not None:
            s, lik = self.highlight
            rect = QRectF(AXIS + (lik - 1) * CELL - 2, (self.levels - s) * CELL - 2,
                          CELL + 2, CELL + 2)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor("#000000"), 3))
            painter.drawRoundedRect(rect, 4, 4)
        painter.end()


class RiskMatrixWidget(QWidget):
    """Inputs for degree, scale, frequency and compliance, the matrix, and the band."""

    changed = Signal()

    def __init__(self, config: Config, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.fmt = formatting.display(config)
        levels = int(config.risk["levels"])
        self.spins: dict[str, QSpinBox] = {}
        form = QFormLayout()
        for name in risk.ASPECTS:
            spin = QSpinBox()
            spin.setRange(1, levels)
            spin.setValue(1)
            spin.setObjectName(f"risk_{name}")
            spin.valueChanged.connect(self._update)
            self.spins[name] = spin
            form.addRow(self.fmt.field(name), spin)
        self.compliance = QComboBox()
        for code in risk.COMPLIANCE:
            self.compliance.addItem(self.fmt.label("compliance", code), code)
        self.compliance.currentIndexChanged.connect(self._update)
        form.addRow(self.fmt.field("compliance"), self.compliance)
        self.band = QLabel()
        self.band.setObjectName("riskBand")
        self.band.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.score = QLabel()
        self.score.setWordWrap(True)
        form.addRow(tr("ui.risk.result"), self.band)
        form.addRow("", self.score)

        self.grid = MatrixGrid(config)
        axes = QVBoxLayout()
        axes.addWidget(QLabel(tr("ui.risk.severity_axis")))
        axes.addWidget(self.grid)
        axes.addWidget(QLabel(tr("ui.risk.likelihood_axis")))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(form, 1)
        row.addSpacing(12)
        row.addLayout(axes)
        self._update()

    def set_values(self, degree: int, scale: int, frequency: int, compliance: str) -> None:
        for name, value in zip(risk.ASPECTS, (degree, scale, frequency), strict=True):
            self.spins[name].setValue(value)
        self.compliance.setCurrentIndex(max(self.compliance.findData(compliance), 0))

    def values(self) -> dict[str, object]:
        """The service's keyword arguments: degree, scale, frequency, compliance."""
        result: dict[str, object] = {name: spin.value() for name, spin in self.spins.items()}
        result["compliance"] = self.compliance.currentData()
        return result

    def rating(self) -> Rating:
        v = self.values()
        return risk.rate(v["degree"], v["scale"], v["frequency"], v["compliance"], self.config)

    def _update(self) -> None:
        rating = self.rating()
        color = risk.band_color(rating.band, self.config)
        self.band.setText(self.fmt.band(rating.band))
        self.band.setStyleSheet(f"background: {color}; color: {_text_color(color).name()};"
                                " border-radius: 4px; padding: 4px 10px; font-weight: bold;")
        self.score.setText(tr("ui.risk.score", score=self.fmt.score(rating.score),
                              severity=rating.severity,
                              likelihood=rating.likelihood))
        self.grid.set_highlight((rating.severity, rating.likelihood))
        self.changed.emit()
