"""AnalysisOverlayItem: the analysis and a metric's heat drawn over the board's cards.

One item for the whole board (a 5,000-card board would not want 5,000 more items): it reads
card boxes from the layout at paint time and draws only what the view exposes. It never
catches the mouse, so gestures on the cards under it work as before. The critical path's
line is drawn by a companion item under the cards (``add_to(scene)`` adds both), which
follows the overlay's visibility.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsScene,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app.canvas import theme
from app.model.analysis import Analysis
from app.model.layout import BoardLayout, CardBox

#: the marks the overlay can draw: kind -> (colour, legend text)
MARKS: dict[str, tuple[str, str]] = {
    "critical_path": ("#1971C2", "critical path"),
    "bottlenecks": ("#F08C00", "bottleneck"),
    "unsupported_touchpoints": ("#E03131", "nothing behind it"),
    "orphan_backstage": ("#7048E8", "never reaches the customer"),
}
#: the heat ramp, from the lowest latest value to the highest
HEAT_LOW = QColor("#FFF3BF")
HEAT_HIGH = QColor("#E8590C")
Z_VALUE = 20  # above cards (10) and links (5), below the pinned headers and labels (40+)
PATH_Z_VALUE = 8  # the critical path's line runs between the cards, under their text


def heat_color(fraction: float, alpha: int = 150) -> QColor:
    """The heat colour of a value placed between the lowest (0) and the highest (1)."""
    f = min(1.0, max(0.0, fraction))
    c = QColor(
        round(HEAT_LOW.red() + (HEAT_HIGH.red() - HEAT_LOW.red()) * f),
        round(HEAT_LOW.green() + (HEAT_HIGH.green() - HEAT_LOW.green()) * f),
        round(HEAT_LOW.blue() + (HEAT_HIGH.blue() - HEAT_LOW.blue()) * f),
    )
    c.setAlpha(alpha)
    return c


class _PathLineItem(QGraphicsItem):
    """The critical path as one line through its cards' centres, under the cards."""

    def __init__(self, overlay: AnalysisOverlayItem) -> None:
        super().__init__()
        self._overlay = overlay
        self.setZValue(PATH_Z_VALUE)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def boundingRect(self) -> QRectF:
        return self._overlay.boundingRect()

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        boxes = self._overlay.path_boxes()
        if len(boxes) < 2:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(theme.color(MARKS["critical_path"][0], 170), 6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolyline(QPolygonF([_rect(b).center() for b in boxes]))


class AnalysisOverlayItem(QGraphicsObject):
    """Marks findings (critical path, bottlenecks, gaps) and colours cards by a metric."""

    def __init__(self, layout: BoardLayout | None = None) -> None:
        super().__init__()
        self._layout = layout
        self._analysis: Analysis | None = None
        self._shown: frozenset[str] = frozenset(MARKS)
        self._marks: dict[str, list[str]] = {}  # card id -> kinds, in MARKS order
        self._heat: dict[str, tuple[float, str]] = {}  # card or stage id -> (fraction, label)
        self._marks_on = True
        self.setZValue(Z_VALUE)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.path_line = _PathLineItem(self)

    def add_to(self, scene: QGraphicsScene) -> None:
        """Put the overlay and its path line into a scene."""
        scene.addItem(self)
        scene.addItem(self.path_line)

    def remove_from(self, scene: QGraphicsScene) -> None:
        scene.removeItem(self.path_line)
        scene.removeItem(self)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        """Keep the path line exactly as visible as the overlay."""
        if change == QGraphicsItem.GraphicsItemChange.ItemVisibleHasChanged:
            self.path_line.setVisible(bool(value) and self._marks_on)
        # returning the value unchanged; handing scene pointers back through
        # super().itemChange crashes PySide6 on ItemSceneChange
        return value

    # -- what to draw ------------------------------------------------------------------------

    def set_layout(self, layout: BoardLayout) -> None:
        """Follow the board's layout (call after the scene changed or rebuilt it)."""
        self.prepareGeometryChange()
        self.path_line.prepareGeometryChange()
        self._layout = layout
        self.update()
        self.path_line.update()

    def set_analysis(self, analysis: Analysis | None) -> None:
        """Draw the findings of a (new) analysis; None clears them."""
        self._analysis = analysis
        self._remark()

    def set_shown(self, kinds: Iterable[str]) -> None:
        """Which kinds of marks to draw (keys of MARKS); the others are hidden."""
        self._shown = frozenset(kinds) & frozenset(MARKS)
        self._remark()

    def set_marks_visible(self, on: bool) -> None:
        """Show or hide the findings' marks and the critical path's line; a metric's heat
        stays (it has its own switch: the metric chosen, or none)."""
        self._marks_on = on
        self.path_line.setVisible(on and self.isVisible())
        self._remark()

    def marks_visible(self) -> bool:
        return self._marks_on

    def set_heat(self, heat: Mapping[str, tuple[float, str]] | None) -> None:
        """Colour cards (and label stages) by a metric: id -> (0..1 on the scale, text)."""
        self._heat = dict(heat or {})
        self.update()

    def marks(self) -> dict[str, list[str]]:
        """The marks drawn now: card id -> kinds (what a user sees on each card)."""
        return {cid: list(kinds) for cid, kinds in self._marks.items()}

    def heat(self) -> dict[str, tuple[float, str]]:
        return dict(self._heat)

    def path_boxes(self) -> list[CardBox]:
        """The boxes of the critical path's cards, when the critical path is shown."""
        if self._layout is None or self._analysis is None or "critical_path" not in self._shown:
            return []
        boxes = self._layout.cards
        return [boxes[c] for c in self._analysis.critical_path.cards if c in boxes]

    def _remark(self) -> None:
        marks: dict[str, list[str]] = {}
        a = self._analysis
        if a is not None and self._marks_on:
            groups = {
                "critical_path": a.critical_path.cards,
                "bottlenecks": [b.card for b in a.bottlenecks],
                "unsupported_touchpoints": a.unsupported_touchpoints,
                "orphan_backstage": a.orphan_backstage,
            }
            for kind in MARKS:
                if kind in self._shown:
                    for cid in groups[kind]:
                        marks.setdefault(cid, []).append(kind)
        self._marks = marks
        self.update()
        self.path_line.update()

    # -- geometry ----------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        lay = self._layout
        if lay is None:
            return QRectF()
        return QRectF(-8, -8, lay.width + 16, lay.height + 16)

    def shape(self) -> QPainterPath:
        return QPainterPath()  # nothing to hit: clicks go to the cards underneath

    # -- painting ----------------------------------------------------------------------------

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lay = self._layout
        if lay is None:
            return
        exposed = option.exposedRect.adjusted(-12, -12, 12, 12)  # type: ignore[attr-defined]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        boxes = lay.cards
        for cid, (fraction, label) in self._heat.items():
            box = boxes.get(cid)
            if box is not None and exposed.intersects(_rect(box)):
                self._paint_heat(painter, box, fraction, label)
        self._paint_stage_values(painter, lay)
        for cid, kinds in self._marks.items():
            box = boxes.get(cid)
            if box is not None and exposed.intersects(_rect(box)):
                self._paint_marks(painter, box, kinds)

    def _paint_heat(self, painter: QPainter, box: CardBox, fraction: float, label: str) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(heat_color(fraction, 95)))
        painter.drawRoundedRect(_rect(box), 6, 6)
        _pill(painter, QPointF(box.x + box.w - 4, box.y - 7), label, heat_color(fraction, 255))

    def _paint_stage_values(self, painter: QPainter, lay: BoardLayout) -> None:
        for stage in lay.stages:
            if stage.id in self._heat:
                fraction, label = self._heat[stage.id]
                anchor = QPointF(stage.x + stage.width / 2 + 40, lay.header_height + 4)
                _pill(painter, anchor, label, heat_color(fraction, 255))

    def _paint_marks(self, painter: QPainter, box: CardBox, kinds: list[str]) -> None:
        rect = _rect(box)
        for i, kind in enumerate(kinds):
            pen = QPen(theme.color(MARKS[kind][0]), 3.0)
            if kind in ("unsupported_touchpoints", "orphan_backstage"):
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            grow = 3.0 + 4.0 * i  # several marks nest around the card
            painter.drawRoundedRect(rect.adjusted(-grow, -grow, grow, grow), 7 + i * 2, 7 + i * 2)
        # one dot per kind on the top-left corner, readable from the back of a room
        for i, kind in enumerate(kinds):
            painter.setPen(QPen(theme.color("#FFFFFF"), 1.5))
            painter.setBrush(QBrush(theme.color(MARKS[kind][0])))
            painter.drawEllipse(QPointF(box.x + 8 + i * 13, box.y - 1), 5.5, 5.5)


def _rect(box: CardBox) -> QRectF:
    return QRectF(box.x, box.y, box.w, box.h)


def _pill(painter: QPainter, top_right: QPointF, text: str, fill: QColor) -> None:
    """A small rounded label whose top-right corner is at ``top_right``."""
    font = theme.font(10, bold=True)
    painter.setFont(font)
    width = painter.fontMetrics().horizontalAdvance(text) + 10
    rect = QRectF(top_right.x() - width, top_right.y(), width, 15)
    painter.setPen(QPen(theme.color("#FFFFFF"), 1))
    painter.setBrush(QBrush(fill))
    painter.drawRoundedRect(rect, 7, 7)
    painter.setPen(theme.INK_COLOR)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
