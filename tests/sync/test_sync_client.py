"""The client as the desktop app and `cld sync --watch` use it: threads, states, watching."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync_helpers import (
    REPO,
    LiveClient,
    add_cards,
    board_state,
    create_room,
    live_state,
    room_url,
    serving,
    small_board,
    until,
)

from app.model.document import Document
from app.sync.client import DocumentAdapter, OwnerThreadAdapter, SyncClient, SyncState
from app.sync.hosting import ClientThread, ServerThread
from app.sync.server import SyncServer


def test_client_thread_touches_the_document_only_on_its_owner_thread(tmp_path: Path) -> None:
    """With OwnerThreadAdapter every Document call runs on the owner's thread, never the network's."""
    data = tmp_path / "server"
    room = create_room(data)
    owner = threading.get_ident()
    calls: queue.Queue[tuple[Callable[[], Any], concurrent.futures.Future[Any]]] = queue.Queue()
    threads_used: set[int] = set()

    def submit(fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        calls.put((fn, future))  # what a queued Qt signal does for the GUI thread
        return future

    hosted = ServerThread(SyncServer(data, port=0))
    hosted.start()
    server = hosted.server
    seed = small_board(tmp_path / "seed.cld")
    asyncio.run(
        SyncClient(
            room_url(server.url, room), room.tokens["editor"], OwnerThreadAdapter(seed, _direct)
        ).sync_once()
    )
    seed.close()

    doc = Document.new(tmp_path / "gui.cld")
    original = doc.apply_many

    def recording(*args: Any, **kwargs: Any) -> Any:
        threads_used.add(threading.get_ident())
        return original(*args, **kwargs)

    doc.apply_many = recording  # type: ignore[method-assign]
    states: list[SyncState] = []
    client = SyncClient(
        room_url(server.url, room),
        room.tokens["editor"],
        OwnerThreadAdapter(doc, submit),
        on_state=states.append,
    )
    worker = ClientThread(client)
    worker.start()

    def serve_owner_calls_until(done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 20
        while not done():
            assert time.monotonic() < deadline, "timed out"
            try:
                fn, future = calls.get(timeout=0.05)
            except queue.Empty:
                continue
            if future.set_running_or_notify_cancel():
                future.set_result(fn())  # the owner thread runs the call

    try:
        serve_owner_calls_until(lambda: len(doc.cards()) == 4)
        add_cards(doc, 1, "gui")  # a local edit on the owner thread
        client.kick()
        serve_owner_calls_until(lambda: doc.store.outbox_count() == 0)
        assert threads_used == {owner}
        assert "online" in [s.state for s in states]
    finally:
        client.stop()
        serve_owner_calls_until(lambda: not worker.is_alive())
        hosted.stop()
        doc.close()
    assert worker.error is None


def test_request_stop_returns_at_once_and_calls_back_when_the_client_has_ended(
    tmp_path: Path,
) -> None:
    """The owner is not blocked while the client still needs it; it is told when it is done."""
    data = tmp_path / "server"
    room = create_room(data)
    calls: queue.Queue[tuple[Callable[[], Any], concurrent.futures.Future[Any]]] = queue.Queue()

    def submit(fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        calls.put((fn, future))
        return future

    def serve_until(done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 20
        while not done():
            assert time.monotonic() < deadline, "timed out"
            try:
                fn, future = calls.get(timeout=0.05)
            except queue.Empty:
                continue
            if future.set_running_or_notify_cancel():
                future.set_result(fn())

    hosted = ServerThread(SyncServer(data, port=0))
    url = room_url(hosted.start(), room)
    doc = small_board(tmp_path / "gui.cld")
    states: list[str] = []
    client = SyncClient(
        url,
        room.tokens["editor"],
        OwnerThreadAdapter(doc, submit),
        on_state=lambda s: states.append(s.state),
    )
    worker = ClientThread(client)
    worker.start()
    finished = threading.Event()
    try:
        serve_until(lambda: "online" in states and doc.store.outbox_count() == 0)
        started = time.monotonic()
        worker.request_stop(finished.set)  # the owner serves no call meanwhile
        assert time.monotonic() - started < 0.5
        time.sleep(0.3)
        assert worker.is_alive() and not finished.is_set()  # it waits on the owner
        serve_until(finished.is_set)
        worker.join(5)
        assert not worker.is_alive() and worker.error is None
        assert states[-1] == "stopped"
        late: list[str] = []
        worker.request_stop(lambda: late.append("now"))  # already ended: called at once
        assert late == ["now"]
    finally:
        client.stop()
        serve_until(lambda: not worker.is_alive())
        hosted.stop()
        doc.close()


def _direct(fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    future.set_result(fn())
    return future


def test_states_report_offline_with_unsent_changes(tmp_path: Path) -> None:
    """When the server goes away the client reports offline with how many edits wait."""
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        states: list[SyncState] = []
        async with serving(data) as server:
            c = LiveClient(
                small_board(tmp_path / "a.cld"),
                room_url(server.url, room),
                room.tokens["editor"],
                on_state=states.append,
            ).start()
            await until(lambda: c.online and c.drained(), what="online")
        await until(lambda: c.client.state.state in ("offline", "connecting"), what="offline")
        add_cards(c.doc, 3, "later")
        await until(
            lambda: any(s.state == "offline" and s.unsent == 3 for s in states),
            what="unsent reported",
        )
        assert [s.state for s in states][:2] == ["connecting", "online"]
        await c.stop()
        assert c.client.state.state == "stopped"
        c.doc.close()

    asyncio.run(main())


def test_cld_sync_watch_keeps_the_file_in_step_until_stopped(tmp_path: Path) -> None:
    """`cld sync --watch` pulls live edits into the file and exits 0 on SIGTERM."""
    data = tmp_path / "server"
    room = create_room(data)
    target = tmp_path / "watched.cld"

    def titles() -> set[str]:
        if not target.exists():
            return set()
        doc = Document.open(target)
        try:
            return {c.title for c in doc.cards()}
        finally:
            doc.close()

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            editor = LiveClient(small_board(tmp_path / "e.cld"), url, room.tokens["editor"]).start()
            await until(lambda: editor.online and editor.drained(), what="editor")
            code = "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))"
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                code,
                "sync",
                str(target),
                url,
                "--token",
                room.tokens["viewer"],
                "--watch",
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                await until(
                    lambda: len(server.rooms[room.id].participants) == 2, 20, "watcher joined"
                )
                add_cards(editor.doc, 2, "live")
                await until(lambda: {"live 0", "live 1"} <= titles(), 20, "live edits in the file")
            finally:
                if proc.returncode is None:  # a watcher that stopped early is what we report
                    proc.send_signal(signal.SIGTERM)
                _, err = await asyncio.wait_for(proc.communicate(), 10)
            assert proc.returncode == 0, err.decode()
            assert "online" in err.decode()
            await editor.stop()
            assert board_state(editor.doc) == board_state(Document.open(target))
            editor.doc.close()

    asyncio.run(main())


def test_a_stream_of_fast_edits_is_batched_not_flood_closed(tmp_path: Path) -> None:
    """Hundreds of edits as fast as the file takes them go through without a rate-limit close."""
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data) as server:
            closes: list[str] = []
            c = LiveClient(
                small_board(tmp_path / "a.cld"),
                room_url(server.url, room),
                room.tokens["editor"],
                on_state=lambda s: closes.append(s.state),
            ).start()
            await until(lambda: c.online and c.drained(), what="online")
            for i in range(300):
                add_cards(c.doc, 1, f"fast{i}")
                await asyncio.sleep(0)  # let the client run between edits
            await until(c.drained, 20, "drained")
            assert "offline" not in closes
            assert len(live_state(server, room.id).cards()) == 304
            await c.stop()
            c.doc.close()

    asyncio.run(main())


def test_each_client_knows_its_own_participant_id(tmp_path: Path) -> None:
    """The welcome's id is kept: it is the id the others know this client by, with its replica."""
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            a = LiveClient(small_board(tmp_path / "a.cld"), url, room.tokens["editor"]).start()
            b = LiveClient(Document.new(tmp_path / "b.cld"), url, room.tokens["viewer"]).start()
            await until(lambda: a.online and b.online, what="both online")
            await until(lambda: a.client.you in b.client.participants, what="a seen by b")
            await until(lambda: b.client.you in a.client.participants, what="b seen by a")
            assert a.client.you and a.client.you != b.client.you
            assert b.client.participants[a.client.you].replica == a.doc.replica
            assert a.client.participants[b.client.you].role == "viewer"
            for c in (a, b):
                await c.stop()
                c.doc.close()

    asyncio.run(main())


def test_a_room_seeded_from_a_design_gives_newcomers_the_whole_board(tmp_path: Path) -> None:
    """create_room(name, seed) from another thread: log, merged state and seq hold the design."""
    hosted = ServerThread(SyncServer(tmp_path / "server", port=0))
    base = hosted.start()
    design = small_board(tmp_path / "design.cld", name="Onboarding")
    add_cards(design, 3, "more")
    seed = [change for _seq, change in design.store.changes()]
    try:
        room, seq = hosted.create_room("Onboarding", seed)  # the GUI thread, not the loop's
        assert seq == len(seed) == 11
        assert hosted.server.roomlog.last_seq(room.id) == seq
        newcomer = Document.new(tmp_path / "new.cld")
        result = asyncio.run(
            SyncClient(
                room_url(base, room), room.tokens["viewer"], DocumentAdapter(newcomer)
            ).sync_once()
        )
        assert result.seq == seq
        assert board_state(newcomer) == board_state(design)
        live = hosted.server.rooms[room.id]
        assert live.seq == seq and board_state(live.doc) == board_state(design)
        # the host's file already holds the seed: marked as seen, it receives nothing
        design.store.set_meta({f"room:{room.id}:seq": str(seq)})
        design.store.acknowledge(c.id for c in seed)
        again = asyncio.run(
            SyncClient(
                room_url(base, room), room.tokens["facilitator"], DocumentAdapter(design)
            ).sync_once()
        )
        assert (again.pushed, again.received) == (0, 0)
        newcomer.close()
    finally:
        hosted.stop()
        design.close()
    assert hosted.error is None


def test_server_hosted_on_a_thread_serves_and_stops_with_1001(tmp_path: Path) -> None:
    """The facilitator's embedded server serves from a thread; stopping it says goodbye with 1001."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from app.sync import protocol as p

    data = tmp_path / "server"
    room = create_room(data)
    hosted = ServerThread(SyncServer(data, port=0))
    url = room_url(hosted.start(), room)
    busy = ServerThread(SyncServer(tmp_path / "other", port=hosted.server.port))
    try:
        busy.start()
        raise AssertionError("a second server on the same port must not start")
    except OSError:
        pass

    async def main() -> int | None:
        doc = small_board(tmp_path / "a.cld")
        await SyncClient(url, room.tokens["editor"], DocumentAdapter(doc)).sync_once()
        doc.close()
        async with connect(
            url, additional_headers={"Authorization": f"Bearer {room.tokens['viewer']}"}
        ) as ws:
            await ws.send(p.dumps(p.Hello(protocol=p.PROTOCOL_VERSION, replica="v")))
            await ws.recv()
            threading.Thread(target=hosted.stop).start()
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
            except ConnectionClosed:
                return ws.close_code

    assert asyncio.run(main()) == p.CLOSE_GOING_AWAY
    hosted.stop()
    assert hosted.error is None


def test_reconnect_waits_longer_each_time_the_server_stays_away(tmp_path: Path) -> None:
    """After the server goes, retries back off (not a retry every few milliseconds)."""
    data = tmp_path / "server"
    room = create_room(data)
    states: list[str] = []

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            live = LiveClient(
                small_board(tmp_path / "a.cld"),
                url,
                room.tokens["editor"],
                on_state=lambda s: states.append(s.state),
            ).start()
            await until(lambda: live.online and live.drained(), what="online")
        # the server is gone: backoff (0.05 s doubling to 0.5 s) gives about 8 tries in 2 s
        states.clear()
        await asyncio.sleep(2.0)
        attempts = states.count("connecting")
        await live.stop()
        live.doc.close()
        assert 3 <= attempts <= 14, attempts

    asyncio.run(main())
