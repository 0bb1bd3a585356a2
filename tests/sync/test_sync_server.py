"""The sync server with real clients on loopback: convergence, tokens, roles, hostile input."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path

import pytest
from sync_helpers import (
    LiveClient,
    add_cards,
    board_state,
    conflict_set,
    create_room,
    live_state,
    retitle,
    room_url,
    serving,
    small_board,
    until,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.model.document import Document
from app.model.edits import create
from app.sync import protocol as p
from app.sync.client import DocumentAdapter, SyncClient, SyncRefused, SyncTimeout


def test_three_clients_converge_and_late_joiner_gets_board(tmp_path: Path) -> None:
    """Three clients editing at once end with the server's board; a late joiner loads it all."""
    data = tmp_path / "server"
    room = create_room(data, "Kickoff")

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            token = room.tokens["editor"]
            a = LiveClient(small_board(tmp_path / "a.cld"), url, token, name="Ann").start()
            await until(lambda: a.online and a.drained(), what="first push")
            others = [
                LiveClient(Document.new(tmp_path / f"{n}.cld"), url, token, name=n).start()
                for n in ("bo", "cy")
            ]
            clients = [a, *others]
            await until(lambda: all(len(c.doc.cards()) == 4 for c in clients), what="board loaded")
            seen: list[dict[str, p.Participant]] = []
            a.client.on_participants = seen.append
            for round_ in range(5):
                for i, c in enumerate(clients):
                    add_cards(c.doc, 2, f"r{round_}-{i}")
                    retitle(c.doc, "c-base0", f"title by {i} in round {round_}")
                await asyncio.sleep(0.01)
            room_doc = live_state(server, room.id)
            await until(
                lambda: (
                    all(c.drained() for c in clients)
                    and all(board_state(c.doc) == board_state(room_doc) for c in clients)
                ),
                what="convergence",
            )
            assert len(room_doc.cards()) == 4 + 3 * 5 * 2
            for c in clients:
                assert conflict_set(c.doc) == conflict_set(room_doc)
            assert {x.name for x in a.client.participants.values()} == {"bo", "cy"}

            late = Document.new(tmp_path / "late.cld")
            client = SyncClient(url, token, DocumentAdapter(late))
            result = await client.sync_once(timeout=10)
            assert result.seq == server.rooms[room.id].seq
            assert board_state(late) == board_state(room_doc)
            assert conflict_set(late) == conflict_set(room_doc)
            assert len(late.cards()) == 34
            late.close()
            for c in clients:
                await c.stop()
                c.doc.close()

    asyncio.run(main())


@pytest.mark.parametrize(
    ("token", "path", "status"),
    [
        (None, "ROOM", 401),
        ("not-a-token", "ROOM", 401),
        ("OTHER", "ROOM", 403),
        ("EDITOR", "nowhere", 404),
    ],
)
def test_handshake_refuses_bad_tokens_before_upgrade(
    tmp_path: Path, token: str | None, path: str, status: int
) -> None:
    """Missing or unknown token: 401; another room's token: 403; no websocket either way."""
    data = tmp_path / "server"
    room = create_room(data, "Mine")
    other = create_room(data, "Theirs")

    async def main() -> None:
        async with serving(data) as server:
            real = {"EDITOR": room.tokens["editor"], "OTHER": other.tokens["facilitator"]}
            headers = {}
            if token is not None:
                headers["Authorization"] = f"Bearer {real.get(token, token)}"
            target = f"{server.url}/rooms/{room.id}" if path == "ROOM" else f"{server.url}/{path}"
            with pytest.raises(InvalidStatus) as info:
                async with connect(target, additional_headers=headers):
                    pass
            assert info.value.response.status_code == status
            assert not server.rooms  # nobody got as far as a room

            doc = Document.new(tmp_path / "x.cld")
            client = SyncClient(
                target if path == "ROOM" else f"{server.url}/rooms/nowhere",
                real.get(token or "", token),
                DocumentAdapter(doc),
            )
            if token is not None and path == "ROOM":
                with pytest.raises(SyncRefused, match=str(status)):
                    await client.sync_once(timeout=5)
                assert client.state.state == "refused"
            doc.close()

    asyncio.run(main())


def test_token_in_query_string_is_accepted(tmp_path: Path) -> None:
    """A join URL with ?token= works like the Authorization header."""
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data) as server:
            ws = await connect(f"{server.url}/rooms/{room.id}?token={room.tokens['viewer']}")
            await ws.send(p.dumps(p.Hello(protocol=p.PROTOCOL_VERSION, replica="r1")))
            welcome = p.parse_server_frame(await ws.recv())[0]
            assert isinstance(welcome, p.Welcome) and welcome.role == "viewer"
            await ws.close()

    asyncio.run(main())


async def _hello(ws: object, name: str = "raw") -> p.Welcome:
    await ws.send(p.dumps(p.Hello(protocol=p.PROTOCOL_VERSION, replica=f"raw{name}", name=name)))  # type: ignore[attr-defined]
    first = p.parse_server_frame(await ws.recv())[0]  # type: ignore[attr-defined]
    assert isinstance(first, p.Welcome)
    return first


def _card_change(cid: str, title: object, counter: int = 1) -> dict[str, object]:
    return {
        "id": f"hostile:{counter}",
        "stamp": f"{1:012x}{0:04x}@hostile",
        "author": "h",
        "writes": [["card", cid, "title", title, []]],
    }


def test_viewer_push_is_refused_and_connection_stays_open(tmp_path: Path) -> None:
    """A viewer's push gets an error; the viewer still receives the others' edits."""
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            editor = LiveClient(small_board(tmp_path / "e.cld"), url, room.tokens["editor"]).start()
            await until(lambda: editor.online and editor.drained(), what="editor online")
            headers = {"Authorization": f"Bearer {room.tokens['viewer']}"}
            async with connect(url, additional_headers=headers) as ws:
                await _hello(ws)
                await ws.send(
                    p.dumps(p.Push(batch_id="b1", changes=[_card_change("c-base0", "mine")]))
                )
                got_error = got_change = False
                retitle(editor.doc, "c-base1", "after the refusal")
                while not (got_error and got_change):
                    for m in p.parse_server_frame(await asyncio.wait_for(ws.recv(), 5)):
                        if isinstance(m, p.Error):
                            assert m.code == "read_only"
                            got_error = True
                        if isinstance(m, p.Changes) and any(
                            w[3] == "after the refusal" for item in m.items for w in item["writes"]
                        ):
                            got_change = True
            room_doc = live_state(server, room.id)
            assert room_doc.card("c-base0").title == "card 0"
            assert "hostile:1" not in server.roomlog.change_ids(room.id)
            await editor.stop()
            editor.doc.close()

    asyncio.run(main())


def test_only_the_facilitator_may_write_the_facilitation_state(tmp_path: Path) -> None:
    """An editor's push writing the round/timer/presenter is refused whole, the connection stays."""
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            errors: list[tuple[str, str]] = []
            states: list[str] = []
            ed = LiveClient(
                small_board(tmp_path / "e.cld"),
                url,
                room.tokens["editor"],
                on_error=lambda code, text: errors.append((code, text)),
                on_state=lambda s: states.append(s.state),
            ).start()
            await until(lambda: ed.online and ed.drained() and server.rooms, what="online")
            room_doc = live_state(server, room.id)
            _fid, opening = create("facilitation", {"voting_open": True}, entity_id="f-workshop")
            # a modified client: a round opened with a card edit, then an innocent edit,
            # committed together so they leave in one push
            bad = ed.doc.commit([*opening, ("card", "c-base0", "title", "sneaky")])
            retitle(ed.doc, "c-base1", "innocent")
            await until(lambda: errors, what="the refusal")
            assert errors[0][0] == "facilitator_only"
            assert "only the facilitator" in errors[0][1]
            # the innocent edit is pushed again and arrives; nothing of the refused one does
            await until(lambda: room_doc.card("c-base1").title == "innocent", what="resent")
            assert room_doc.get("facilitation", "f-workshop") is None
            assert room_doc.card("c-base0").title == "card 0"
            assert bad.id not in server.roomlog.change_ids(room.id)
            assert ed.client.refused == {bad.id}
            assert [c.id for c in ed.doc.store.outbox()] == [bad.id]  # still the user's edit
            retitle(ed.doc, "c-base2", "later")
            await until(lambda: room_doc.card("c-base2").title == "later", what="still live")
            assert ed.online and "offline" not in states
            # the facilitator may open the round
            fa = LiveClient(Document.new(tmp_path / "f.cld"), url, room.tokens["facilitator"])
            fa.start()
            await until(lambda: fa.online and len(fa.doc.cards()) == 4, what="facilitator in")
            _fid, opening = create("facilitation", {"voting_open": True}, entity_id="f-workshop")
            fa.doc.commit(opening)
            await until(lambda: fa.drained(), what="facilitator drained")
            assert room_doc.get("facilitation", "f-workshop") is not None
            await until(
                lambda: ed.doc.get("facilitation", "f-workshop") is not None, what="fan-out"
            )
            for c in (ed, fa):
                await c.stop()
                c.doc.close()

    asyncio.run(main())


HOSTILE = [
    ("not json", "this is { not json", p.CLOSE_NOT_JSON, "not JSON"),
    ("binary", b"\x00\x01binary", p.CLOSE_UNSUPPORTED_DATA, "binary"),
    (
        "unknown type",
        json.dumps({"type": "shout", "text": "hi"}),
        p.CLOSE_UNKNOWN_TYPE,
        "unknown message type",
    ),
    (
        "wrong field types",
        json.dumps({"type": "presence", "cursor": "here"}),
        p.CLOSE_INVALID_MESSAGE,
        "cursor",
    ),
    (
        "push wrong types",
        json.dumps({"type": "push", "batch_id": 7, "changes": {}}),
        p.CLOSE_INVALID_MESSAGE,
        "invalid push",
    ),
    ("oversized", "x" * (p.MAX_MESSAGE_BYTES + 10), p.CLOSE_TOO_BIG, ""),
    # relayed as null, NaN would break every other participant's reader
    (
        "NaN cursor",
        '{"type": "presence", "cursor": [NaN, 1e999]}',
        p.CLOSE_INVALID_MESSAGE,
        "cursor",
    ),
    (
        "NaN viewport",
        '{"type": "presence", "viewport": {"x": 0, "y": Infinity, "width": 1, "height": 1}}',
        p.CLOSE_INVALID_MESSAGE,
        "viewport",
    ),
    (
        "deep nesting",
        '{"type": "push", "batch_id": "b", "changes": [' + "[" * 50_000 + "]" * 50_000 + "]}",
        p.CLOSE_INVALID_MESSAGE,
        "nested too deeply",
    ),
    (
        "invalid value",
        json.dumps(
            {"type": "push", "batch_id": "b", "changes": [_card_change("c-base0", "t" * 600)]}
        ),
        p.CLOSE_INVALID_CHANGE,
        "title",
    ),
    (
        "invalid sentiment",
        json.dumps(
            {
                "type": "push",
                "batch_id": "b",
                "changes": [
                    {
                        **_card_change("c-base0", "x"),
                        "writes": [["card", "c-base0", "sentiment", 9, []]],
                    }
                ],
            }
        ),
        p.CLOSE_INVALID_CHANGE,
        "sentiment",
    ),
    (
        "malformed change",
        json.dumps({"type": "push", "batch_id": "b", "changes": [{"id": "no colon"}]}),
        p.CLOSE_INVALID_MESSAGE,
        "push change 0",
    ),
    (
        "too many changes",
        json.dumps(
            {"type": "push", "batch_id": "b", "changes": [{}] * (p.MAX_CHANGES_PER_PUSH + 1)}
        ),
        p.CLOSE_TOO_MANY_CHANGES,
        "at most",
    ),
    ("flood", "FLOOD", p.CLOSE_RATE_LIMITED, "too many messages"),
    (
        "second hello",
        p.dumps(p.Hello(protocol=p.PROTOCOL_VERSION, replica="again")),
        p.CLOSE_INVALID_MESSAGE,
        "hello",
    ),
]


def test_hostile_inputs_close_only_that_connection(tmp_path: Path) -> None:
    """Each malformed or abusive message closes its sender with a clear code and reason only."""
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            editor = LiveClient(small_board(tmp_path / "e.cld"), url, room.tokens["editor"]).start()
            watcher = LiveClient(
                Document.new(tmp_path / "w.cld"), url, room.tokens["editor"]
            ).start()
            room_doc = None

            async def settled() -> None:
                await until(
                    lambda: editor.drained() and board_state(watcher.doc) == board_state(room_doc),
                    what="settled",
                )

            await until(lambda: editor.online and editor.drained() and server.rooms, what="online")
            room_doc = live_state(server, room.id)
            await settled()
            headers = {"Authorization": f"Bearer {room.tokens['editor']}"}
            for i, (label, payload, code, reason) in enumerate(HOSTILE):
                before = board_state(room_doc)
                async with connect(url, additional_headers=headers, max_size=None) as ws:
                    await _hello(ws, label)
                    with pytest.raises(ConnectionClosed):
                        if payload == "FLOOD":
                            for _ in range(p.MESSAGE_BURST + 50):
                                await ws.send(p.dumps(p.Presence(cursor=[1.0, 2.0])))
                        else:
                            await ws.send(payload)
                        while True:
                            await asyncio.wait_for(ws.recv(), 5)
                    assert ws.close_code == code, label
                    assert reason in (ws.close_reason or ""), (label, ws.close_reason)
                assert board_state(room_doc) == before, label
                # the others carry on
                retitle(editor.doc, "c-base3", f"still working {i}")
                await settled()
                assert editor.online and watcher.online
            assert watcher.doc.card("c-base3").title == f"still working {len(HOSTILE) - 1}"
            for c in (editor, watcher):
                await c.stop()
                c.doc.close()

    asyncio.run(main())


def test_a_flood_of_changes_closes_only_that_connection(tmp_path: Path) -> None:
    """Pushing changes faster than the limit allows, past the burst, is closed with a reason."""
    data = tmp_path / "server"
    room = create_room(data)
    per_push = p.MAX_CHANGES_PER_PUSH
    # well past the burst: a busy server reads slowly and its bucket refills meanwhile
    pushes = 2 * p.CHANGE_BURST // per_push + 6

    def push(k: int) -> str:
        changes = [
            {
                "id": f"flood:{k * per_push + i}",
                "stamp": f"{1:012x}{(k * per_push + i) % 65536:04x}@flood",
                "author": "flood",
                "writes": [["card", "c-base3", "notes", f"flood {k} {i}", []]],
            }
            for i in range(per_push)
        ]
        return json.dumps({"type": "push", "batch_id": f"b{k}", "changes": changes})

    frames = [push(k) for k in range(pushes)]

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            editor = LiveClient(small_board(tmp_path / "e.cld"), url, room.tokens["editor"]).start()
            await until(lambda: editor.online and editor.drained(), what="editor online")
            headers = {"Authorization": f"Bearer {room.tokens['editor']}"}
            async with connect(url, additional_headers=headers) as ws:
                await _hello(ws)
                started = time.monotonic()
                with pytest.raises(ConnectionClosed):
                    for frame in frames:
                        await ws.send(frame)
                    while True:
                        await asyncio.wait_for(ws.recv(), 10)
                elapsed = time.monotonic() - started
                assert ws.close_code == p.CLOSE_RATE_LIMITED
                assert "too many changes" in (ws.close_reason or "")
            retitle(editor.doc, "c-base1", "still here")
            room_doc = live_state(server, room.id)
            await until(lambda: room_doc.card("c-base1").title == "still here", what="others go on")
            assert editor.online
            logged = server.roomlog.change_ids(room.id)
            flooded = len([i for i in logged if i.startswith("flood:")])
            assert flooded <= p.CHANGE_BURST + p.MAX_CHANGES_PER_SECOND * elapsed
            await editor.stop()
            editor.doc.close()

    asyncio.run(main())


def test_presence_join_and_leave_are_relayed(tmp_path: Path) -> None:
    """A participant sees the others join, move their cursor and leave."""
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            seen: list[p.PresenceOf] = []
            a = LiveClient(
                Document.new(tmp_path / "a.cld"),
                url,
                room.tokens["editor"],
                name="Ann",
                color="#ff0000",
                on_presence=seen.append,
            ).start()
            await until(lambda: a.online, what="a online")
            b = LiveClient(
                Document.new(tmp_path / "b.cld"), url, room.tokens["facilitator"], name="Bo"
            ).start()
            await until(
                lambda: [x.name for x in a.client.participants.values()] == ["Bo"], what="join"
            )
            assert next(iter(a.client.participants.values())).role == "facilitator"
            await until(lambda: b.online, what="b online")
            b.client.send_presence(
                cursor=(10.0, 20.0),
                selection=["c-1"],
                viewport={"x": 0, "y": 0, "width": 800, "height": 600},
            )
            await until(lambda: bool(seen), what="presence")
            assert seen[-1].cursor == [10.0, 20.0] and seen[-1].selection == ["c-1"]
            assert seen[-1].viewport is not None and seen[-1].viewport.width == 800
            await b.stop()
            await until(lambda: not a.client.participants, what="leave")
            await a.stop()
            for c in (a, b):
                c.doc.close()

    asyncio.run(main())


def test_overflowing_participant_is_told_to_resync_and_catches_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A participant whose send queue overflows is told to resync and still ends up in step."""
    monkeypatch.setattr(p, "MAX_QUEUED_CHANGES", 5)
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            watcher = LiveClient(
                small_board(tmp_path / "w.cld"), url, room.tokens["editor"]
            ).start()
            await until(lambda: watcher.online and watcher.drained(), what="watcher")
            headers = {"Authorization": f"Bearer {room.tokens['editor']}"}
            async with connect(url, additional_headers=headers) as ws:
                seq = (await _hello(ws)).seq
                burst = [
                    {**_card_change(f"c-burst{i}", f"burst {i}", counter=i), "id": f"burst:{i}"}
                    for i in range(12)
                ]
                await ws.send(p.dumps(p.Push(batch_id="burst", changes=burst)))
                target = seq + 12
                resynced = False
                while seq < target:
                    for m in p.parse_server_frame(await asyncio.wait_for(ws.recv(), 5)):
                        if isinstance(m, p.Resync):
                            resynced = True
                            await ws.send(p.dumps(p.Fetch(since_seq=seq)))
                        elif isinstance(m, p.Changes) and m.from_seq <= seq + 1:
                            seq = max(seq, m.to_seq)
                assert resynced
            room_doc = live_state(server, room.id)
            await until(
                lambda: board_state(watcher.doc) == board_state(room_doc), what="watcher resynced"
            )
            assert watcher.client.seq == server.rooms[room.id].seq
            await watcher.stop()
            watcher.doc.close()

    asyncio.run(main())


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_tls_when_certificate_and_key_are_given(tmp_path: Path) -> None:
    """With a certificate the server speaks wss:// and a client trusting it syncs."""
    import ssl

    from app.sync.hosting import tls_context

    cert, key = _self_signed(tmp_path)
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data, ssl_context=tls_context(cert, key)) as server:
            assert server.url.startswith("wss://")
            doc = small_board(tmp_path / "a.cld")
            trust = ssl.create_default_context(cafile=str(cert))
            client = SyncClient(
                room_url(server.url, room),
                room.tokens["editor"],
                DocumentAdapter(doc),
                ssl_context=trust,
            )
            result = await client.sync_once(timeout=10)
            assert result.pushed == doc.store.change_count()
            assert len(live_state(server, room.id).cards()) == 4
            doc.close()
            plain = SyncClient(
                room_url(server.url, room).replace("wss://", "ws://"),
                room.tokens["editor"],
                DocumentAdapter(Document.new(tmp_path / "b.cld")),
            )
            with pytest.raises(SyncTimeout):  # a plain client cannot talk to a TLS server
                await plain.sync_once(timeout=1)

    asyncio.run(main())


def test_room_full_and_silent_connections_are_closed_with_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the participant limit, or without hello in time, a connection is closed with a reason."""
    monkeypatch.setattr(p, "MAX_PARTICIPANTS_PER_ROOM", 2)
    monkeypatch.setattr(p, "HELLO_TIMEOUT_S", 0.3)
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            headers = {"Authorization": f"Bearer {room.tokens['editor']}"}
            first = await connect(url, additional_headers=headers)
            second = await connect(url, additional_headers=headers)
            await _hello(first, "one")
            await _hello(second, "two")
            async with connect(url, additional_headers=headers) as third:
                await third.send(p.dumps(p.Hello(protocol=p.PROTOCOL_VERSION, replica="three")))
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(third.recv(), 5)
                assert third.close_code == p.CLOSE_ROOM_FULL and "full" in (
                    third.close_reason or ""
                )
            await second.close()
            async with connect(url, additional_headers=headers) as silent:
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(silent.recv(), 5)
                assert silent.close_code == p.CLOSE_HELLO_EXPECTED
            await first.close()

    asyncio.run(main())


def test_keepalive_drops_a_peer_that_stops_answering(tmp_path: Path) -> None:
    """A participant whose connection goes silent is dropped by keepalive and the others see it leave."""
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data, ping_interval=0.2, ping_timeout=0.2) as server:
            url = room_url(server.url, room)
            a = LiveClient(
                Document.new(tmp_path / "a.cld"), url, room.tokens["editor"], name="Ann"
            ).start()
            await until(lambda: a.online, what="a online")
            headers = {"Authorization": f"Bearer {room.tokens['editor']}"}
            frozen = await connect(url, additional_headers=headers, ping_interval=None)
            await _hello(frozen, "frozen")
            await until(lambda: len(a.client.participants) == 1, what="frozen joined")
            frozen.transport.pause_reading()  # a laptop that went to sleep: no pongs
            await until(lambda: not a.client.participants, 5, "frozen dropped")
            assert len(server.rooms[room.id].participants) == 1
            frozen.transport.abort()
            await a.stop()
            a.doc.close()

    asyncio.run(main())


def test_tokens_never_reach_the_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Even with debug logging, neither the header nor the ?token= of a join URL is logged."""
    import logging

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="app.sync")  # whatever an earlier test set
    caplog.set_level(logging.DEBUG, logger="app.sync.server.websockets")
    data = tmp_path / "server"
    room = create_room(data)
    other = create_room(data)
    token = room.tokens["editor"]

    async def main() -> None:
        async with serving(data) as server:
            async with connect(f"{server.url}/rooms/{room.id}?token={token}") as ws:
                await _hello(ws)
            with pytest.raises(InvalidStatus):
                await connect(
                    room_url(server.url, room),
                    additional_headers={"Authorization": f"Bearer {other.tokens['viewer']}"},
                )
            doc = small_board(tmp_path / "a.cld")
            await SyncClient(room_url(server.url, room), token, DocumentAdapter(doc)).sync_once(
                timeout=10
            )
            doc.close()

    asyncio.run(main())
    # the test's own raw connections log as "websockets.client"; ours log under app.sync
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("app."))
    assert "GET /rooms" in ours and "Authorization: Bearer [redacted]" in ours  # debug was on
    for secret in (token, other.tokens["viewer"]):
        assert secret not in ours


def test_room_log_at_another_sqlalchemy_url(tmp_path: Path) -> None:
    """With --db the room log lives at that URL and the merged state stays in the data folder."""
    from app.sync.roomlog import RoomLog

    url = f"sqlite:///{tmp_path / 'elsewhere' / 'log.db'}"
    (tmp_path / "elsewhere").mkdir()
    roomlog = RoomLog(url)
    room = roomlog.create_room("Remote log")
    roomlog.close()

    async def main() -> None:
        async with serving(tmp_path / "data", db_url=url) as server:
            doc = small_board(tmp_path / "a.cld")
            await SyncClient(
                room_url(server.url, room), room.tokens["editor"], DocumentAdapter(doc)
            ).sync_once()
            assert len(server.roomlog.change_ids(room.id)) == doc.store.change_count()
            doc.close()

    asyncio.run(main())
    assert not (tmp_path / "data" / "rooms.db").exists()
    assert (tmp_path / "data" / "rooms" / f"{room.id}.cld").exists()


def test_an_idle_room_is_unloaded_and_reopens_with_its_board(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A room left empty is closed after a while; the next participant still gets the board."""
    import app.sync.server as server_module

    monkeypatch.setattr(server_module, "ROOM_IDLE_S", 0.1)
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            doc = small_board(tmp_path / "a.cld")
            await SyncClient(url, room.tokens["editor"], DocumentAdapter(doc)).sync_once()
            await until(lambda: room.id not in server.rooms, 5, "room unloaded")
            late = Document.new(tmp_path / "late.cld")
            result = await SyncClient(url, room.tokens["viewer"], DocumentAdapter(late)).sync_once()
            assert result.seq == doc.store.change_count()
            assert board_state(late) == board_state(doc)
            for d in (doc, late):
                d.close()

    asyncio.run(main())


def test_people_joining_together_share_one_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three newcomers at the start of a workshop all get the whole board; the server reads
    its state for them once, not once each (until the board changes)."""
    from app.sync import server as server_module

    built: list[int] = []
    real = server_module.snapshot_changes

    def counting(doc: Document) -> list[str]:
        built.append(1)
        return real(doc)

    monkeypatch.setattr(server_module, "snapshot_changes", counting)
    data = tmp_path / "server"
    room = create_room(data)

    async def main() -> None:
        async with serving(data) as server:
            url = room_url(server.url, room)
            host = LiveClient(small_board(tmp_path / "h.cld"), url, room.tokens["editor"]).start()
            await until(lambda: host.online and host.drained(), what="host online")
            guests = [
                LiveClient(Document.new(tmp_path / f"g{k}.cld"), url, room.tokens["editor"])
                for k in range(3)
            ]
            for g in guests:
                g.start()
            await until(
                lambda: all(len(g.doc.cards()) == 4 for g in guests), what="guests have the board"
            )
            assert len(built) == 1
            retitle(host.doc, "c-base0", "changed")
            await until(lambda: host.drained(), what="pushed")
            late = LiveClient(Document.new(tmp_path / "late.cld"), url, room.tokens["editor"])
            late.start()
            await until(lambda: late.doc.card("c-base0") is not None, what="late joiner")
            assert late.doc.card("c-base0").title == "changed" and len(built) == 2
            for c in (host, *guests, late):
                await c.stop()
                c.doc.close()

    asyncio.run(main())
