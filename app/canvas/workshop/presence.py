"""Other participants on the board: their cursors with name labels and their selections.

``PresenceLayer`` owns one RemoteCursorItem and one RemoteSelectionItem per participant in
one scene, and updates them from presence messages; ``PresenceTracker`` watches the local
view (mouse, selection, visible rectangle) and reports it for sending. Presence is never
stored: it is plain values from the wire turned into items here.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.canvas import theme
from app.canvas.scene import BoardScene
from app.canvas.view import BoardView

#: colours given to participants who did not pick one (distinct on white and on cards)
PALETTE = (
    "#E03131",
    "#1971C2",
    "#2F9E44",
    "#F08C00",
    "#9C36B5",
    "#0C8599",
    "#C2255C",
    "#5C940D",
)
CURSOR_Z = 500
SELECTION_Z = 30  # above cards (10) and the analysis overlay (20), under pinned headers


def participant_color(color: str, key: str) -> QColor:
    """The participant's colour, or a stable one from the palette for those without."""
    if color:
        c = QColor(color)
        if c.isValid():
            return c
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return QColor(PALETTE[digest[0] % len(PALETTE)])


def _text_color(background: QColor) -> QColor:
    return QColor("#111111") if background.lightnessF() > 0.62 else QColor("#FFFFFF")


class RemoteCursorItem(QGraphicsItem):
    """A participant's pointer: an arrow and a name tag in their colour, the same size at
    every zoom."""

    def __init__(self, name: str, color: QColor) -> None:
        super().__init__()
        self.name = name
        self.color = color
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(CURSOR_Z)
        self._font = theme.font(11, bold=True)
        self._measure()

    def _measure(self) -> None:
        metrics = QFontMetricsF(self._font)
        self._label = QRectF(
            12, 16, metrics.horizontalAdvance(self.name) + 14, metrics.height() + 6
        )

    def set_identity(self, name: str, color: QColor) -> None:
        if (name, color) != (self.name, self.color):
            self.prepareGeometryChange()
            self.name, self.color = name, color
            self._measure()
            self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -2, 16, 22).united(self._label).adjusted(-2, -2, 2, 2)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        arrow = QPolygonF(
            [
                QPointF(0, 0),
                QPointF(0, 17),
                QPointF(4.5, 13),
                QPointF(8, 20),
                QPointF(10.5, 19),
                QPointF(7.2, 12),
                QPointF(12.5, 12),
            ]
        )
        painter.setPen(QPen(QColor("#FFFFFF"), 1.4))
        painter.setBrush(self.color)
        painter.drawPolygon(arrow)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(self._label, 4, 4)
        painter.setPen(_text_color(self.color))
        painter.setFont(self._font)
        painter.drawText(self._label, Qt.AlignmentFlag.AlignCenter, self.name)


class RemoteSelectionItem(QGraphicsItem):
    """Outlines, in the participant's colour, around the cards they have selected."""

    def __init__(self, scene: BoardScene, name: str, color: QColor) -> None:
        super().__init__()
        self.board = scene
        self.name = name
        self.color = color
        self.ids: list[str] = []
        self._rects: list[QRectF] = []
        self._bounds = QRectF()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(SELECTION_Z)
        self._font = theme.font(10, bold=True)

    def set_identity(self, name: str, color: QColor) -> None:
        self.name, self.color = name, color
        self.update()

    def set_selection(self, ids: list[str]) -> None:
        self.ids = list(ids)
        self.relayout()

    def relayout(self) -> None:
        """Follow the cards' boxes (after an edit moved them)."""
        rects = []
        for cid in self.ids:
            item = self.board.cards.get(cid)
            if item is not None:
                rects.append(item.sceneBoundingRect().adjusted(-4, -4, 4, 4))
        bounds = QRectF()
        for r in rects:
            bounds = bounds.united(r.adjusted(-2, -18, 2, 2))
        self.prepareGeometryChange()
        self._rects, self._bounds = rects, bounds
        self.update()

    def outlined(self) -> list[QRectF]:
        return list(self._rects)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return QPainterPath()  # never in the way of a click

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if not self._rects:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(self.color, 3)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for r in self._rects:
            painter.drawRoundedRect(r, 9, 9)
        first = self._rects[0]
        metrics = QFontMetricsF(self._font)
        tag = QRectF(first.x() + 6, first.y() - 15, metrics.horizontalAdvance(self.name) + 10, 15)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.color)
        painter.drawRoundedRect(tag, 3, 3)
        painter.setPen(_text_color(self.color))
        painter.setFont(self._font)
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, self.name)


class PresenceLayer(QObject):
    """The other participants' cursors and selections in one scene."""

    def __init__(self, scene: BoardScene) -> None:
        super().__init__(scene)
        self.scene = scene
        self.cursors: dict[str, RemoteCursorItem] = {}
        self.selections: dict[str, RemoteSelectionItem] = {}
        scene.board_changed.connect(self._board_changed)

    def show(
        self,
        participant: str,
        name: str,
        color: QColor,
        cursor: tuple[float, float] | None,
        selection: list[str],
    ) -> None:
        """Show where one participant points and what they have selected."""
        pointer = self.cursors.get(participant)
        if cursor is None:
            if pointer is not None:
                pointer.hide()
        else:
            if pointer is None:
                pointer = self.cursors[participant] = RemoteCursorItem(name, color)
                self.scene.addItem(pointer)
            pointer.set_identity(name, color)
            pointer.setPos(cursor[0], cursor[1])
            pointer.show()
        outline = self.selections.get(participant)
        if outline is None:
            outline = self.selections[participant] = RemoteSelectionItem(self.scene, name, color)
            self.scene.addItem(outline)
        if (outline.name, outline.color) != (name, color):
            outline.set_identity(name, color)
        if outline.ids != selection:  # most messages only move the cursor
            outline.set_selection(selection)

    def remove(self, participant: str) -> None:
        for items in (self.cursors, self.selections):
            item = items.pop(participant, None)
            if item is not None and item.scene() is self.scene:
                self.scene.removeItem(item)

    def keep_only(self, participants: set[str]) -> None:
        for pid in set(self.cursors) | set(self.selections):
            if pid not in participants:
                self.remove(pid)

    def clear(self) -> None:
        self.keep_only(set())

    def _board_changed(self, _origin: str) -> None:
        for outline in self.selections.values():
            if outline.ids:
                outline.relayout()


class PresenceTracker(QObject):
    """Watches the local view and reports (cursor, selection, viewport) when they change."""

    def __init__(
        self,
        view: BoardView,
        report: Callable[[tuple[float, float] | None, list[str], dict[str, float]], None],
    ) -> None:
        super().__init__(view)
        self.view = view
        self.report = report
        self.cursor: tuple[float, float] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(30)
        self._timer.timeout.connect(self.send)
        view.viewport().setMouseTracking(True)
        view.viewport().installEventFilter(self)
        view.viewport_moved.connect(self._timer.start)
        view.board.selectionChanged.connect(self._timer.start)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            pos = self.view.mapToScene(event.position().toPoint())
            self.cursor = (round(pos.x(), 1), round(pos.y(), 1))
            self._timer.start()
        elif kind == QEvent.Type.Leave:
            self.cursor = None
            self._timer.start()
        return False

    def selection(self) -> list[str]:
        try:
            return self.view.board.selected_ids("card")
        except RuntimeError:  # the scene is closing
            return []

    def viewport(self) -> dict[str, float]:
        r = self.view.visible_scene_rect()
        return {
            "x": r.x(),
            "y": r.y(),
            "width": max(0.0, r.width()),
            "height": max(0.0, r.height()),
        }

    def send(self) -> None:
        self.report(self.cursor, self.selection(), self.viewport())

    def detach(self) -> None:
        self._timer.stop()
        with contextlib.suppress(RuntimeError):
            self.view.viewport().removeEventFilter(self)


def follow_viewport(view: BoardView, rect: dict[str, float]) -> None:
    """Show the scene rectangle another participant sees, fitted to this view."""
    width, height = rect.get("width", 0.0), rect.get("height", 0.0)
    if width <= 1 or height <= 1:
        return
    vp = view.viewport().size()
    factor = min(vp.width() / width, vp.height() / height)
    if abs(factor - view.zoom()) > 0.005:
        view.set_zoom(factor)
    view.centerOn(QPointF(rect["x"] + width / 2, rect["y"] + height / 2))
