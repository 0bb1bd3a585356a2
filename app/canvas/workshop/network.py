"""The embedded sync server (its own thread and asyncio loop), join links and LAN addresses.

The window never waits on the network: the server runs on a background thread, and the
only blocking calls here (start, create a room, stop) wait a bounded time for that thread.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from PySide6.QtNetwork import QAbstractSocket, QHostAddress, QNetworkInterface

from app.model.changes import Change
from app.sync.client import split_url
from app.sync.roomlog import NewRoom
from app.sync.server import SyncServer

T = TypeVar("T")

#: the port a host tries first, so links stay the same from one session to the next
PREFERRED_PORT = 8765


class HostError(Exception):
    """The server could not start (port taken, folder not writable): plain words."""


def lan_address() -> str:
    """This machine's IPv4 address on the local network (no packet is sent to find it)."""
    candidates: list[str] = []
    for iface in QNetworkInterface.allInterfaces():
        flags = iface.flags()
        if not flags & QNetworkInterface.InterfaceFlag.IsUp or (
            flags & QNetworkInterface.InterfaceFlag.IsLoopBack
        ):
            continue
        for entry in iface.addressEntries():
            ip = entry.ip()
            if ip.protocol() == QAbstractSocket.NetworkLayerProtocol.IPv4Protocol and not (
                ip.isLoopback() or ip.isInSubnet(QHostAddress("169.254.0.0"), 16)
            ):
                candidates.append(ip.toString())
    # private ranges first: that is where the participants are
    private = [a for a in candidates if a.startswith(("192.168.", "10.", "172."))]
    if private or candidates:
        return (private or candidates)[0]
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        address = ""
    return address if address and not address.startswith("127.") else "127.0.0.1"


@dataclass(frozen=True)
class JoinLink:
    """What a join link says: where the room is, the token, and hints for the joiner."""

    url: str
    room: str
    token: str
    design: str = ""
    role: str = ""

    @property
    def full(self) -> str:
        return f"{self.url}?token={quote(self.token)}"


def make_link(base: str, room: str, token: str, *, design: str = "", role: str = "") -> str:
    """A join link: ws://HOST:PORT/rooms/ROOM?token=T#design=NAME&role=ROLE."""
    hints = urlencode({k: v for k, v in (("design", design), ("role", role)) if v})
    return f"{base.rstrip('/')}/rooms/{room}?token={quote(token)}" + (f"#{hints}" if hints else "")


def parse_link(text: str) -> JoinLink:
    """Read a join link; ValueError in plain words when it is not one."""
    text = text.strip()
    if not text:
        raise ValueError("Paste the join link the facilitator shared (it starts with ws://).")
    try:
        url, room, token = split_url(text, None)
    except ValueError:
        raise ValueError(
            "This is not a workshop join link: it should look like "
            "ws://192.168.1.20:8765/rooms/ROOM?token=... (ask the facilitator to copy it again)."
        ) from None
    if not token:
        raise ValueError("This link has no token: ask the facilitator to copy the whole link.")
    hints = parse_qs(urlsplit(text).fragment)
    design = (hints.get("design") or [""])[0]
    role = (hints.get("role") or [""])[0]
    return JoinLink(url, room, token, design, role)


class ServerThread:
    """A SyncServer on its own thread and event loop, for hosting from the app."""

    def __init__(self, data_dir: Path, *, host: str = "0.0.0.0", port: int = 0) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.server: SyncServer | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="cld-host", daemon=True)

    def start(self, timeout: float = 15.0) -> None:
        """Start serving; HostError if the server cannot listen."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise HostError("the workshop server did not start in time; try again")
        if self.error is not None:
            error = self.error
            if isinstance(error, OSError):
                raise HostError(
                    f"cannot listen on port {self.port}: {error.strerror or error}"
                ) from None
            raise HostError(f"the workshop server could not start: {error}") from None

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to start() or kept for stop()
            self.error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = SyncServer(self.data_dir, host=self.host, port=self.port)
        await server.start()
        self.server = server
        self.port = server.port
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await server.close()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 15.0) -> T:
        """Run a coroutine on the server's loop and wait for its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def create_room(self, name: str, seed: Sequence[Change] = ()) -> tuple[NewRoom, int]:
        """A new room whose log starts with ``seed``; returns it and the room's seq after."""

        async def create() -> tuple[NewRoom, int]:
            assert self.server is not None
            roomlog = self.server.roomlog
            room = roomlog.create_room(name)
            fresh, _texts = roomlog.append(room.id, 1, list(seed)) if seed else ([], [])
            return room, len(fresh)

        return self.call(create())

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Close every connection (code 1001), finish writes, end the thread."""
        loop, stop = self.loop, self._stop
        if loop is not None and stop is not None and loop.is_running():
            loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout)

    @property
    def local_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"
