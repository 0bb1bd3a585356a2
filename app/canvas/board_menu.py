"""The board's context menu: what can be done with the card, stage, lane or cell under the
pointer. A workshop viewer gets only what does not change the board."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QMenu

from app.canvas.items import CardItem, LaneLabelItem, StageHeaderItem

if TYPE_CHECKING:
    from app.canvas.window import MainWindow


def board_menu(window: MainWindow, pos: QPointF) -> QMenu | None:
    """The menu for a scene point (None when there is no board)."""
    if window.scene is None or window.editor is None:
        return None
    item = window.scene.top_item_at(pos)
    cell = window.scene.layout.cell_at(pos.x(), pos.y())
    if cell is not None:
        window.editor.last_cell = cell
    menu = QMenu(window)
    ed = window.editor
    if window.read_only:
        if isinstance(item, CardItem) and not item.isSelected():
            ed.select([item.id])
        menu.addActions([window.act_copy, window.act_fit])
        return menu
    if isinstance(item, CardItem):
        if not item.isSelected():
            ed.select([item.id])
        menu.addAction("Edit Title", lambda: ed.edit_title(item.id))
        menu.addAction("Vote", window.vote)
        menu.addSeparator()
        menu.addActions([window.act_cut, window.act_copy, window.act_delete])
    elif isinstance(item, StageHeaderItem):
        sid = item.id
        index = [s.id for s in ed.doc.stages()].index(sid)
        menu.addAction(
            "Rename Stage",
            lambda: ed.rename_inline(
                "stage", sid, item.sceneBoundingRect().adjusted(6, 28, -6, -8)
            ),
        )
        menu.addAction("Add Stage After", lambda: window.add_stage(after=sid))
        menu.addAction("Move Left", lambda: ed.move_stage(sid, max(0, index - 1)))
        menu.addAction("Move Right", lambda: ed.move_stage(sid, index + 1))
        menu.addSeparator()
        menu.addAction("Delete Stage", lambda: ed.delete_entity("stage", sid))
    elif isinstance(item, LaneLabelItem):
        lid = item.id
        lane = ed.doc.lane(lid)
        if lane is None:
            return None
        index = [ln.id for ln in ed.doc.lanes(lane.layer)].index(lid)
        menu.addAction(
            "Rename Lane",
            lambda: ed.rename_inline("lane", lid, item.sceneBoundingRect().adjusted(8, 30, -8, -8)),
        )
        menu.addAction("Add Lane Below", lambda: window.add_lane(lane.kind, after=lid))
        menu.addAction("Move Up", lambda: ed.move_lane(lid, max(0, index - 1)))
        menu.addAction("Move Down", lambda: ed.move_lane(lid, index + 1))
        menu.addSeparator()
        menu.addAction("Delete Lane", lambda: ed.delete_entity("lane", lid))
    elif cell is not None:
        menu.addAction("Add Card Here", lambda: ed.new_card_inline(*cell))
        menu.addAction(window.act_paste)
    else:
        menu.addActions([window.act_add_stage, window.act_fit])
    return menu
