"""The workshop's panels on their own: history and conflicts, join dialog, vote rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.canvas.workshop.history_dock import HistoryPanel
from app.canvas.workshop.join_dialog import JoinDialog
from app.canvas.workshop.network import make_link, parse_link
from app.model import facilitation as fac
from app.model.document import Document


def test_history_lists_changes_by_author_and_restores_a_lost_value(
    qtbot: Any, tmp_path: Path, board: tuple[Document, dict[str, str]]
) -> None:
    """A concurrent retitle loses; the Conflicts tab shows it and Restore puts it back."""
    doc, ids = board
    other = Document.open(doc.save_as(tmp_path / "other.cld"), author="Bea")
    doc.author = "Fran"
    doc.commit([("card", ids["A1"], "title", "Fran's words")])
    other.commit([("card", ids["A1"], "title", "Bea's words")])
    mine = [c for _s, c in doc.store.changes(origin="local")][-1:]
    theirs = [c for _s, c in other.store.changes(origin="local")][-1:]
    doc.apply_many(theirs, origin="remote")
    other.apply_many(mine, origin="remote")
    winner = doc.card(ids["A1"]).title
    assert other.card(ids["A1"]).title == winner
    loser = "Fran's words" if winner == "Bea's words" else "Bea's words"
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.attach(doc)
    rows = [panel.changes_list.item(i).text() for i in range(panel.changes_list.count())]
    assert any("Bea: edited card" in r and "(title)" in r for r in rows[:2])
    assert any("Fran: edited card" in r for r in rows[:2])
    assert panel.tabs.tabText(1) == "Conflicts (1)"
    text = panel.conflicts_list.item(0).text()
    assert f"\u201c{loser}\u201d lost to \u201c{winner}\u201d" in text
    panel.restore_button.click()
    assert doc.card(ids["A1"]).title == loser
    assert doc.conflicts() == [] and panel.tabs.tabText(1) == "Conflicts (0)"
    panel.detach()
    other.close()


def test_join_dialog_explains_a_bad_link(qtbot: Any) -> None:
    """Pasting something that is not a join link says what a link looks like; Join waits."""
    dialog = JoinDialog("Bea", "#2F9E44")
    qtbot.addWidget(dialog)
    dialog.link_edit.setText("http://example.com/board")
    dialog.accept()
    assert dialog.result() == 0 and "not a workshop join link" in dialog.error.text()
    dialog.link_edit.setText(make_link("ws://10.0.0.5:8765", "room1", "tok", design="Plan"))
    dialog.name_edit.setText("")
    dialog.accept()
    assert "Type your name" in dialog.error.text()
    dialog.name_edit.setText("Bea")
    dialog.accept()
    assert dialog.link is not None and dialog.link.room == "room1" and dialog.link.design == "Plan"
    assert dialog.color == "#2F9E44"


def test_join_links_carry_room_token_and_hints() -> None:
    """A join link round-trips: the room, the token and the design's name for the local copy."""
    link = make_link(
        "ws://192.168.1.20:8765", "abc_DEF-1", "t0k-en_", design="B2B plan", role="viewer"
    )
    parsed = parse_link(link)
    assert (parsed.url, parsed.room, parsed.token) == (
        "ws://192.168.1.20:8765/rooms/abc_DEF-1",
        "abc_DEF-1",
        "t0k-en_",
    )
    assert (parsed.design, parsed.role) == ("B2B plan", "viewer")


def test_vote_rules_without_a_room(board: tuple[Document, dict[str, str]]) -> None:
    """Closed rounds refuse new votes; taking one back is always allowed; results rank voters."""
    doc, ids = board
    from app.model import edits

    assert "closed" in fac.vote_refusal(doc, ids["A1"], "me")
    fac.open_round(doc, [ids["Actions"]], 1)
    assert fac.vote_refusal(doc, ids["A1"], "me") == ""
    doc.commit(edits.toggle_vote(doc, ids["A1"], "me"))
    assert "used your 1 votes" in fac.vote_refusal(doc, ids["A2"], "me")
    assert fac.vote_refusal(doc, ids["A1"], "me") == ""  # unvote
    doc.commit(edits.toggle_vote(doc, ids["A2"], "you"))
    doc.commit(edits.toggle_vote(doc, ids["A2"], "them"))
    assert [(r.card.title, r.votes) for r in fac.results(doc)] == [("A2", 2), ("A1", 1)]
    fac.close_round(doc)
    assert "closed" in fac.vote_refusal(doc, ids["A3"], "me")
    doc.commit(edits.toggle_vote(doc, ids["T1"], "me"))  # another lane keeps its vote
    assert fac.clear_votes(doc, [ids["Actions"]]) == 3
    assert fac.results(doc) == [] and [v.card for v in doc.votes()] == [ids["T1"]]
