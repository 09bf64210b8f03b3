"""The DejaVu fonts every report is set in, registered with ReportLab once per process.

PDFs are records an auditor may archive, so every glyph comes from an embedded font: the
TTFs ship in resources/fonts (the same files on every workstation), and no style, table or
canvas may fall back to ReportLab's base-14 Helvetica, which is neither embedded nor able to
show Cyrillic. Callers use the names below, never a font file.
"""

from __future__ import annotations

import threading
from importlib import resources
from typing import Any
from weakref import WeakKeyDictionary

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
SANS_ITALIC = "DejaVuSans-Oblique"
MONO = "DejaVuSansMono"

_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SANS_ITALIC: "DejaVuSans-Oblique.ttf",
    MONO: "DejaVuSansMono.ttf",
}
_SPLIT_MEMO_MAX = 5_000  # strings per document whose subset encoding a font keeps
_SPLIT_MEMO_CHARS = 60  # longer strings (a paragraph's lines) seldom repeat


class _Font(TTFont):  # type: ignore[misc]
    """A TTFont that encodes each string into its font subsets once per document.

    ReportLab maps text to subset codes character by character every time it draws it, and
    a report draws the same words thousands of times. A character keeps the code it was
    first given for the whole document, so the first answer stays the right one."""

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        self._split_memo: WeakKeyDictionary[Any, dict[str, list[tuple[int, bytes]]]] = \
            WeakKeyDictionary()

    def splitString(self, text: str, doc: Any, encoding: str = "utf-8"
                    ) -> list[tuple[int, bytes]]:
        if len(text) > _SPLIT_MEMO_CHARS:
            return super().splitString(text, doc, encoding)
        memo = self._split_memo.get(doc)
        if memo is None:
            memo = self._split_memo[doc] = {}
        parts = memo.get(text)
        if parts is None:
            if len(memo) >= _SPLIT_MEMO_MAX:
                memo.clear()
            parts = memo[text] = super().splitString(text, doc, encoding)
        return parts


_lock = threading.Lock()
_registered = False


def register() -> None:
    """Register the fonts and the <b>/<i> family mapping; cheap after the first call."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        folder = resources.files("resources").joinpath("fonts")
        for name, filename in _FILES.items():
            # as_file gives a real path even from a zipped install; TTFont reads the whole
            # file while constructing, so the path need not outlive the block.
            with resources.as_file(folder.joinpath(filename)) as path:
                pdfmetrics.registerFont(_Font(name, str(path)))
        # DejaVu has no bold-oblique in the bundle: <b><i> text is set in bold.
        for bold, italic, face in ((0, 0, SANS), (1, 0, SANS_BOLD), (0, 1, SANS_ITALIC),
                                   (1, 1, SANS_BOLD)):
            addMapping(SANS, bold, italic, face)
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(MONO, bold, italic, MONO)
        _registered = True
