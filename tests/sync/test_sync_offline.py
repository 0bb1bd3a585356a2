"""Offline work, `cld sync`, conflicts, clocks and shutdown, with real processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

from sync_helpers import (
    REPO,
    LiveClient,
    add_cards,
    board_state,
    conflict_set,
    create_room,
    free_port,
    live_state,
    retitle,
    room_url,
    run_cli,
    serving,
    small_board,
    start_server_process,
    stop_process,
    until,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.model.clock import wall_ms
from app.model.document import Document
from app.model.edits import update
from app.sync import protocol as p
from app.sync.client import DocumentAdapter, SyncClient
from app.sync.roomlog import RoomLog
from app.sync.server import default_db_url


def test_thousand_offline_changes_then_cld_sync_merges_both_ways(tmp_path: Path) -> None:
    """1,000 changes made with no server all arrive with `cld sync`; the losing title is kept."""
    data = tmp_path / "server"
    created = run_cli("room", "create", "Offsite", "--data", str(data))
    assert created.returncode == 0, created.stderr
    info = json.loads(created.stdout)
    assert set(info["roles"]) == {"facilitator", "editor", "viewer"}
    token = info["roles"]["editor"]["token"]
    assert len(token) >= 22 and token in info["roles"]["editor"]["url"]
    a_path, b_path = tmp_path / "a.cld", tmp_path / "b.cld"
    small_board(a_path).close()
    port = free_port()
    url = f"ws://127.0.0.1:{port}/rooms/{info['room']}"

    def sync(path: Path) -> str:
        result = run_cli("sync", str(path), url, "--token", token, "--timeout", "60")
        assert result.returncode == 0, result.stderr
        return result.stdout

    server = start_server_process(data, port)
    try:
        sync(a_path)
        assert "received 8" in sync(b_path)
    finally:
        assert stop_process(server) == 0

    # no server: the consultant makes 1,000 changes; a colleague retitles a card later
    a = Document.open(a_path)
    add_cards(a, 500, "offline")
    for i in range(499):
        retitle(a, "c-base0", f"consultant draft {i}")
    a.commit(update(a, "card", "c-base1", notes="notes written offline"))
    offline_ids = {c.id for c in a.store.outbox()}
    a.close()
    assert len(offline_ids) == 1_000
    b = Document.open(b_path)
    retitle(b, "c-base0", "colleague's title")
    b.close()

    server = start_server_process(data, port)
    try:
        assert "pushed 1000" in sync(a_path)
        assert "pushed 1," in sync(b_path)
        sync(a_path)
    finally:
        assert stop_process(server) == 0

    a, b = Document.open(a_path), Document.open(b_path)
    try:
        assert b.name == "Offsite"  # the new file took the room's name
        assert a.store.outbox_count() == 0 and b.store.outbox_count() == 0
        assert board_state(a) == board_state(b)
        assert len(a.cards()) == 504
        title = a.card("c-base0").title
        assert title == "colleague's title"  # the later write wins on both
        kept = [c for c in a.conflicts() if c.entity_id == "c-base0"]
        assert [c.value for c in kept] == ["consultant draft 498"]
        assert conflict_set(a) == conflict_set(b)
        assert a.card("c-base1").notes == "notes written offline"
        roomlog = RoomLog(default_db_url(data))
        assert offline_ids <= roomlog.change_ids(info["room"])
        roomlog.close()
    finally:
        a.close()
        b.close()


def test_an_outbox_bigger_than_the_change_burst_drains_without_a_close(tmp_path: Path) -> None:
    """Back online with more changes than the server's burst: the client paces, never flooded out."""
    data = tmp_path / "server"
    room = create_room(data)
    doc = small_board(tmp_path / "a.cld")
    # a server with a small bucket (its welcome says so), to keep the test short
    rate, burst = 200, 1_000
    n = burst + 300
    for i in range(n):
        doc.commit(update(doc, "card", f"c-base{i % 4}", notes=f"offline {i}"))

    async def main() -> None:
        states: list[str] = []
        async with serving(data, max_changes_per_second=rate, change_burst=burst) as server:
            url = room_url(server.url, room)
            result = await SyncClient(
                url,
                room.tokens["editor"],
                DocumentAdapter(doc),
                on_state=lambda s: states.append(s.state),
            ).sync_once(timeout=30)
            assert result.pushed == n + 8  # the board's own 8 changes too
            assert "offline" not in states  # never closed for flooding
            assert doc.store.outbox_count() == 0
            assert live_state(server, room.id).card("c-base3").notes == f"offline {n - 1}"

    asyncio.run(main())
    doc.close()


def test_cld_sync_with_wrong_token_stops_with_a_clear_error(tmp_path: Path) -> None:
    """A refused token ends `cld sync` at once with a plain message, no retry loop."""
    data = tmp_path / "server"
    room = create_room(data)
    port = free_port()
    server = start_server_process(data, port)
    try:
        started = time.monotonic()
        result = run_cli(
            "sync",
            str(tmp_path / "x.cld"),
            f"ws://127.0.0.1:{port}/rooms/{room.id}",
            "--token",
            "wrong",
        )
        assert result.returncode == 2
        assert "401" in result.stderr and "Traceback" not in result.stderr
        assert time.monotonic() - started < 15
    finally:
        stop_process(server)


def test_cld_sync_with_no_server_says_so_in_seconds_and_keeps_the_edits(tmp_path: Path) -> None:
    """Nothing listening at the join link: one plain line, exit 2, well before the timeout;
    the file's unsent changes are still there."""
    path = tmp_path / "x.cld"
    small_board(path).close()
    started = time.monotonic()
    result = run_cli(
        "sync", str(path), f"ws://127.0.0.1:{free_port()}/rooms/r1", "--token", "t" * 22
    )
    assert result.returncode == 2
    err = result.stderr
    assert "cannot reach the workshop server" in err and "stay in the file" in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert time.monotonic() - started < 20  # not the 60 s timeout
    with Document.open(path) as doc:
        assert doc.store.outbox_count() > 0


def test_clock_a_day_ahead_cannot_win_later_conflicts(tmp_path: Path) -> None:
    """A laptop a day ahead is clamped by the server; a later edit wins on every replica."""
    data = tmp_path / "server"
    room = create_room(data)
    day = 86_400_000

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            token = room.tokens["editor"]
            small_board(tmp_path / "base.cld").close()
            base = Document.open(tmp_path / "base.cld")
            await SyncClient(url, token, DocumentAdapter(base)).sync_once(timeout=10)
            base.close()
            ahead = Document.new(tmp_path / "ahead.cld", physical=lambda: wall_ms() + day)
            # b's clock is 4.5 s fast: inside the clamp, so its stamps are taken as they are
            later = Document.new(tmp_path / "later.cld", physical=lambda: wall_ms() + 4_500)
            for doc in (ahead, later):
                await SyncClient(url, token, DocumentAdapter(doc)).sync_once(timeout=10)
            retitle(ahead, "c-base0", "from tomorrow")
            change_id = ahead.store.outbox()[0].id
            await SyncClient(url, token, DocumentAdapter(ahead)).sync_once(timeout=10)
            logged = live_state(server, room.id).store.change_stamp(change_id)
            assert logged is not None and int(logged[:12], 16) <= wall_ms() + 5_000
            assert (
                ahead.store.change_stamp(change_id) == logged
            )  # the author took the server's stamp
            await asyncio.sleep(0.7)
            retitle(later, "c-base0", "a later edit")  # made without seeing tomorrow's
            for doc in (later, ahead):
                await SyncClient(url, token, DocumentAdapter(doc)).sync_once(timeout=10)
            room_doc = live_state(server, room.id)
            for doc in (ahead, later, room_doc):
                assert doc.card("c-base0").title == "a later edit"
                assert [c.value for c in doc.conflicts()] == ["from tomorrow"]
            assert board_state(ahead) == board_state(later) == board_state(room_doc)
            ahead.close()
            later.close()

    asyncio.run(main())


def test_sigterm_finishes_writes_and_closes_everyone_with_1001(tmp_path: Path) -> None:
    """On SIGTERM an acked push is in the log, clients get 1001 and the server exits 0."""
    data = tmp_path / "server"
    room = create_room(data)
    port = free_port()
    server = start_server_process(data, port)
    url = f"ws://127.0.0.1:{port}/rooms/{room.id}"
    headers = {"Authorization": f"Bearer {room.tokens['editor']}"}
    change = {
        "id": "term:1",
        "stamp": f"{wall_ms():012x}0000@term",
        "author": "t",
        "writes": [["stage", "s-1", "name", "Acquire", []]],
    }

    async def main() -> tuple[int | None, bool]:
        async with (
            connect(url, additional_headers=headers) as ws,
            connect(url, additional_headers=headers) as other,
        ):
            for conn in (ws, other):
                await conn.send(p.dumps(p.Hello(protocol=p.PROTOCOL_VERSION, replica="r")))
                await conn.recv()
            await ws.send(p.dumps(p.Push(batch_id="last", changes=[change])))
            await asyncio.sleep(0.2)
            server.send_signal(signal.SIGTERM)
            acked = False
            try:
                while True:
                    for m in p.parse_server_frame(await asyncio.wait_for(ws.recv(), 10)):
                        acked = acked or isinstance(m, p.Ack)
            except ConnectionClosed:
                pass
            with_others = True
            try:
                while True:
                    await asyncio.wait_for(other.recv(), 10)
            except ConnectionClosed:
                with_others = other.close_code == p.CLOSE_GOING_AWAY
            return ws.close_code, acked and with_others

    code, ok = asyncio.run(main())
    assert code == p.CLOSE_GOING_AWAY and ok
    assert server.wait(10) == 0
    roomlog = RoomLog(default_db_url(data))
    assert "term:1" in roomlog.change_ids(room.id)
    roomlog.close()


def test_newcomer_snapshot_equals_log_replay(tmp_path: Path) -> None:
    """A newcomer's board from the merged state equals one rebuilt from the whole log."""
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            a = LiveClient(small_board(tmp_path / "a.cld"), url, room.tokens["editor"]).start()
            b = LiveClient(Document.new(tmp_path / "b.cld"), url, room.tokens["editor"]).start()
            await until(lambda: a.drained() and len(b.doc.cards()) == 4, what="loaded")
            await a.stop()
            await b.stop()
            retitle(a.doc, "c-base2", "a's")
            retitle(b.doc, "c-base2", "b's")
            add_cards(b.doc, 3, "b")
            for doc in (a.doc, b.doc):
                await SyncClient(url, room.tokens["editor"], DocumentAdapter(doc)).sync_once(
                    timeout=10
                )
            fresh = Document.new(tmp_path / "fresh.cld")
            await SyncClient(url, room.tokens["viewer"], DocumentAdapter(fresh)).sync_once(
                timeout=10
            )
            replay = Document.new(tmp_path / "replay.cld")
            replay.apply_many([c for _, c in server.roomlog.changes(room.id)], origin="remote")
            assert board_state(fresh) == board_state(replay)
            assert conflict_set(fresh) == conflict_set(replay) != set()
            for doc in (a.doc, b.doc, fresh, replay):
                doc.close()

    asyncio.run(main())


def test_cld_sync_as_viewer_pulls_but_says_local_edits_stay(tmp_path: Path) -> None:
    """A viewer's `cld sync` pulls the board, keeps its own edits unsent and exits 1 saying so."""
    data = tmp_path / "server"
    room = create_room(data)
    mine = tmp_path / "mine.cld"
    small_board(mine).close()

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            theirs = small_board(tmp_path / "theirs.cld")
            await SyncClient(url, room.tokens["editor"], DocumentAdapter(theirs)).sync_once()
            code = "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))"
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                code,
                "sync",
                str(mine),
                f"{url}?token={room.tokens['viewer']}",
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 1, err.decode()
            assert "received 8" in out.decode()
            assert "8 local changes not sent" in err.decode() and "viewer" in err.decode()
            assert len(server.roomlog.change_ids(room.id)) == 8  # only the editor's board
            theirs.close()

    asyncio.run(main())


def test_a_file_made_from_the_same_template_does_not_undo_the_rooms_edits(tmp_path: Path) -> None:
    """A participant who runs `cld new` and then `cld sync` keeps the room's renames and
    retitles, and the board gets no second copy of the template's cards."""
    data = tmp_path / "server"
    room = create_room(data)
    port = free_port()
    server = start_server_process(data, port)
    url = f"ws://127.0.0.1:{port}/rooms/{room.id}"
    token = room.tokens["editor"]
    try:
        host = tmp_path / "host.cld"
        assert run_cli("new", str(host)).returncode == 0
        doc = Document.open(host)
        doc.commit(update(doc, "lane", "l-actions", name="What the buyer does"))
        doc.commit(update(doc, "card", "c-addon-demo", title="Add-on demo, edited in the room"))
        cards = len(doc.cards())
        doc.close()
        assert run_cli("sync", str(host), url, "--token", token).returncode == 0
        guest = tmp_path / "guest.cld"
        assert run_cli("new", str(guest)).returncode == 0
        synced = run_cli("sync", str(guest), url, "--token", token)
        assert synced.returncode == 0, synced.stderr
        assert run_cli("sync", str(host), url, "--token", token).returncode == 0
        for path in (host, guest):
            d = Document.open(path)
            assert d.lane("l-actions").name == "What the buyer does"
            assert d.card("c-addon-demo").title == "Add-on demo, edited in the room"
            assert len(d.cards()) == cards
            assert not d.conflicts()  # nothing fought: the template content is the same
            d.close()
    finally:
        stop_process(server)
