"""Offscreen pictures of a board: PNG and SVG, for --screenshot and `cld export`."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from app.canvas import theme
from app.model.document import Document


def ensure_app() -> QApplication:
    """The running QApplication, or a new one (offscreen when there is no display)."""
    app = QApplication.instance()
    if app is None:
        if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        ):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication(sys.argv[:1])
    theme.load_fonts()
    return app  # type: ignore[return-value]


def _scene(doc: Document, layers: Iterable[str] | None):  # noqa: ANN202 - avoids a Qt import cycle
    from app.canvas.scene import BoardScene

    scene = BoardScene(doc, layers=layers)
    return scene


def render_image(
    doc: Document,
    *,
    size: tuple[int, int] | None = None,
    scale: float = 1.0,
    layers: Iterable[str] | None = None,
) -> QImage:
    """The board as an image: the whole board at ``scale``, or fitted into ``size``."""
    ensure_app()
    scene = _scene(doc, layers)
    try:
        source = scene.board_rect()
        if size is None:
            w, h = max(1, round(source.width() * scale)), max(1, round(source.height() * scale))
        else:
            w, h = size
        image = QImage(QSize(w, h), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(theme.CANVAS_BG)
        painter = QPainter(image)
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
        )
        # fit the board in the picture, centred (render() would keep it in the top-left corner)
        k = min(w / source.width(), h / source.height())
        target = QRectF(
            (w - source.width() * k) / 2,
            (h - source.height() * k) / 2,
            source.width() * k,
            source.height() * k,
        )
        scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)
        painter.end()
        return image
    finally:
        scene.close()


def save_png(
    doc: Document,
    out: Path,
    *,
    size: tuple[int, int] | None = None,
    scale: float = 1.0,
    layers: Iterable[str] | None = None,
) -> QImage:
    image = render_image(doc, size=size, scale=scale, layers=layers)
    if not image.save(str(out)):
        raise OSError(f"could not write {out}")
    return image


def save_svg(doc: Document, out: Path, *, layers: Iterable[str] | None = None) -> None:
    """The board as an SVG picture (vector shapes and text)."""
    from PySide6.QtSvg import QSvgGenerator

    ensure_app()
    scene = _scene(doc, layers)
    try:
        source = scene.board_rect()
        gen = QSvgGenerator()
        gen.setFileName(str(out))
        gen.setSize(QSize(round(source.width()), round(source.height())))
        gen.setViewBox(QRectF(0, 0, source.width(), source.height()))
        gen.setTitle(doc.name)
        gen.setDescription("Customer lifecycle design exported by CLD Desktop")
        painter = QPainter(gen)
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
        )
        scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
        painter.end()
    finally:
        scene.close()


def parse_size(text: str) -> tuple[int, int]:
    """'1600x1000' -> (1600, 1000); ValueError with a plain message otherwise."""
    try:
        w, h = (int(p) for p in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size must look like 1600x1000, not {text!r}") from None
    if not (16 <= w <= 20000 and 16 <= h <= 20000):
        raise ValueError(f"size {text!r} is out of range (16..20000 pixels each way)")
    return w, h
