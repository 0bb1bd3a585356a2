"""BoardEditor: the gestures on the board and the edit actions of the window.

Every gesture ends in one undo command that commits a Change; the scene then moves the
items from the Document's event. While a drag is under way the dragged items follow the
mouse as a preview, and are put back to their layout boxes before the move is committed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QLineF, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QPen, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsSceneMouseEvent,
    QGraphicsTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app.canvas import commands, theme
from app.canvas.items import CardItem, LaneLabelItem, LinkPreviewItem, StageHeaderItem
from app.canvas.scene import BoardScene
from app.model import edits
from app.model.document import Edit


class InlineEditorItem(QGraphicsTextItem):
    """Edits one line of text in place; Enter keeps it, Escape drops it."""

    def __init__(
        self, rect: QRectF, text: str, on_done: Callable[[str | None], None], size: float = 11
    ) -> None:
        super().__init__()
        self._rect = rect
        self._on_done = on_done
        self._done = False
        self.setFont(theme.font(size))
        self.setDefaultTextColor(theme.INK_COLOR)
        self.setPlainText(text)
        self.setTextWidth(max(40.0, rect.width() - 12))
        self.setPos(rect.x() + 6, rect.y() + 4)
        self.setZValue(300)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextEditorInteraction)
        cursor = self.textCursor()
        cursor.select(cursor.SelectionType.Document)
        self.setTextCursor(cursor)

    def boundingRect(self) -> QRectF:
        inner = super().boundingRect()
        frame = QRectF(-6, -4, self._rect.width(), max(self._rect.height(), inner.height() + 8))
        return frame.united(inner)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        frame = QRectF(
            -6,
            -4,
            self._rect.width(),
            max(self._rect.height(), super().boundingRect().height() + 8),
        )
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(theme.SELECTION, 2))
        painter.setBrush(theme.BOARD_BG)
        painter.drawRoundedRect(frame, 6, 6)
        super().paint(painter, option, widget)  # type: ignore[arg-type]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if (
            key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.finish(True)
        elif key == Qt.Key.Key_Escape:
            self.finish(False)
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event: Any) -> None:
        super().focusOutEvent(event)
        self.finish(True)

    def finish(self, keep: bool) -> None:
        if self._done:
            return
        self._done = True
        text = self.toPlainText().strip()
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.hide()
        scene = self.scene()
        if scene is not None:
            QTimer.singleShot(0, lambda: scene.removeItem(self) if self.scene() is scene else None)
        self._on_done(text if keep else None)


class BoardEditor(QObject):
    """Turns gestures and menu actions into undo commands on the Document."""

    message = Signal(str)

    def __init__(self, scene: BoardScene, undo_stack: QUndoStack | None = None) -> None:
        super().__init__(scene)
        self.scene = scene
        self.doc = scene.doc
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.voter = self.doc.author
        #: a workshop viewer's board: selection and navigation only, no edits
        self.read_only = False
        #: called with a card's id when it is clicked without a drag (dot voting)
        self.on_card_click: Callable[[str], None] | None = None
        scene.editor = self
        self.inline: InlineEditorItem | None = None
        self.last_cell: tuple[str, str] | None = None
        self._mode = ""
        self._press = QPointF()
        self._press_item: QGraphicsItem | None = None
        self._dragged: list[CardItem] = []
        self._origins: list[QPointF] = []
        self._preview: LinkPreviewItem | None = None

    # -- edits ------------------------------------------------------------------------

    def push(
        self, command_type: type[commands.ChangeCommand], changes: Sequence[Edit], text: str
    ) -> bool:
        """Do the edits as one undoable command; False when there is nothing to do."""
        if not changes:
            return False
        if self.read_only:
            self.message.emit("This board is view only: ask the facilitator for an editor link")
            return False
        self.undo_stack.push(command_type(self.doc, changes, text))
        return True

    def add_card(
        self,
        lane: str,
        stage: str,
        title: str,
        *,
        before: str | None = None,
        after: str | None = None,
        **fields: Any,
    ) -> str:
        lane_entity = self.doc.lane(lane)
        if lane_entity is not None and lane_entity.kind == "team":
            fields.setdefault("kind", "step")
        cid, changes = edits.add_card(
            self.doc, lane, stage, before=before, after=after, title=title, **fields
        )
        self.push(commands.AddCardCommand, changes, "Add card")
        return cid

    def update(self, entity_type: str, entity_id: str, text: str = "", **fields: Any) -> bool:
        changes = edits.update(self.doc, entity_type, entity_id, **fields)
        label = text or f"Edit {entity_type} {', '.join(fields)}"
        return self.push(commands.EditCommand, changes, label)

    def move_cards(
        self,
        ids: list[str],
        lane: str,
        stage: str,
        *,
        before: str | None = None,
        after: str | None = None,
    ) -> bool:
        changes = edits.move_cards(self.doc, ids, lane, stage, before=before, after=after)
        current = [(e[0], e[1], e[2], getattr(self.doc.get(e[0], e[1]), e[2])) for e in changes]
        if current == changes:
            return False
        return self.push(
            commands.MoveCardsCommand, changes, f"Move {len(ids)} card{'s' * (len(ids) > 1)}"
        )

    def delete_selection(self) -> bool:
        """Delete the selected cards (with their links and votes) and links; stages and lanes
        only when nothing else is selected, so a rubber band over the board never takes a
        whole column or row with it."""
        cards = self.scene.selected_ids("card")
        changes: list[Edit] = edits.delete_cards(self.doc, cards) if cards else []
        for lid in self.scene.selected_ids("link"):
            if not any(e[1] == lid for e in changes):
                changes.append(("link", lid, "deleted", True))
        frames: list[Edit] = []
        if not changes:
            for etype in ("stage", "lane"):
                frames += [(etype, eid, "deleted", True) for eid in self.scene.selected_ids(etype)]
        changes += frames
        n = len(cards) or len(frames) or len(changes)
        what = "card" if cards else ("item" if frames else "link")
        return self.push(commands.DeleteCommand, changes, f"Delete {n} {what}{'s' * (n > 1)}")

    def link(self, source: str, target: str, kind: str | None = None) -> str | None:
        if source == target:
            return None
        if any(k.source == source and k.target == target for k in self.doc.links()):
            self.message.emit("These two cards are already linked that way.")
            return None
        lid, changes = edits.add_link(self.doc, source, target, kind=kind)
        self.push(commands.AddLinkCommand, changes, "Link cards")
        return lid

    def copy_selection(self) -> dict[str, Any] | None:
        ids = self.scene.selected_ids("card")
        if not ids:
            return None
        data = edits.copy_cards(self.doc, ids)
        # plain text JSON: readable anywhere, and no Python-made QMimeData for the clipboard
        # to own (PySide frees it at exit under the clipboard's feet)
        QApplication.clipboard().setText(json.dumps(data))
        self.message.emit(f"Copied {len(ids)} card{'s' * (len(ids) > 1)}")
        return data

    def cut_selection(self) -> None:
        if self.copy_selection() is not None:
            self.delete_selection()

    def paste(self, data: dict[str, Any] | None = None) -> list[str]:
        """Paste cards from the clipboard into the last clicked cell (or where they came from)."""
        if data is None:
            raw = QApplication.clipboard().text()
            try:
                data = json.loads(raw or "null")
            except ValueError:
                data = None
            if not isinstance(data, dict) or data.get("format") != "cld-cards":
                self.message.emit("Nothing to paste: copy some cards first")
                return []
        lane, stage = self.last_cell if self.last_cell else (None, None)
        if lane is not None and (
            self.doc.lane(lane) is None or self.doc.stage(stage or "") is None
        ):
            lane = stage = None
        ids, changes = edits.paste_cards(self.doc, data, lane=lane, stage=stage)
        self.push(commands.PasteCommand, changes, f"Paste {len(ids)} card{'s' * (len(ids) > 1)}")
        self.select(ids)
        return ids

    def add_stage(self, name: str, *, after: str | None = None) -> str:
        sid, changes = edits.add_stage(self.doc, name, after=after)
        self.push(commands.AddStageCommand, changes, "Add stage")
        return sid

    def move_stage(self, stage_id: str, index: int) -> bool:
        current = [s.id for s in self.doc.stages()]
        if current.index(stage_id) == index:
            return False
        return self.push(
            commands.MoveStageCommand, edits.move_stage(self.doc, stage_id, index), "Move stage"
        )

    def add_lane(self, name: str, kind: str, *, after: str | None = None) -> str:
        lid, changes = edits.add_lane(self.doc, name, kind, after=after)
        self.push(commands.AddLaneCommand, changes, "Add lane")
        return lid

    def move_lane(self, lane_id: str, index: int) -> bool:
        return self.push(
            commands.MoveLaneCommand, edits.move_lane(self.doc, lane_id, index), "Move lane"
        )

    def delete_entity(self, entity_type: str, entity_id: str) -> bool:
        return self.push(
            commands.DeleteCommand,
            edits.delete(self.doc, entity_type, entity_id),
            f"Delete {entity_type}",
        )

    def toggle_vote(self, card_id: str) -> bool:
        """Vote for a card or take the vote back. Not on the undo stack: a second click takes
        it back, and redo cannot bring a vote back after the round has closed."""
        changes = edits.toggle_vote(self.doc, card_id, self.voter)
        if self.read_only:
            self.message.emit("This board is view only: ask the facilitator for an editor link")
            return False
        if changes:
            self.doc.commit(changes)
        return bool(changes)

    # -- selection and find -------------------------------------------------------------

    def select(self, card_ids: Sequence[str]) -> None:
        self.scene.clearSelection()
        for cid in card_ids:
            item = self.scene.cards.get(cid)
            if item is not None:
                item.setSelected(True)

    def select_all(self) -> None:
        for item in self.scene.cards.values():
            item.setSelected(True)

    def find(self, text: str) -> list[str]:
        """Cards whose title or notes contain the text (case-insensitive), highlighted."""
        needle = text.strip().lower()
        found: list[str] = []
        for cid, item in self.scene.cards.items():
            card = self.doc.card(cid)
            hit = (
                bool(needle)
                and card is not None
                and (needle in card.title.lower() or needle in card.notes.lower())
            )
            item.set_highlighted(hit)
            if hit:
                found.append(cid)
        found.sort(key=lambda c: (self.scene.cards[c].box.x, self.scene.cards[c].box.y))
        return found

    # -- inline editing -----------------------------------------------------------------

    def _open_inline(
        self, rect: QRectF, text: str, on_done: Callable[[str | None], None], size: float = 11
    ) -> InlineEditorItem | None:
        if self.read_only:
            return None
        if self.inline is not None:
            self.inline.finish(True)

        def done(value: str | None) -> None:
            self.inline = None
            on_done(value)

        editor = InlineEditorItem(rect, text, done, size)
        self.scene.addItem(editor)
        editor.setFocus(Qt.FocusReason.MouseFocusReason)
        self.inline = editor
        return editor

    def edit_title(self, card_id: str) -> InlineEditorItem | None:
        item = self.scene.cards.get(card_id)
        card = self.doc.card(card_id)
        if item is None or card is None:
            return None
        rect = item.sceneBoundingRect().adjusted(4, 4, -4 - 5.5, -4)

        def done(value: str | None) -> None:
            if value is not None and value != card.title:
                self.update("card", card_id, "Edit title", title=value)

        return self._open_inline(rect, card.title, done)

    def new_card_inline(self, lane: str, stage: str) -> InlineEditorItem | None:
        lay = self.scene.layout
        cell = lay.cell_rect(lane, stage)
        if cell is None:
            return None
        x, y, w, h = cell
        o = lay.options
        ids = self.scene.layouter.cell_cards(lane, stage)
        top = y + o.cell_padding
        if ids and ids[-1] in lay.cards:
            last = lay.cards[ids[-1]]
            top = last.y + last.h + o.card_gap
        rect = QRectF(
            x + o.cell_padding, min(top, y + h - o.min_card_height), o.card_width, o.min_card_height
        )

        def done(value: str | None) -> None:
            if value:
                self.add_card(lane, stage, value)

        return self._open_inline(rect, "", done)

    def rename_in_place(self, entity_type: str, entity_id: str) -> InlineEditorItem | None:
        """Edit a stage's name on its header, or a lane's on its label."""
        items = self.scene.stage_items if entity_type == "stage" else self.scene.label_items
        item = items.get(entity_id)
        if item is None:
            return None
        r = item.sceneBoundingRect()
        if entity_type == "stage":
            rect = QRectF(r.x() + 6, r.y() + 28, r.width() - 12, 28)
        else:
            rect = QRectF(r.x() + 8, r.y() + 30, r.width() - 16, 28)
        return self.rename_inline(entity_type, entity_id, rect)

    def rename_inline(
        self, entity_type: str, entity_id: str, rect: QRectF
    ) -> InlineEditorItem | None:
        entity = self.doc.get(entity_type, entity_id)
        if entity is None:
            return None

        def done(value: str | None) -> None:
            if value and value != entity.name:  # type: ignore[attr-defined]
                self.update(entity_type, entity_id, f"Rename {entity_type}", name=value)

        return self._open_inline(rect, entity.name, done, 13)  # type: ignore[attr-defined]

    # -- mouse --------------------------------------------------------------------------

    def _handle_card_at(self, pos: QPointF) -> CardItem | None:
        for item in self.scene.items(QRectF(pos.x() - 9, pos.y() - 9, 18, 18)):
            if (
                isinstance(item, CardItem)
                and (item.isSelected() or item.hovered)
                and item.on_handle(pos)
            ):
                return item
        return None

    def mouse_press(self, event: QGraphicsSceneMouseEvent) -> bool:
        pos = event.scenePos()
        if self.inline is not None and not self.inline.sceneBoundingRect().contains(pos):
            self.inline.finish(True)
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        self._mode = ""
        self._press = pos
        cell = self.scene.layout.cell_at(pos.x(), pos.y())
        if cell is not None:
            self.last_cell = cell
        if self.read_only:
            item = self.scene.top_item_at(pos)
            if isinstance(item, CardItem):
                self._mode = "press-card-readonly"
                self._press_item = item
            return False
        handle = self._handle_card_at(pos)
        if handle is not None:
            self._mode = "link"
            self._press_item = handle
            self._preview = LinkPreviewItem(handle.mapToScene(handle.handle_pos()))
            self.scene.addItem(self._preview)
            return True
        item = self.scene.top_item_at(pos)
        if isinstance(item, CardItem):
            self._mode = "press-card"
            self._press_item = item
        elif isinstance(item, StageHeaderItem):
            self._mode = "press-stage"
            self._press_item = item
        elif isinstance(item, LaneLabelItem):
            self._mode = "press-lane"
            self._press_item = item
        return False

    def mouse_move(self, event: QGraphicsSceneMouseEvent) -> bool:
        pos = event.scenePos()
        if self._mode == "link" and self._preview is not None:
            line = self._preview.line()
            self._preview.setLine(QLineF(line.p1(), pos))
            return True
        far = (pos - self._press).manhattanLength() >= QApplication.startDragDistance()
        if self._mode == "press-card" and far:
            self._start_drag()
        elif self._mode == "press-stage" and far:
            self._mode = "drag-stage"
        elif self._mode == "press-lane" and far:
            self._mode = "drag-lane"
        if self._mode == "drag-lane":
            self._show_lane_slot(pos)
            return True
        if self._mode == "drag-cards":
            self._drag_to(pos)
            return True
        if self._mode == "drag-stage":
            self._show_stage_slot(pos)
            return True
        return False

    def mouse_release(self, event: QGraphicsSceneMouseEvent) -> bool:
        pos = event.scenePos()
        mode, self._mode = self._mode, ""
        self.scene.drop_indicator.hide()
        if (
            mode in ("press-card", "press-card-readonly")
            and isinstance(self._press_item, CardItem)
            and self.on_card_click is not None
        ):
            self.on_card_click(self._press_item.id)
            return False
        if mode == "link":
            if self._preview is not None:
                self.scene.removeItem(self._preview)
                self._preview = None
            target = self.scene.card_item_at(pos)
            source = self._press_item
            if isinstance(source, CardItem) and target is not None and target is not source:
                self.link(source.id, target.id)
            return True
        if mode == "drag-cards":
            self._drop(pos)
            return True
        if mode == "drag-stage" and isinstance(self._press_item, StageHeaderItem):
            self.move_stage(self._press_item.id, self._stage_index(pos))
            return True
        if mode == "drag-lane" and isinstance(self._press_item, LaneLabelItem):
            lane_id = self._press_item.id
            index = self._lane_index(pos)
            current = [ln.id for ln in self.doc.lanes(self._press_item.lane.layer)]
            if current.index(lane_id) != index:
                self.move_lane(lane_id, index)
            return True
        return False

    def mouse_double_click(self, event: QGraphicsSceneMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if self.read_only:
            return True
        pos = event.scenePos()
        item = self.scene.top_item_at(pos)
        if isinstance(item, CardItem):
            self.edit_title(item.id)
            return True
        if isinstance(item, StageHeaderItem | LaneLabelItem):
            self.rename_in_place(item.entity_type, item.id)
            return True
        cell = self.scene.layout.cell_at(pos.x(), pos.y())
        if cell is not None:
            self.last_cell = cell
            self.new_card_inline(*cell)
            return True
        return False

    # -- drags ----------------------------------------------------------------------------

    def _start_drag(self) -> None:
        item = self._press_item
        assert isinstance(item, CardItem)
        if item.isSelected():
            ids = self.scene.selected_ids("card")
        else:
            ids = [item.id]
        self._dragged = [self.scene.cards[i] for i in ids if i in self.scene.cards]
        self._origins = [d.pos() for d in self._dragged]
        for d in self._dragged:
            d.setZValue(150)
            d.setOpacity(0.85)
        self._mode = "drag-cards"

    def _drag_to(self, pos: QPointF) -> None:
        offset = pos - self._press
        for d, origin in zip(self._dragged, self._origins, strict=True):
            d.setPos(origin + offset)
        lay = self.scene.layout
        cell = lay.cell_at(pos.x(), pos.y())
        if cell is None:
            self.scene.drop_indicator.hide()
            return
        _after, _before, (x0, y0, x1, y1) = lay.drop_slot(
            *cell, pos.x(), pos.y(), exclude=[d.id for d in self._dragged]
        )
        self.scene.drop_indicator.setLine(x0, y0, x1, y1)
        self.scene.drop_indicator.show()

    def _drop(self, pos: QPointF) -> None:
        ids = [d.id for d in self._dragged]
        for d in self._dragged:
            d.setZValue(10)
            d.setOpacity(1.0)
            d.set_box(self.scene.layout.cards.get(d.id, d.box))
            d.setPos(d.box.x, d.box.y)
        self._dragged, self._origins = [], []
        lay = self.scene.layout
        cell = lay.cell_at(pos.x(), pos.y())
        if cell is None or not ids:
            return
        after, before, _line = lay.drop_slot(*cell, pos.x(), pos.y(), exclude=ids)
        self.move_cards(ids, cell[0], cell[1], before=before, after=after)
        self.last_cell = cell

    def _stage_index(self, pos: QPointF) -> int:
        dragged = self._press_item.id if isinstance(self._press_item, StageHeaderItem) else ""
        others = [s for s in self.scene.layout.stages if s.id != dragged]
        return sum(1 for s in others if s.x + s.width / 2 < pos.x())

    def _show_stage_slot(self, pos: QPointF) -> None:
        lay = self.scene.layout
        index = self._stage_index(pos)
        dragged = self._press_item.id if isinstance(self._press_item, StageHeaderItem) else ""
        others = [s for s in lay.stages if s.id != dragged]
        x = (
            others[index].x
            if index < len(others)
            else (others[-1].x + others[-1].width if others else lay.label_width)
        )
        self.scene.drop_indicator.setLine(x, 0, x, lay.height - lay.options.margin)
        self.scene.drop_indicator.show()

    def _lane_index(self, pos: QPointF) -> int:
        """Where a dragged lane lands among the other lanes of its layer."""
        item = self._press_item
        assert isinstance(item, LaneLabelItem)
        others = [
            ln for ln in self.scene.layout.lanes if ln.layer == item.lane.layer and ln.id != item.id
        ]
        return sum(1 for ln in others if ln.y + ln.height / 2 < pos.y())

    def _show_lane_slot(self, pos: QPointF) -> None:
        item = self._press_item
        assert isinstance(item, LaneLabelItem)
        lay = self.scene.layout
        others = [ln for ln in lay.lanes if ln.layer == item.lane.layer and ln.id != item.id]
        index = self._lane_index(pos)
        if index < len(others):
            y = others[index].y
        elif others:
            y = others[-1].y + others[-1].height
        else:
            y = item.lane.y
        self.scene.drop_indicator.setLine(0, y, lay.width - lay.options.margin, y)
        self.scene.drop_indicator.show()
