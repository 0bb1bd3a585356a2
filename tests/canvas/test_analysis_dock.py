"""The analysis panel and overlay driven with pytest-qt on a real design file and board."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from app.canvas.analysis_dock import AnalysisPanel
from app.canvas.items.overlay import MARKS, AnalysisOverlayItem
from app.canvas.scene import BoardScene
from app.canvas.view import BoardView
from app.model import edits
from app.model.document import Document
from app.model.metrics import import_metrics

WAIT_MS = 10_000
DEBOUNCE_WAIT = 600


@pytest.fixture
def doc(tmp_path: Path) -> Iterator[Document]:
    """Two stages; two touchpoints (one supported by a Sales step); a Sales -> CS hand-off."""
    d = Document.new(tmp_path / "dock.cld", name="Dock")
    for sid, name in (("S1", "Acquire"), ("S2", "Onboard")):
        d.commit(edits.add_stage(d, name, stage_id=sid)[1])
    for lid, name, kind in (("touch", "Touchpoints", "touchpoints"), ("sales", "Sales", "team"),
                            ("cs", "Customer Success", "team")):  # fmt: skip
        d.commit(edits.add_lane(d, name, kind, lane_id=lid)[1])
    for cid, lane, stage, title, hours in (
        ("t1", "touch", "S1", "Website demo", None),
        ("t2", "touch", "S2", "Welcome email", None),
        ("p1", "sales", "S1", "Qualify", 4),
        ("p2", "cs", "S2", "Kickoff", 8),
    ):
        fields = {"kind": "step", "duration_hours": hours} if hours else {}
        d.commit(edits.add_card(d, lane, stage, card_id=cid, title=title, **fields)[1])
    for source, target, kind in (("p1", "t1", "supports"), ("p1", "p2", "handoff")):
        d.commit(edits.add_link(d, source, target, kind=kind)[1])
    yield d
    d.close()


@pytest.fixture
def dock(qtbot, doc: Document) -> Iterator[AnalysisPanel]:  # type: ignore[no-untyped-def]
    """The panel on its own, after its first analysis."""
    widget = AnalysisPanel(doc)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.analysis_ready, timeout=WAIT_MS):
        pass
    yield widget
    widget.shutdown()


@pytest.fixture
def board(qtbot, doc: Document) -> Iterator[tuple[AnalysisPanel, BoardScene, BoardView]]:  # type: ignore[no-untyped-def]
    """The panel attached to a real scene and view, as the main window attaches it."""
    scene = BoardScene(doc)
    view = BoardView(scene)
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    panel = AnalysisPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.analysis_ready, timeout=WAIT_MS):
        panel.attach(doc, scene, view)
    yield panel, scene, view
    panel.shutdown()
    scene.close()


def texts(dock: AnalysisPanel, kind: str) -> list[str]:
    return [item.text(0) for item in dock.finding_items(kind)]


def test_dock_lists_findings_by_kind_with_titles(dock: AnalysisPanel) -> None:
    """The dock lists each kind of finding with card titles and stage names."""
    assert texts(dock, "unsupported_touchpoints") == ["“Welcome email” (Onboard · Touchpoints)"]
    assert texts(dock, "handoffs") == ["Sales → Customer Success: 1 hand-off"]
    assert texts(dock, "critical_path") == ["12 h: “Qualify” → “Kickoff”"]
    heading = dock.tree.topLevelItem(0).text(0)
    assert heading == "Unsupported touchpoints (1)"


def test_dock_recomputes_after_an_edit(qtbot, dock: AnalysisPanel, doc: Document) -> None:  # type: ignore[no-untyped-def]
    """Linking a step to the unsupported touchpoint removes it from the findings after the debounce."""
    with qtbot.waitSignal(dock.analysis_ready, timeout=WAIT_MS):
        doc.commit(edits.add_link(doc, "p2", "t2", kind="supports")[1])
    assert texts(dock, "unsupported_touchpoints") == []


def test_a_burst_of_edits_is_analysed_once(qtbot, dock: AnalysisPanel, doc: Document) -> None:  # type: ignore[no-untyped-def]
    """Several edits in a row start one analysis, of the board after the last edit."""
    results = []
    dock.analysis_ready.connect(results.append)
    before = dock._generation
    for i in range(5):
        doc.commit(edits.update(doc, "card", "p2", duration_hours=10 + i))
    qtbot.waitUntil(lambda: len(results) == 1, timeout=WAIT_MS)
    qtbot.wait(600)
    assert dock._generation == before + 1 and len(results) == 1
    assert results[0].critical_path.hours == 18.0


def test_clicking_a_finding_selects_and_centres_its_cards(qtbot, board) -> None:  # type: ignore[no-untyped-def]
    """Clicking the critical path selects its cards on the board and centres the view on them."""
    panel, scene, view = board
    chosen: list[list[str]] = []
    panel.cards_activated.connect(chosen.append)
    (row,) = panel.finding_items("critical_path")
    panel.tree.itemClicked.emit(row, 0)
    assert chosen == [["p1", "p2"]]
    assert sorted(scene.selected_ids("card")) == ["p1", "p2"]
    rect = scene.cards["p1"].sceneBoundingRect().united(scene.cards["p2"].sceneBoundingRect())
    centre = view.mapToScene(view.viewport().rect().center())
    assert abs(centre.x() - rect.center().x()) < 30 and abs(centre.y() - rect.center().y()) < 30


def test_selecting_a_card_shows_its_trend(qtbot, board, doc: Document, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Selecting a card on the board shows its first metric's trend in the panel."""
    panel, scene, _view = board
    csv = tmp_path / "m.csv"
    csv.write_text(
        "target,metric,value,date\nWebsite demo,NPS,30,2026-01-31\nt1,NPS,41,2026-03-31\n"
    )
    import_metrics(doc, csv)
    scene.cards["t1"].setSelected(True)
    assert panel.trend_title.text() == "NPS of “Website demo”"
    assert [p.value for p in panel.trend.points] == [30.0, 41.0]
    scene.clearSelection()
    assert panel.trend.points == []


def test_detach_takes_the_overlay_off_the_board(qtbot, board, doc: Document) -> None:  # type: ignore[no-untyped-def]
    """Closing the design detaches the panel: the overlay leaves the scene and edits are not analysed."""
    panel, scene, _view = board
    overlay = panel.overlay
    assert overlay is not None and overlay.scene() is scene
    panel.detach()
    assert overlay.scene() is None and overlay.path_line.scene() is None
    assert panel.tree.topLevelItemCount() == 0
    doc.commit(edits.add_link(doc, "p2", "t2", kind="supports")[1])
    qtbot.wait(DEBOUNCE_WAIT)
    assert panel.analysis is None


def _render(scene: BoardScene) -> QImage:
    rect = scene.sceneRect()
    image = QImage(int(rect.width()), int(rect.height()), QImage.Format.Format_ARGB32)
    image.fill(QColor("#FFFFFF"))
    painter = QPainter(image)
    scene.render(painter, QRectF(image.rect()), rect)
    painter.end()
    return image


def _pixel(image: QImage, scene: BoardScene, x: float, y: float) -> QColor:
    origin = scene.sceneRect().topLeft()
    return image.pixelColor(int(x - origin.x()), int(y - origin.y()))


def _colour_near(image: QImage, scene: BoardScene, x: float, y: float, hex_code: str) -> bool:
    """True if a pixel around scene point (x, y) has nearly this colour."""
    want = QColor(hex_code)
    origin = scene.sceneRect().topLeft()
    for dx in range(-6, 7):
        for dy in range(-6, 7):
            c = image.pixelColor(int(x - origin.x()) + dx, int(y - origin.y()) + dy)
            if (
                abs(c.red() - want.red())
                + abs(c.green() - want.green())
                + abs(c.blue() - want.blue())
                < 60
            ):
                return True
    return False


def test_overlay_marks_findings_and_never_takes_clicks(qtbot, board) -> None:  # type: ignore[no-untyped-def]
    """The overlay outlines the unsupported touchpoint in red; the card under it still gets the click."""
    panel, scene, _view = board
    overlay = panel.overlay
    assert overlay is not None
    assert overlay.marks() == {
        "p1": ["critical_path"],
        "p2": ["critical_path", "orphan_backstage"],
        "t2": ["unsupported_touchpoints"],
    }
    box = scene.layout.cards["t2"]
    red = MARKS["unsupported_touchpoints"][0]
    # the dashed outline sits 3 px outside the card; the dot on the top-left corner is solid
    assert _colour_near(_render(scene), scene, box.x + 8, box.y - 1, red)
    assert scene.top_item_at(QPointF(box.x + box.w / 2, box.y + box.h / 2)) is scene.cards["t2"]
    overlay.set_shown(["critical_path"])
    assert "t2" not in overlay.marks()
    assert not _colour_near(_render(scene), scene, box.x + 8, box.y - 1, red)


def test_overlay_follows_edits(qtbot, board, doc: Document) -> None:  # type: ignore[no-untyped-def]
    """After an edit the overlay shows the new analysis: the now-supported touchpoint loses its mark."""
    panel, _scene, _view = board
    with qtbot.waitSignal(panel.analysis_ready, timeout=WAIT_MS):
        doc.commit(edits.add_link(doc, "p2", "t2", kind="supports")[1])
    assert panel.overlay is not None and "t2" not in panel.overlay.marks()


def test_metric_choice_colours_cards_and_shows_a_trend(
    qtbot, dock: AnalysisPanel, doc: Document, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Importing metrics offers them; choosing one sends heat values; a selected card shows its trend."""
    csv = tmp_path / "m.csv"
    csv.write_text(
        "target,metric,value,date\nt1,CSAT,3,2026-01-31\nt1,CSAT,4,2026-02-28\nt2,CSAT,2,2026-02-28\n",
        encoding="utf-8",
    )
    import_metrics(doc, csv)
    assert [dock.metric_choice.itemText(i) for i in range(dock.metric_choice.count())] == [
        "(none)",
        "CSAT",
    ]
    with qtbot.waitSignal(dock.heat_changed) as heat:
        dock.metric_choice.setCurrentText("CSAT")
    assert heat.args[0] == {"t1": (1.0, "4"), "t2": (0.0, "2")}
    dock.show_trend("t1")
    assert dock.trend_title.text() == "CSAT of “Website demo”"
    assert [(p.date, p.value) for p in dock.trend.points] == [
        ("2026-01-31", 3.0),
        ("2026-02-28", 4.0),
    ]
    scene = BoardScene(doc)
    overlay = AnalysisOverlayItem(scene.layout)
    overlay.add_to(scene)
    box = scene.layout.cards["t1"]
    x, y = box.x + box.w / 2, box.y + box.h - 6
    plain = _pixel(_render(scene), scene, x, y)
    overlay.set_heat(heat.args[0])
    hot = _pixel(_render(scene), scene, x, y)
    # the card's fill is tinted towards the ramp's orange
    assert hot.blue() < plain.blue() - 40 and hot.red() >= plain.red() - 10
    scene.close()


def test_hiding_the_overlay_hides_the_critical_path_line(
    qtbot, dock: AnalysisPanel, doc: Document
) -> None:  # type: ignore[no-untyped-def]
    """Switching the marks off hides the marks and the critical path's line under the cards,
    and keeps the heat of the chosen metric on the board."""
    scene = BoardScene(doc)
    overlay = AnalysisOverlayItem(scene.layout)
    overlay.add_to(scene)
    dock.overlay_toggled.connect(overlay.set_marks_visible)
    overlay.set_analysis(dock.analysis)
    overlay.set_heat({"p1": (1.0, "4.5")})
    assert [b.id for b in overlay.path_boxes()] == ["p1", "p2"]
    assert overlay.path_line.scene() is scene
    assert overlay.marks()
    box = scene.layout.cards["p1"]
    x, y = box.x + box.w / 2, box.y + box.h - 4
    dock.show_marks.setChecked(False)
    assert not overlay.marks() and not overlay.path_line.isVisible()
    assert overlay.isVisible() and overlay.heat() == {"p1": (1.0, "4.5")}
    heated = _pixel(_render(scene), scene, x, y)
    overlay.set_heat(None)
    plain = _pixel(_render(scene), scene, x, y)
    assert heated.blue() < plain.blue() - 40  # the heat still tints the card
    dock.show_marks.setChecked(True)
    assert overlay.path_line.isVisible() and overlay.marks()
    scene.close()
