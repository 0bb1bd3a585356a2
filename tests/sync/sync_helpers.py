"""Shared pieces of the sync tests: real servers, real clients, board comparisons."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from app.model.document import Document
from app.model.edits import add_card, add_lane, add_stage, update
from app.sync.client import DocumentAdapter, SyncClient
from app.sync.roomlog import NewRoom, RoomLog
from app.sync.server import SyncServer, default_db_url

REPO = Path(__file__).resolve().parents[2]


def small_board(path: Path, *, name: str = "Workshop") -> Document:
    """A board with two stages, two lanes and four cards."""
    doc = Document.new(path, name=name)
    s1, e = add_stage(doc, "Acquire", stage_id="s-acquire")
    doc.commit(e)
    s2, e = add_stage(doc, "Onboard", after=s1, stage_id="s-onboard")
    doc.commit(e)
    l1, e = add_lane(doc, "Customer actions", "actions", lane_id="l-actions")
    doc.commit(e)
    l2, e = add_lane(doc, "Sales", "team", team="Sales", lane_id="l-sales")
    doc.commit(e)
    for i, (lane, stage) in enumerate([(l1, s1), (l1, s2), (l2, s1), (l2, s2)]):
        _, e = add_card(doc, lane, stage, title=f"card {i}", card_id=f"c-base{i}")
        doc.commit(e)
    return doc


def add_cards(doc: Document, n: int, prefix: str) -> list[str]:
    ids = []
    for i in range(n):
        cid, e = add_card(
            doc, "l-actions", "s-acquire", title=f"{prefix} {i}", card_id=f"c-{prefix}-{i}"
        )
        doc.commit(e)
        ids.append(cid)
    return ids


def retitle(doc: Document, card: str, title: str) -> None:
    doc.commit(update(doc, "card", card, title=title))


def board_state(doc: Document) -> dict[str, dict[str, Any]]:
    """Every entity's field values, deleted ones included, as stored."""
    return {
        etype: {eid: dict(rec.values) for eid, rec in records.items()}
        for etype, records in doc.store.load_records().items()
    }


def conflict_set(doc: Document) -> set[tuple[str, str, str, str, str]]:
    return {
        (c.entity_type, c.entity_id, c.field, repr(c.value), c.change_id) for c in doc.conflicts()
    }


def create_room(data: Path, name: str = "Room") -> NewRoom:
    data.mkdir(parents=True, exist_ok=True)
    roomlog = RoomLog(default_db_url(data))
    try:
        return roomlog.create_room(name)
    finally:
        roomlog.close()


class LiveState:
    """A room's merged state as a newcomer would load it, read fresh on every use (the
    server merges logged changes into it a moment after it sends them out)."""

    def __init__(self, server: SyncServer, room_id: str) -> None:
        self._server, self._room_id = server, room_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server.rooms[self._room_id].state, name)


def live_state(server: SyncServer, room_id: str) -> Any:
    return LiveState(server, room_id)


def room_url(server_url: str, room: NewRoom) -> str:
    return f"{server_url}/rooms/{room.id}"


@contextlib.asynccontextmanager
async def serving(data: Path, **kwargs: Any) -> AsyncIterator[SyncServer]:
    """A real server on a free port, closed in the end."""
    server = SyncServer(data, port=0, **kwargs)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


async def until(check: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class LiveClient:
    """A Document synced by a SyncClient running as a task on the test's loop."""

    def __init__(self, doc: Document, url: str, token: str, **kwargs: Any) -> None:
        self.doc = doc
        self.adapter = DocumentAdapter(doc)
        self.client = SyncClient(url, token, self.adapter, backoff=(0.05, 0.5), **kwargs)
        self.acked: set[str] = set()
        acknowledge = self.adapter.acknowledge

        async def recording(ids: list[str]) -> None:
            await acknowledge(ids)
            self.acked.update(ids)

        self.adapter.acknowledge = recording  # type: ignore[method-assign]
        self._unwatch = self.adapter.watch(self.client.kick)
        self.task: asyncio.Task[None] | None = None

    def start(self) -> LiveClient:
        self.task = asyncio.create_task(self.client.run())
        return self

    async def stop(self) -> None:
        self.client.stop()
        if self.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, 5)
        self._unwatch()

    @property
    def online(self) -> bool:
        return self.client.state.state == "online"

    def drained(self) -> bool:
        return self.doc.store.outbox_count() == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server_process(data: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    """`cld serve` in its own process; returns once it listens."""
    code = "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--data", str(data), "--port", str(port), *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "serving on" not in line:
        proc.kill()
        raise AssertionError(
            f"server did not start: {line}{proc.stderr.read() if proc.stderr else ''}"
        )
    return proc


def stop_process(
    proc: subprocess.Popen[str], sig: int = signal.SIGTERM, timeout: float = 10
) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    code = "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
