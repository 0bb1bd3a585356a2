"""The protocol rules without a socket: frames in, messages or violations out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sync_helpers import board_state, conflict_set, retitle, small_board

from app.model.changes import Change
from app.model.clock import MAX_DRIFT_MS, make_stamp, parse_stamp
from app.model.document import Document
from app.sync import protocol as p
from app.sync.client import split_url
from app.sync.server import clamp_stamp, snapshot_changes


def hello() -> str:
    return p.dumps(p.Hello(protocol=p.PROTOCOL_VERSION, replica="r1", name="Ann", color="#112233"))


def change(value: object = "A title", field: str = "title") -> dict[str, object]:
    return {
        "id": "r1:1",
        "stamp": make_stamp(1_000, 0, "r1"),
        "author": "ann",
        "writes": [["card", "c-1", field, value, []]],
    }


def session(role: str = "editor") -> p.ServerSession:
    s = p.ServerSession(role)
    assert isinstance(s.receive(hello()), p.Hello)
    return s


def test_hello_must_come_first() -> None:
    """Anything before hello closes the connection with CLOSE_HELLO_EXPECTED."""
    with pytest.raises(p.Violation) as info:
        p.ServerSession("editor").receive(p.dumps(p.Fetch(since_seq=0)))
    assert info.value.code == p.CLOSE_HELLO_EXPECTED


def test_other_protocol_version_is_refused_with_advice() -> None:
    """A client speaking another protocol version is told to update."""
    with pytest.raises(p.Violation) as info:
        p.ServerSession("editor").receive(
            json.dumps({"type": "hello", "protocol": 99, "replica": "r"})
        )
    assert info.value.code == p.CLOSE_PROTOCOL_VERSION and "update" in info.value.reason


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{nope", p.CLOSE_NOT_JSON),
        (b"\x00bin", p.CLOSE_UNSUPPORTED_DATA),
        ("[1, 2]", p.CLOSE_INVALID_MESSAGE),
        (json.dumps({"type": "dance"}), p.CLOSE_UNKNOWN_TYPE),
        (json.dumps({"no": "type"}), p.CLOSE_UNKNOWN_TYPE),
        (json.dumps({"type": "fetch", "since_seq": "3"}), p.CLOSE_INVALID_MESSAGE),
        (json.dumps({"type": "fetch", "since_seq": -1}), p.CLOSE_INVALID_MESSAGE),
        (json.dumps({"type": "presence", "cursor": [1, 2], "extra": 1}), p.CLOSE_INVALID_MESSAGE),
        ('{"type": "presence", "cursor": [NaN, 2]}', p.CLOSE_INVALID_MESSAGE),
        ('{"type": "presence", "cursor": [1, -Infinity]}', p.CLOSE_INVALID_MESSAGE),
        ("[" * 100_000 + "]" * 100_000, p.CLOSE_INVALID_MESSAGE),
        (
            json.dumps({"type": "presence", "selection": ["x" * (p.MAX_STRING_LENGTH + 1)]}),
            p.CLOSE_INVALID_MESSAGE,
        ),
        (
            json.dumps(
                {"type": "push", "batch_id": "b", "changes": [{}] * (p.MAX_CHANGES_PER_PUSH + 1)}
            ),
            p.CLOSE_TOO_MANY_CHANGES,
        ),
    ],
)
def test_malformed_frames_are_violations(frame: str | bytes, code: int) -> None:
    """Each kind of malformed frame maps to its own close code."""
    with pytest.raises(p.Violation) as info:
        session().receive(frame)
    assert info.value.code == code
    assert len(info.value.reason.encode()) <= 123


def test_push_changes_are_checked_against_the_schema() -> None:
    """A valid push passes; a value the schema refuses names the entity and field."""
    s = session()
    push = s.receive(json.dumps({"type": "push", "batch_id": "b", "changes": [change()]}))
    assert isinstance(push, p.Push)
    [ok] = p.validate_changes(push.changes)
    assert ok.id == "r1:1" and ok.writes[0].value == "A title"
    with pytest.raises(p.Violation) as info:
        p.validate_changes([change(7, "sentiment")])
    assert info.value.code == p.CLOSE_INVALID_CHANGE and "sentiment" in info.value.reason
    with pytest.raises(p.Violation) as info:
        p.validate_changes([{**change(), "stamp": "not a stamp at all!"}])
    assert info.value.code == p.CLOSE_INVALID_MESSAGE


def test_viewer_push_is_a_refusal_not_a_close() -> None:
    """A viewer's push yields an error reply and the session goes on."""
    s = session("viewer")
    result = s.receive(json.dumps({"type": "push", "batch_id": "b", "changes": [change()]}))
    assert isinstance(result, p.Refusal) and result.error.code == "read_only"
    assert isinstance(s.receive(p.dumps(p.Fetch(since_seq=0))), p.Fetch)


def test_rate_limit_allows_bursts_and_refuses_floods() -> None:
    """MESSAGE_BURST messages at once pass; the next is a flood until time passes."""
    now = [0.0]
    limiter = p.RateLimiter(rate=10, burst=5, clock=lambda: now[0])
    assert all(limiter.allow() for _ in range(5))
    assert not limiter.allow()
    now[0] += 0.5
    assert sum(limiter.allow() for _ in range(10)) == 5


def test_server_frames_round_trip() -> None:
    """A flush frame with several messages parses back into the messages."""
    frame = p.frame_of(
        [
            p.dumps(p.Ack(batch_id="b", seq=3, ids=["r1:1"])),
            p.changes_message(2, 3, [json.dumps(change())]),
            p.dumps(p.Resync(seq=3)),
        ]
    )
    ack, changes, resync = p.parse_server_frame(frame)
    assert isinstance(ack, p.Ack) and ack.ids == ["r1:1"]
    assert isinstance(changes, p.Changes) and changes.items[0]["id"] == "r1:1"
    assert isinstance(resync, p.Resync)


def test_clamp_keeps_stamps_within_drift_of_the_server_clock() -> None:
    """A stamp a day ahead is pulled back to MAX_DRIFT_MS ahead; a near one is kept."""
    now = 1_700_000_000_000
    near = make_stamp(now + 1_000, 3, "r")
    assert clamp_stamp(near, now) == near
    far = clamp_stamp(make_stamp(now + 86_400_000, 3, "r"), now)
    assert parse_stamp(far) == (now + MAX_DRIFT_MS, 3, "r")


def test_join_url_gives_room_and_token() -> None:
    """The token in a join URL is taken out of the address and sent in a header."""
    url, room, token = split_url("ws://h:1/rooms/AbC_9?token=s3cret", None)
    assert (url, room, token) == ("ws://h:1/rooms/AbC_9", "AbC_9", "s3cret")
    with pytest.raises(ValueError):
        split_url("http://h/rooms/x", "t")


def test_snapshot_rebuilds_state_and_conflicts(tmp_path: Path) -> None:
    """Applying a snapshot to an empty file gives the same values and kept conflicts."""
    a = small_board(tmp_path / "a.cld")
    b = Document.new(tmp_path / "b.cld")
    b.apply_many([c for _, c in a.store.changes()], origin="remote")
    retitle(a, "c-base0", "from a")
    retitle(b, "c-base0", "from b")
    a.apply_many([c for _, c in b.store.changes(origin="local")], origin="remote")
    assert a.conflicts()
    fresh = Document.new(tmp_path / "fresh.cld")
    fresh.apply_many([Change.model_validate_json(t) for t in snapshot_changes(a)], origin="remote")
    assert board_state(fresh) == board_state(a)
    assert conflict_set(fresh) == conflict_set(a)
    for doc in (a, b, fresh):
        doc.close()


def test_a_bad_presence_from_the_server_is_skipped_not_fatal() -> None:
    """A cursor this client cannot read costs that cursor only, not the changes beside it."""
    frame = (
        '[{"type": "presence", "participant": "p2", "cursor": [null, null]},'
        '{"type": "changes", "from_seq": 1, "to_seq": 1, "items": []}]'
    )
    (message,) = p.parse_server_frame(frame)
    assert isinstance(message, p.Changes) and message.to_seq == 1
    with pytest.raises(ValueError, match="malformed server message"):
        p.parse_server_frame('{"type": "changes", "from_seq": "x"}')


def test_fields_a_newer_server_adds_are_ignored_by_this_client() -> None:
    """A welcome with fields this version does not know still parses (no refusal to join)."""
    welcome = json.loads(
        p.dumps(
            p.Welcome(
                room="r",
                room_name="Room",
                role="editor",
                you="p1",
                seq=3,
                participants=[p.Participant(id="p0", name="A", color="", role="viewer")],
            )
        )
    )
    welcome["badge"] = "new"
    welcome["participants"][0]["mood"] = "happy"
    parsed = p.parse_server_frame(json.dumps(welcome))[0]
    assert isinstance(parsed, p.Welcome) and parsed.seq == 3
    assert parsed.participants[0].name == "A" and parsed.change_burst == p.CHANGE_BURST


def test_room_tokens_never_start_with_a_dash(tmp_path: Path) -> None:
    """`cld sync FILE URL --token T` reads T as an option when it starts with "-": tokens
    and room ids never do (one room in about twenty used to get such a token)."""
    from app.sync.roomlog import RoomLog
    from app.sync.server import default_db_url

    roomlog = RoomLog(default_db_url(tmp_path))
    try:
        rooms = [roomlog.create_room(f"Room {k}") for k in range(150)]
    finally:
        roomlog.close()
    texts = [r.id for r in rooms] + [t for r in rooms for t in r.tokens.values()]
    assert len(set(texts)) == len(texts) == 600
    assert not [t for t in texts if t.startswith("-")]
    assert min(len(t) for t in texts if t not in {r.id for r in rooms}) >= 43  # 256 bits
