"""LinkItem (a routed arrow) and the transient overlays of gestures."""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QPointF, Qt
from PySide6.QtGui import QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsLineItem, QGraphicsPathItem

from app.canvas import theme
from app.model.layout import LinkRoute

ARROW = 7.0


def route_path(points: tuple[tuple[float, float], ...]) -> QPainterPath:
    """The polyline with rounded elbows and an open arrowhead at the target."""
    path = QPainterPath()
    if len(points) < 2:
        return path
    path.moveTo(*points[0])
    radius = 6.0
    for i in range(1, len(points) - 1):
        (ax, ay), (bx, by), (cx, cy) = points[i - 1], points[i], points[i + 1]
        # routes are orthogonal: segment lengths are plain differences
        d1 = abs(bx - ax) + abs(by - ay)
        d2 = abs(cx - bx) + abs(cy - by)
        r = min(radius, d1 / 2, d2 / 2)
        if r < 0.5:
            path.lineTo(bx, by)
            continue
        path.lineTo(bx - (bx - ax) / d1 * r, by - (by - ay) / d1 * r)
        path.quadTo(bx, by, bx + (cx - bx) / d2 * r, by + (cy - by) / d2 * r)
    (px, py), (ex, ey) = points[-2], points[-1]
    path.lineTo(ex, ey)
    angle = math.atan2(ey - py, ex - px)
    for side in (-1, 1):
        a = angle + math.pi - side * 0.45
        path.moveTo(ex + ARROW * math.cos(a), ey + ARROW * math.sin(a))
        path.lineTo(ex, ey)
    return path


class LinkItem(QGraphicsPathItem):
    """A link drawn along its route; hand-offs dashed orange, supports green, flow grey."""

    entity_type = "link"

    _hit: QPainterPath | None = None

    def __init__(self, route: LinkRoute) -> None:
        super().__init__()
        self.id = route.id
        self.route = route
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setZValue(5)
        self._apply(route)

    def shape(self) -> QPainterPath:
        """A band a few pixels wide around the line, so it can be clicked."""
        if self._hit is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(8)
            self._hit = stroker.createStroke(self.path())
        return self._hit

    def _apply(self, route: LinkRoute) -> None:
        self._hit = None
        self.setPath(route_path(route.points))
        self.setPen(theme.link_pen(route.kind, selected=self.isSelected()))
        tip = {"handoff": "Hand-off", "supports": "Supports", "triggers": "Triggers"}.get(
            route.kind, "Flow"
        )
        self.setToolTip(f"{tip}: {route.label}" if route.label else tip)

    def set_route(self, route: LinkRoute) -> None:
        self.route = route
        self._apply(route)

    def show_selected(self, selected: bool) -> None:
        """Restyle for the selection (the scene calls this; an itemChange override would
        make PySide return None to Qt, which corrupts its refcounts at exit)."""
        self.setPen(theme.link_pen(self.route.kind, selected=selected))
        self.setZValue(8 if selected else 5)


class LinkPreviewItem(QGraphicsLineItem):
    """The rubber line while dragging a new link from a card's handle."""

    def __init__(self, start: QPointF) -> None:
        super().__init__(QLineF(start, start))
        pen = QPen(theme.SELECTION, 2, Qt.PenStyle.DashLine)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.setPen(pen)
        self.setZValue(200)


class DropIndicatorItem(QGraphicsLineItem):
    """The bar that shows where dragged cards will land."""

    def __init__(self) -> None:
        super().__init__()
        pen = QPen(theme.SELECTION, 3)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.setPen(pen)
        self.setZValue(200)
        self.hide()
