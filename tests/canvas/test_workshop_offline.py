"""Workshop windows when the server goes away: edits kept offline, sent on return, agreed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.canvas.window import MainWindow
from app.canvas.workshop.network import local_url, make_link, start_server
from app.model.document import Document

WAIT = 40_000


def state_of(doc: Document) -> dict[str, dict[str, Any]]:
    return {
        etype: {eid: dict(rec.values) for eid, rec in records.items()}
        for etype, records in doc.store.load_records().items()
    }


def test_edits_made_while_the_server_is_down_arrive_when_it_returns(
    qtbot: Any, tmp_path: Path, board: tuple[Document, dict[str, str]]
) -> None:
    """Stop the server, edit in two windows, start it again: both sides end up the same."""
    doc, ids = board
    data = tmp_path / "server"
    server = start_server(data, host="127.0.0.1", port=0)
    windows: list[MainWindow] = []
    try:
        room, _seq = server.create_room(doc.name, [c for _, c in doc.store.changes()])
        link = make_link(local_url(server.server), room.id, room.tokens["editor"], design=doc.name)
        for name in ("Ann", "Bob"):
            w = MainWindow(remember=False)
            qtbot.addWidget(w)
            w.show()
            w.workshop.join(link, name, "#2F9E44", folder=tmp_path / name)
            windows.append(w)
        ann, bob = windows
        for w in windows:
            qtbot.waitUntil(lambda w=w: len(w.doc.cards()) == len(doc.cards()), timeout=WAIT)
        port = server.server.port
        server.stop()
        for w in windows:
            qtbot.waitUntil(lambda w=w: w.workshop.session.state.state != "online", timeout=WAIT)
        ann.editor.update("card", ids["A1"], title="Ann offline")
        new_card = bob.editor.add_card(ids["Sales"], ids["Adopt"], "Bob offline")
        qtbot.waitUntil(lambda: "1 unsent" in ann.status_workshop.text(), timeout=WAIT)
        assert (
            "offline" in ann.status_workshop.text() or "reconnecting" in ann.status_workshop.text()
        )
        assert bob.doc.card(new_card).title == "Bob offline"  # the local file keeps working
        server = start_server(data, host="127.0.0.1", port=port)
        for w in windows:
            qtbot.waitUntil(lambda w=w: w.workshop.session.state.state == "online", timeout=WAIT)
        qtbot.waitUntil(lambda: bob.doc.card(ids["A1"]).title == "Ann offline", timeout=WAIT)
        qtbot.waitUntil(lambda: ann.doc.card(new_card) is not None, timeout=WAIT)
        qtbot.waitUntil(
            lambda: ann.doc.store.outbox_count() == 0 and bob.doc.store.outbox_count() == 0,
            timeout=WAIT,
        )
        assert state_of(ann.doc) == state_of(bob.doc)
        assert new_card in ann.scene.cards
        bob.workshop.leave()  # Leave keeps the local copy open and editable
        assert bob.doc is not None and bob.doc.path.exists()
        assert bob.editor.add_card(ids["Sales"], ids["Adopt"], "After leaving")
        assert not bob.read_only and bob.status_workshop.text() == ""
    finally:
        for w in windows:
            w.workshop.shutdown()
            w.close_document()
        server.stop()


def test_a_copy_joined_from_a_bare_link_takes_the_rooms_name(
    qtbot: Any, tmp_path: Path, board: tuple[Document, dict[str, str]]
) -> None:
    """A link without the design's name (cld room create) still names the local copy."""
    doc, _ids = board
    server = start_server(tmp_path / "server", host="127.0.0.1", port=0)
    w = MainWindow(remember=False)
    qtbot.addWidget(w)
    try:
        room, _seq = server.create_room("Renewals workshop", [])
        w.workshop.join(
            make_link(local_url(server.server), room.id, room.tokens["editor"]),
            "Ann",
            "",
            folder=tmp_path / "ann",
        )
        assert w.doc.name.startswith("Workshop ")
        qtbot.waitUntil(lambda: w.doc.name == "Renewals workshop", timeout=WAIT)
        assert w.windowTitle().startswith("Renewals workshop")
    finally:
        w.workshop.shutdown()
        w.close_document()
        server.stop()
