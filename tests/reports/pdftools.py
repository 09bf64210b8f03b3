"""Reading a written PDF back the way an auditor's tools would: pypdf, poppler, qpdf."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: apt-get install -y poppler-utils qpdf", pytrace=False)
    return path


def page_texts(pdf: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(pdf).pages]


def full_text(pdf: Path) -> str:
    return "\n".join(page_texts(pdf))


def flat_text(pdf: Path) -> str:
    """All text with every run of whitespace as one space, so wrapped lines still match."""
    return " ".join(full_text(pdf).split())


def fonts(pdf: Path) -> list[dict[str, str]]:
    """pdffonts rows as dicts; the last five columns are emb, sub, uni, object, generation."""
    out = subprocess.run([tool("pdffonts"), str(pdf)], check=True, capture_output=True,
                         text=True).stdout
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["name", "type", "encoding", "emb"], out
    rows = []
    for line in lines[2:]:
        parts = line.split()
        rows.append({"name": parts[0], "emb": parts[-5], "line": line})
    return rows


def qpdf_check(pdf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("qpdf"), "--check", str(pdf)], capture_output=True, text=True)


def render_page(pdf: Path, page: int, out_prefix: Path,
                dpi: int = 50) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("pdftoppm"), "-r", str(dpi), "-png", "-f", str(page), "-l", str(page),
         "-singlefile", str(pdf), str(out_prefix)],
        capture_output=True, text=True,
    )
