"""Kill -9 of the server while 20 clients push: nothing acknowledged is lost."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

from sync_helpers import (
    LiveClient,
    board_state,
    create_room,
    free_port,
    small_board,
    start_server_process,
    stop_process,
    until,
)

from app.model.document import Document
from app.model.edits import add_card
from app.sync.client import DocumentAdapter, SyncClient
from app.sync.roomlog import RoomLog
from app.sync.server import default_db_url

CLIENTS = 20


def test_kill_9_while_twenty_clients_push_loses_nothing(tmp_path: Path) -> None:
    """After kill -9 and a restart the clients come back alone, drain and converge; 0 lost."""
    data = tmp_path / "server"
    room = create_room(data, "Crash")
    port = free_port()
    url = f"ws://127.0.0.1:{port}/rooms/{room.id}"
    token = room.tokens["editor"]
    server = start_server_process(data, port)

    async def main() -> tuple[set[str], set[str], list[dict[str, Any]], dict[str, Any]]:
        seed = small_board(tmp_path / "seed.cld")
        await SyncClient(url, token, DocumentAdapter(seed)).sync_once(timeout=20)
        seed.close()
        clients = [
            LiveClient(Document.new(tmp_path / f"c{i}.cld"), url, token, name=f"c{i}").start()
            for i in range(CLIENTS)
        ]
        await until(lambda: all(len(c.doc.cards()) == 4 for c in clients), 30, "clients loaded")
        pushing = True

        async def push(i: int, c: LiveClient) -> None:
            n = 0
            while pushing:
                _, edits = add_card(
                    c.doc, "l-actions", "s-acquire", title=f"c{i} #{n}", card_id=f"c-{i}-{n}"
                )
                c.doc.commit(edits)
                n += 1
                await asyncio.sleep(0.25)

        workers = [asyncio.create_task(push(i, c)) for i, c in enumerate(clients)]
        await asyncio.sleep(1.5)
        server.send_signal(signal.SIGKILL)
        server.wait()
        await until(
            lambda: all(c.client.state.state != "online" for c in clients), 10, "clients offline"
        )
        await asyncio.sleep(0.5)  # they keep editing offline
        restarted = start_server_process(data, port)
        await asyncio.sleep(1.5)
        pushing = False
        await asyncio.gather(*workers)
        await until(lambda: all(c.online and c.drained() for c in clients), 60, "outboxes drained")
        made = {c.id for cl in clients for _, c in cl.doc.store.changes(origin="local")}
        acked = set().union(*(c.acked for c in clients))
        await until(
            lambda: all(board_state(c.doc) == board_state(clients[0].doc) for c in clients),
            60,
            "convergence",
        )
        states = [board_state(c.doc) for c in clients]
        for c in clients:
            await c.stop()
            c.doc.close()
        assert stop_process(restarted) == 0
        return made, acked, states, states[0]

    started = time.monotonic()
    try:
        made, acked, states, first = asyncio.run(main())
    finally:
        stop_process(server)
    roomlog = RoomLog(default_db_url(data))
    logged = roomlog.change_ids(room.id)
    roomlog.close()
    assert len(made) > CLIENTS * 8
    assert acked == made  # every outbox drained through an ack
    assert made <= logged  # 0 lost
    assert all(s == first for s in states)
    cards = [eid for eid in first["card"] if eid.startswith("c-") and not eid.startswith("c-base")]
    assert len(cards) == len(made)
    server_doc = Document.open(data / "rooms" / f"{room.id}.cld")
    assert board_state(server_doc) == first
    server_doc.close()
    assert time.monotonic() - started < 120
