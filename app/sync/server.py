"""The workshop sync server: rooms, token checks, the durable room log, fan-out and presence.

One asyncio loop serves every room. A push is checked by the protocol session, queued on
its room, and the room's writer commits everything queued in one transaction to the room
log (then to the room's merged Document) before anyone is acked or sent a change: an ack
means durable. Fan-out goes through a bounded queue per participant, flushed at most
FLUSH_PER_SECOND times a second; a participant that falls too far behind is told to resync.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import ssl
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.exc import IntegrityError
from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from app.model.changes import Change
from app.model.clock import MAX_DRIFT_MS, make_stamp, parse_stamp, wall_ms
from app.model.document import Document
from app.sync import protocol as p
from app.sync.redact import redacting_logger
from app.sync.roomlog import Access, NewRoom, RoomLog
from app.sync.snapshot import chunks, snapshot_changes

log = logging.getLogger(__name__)

ROOM_PATH = re.compile(r"/rooms/([A-Za-z0-9_-]{1,64})/?")
#: a participant with more unsent bytes than this is not reading: its queue waits
WRITE_HIGH_WATER = 512 * 1024
#: seconds an empty room stays loaded
ROOM_IDLE_S = 300.0
#: the room state records the log seq it has applied after this many changes (and on close)
SAVE_SEQ_EVERY = 1_000
#: how long logged changes wait to be merged into the room state, in seconds: under load
#: many pushes share one transaction, and fan-out never waits on the merge
STATE_APPLY_S = 0.05


def clamp_stamp(stamp: str, now_ms: int) -> str:
    """The server's version of a stamp: no further ahead of its clock than MAX_DRIFT_MS."""
    wall, counter, replica = parse_stamp(stamp)
    limit = now_ms + MAX_DRIFT_MS
    if wall <= limit:
        return stamp
    log.warning(
        "a change from replica %s is %.1f s ahead of the server clock; clamped",
        replica,
        (wall - now_ms) / 1000,
    )
    return make_stamp(limit, counter, replica)


@dataclass(eq=False)
class Connected:
    """One participant's connection and its bounded send queue."""

    ws: ServerConnection
    id: str
    role: str
    name: str
    color: str
    replica: str = ""
    head: list[str] = field(default_factory=list)
    snapshot: deque[str] = field(default_factory=deque)
    catchup: tuple[int, int] | None = None
    queue: deque[tuple[bool, str]] = field(default_factory=deque)
    queued_changes: int = 0
    presence: dict[str, str] = field(default_factory=dict)
    lagging: bool = False
    #: set while its own task sends welcome and catch-up; the room flush leaves it alone then
    writer: asyncio.Task[None] | None = None
    queued: Callable[[], None] = lambda: None

    def info(self) -> p.Participant:
        return p.Participant(
            id=self.id, name=self.name, color=self.color, role=self.role, replica=self.replica
        )

    def send(self, text: str, *, changes: int = 0) -> None:
        self.queue.append((changes > 0, text))
        self.queued_changes += changes
        self.queued()

    def set_presence(self, participant: str, text: str) -> None:
        self.presence[participant] = text
        self.queued()

    def idle(self) -> bool:
        return not (self.head or self.snapshot or self.catchup or self.queue or self.presence)

    def take_queue(self) -> str | None:
        """The queued messages as one frame (or None), emptying the queue."""
        items = [text for _, text in self.queue]
        items.extend(self.presence.values())
        self.queue.clear()
        self.presence.clear()
        self.queued_changes = 0
        if not items:
            return None
        return items[0] if len(items) == 1 else p.frame_of(items)


@dataclass(eq=False)
class Room:
    """A room in memory: its merged Document, log position, participants and pending pushes."""

    id: str
    name: str
    doc: Document
    seq: int
    participants: dict[str, Connected] = field(default_factory=dict)
    pending: list[tuple[Connected, str, list[Change]]] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    writer: asyncio.Task[None] | None = None
    saved_seq: int = 0
    flush_handle: asyncio.TimerHandle | None = None
    unload_handle: asyncio.TimerHandle | None = None
    last_flush: float = 0.0
    #: logged and sent, not yet merged into ``doc`` (see SyncServer._apply_state)
    unapplied: list[Change] = field(default_factory=list)
    unapplied_ids: set[str] = field(default_factory=set)
    apply_handle: asyncio.TimerHandle | None = None
    #: (seq, messages) of the last snapshot: a room whose participants arrive together
    #: (the start of a workshop) builds it once
    snapshot_cache: tuple[int, list[str]] | None = None

    def merge_pending(self) -> None:
        """Merge what the room logged and sent since the last call into ``doc``."""
        if self.apply_handle is not None:
            self.apply_handle.cancel()
            self.apply_handle = None
        pending, self.unapplied = self.unapplied, []
        self.unapplied_ids.clear()
        if pending:
            try:
                self.doc.apply_many(pending, origin="remote")
            except Exception:  # the log is the truth; the state catches up when it reopens
                log.exception("room %s: the merged state refused logged changes", self.id)

    @property
    def state(self) -> Document:
        """The merged room state, up to date with the log (what a newcomer loads)."""
        self.merge_pending()
        return self.doc


class SyncServer:
    """The sync service; ``async with SyncServer(data_dir) as server`` serves until closed."""

    def __init__(
        self,
        data_dir: str | Path,
        *,
        db_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 8765,
        ssl_context: ssl.SSLContext | None = None,
        ping_interval: float | None = p.PING_INTERVAL_S,
        ping_timeout: float | None = p.PING_TIMEOUT_S,
        flush_per_second: float = p.FLUSH_PER_SECOND,
        max_changes_per_second: int = p.MAX_CHANGES_PER_SECOND,
        change_burst: int = p.CHANGE_BURST,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "rooms").mkdir(exist_ok=True)
        self.roomlog = RoomLog(db_url or default_db_url(self.data_dir))
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.flush_interval = 1.0 / flush_per_second
        self.max_changes_per_second = max_changes_per_second
        self.change_burst = change_burst
        self.rooms: dict[str, Room] = {}
        self._access: weakref.WeakKeyDictionary[ServerConnection, Access] = (
            weakref.WeakKeyDictionary()
        )
        self._server: Server | None = None
        self._closing = False
        self._counter = 0
        self._background: set[asyncio.Future[None]] = set()
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            ssl=self.ssl_context,
            process_request=self._check_request,
            max_size=p.MAX_MESSAGE_BYTES,
            # changes are small and the room is on a LAN: deflate costs more CPU than it saves
            compression=None,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            close_timeout=2,
            # one line per connection is noise in a workshop; tokens are redacted anyway
            logger=redacting_logger("app.sync.server.websockets", level=logging.WARNING),
        )
        sock = next(iter(self._server.sockets))
        self.port = sock.getsockname()[1]

    @property
    def url(self) -> str:
        scheme = "wss" if self.ssl_context else "ws"
        return f"{scheme}://{self.host}:{self.port}"

    async def __aenter__(self) -> SyncServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Finish pending writes, flush what is queued, close everyone with 1001."""
        if self._closing:
            return
        self._closing = True
        if self._server is not None:
            self._server.close(close_connections=False)
        for room in self.rooms.values():
            self._commit(room)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and any(
            not c.idle() for room in self.rooms.values() for c in room.participants.values()
        ):
            await asyncio.sleep(0.02)
        closing = [
            c.ws.close(p.CLOSE_GOING_AWAY, "server shutting down; your edits stay on your computer")
            for room in self.rooms.values()
            for c in room.participants.values()
        ]
        await asyncio.gather(*closing, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self._closed = True
        for room in self.rooms.values():
            if room.writer is not None:
                room.writer.cancel()
            for handle in (room.flush_handle, room.unload_handle):
                if handle is not None:
                    handle.cancel()
            self._apply_state(room)
            self._save_seq(room)
            room.doc.close()
        self.rooms.clear()
        self.roomlog.close()

    async def serve_forever(self, *, announce: bool = True) -> None:
        """Serve until SIGTERM or SIGINT, then shut down cleanly."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        if announce:
            print(f"serving on {self.url} (data in {self.data_dir})", flush=True)
        try:
            await stop.wait()
        finally:
            await self.close()

    # -- rooms -----------------------------------------------------------------------

    def create_room(self, name: str, seed: Sequence[Change] = ()) -> tuple[NewRoom, int]:
        """A new room whose log and merged state start with ``seed``; (room, seq after it).

        The facilitator hosts an existing design this way: its change log seeds the room,
        so a newcomer (since_seq 0) gets the design and the host's file, which holds these
        changes already, needs no catch-up. Stamps are clamped as a push's are. Callable
        from any thread (it touches only the room log and the new room's own file).
        """
        room = self.roomlog.create_room(name)
        now = wall_ms()
        batch = []
        for change in seed:
            stamp = clamp_stamp(change.stamp, now)
            batch.append(change if stamp == change.stamp else change.with_stamp(stamp))
        fresh, _texts = self.roomlog.append(room.id, 1, batch) if batch else ([], [])
        seq = len(fresh)
        if fresh:
            # the merged state too, now: the first hello then finds the room ready
            doc = Document.new(self._room_path(room.id), name=name, author="server")
            try:
                for start in range(0, len(fresh), 2_000):
                    doc.apply_many(fresh[start : start + 2_000], origin="remote")
                doc.store.set_meta({"room_log_seq": str(seq)})
            finally:
                doc.close()
        return room, seq

    def _room_path(self, room_id: str) -> Path:
        return self.data_dir / "rooms" / f"{room_id}.cld"

    # -- handshake -------------------------------------------------------------------

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Check the room token before any websocket exists: 401, 403 or 404 otherwise."""
        parts = urlsplit(request.path)
        match = ROOM_PATH.fullmatch(parts.path)
        if match is None:
            return _respond(
                connection,
                404,
                "No room at this address; use the join URL given by 'cld room create'.",
            )
        token = ""
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        if not token:
            token = (parse_qs(parts.query).get("token") or [""])[0]
        if not token:
            return _respond(
                connection, 401, "A room token is needed: ask the facilitator for a join link."
            )
        status, access = self.roomlog.check_token(match.group(1), token)
        if status == 403:
            return _respond(
                connection, 403, "This token belongs to another room: check the join link."
            )
        if access is None:
            return _respond(
                connection, 401, "Unknown room token: ask the facilitator for a new join link."
            )
        self._access[connection] = access
        return None

    # -- connections -----------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        access = self._access.pop(ws, None)
        if access is None:  # cannot happen: the handshake checked it
            await ws.close(p.CLOSE_INVALID_MESSAGE, "no access")
            return
        session = p.ServerSession(
            access.role,
            changes=p.RateLimiter(rate=self.max_changes_per_second, burst=self.change_burst),
        )
        me: Connected | None = None
        room: Room | None = None
        try:
            try:
                first = await asyncio.wait_for(ws.recv(), p.HELLO_TIMEOUT_S)
            except TimeoutError:
                raise p.Violation(p.CLOSE_HELLO_EXPECTED, "no hello in time") from None
            hello = session.receive(first)
            assert isinstance(hello, p.Hello)
            room = self._room(access.room_id)
            if len(room.participants) >= p.MAX_PARTICIPANTS_PER_ROOM:
                raise p.Violation(
                    p.CLOSE_ROOM_FULL,
                    f"the room is full ({p.MAX_PARTICIPANTS_PER_ROOM} participants)",
                )
            me = self._join(room, ws, access.role, hello)
            async for data in ws:
                if self._closing:
                    continue
                self._on_message(room, me, session, session.receive(data))
        except p.Violation as exc:
            log.info("closing a connection: %s (%d)", exc.reason, exc.code)
            await ws.close(exc.code, exc.reason)
        except ConnectionClosed:
            pass
        finally:
            if room is not None and me is not None:
                self._leave(room, me)

    def _on_message(
        self, room: Room, me: Connected, session: p.ServerSession, message: Any
    ) -> None:
        if isinstance(message, p.Refusal):
            me.send(p.dumps(message.error))
        elif isinstance(message, p.Push):
            accepted = session.accept_push(message)
            if isinstance(accepted, p.Refusal):
                me.send(p.dumps(accepted.error))
                return
            room.pending.append((me, message.batch_id, accepted))
            room.wake.set()
        elif isinstance(message, p.Presence):
            text = p.dumps(
                p.PresenceOf(
                    participant=me.id,
                    cursor=message.cursor,
                    selection=message.selection,
                    viewport=message.viewport,
                )
            )
            for other in room.participants.values():
                if other is not me:
                    other.set_presence(me.id, text)
        elif isinstance(message, p.Fetch):
            me.lagging = False
            if message.since_seq < room.seq:
                me.catchup = (message.since_seq, room.seq)
                self._start_writer(room, me)

    def _join(self, room: Room, ws: ServerConnection, role: str, hello: p.Hello) -> Connected:
        self._counter += 1
        me = Connected(ws, f"p{self._counter}", role, hello.name, hello.color, hello.replica)
        me.queued = lambda: self._schedule_flush(room)
        welcome = p.Welcome(
            room=room.id,
            room_name=room.name,
            role=role,
            you=me.id,
            seq=room.seq,
            participants=[c.info() for c in room.participants.values()],
            changes_per_second=self.max_changes_per_second,
            change_burst=self.change_burst,
        )
        me.head.append(p.dumps(welcome))
        since = hello.since_seq
        if room.seq and (since == 0 or since > room.seq):
            me.snapshot.extend(self._snapshot(room))
        elif since < room.seq:
            me.catchup = (since, room.seq)
        joined = p.dumps(p.Joined(participant=me.info()))
        for other in room.participants.values():
            other.send(joined)
        room.participants[me.id] = me
        if room.unload_handle is not None:
            room.unload_handle.cancel()
            room.unload_handle = None
        self._start_writer(room, me)
        return me

    def _leave(self, room: Room, me: Connected) -> None:
        room.participants.pop(me.id, None)
        me.queued = lambda: None
        if me.writer is not None:
            me.writer.cancel()
        left = p.dumps(p.Left(participant=me.id))
        for other in room.participants.values():
            other.presence.pop(me.id, None)
            other.send(left)
        if not room.participants and not self._closing:
            loop = asyncio.get_running_loop()
            room.unload_handle = loop.call_later(ROOM_IDLE_S, self._unload, room)

    def _unload(self, room: Room) -> None:
        """Close a room nobody used for ROOM_IDLE_S; it reopens from its files on the next hello."""
        room.unload_handle = None
        if room.participants or self.rooms.get(room.id) is not room:
            return
        self._commit(room)
        if room.writer is not None:
            room.writer.cancel()
        self._apply_state(room)
        self._save_seq(room)
        room.doc.close()
        del self.rooms[room.id]

    def _start_writer(self, room: Room, me: Connected) -> None:
        if me.writer is None:
            me.writer = asyncio.create_task(self._write(room, me))

    async def _write(self, room: Room, me: Connected) -> None:
        """Send one participant its welcome and catch-up, then what was queued meanwhile."""
        ws = me.ws
        try:
            while True:
                if me.head:
                    head, me.head = p.frame_of(me.head), []
                    await ws.send(head)
                elif me.snapshot:
                    await ws.send(me.snapshot.popleft())
                elif me.catchup is not None:
                    after, upto = me.catchup
                    rows = self.roomlog.entries(room.id, after, upto, p.CATCHUP_CHUNK)
                    if not rows:
                        me.catchup = None
                        continue
                    me.catchup = (rows[-1][0], upto) if rows[-1][0] < upto else None
                    await ws.send(p.changes_message(rows[0][0], rows[-1][0], [t for _, t in rows]))
                else:
                    frame = me.take_queue()
                    if frame is None:
                        break
                    await ws.send(frame)
        except ConnectionClosed:
            pass
        finally:
            me.writer = None

    def _schedule_flush(self, room: Room) -> None:
        """Flush the room's send queues now, or one flush interval after the last flush."""
        if room.flush_handle is None and not self._closed:
            loop = asyncio.get_running_loop()
            at = max(loop.time(), room.last_flush + self.flush_interval)
            room.flush_handle = loop.call_at(at, self._flush, room)

    def _flush_if_due(self, room: Room) -> None:
        """Flush now what waits for a flush that is already due (not one held back by the
        flush rate), instead of after the rest of this callback's work."""
        handle = room.flush_handle
        if handle is not None and handle.when() <= asyncio.get_running_loop().time():
            handle.cancel()
            self._flush(room)

    def _flush(self, room: Room) -> None:
        """Write every participant's queue as one frame, without waiting on any of them.

        Participants in the same state get the same frame, encoded once. One that does not
        read keeps its queue (bounded by MAX_QUEUED_CHANGES, then told to resync).
        """
        room.flush_handle = None
        room.last_flush = asyncio.get_running_loop().time()
        frames: dict[str, list[ServerConnection]] = {}
        slow = False
        for c in room.participants.values():
            if c.writer is not None or not (c.queue or c.presence):
                continue
            transport = c.ws.transport
            if transport is not None and transport.get_write_buffer_size() > WRITE_HIGH_WATER:
                slow = True
                continue
            frame = c.take_queue()
            if frame is not None:
                frames.setdefault(frame, []).append(c.ws)
        for frame, conns in frames.items():
            broadcast(conns, frame)
        if slow:
            self._schedule_flush(room)

    # -- rooms and the log -----------------------------------------------------------

    def _room(self, room_id: str) -> Room:
        room = self.rooms.get(room_id)
        if room is not None:
            return room
        name = self.roomlog.room_name(room_id) or room_id
        path = self._room_path(room_id)
        doc = (
            Document.open(path, author="server")
            if path.exists()
            else Document.new(path, name=name, author="server")
        )
        seq = self.roomlog.last_seq(room_id)
        applied = int(doc.store.meta("room_log_seq") or 0)
        if applied < seq:
            # the log is written first: a crash can leave the state behind it, never ahead
            batch: list[Change] = []
            for _, change in self.roomlog.changes(room_id, applied):
                batch.append(change)
                if len(batch) >= 2_000:
                    doc.apply_many(batch, origin="remote")
                    batch = []
            if batch:
                doc.apply_many(batch, origin="remote")
            doc.store.set_meta({"room_log_seq": str(seq)})
        room = Room(room_id, name, doc, seq, saved_seq=seq)
        room.writer = asyncio.create_task(self._room_writer(room))
        self.rooms[room_id] = room
        return room

    async def _room_writer(self, room: Room) -> None:
        while True:
            await room.wake.wait()
            room.wake.clear()
            await asyncio.sleep(0)  # pushes already received join this transaction
            try:
                self._commit(room)
            except Exception:  # a bug must not stop the room: unacked pushes are resent
                log.exception("room %s: committing pushes failed", room.id)

    def _commit(self, room: Room) -> None:
        """Write every pending push in one transaction, then ack and broadcast."""
        pending, room.pending = room.pending, []
        if not pending:
            return
        now = wall_ms()
        batch: list[Change] = []
        for _, _, changes in pending:
            for change in changes:
                stamp = clamp_stamp(change.stamp, now)
                batch.append(change if stamp == change.stamp else change.with_stamp(stamp))
        # the room state holds every logged change (opening a room replays the log into it),
        # so its index answers which ids are known without a query on the log
        known = room.doc.store.known_change_ids(c.id for c in batch)
        known.update(c.id for c in batch if c.id in room.unapplied_ids)
        try:
            try:
                fresh, texts = self.roomlog.append(room.id, room.seq + 1, batch, known=known)
            except IntegrityError:  # the state fell behind the log (a failed apply): ask the log
                fresh, texts = self.roomlog.append(room.id, room.seq + 1, batch)
        except Exception:
            log.exception("room %s: the room log refused a write; the pushers will resend", room.id)
            # closing makes their clients reconnect and push their outbox again
            for who in {who for who, _, _ in pending}:
                task = asyncio.ensure_future(
                    who.ws.close(
                        p.CLOSE_SERVER_ERROR,
                        "the server could not store your edits; they stay in your outbox",
                    )
                )
                self._background.add(task)
                task.add_done_callback(self._background.discard)
            return
        first = room.seq + 1
        room.seq += len(fresh)
        if fresh:
            message = p.changes_message(first, room.seq, texts)
            for c in room.participants.values():
                if c.lagging:
                    continue
                if c.queued_changes + len(fresh) > p.MAX_QUEUED_CHANGES:
                    self._overflow(room, c)
                else:
                    c.send(message, changes=len(fresh))
        for who, batch_id, changes in pending:
            who.send(p.dumps(p.Ack(batch_id=batch_id, seq=room.seq, ids=[c.id for c in changes])))
        # durable since the log append: out to the room now; merged into the state (what a
        # newcomer's snapshot is made of) a little later, many pushes in one transaction
        self._flush_if_due(room)
        if fresh:
            room.unapplied.extend(fresh)
            room.unapplied_ids.update(c.id for c in fresh)
            if room.apply_handle is None:
                loop = asyncio.get_running_loop()
                room.apply_handle = loop.call_later(STATE_APPLY_S, self._apply_state, room)

    def _apply_state(self, room: Room) -> None:
        """Merge what the room logged since the last call into its state Document.

        Runs STATE_APPLY_S after a push, and before anything reads the state (a newcomer's
        snapshot, closing the room), so the state is never seen behind the log.
        """
        room.merge_pending()
        if room.seq - room.saved_seq >= SAVE_SEQ_EVERY:
            self._save_seq(room)

    @staticmethod
    def _save_seq(room: Room) -> None:
        # how far the state has applied the log (call after _apply_state); a stale value only
        # makes a restart replay a few known changes again, which the Document skips
        assert not room.unapplied
        room.doc.store.set_meta({"room_log_seq": str(room.seq)})
        room.saved_seq = room.seq

    @staticmethod
    def _overflow(room: Room, c: Connected) -> None:
        """Drop a slow participant's queued changes; it fetches them from the log instead."""
        c.queue = deque(item for item in c.queue if not item[0])
        c.queued_changes = 0
        c.lagging = True
        c.send(p.dumps(p.Resync(seq=room.seq)))

    def _snapshot(self, room: Room) -> list[str]:
        """The merged state as changes: every winning and every displaced write, by change id.

        Applying it gives the same values, registers and conflicts as replaying the log.
        """
        self._apply_state(room)
        cached = room.snapshot_cache
        if cached is not None and cached[0] == room.seq:
            return cached[1]
        messages = [
            p.changes_message(0, room.seq if last else 0, chunk, snapshot=True)
            for chunk, last in chunks(snapshot_changes(room.doc))
        ]
        room.snapshot_cache = (room.seq, messages)
        return messages


def _respond(connection: ServerConnection, status: int, text: str) -> Response:
    response = connection.respond(status, text + "\n")
    return response


def default_db_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'rooms.db').resolve()}"


__all__ = [
    "SyncServer",
    "clamp_stamp",
    "default_db_url",
    "snapshot_changes",
]
