"""The board's frame: background, lane bands, lane labels, layer strips, stage headers."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.canvas import theme
from app.model.layout import BoardLayout, LaneBand, LayerBand, StageColumn
from app.model.text import elide, text_width

KIND_CAPTIONS = {
    "actions": "Customer actions",
    "touchpoints": "Touchpoints",
    "emotions": "Thoughts & emotions",
    "pain_points": "Pain points",
    "opportunities": "Opportunities",
    "evidence": "Evidence",
    "customer_actions": "Customer actions",
    "frontstage": "Front stage",
    "backstage": "Back stage",
    "support": "Support processes",
    "systems": "Systems",
    "team": "Team",
}
PHASE_COLORS = {
    "acquire": "#4C6EF5",
    "onboard": "#15AABF",
    "adopt": "#40C057",
    "expand": "#FAB005",
    "renew": "#F76707",
    "custom": "#868E96",
}


class _Painted(QGraphicsItem):
    """An item with a fixed rectangle it paints itself."""

    def __init__(self, rect: QRectF) -> None:
        super().__init__()
        self._rect = rect

    def set_rect(self, rect: QRectF) -> None:
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect


class BoardBackgroundItem(_Painted):
    """The white sheet under the whole board."""

    def __init__(self, rect: QRectF) -> None:
        super().__init__(rect)
        self.setZValue(-100)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.fillRect(self._rect.translated(0, 2), theme.color("#0F172A", 14))
        painter.fillRect(self._rect, theme.BOARD_BG)


class LabelColumnItem(_Painted):
    """The sheet under the lane labels, gaps between layers included: pinned with them, it
    keeps links that pass underneath from showing through when the board pans sideways."""

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.fillRect(self._rect, theme.BOARD_BG)


VOTING_TINT = theme.color("#F59F00", 26)
VOTING_EDGE = theme.color("#E67700")


class LaneBandItem(_Painted):
    """One lane across all stages: a tint, the cell borders and the lane's bottom rule."""

    entity_type = "lane"

    def __init__(self, lane: LaneBand, layout: BoardLayout, index: int) -> None:
        super().__init__(QRectF())
        self.setZValue(-50)
        self.voting = False
        self.set_lane(lane, layout, index)

    def set_voting(self, on: bool) -> None:
        """Highlight the lane while a dot-voting round is open on it."""
        if on != self.voting:
            self.voting = on
            self.update()

    def set_lane(self, lane: LaneBand, layout: BoardLayout, index: int) -> None:
        self.id = lane.id
        self.lane = lane
        self.index = index
        self._xs = [s.x for s in layout.stages] + [layout.width - layout.options.margin]
        self.set_rect(
            QRectF(layout.label_width, lane.y, self._xs[-1] - layout.label_width, lane.height)
        )

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        r = self._rect
        _strong, tint = theme.layer_colors(self.lane.layer)
        painter.fillRect(r, tint if self.index % 2 else theme.BOARD_BG)
        pen = QPen(theme.GRID_COLOR, 1)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.drawLine(QPointF(r.left(), r.bottom()), QPointF(r.right(), r.bottom()))
        for x in self._xs[1:-1]:
            painter.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
        if self.voting:
            painter.fillRect(r, VOTING_TINT)
            frame = QPen(VOTING_EDGE, 2.5, Qt.PenStyle.DashLine)
            painter.setPen(frame)
            painter.drawRect(r.adjusted(1.5, 1.5, -1.5, -1.5))


class LaneLabelItem(_Painted):
    """A lane's name in the label column (pinned to the left edge of the view)."""

    entity_type = "lane"

    def __init__(self, lane: LaneBand, layout: BoardLayout) -> None:
        super().__init__(QRectF())
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.set_lane(lane, layout)

    voting = False  # the lane's name carries a "Vote here" tag while a round is open on it

    def set_voting(self, on: bool) -> None:
        if on != self.voting:
            self.voting = on
            self.update()

    def set_lane(self, lane: LaneBand, layout: BoardLayout) -> None:
        self.id = lane.id
        self.lane = lane
        o = layout.options
        self.set_rect(
            QRectF(
                o.layer_strip_width, lane.y, layout.label_width - o.layer_strip_width, lane.height
            )
        )

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        r = self._rect
        lane = self.lane
        strong, tint = theme.layer_colors(lane.layer)
        painter.fillRect(r, theme.color("#FBFCFD"))
        pen = QPen(theme.GRID_COLOR, 1)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.drawLine(QPointF(r.left(), r.bottom()), QPointF(r.right(), r.bottom()))
        painter.setPen(QPen(theme.color("#CED4DA"), 1))
        painter.drawLine(QPointF(r.right(), r.top()), QPointF(r.right(), r.bottom()))
        if self.isSelected():
            painter.setPen(QPen(theme.SELECTION, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(r.adjusted(1, 1, -1, -1))
        if painter.worldTransform().m11() < 0.3:
            return
        _fill, accent = theme.card_colors(lane.kind)
        # the view does not save painter state between items: restore the clip ourselves
        painter.save()
        painter.setClipRect(r)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(accent)
        x = r.left() + 14
        y = r.top() + 14
        painter.drawRoundedRect(QRectF(x, y + 2, 9, 9), 2.5, 2.5)
        caption = (
            lane.team
            if lane.kind == "team" and lane.team and lane.team != lane.name
            else KIND_CAPTIONS.get(lane.kind, lane.kind)
        )
        ly = y + 10
        if caption.lower() != lane.name.lower():
            painter.setFont(theme.font(9.5, bold=True))
            painter.setPen(theme.MUTED_COLOR)
            painter.drawText(QPointF(x + 15, y + 10), caption.upper())
            ly = y + 30
            name_x = x
        else:
            name_x = x + 15
        painter.setFont(theme.font(12, bold=True))
        painter.setPen(theme.INK_COLOR)
        for line in lane.label:
            painter.drawText(QPointF(name_x, ly), line)
            ly += 16
        if self.voting:
            tag = QRectF(name_x, ly - 6, 84, 19)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(VOTING_EDGE)
            painter.drawRoundedRect(tag, 9.5, 9.5)
            painter.setFont(theme.font(10, bold=True))
            painter.setPen(theme.BOARD_BG)
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, "\u25cf Vote here")
        painter.restore()


class LayerStripItem(_Painted):
    """The coloured strip naming a layer (journey, blueprint, process), text turned upright."""

    def __init__(self, band: LayerBand, layout: BoardLayout) -> None:
        super().__init__(QRectF())
        self.set_band(band, layout)

    def set_band(self, band: LayerBand, layout: BoardLayout) -> None:
        self.band = band
        self.set_rect(QRectF(0, band.y, layout.options.layer_strip_width, band.height))

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        r = self._rect
        strong, _tint = theme.layer_colors(self.band.layer)
        painter.fillRect(r, strong)
        if painter.worldTransform().m11() < 0.2:
            return
        painter.save()
        painter.translate(r.center())
        painter.rotate(-90)
        painter.setFont(theme.font(11, bold=True))
        painter.setPen(theme.BOARD_BG)
        # a layer of one short lane has no room for "CUSTOMER JOURNEY": "JOURNEY" then, as
        # on the poster, and cut short past that
        text = self.band.name.upper()
        room = r.height() - 12
        if text_width(text, 11, bold=True) > room:
            text = elide(self.band.layer.upper(), room, 11, bold=True)
        painter.drawText(
            QRectF(-r.height() / 2, -r.width() / 2, r.height(), r.width()),
            Qt.AlignmentFlag.AlignCenter,
            text,
        )
        painter.restore()


class StageHeaderItem(_Painted):
    """A stage's header cell: phase colour bar, name and card count (pinned to the top)."""

    entity_type = "stage"

    def __init__(self, stage: StageColumn, layout: BoardLayout, count: int) -> None:
        super().__init__(QRectF())
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.set_stage(stage, layout, count)

    def set_stage(self, stage: StageColumn, layout: BoardLayout, count: int) -> None:
        self.id = stage.id
        self.stage = stage
        self.count = count
        self.set_rect(QRectF(stage.x, 0, stage.width, layout.header_height))

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        r = self._rect
        s = self.stage
        painter.fillRect(r, theme.color("#FBFCFD"))
        phase = theme.color(PHASE_COLORS.get(s.phase, "#868E96"))
        painter.fillRect(QRectF(r.left() + 1, r.top(), r.width() - 2, 5), phase)
        painter.setPen(QPen(theme.color("#CED4DA"), 1))
        painter.drawLine(QPointF(r.left(), r.bottom()), QPointF(r.right(), r.bottom()))
        painter.setPen(QPen(theme.GRID_COLOR, 1))
        painter.drawLine(QPointF(r.right(), r.top()), QPointF(r.right(), r.bottom()))
        if self.isSelected():
            painter.setPen(QPen(theme.SELECTION, 2))
            painter.drawRect(r.adjusted(1, 1, -1, -1))
        if painter.worldTransform().m11() < 0.2:
            return
        x = r.left() + 12
        painter.setFont(theme.font(9.5, bold=True))
        painter.setPen(phase)
        phase_name = "STAGE" if s.phase == "custom" else s.phase.upper()
        painter.drawText(QPointF(x, r.top() + 24), phase_name)
        painter.setFont(theme.font(13, bold=True))
        painter.setPen(theme.INK_COLOR)
        painter.drawText(QPointF(x, r.top() + 45), s.label[0] if s.label else "")
        painter.setFont(theme.font(10))
        painter.setPen(theme.MUTED_COLOR)
        text = f"{self.count} card{'s' if self.count != 1 else ''}"
        painter.drawText(
            QRectF(r.left(), r.top() + 12, r.width() - 12, 16),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            text,
        )


class CornerItem(_Painted):
    """The top-left corner: the design's name and its size (pinned both ways)."""

    def __init__(self, layout: BoardLayout, title: str, subtitle: str) -> None:
        super().__init__(QRectF(0, 0, layout.label_width, layout.header_height))
        self.title = title
        self.subtitle = subtitle

    def set_text(self, title: str, subtitle: str) -> None:
        self.title, self.subtitle = title, subtitle
        self.update()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        r = self._rect
        grad = QLinearGradient(r.topLeft(), r.bottomRight())
        grad.setColorAt(0, theme.color("#1E293B"))
        grad.setColorAt(1, theme.color("#334155"))
        painter.fillRect(r, grad)
        painter.setFont(theme.font(13, bold=True))
        painter.setPen(theme.BOARD_BG)
        metrics_w = r.width() - 28
        title = painter.fontMetrics().elidedText(
            self.title, Qt.TextElideMode.ElideRight, int(metrics_w)
        )
        painter.drawText(QPointF(r.left() + 14, r.top() + 28), title)
        painter.setFont(theme.font(10))
        painter.setPen(theme.color("#CBD5E1"))
        painter.drawText(QPointF(r.left() + 14, r.top() + 46), self.subtitle)
