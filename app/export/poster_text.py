"""Text on paper: the embedded fonts, and lines that mix scripts.

DejaVu Sans prints Latin, Greek, Cyrillic, Hebrew, Arabic and most symbols; Droid Sans
Fallback prints Chinese, Japanese and Korean. A line is drawn in runs: each character in
the first of the two that has a glyph for it, so a card titled "Kick-off 打ち合わせ" prints
whole. The fallback (3 MB) is read only when a poster has text that needs it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

try:  # right-to-left scripts: letters joined (Arabic) and put in visual order
    import arabic_reshaper
    from bidi import get_display
except ImportError:  # pragma: no cover - without them RTL text prints in logical order
    arabic_reshaper = None
    get_display = None

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}
FALLBACK = "DroidSansFallback"
FALLBACK_FILE = "DroidSansFallback.ttf"

_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def is_rtl(text: str) -> bool:
    return _RTL.search(text) is not None


def visual(text: str) -> str:
    """A line of text as PDF draws it: Hebrew and Arabic reordered (and Arabic joined)."""
    if arabic_reshaper is None or not _RTL.search(text):
        return text
    return str(get_display(arabic_reshaper.reshape(text)))


def fonts_dir() -> Path:
    """resources/fonts, in a checkout or inside a PyInstaller bundle."""
    base = getattr(sys, "_MEIPASS", None)
    root = Path(base) if base else Path(__file__).resolve().parents[2]
    return root / "resources" / "fonts"


@cache
def register_fonts() -> None:
    """Register DejaVu Sans with reportlab once; subsets are embedded in every PDF."""
    for name, filename in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(fonts_dir() / filename)))


@cache
def _fallback_glyphs() -> frozenset[int]:
    """Code points the fallback font draws (empty if its file is missing)."""
    path = fonts_dir() / FALLBACK_FILE
    if not path.is_file():
        return frozenset()
    font = TTFont(FALLBACK, str(path))
    pdfmetrics.registerFont(font)
    return frozenset(font.face.charToGlyph)


@cache
def _glyphs(font: str) -> frozenset[int]:
    register_fonts()
    face = pdfmetrics.getFont(font).face  # type: ignore[attr-defined]
    return frozenset(face.charToGlyph)


@cache
def _needs_fallback(ch: str) -> bool:
    """True for a character DejaVu Sans lacks and the fallback font has."""
    cp = ord(ch)
    return cp not in _glyphs(FONT) and cp in _fallback_glyphs()


def needs_fallback(texts: Iterable[str]) -> bool:
    """Whether any of ``texts`` has a character only the fallback font prints.

    One pass over all of them: most boards are ASCII or European, and then no line has to be
    looked at on its own.
    """
    joined = "".join(texts)
    return not joined.isascii() and any(_needs_fallback(ch) for ch in set(joined))


@lru_cache(maxsize=8192)  # footers ("CSM · 2 h") and stage names repeat all over a board
def runs(text: str, font: str) -> list[tuple[str, str]]:
    """``text`` cut into (font, part) runs: the fallback font where ``font`` has no glyph."""
    if text.isascii():
        return [(font, text)]
    out: list[tuple[str, str]] = []
    start, current = 0, font
    for i, ch in enumerate(text):
        # spaces and punctuation stay in the run they are in, so runs stay long
        want = FALLBACK if _needs_fallback(ch) else (current if ch.isspace() else font)
        if want != current:
            if i > start:
                out.append((current, text[start:i]))
            start, current = i, want
    out.append((current, text[start:]))
    return out


@lru_cache(maxsize=8192)
def string_width(text: str, font: str, size: float) -> float:
    """Printed width of ``text``, fallback runs included."""
    if text.isascii():
        return pdfmetrics.stringWidth(text, font, size)
    return sum(pdfmetrics.stringWidth(part, f, size) for f, part in runs(text, font))


def text_out(t: PDFTextObject, text: str, font: str, size: float) -> None:
    """``t.textOut(text)`` in ``font`` at ``size``, switching to the fallback where needed."""
    if text.isascii():  # most text on most boards: no run to look for
        t.textOut(text)
        return
    parts = runs(text, font)
    if len(parts) == 1 and parts[0][0] == font:
        t.textOut(text)
        return
    for f, part in parts:
        t.setFont(f, size)
        t.textOut(part)
    t.setFont(font, size)


def draw_string(c: Canvas, x: float, y: float, text: str, *, anchor: str = "start") -> None:
    """``c.drawString`` in the canvas's current font, with fallback runs; ``anchor`` is
    "start", "middle" or "end" of the text at ``x``."""
    font, size = c._fontname, c._fontsize
    parts = runs(text, font)
    if len(parts) == 1 and parts[0][0] == font:
        if anchor == "middle":
            c.drawCentredString(x, y, text)
        elif anchor == "end":
            c.drawRightString(x, y, text)
        else:
            c.drawString(x, y, text)
        return
    if anchor != "start":
        width = sum(pdfmetrics.stringWidth(part, f, size) for f, part in parts)
        x -= width / 2 if anchor == "middle" else width
    t = c.beginText(x, y)
    for f, part in parts:
        t.setFont(f, size)
        t.textOut(part)
    c.drawText(t)
    c.setFont(font, size)
