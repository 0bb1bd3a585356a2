"""The scene mirrors the Document: one item per visible thing, updated from events."""

from __future__ import annotations

from pathlib import Path

from conftest import build_board
from PySide6.QtGui import QColor

from app.canvas.render import render_image
from app.canvas.scene import BoardScene
from app.model import edits
from app.model.document import Document


def test_scene_builds_one_item_per_visible_entity(qtbot, board) -> None:
    """Opening a design makes one item per visible stage, lane, card and link."""
    doc, ids = board
    doc.commit(edits.delete(doc, "lane", ids["Customer Success"]))  # hides C1 and S1->C1
    scene = BoardScene(doc)
    try:
        assert set(scene.stage_items) == {s.id for s in doc.stages()}
        assert set(scene.lane_items) == {ln.id for ln in doc.lanes()}
        assert set(scene.cards) == {c.id for c in doc.cards()} - {ids["C1"]}
        assert set(scene.links) == {k.id for k in doc.links()}
        assert ids["C1"] not in scene.cards and ids["S1->C1"] not in scene.links
        assert len(scene.label_items) == len(scene.lane_items)
    finally:
        scene.close()


def test_remote_change_moves_exactly_the_affected_items(qtbot, board, tmp_path: Path) -> None:
    """A change from another replica moves its card (and its links) and nothing else."""
    doc, ids = board
    scene = BoardScene(doc)
    try:
        other = Document.open(doc.save_as(tmp_path / "other.cld"))
        change = other.new_change(
            edits.move_cards(other, [ids["A4"]], ids["Actions"], ids["Onboard"])
        )
        other.close()
        before = {cid: item.pos() for cid, item in scene.cards.items()}
        doc.apply(change, origin="remote")
        assert scene.last_update["cards"] == {ids["A4"]}
        box = scene.layout.cards[ids["A4"]]
        assert (scene.cards[ids["A4"]].pos().x(), scene.cards[ids["A4"]].pos().y()) == (
            box.x,
            box.y,
        )
        assert box.stage == ids["Onboard"]
        moved = {cid for cid, item in scene.cards.items() if item.pos() != before[cid]}
        assert moved == {ids["A4"]}
    finally:
        scene.close()


def test_remote_deletion_and_creation_remove_and_add_items(qtbot, board) -> None:
    """A card deleted elsewhere disappears with its links; a new one appears."""
    doc, ids = board
    scene = BoardScene(doc)
    try:
        change = doc.new_change(edits.delete_cards(doc, [ids["B1"]]))
        doc.apply(change, origin="remote")
        assert ids["B1"] not in scene.cards and ids["B1->F1"] not in scene.links
        cid, e = edits.add_card(doc, ids["Back stage"], ids["Adopt"], title="Remote card")
        doc.apply(doc.new_change(e), origin="remote")
        assert cid in scene.cards and scene.last_update["cards"] == {cid}
    finally:
        scene.close()


def test_title_change_repaints_only_that_card(qtbot, board) -> None:
    """Renaming a card touches its item only, unless its lane grows: then the lanes below move."""
    doc, ids = board
    scene = BoardScene(doc)
    try:
        doc.commit(edits.update(doc, "card", ids["T1"], title="Web form"))
        assert scene.last_update["cards"] == {ids["T1"]}
        assert scene.cards[ids["T1"]].box.lines == ("Web form",)
        long_title = "A much longer touchpoint title that wraps over several lines of the card"
        lane_y = scene.layout.lane(ids["Touchpoints"]).y
        doc.commit(edits.update(doc, "card", ids["T1"], title=long_title))
        below = {
            cid for cid, box in scene.layout.cards.items() if scene.layout.lane(box.lane).y > lane_y
        }
        assert scene.last_update["cards"] == below | {ids["T1"]}
        assert " ".join(scene.cards[ids["T1"]].box.lines) == long_title
        for cid, item in scene.cards.items():
            box = scene.layout.cards[cid]
            assert (item.pos().x(), item.pos().y()) == (box.x, box.y)
    finally:
        scene.close()


def test_hidden_layers_are_not_drawn(qtbot, board) -> None:
    """Showing only the journey leaves blueprint and process cards out of the scene."""
    doc, ids = board
    scene = BoardScene(doc, layers={"journey"})
    try:
        assert ids["F1"] not in scene.cards and ids["A1"] in scene.cards
        scene.set_layers(None)
        assert ids["F1"] in scene.cards
    finally:
        scene.close()


def test_sample_screenshot_is_not_blank_and_fits_the_board(qtbot, tmp_path: Path) -> None:
    """The picture of the sample board has the board's size and shows many colours."""
    from app.model.templates import create_from_template

    doc = create_from_template(tmp_path / "sample.cld", "b2b-saas")
    try:
        image = render_image(doc)
        scene = BoardScene(doc)
        rect = scene.board_rect()
        scene.close()
        assert (image.width(), image.height()) == (round(rect.width()), round(rect.height()))
        small = image.scaled(200, 200)
        colours = {small.pixel(x, y) for x in range(0, 200, 4) for y in range(0, 200, 4)}
        assert len(colours) > 40
        fitted = render_image(doc, size=(800, 500))
        assert (fitted.width(), fitted.height()) == (800, 500)
        assert QColor(fitted.pixel(400, 5)) != QColor(fitted.pixel(5, 250)) or len(colours) > 40
    finally:
        doc.close()


def test_board_builder_is_consistent(tmp_path: Path) -> None:
    """The test board has the cells the other tests rely on."""
    doc, ids = build_board(tmp_path / "b.cld")
    try:
        assert [c.title for c in doc.cards_in(ids["Actions"], ids["Acquire"])] == ["A1", "A2", "A3"]
    finally:
        doc.close()


def test_chinese_japanese_and_korean_titles_draw_real_glyphs(qtbot) -> None:
    """A CJK card title is drawn from the bundled fallback font, not as empty boxes."""
    from PySide6.QtGui import QTextLayout

    from app.canvas import theme

    theme.load_fonts()
    layout = QTextLayout("Kick-off 打ち合わせ 用户开通 온보딩", theme.font(14))
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    runs = layout.glyphRuns()
    families = {run.rawFont().familyName() for run in runs}
    assert {"DejaVu Sans", "Droid Sans Fallback"} <= families
    # glyph 0 is the "missing glyph" box
    assert all(0 not in run.glyphIndexes() for run in runs)


def test_a_link_straightens_on_screen_once_the_card_in_its_way_has_moved(
    qtbot, tmp_path: Path
) -> None:
    """The link item goes round a card between its ends; moving that card away straightens
    the item shortly after, without the link's own cards moving."""
    from tests.boards import go_round_board

    doc, ids = go_round_board(tmp_path / "r.cld")
    scene = BoardScene(doc)
    try:
        assert len(scene.links[ids["link"]].route.points) == 4
        doc.commit(edits.move_cards(doc, [ids["back"]], doc.card(ids["back"]).lane, ids["adopt"]))
        qtbot.waitUntil(lambda: len(scene.links[ids["link"]].route.points) == 2, timeout=2000)
    finally:
        scene.close()
        doc.close()


def test_a_burst_of_a_thousand_remote_changes_repaints_the_board_once(
    qtbot, board, tmp_path: Path
) -> None:
    """1,000 changes from another participant (500 new cards, 500 retitles), applied as one
    batch as the workshop client does, reach the board in a single repaint."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from app.canvas.view import BoardView

    doc, ids = board
    other = Document.open(doc.save_as(tmp_path / "other.cld"))
    seq = max(s for s, _ in other.store.changes())
    lanes, stages = other.lanes(), other.stages()
    for i in range(500):
        lane, stage = lanes[i % len(lanes)].id, stages[i % len(stages)].id
        _cid, e = edits.add_card(other, lane, stage, title=f"Remote idea {i}")
        other.commit(e)
        other.commit([("card", ids["A1"], "title", f"A1 v{i}")])
    burst = [c for _s, c in other.store.changes(after_seq=seq)]
    other.close()
    assert len(burst) == 1000

    class Paints(QObject):
        count = 0

        def eventFilter(self, _obj: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                self.count += 1
            return False

    scene = BoardScene(doc)
    view = BoardView(scene)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.set_zoom(1.5)  # scrolled already: the board growing does not resize the viewport
    paints = Paints()
    view.viewport().installEventFilter(paints)
    qtbot.waitExposed(view)
    for _ in range(3):
        QApplication.processEvents()
    paints.count = 0
    doc.apply_many(burst, origin="remote")
    qtbot.waitUntil(lambda: paints.count >= 1, timeout=3000)
    for _ in range(3):
        QApplication.processEvents()
    assert paints.count == 1
    assert sum(1 for c in scene.cards if doc.card(c).title.startswith("Remote idea")) == 500
    assert scene.cards[ids["A1"]].box.lines[0].startswith("A1 v499")
    scene.close()
