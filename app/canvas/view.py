"""BoardView (zoom about the cursor, pan, fit, 100 %) and the minimap."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from app.canvas.scene import BoardScene

MIN_ZOOM = 0.05
MAX_ZOOM = 4.0
#: the smallest zoom a board opens at: card titles at about 9 px, readable on a laptop and
#: from the back of a room on a projector (cards turn to grey bars below 0.42)
START_ZOOM = 0.8


class BoardView(QGraphicsView):
    """The board on screen: Ctrl+wheel zooms about the cursor, middle button or space pans."""

    zoom_changed = Signal(float)
    viewport_moved = Signal()

    def __init__(self, scene: BoardScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.board = scene
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._panning = False
        self._space = False
        self._pan_from = QPointF()
        self.horizontalScrollBar().valueChanged.connect(self._pin)
        self.verticalScrollBar().valueChanged.connect(self._pin)
        scene.board_changed.connect(lambda _origin: self._pin())

    # -- zoom -------------------------------------------------------------------------

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``factor`` keeping the scene point under ``anchor`` (view coords) still."""
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        if anchor is None:
            anchor = QPointF(self.viewport().width() / 2, self.viewport().height() / 2)
        before = self.mapToScene(anchor.toPoint())
        self.resetTransform()
        self.scale(factor, factor)
        after = self.mapToScene(anchor.toPoint())
        delta = after - before
        self.horizontalScrollBar().setValue(
            self.horizontalScrollBar().value() - round(delta.x() * factor)
        )
        self.verticalScrollBar().setValue(
            self.verticalScrollBar().value() - round(delta.y() * factor)
        )
        self._pin()
        self.zoom_changed.emit(factor)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * 1.25)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / 1.25)

    def zoom_actual(self) -> None:
        self.set_zoom(1.0)

    def fit(self) -> None:
        """Show the whole board."""
        rect = self.board.board_rect().adjusted(-12, -12, 12, 12)
        vp = self.viewport().size()
        if rect.isEmpty() or vp.isEmpty():
            return
        factor = min(vp.width() / rect.width(), vp.height() / rect.height())
        self.resetTransform()
        self.scale(max(MIN_ZOOM, factor), max(MIN_ZOOM, factor))
        self.centerOn(rect.center())
        self._pin()
        self.zoom_changed.emit(self.zoom())

    def show_start(self) -> None:
        """How a board first appears: whole when that is readable, else its top-left corner
        (the stage headers and the first lanes) at START_ZOOM; Fit Board shows it all."""
        rect = self.board.board_rect().adjusted(-12, -12, 12, 12)
        vp = self.viewport().size()
        if rect.isEmpty() or vp.isEmpty():
            return
        if min(vp.width() / rect.width(), vp.height() / rect.height()) >= START_ZOOM:
            self.fit()
            return
        self.resetTransform()
        self.scale(START_ZOOM, START_ZOOM)
        self.centerOn(
            rect.left() + vp.width() / 2 / START_ZOOM, rect.top() + vp.height() / 2 / START_ZOOM
        )
        self._pin()
        self.zoom_changed.emit(self.zoom())

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            self.set_zoom(self.zoom() * (1.15**steps), event.position())
            event.accept()
            return
        super().wheelEvent(event)

    # -- pan --------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if (
            event.key() == Qt.Key.Key_Space
            and not event.isAutoRepeat()
            and self.board.editor
            and not self.board.editor.inline
        ):
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat() and self._space:
            self._space = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
            self._space and event.button() == Qt.MouseButton.LeftButton
        ):
            self._panning = True
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._panning:
            d = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(d.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(d.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._panning:
            self._panning = False
            if self._space:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # -- frozen panes -----------------------------------------------------------------

    def _pin(self, *_args: object) -> None:
        top_left = self.mapToScene(0, 0)
        try:
            self.board.pin(top_left.x(), top_left.y())
        except RuntimeError:  # the scene is already gone (window closing)
            return
        self.viewport_moved.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._pin()

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def show_item(self, rect: QRectF) -> None:
        """Scroll so a scene rectangle is in view, zooming in if the board is tiny on screen."""
        if self.zoom() < 0.6:
            self.set_zoom(0.9)
        self.centerOn(rect.center())
        self._pin()


class MinimapWidget(QWidget):
    """The whole board in small, with the visible part outlined; click or drag to go there."""

    def __init__(self, view: BoardView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self._image = QImage()
        self._scale = 1.0
        self._offset = QPointF()
        self.setMinimumSize(160, 100)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.rerender)
        view.board.board_changed.connect(lambda _o: self._timer.start())
        view.viewport_moved.connect(self.update)
        self._timer.start()

    def set_view(self, view: BoardView) -> None:
        self.view = view
        view.board.board_changed.connect(lambda _o: self._timer.start())
        view.viewport_moved.connect(self.update)
        self.rerender()

    def sizeHint(self) -> QSize:
        return QSize(260, 170)

    def rerender(self) -> None:
        """Draw the board into a small cached image (the board is too big to redraw live)."""
        rect = self.view.board.board_rect()
        if rect.isEmpty() or self.width() < 10:
            return
        ratio = self.devicePixelRatioF()
        scale = min(self.width() / rect.width(), self.height() / rect.height())
        w, h = max(1, int(rect.width() * scale)), max(1, int(rect.height() * scale))
        image = QImage(int(w * ratio), int(h * ratio), QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(QColor("#FFFFFF"))
        painter = QPainter(image)
        self.view.board.render(painter, QRectF(0, 0, w, h), rect)
        painter.end()
        self._image = image
        self._rendered_for = self.size()
        self._scale = scale
        self._offset = QPointF((self.width() - w) / 2, (self.height() - h) / 2)
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._timer.start()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#EEF1F5"))
        if self._image.isNull():
            return
        if getattr(self, "_rendered_for", None) != self.size():
            self._timer.start()
        painter.drawImage(self._offset, self._image)
        visible = self.view.visible_scene_rect()
        r = QRectF(
            self._offset.x() + visible.x() * self._scale,
            self._offset.y() + visible.y() * self._scale,
            visible.width() * self._scale,
            visible.height() * self._scale,
        )
        painter.setPen(QPen(QColor("#2563EB"), 1.5))
        painter.setBrush(QColor(37, 99, 235, 30))
        painter.drawRect(r)

    def _go(self, pos: QPointF) -> None:
        x = (pos.x() - self._offset.x()) / self._scale
        y = (pos.y() - self._offset.y()) / self._scale
        self.view.centerOn(QPointF(x, y))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._go(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._go(event.position())
