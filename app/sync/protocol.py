"""The workshop sync protocol: messages, limits, close codes and a sans-I/O session.

Everything here is plain data and functions: feed a ``ServerSession`` the frames a client
sent and it returns the message to act on, or raises ``Violation`` carrying the close code
and reason. The server adds the sockets; tests drive the rules without one.

Client -> server: hello, push, presence, fetch. Server -> client: welcome, ack, changes,
presence, joined, left, resync, error. A server frame is one message object or a JSON array
of them (a flush of the participant's send queue).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from app.model.changes import Change
from app.model.clock import parse_stamp
from app.model.schema import InvalidValue, validate_field

PROTOCOL_VERSION = 1

# -- limits (a breach closes only the connection that broke it) ------------------------

#: largest frame a client may send, in bytes (checked by websockets before parsing)
MAX_MESSAGE_BYTES = 2 * 1024 * 1024
#: largest frame a server may send to a client (catch-up chunks stay well below)
MAX_SERVER_MESSAGE_BYTES = 16 * 1024 * 1024
#: changes in one push
MAX_CHANGES_PER_PUSH = 1_000
#: field writes summed over one push
MAX_WRITES_PER_PUSH = 20_000
#: names, colours, ids and other protocol strings (field values obey the schema)
MAX_STRING_LENGTH = 200
#: sustained messages per second from one connection, and the burst allowed above it
MAX_MESSAGES_PER_SECOND = 60
MESSAGE_BURST = 200
#: sustained changes per second pushed by one connection, and the burst allowed above it.
#: Without it an editor could push 60 messages x 1,000 changes every second. The bucket is
#: sized for a reconnect: a client back from days offline pushes its whole outbox at once
#: (a 10,000-change outbox goes through unpaced), while a live room of people makes a few
#: changes a second each. The welcome tells the client this server's rate and burst; past
#: the burst the client paces itself below them, with a margin for network jitter
#: (client.CHANGE_RATE_SHARE), so any outbox drains without a close: only a client that
#: ignores the pace is disconnected. `SyncServer(max_changes_per_second=, change_burst=)`
#: changes them for one server.
MAX_CHANGES_PER_SECOND = 1_000
CHANGE_BURST = 12_000
#: connections in one room
MAX_PARTICIPANTS_PER_ROOM = 100
#: entries of a presence selection
MAX_SELECTION = 500
#: changes waiting in one participant's send queue before it is told to resync
MAX_QUEUED_CHANGES = 5_000
#: a room's send queues are flushed at most this often (batches per second). A quiet room
#: sends each change at once; under load the changes that arrive within one interval go out
#: as one frame, encoded once for every participant in the same state. Measured with
#: benchmarks/bench_sync.py (50 clients x 10 changes/s on two cores): at 2,000 (0.5 ms)
#: propagation p95 is about 5 ms against 8 ms at 250 and 16 ms at 60, for about 15 % more
#: server CPU than at 250. `cld serve --flush-rate 60` sends up to 30 times fewer frames
#: under load, for a room of slow laptops or a thin network.
FLUSH_PER_SECOND = 2_000
#: changes per catch-up message
CATCHUP_CHUNK = 1_000
#: seconds a new connection has to say hello
HELLO_TIMEOUT_S = 10.0
#: keepalive pings (seconds between pings, seconds to wait for the pong)
PING_INTERVAL_S = 20.0
PING_TIMEOUT_S = 20.0

# -- close codes --------------------------------------------------------------------

CLOSE_GOING_AWAY = 1001  # the server shuts down
CLOSE_UNSUPPORTED_DATA = 1003  # a binary frame
CLOSE_TOO_BIG = 1009  # a frame over MAX_MESSAGE_BYTES (sent by websockets itself)
CLOSE_SERVER_ERROR = 1011  # the room log refused a write: reconnect and push again
CLOSE_NOT_JSON = 4000
CLOSE_UNKNOWN_TYPE = 4001
CLOSE_INVALID_MESSAGE = 4002
CLOSE_INVALID_CHANGE = 4003
CLOSE_TOO_MANY_CHANGES = 4004
CLOSE_RATE_LIMITED = 4005
CLOSE_PROTOCOL_VERSION = 4006
CLOSE_HELLO_EXPECTED = 4007
CLOSE_ROOM_FULL = 4008

#: entity types only a facilitator may write: the shared voting round, timer and presenter
FACILITATOR_ONLY_TYPES = frozenset({"facilitation"})

#: close codes after which reconnecting cannot help
FATAL_CLOSE_CODES = frozenset({CLOSE_PROTOCOL_VERSION})

ROLES = ("facilitator", "editor", "viewer")
Role = Literal["facilitator", "editor", "viewer"]

Short = Annotated[str, Field(max_length=MAX_STRING_LENGTH)]
Color = Annotated[str, Field(pattern=r"^(#[0-9a-fA-F]{6})?$")]
Seq = Annotated[int, Field(ge=0, le=2**62)]


class Violation(Exception):
    """A client broke the protocol or a limit: close its connection with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = close_reason(reason)


def close_reason(text: str) -> str:
    """Fit a close reason into the 123 bytes a close frame allows."""
    data = text.encode("utf-8")
    if len(data) <= 123:
        return text
    return data[:120].decode("utf-8", "ignore") + "..."


# -- messages -----------------------------------------------------------------------


class Message(BaseModel):
    """Base of every message: strict fields, nothing unknown."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


#: a board coordinate: finite (NaN or Infinity would be relayed as null and break every
#: other participant's reader)
Coordinate = Annotated[float, Field(allow_inf_nan=False)]
Cursor = Annotated[list[Coordinate], Field(min_length=2, max_length=2)]


class Viewport(Message):
    x: Coordinate
    y: Coordinate
    width: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    height: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Hello(Message):
    """First message of a client: who it is and the last room seq it has seen."""

    type: Literal["hello"] = "hello"
    protocol: int
    replica: Short
    name: Short = ""
    color: Color = ""
    since_seq: Seq = 0


class Push(Message):
    """Local changes for the room; answered by ``ack`` once they are durable."""

    type: Literal["push"] = "push"
    batch_id: Short
    changes: Annotated[list[dict[str, Any]], Field(max_length=MAX_CHANGES_PER_PUSH)]


class Presence(Message):
    """Where a participant is: relayed to the others, never stored."""

    type: Literal["presence"] = "presence"
    cursor: Cursor | None = None
    selection: Annotated[list[Short], Field(max_length=MAX_SELECTION)] = []
    viewport: Viewport | None = None


class Fetch(Message):
    """Ask for the room log after ``since_seq`` (after a resync or a gap)."""

    type: Literal["fetch"] = "fetch"
    since_seq: Seq


ClientMessage = Hello | Push | Presence | Fetch
CLIENT_MESSAGES: dict[str, type[Message]] = {
    "hello": Hello,
    "push": Push,
    "presence": Presence,
    "fetch": Fetch,
}


class ServerMessageBase(Message):
    """Base of the server's messages: a client ignores fields a newer server adds."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class Participant(ServerMessageBase):
    """One connected person as the others see them.

    ``replica`` is the replica id their hello gave (the one that stamps their changes), so
    state naming a replica (the facilitation presenter) can be mapped to a participant.
    """

    id: str
    name: str
    color: str
    role: str
    replica: str = ""


class Welcome(ServerMessageBase):
    type: Literal["welcome"] = "welcome"
    protocol: int = PROTOCOL_VERSION
    room: str
    room_name: str
    role: str
    you: str
    seq: int
    participants: list[Participant]
    #: this server's change bucket (a client paces its pushes below it)
    changes_per_second: int = MAX_CHANGES_PER_SECOND
    change_burst: int = CHANGE_BURST


class Ack(ServerMessageBase):
    """A push is durable in the room log; ``seq`` is the room's seq after it."""

    type: Literal["ack"] = "ack"
    batch_id: str
    seq: int
    ids: list[str]


class Changes(ServerMessageBase):
    """Room log entries ``from_seq..to_seq``; a snapshot carries the merged state at to_seq."""

    type: Literal["changes"] = "changes"
    from_seq: int
    to_seq: int
    snapshot: bool = False
    items: list[dict[str, Any]]


class PresenceOf(ServerMessageBase):
    type: Literal["presence"] = "presence"
    participant: str
    cursor: Cursor | None = None
    selection: list[str] = []
    viewport: Viewport | None = None


class Joined(ServerMessageBase):
    type: Literal["joined"] = "joined"
    participant: Participant


class Left(ServerMessageBase):
    type: Literal["left"] = "left"
    participant: str


class Resync(ServerMessageBase):
    """Your send queue overflowed: fetch from your last seen seq."""

    type: Literal["resync"] = "resync"
    seq: int


class Error(ServerMessageBase):
    """A refusal that leaves the connection open (a viewer's push, a facilitator-only write).

    A refused push names its ``batch_id``; ``ids`` are the changes that caused the refusal
    (nothing of that push was stored, the others may be pushed again).
    """

    type: Literal["error"] = "error"
    code: str
    message: str
    batch_id: str = ""
    ids: list[str] = []


ServerMessage = Welcome | Ack | Changes | PresenceOf | Joined | Left | Resync | Error
_SERVER_ADAPTER: TypeAdapter[Any] = TypeAdapter(
    Annotated[ServerMessage, Field(discriminator="type")]
)


def dumps(message: Message) -> str:
    """A message as compact JSON text."""
    return message.model_dump_json(exclude_none=False)


def parse_server_frame(data: str | bytes) -> list[Message]:
    """The messages of one server frame (an object or an array); ValueError if malformed."""
    raw = json.loads(data)
    items = raw if isinstance(raw, list) else [raw]
    messages: list[Message] = []
    for item in items:
        try:
            messages.append(_SERVER_ADAPTER.validate_python(item, strict=False))
        except ValidationError as exc:
            if isinstance(item, dict) and item.get("type") == "presence":
                continue  # someone's cursor is not worth the connection (or the changes)
            raise ValueError(
                f"malformed server message: {exc.errors(include_url=False)[0]['msg']}"
            ) from None
    return messages


def changes_message(
    from_seq: int, to_seq: int, items_json: Sequence[str], *, snapshot: bool = False
) -> str:
    """A ``changes`` message from already serialized changes (fan-out serializes once)."""
    return (
        f'{{"type":"changes","from_seq":{from_seq},"to_seq":{to_seq},'
        f'"snapshot":{"true" if snapshot else "false"},"items":[{",".join(items_json)}]}}'
    )


def change_json(change: Change) -> str:
    return json.dumps(change.model_dump(mode="json"), separators=(",", ":"), ensure_ascii=False)


def frame_of(messages: Iterable[str]) -> str:
    """One frame carrying several serialized messages."""
    return "[" + ",".join(messages) + "]"


# -- validation of pushed changes ------------------------------------------------------


def _where(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in first["loc"])
    return f"{loc}: {first['msg']}" if loc else str(first["msg"])


def validate_changes(items: Sequence[dict[str, Any]]) -> list[Change]:
    """Pushed change objects as Changes, every write checked against the schema.

    Raises Violation (CLOSE_INVALID_MESSAGE for a malformed change, CLOSE_INVALID_CHANGE for
    a value the schema refuses, CLOSE_TOO_MANY_CHANGES past the write limit).
    """
    changes: list[Change] = []
    writes = 0
    for index, item in enumerate(items):
        try:
            change = Change.model_validate(item)
            parse_stamp(change.stamp)
        except ValidationError as exc:
            raise Violation(CLOSE_INVALID_MESSAGE, f"push change {index}: {_where(exc)}") from None
        except ValueError as exc:
            raise Violation(CLOSE_INVALID_MESSAGE, f"push change {index}: {exc}") from None
        writes += len(change.writes)
        if writes > MAX_WRITES_PER_PUSH:
            raise Violation(
                CLOSE_TOO_MANY_CHANGES, f"a push may carry {MAX_WRITES_PER_PUSH} writes at most"
            )
        fixed = []
        for w in change.writes:
            try:
                value = validate_field(w.entity_type, w.entity_id, w.field, w.value)
            except InvalidValue as exc:
                raise Violation(
                    CLOSE_INVALID_CHANGE, f"change {change.id} refused: {exc}"
                ) from None
            fixed.append(w if value is w.value else w._replace(value=value))
        if any(a is not b for a, b in zip(fixed, change.writes, strict=True)):
            change = change.model_copy(update={"writes": tuple(fixed)})
        changes.append(change)
    return changes


# -- the server side of one connection, without I/O -----------------------------------


@dataclass
class RateLimiter:
    """A token bucket: ``rate`` units (messages, changes) a second on average, ``burst`` at once.

    It starts full at its first use.
    """

    rate: float = MAX_MESSAGES_PER_SECOND
    burst: float = MESSAGE_BURST
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(default=-1.0)
    last: float = 0.0

    def _refill(self) -> None:
        now = self.clock()
        if self.tokens < 0:
            self.tokens, self.last = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now

    def allow(self, cost: float = 1) -> bool:
        """Take ``cost`` tokens if there are enough; False (nothing taken) if not."""
        self._refill()
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True

    def wait_for(self, cost: float) -> float:
        """Seconds until ``cost`` tokens are there (0: they were, and are taken now)."""
        if self.allow(cost):
            return 0.0
        return (min(cost, self.burst) - self.tokens) / self.rate


@dataclass
class Refusal:
    """A message the session refuses without closing: send ``error`` back."""

    error: Error


@dataclass
class ServerSession:
    """The rules for one client connection: order, types, limits and role."""

    role: str
    limiter: RateLimiter = field(default_factory=RateLimiter)
    changes: RateLimiter = field(
        default_factory=lambda: RateLimiter(rate=MAX_CHANGES_PER_SECOND, burst=CHANGE_BURST)
    )
    hello: Hello | None = None

    def receive(self, data: str | bytes) -> Hello | Push | Presence | Fetch | Refusal:
        """Check one frame; return what to act on or a refusal; raise Violation to close."""
        if not self.limiter.allow():
            raise Violation(
                CLOSE_RATE_LIMITED,
                f"too many messages: at most {MAX_MESSAGES_PER_SECOND} a second",
            )
        if isinstance(data, bytes | bytearray | memoryview):
            raise Violation(
                CLOSE_UNSUPPORTED_DATA, "binary frames are not part of the protocol; send JSON text"
            )
        if len(data) > MAX_MESSAGE_BYTES:
            raise Violation(CLOSE_TOO_BIG, f"message over {MAX_MESSAGE_BYTES} bytes")
        try:
            raw = json.loads(data)
        except ValueError:
            raise Violation(CLOSE_NOT_JSON, "message is not JSON") from None
        except RecursionError:
            raise Violation(CLOSE_INVALID_MESSAGE, "message is nested too deeply") from None
        if not isinstance(raw, dict):
            raise Violation(CLOSE_INVALID_MESSAGE, "message must be a JSON object")
        kind = raw.get("type")
        model = CLIENT_MESSAGES.get(kind) if isinstance(kind, str) else None
        if model is None:
            shown = repr(kind)[:40]
            raise Violation(CLOSE_UNKNOWN_TYPE, f"unknown message type {shown}")
        if kind == "push":
            changes = raw.get("changes")
            if isinstance(changes, list) and len(changes) > MAX_CHANGES_PER_PUSH:
                raise Violation(
                    CLOSE_TOO_MANY_CHANGES,
                    f"a push may carry {MAX_CHANGES_PER_PUSH} changes at most",
                )
        try:
            message = model.model_validate(raw)
        except ValidationError as exc:
            raise Violation(CLOSE_INVALID_MESSAGE, f"invalid {kind}: {_where(exc)}") from None
        except RecursionError:
            raise Violation(CLOSE_INVALID_MESSAGE, f"invalid {kind}: nested too deeply") from None
        if self.hello is None:
            if not isinstance(message, Hello):
                raise Violation(CLOSE_HELLO_EXPECTED, "the first message must be hello")
            if message.protocol != PROTOCOL_VERSION:
                raise Violation(
                    CLOSE_PROTOCOL_VERSION,
                    f"protocol {message.protocol} not supported; this server speaks "
                    f"{PROTOCOL_VERSION}: update CLD Desktop",
                )
            self.hello = message
            return message
        if isinstance(message, Hello):
            raise Violation(CLOSE_INVALID_MESSAGE, "hello was already sent")
        if isinstance(message, Push) and not self.changes.allow(len(message.changes)):
            raise Violation(
                CLOSE_RATE_LIMITED,
                f"too many changes: at most {self.changes.rate:g} a second "
                f"after a burst of {self.changes.burst:g}",
            )
        if isinstance(message, Push) and self.role == "viewer":
            return Refusal(
                Error(
                    code="read_only",
                    message="viewers cannot edit this board; ask the facilitator for an editor link",
                    batch_id=message.batch_id,
                )
            )
        return message  # type: ignore[return-value]

    def accept_push(self, push: Push) -> list[Change] | Refusal:
        """The push's changes, validated, or a refusal of the whole push for this role.

        Only a facilitator writes FACILITATOR_ONLY_TYPES: the app offers nobody else a way
        to, so a push that does comes from a modified client. Nothing of it is stored (a
        push is applied whole or not at all) and the connection stays open.
        """
        changes = validate_changes(push.changes)
        if self.role == "facilitator":
            return changes
        refused = [
            c.id for c in changes if any(w.entity_type in FACILITATOR_ONLY_TYPES for w in c.writes)
        ]
        if not refused:
            return changes
        return Refusal(
            Error(
                code="facilitator_only",
                message=(
                    "only the facilitator can run votes, the timer or bring everyone to a "
                    "view; none of these edits were saved"
                ),
                batch_id=push.batch_id,
                ids=refused,
            )
        )
