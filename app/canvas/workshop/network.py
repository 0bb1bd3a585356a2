"""Hosting from the app (the sync server on its own thread), join links and LAN addresses.

The window never waits on the network: the server runs on a background thread
(``app.sync.hosting.ServerThread``); starting it, creating a room and stopping it wait a
bounded time.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from PySide6.QtNetwork import QAbstractSocket, QHostAddress, QNetworkInterface

from app.sync.client import split_url
from app.sync.hosting import ServerThread
from app.sync.server import SyncServer

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


def start_server(data_dir: Path, *, host: str = "0.0.0.0", port: int = 0) -> ServerThread:
    """The sync server serving on its own thread; HostError in plain words if it cannot."""
    try:
        thread = ServerThread(SyncServer(data_dir, host=host, port=port))
        thread.start()
    except OSError as exc:
        raise HostError(f"cannot listen on port {port}: {exc.strerror or exc}") from None
    except Exception as exc:  # a folder that cannot be written, a broken room database
        raise HostError(f"the workshop server could not start: {exc}") from None
    return thread


def local_url(server: SyncServer) -> str:
    """The server's address from this machine (the host's own client)."""
    return f"ws://127.0.0.1:{server.port}"
