"""Running the sync server: from the desktop app on a thread, with or without TLS."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Sequence
from pathlib import Path

from app.model.changes import Change
from app.sync.roomlog import NewRoom
from app.sync.server import SyncServer


class ServerThread:
    """A SyncServer on its own thread and loop: the facilitator hosts from the desktop app."""

    def __init__(self, server: SyncServer) -> None:
        self.server = server
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="cld-sync-server", daemon=True)

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; return the server's URL (raise what stopped it from starting)."""
        self._thread.start()
        self._ready.wait(timeout)
        if self.error is not None:
            raise self.error
        return self.server.url

    def _main(self) -> None:
        async def run() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            try:
                await self.server.start()
            except BaseException as exc:
                self.error = exc
                await self.server.close()
                raise
            finally:
                self._ready.set()
            try:
                await self._stop.wait()
            finally:
                await self.server.close()

        try:
            asyncio.run(run())
        except BaseException as exc:  # reported to the owner by start() or .error
            self.error = self.error or exc
            self._ready.set()

    def create_room(self, name: str, seed: Sequence[Change] = ()) -> tuple[NewRoom, int]:
        """A new room seeded with ``seed`` (see SyncServer.create_room); from any thread."""
        return self.server.create_room(name, seed)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish writes, close everyone with 1001 and wait for the thread."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)


def tls_context(cert: str | Path, key: str | Path) -> ssl.SSLContext:
    """A server TLS context from a certificate and its key (PEM files)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    return context
