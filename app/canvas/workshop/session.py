"""WorkshopSession: one SyncClient on a worker thread, kept in step with a GUI-thread Document.

The client's asyncio loop runs on its own thread (``ClientThread``) and reaches the Document
only through ``OwnerThreadAdapter``: every call is posted to the GUI thread with a queued
signal and run there, so remote changes are applied (``doc.apply_many``, one event and one
repaint per received batch) where the scene lives. The client's callbacks (state,
participants, presence, errors) come back the same way and are re-emitted as Qt signals.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QTimer, Signal, Slot

from app.model.document import Document, DocumentEvent
from app.sync.client import OwnerThreadAdapter, SyncClient, SyncState
from app.sync.hosting import ClientThread

log = logging.getLogger(__name__)


class GuiThreadRunner(QObject):
    """Runs functions posted from any thread on the thread this object lives in."""

    posted = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.alive = True
        self._lock = threading.Lock()
        self._waiting: set[concurrent.futures.Future[Any]] = set()
        self.posted.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def submit(self, fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        """Post ``fn``; the Future gets its result (callable from any thread)."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            if not self.alive:
                future.set_exception(RuntimeError("the workshop session has ended"))
                return future
            self._waiting.add(future)
        self.posted.emit(fn, future)
        return future

    def close(self) -> None:
        """Run nothing more: calls posted and not yet run fail, so no caller waits forever."""
        with self._lock:
            self.alive = False
            waiting, self._waiting = self._waiting, set()
        for future in waiting:
            if future.set_running_or_notify_cancel():
                future.set_exception(RuntimeError("the workshop session has ended"))

    def post(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on this object's thread, nobody waiting for it (callable from any thread)."""
        self.posted.emit(fn, None)

    @Slot(object, object)
    def _run(self, fn: Callable[[], Any], future: concurrent.futures.Future[Any] | None) -> None:
        if future is None:
            if self.alive:
                try:
                    fn()
                except Exception:  # a bug in a handler must not stop the session
                    log.exception("workshop: handling a sync event failed")
            return
        with self._lock:
            if future not in self._waiting:  # failed by close() already
                return
            self._waiting.discard(future)
        if not future.set_running_or_notify_cancel():
            return
        if not self.alive:  # the session ended: its Document may be closed
            future.set_exception(RuntimeError("the workshop session has ended"))
            return
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to the waiting network thread
            future.set_exception(exc)


class WorkshopSession(QObject):
    """A live connection of one Document to one room, from the GUI thread's point of view."""

    #: SyncState (connecting, online, offline, refused, stopped) with the unsent count
    state_changed = Signal(object)
    #: dict participant id -> protocol.Participant (the others and you)
    participants_changed = Signal(object)
    #: protocol.PresenceOf of another participant
    presence_received = Signal(object)
    #: (code, message) of a refusal that keeps the connection (a viewer's push)
    refused = Signal(str, str)
    #: the unsent count changed while not online (local edits offline)
    unsent_changed = Signal(int)
    #: the client has stopped after stop(): its thread has ended, the Document is free
    finished = Signal()
    #: emitted on the client's thread when it ends; queued to the GUI thread
    _thread_ended = Signal()

    def __init__(
        self,
        doc: Document,
        url: str,
        token: str,
        *,
        name: str = "",
        color: str = "",
        backoff: tuple[float, float] = (0.25, 5.0),
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc = doc
        self.runner = GuiThreadRunner(self)
        post = self.runner.post
        self.client = SyncClient(
            url,
            token,
            OwnerThreadAdapter(doc, self.runner.submit),
            name=name,
            color=color,
            backoff=backoff,
            on_state=lambda s: post(lambda: self._on_state(s)),
            on_participants=lambda ps: post(lambda: self.participants_changed.emit(ps)),
            on_presence=lambda m: post(lambda: self.presence_received.emit(m)),
            on_error=lambda c, m: post(lambda: self.refused.emit(c, m)),
        )
        self.state = SyncState("stopped")
        self.unsent = doc.store.outbox_count()
        self.ever_online = False
        self._thread = ClientThread(self.client)
        self._stopping = False
        self._thread_ended.connect(self._ended, Qt.ConnectionType.QueuedConnection)
        self._unsent_timer = QTimer(self)
        self._unsent_timer.setSingleShot(True)
        self._unsent_timer.setInterval(150)
        self._unsent_timer.timeout.connect(self.count_unsent)
        doc.subscribe(self._on_document)

    @property
    def role(self) -> str:
        return self.state.role

    @property
    def room(self) -> str:
        return self.client.room

    def start(self) -> None:
        self._thread.start()

    def is_running(self) -> bool:
        return self._thread.is_alive()

    def _on_state(self, state: SyncState) -> None:
        self.state = state
        self.ever_online = self.ever_online or state.state == "online"
        self.unsent = state.unsent
        self.state_changed.emit(state)

    def _on_document(self, event: DocumentEvent) -> None:
        if event.local:
            self.client.kick()
            self._unsent_timer.start()

    def count_unsent(self) -> None:
        """Read the outbox size again (it shrinks on acks, grows with edits)."""
        if self.runner.alive:
            self.unsent = self.doc.store.outbox_count()
            self.unsent_changed.emit(self.unsent)

    def send_presence(
        self,
        cursor: tuple[float, float] | None,
        selection: list[str],
        viewport: dict[str, float] | None,
    ) -> None:
        self.client.send_presence(cursor=cursor, selection=selection, viewport=viewport)

    def flush(self, timeout: float = 2.0) -> None:
        """While online, wait (serving the client's calls) until the outbox is sent."""
        deadline = time.monotonic() + timeout
        self.client.kick()
        while (
            self.state.state == "online"
            and self.state.role != "viewer"
            and self.doc.store.outbox_count() > 0
            and time.monotonic() < deadline
        ):
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, 20)
            time.sleep(0.005)

    def stop(self) -> None:
        """Disconnect without waiting; ``finished`` is emitted once the client has ended.

        The client still needs the GUI thread meanwhile (its last calls on the Document run
        here), so this returns at once and the event loop serves them.
        """
        if self._stopping:
            return
        self._stopping = True
        self.doc.unsubscribe(self._on_document)
        self._unsent_timer.stop()
        self._thread.request_stop(self._thread_ended.emit)

    def abandon(self) -> None:
        """The Document is going away: stop, and fail the client's calls from now on."""
        self.stop()
        self.runner.close()

    @Slot()
    def _ended(self) -> None:
        self.runner.close()
        self.finished.emit()
