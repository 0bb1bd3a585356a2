"""Running sync on threads for the desktop app: the server (with or without TLS) and a client."""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from app.model.changes import Change
from app.sync.client import SyncClient
from app.sync.roomlog import NewRoom
from app.sync.server import SyncServer

log = logging.getLogger(__name__)


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


class ClientThread:
    """Runs a SyncClient on its own thread and loop, so the caller never blocks."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="cld-sync", daemon=True)
        self._lock = threading.Lock()
        self._ended = False
        self._on_finished: list[Callable[[], None]] = []

    def start(self) -> None:
        self._thread.start()

    def _main(self) -> None:
        try:
            asyncio.run(self.client.run())
        except BaseException as exc:  # reported to the owner, who decides what to show
            self.error = exc
        finally:
            with self._lock:
                self._ended = True
                callbacks, self._on_finished = self._on_finished, []
            for callback in callbacks:
                try:
                    callback()
                except Exception:  # one owner's bug must not hide the others' callbacks
                    log.exception("a sync client's finished callback failed")

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def request_stop(self, on_finished: Callable[[], None] | None = None) -> None:
        """Ask the client to stop and return at once; ``on_finished()`` runs when it has.

        The callback runs on the client's thread once ``run`` has returned (at once, here,
        if the thread has ended or never started): a GUI owner posts it to its own thread.
        The owner must keep serving the client's calls until then, which is why it must
        not wait in ``join``.
        """
        if on_finished is not None:
            with self._lock:
                ended = self._ended or not self._thread.is_alive()
                if not ended:
                    self._on_finished.append(on_finished)
            if ended:
                on_finished()
        self.client.stop()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread (only where nothing it needs runs on the waiting thread)."""
        self._thread.join(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the client to stop and wait for the thread (for owners not serving its calls)."""
        self.request_stop()
        self.join(timeout)


def tls_context(cert: str | Path, key: str | Path) -> ssl.SSLContext:
    """A server TLS context from a certificate and its key (PEM files)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    return context
