"""Navigation: zoom about the cursor, fit, 100 %, panning, frozen labels, minimap."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.canvas.view import MinimapWidget


def wheel(view, pos: QPoint, steps: int, modifiers=Qt.KeyboardModifier.ControlModifier) -> None:
    event = QWheelEvent(
        QPointF(pos),
        QPointF(view.viewport().mapToGlobal(pos)),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), event)


def test_ctrl_wheel_zooms_about_the_cursor(canvas) -> None:
    """Ctrl+wheel zooms in and keeps the board point under the mouse where it was."""
    view = canvas.view
    view.set_zoom(2.0)  # the board is then larger than the view both ways
    pos = QPoint(400, 300)
    under = view.mapToScene(pos)
    wheel(view, pos, 2)
    assert view.zoom() > 2.5
    after = view.mapToScene(pos)
    assert abs(after.x() - under.x()) < 3 and abs(after.y() - under.y()) < 3


def test_fit_and_actual_size(canvas) -> None:
    """Fit shows the whole board; 100 % gives a scale of one."""
    view = canvas.view
    view.fit()
    visible = view.visible_scene_rect()
    assert visible.contains(canvas.scene.board_rect().adjusted(1, 1, -1, -1))
    view.zoom_actual()
    assert view.zoom() == 1.0


def test_middle_button_pans_and_labels_stay_visible(canvas) -> None:
    """Dragging with the middle button scrolls; lane labels stay at the left edge."""
    view = canvas.view
    view.set_zoom(3.0)
    bar = view.horizontalScrollBar()
    bar.setValue(0)
    vp = view.viewport()
    QTest.mousePress(
        vp, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(600, 300)
    )
    QTest.mouseMove(vp, QPoint(300, 300))
    QTest.mouseRelease(
        vp, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 300)
    )
    assert bar.value() > 0
    left = view.mapToScene(0, 0).x()
    assert canvas.scene.label_group.x() == max(0.0, left)
    label = next(iter(canvas.scene.label_items.values()))
    assert (
        abs(
            view.mapFromScene(label.sceneBoundingRect().topLeft()).x()
            - view.mapFromScene(QPointF(left + 30, 0)).x()
        )
        <= 1
    )


def test_minimap_draws_the_board(canvas, qtbot) -> None:
    """The minimap renders a small picture of the board and clicking it moves the view."""
    minimap = MinimapWidget(canvas.view)
    qtbot.addWidget(minimap)
    minimap.resize(260, 170)
    minimap.show()
    minimap.rerender()
    assert not minimap._image.isNull()
    canvas.view.set_zoom(2.0)
    QTest.mouseClick(
        minimap, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(200, 150)
    )
    assert canvas.view.visible_scene_rect().center().y() > canvas.scene.board_rect().height() / 2


def test_a_large_board_opens_readable_at_its_top_left(qtbot, tmp_path) -> None:
    """The sample board opens with card text drawn (not grey bars), stage headers in view."""
    from app.canvas.view import START_ZOOM
    from app.canvas.window import MainWindow
    from app.model.templates import create_from_template

    doc = create_from_template(tmp_path / "saas.cld", "b2b-saas")
    w = MainWindow(doc=doc, remember=False)
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    QApplication.processEvents()
    w.view.show_start()
    assert w.view.zoom() == START_ZOOM  # fitting all of it would be about 40 %
    seen = w.view.mapToScene(w.view.viewport().rect()).boundingRect()
    board = w.scene.board_rect()
    assert seen.top() <= board.top() + 20 and seen.left() <= board.left() + 20
    w.view.fit()
    assert w.view.zoom() < START_ZOOM
    w.close_document()


def test_a_small_board_opens_whole(win) -> None:
    """A board that fits readably is shown whole."""
    win.resize(1600, 1000)
    QApplication.processEvents()
    win.view.show_start()
    seen = win.view.mapToScene(win.view.viewport().rect()).boundingRect()
    assert seen.contains(win.scene.board_rect())
