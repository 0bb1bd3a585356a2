"""Gestures on the board end in the expected model state; undo and redo restore it exactly."""

from __future__ import annotations

from conftest import cell_titles
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.model import edits


def state(doc) -> dict:
    """Everything a user sees: cards by cell in order, links, stage order."""
    return {
        "cells": {(c.lane, c.stage): cell_titles(doc, c.lane, c.stage) for c in doc.cards()},
        "titles": sorted(c.title for c in doc.cards()),
        "links": sorted((k.source, k.target, k.kind) for k in doc.links()),
        "stages": [s.name for s in doc.stages()],
    }


def undo_redo_roundtrip(canvas, before: dict, after: dict) -> None:
    stack = canvas.editor.undo_stack
    stack.undo()
    assert state(canvas.doc) == before
    stack.redo()
    assert state(canvas.doc) == after


def test_double_click_empty_cell_adds_card_with_inline_title(canvas, board) -> None:
    """Double-click an empty cell, type a title, Enter: one new card there, one undo entry."""
    doc, ids = board
    before = state(doc)
    lay = canvas.scene.layout
    x, y, w, h = lay.cell_rect(ids["Back stage"], ids["Adopt"])
    canvas.double_click(x + w / 2, y + h / 2)
    assert canvas.editor.inline is not None
    QTest.keyClicks(canvas.view.viewport(), "Provision the tenant")
    QTest.keyClick(canvas.view.viewport(), Qt.Key.Key_Return)
    assert cell_titles(doc, ids["Back stage"], ids["Adopt"]) == ["Provision the tenant"]
    assert canvas.editor.undo_stack.count() == 1
    new = doc.cards_in(ids["Back stage"], ids["Adopt"])[0].id
    assert new in canvas.scene.cards
    undo_redo_roundtrip(canvas, before, state(doc))


def test_double_click_card_edits_its_title_inline(canvas, board) -> None:
    """Double-click a card, type a new title, Enter: the title changes; Escape keeps the old one."""
    doc, ids = board
    before = state(doc)
    canvas.double_click(*canvas.card_center(ids["T1"]))
    QTest.keyClicks(canvas.view.viewport(), "Pricing page")
    QTest.keyClick(canvas.view.viewport(), Qt.Key.Key_Return)
    assert doc.card(ids["T1"]).title == "Pricing page"
    canvas.double_click(*canvas.card_center(ids["T1"]))
    QTest.keyClicks(canvas.view.viewport(), "Not kept")
    QTest.keyClick(canvas.view.viewport(), Qt.Key.Key_Escape)
    assert doc.card(ids["T1"]).title == "Pricing page"
    undo_redo_roundtrip(canvas, before, state(doc))


def test_drag_card_within_its_cell_reorders(canvas, board) -> None:
    """Dragging the third card above the first puts it first; one undo entry brings the order back."""
    doc, ids = board
    before = state(doc)
    first = canvas.scene.layout.cards[ids["A1"]]
    canvas.drag(canvas.card_center(ids["A3"]), (first.x + first.w / 2, first.y + 3))
    assert cell_titles(doc, ids["Actions"], ids["Acquire"]) == ["A3", "A1", "A2"]
    assert canvas.editor.undo_stack.count() == 1
    box = canvas.scene.layout.cards[ids["A3"]]
    assert canvas.scene.cards[ids["A3"]].pos().y() == box.y
    undo_redo_roundtrip(canvas, before, state(doc))


def test_drag_card_to_another_cell(canvas, board) -> None:
    """Dropping a card in another lane and stage moves it there, at the drop place."""
    doc, ids = board
    before = state(doc)
    x, y, w, h = canvas.scene.layout.cell_rect(ids["Touchpoints"], ids["Onboard"])
    canvas.drag(canvas.card_center(ids["A2"]), (x + w / 2, y + h / 2))
    assert cell_titles(doc, ids["Touchpoints"], ids["Onboard"]) == ["A2"]
    assert cell_titles(doc, ids["Actions"], ids["Acquire"]) == ["A1", "A3"]
    undo_redo_roundtrip(canvas, before, state(doc))


def test_drag_from_handle_links_two_cards(canvas, board) -> None:
    """Dragging from a selected card's handle to another card links them with a suggested kind."""
    doc, ids = board
    before = state(doc)
    canvas.click(*canvas.card_center(ids["B1"]))
    box = canvas.scene.layout.cards[ids["B1"]]
    canvas.drag((box.x + box.w, box.y + box.h / 2), canvas.card_center(ids["C1"]))
    new = [k for k in doc.links() if k.source == ids["B1"] and k.target == ids["C1"]]
    assert len(new) == 1 and new[0].kind == "flow"
    assert new[0].id in canvas.scene.links
    undo_redo_roundtrip(canvas, before, state(doc))


def test_link_drag_suggests_supports_and_hand_off_and_refuses_a_duplicate(canvas, board) -> None:
    """Back stage to front stage suggests supports; Sales to Customer Success a hand-off;
    dragging the same link again adds nothing and says why."""
    doc, ids = board
    messages: list[str] = []
    canvas.scene.editor.message.connect(messages.append)

    def drag_link(src: str, dst: str) -> list:
        canvas.click(*canvas.card_center(ids[src]))
        box = canvas.scene.layout.cards[ids[src]]
        canvas.drag((box.x + box.w, box.y + box.h / 2), canvas.card_center(ids[dst]))
        return [k for k in doc.links() if k.source == ids[src] and k.target == ids[dst]]

    assert [k.kind for k in drag_link("S1", "F1")] == ["supports"]
    doc.commit([("link", ids["S1->C1"], "deleted", True)])
    assert [k.kind for k in drag_link("S1", "C1")] == ["handoff"]
    count = len(doc.links())
    assert len(drag_link("S1", "C1")) == 1
    assert (
        len(doc.links()) == count and messages[-1] == "These two cards are already linked that way."
    )


def test_ctrl_click_multi_select_and_delete_many(canvas, board) -> None:
    """Ctrl-click two cards, Delete: both go with their links; undo brings all back."""
    doc, ids = board
    before = state(doc)
    canvas.click(*canvas.card_center(ids["B1"]))
    canvas.click(*canvas.card_center(ids["A1"]), Qt.KeyboardModifier.ControlModifier)
    assert set(canvas.scene.selected_ids("card")) == {ids["B1"], ids["A1"]}
    canvas.editor.delete_selection()
    assert doc.card(ids["B1"]).deleted and doc.card(ids["A1"]).deleted
    assert ids["B1->F1"] not in canvas.scene.links and ids["A1->T1"] not in canvas.scene.links
    assert canvas.editor.undo_stack.count() == 1
    undo_redo_roundtrip(canvas, before, state(doc))


def test_rubber_band_selects_cards_in_the_area(canvas, board) -> None:
    """Dragging over empty board from outside the cards selects every card it crosses."""
    doc, ids = board
    a1, a3 = canvas.scene.layout.cards[ids["A1"]], canvas.scene.layout.cards[ids["A3"]]
    canvas.drag((a1.x - 6, a1.y - 6), (a3.x + 20, a3.y + 20))
    assert {ids["A1"], ids["A2"], ids["A3"]} <= set(canvas.scene.selected_ids("card"))


def test_copy_and_paste_into_a_cell(canvas, board) -> None:
    """Copy two cards, click another cell, paste: copies land there with the link between them."""
    doc, ids = board
    before = state(doc)
    canvas.editor.select([ids["S1"], ids["C1"]])
    data = canvas.editor.copy_selection()
    assert data is not None and len(data["cards"]) == 2
    x, y, w, h = canvas.scene.layout.cell_rect(ids["Sales"], ids["Adopt"])
    canvas.click(x + w / 2, y + h / 2)
    new_ids = canvas.editor.paste()
    assert cell_titles(doc, ids["Sales"], ids["Adopt"]) == ["S1", "C1"]
    assert any(k.source in new_ids and k.target in new_ids for k in doc.links())
    assert set(canvas.scene.selected_ids("card")) == set(new_ids)
    undo_redo_roundtrip(canvas, before, state(doc))


def test_drag_stage_header_reorders_stages(canvas, board) -> None:
    """Dragging the first stage's header past the second puts it second."""
    doc, ids = board
    before = state(doc)
    lay = canvas.scene.layout
    first, second = lay.stages[0], lay.stages[1]
    canvas.drag((first.x + 40, 30), (second.x + second.width * 0.75, 30))
    assert [s.name for s in doc.stages()] == ["Onboard", "Acquire", "Adopt"]
    assert [s.id for s in canvas.scene.layout.stages] == [
        ids["Onboard"],
        ids["Acquire"],
        ids["Adopt"],
    ]
    undo_redo_roundtrip(canvas, before, state(doc))


def test_add_rename_and_delete_stage_and_lane(canvas, board) -> None:
    """Stages and lanes are added, renamed, moved and deleted through undoable commands."""
    doc, ids = board
    before = state(doc)
    sid = canvas.editor.add_stage("Expand", after=ids["Adopt"])
    canvas.editor.update("stage", sid, name="Grow")
    lid = canvas.editor.add_lane("Partners", "team")
    canvas.editor.move_lane(lid, 0)
    assert [s.name for s in doc.stages()][-1] == "Grow"
    assert doc.lanes("process")[0].id == lid and lid in canvas.scene.lane_items
    canvas.editor.delete_entity("stage", ids["Acquire"])
    assert ids["A1"] not in canvas.scene.cards
    for _ in range(5):
        canvas.editor.undo_stack.undo()
    assert state(doc) == before
    assert ids["A1"] in canvas.scene.cards and lid not in canvas.scene.lane_items


def test_undo_takes_back_only_local_edits(canvas, board) -> None:
    """A remote change is not on the undo stack; undo leaves it in place."""
    doc, ids = board
    canvas.editor.update("card", ids["T1"], title="Local title")
    remote = doc.new_change(edits.update(doc, "card", ids["F1"], title="Remote title"))
    doc.apply(remote, origin="remote")
    assert canvas.editor.undo_stack.count() == 1
    canvas.editor.undo_stack.undo()
    assert doc.card(ids["T1"]).title == "T1" and doc.card(ids["F1"]).title == "Remote title"


def test_find_highlights_matches(canvas, board) -> None:
    """Find marks the cards whose title or notes match."""
    doc, ids = board
    canvas.editor.update("card", ids["F1"], notes="call the champion")
    found = canvas.editor.find("champion")
    assert found == [ids["F1"]] and canvas.scene.cards[ids["F1"]].highlighted
    assert canvas.editor.find("") == [] and not canvas.scene.cards[ids["F1"]].highlighted


def test_drag_lane_label_reorders_lanes_within_its_layer(canvas, board) -> None:
    """Dragging a lane's label below the next lane swaps them; undo puts it back."""
    doc, ids = board
    before = [ln.id for ln in doc.lanes("journey")]
    label = canvas.scene.label_items[ids["Actions"]]
    lane = canvas.scene.layout.lane(ids["Touchpoints"])
    start = label.sceneBoundingRect().center()
    canvas.drag((start.x(), start.y()), (start.x(), lane.y + lane.height * 0.75))
    after = [ln.id for ln in doc.lanes("journey")]
    assert after[:2] == [ids["Touchpoints"], ids["Actions"]]
    canvas.editor.undo_stack.undo()
    assert [ln.id for ln in doc.lanes("journey")] == before


def test_drag_many_selected_cards_moves_them_together(canvas, board) -> None:
    """Two selected cards dragged to another cell land there in order, in one undo entry."""
    doc, ids = board
    before = state(doc)
    canvas.editor.select([ids["A1"], ids["A2"]])
    x, y, w, h = canvas.scene.layout.cell_rect(ids["Actions"], ids["Onboard"])
    canvas.drag(canvas.card_center(ids["A1"]), (x + w / 2, y + h / 2))
    assert cell_titles(doc, ids["Actions"], ids["Onboard"]) == ["A1", "A2"]
    assert cell_titles(doc, ids["Actions"], ids["Acquire"]) == ["A3"]
    assert canvas.editor.undo_stack.count() == 1
    undo_redo_roundtrip(canvas, before, state(doc))


def test_delete_removes_a_selected_lane_but_not_with_cards(canvas, board) -> None:
    """A lane selected alone is deleted; selected with cards, only the cards go."""
    doc, ids = board
    canvas.scene.label_items[ids["Sales"]].setSelected(True)
    canvas.scene.cards[ids["A1"]].setSelected(True)
    canvas.editor.delete_selection()
    assert doc.card(ids["A1"]).deleted and doc.is_visible("lane", ids["Sales"])
    canvas.scene.clearSelection()
    canvas.scene.label_items[ids["Sales"]].setSelected(True)
    canvas.editor.delete_selection()
    assert not doc.is_visible("lane", ids["Sales"]) and ids["S1"] not in canvas.scene.cards
    canvas.editor.undo_stack.undo()
    assert ids["S1"] in canvas.scene.cards


def test_click_on_a_link_selects_it_and_delete_removes_it(canvas, board) -> None:
    """A click on a link's line selects it; Delete removes only that link; undo restores it."""
    doc, ids = board
    route = canvas.scene.layout.links[ids["B1->F1"]]
    (x0, y0), (x1, y1) = route.points[0], route.points[1]
    canvas.click((x0 + x1) / 2 + 2, (y0 + y1) / 2)
    assert canvas.scene.selected_ids("link") == [ids["B1->F1"]]
    canvas.editor.delete_selection()
    assert not doc.is_visible("link", ids["B1->F1"]) and doc.is_visible("card", ids["B1"])
    canvas.editor.undo_stack.undo()
    assert ids["B1->F1"] in canvas.scene.links
