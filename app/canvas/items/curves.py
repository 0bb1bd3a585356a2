"""The blueprint's separator lines and the emotion curve."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.canvas import theme
from app.model.layout import BoardLayout, EmotionCurve, LaneBand, SeparatorLine

LINE_COLORS = {"interaction": "#1971C2", "visibility": "#0B7285", "internal": "#5C677D"}


class VisibilityLineItem(QGraphicsItem):
    """A labelled dashed separator (line of interaction, visibility, internal interaction)."""

    def __init__(self, line: SeparatorLine, label_x: float) -> None:
        super().__init__()
        self.setZValue(6)
        self.line = line
        self.label_x = label_x

    def boundingRect(self) -> QRectF:
        return QRectF(self.line.x0, self.line.y - 10, self.line.x1 - self.line.x0, 20)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        line = self.line
        c = theme.color(LINE_COLORS.get(line.name, "#5C677D"))
        pen = QPen(c, 1.6, Qt.PenStyle.CustomDashLine)
        pen.setDashPattern([6, 4])
        pen.setCosmetic(painter.worldTransform().m11() < 0.5)
        painter.setPen(pen)
        painter.drawLine(QPointF(self.label_x, line.y), QPointF(line.x1, line.y))


class SeparatorChipItem(QGraphicsItem):
    """The name of a separator line, in the pinned label column where no card sits."""

    def __init__(self, line: SeparatorLine, x: float, width: float) -> None:
        super().__init__()
        self.line = line
        self._rect = QRectF(x, line.y - 8, width, 16)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if painter.worldTransform().m11() < 0.3:
            return
        c = theme.color(LINE_COLORS.get(self.line.name, "#5C677D"))
        painter.setFont(theme.font(8.5, bold=True))
        text = self.line.label.upper()
        w = min(self._rect.width(), painter.fontMetrics().horizontalAdvance(text) + 14)
        chip = QRectF(self._rect.right() - w, self._rect.top(), w, 16)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(c, 1.6, Qt.PenStyle.CustomDashLine)
        pen.setDashPattern([6, 4])
        painter.setPen(pen)
        painter.drawLine(QPointF(self._rect.left(), self.line.y), QPointF(chip.left(), self.line.y))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c)
        painter.drawRoundedRect(chip, 8, 8)
        painter.setPen(theme.BOARD_BG)
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)


def smooth_path(points: list[QPointF]) -> QPainterPath:
    """A Catmull-Rom curve through the points, as cubic Béziers."""
    path = QPainterPath()
    if not points:
        return path
    path.moveTo(points[0])
    for i in range(len(points) - 1):
        p0 = points[i - 1] if i > 0 else points[i]
        p1, p2 = points[i], points[i + 1]
        p3 = points[i + 2] if i + 2 < len(points) else p2
        c1 = p1 + (p2 - p0) / 6
        c2 = p2 - (p3 - p1) / 6
        path.cubicTo(c1, c2, p2)
    return path


class EmotionCurveItem(QGraphicsItem):
    """The customer's feelings across the stages, with faint guides at +2, 0 and -2."""

    def __init__(self, curve: EmotionCurve, lane: LaneBand, layout: BoardLayout) -> None:
        super().__init__()
        self.setZValue(7)
        self.curve = curve
        o = layout.options
        self._rect = QRectF(
            layout.label_width, lane.y, layout.width - o.margin - layout.label_width, lane.height
        )
        span = lane.height - 2 * o.cell_padding - o.emotion_chip_height
        top = lane.y + o.cell_padding + o.emotion_chip_height / 2
        self._guides = [(s, top + (2 - s) / 4 * span) for s in (2, 0, -2)]
        pts = [QPointF(p.x, p.y) for p in curve.points]
        self._path = smooth_path(pts)
        self._points = pts

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        r = self._rect
        guide = QPen(theme.color("#D6336C", 50), 1, Qt.PenStyle.DotLine)
        guide.setCosmetic(True)
        painter.setPen(guide)
        for _s, y in self._guides:
            painter.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(theme.color("#D6336C", 170), 3)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        if painter.worldTransform().m11() >= 0.3:
            painter.setFont(theme.font(9, bold=True))
            painter.setPen(theme.color("#D6336C", 140))
            for s, y in self._guides:
                painter.drawText(QPointF(r.left() + 4, y - 3), f"{s:+d}" if s else "0")
