"""The main window around a design: files, properties, exports and the start-up sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage

from app.__main__ import main as desktop_main
from app.canvas import window as window_module
from app.canvas.window import MainWindow
from app.cli import main as cld_main
from app.model.document import Document
from app.model.store import DesignFileError


def test_window_shows_the_design(win, board) -> None:
    """The window titles itself after the design and draws its cards."""
    doc, ids = board
    assert doc.name in win.windowTitle()
    assert ids["A1"] in win.scene.cards
    assert win.status_file.text() == str(doc.path)


def test_bad_file_is_explained_and_the_app_keeps_running(win, tmp_path: Path, dialogs) -> None:
    """Opening a file that is not a design shows the model's message; the board stays open."""
    bad = tmp_path / "notes.cld"
    bad.write_text("this is not a design")
    before = win.doc
    assert win.open_path(bad) is False
    assert len(dialogs) == 1 and dialogs[0][0] == "Cannot open this design"
    with pytest.raises(DesignFileError) as model_error:
        Document.open(bad)
    assert dialogs[0][1] == str(model_error.value)
    assert win.doc is before and win.scene is not None


def test_save_as_continues_in_the_copy(win, board, tmp_path: Path) -> None:
    """Save As copies the design and the window goes on editing the copy."""
    doc, ids = board
    original = doc.path
    assert win.save_as_path(tmp_path / "copy.cld")
    assert win.doc.path == tmp_path / "copy.cld"
    win.editor.update("card", ids["A1"], title="Only in the copy")
    with Document.open(original) as first:
        assert first.card(ids["A1"]).title == "A1"
    assert win.doc.card(ids["A1"]).title == "Only in the copy"


def test_properties_show_validation_messages_inline(win, board) -> None:
    """A refused value shows the model's rule under the field and changes nothing."""
    doc, ids = board
    win.editor.select([ids["S1"]])
    panel = win.properties
    assert panel.target == ("card", ids["S1"])
    field = panel.field_widget("duration_hours")
    field.setText("-3")
    field.editingFinished.emit()
    assert panel.field_error("duration_hours") == "must be greater than or equal to 0 (got -3.0)"
    assert doc.card(ids["S1"]).duration_hours == 2
    colour = panel.field_widget("color")
    colour.setText("red")
    colour.editingFinished.emit()
    assert panel.field_error("color").startswith("must be a colour like #1971C2")
    field.setText("4.5")
    field.editingFinished.emit()
    assert doc.card(ids["S1"]).duration_hours == 4.5 and panel.field_error("duration_hours") == ""
    win.undo_stack.undo()
    assert doc.card(ids["S1"]).duration_hours == 2


def test_properties_edit_lanes_and_stages(win, board) -> None:
    """Selecting a stage header shows its fields; renaming there renames the stage."""
    doc, ids = board
    win.scene.stage_items[ids["Adopt"]].setSelected(True)
    panel = win.properties
    assert panel.target == ("stage", ids["Adopt"])
    name = panel.field_widget("name")
    name.setText("   ")
    name.editingFinished.emit()
    assert panel.field_error("name") == "a stage needs a name"
    assert doc.stage(ids["Adopt"]).name == "Adopt"
    name.setText("Adopt & grow")
    name.editingFinished.emit()
    assert doc.stage(ids["Adopt"]).name == "Adopt & grow"


def test_recent_files_are_kept(qtbot, board, tmp_path: Path) -> None:
    """Opening a design puts it first in the recent files."""
    doc, _ids = board
    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )
    w = MainWindow(remember=True)
    qtbot.addWidget(w)
    other = Document.new(tmp_path / "second.cld", name="Second")
    other.close()
    assert w.open_path(tmp_path / "second.cld")
    assert w.recent_files()[0] == str(tmp_path / "second.cld")
    w.close()


def test_export_png_and_json_from_the_window(win, tmp_path: Path, dialogs) -> None:
    """File > Export writes a PNG picture and a JSON file through the CLI's exporters."""
    assert "wrote" in win.export_to(tmp_path / "board.png"), dialogs
    assert QImage(str(tmp_path / "board.png")).width() > 500
    win.export_to(tmp_path / "board.json")
    assert (tmp_path / "board.json").stat().st_size > 100


def test_cld_export_png_and_svg(qtbot, board, tmp_path: Path, capsys) -> None:
    """`cld export FILE -o OUT.png|svg` renders the board offscreen."""
    doc, _ids = board
    out = tmp_path / "pic.png"
    assert cld_main(["export", str(doc.path), "-o", str(out), "--size", "800x500"]) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (800, 500)
    svg = tmp_path / "pic.svg"
    assert cld_main(["export", str(doc.path), "-o", str(svg)]) == 0
    assert "<svg" in svg.read_text()[:2000]
    assert cld_main(["export", str(doc.path), "-o", str(out), "--size", "huge"]) == 2
    assert "1600x1000" in capsys.readouterr().err


def test_screenshot_option_writes_a_picture(qtbot, board, tmp_path: Path) -> None:
    """`cld-desktop --screenshot OUT.png --size WxH FILE` writes a picture of that size."""
    doc, _ids = board
    out = tmp_path / "shot.png"
    assert desktop_main(["--screenshot", str(out), "--size", "900x600", str(doc.path)]) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (900, 600)
    assert desktop_main(["--screenshot", str(out), str(tmp_path / "missing.cld")]) == 2


def test_first_run_creates_the_sample_board(qtbot, tmp_path: Path, monkeypatch) -> None:
    """With no file, the app makes the B2B SaaS sample once in the data folder."""
    target = tmp_path / "data" / "sample.cld"
    target.parent.mkdir()
    monkeypatch.setattr(window_module, "sample_path", lambda: target)
    path = window_module.ensure_sample()
    assert path == target and target.is_file()
    with Document.open(target) as doc:
        assert len(doc.stages()) == 5 and len(doc.cards()) > 60
    stamp = target.stat().st_mtime_ns
    window_module.ensure_sample()
    assert target.stat().st_mtime_ns == stamp


def test_typing_in_the_inline_editor_is_not_taken_by_shortcuts(win, board, qtbot) -> None:
    """Letters that are also shortcuts (N, V) and Delete go into the title being typed."""
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest

    doc, ids = board
    win.activateWindow()
    view = win.view
    view.set_zoom(1.0)
    box = win.scene.layout.cards[ids["T1"]]
    view.centerOn(box.x, box.y)
    point = view.mapFromScene(QPointF(box.x + box.w / 2, box.y + box.h / 2))
    QTest.mouseDClick(
        view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point
    )
    assert win.editor.inline is not None
    QTest.keyClicks(view.viewport(), "Never vanish")
    QTest.keyClick(view.viewport(), Qt.Key.Key_Backspace)
    QTest.keyClick(view.viewport(), Qt.Key.Key_Return)
    assert doc.card(ids["T1"]).title == "Never vanis"
    assert len(doc.cards()) == 11 and not doc.votes()


def test_properties_edit_a_lane_kind_within_its_layer(win, board) -> None:
    """A selected lane offers only its layer's kinds; picking one changes the lane."""
    doc, ids = board
    win.scene.label_items[ids["Back stage"]].setSelected(True)
    panel = win.properties
    assert panel.target == ("lane", ids["Back stage"])
    combo = panel.field_widget("kind")
    kinds = [combo.itemData(i) for i in range(combo.count())]
    assert "support" in kinds and "team" not in kinds and "touchpoints" not in kinds
    combo.setCurrentIndex(kinds.index("support"))
    combo.activated.emit(kinds.index("support"))
    assert doc.lane(ids["Back stage"]).kind == "support"


def test_find_jumps_to_matches_in_turn(win, board) -> None:
    """Typing in Find highlights matches; Enter selects the next one and scrolls to it."""
    doc, ids = board
    win.find_box.setText("a")  # A1..A4 by title
    assert len(win._matches) >= 4
    win.find_next()
    first = win.scene.selected_ids("card")
    win.find_next()
    second = win.scene.selected_ids("card")
    assert len(first) == len(second) == 1 and first != second
    item = win.scene.cards[second[0]]
    assert win.view.visible_scene_rect().intersects(item.sceneBoundingRect())


def test_paste_into_another_board(qtbot, board, tmp_path: Path) -> None:
    """Cards copied from one board paste into another board's clicked cell."""
    from conftest import Canvas

    doc, ids = board
    first = Canvas(qtbot, doc)
    first.editor.select([ids["A1"], ids["T1"]])
    first.editor.copy_selection()
    other = Document.new(tmp_path / "other.cld", name="Other")
    from app.model import edits

    sid, e = edits.add_stage(other, "Only stage")
    other.commit(e)
    lid, e = edits.add_lane(other, "Only lane", "actions")
    other.commit(e)
    second = Canvas(qtbot, other)
    try:
        second.editor.last_cell = (lid, sid)
        new = second.editor.paste()
        assert [c.title for c in other.cards_in(lid, sid)] == ["A1", "T1"]
        assert len(other.links()) == 1 and set(new) == {c.id for c in other.cards()}
    finally:
        first.scene.close()
        second.scene.close()
        other.close()


def test_properties_and_menus_speak_words_not_stored_values(win, board) -> None:
    """Combos read "Back stage", "Hand-off", "+2  delighted"; the Add Lane menu names layers."""
    doc, ids = board
    win.scene.label_items[ids["Back stage"]].setSelected(True)
    kind = win.properties.field_widget("kind")
    assert kind.currentText() == "Back stage" and kind.currentData() == "backstage"
    win.editor.select([ids["E1"]])
    assert win.properties.field_widget("sentiment").currentText() == "+1  pleased"
    menu = [a.text() for a in win.lane_menu.actions()]
    assert "Service blueprint: Back stage" in menu and "Internal process: Team" in menu


def test_standard_shortcuts_are_there_on_every_platform(win) -> None:
    """Quit, Redo and Zoom In answer the keys people press for them."""
    keys = {a.text(): {k.toString() for k in a.shortcuts()} for a in win.actions()}
    assert "Ctrl+Q" in keys["&Quit"]
    assert {"Ctrl++", "Ctrl+="} <= keys["Zoom &In"]
    redo = {k.toString() for k in win.act_redo.shortcuts()}
    assert {"Ctrl+Shift+Z", "Ctrl+Y"} <= redo


def test_editing_a_stage_in_the_dock_keeps_its_form_and_focus(win, board) -> None:
    """Renaming a stage rebuilds the board's frame; the dock keeps the same form, the
    field keeps the keyboard, and the view still scrolls over the whole board."""
    doc, ids = board
    win.scene.stage_items[ids["Adopt"]].setSelected(True)
    panel = win.properties
    name = panel.field_widget("name")
    name.setFocus()
    name.setText("Adopt and grow across the whole company")
    name.editingFinished.emit()
    assert doc.stage(ids["Adopt"]).name.startswith("Adopt and grow")
    assert panel.field_widget("name") is name  # the same form, not a new one
    assert win.scene.stage_items[ids["Adopt"]].isSelected()
    assert panel.target == ("stage", ids["Adopt"])
    rect = win.scene.sceneRect()
    assert rect.width() >= win.scene.layout.width  # the view knows the new size


def test_add_stage_puts_the_new_name_up_for_typing(win, board) -> None:
    """Edit ▸ Add Stage adds "New stage" and opens its name in place; typing and Enter
    rename it; Escape would keep "New stage"."""
    doc, _ids = board
    win.act_add_stage.trigger()
    new = doc.stages()[-1]
    assert new.name == "New stage"
    inline = win.editor.inline
    assert inline is not None and inline.toPlainText() == "New stage"
    inline.setPlainText("Expand")
    inline.finish(True)
    assert doc.stages()[-1].name == "Expand"
    assert win.editor.inline is None
