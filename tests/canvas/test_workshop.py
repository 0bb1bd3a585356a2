"""Workshop mode in the window: host and join with a real server, presence, follow, undo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.canvas.window import MainWindow
from app.model import edits
from app.model import facilitation as fac
from app.model.document import Document

WAIT = 30_000  # ms: two busy cores, real sockets


class Room:
    """A host window serving its design and guest windows joined to it."""

    def __init__(self, qtbot: Any, tmp_path: Path, doc: Document) -> None:
        self.qtbot = qtbot
        self.tmp = tmp_path
        self.windows: list[MainWindow] = []
        self.host = self.window(doc)
        self.links = self.host.workshop.host(
            port=0, address="127.0.0.1", data_dir=tmp_path / "server", name="Fran"
        )

    def window(self, doc: Document | None = None) -> MainWindow:
        w = MainWindow(doc=doc, remember=False)
        self.qtbot.addWidget(w)
        w.resize(1400, 900)
        w.show()
        self.windows.append(w)
        return w

    def guest(self, name: str, color: str, role: str = "editor") -> MainWindow:
        w = self.window()
        link = self.host.workshop.facilitator_link if role == "facilitator" else self.links[role]
        w.workshop.join(link, name, color, folder=self.tmp / f"guest-{name}")
        self.qtbot.waitUntil(lambda: w.workshop.session.state.state == "online", timeout=WAIT)
        self.qtbot.waitUntil(lambda: len(w.doc.cards()) == len(self.host.doc.cards()), timeout=WAIT)
        return w

    def close(self) -> None:
        for w in reversed(self.windows):
            w.workshop.shutdown()
            w.close_document()


@pytest.fixture
def room(qtbot: Any, tmp_path: Path, board: tuple[Document, dict[str, str]]) -> Iterator[Room]:
    doc, _ids = board
    r = Room(qtbot, tmp_path, doc)
    try:
        yield r
    finally:
        r.close()


def test_a_card_added_in_one_window_appears_in_the_other(room: Room, board) -> None:
    """Both directions: the host's new card reaches the guest, the guest's reaches the host."""
    _doc, ids = board
    assert room.host.doc.store.outbox_count() == 0  # the room was seeded with the design
    guest = room.guest("Bea", "#E03131")
    assert guest.doc.path.parent.name == "guest-Bea"  # a local copy, not the host's file
    cid = room.host.editor.add_card(ids["Actions"], ids["Onboard"], "From the host")
    room.qtbot.waitUntil(lambda: cid in guest.scene.cards, timeout=WAIT)
    back = guest.editor.add_card(ids["Sales"], ids["Adopt"], "From Bea")
    room.qtbot.waitUntil(lambda: back in room.host.scene.cards, timeout=WAIT)
    assert room.host.doc.card(back).title == "From Bea"
    assert "online" in guest.status_workshop.text()


def test_a_selection_shows_outlined_in_the_participants_colour(room: Room, board) -> None:
    """The guest selects a card; the host sees its outline in the guest's colour and name."""
    _doc, ids = board
    guest = room.guest("Bea", "#E03131")
    guest.editor.select([ids["A2"]])
    layer = room.host.workshop.presence

    def outlined() -> bool:
        return any(s.ids == [ids["A2"]] for s in layer.selections.values())

    room.qtbot.waitUntil(outlined, timeout=WAIT)
    outline = next(s for s in layer.selections.values() if s.ids == [ids["A2"]])
    assert outline.name == "Bea" and outline.color.name() == "#e03131"
    card_rect = room.host.scene.cards[ids["A2"]].sceneBoundingRect()
    assert outline.outlined()[0].contains(card_rect)
    rows = room.host.workshop.participants_panel.row_texts()
    assert any(r.startswith("Bea") and "editor" in r and "online" in r for r in rows)


def test_following_moves_the_viewport(room: Room, board) -> None:
    """Clicking the host in the guest's dock follows the host's view as it moves."""
    _doc, ids = board
    guest = room.guest("Bea", "#2F9E44")
    host_id = next(pid for pid, who in guest.workshop.participants.items() if who.name == "Fran")
    guest.workshop.follow(host_id)
    room.host.view.set_zoom(2.0)  # closer than the guest's view
    room.host.view.centerOn(room.host.scene.cards[ids["C1"]].sceneBoundingRect().center())
    target = room.host.view.visible_scene_rect().center()
    room.host.workshop.tracker.send()

    def near() -> bool:
        centre = guest.view.visible_scene_rect().center()
        return abs(centre.x() - target.x()) < 40 and abs(centre.y() - target.y()) < 40

    room.qtbot.waitUntil(near, timeout=WAIT)
    assert guest.view.zoom() == pytest.approx(2.0, rel=0.15)  # fitted to its own window
    assert "following" in " ".join(guest.workshop.participants_panel.row_texts())


def test_bring_everyone_to_my_view(room: Room, board) -> None:
    """The facilitator presents: a guest who follows nobody is brought to the host's view."""
    _doc, ids = board
    guest = room.guest("Bea", "#2F9E44")
    room.host.view.set_zoom(2.0)  # closer than the guest's view
    room.host.view.centerOn(room.host.scene.cards[ids["A4"]].sceneBoundingRect().center())
    target = room.host.view.visible_scene_rect().center()
    room.host.workshop.participants_panel.present.setChecked(True)
    assert fac.state(room.host.doc).presenter == room.host.doc.replica

    def near() -> bool:
        centre = guest.view.visible_scene_rect().center()
        return abs(centre.x() - target.x()) < 40 and abs(centre.y() - target.y()) < 40

    room.qtbot.waitUntil(near, timeout=WAIT)


def test_everyone_follows_the_co_facilitator_who_presents(room: Room, board) -> None:
    """With two facilitators, "Bring everyone to my view" follows the one who pressed it."""
    _doc, ids = board
    gil = room.guest("Gil", "#E8590C", role="facilitator")
    bea = room.guest("Bea", "#2F9E44")
    room.qtbot.waitUntil(lambda: gil.workshop.role == "facilitator", timeout=WAIT)
    gil.view.set_zoom(2.0)
    gil.view.centerOn(gil.scene.cards[ids["C1"]].sceneBoundingRect().center())
    target = gil.view.visible_scene_rect().center()
    gil.workshop.participants_panel.present.setChecked(True)
    assert fac.state(gil.doc).presenter == gil.doc.replica
    gil_id = next(pid for pid, who in bea.workshop.participants.items() if who.name == "Gil")
    room.qtbot.waitUntil(lambda: bea.workshop.follow_target() == gil_id, timeout=WAIT)

    def near() -> bool:
        centre = bea.view.visible_scene_rect().center()
        return abs(centre.x() - target.x()) < 40 and abs(centre.y() - target.y()) < 40

    room.qtbot.waitUntil(near, timeout=WAIT)
    assert room.host.workshop.follow_target() == next(
        pid for pid, who in room.host.workshop.participants.items() if who.name == "Gil"
    )


def test_leaving_does_not_wait_for_the_client_and_it_finishes_on_its_own(room: Room, board) -> None:
    """Leave returns at once, the window stays usable, and the session ends cleanly after."""
    _doc, ids = board
    guest = room.guest("Bea", "#2F9E44")
    session = guest.workshop.session
    ended: list[bool] = []
    session.finished.connect(lambda: ended.append(True))
    guest.workshop.leave()
    # the client's last calls need this (GUI) thread: it cannot have ended inside leave()
    assert session.is_running() and guest.workshop.stopping == [session]
    assert guest.editor.add_card(ids["Sales"], ids["Adopt"], "Right after leaving")
    room.qtbot.waitUntil(lambda: ended == [True] and not session.is_running(), timeout=WAIT)
    assert session.state.state == "stopped" and guest.workshop.stopping == []
    room.qtbot.waitUntil(  # the host sees Bea go
        lambda: "Bea" not in {p.name for p in room.host.workshop.participants.values()},
        timeout=WAIT,
    )


def test_votes_are_counted_once_per_participant_within_the_limit(room: Room, board) -> None:
    """Two votes each on the round's lanes: a third is refused, a repeat click takes it back."""
    _doc, ids = board
    guest = room.guest("Bea", "#9C36B5")
    fac.open_round(room.host.doc, [ids["Actions"]], 2)
    room.qtbot.waitUntil(lambda: fac.state(guest.doc).voting_open, timeout=WAIT)
    voter = guest.editor.voter
    assert voter == guest.doc.replica
    assert guest.workshop.vote(ids["A1"]) and guest.workshop.vote(ids["A2"])
    assert not guest.workshop.vote(ids["A3"])  # the limit
    assert "used your 2 votes" in guest.statusBar().currentMessage()
    assert not guest.workshop.vote(ids["T1"])  # not a lane of this round
    assert room.host.workshop.vote(ids["A1"])
    room.qtbot.waitUntil(lambda: len(room.host.doc.votes()) == 3, timeout=WAIT)
    room.qtbot.waitUntil(lambda: len(guest.doc.votes()) == 3, timeout=WAIT)
    ranked = [(r.card.title, r.votes) for r in fac.results(room.host.doc)]
    assert ranked == [("A1", 2), ("A2", 1)]
    assert room.host.scene.layout.cards[ids["A1"]].votes == 2  # dots on the board
    rows = room.host.workshop.facilitation_panel
    room.qtbot.waitUntil(
        lambda: rows.result_rows()[:1] == ["1. \u25cf\u25cf 2  A1  (Actions)"], timeout=WAIT
    )
    assert guest.workshop.vote(ids["A1"])  # clicking again takes the vote back
    assert fac.votes_left(guest.doc, voter) == 1
    assert guest.undo_stack.count() == 0  # votes are clicks, not undoable edits
    # the round's lane is marked on everyone's board
    assert room.host.scene.voting_lanes() == {ids["Actions"]} == guest.scene.voting_lanes()


def test_votes_past_the_limit_do_not_count_whoever_sends_them(room: Room, board) -> None:
    """A client that ignores the limit (or one person on two laptops) gets no extra dots in
    the results: each voter's earliest votes count, up to the round's number."""
    _doc, ids = board
    guest = room.guest("Bea", "#9C36B5")
    fac.open_round(room.host.doc, [ids["Actions"]], 1)
    room.qtbot.waitUntil(lambda: fac.state(guest.doc).voting_open, timeout=WAIT)
    voter = guest.editor.voter
    for card in ("A1", "A2", "A3"):  # straight to the document, past every client-side check
        guest.doc.commit(edits.toggle_vote(guest.doc, ids[card], voter))
    room.qtbot.waitUntil(lambda: len(room.host.doc.votes()) == 3, timeout=WAIT)
    for window in (room.host, guest):
        assert [(r.card.title, r.votes) for r in fac.results(window.doc)] == [("A1", 1)]
    fac.close_round(room.host.doc)
    room.qtbot.waitUntil(lambda: not guest.scene.voting_lanes(), timeout=WAIT)


def test_a_viewer_cannot_edit(room: Room, board) -> None:
    """A viewer link gives a read-only window: no edit actions, gestures refused, file unchanged."""
    _doc, ids = board
    viewer = room.guest("Vic", "#0C8599", role="viewer")
    room.qtbot.waitUntil(lambda: viewer.workshop.role == "viewer", timeout=WAIT)
    assert viewer.read_only and viewer.editor.read_only
    assert not viewer.act_add_card.isEnabled() and not viewer.act_delete.isEnabled()
    before = len(viewer.doc.cards())
    viewer.editor.add_card(ids["Actions"], ids["Acquire"], "Sneaky")
    viewer.editor.select([ids["A1"]])
    assert viewer.editor.delete_selection() is False
    assert viewer.editor.edit_title(ids["A1"]) is None
    assert len(viewer.doc.cards()) == before and viewer.undo_stack.count() == 0
    assert viewer.doc.store.outbox_count() == 0


def test_undo_takes_back_only_your_own_edit(room: Room, board) -> None:
    """The host's undo reverts the host's edit and leaves the guest's edit everywhere."""
    _doc, ids = board
    guest = room.guest("Bea", "#F08C00")
    guest.editor.update("card", ids["A1"], title="Bea's title")
    room.qtbot.waitUntil(lambda: room.host.doc.card(ids["A1"]).title == "Bea's title", timeout=WAIT)
    room.host.editor.update("card", ids["A2"], title="Fran's title")
    assert room.host.undo_stack.count() == 1  # the remote edit is not on the host's stack
    room.host.undo_stack.undo()
    assert room.host.doc.card(ids["A2"]).title == "A2"
    assert room.host.doc.card(ids["A1"]).title == "Bea's title"
    room.qtbot.waitUntil(lambda: guest.doc.card(ids["A2"]).title == "A2", timeout=WAIT)
    assert guest.doc.card(ids["A1"]).title == "Bea's title"


def test_undo_leaves_a_field_someone_changed_since(room: Room, board) -> None:
    """The host retitles a card, the guest retitles it again; the host's undo keeps the
    guest's title on both boards, and redo does not overwrite it either."""
    _doc, ids = board
    guest = room.guest("Bea", "#F08C00")
    room.host.editor.update("card", ids["A2"], title="Fran's title")
    room.qtbot.waitUntil(lambda: guest.doc.card(ids["A2"]).title == "Fran's title", timeout=WAIT)
    guest.editor.update("card", ids["A2"], title="Bea's better title")
    room.qtbot.waitUntil(
        lambda: room.host.doc.card(ids["A2"]).title == "Bea's better title", timeout=WAIT
    )
    room.host.undo_stack.undo()
    room.host.undo_stack.redo()
    room.host.undo_stack.undo()
    room.qtbot.wait(300)
    for window in (room.host, guest):
        assert window.doc.card(ids["A2"]).title == "Bea's better title"


def test_the_timer_is_set_started_and_paused_by_the_facilitator_for_everyone(
    room: Room, board
) -> None:
    """The facilitator's timer runs on the guest's panel and status bar, and pauses there."""
    guest = room.guest("Bea", "#1971C2")
    panel = room.host.workshop.facilitation_panel
    assert panel.set_button.isVisibleTo(panel)
    assert not guest.workshop.facilitation_panel.set_button.isVisibleTo(
        guest.workshop.facilitation_panel
    )  # only the facilitator sets it
    panel.minutes.setValue(5)
    panel.label_edit.setText("Ideas")
    panel.set_button.click()
    panel.start_button.click()
    shown = guest.workshop.facilitation_panel
    assert panel.start_button.text() == "Pause"
    room.qtbot.waitUntil(lambda: shown.timer_text().startswith("Ideas  04:5"), timeout=WAIT)
    room.qtbot.waitUntil(lambda: "Timer: Ideas  04:5" in guest.status_workshop.text(), timeout=WAIT)
    panel.start_button.click()  # pause
    room.qtbot.waitUntil(lambda: shown.timer_text().endswith("(paused)"), timeout=WAIT)
    frozen = shown.timer_text()
    room.qtbot.wait(1200)
    assert shown.timer_text() == frozen


def test_host_dialog_copies_links_and_stop_hosting_ends_the_room(room: Room, board) -> None:
    """The links are copied with one click; Stop Hosting closes the server, guests go offline."""
    from PySide6.QtWidgets import QApplication, QPushButton

    guest = room.guest("Bea", "#1971C2")
    room.host.workshop.host_dialog()
    dialog = room.host.workshop.dialog
    assert dialog.fields["viewer"].text() == room.links["viewer"]
    assert "/rooms/" in room.links["editor"] and "token=" in room.links["editor"]
    dialog.findChild(QPushButton, "copy_editor").click()
    assert QApplication.clipboard().text() == room.links["editor"]
    assert room.host.act_leave.text() == "&Stop Hosting"
    dialog.stop_requested.emit()
    assert not room.host.workshop.active and room.host.workshop.server is None
    assert room.host.doc is not None  # the design stays open
    room.qtbot.waitUntil(lambda: guest.workshop.session.state.state != "online", timeout=WAIT)
    room.qtbot.waitUntil(lambda: "Workshop" in guest.status_workshop.text(), timeout=WAIT)
    assert room.host.act_host.isEnabled()


def test_a_wrong_token_is_refused_in_plain_words(room: Room, board, dialogs) -> None:
    """A link with a bad token shows why and what to do; the window keeps its local copy."""
    w = room.window()
    bad = room.links["editor"].replace("token=", "token=x")
    w.workshop.join(bad, "Mallory", "#E03131", folder=room.tmp / "bad")
    room.qtbot.waitUntil(lambda: not w.workshop.active, timeout=WAIT)
    assert dialogs and dialogs[-1][0] == "Cannot join the workshop"
    assert "401" in dialogs[-1][1] and "new join link" in dialogs[-1][1]
    assert w.doc is not None


def test_remote_cursor_is_drawn_with_its_name_in_the_participants_colour(room: Room, board) -> None:
    """The guest's pointer shows on the host's board as an arrow and name tag in red."""
    from PySide6.QtGui import QColor

    _doc, ids = board
    guest = room.guest("Bea", "#E03131")
    rect = guest.scene.cards[ids["T1"]].sceneBoundingRect()
    guest.workshop.tracker.cursor = (rect.center().x(), rect.center().y())
    guest.workshop.tracker.send()
    layer = room.host.workshop.presence
    room.qtbot.waitUntil(lambda: len(layer.cursors) == 1, timeout=WAIT)
    pointer = next(iter(layer.cursors.values()))
    assert pointer.name == "Bea" and pointer.isVisible()
    assert pointer.pos().x() == pytest.approx(rect.center().x(), abs=0.2)
    view = room.host.view
    view.centerOn(pointer.pos())
    image = view.viewport().grab().toImage()
    tag = view.mapFromScene(pointer.pos())
    sample = image.pixelColor(tag.x() + 16, tag.y() + 22)  # inside the name tag
    assert sample == QColor("#E03131")


def _click(window: MainWindow, x: float, y: float, double: bool = False) -> None:
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest

    view = window.view
    view.ensureVisible(x - 5, y - 5, 10, 10, 60, 60)
    point = view.mapFromScene(QPointF(x, y))
    act = QTest.mouseDClick if double else QTest.mouseClick
    act(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)


def test_clicking_cards_votes_in_an_open_round_and_the_dock_click_follows(
    room: Room, board
) -> None:
    """With a round open a click on a card votes and a second click unvotes; a click on a
    name in the participants dock follows that person."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    _doc, ids = board
    guest = room.guest("Bea", "#9C36B5")
    fac.open_round(room.host.doc, [ids["Actions"]], 3)
    room.qtbot.waitUntil(lambda: fac.state(guest.doc).voting_open, timeout=WAIT)
    centre = guest.scene.cards[ids["A3"]].sceneBoundingRect().center()
    _click(guest, centre.x(), centre.y())
    room.qtbot.waitUntil(lambda: len(room.host.doc.votes(ids["A3"])) == 1, timeout=WAIT)
    _click(guest, centre.x(), centre.y() + 2)
    assert guest.doc.votes(ids["A3"]) == []
    panel = guest.workshop.participants_panel
    row = next(
        panel.list.item(i)
        for i in range(panel.list.count())
        if panel.list.item(i).text().startswith("Fran")
    )
    QTest.mouseClick(
        panel.list.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        panel.list.visualItemRect(row).center(),
    )
    assert guest.workshop.following and "following" in " ".join(panel.row_texts())


def test_a_viewer_gestures_change_nothing(room: Room, board) -> None:
    """A viewer's double-click opens no editor and a drag moves no card."""
    _doc, ids = board
    viewer = room.guest("Vic", "#0C8599", role="viewer")
    room.qtbot.waitUntil(lambda: viewer.workshop.role == "viewer", timeout=WAIT)
    card = viewer.scene.cards[ids["A1"]].sceneBoundingRect().center()
    _click(viewer, card.x(), card.y(), double=True)
    assert viewer.editor.inline is None
    before = [c.title for c in viewer.doc.cards_in(ids["Actions"], ids["Acquire"])]
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest

    vp = viewer.view.viewport()
    a = viewer.view.mapFromScene(card)
    b = viewer.view.mapFromScene(QPointF(card.x() + 300, card.y() + 200))
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    for i in range(1, 6):
        QTest.mouseMove(vp, a + (b - a) * i / 5)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)
    assert [c.title for c in viewer.doc.cards_in(ids["Actions"], ids["Acquire"])] == before
    assert viewer.doc.store.outbox_count() == 0


def test_a_new_copy_fits_the_board_when_it_arrives(room: Room, board) -> None:
    """Joining with an empty copy ends with the whole board in view, not zoomed into nothing."""
    guest = room.guest("Bea", "#1971C2")
    room.qtbot.waitUntil(
        lambda: guest.view.visible_scene_rect().contains(guest.scene.board_rect()), timeout=WAIT
    )


def test_a_late_joiner_gets_the_open_round_the_timer_and_the_presenter(room: Room, board) -> None:
    """Facilitation lives in the merged board: someone joining later sees all of it at once."""
    _doc, ids = board
    fac.open_round(room.host.doc, [ids["Actions"]], 4)
    fac.set_timer(room.host.doc, 10, "Ideas")
    fac.start_timer(room.host.doc)
    room.host.workshop.present(True)
    late = room.guest("Lee", "#C2255C")
    room.qtbot.waitUntil(lambda: fac.state(late.doc).voting_open, timeout=WAIT)
    state = fac.state(late.doc)
    assert state.votes_per_person == 4 and state.voting_lanes == [ids["Actions"]]
    assert state.presenter == room.host.doc.replica
    assert late.workshop.follow_target() != ""
    assert late.workshop.facilitation_panel.timer_text() in (
        "Ideas  10:00",
        *(f"Ideas  09:5{i}" for i in range(10)),
    )
    label = late.workshop.facilitation_panel.votes_left_label
    room.qtbot.waitUntil(lambda: "You have 4 votes left" in label.text(), timeout=WAIT)


def test_everyone_is_told_when_time_is_up(room: Room, board) -> None:
    """When the facilitator's timer reaches zero the guest's status bar says so."""
    guest = room.guest("Bea", "#1971C2")
    fac.set_timer(room.host.doc, 0.02, "Silent writing")
    fac.start_timer(room.host.doc)
    room.qtbot.waitUntil(
        lambda: guest.statusBar().currentMessage() == "Silent writing: time is up", timeout=WAIT
    )
    assert guest.workshop.facilitation_panel.timer_text().endswith("(time is up)")


def test_a_viewers_context_menu_offers_nothing_that_edits(room: Room, board) -> None:
    """Right-click on a card: an editor may edit and delete, a viewer may only copy and fit."""
    from app.canvas.board_menu import board_menu

    _doc, ids = board
    viewer = room.guest("Vic", "#0C8599", role="viewer")
    room.qtbot.waitUntil(lambda: viewer.workshop.role == "viewer", timeout=WAIT)
    centre = room.host.scene.cards[ids["A1"]].sceneBoundingRect().center()
    editor_menu = [a.text() for a in board_menu(room.host, centre).actions() if a.text()]
    assert "Edit Title" in editor_menu and "&Delete" in editor_menu
    viewer_menu = [a.text() for a in board_menu(viewer, centre).actions() if a.text()]
    assert viewer_menu == ["&Copy", "&Fit Board"]
    assert viewer.scene.selected_ids("card") == [ids["A1"]]
