"""BoardScene: the board's items, built from the Document's layout and kept in step with it.

The scene builds one item per visible stage, lane, card and link, keeps id -> item maps,
subscribes to the Document, and on each event repositions exactly the items the layout
says moved. It never changes the model; gestures go through ``BoardEditor``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, QTimer, Signal
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsSceneMouseEvent

from app.canvas import theme
from app.canvas.items import (
    BoardBackgroundItem,
    CardItem,
    CornerItem,
    DropIndicatorItem,
    EmotionCurveItem,
    LaneBandItem,
    LaneLabelItem,
    LayerStripItem,
    LinkItem,
    StageHeaderItem,
    VisibilityLineItem,
)
from app.canvas.items.bands import LabelColumnItem
from app.canvas.items.curves import SeparatorChipItem
from app.model import facilitation as fac
from app.model.document import Document, DocumentEvent
from app.model.gcpause import gc_paused
from app.model.layout import BoardLayout, BoardLayouter, LayoutDelta
from app.model.text import plural

if TYPE_CHECKING:
    from app.canvas.interactions import BoardEditor

MARGIN = 40.0


class PinnedGroup:
    """Frame items that slide together to stay on screen (frozen panes). Not a parent item:
    children of a moved parent are not repainted reliably by a scene without an index."""

    def __init__(self, z: float) -> None:
        self.z = z
        self.items: list[QGraphicsItem] = []
        self._pos = (0.0, 0.0)

    def add(self, item: QGraphicsItem, z_offset: float = 0.0) -> None:
        item.setZValue(self.z + z_offset)
        item.setPos(*self._pos)
        self.items.append(item)

    def set_pos(self, x: float, y: float) -> None:
        if (x, y) != self._pos:
            self._pos = (x, y)
            for item in self.items:
                item.setPos(x, y)

    def x(self) -> float:
        return self._pos[0]

    def y(self) -> float:
        return self._pos[1]


#: how long the board waits after a change before rerouting the links that only pass by
#: the cards that moved (a burst of remote changes settles once)
SETTLE_MS = 120


class BoardScene(QGraphicsScene):
    """The items of one Document's board."""

    #: emitted after the items follow a Document event (argument: the event's origin)
    board_changed = Signal(str)

    def __init__(
        self, doc: Document, *, layers: Iterable[str] | None = None, parent: Any = None
    ) -> None:
        super().__init__(parent)
        theme.load_fonts()
        self.doc = doc
        self.editor: BoardEditor | None = None
        self.layouter = BoardLayouter(doc, layers=layers)
        self.cards: dict[str, CardItem] = {}
        self.links: dict[str, LinkItem] = {}
        self.stage_items: dict[str, StageHeaderItem] = {}
        self.lane_items: dict[str, LaneBandItem] = {}
        self.label_items: dict[str, LaneLabelItem] = {}
        self._frame: list[QGraphicsItem] = []
        #: ids of the items the last event touched, by kind (tests and the benchmark read it)
        self.last_update: dict[str, set[str]] = {}
        self.last_update_ms = 0.0
        self.setBackgroundBrush(theme.CANVAS_BG)
        # Links span the board; in a BSP index every route change would touch many leaves
        # (milliseconds per link). A linear scan of 10,000 bounding rects is cheaper.
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        # links that only pass by moved cards are rerouted when the board is idle
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(SETTLE_MS)
        self._settle_timer.timeout.connect(self.settle)
        self.header_group = PinnedGroup(50)
        self.label_group = PinnedGroup(40)
        self.corner_group = PinnedGroup(60)
        self.drop_indicator = DropIndicatorItem()
        self.addItem(self.drop_indicator)
        self._pin = (0.0, 0.0)
        self._selected_links: set[str] = set()
        self.selectionChanged.connect(self._on_selection_changed)
        self._build()
        doc.subscribe(self._on_document_changed)

    # -- reading ------------------------------------------------------------------------

    @property
    def layout(self) -> BoardLayout:
        return self.layouter.layout

    @property
    def layers(self) -> frozenset[str] | None:
        return self.layouter.layers

    def board_rect(self) -> QRectF:
        lay = self.layout
        return QRectF(0, 0, lay.width, lay.height)

    def selected_ids(self, entity_type: str) -> list[str]:
        """Ids of selected items of one type, cards in reading order (stage, lane, place)."""
        items = [i for i in self.selectedItems() if getattr(i, "entity_type", "") == entity_type]
        if entity_type == "card":
            items.sort(key=lambda i: (i.box.x, i.box.y))  # type: ignore[attr-defined]
        if entity_type == "lane":  # the band and the label are both lanes; count each once
            return list(dict.fromkeys(i.id for i in items))  # type: ignore[attr-defined]
        return [i.id for i in items]  # type: ignore[attr-defined]

    def card_item_at(self, pos: QPointF) -> CardItem | None:
        for item in self.items(pos):
            if isinstance(item, CardItem):
                return item
        return None

    def item_for(self, entity_type: str, entity_id: str) -> QGraphicsItem | None:
        maps: dict[str, dict[str, Any]] = {
            "card": self.cards,
            "link": self.links,
            "stage": self.stage_items,
            "lane": self.lane_items,
        }
        return maps.get(entity_type, {}).get(entity_id)

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        with gc_paused():  # 10,000 items and their wrappers: no point scanning them mid-build
            self._build_items()

    def _build_items(self) -> None:
        lay = self.layout
        self._build_frame()
        for box in lay.cards.values():
            item = CardItem(box)
            self.cards[box.id] = item
            self.addItem(item)
        for route in lay.links.values():
            link = LinkItem(route)
            self.links[route.id] = link
            self.addItem(link)

    def _build_frame(self) -> None:
        """Background, bands, labels, headers, lines and curves: a few dozen items."""
        kept = [
            i.id for i in self.selectedItems() if isinstance(i, StageHeaderItem | LaneLabelItem)
        ]
        # the selected header or label is replaced by its twin: to the properties dock that
        # is no change of selection (it keeps its form, and the field being typed in)
        lay = self.layout
        # outside the quiet part below: the views follow the scene rect by its signal
        self.setSceneRect(QRectF(-MARGIN, -MARGIN, lay.width + 2 * MARGIN, lay.height + 2 * MARGIN))
        blocked = self.signalsBlocked()
        self.blockSignals(True)
        try:
            self._build_frame_items(kept)
        finally:
            self.blockSignals(blocked)
        if kept and not blocked:
            self.selectionChanged.emit()

    def _build_frame_items(self, kept: list[str]) -> None:
        for item in self._frame:
            self.removeItem(item)
        self._frame = []
        for group in (self.header_group, self.label_group, self.corner_group):
            group.items.clear()
        self.stage_items.clear()
        self.lane_items.clear()
        self.label_items.clear()
        lay = self.layout
        bg = BoardBackgroundItem(
            QRectF(0, 0, lay.width - lay.options.margin, lay.height - lay.options.margin)
        )
        self._add_frame(bg)
        column = QRectF(0, 0, lay.label_width, lay.height - lay.options.margin)
        self._add_frame(LabelColumnItem(column), self.label_group, -1)
        for i, lane in enumerate(lay.lanes):
            band = LaneBandItem(lane, lay, i)
            self.lane_items[lane.id] = band
            self._add_frame(band)
            label = LaneLabelItem(lane, lay)
            self.label_items[lane.id] = label
            self._add_frame(label, self.label_group)
            if lane.id in kept:
                label.setSelected(True)
        for layer_band in lay.layer_bands:
            self._add_frame(LayerStripItem(layer_band, lay), self.label_group)
        self._mark_voting_lanes()
        for stage in lay.stages:
            header = StageHeaderItem(stage, lay, self.layouter.stage_count(stage.id))
            self.stage_items[stage.id] = header
            self._add_frame(header, self.header_group)
            if stage.id in kept:
                header.setSelected(True)
        self.corner = CornerItem(lay, self.doc.name, self._subtitle())
        self._add_frame(self.corner, self.corner_group)
        for line in lay.lines:
            self._add_frame(VisibilityLineItem(line, lay.label_width))
            chip = SeparatorChipItem(
                line,
                lay.options.layer_strip_width + 4,
                lay.label_width - lay.options.layer_strip_width - 8,
            )
            self._add_frame(chip, self.label_group, 1)
        for curve in lay.curves:
            curve_lane = lay.lane(curve.lane)
            if curve_lane is not None:
                self._add_frame(EmotionCurveItem(curve, curve_lane, lay))

    def _add_frame(
        self, item: QGraphicsItem, group: PinnedGroup | None = None, z_offset: float = 0.0
    ) -> None:
        self.addItem(item)
        if group is not None:
            group.add(item, z_offset)
        self._frame.append(item)

    def _subtitle(self) -> str:
        lay = self.layout
        return " \u00b7 ".join(
            (
                plural(len(lay.cards), "card"),
                plural(len(lay.links), "link"),
                plural(len(lay.stages), "stage"),
            )
        )

    def _rebuild_curves(self) -> None:
        lay = self.layout
        for item in [i for i in self._frame if isinstance(i, EmotionCurveItem)]:
            self.removeItem(item)
            self._frame.remove(item)
        for curve in lay.curves:
            curve_lane = lay.lane(curve.lane)
            if curve_lane is not None:
                self._add_frame(EmotionCurveItem(curve, curve_lane, lay))

    def set_layers(self, layers: Iterable[str] | None) -> None:
        """Show only some layers (None: all); rebuilds the items."""
        self.clearSelection()
        for item in list(self.cards.values()) + list(self.links.values()):
            self.removeItem(item)
        self.cards.clear()
        self.links.clear()
        self.layouter = BoardLayouter(self.doc, layers=layers)
        self._build()
        self.pin(*self._pin)
        self.board_changed.emit("view")

    def close(self) -> None:
        """Stop following the Document."""
        self._settle_timer.stop()
        self.doc.unsubscribe(self._on_document_changed)

    def settle(self) -> None:
        """Reroute the links a moved card now stands in the way of (or no longer blocks)."""
        self._settle_timer.stop()
        delta = self.layouter.settle()
        if delta.links:
            self.apply_delta(delta)

    # -- following the Document ---------------------------------------------------------

    def _on_document_changed(self, event: DocumentEvent) -> None:
        start = time.perf_counter()
        delta = self.layouter.refresh(event.changed)
        self.apply_delta(delta)
        if self.layouter.unsettled():
            self._settle_timer.start()
        if "facilitation" in event.changed or delta.structure:
            self._mark_voting_lanes()
        self.last_update_ms = (time.perf_counter() - start) * 1000
        self.board_changed.emit(event.origin)

    def apply_delta(self, delta: LayoutDelta) -> None:
        """Create, move or remove exactly the items named by the layout delta."""
        lay = self.layout
        touched_stages: set[str] = set()
        for cid in delta.removed_cards:
            item = self.cards.pop(cid, None)
            if item is not None:
                touched_stages.add(item.box.stage)
                self.removeItem(item)
        for cid in delta.cards:
            box = lay.cards[cid]
            item = self.cards.get(cid)
            if item is None:
                item = CardItem(box)
                self.cards[cid] = item
                self.addItem(item)
            else:
                touched_stages.add(item.box.stage)
                item.set_box(box)
            touched_stages.add(box.stage)
        for lid in delta.removed_links:
            link = self.links.pop(lid, None)
            if link is not None:
                self.removeItem(link)
        for lid in delta.links:
            route = lay.links[lid]
            link = self.links.get(lid)
            if link is None:
                link = LinkItem(route)
                self.links[lid] = link
                self.addItem(link)
            else:
                link.set_route(route)
        self.last_update = {
            "cards": delta.cards | delta.removed_cards,
            "links": delta.links | delta.removed_links,
        }
        if delta.structure:
            self._build_frame()
            self.pin(*self._pin)
        else:
            for sid in touched_stages:
                header = self.stage_items.get(sid)
                stage = lay.stage(sid)
                if header is not None and stage is not None:
                    header.set_stage(stage, lay, self.layouter.stage_count(sid))
            if delta.curves:
                self._rebuild_curves()
            if delta.cards or delta.removed_cards or delta.links or delta.removed_links:
                self.corner.set_text(self.doc.name, self._subtitle())

    def _mark_voting_lanes(self) -> None:
        """While a dot-voting round is open, its lanes are highlighted for everyone."""
        f = fac.state(self.doc)
        voting = set(fac.round_lanes(self.doc)) if f.voting_open else set()
        for lid, band in self.lane_items.items():
            band.set_voting(lid in voting)
            self.label_items[lid].set_voting(lid in voting)

    def voting_lanes(self) -> set[str]:
        """The lanes drawn as open for voting."""
        return {lid for lid, band in self.lane_items.items() if band.voting}

    def _on_selection_changed(self) -> None:
        now = {i.id for i in self.selectedItems() if isinstance(i, LinkItem)}
        for lid in now ^ self._selected_links:
            link = self.links.get(lid)
            if link is not None:
                link.show_selected(lid in now)
        self._selected_links = now

    # -- frozen panes -------------------------------------------------------------------

    def pin(self, left: float, top: float) -> None:
        """Keep lane labels at the view's left edge and stage headers at its top."""
        self._pin = (left, top)
        x, y = max(0.0, left), max(0.0, top)
        self.label_group.set_pos(x, 0)
        self.header_group.set_pos(0, y)
        self.corner_group.set_pos(x, y)

    # -- gestures are the editor's ------------------------------------------------------

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.editor is None or not self.editor.mouse_press(event):
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.editor is None or not self.editor.mouse_move(event):
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.editor is None or not self.editor.mouse_release(event):
            super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.editor is None or not self.editor.mouse_double_click(event):
            super().mouseDoubleClickEvent(event)

    def top_item_at(self, pos: QPointF) -> QGraphicsItem | None:
        return self.itemAt(pos, QTransform())
