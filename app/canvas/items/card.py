"""CardItem: one card drawn as a note, coloured by its lane kind."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.canvas import theme
from app.model.layout import EMOTION_DOT_X, CardBox, LayoutOptions

HANDLE_RADIUS = 5.5
_OPT = LayoutOptions()


def _shape_path(box: CardBox) -> QPainterPath:
    """The outline: a rounded note, a hexagon for decisions, an arrow for hand-offs."""
    w, h = box.w, box.h
    path = QPainterPath()
    if box.lane_kind == "emotions":
        path.addRoundedRect(QRectF(0, 0, w, h), h / 2.6, h / 2.6)
    elif box.kind == "decision":
        d = min(10.0, h / 3)
        path.addPolygon(
            QPolygonF(
                [
                    QPointF(d, 0),
                    QPointF(w - d, 0),
                    QPointF(w, h / 2),
                    QPointF(w - d, h),
                    QPointF(d, h),
                    QPointF(0, h / 2),
                ]
            )
        )
        path.closeSubpath()
    elif box.kind == "handoff":
        d = min(12.0, h / 3)
        path.addPolygon(
            QPolygonF(
                [
                    QPointF(0, 0),
                    QPointF(w - d, 0),
                    QPointF(w, h / 2),
                    QPointF(w - d, h),
                    QPointF(0, h),
                    QPointF(0, 0),
                ]
            )
        )
        path.closeSubpath()
    else:
        path.addRoundedRect(QRectF(0, 0, w, h), 6, 6)
    return path


class CardItem(QGraphicsItem):
    """A card at its layout box; paints pre-wrapped lines, never lays text out itself."""

    entity_type = "card"

    def __init__(self, box: CardBox) -> None:
        super().__init__()
        self.id = box.id
        self.box = box
        self.highlighted = False
        self.hovered = False
        self._shape: QPainterPath | None = None  # made on first use: most cards are never hit
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setAcceptHoverEvents(True)
        self.setZValue(10)
        self.setPos(box.x, box.y)

    @property
    def _path(self) -> QPainterPath:
        if self._shape is None:
            self._shape = _shape_path(self.box)
        return self._shape

    # -- model -> item ----------------------------------------------------------------------

    def set_box(self, box: CardBox) -> None:
        """Take a new layout box: move, and repaint if what it shows changed."""
        old = self.box
        if (old.w, old.h, old.kind, old.lane_kind) != (box.w, box.h, box.kind, box.lane_kind):
            self.prepareGeometryChange()
            self._shape = None
        self.box = box
        if (old.x, old.y) != (box.x, box.y):
            self.setPos(box.x, box.y)
        self.update()

    def set_highlighted(self, on: bool) -> None:
        if on != self.highlighted:
            self.highlighted = on
            self.update()

    # -- geometry ---------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return QRectF(-4, -4, self.box.w + 8 + HANDLE_RADIUS, self.box.h + 8)

    def shape(self) -> QPainterPath:
        return self._path

    def handle_pos(self) -> QPointF:
        """Where the link handle sits, in item coordinates (middle of the right edge)."""
        return QPointF(self.box.w, self.box.h / 2)

    def on_handle(self, scene_pos: QPointF) -> bool:
        p = self.mapFromScene(scene_pos) - self.handle_pos()
        return (p.x() * p.x() + p.y() * p.y()) <= (HANDLE_RADIUS + 3) ** 2

    def hoverEnterEvent(self, event: object) -> None:  # noqa: D102
        self.hovered = True
        self.setToolTip(" ".join(self.box.lines))  # here, not at creation: 5,000 cards add up
        self.update()

    def hoverLeaveEvent(self, event: object) -> None:  # noqa: D102
        self.hovered = False
        self.update()

    # -- painting ---------------------------------------------------------------------------

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        box = self.box
        lod = painter.worldTransform().m11()
        fill, accent = theme.card_colors(box.lane_kind, box.color)
        selected = self.isSelected()
        if lod < 0.22:
            # far away: a coloured block is all the eye can take in
            painter.fillRect(QRectF(0, 0, box.w, box.h), accent if selected else fill)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod >= 0.5)
        painter.setPen(Qt.PenStyle.NoPen)
        if lod >= 0.5:
            painter.setBrush(theme.color("#0F172A", 22))
            painter.drawPath(self._path.translated(0, 1.5))
        painter.setBrush(fill)
        if self.highlighted:
            painter.setPen(QPen(theme.FIND_HIGHLIGHT, 3))
        elif selected:
            painter.setPen(QPen(theme.SELECTION, 2))
        else:
            painter.setPen(QPen(theme.border_color(accent.name()), 1))
        painter.drawPath(self._path)
        emotions = box.lane_kind == "emotions"
        if emotions:
            self._paint_sentiment(painter)
        elif box.kind in ("note", "step"):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(accent)
            painter.drawRoundedRect(QRectF(0, 0, 4, box.h), 2, 2)
        if lod < 0.42:
            self._paint_text_bars(painter)
        else:
            self._paint_text(painter, emotions)
        if lod >= 0.42 and (self.hovered or selected):
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(theme.BOARD_BG, 1.5))
            painter.setBrush(theme.SELECTION)
            painter.drawEllipse(self.handle_pos(), HANDLE_RADIUS, HANDLE_RADIUS)

    def _paint_sentiment(self, painter: QPainter) -> None:
        box = self.box
        s = box.sentiment if box.sentiment is not None else 0
        r = 6.0
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.color(theme.SENTIMENT_COLORS[s]))
        painter.drawEllipse(QPointF(EMOTION_DOT_X, box.h / 2), r, r)

    def _paint_text_bars(self, painter: QPainter) -> None:
        """Grey bars where the lines are: readable shape at small zoom, no text cost."""
        box = self.box
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.TEXT_BAR)
        x = 22.0 if box.lane_kind == "emotions" else _OPT.card_padding + 2
        y = _OPT.card_padding + 4
        for line in box.lines[:3]:
            width = min(box.w - x - 6, len(line) * 6.2)
            painter.drawRect(QRectF(x, y, width, 6))
            y += _OPT.title_line_height

    def _paint_text(self, painter: QPainter, emotions: bool) -> None:
        box = self.box
        pad = _OPT.card_padding
        painter.setFont(theme.font(_OPT.title_size))
        painter.setPen(theme.INK_COLOR)
        lh = _OPT.title_line_height
        if emotions:
            x = 22.0
            y = (box.h - len(box.lines) * lh) / 2 + lh - 4
        else:
            x = pad + (8 if box.kind == "decision" else 2)
            y = pad + lh - 4
        for line in box.lines:
            painter.drawText(QPointF(x, y), line)
            y += lh
        if emotions:
            return
        if box.footer or box.votes:
            fy = box.h - 8
            if box.footer:
                painter.setFont(theme.font(_OPT.footer_size))
                painter.setPen(theme.MUTED_COLOR)
                painter.drawText(QPointF(x, fy), box.footer)
            if box.votes:
                self._paint_votes(painter, fy - 3.5)
        if box.kind == "decision":
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            _fill, accent = theme.card_colors(box.lane_kind)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(accent)
            cx, cy, r = box.w - 20, 11.0, 5.0
            painter.drawPolygon(
                QPolygonF(
                    [
                        QPointF(cx, cy - r),
                        QPointF(cx + r, cy),
                        QPointF(cx, cy + r),
                        QPointF(cx - r, cy),
                    ]
                )
            )

    def _paint_votes(self, painter: QPainter, cy: float) -> None:
        box = self.box
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        shown = min(box.votes, 5)
        x = box.w - 12 - (shown - 1) * 9 - (14 if box.votes > 5 else 0)
        painter.setPen(QPen(theme.BOARD_BG, 1))
        painter.setBrush(theme.VOTE_DOT)
        for i in range(shown):
            painter.drawEllipse(QPointF(x + i * 9, cy), 4, 4)
        if box.votes > 5:
            painter.setFont(theme.font(9, bold=True))
            painter.setPen(theme.MUTED_COLOR)
            painter.drawText(QPointF(x + shown * 9 - 2, cy + 3.5), f"+{box.votes - 5}")
