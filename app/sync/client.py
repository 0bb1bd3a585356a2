"""The sync client: keeps one Document in step with a room, online or after days offline.

The client runs on an asyncio loop and never touches the Document itself: it talks to an
adapter. ``DocumentAdapter`` calls the Document directly (the headless ``cld sync``, where
the loop owns the Document); ``OwnerThreadAdapter`` hands every call to the thread that
owns the Document (the desktop app's GUI thread, through a queued signal) and awaits it.

On each connection: hello with the last seen room seq, push the outbox (a few batches in
flight), apply catch-up and live changes, remember the seq. Dropped connections come back
with exponential backoff and jitter; a refused token stops with a clear error.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import random
import socket
import ssl
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException

from app.model.changes import Change
from app.model.document import ChangeRejected, Document, DocumentEvent
from app.sync import protocol as p
from app.sync.redact import redacting_logger

log = logging.getLogger(__name__)
T = TypeVar("T")

#: pushes awaiting their ack at once
MAX_IN_FLIGHT = 4
#: bytes of serialized changes per push (well under the server's frame limit)
PUSH_BYTES = p.MAX_MESSAGE_BYTES // 2
#: presence updates sent per second at most
PRESENCE_PER_SECOND = 20
#: pushes sent per second at most: edits made faster share a push (the server closes a
#: connection sending more than MAX_MESSAGES_PER_SECOND messages of all kinds)
PUSHES_PER_SECOND = 30
PUSH_BURST = 30
#: shares of the server's change bucket (its welcome says rate and burst) a client uses: the
#: margin absorbs pushes bunched up by the network or a busy server. With the defaults a
#: reconnect's outbox of up to 10,000 changes goes at once; a bigger one drains at 800
#: changes a second instead of being disconnected for flooding.
CHANGE_RATE_SHARE = 0.8
CHANGE_BURST_SHARE = 5 / 6


class SyncRefused(Exception):
    """The server refused this client for good (token, room or protocol): do not retry."""


class SyncTimeout(Exception):
    """A one-shot sync could not finish in time; unsent changes stay in the outbox."""


class SyncUnreachable(SyncTimeout):
    """Nothing answered at the server's address, try after try; unsent changes stay."""


# -- adapters -------------------------------------------------------------------------


class DocumentAdapter:
    """The client's view of a Document, called on the client's own loop and thread."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.replica = doc.replica

    async def _call(self, fn: Callable[[], T]) -> T:
        return fn()

    async def outbox(self) -> list[Change]:
        return await self._call(self.doc.store.outbox)

    async def unsent(self) -> int:
        return await self._call(self.doc.store.outbox_count)

    async def acknowledge(self, ids: list[str]) -> None:
        await self._call(lambda: self.doc.store.acknowledge(ids))

    async def apply_remote(self, changes: list[Change]) -> None:
        await self._call(lambda: _apply(self.doc, changes))

    async def last_seq(self, room: str) -> int:
        return await self._call(lambda: int(self.doc.store.meta(f"room:{room}:seq") or 0))

    async def save_seq(self, room: str, seq: int) -> None:
        await self._call(lambda: self.doc.store.set_meta({f"room:{room}:seq": str(seq)}))

    def watch(self, on_local_change: Callable[[], None]) -> Callable[[], None]:
        """Call ``on_local_change`` after each local commit; returns the function to stop."""

        def observer(event: DocumentEvent) -> None:
            if event.local:
                on_local_change()

        self.doc.subscribe(observer)
        return lambda: self.doc.unsubscribe(observer)


class OwnerThreadAdapter(DocumentAdapter):
    """A DocumentAdapter whose calls run on the Document's owner thread.

    ``submit(fn)`` must run ``fn`` on that thread and return a concurrent Future of its
    result (the desktop app does it with a queued signal; the owner runs ``fn`` only if
    ``future.set_running_or_notify_cancel()`` is true). Watching is the owner's job: it
    calls ``client.kick()`` after local commits.
    """

    def __init__(
        self, doc: Document, submit: Callable[[Callable[[], Any]], concurrent.futures.Future[Any]]
    ) -> None:
        super().__init__(doc)
        self._submit = submit

    async def _call(self, fn: Callable[[], T]) -> T:
        return await asyncio.wrap_future(self._submit(fn))


def _apply(doc: Document, changes: list[Change]) -> None:
    try:
        doc.apply_many(changes, origin="remote")
    except ChangeRejected:
        # one bad change (a newer schema elsewhere?) must not hold back the others
        for change in changes:
            try:
                doc.apply(change, origin="remote")
            except ChangeRejected as exc:
                log.warning("skipped a change from the room: %s", exc)


# -- the client -----------------------------------------------------------------------


@dataclass(frozen=True)
class SyncState:
    """What the client reports: connecting, online, offline (with unsent), refused, stopped."""

    state: str
    unsent: int = 0
    detail: str = ""
    role: str = ""


@dataclass
class SyncResult:
    """What a one-shot sync did."""

    pushed: int = 0
    received: int = 0
    seq: int = 0
    role: str = ""
    #: local changes the room refused (kept in the file's outbox)
    refused: int = 0


@dataclass
class _Link:
    """State of one live connection."""

    ws: ClientConnection
    role: str = ""
    room_seq: int = 0
    in_flight: dict[str, list[str]] = field(default_factory=dict)
    sent_ids: set[str] = field(default_factory=set)
    slots: asyncio.Event = field(default_factory=asyncio.Event)
    fetching: bool = False
    welcomed: asyncio.Event = field(default_factory=asyncio.Event)
    #: the server's change bucket, from its welcome
    change_rate: float = p.MAX_CHANGES_PER_SECOND
    change_burst: float = p.CHANGE_BURST


def split_url(url: str, token: str | None) -> tuple[str, str, str]:
    """(URL without the token, room id, token) from a join URL and an optional token."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise ValueError(f"{url!r} is not a ws:// or wss:// address")
    query = parse_qs(parts.query)
    found = (query.pop("token", None) or [""])[0]
    token = token or found
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 2 or segments[0] != "rooms":
        raise ValueError(f"{url!r} does not name a room (expected .../rooms/ROOM)")
    clean = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True), ""))
    return clean, segments[1], token


def _unreachable(url: str, exc: OSError) -> str:
    """Why the server could not be reached, in words, with what to check."""
    where = urlsplit(url).netloc or url
    if isinstance(exc, ConnectionRefusedError) or "Connect call failed" in str(exc):
        why = "nothing is listening there"
    elif isinstance(exc, socket.gaierror):
        why = "that host name is unknown"
    else:
        why = exc.strerror or str(exc)
    return (
        f"cannot reach the workshop server at {where} ({why}): check that it is running "
        "and that the join link is the one it printed"
    )


class SyncClient:
    """Keeps a Document (through an adapter) in sync with one room."""

    def __init__(
        self,
        url: str,
        token: str | None,
        adapter: DocumentAdapter,
        *,
        name: str = "",
        color: str = "",
        ssl_context: ssl.SSLContext | None = None,
        on_state: Callable[[SyncState], None] | None = None,
        on_participants: Callable[[dict[str, p.Participant]], None] | None = None,
        on_presence: Callable[[p.PresenceOf], None] | None = None,
        on_error: Callable[[str, str], None] | None = None,
        backoff: tuple[float, float] = (0.25, 10.0),
    ) -> None:
        self.url, self.room, self.token = split_url(url, token)
        self.adapter = adapter
        self.name = name
        self.color = color
        self.ssl_context = ssl_context
        self.on_state = on_state
        self.on_participants = on_participants
        self.on_presence = on_presence
        self.on_error = on_error
        self.backoff = backoff
        self.state = SyncState("stopped")
        self.participants: dict[str, p.Participant] = {}
        #: this client's participant id in the room (from the last welcome; "" before one)
        self.you = ""
        self.room_name = ""
        self.seq = 0
        self.pushed = 0
        self.received = 0
        #: ids of local changes the room refused (a facilitator-only write by another role)
        self.refused: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kick = asyncio.Event()
        self._stop = asyncio.Event()
        self._presence: str | None = None
        self._presence_ready = asyncio.Event()
        self._link: _Link | None = None
        self._outbox_empty = False
        self._welcomed = False

    # -- thread-safe controls --------------------------------------------------------

    def kick(self) -> None:
        """There are new local changes: push them (callable from any thread)."""
        self._threadsafe(self._kick.set)

    def stop(self) -> None:
        """Disconnect and make ``run`` return (callable from any thread)."""
        self._threadsafe(self._stop.set)

    def send_presence(
        self,
        cursor: tuple[float, float] | None = None,
        selection: list[str] | None = None,
        viewport: dict[str, float] | None = None,
    ) -> None:
        """Share where you are; only the latest is sent, at most PRESENCE_PER_SECOND."""
        message = p.Presence(
            cursor=list(cursor) if cursor is not None else None,
            selection=list(selection or []),
            viewport=p.Viewport(**viewport) if viewport else None,
        )

        def store() -> None:
            self._presence = p.dumps(message)
            self._presence_ready.set()

        self._threadsafe(store)

    def _threadsafe(self, fn: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None or not loop.is_running():
            fn()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    # -- running ---------------------------------------------------------------------

    async def run(self) -> None:
        """Sync until ``stop()``; reconnect after drops; raise SyncRefused when refused."""
        self._loop = asyncio.get_running_loop()
        self.seq = await self.adapter.last_seq(self.room)
        attempt = 0
        while not self._stop.is_set():
            await self._report("connecting")
            try:
                await self._connection(lambda: self._stop.is_set())
            except SyncRefused as exc:
                await self._report("refused", detail=str(exc))
                raise
            except (OSError, WebSocketException, TimeoutError, ValueError) as exc:
                log.info("sync connection lost: %s", exc)
            if self._stop.is_set():
                break
            await self._report("offline")
            attempt = 1 if self._welcomed else attempt + 1
            await self._sleep_backoff(attempt)
        await self._report("stopped")

    async def sync_once(
        self, *, timeout: float = 30.0, unreachable_tries: int | None = None
    ) -> SyncResult:
        """Push everything, pull everything, return when the file and the room agree.

        With ``unreachable_tries``, that many failed connects in a row before the server
        ever answered raise SyncUnreachable at once instead of waiting out ``timeout``.
        """
        self._loop = asyncio.get_running_loop()
        self.seq = await self.adapter.last_seq(self.room)
        deadline = time.monotonic() + timeout
        attempt = 0
        unreachable = 0
        answered = False
        last_error = ""
        while time.monotonic() < deadline:
            await self._report("connecting")
            try:
                done = await asyncio.wait_for(
                    self._connection(self._caught_up),
                    max(0.1, deadline - time.monotonic()),
                )
                if done:
                    await self._report("stopped")
                    return SyncResult(
                        self.pushed, self.received, self.seq, self.state.role, len(self.refused)
                    )
            except SyncRefused as exc:
                await self._report("refused", detail=str(exc))
                raise
            except OSError as exc:
                last_error = _unreachable(self.url, exc)
                unreachable += 1
                if not answered and unreachable_tries and unreachable >= unreachable_tries:
                    unsent = await self.adapter.unsent()
                    await self._report("offline", detail=last_error)
                    raise SyncUnreachable(
                        f"{last_error}; {unsent} changes not yet sent stay in the file"
                    ) from None
            except (WebSocketException, TimeoutError, ValueError) as exc:
                answered = True
                last_error = str(exc) or type(exc).__name__
            answered = answered or self._welcomed
            await self._report("offline", detail=last_error)
            attempt = 1 if self._welcomed else attempt + 1
            await self._sleep_backoff(attempt, deadline=deadline)
        unsent = await self.adapter.unsent()
        raise SyncTimeout(
            f"could not finish syncing in {timeout:g} s ({last_error or 'no answer'}); "
            f"{unsent} changes not yet sent stay in the file for the next sync"
        )

    async def _sleep_backoff(self, attempt: int, *, deadline: float | None = None) -> None:
        base, cap = self.backoff
        delay = min(cap, base * 2 ** min(attempt - 1, 16))
        delay = random.uniform(delay / 2, delay)  # jitter: a room's clients do not return in step
        if deadline is not None:
            delay = min(delay, max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), delay)

    async def _report(self, state: str, *, detail: str = "") -> None:
        unsent = await self.adapter.unsent()
        role = self._link.role if self._link else self.state.role
        new = SyncState(state, unsent, detail, role)
        if new != self.state:
            self.state = new
            if self.on_state is not None:
                self.on_state(new)

    def _caught_up(self) -> bool:
        link = self._link
        if link is None or not link.welcomed.is_set() or link.in_flight:
            return False
        return self.seq >= link.room_seq and not self._kick.is_set() and self._outbox_empty

    # -- one connection --------------------------------------------------------------

    async def _connection(self, finished: Callable[[], bool]) -> bool:
        """Run one connection until ``finished()`` or it drops; True if finished."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        # backoff starts over only after a connection that got as far as the welcome
        self._welcomed = False
        # wss:// with no context of ours: the system's trusted certificates
        tls: ssl.SSLContext | bool | None = self.ssl_context
        if tls is None and self.url.startswith("wss://"):
            tls = True
        try:
            ws = await connect(
                self.url,
                additional_headers=headers,
                ssl=tls,
                max_size=p.MAX_SERVER_MESSAGE_BYTES,
                open_timeout=10,
                close_timeout=2,
                ping_interval=p.PING_INTERVAL_S,
                ping_timeout=p.PING_TIMEOUT_S,
                logger=redacting_logger("app.sync.client.websockets"),
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403, 404):
                body = (
                    exc.response.body.decode("utf-8", "replace").strip()
                    if exc.response.body
                    else ""
                )
                advice = body or "Ask the facilitator for a new join link."
                raise SyncRefused(
                    f"The server refused this room token (HTTP {status}). {advice}"
                ) from None
            raise
        except InvalidURI as exc:
            raise SyncRefused(str(exc)) from None
        link = self._link = _Link(ws)
        self._outbox_empty = False
        self._welcomed = False
        self._kick.set()
        tasks: list[asyncio.Task[Any]] = []
        stopper = asyncio.create_task(self._stop.wait())
        try:
            await ws.send(
                p.dumps(
                    p.Hello(
                        protocol=p.PROTOCOL_VERSION,
                        replica=self.adapter.replica[:200],
                        name=self.name[:200],
                        color=self.color,
                        since_seq=self.seq,
                    )
                )
            )
            tasks = [
                asyncio.create_task(self._receive(link)),
                asyncio.create_task(self._push(link)),
                asyncio.create_task(self._send_presence(link)),
            ]
            while True:
                done, _ = await asyncio.wait(
                    [*tasks, stopper], timeout=0.05, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    if task is not stopper and task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]
                if finished():
                    return True
                if stopper in done or any(t.done() for t in tasks):
                    return self._stop.is_set()
        finally:
            stopper.cancel()
            for task in tasks:
                task.cancel()
            # gather, not a suppress(CancelledError) per task: a cancel of this coroutine
            # itself must still get through, or a cancelled client would go on forever
            await asyncio.gather(*tasks, return_exceptions=True)
            await ws.close()
            code = ws.close_code
            self._link = None
            if code in p.FATAL_CLOSE_CODES:
                raise SyncRefused(f"the server closed the connection: {ws.close_reason}")

    async def _receive(self, link: _Link) -> None:
        """Read frames as they come; a second task handles them, so frames that arrive
        while a batch is being applied are applied together with the next one."""
        inbox: asyncio.Queue[p.Message | None] = asyncio.Queue()
        handler = asyncio.create_task(self._handle(link, inbox))
        try:
            async for data in link.ws:
                for message in p.parse_server_frame(data):
                    inbox.put_nowait(message)
                if handler.done():
                    handler.result()  # a handling error ends the connection
                    return
        except ConnectionClosed:
            pass
        except BaseException:
            handler.cancel()
            raise
        inbox.put_nowait(None)
        await handler  # what arrived before the close is still applied
        code = link.ws.close_code
        if code not in (None, 1000, 1001):
            log.warning("the server closed the connection: %s (%s)", link.ws.close_reason, code)

    async def _handle(self, link: _Link, inbox: asyncio.Queue[p.Message | None]) -> None:
        while True:
            batch = [await inbox.get()]
            while not inbox.empty():
                batch.append(inbox.get_nowait())
            i = 0
            while i < len(batch):
                message = batch[i]
                if message is None:
                    return
                if isinstance(message, p.Changes) and not message.snapshot:
                    run = [message]
                    while (
                        i + len(run) < len(batch)
                        and isinstance(nxt := batch[i + len(run)], p.Changes)
                        and not nxt.snapshot
                    ):
                        run.append(nxt)
                    await self._on_changes_run(link, run)  # type: ignore[arg-type]
                    i += len(run)
                    continue
                await self._on_message(link, message)
                i += 1

    async def _on_changes_run(self, link: _Link, messages: list[p.Changes]) -> None:
        """Live changes of several messages applied as one batch (one event, one repaint)."""
        changes = [Change.model_validate(item) for m in messages for item in m.items]
        if changes:
            await self.adapter.apply_remote(changes)
            self.received += len(changes)
        moved = False
        for message in messages:
            moved = await self._advance(link, message, save=False) or moved
        if moved:
            await self.adapter.save_seq(self.room, self.seq)

    async def _on_message(self, link: _Link, message: p.Message) -> None:
        if isinstance(message, p.Changes):
            await self._on_changes(link, message)
        elif isinstance(message, p.Ack):
            ids = link.in_flight.pop(message.batch_id, None)
            if ids is not None:
                await self.adapter.acknowledge(ids)
                self.pushed += len(ids)
            link.room_seq = max(link.room_seq, message.seq)
            link.slots.set()
            self._kick.set()  # the pusher looks again: is the outbox empty now?
        elif isinstance(message, p.Welcome):
            link.role = message.role
            link.room_seq = message.seq
            link.change_rate = message.changes_per_second
            link.change_burst = message.change_burst
            self.you = message.you
            self.room_name = message.room_name
            self.participants = {x.id: x for x in message.participants}
            link.welcomed.set()
            self._welcomed = True
            await self._report("online")
            self._participants_changed()
        elif isinstance(message, p.Joined):
            self.participants[message.participant.id] = message.participant
            self._participants_changed()
        elif isinstance(message, p.Left):
            self.participants.pop(message.participant, None)
            self._participants_changed()
        elif isinstance(message, p.PresenceOf):
            if self.on_presence is not None:
                self.on_presence(message)
        elif isinstance(message, p.Resync):
            # the server dropped our queue and waits for a fetch: always answer it
            link.room_seq = max(link.room_seq, message.seq)
            link.fetching = False
            await self._fetch(link)
        elif isinstance(message, p.Error):
            log.warning("the server refused a request: %s", message.message)
            if message.code == "read_only":
                link.in_flight.clear()
                link.slots.set()
            elif message.code == "facilitator_only":
                self._refused_push(link, message)
            if self.on_error is not None:
                self.on_error(message.code, message.message)

    def _refused_push(self, link: _Link, message: p.Error) -> None:
        """A push refused for some of its changes: stop waiting on it, resend the others.

        The refused changes stay in the file's outbox (they are the user's edits) but are
        not sent again on this connection; the rest of the batch goes in the next push.
        """
        ids = link.in_flight.pop(message.batch_id, None)
        if ids is None:
            return
        refused = set(message.ids) & set(ids)
        if not refused:  # an unknown answer: treat the whole batch as refused
            refused = set(ids)
        self.refused.update(refused)
        link.sent_ids.difference_update(set(ids) - refused)
        link.slots.set()
        self._kick.set()

    async def _on_changes(self, link: _Link, message: p.Changes) -> None:
        changes = [Change.model_validate(item) for item in message.items]
        if changes:
            await self.adapter.apply_remote(changes)
            self.received += len(changes)
        await self._advance(link, message)

    async def _advance(self, link: _Link, message: p.Changes, *, save: bool = True) -> bool:
        """Move the last seen seq past a message, or ask for what a gap left out; True if
        the seq moved (``save``: store it in the file now)."""
        moved = False
        if message.snapshot:
            if message.to_seq > 0:
                self.seq, moved = message.to_seq, True
        elif message.from_seq <= self.seq + 1:
            if message.to_seq > self.seq:
                self.seq, moved = message.to_seq, True
            link.fetching = False  # in step again; a later gap asks again
        else:
            await self._fetch(link)  # a gap: ask the log for what is missing
        link.room_seq = max(link.room_seq, message.to_seq)
        if moved and save:
            await self.adapter.save_seq(self.room, self.seq)
        return moved

    async def _fetch(self, link: _Link) -> None:
        if not link.fetching:
            link.fetching = True
            await link.ws.send(p.dumps(p.Fetch(since_seq=self.seq)))

    def _participants_changed(self) -> None:
        if self.on_participants is not None:
            self.on_participants(dict(self.participants))

    async def _push(self, link: _Link) -> None:
        """Send the outbox in batches, at most MAX_IN_FLIGHT unacknowledged at once."""
        await link.welcomed.wait()
        queue: deque[Change] = deque()
        # stay well inside the server's message rate: bursts pass, a stream of edits waits
        # a little and shares pushes instead of being disconnected for flooding
        limiter = p.RateLimiter(rate=PUSHES_PER_SECOND, burst=PUSH_BURST)
        # one per connection, like the server's bucket
        pace = p.RateLimiter(
            rate=max(1.0, link.change_rate * CHANGE_RATE_SHARE),
            burst=max(1.0, link.change_burst * CHANGE_BURST_SHARE),
        )
        most = max(1, min(p.MAX_CHANGES_PER_PUSH, int(pace.burst)))
        while True:
            while not limiter.allow():
                await asyncio.sleep(1.0 / PUSHES_PER_SECOND)
            if not queue:
                await self._kick.wait()
                self._kick.clear()
                if link.role == "viewer":
                    self._outbox_empty = True
                    continue
                queue = deque(c for c in await self.adapter.outbox() if c.id not in link.sent_ids)
                self._outbox_empty = not queue and not link.in_flight
                if not queue:
                    limiter.tokens += 1  # nothing was sent
                    continue
            while len(link.in_flight) >= MAX_IN_FLIGHT:
                link.slots.clear()
                await link.slots.wait()
            batch: list[dict[str, Any]] = []
            size = writes = 0
            while queue and len(batch) < most:
                item = queue[0].model_dump(mode="json")
                cost = len(json.dumps(item, separators=(",", ":")))
                n = len(queue[0].writes)
                if batch and (size + cost > PUSH_BYTES or writes + n > p.MAX_WRITES_PER_PUSH):
                    break
                batch.append(item)
                size += cost
                writes += n
                queue.popleft()
            while (delay := pace.wait_for(len(batch))) > 0:
                await asyncio.sleep(delay)
            batch_id = uuid.uuid4().hex[:12]
            ids = [item["id"] for item in batch]
            link.in_flight[batch_id] = ids
            link.sent_ids.update(ids)
            await link.ws.send(p.dumps(p.Push(batch_id=batch_id, changes=batch)))
            if not queue:
                self._kick.set()  # look again: more may have been committed meanwhile

    async def _send_presence(self, link: _Link) -> None:
        await link.welcomed.wait()
        while True:
            await self._presence_ready.wait()
            self._presence_ready.clear()
            if self._presence is not None:
                await link.ws.send(self._presence)
            await asyncio.sleep(1.0 / PRESENCE_PER_SECOND)
