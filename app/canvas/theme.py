"""The look of the board: fonts, colours and pens, made once and shared by every item."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPen

from app.model import palette
from app.model.palette import GRID, INK, LAYER_COLORS, LINK_COLORS, MUTED, PALETTE
from app.model.text import FALLBACK_FAMILY, FONT_FAMILY


def resources_dir() -> Path:
    """The resources/ folder, in a checkout or inside a PyInstaller bundle."""
    base = getattr(sys, "_MEIPASS", None)
    if base:
        return Path(base) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


_fonts_loaded = False


def load_fonts() -> None:
    """Register the bundled fonts: DejaVu Sans, so the screen measures text as the layout
    does, and Droid Sans Fallback for the Chinese, Japanese and Korean it lacks (the poster
    embeds the same two, so a CJK title looks alike on screen and on paper)."""
    global _fonts_loaded
    if _fonts_loaded:
        return
    _fonts_loaded = True
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DroidSansFallback.ttf"):
        path = resources_dir() / "fonts" / name
        if path.is_file():
            QFontDatabase.addApplicationFont(str(path))


@cache
def font(pixel_size: float, *, bold: bool = False) -> QFont:
    """DejaVu Sans at a pixel size (layout sizes are pixels at 100 %)."""
    f = QFont(FONT_FAMILY)
    # a glyph DejaVu Sans lacks comes from the next family, not whatever fontconfig finds
    f.setFamilies([FONT_FAMILY, FALLBACK_FAMILY])
    f.setPixelSize(max(1, round(pixel_size)))
    f.setBold(bold)
    f.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    f.setKerning(False)  # the layout's measure has no kerning either
    return f


@cache
def color(hex_code: str, alpha: int = 255) -> QColor:
    c = QColor(hex_code)
    c.setAlpha(alpha)
    return c


def card_colors(lane_kind: str, override: str = "") -> tuple[QColor, QColor]:
    """(fill, accent) of a card in a lane of this kind; a card's own colour wins for fill."""
    fill, accent = PALETTE.get(lane_kind, ("#F1F3F5", "#5C677D"))
    return color(override or fill), color(accent)


def layer_colors(layer: str) -> tuple[QColor, QColor]:
    strong, tint = LAYER_COLORS.get(layer, ("#5C677D", "#F8F9FA"))
    return color(strong), color(tint)


def _mix_with_white(c: QColor, amount: float) -> QColor:
    """``amount`` of the colour over white, as an opaque colour."""
    return QColor(
        round(c.red() * amount + 255 * (1 - amount)),
        round(c.green() * amount + 255 * (1 - amount)),
        round(c.blue() * amount + 255 * (1 - amount)),
    )


@cache
def border_color(accent: str) -> QColor:
    """A card's outline: its accent, lightened (opaque: translucent pens redraw slowly)."""
    return _mix_with_white(QColor(accent), 0.45)


@cache
def link_pen(kind: str, *, selected: bool = False) -> QPen:
    """The pen of a link kind (shared: QPen copies are cheap and implicitly shared)."""
    # a little lighter than the card accents, so the cards stay what the eye reads first;
    # blended with white here because translucent pens cost 4x the redraw time
    base = color(LINK_COLORS.get(kind, "#5C677D"))
    ink = base if selected else _mix_with_white(base, 0.72)
    pen = QPen(ink, 2.4 if selected else 1.3)
    pen.setCosmetic(False)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    if kind == "handoff":
        pen.setStyle(Qt.PenStyle.DashLine)
        pen.setWidthF(pen.widthF() + 0.4)
    elif kind == "triggers":
        pen.setStyle(Qt.PenStyle.DotLine)
    if selected:
        pen.setColor(color("#2563EB"))
    return pen


BOARD_BG = color("#FFFFFF")
CANVAS_BG = color("#EEF1F5")
INK_COLOR = color(INK)
MUTED_COLOR = color(MUTED)
GRID_COLOR = color(GRID)
SELECTION = color("#2563EB")
FIND_HIGHLIGHT = color("#FAB005")
SENTIMENT_COLORS = palette.SENTIMENT_COLORS
VOTE_DOT = color(palette.VOTE_DOT)
TEXT_BAR = QColor("#C5C9D0")
