"""Boards, scenes and views for the canvas tests (offscreen Qt)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from app.canvas.interactions import BoardEditor
from app.canvas.scene import BoardScene
from app.canvas.view import BoardView
from app.model import edits
from app.model.document import Document

LANES = [
    ("Actions", "actions"),
    ("Touchpoints", "touchpoints"),
    ("Emotions", "emotions"),
    ("Front stage", "frontstage"),
    ("Back stage", "backstage"),
    ("Sales", "team"),
    ("Customer Success", "team"),
]


def build_board(path: Path) -> tuple[Document, dict[str, str]]:
    """Three stages, seven lanes, a few cards per cell and some links."""
    doc = Document.new(path, name="Canvas test board")
    ids: dict[str, str] = {}
    for name in ("Acquire", "Onboard", "Adopt"):
        sid, e = edits.add_stage(doc, name, stage_id=f"s-{name.lower()}", phase=name.lower())
        doc.commit(e)
        ids[name] = sid
    for name, kind in LANES:
        lid, e = edits.add_lane(doc, name, kind, lane_id=f"l-{name.lower().replace(' ', '-')}")
        doc.commit(e)
        ids[name] = lid
    cards = [
        ("A1", "Actions", "Acquire", {}),
        ("A2", "Actions", "Acquire", {}),
        ("A3", "Actions", "Acquire", {}),
        ("T1", "Touchpoints", "Acquire", {"channel": "Web"}),
        ("E1", "Emotions", "Acquire", {"sentiment": 1}),
        ("E2", "Emotions", "Onboard", {"sentiment": -1}),
        ("F1", "Front stage", "Onboard", {}),
        ("B1", "Back stage", "Onboard", {}),
        ("S1", "Sales", "Acquire", {"kind": "step", "owner": "AE", "duration_hours": 2}),
        ("C1", "Customer Success", "Onboard", {"kind": "step"}),
        ("A4", "Actions", "Adopt", {}),
    ]
    for title, lane, stage, extra in cards:
        cid, e = edits.add_card(
            doc, ids[lane], ids[stage], title=title, card_id=f"c-{title.lower()}", **extra
        )
        doc.commit(e)
        ids[title] = cid
    for src, dst in (("B1", "F1"), ("A1", "T1"), ("S1", "C1")):
        lid, e = edits.add_link(doc, ids[src], ids[dst], link_id=f"k-{src.lower()}-{dst.lower()}")
        doc.commit(e)
        ids[f"{src}->{dst}"] = lid
    return doc, ids


@pytest.fixture(autouse=True)
def dialogs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Message boxes are recorded instead of shown: a modal dialog would hang offscreen."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[tuple[str, str]] = []

    def record(_parent: Any, title: str, text: str, *args: Any, **kwargs: Any) -> Any:
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    for name in ("critical", "warning", "information", "question"):
        monkeypatch.setattr(QMessageBox, name, record)
    return shown


@pytest.fixture
def board(tmp_path: Path) -> Iterator[tuple[Document, dict[str, str]]]:
    doc, ids = build_board(tmp_path / "board.cld")
    yield doc, ids
    doc.close()


class Canvas:
    """A scene, its editor and a view shown at 100 % zoom, with mouse helpers."""

    def __init__(self, qtbot: Any, doc: Document) -> None:
        self.doc = doc
        self.scene = BoardScene(doc)
        self.editor = BoardEditor(self.scene)
        self.view = BoardView(self.scene)
        qtbot.addWidget(self.view)
        self.view.resize(1400, 1000)
        self.view.show()
        qtbot.waitExposed(self.view)
        self.view.set_zoom(1.0)
        self.view.horizontalScrollBar().setValue(self.view.horizontalScrollBar().minimum())
        self.view.verticalScrollBar().setValue(self.view.verticalScrollBar().minimum())

    def point(self, x: float, y: float) -> QPoint:
        """A viewport point for a scene point, scrolling it into view first."""
        self.view.ensureVisible(x - 5, y - 5, 10, 10, 60, 60)
        return self.view.mapFromScene(QPointF(x, y))

    def card_center(self, card_id: str) -> tuple[float, float]:
        box = self.scene.layout.cards[card_id]
        return box.x + box.w / 2, box.y + box.h / 2

    def click(
        self, x: float, y: float, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
    ) -> None:
        QTest.mouseClick(
            self.view.viewport(), Qt.MouseButton.LeftButton, modifiers, self.point(x, y)
        )

    def double_click(self, x: float, y: float) -> None:
        QTest.mouseDClick(
            self.view.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            self.point(x, y),
        )

    def drag(self, start: tuple[float, float], end: tuple[float, float], steps: int = 6) -> None:
        """Press at a scene point, move in steps and release at another (no scrolling between)."""
        vp = self.view.viewport()
        a = self.point(*start)
        b = self.view.mapFromScene(QPointF(*end))
        QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
        for i in range(1, steps + 1):
            p = QPoint(a.x() + (b.x() - a.x()) * i // steps, a.y() + (b.y() - a.y()) * i // steps)
            QTest.mouseMove(vp, p)
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)


@pytest.fixture
def canvas(qtbot: Any, board: tuple[Document, dict[str, str]]) -> Iterator[Canvas]:
    doc, _ids = board
    c = Canvas(qtbot, doc)
    yield c
    c.scene.close()


def cell_titles(doc: Document, lane: str, stage: str) -> list[str]:
    return [c.title for c in doc.cards_in(lane, stage)]


@pytest.fixture
def win(qtbot: Any, board: tuple[Document, dict[str, str]]) -> Iterator[Any]:
    """A main window showing the small test board."""
    from app.canvas.window import MainWindow

    doc, _ids = board
    w = MainWindow(doc=doc, remember=False)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close_document()
