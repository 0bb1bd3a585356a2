"""`cld serve`, `cld room create` and `cld sync`: the workshop service from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import ssl
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from app.cli import UserError
from app.model.text import plural
from app.sync.protocol import ROLES

if TYPE_CHECKING:
    from app.sync.client import SyncClient

DEFAULT_DATA = "cld-server-data"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("serve", help="run the workshop sync server")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument(
        "--data", default=DEFAULT_DATA, help=f"folder for rooms (default ./{DEFAULT_DATA})"
    )
    p.add_argument(
        "--db", default=None, help="SQLAlchemy URL of the room log (default: SQLite in --data)"
    )
    p.add_argument("--cert", default=None, help="TLS certificate (PEM); serves wss:// with --key")
    p.add_argument("--key", default=None, help="TLS private key (PEM)")
    p.add_argument(
        "--flush-rate",
        type=float,
        default=None,
        metavar="N",
        help="send batches per second per room at most (default 250; lower saves clients' CPU)",
    )
    p.add_argument(
        "--max-changes-per-second",
        type=int,
        default=None,
        metavar="N",
        help="changes one participant may push per second after a burst (default 1000)",
    )
    p.add_argument(
        "--change-burst",
        type=int,
        default=None,
        metavar="N",
        help="changes one participant may push at once, e.g. an offline outbox (default 12000)",
    )
    p.set_defaults(func=cmd_serve)

    room = subparsers.add_parser("room", help="manage workshop rooms")
    room_sub = room.add_subparsers(dest="room_command", required=True, metavar="ACTION")
    p = room_sub.add_parser("create", help="create a room; prints its id and a token per role")
    p.add_argument("name")
    p.add_argument(
        "--data", default=DEFAULT_DATA, help=f"the server's folder (default ./{DEFAULT_DATA})"
    )
    p.add_argument("--db", default=None, help="SQLAlchemy URL of the room log")
    p.add_argument(
        "--url", default="ws://127.0.0.1:8765", help="the server's public address, for join URLs"
    )
    p.set_defaults(func=cmd_room_create)

    p = subparsers.add_parser("sync", help="sync a design file with a workshop room")
    p.add_argument("file")
    p.add_argument("url", help="the room's join URL (ws://HOST:PORT/rooms/ROOM)")
    p.add_argument("--token", default=None, help="the room token (or put ?token= in the URL)")
    p.add_argument("--watch", action="store_true", help="keep syncing until interrupted")
    p.add_argument("--name", default="", help="your name, shown to the other participants")
    p.add_argument(
        "--cafile", default=None, help="trust this certificate (a self-signed wss:// server)"
    )
    p.add_argument(
        "--timeout", type=float, default=60.0, help="give up after this many seconds (default 60)"
    )
    p.set_defaults(func=cmd_sync)


def cmd_serve(args: argparse.Namespace) -> int:
    from app.sync.hosting import tls_context
    from app.sync.server import SyncServer

    if bool(args.cert) != bool(args.key):
        raise UserError("TLS needs both --cert and --key")
    context = None
    if args.cert:
        try:
            context = tls_context(args.cert, args.key)
        except (OSError, ssl.SSLError) as exc:
            raise UserError(f"cannot use the certificate or key: {exc}") from None
    limits: dict[str, float] = {}
    if args.flush_rate is not None:
        if args.flush_rate <= 0:
            raise UserError("--flush-rate must be a positive number of batches per second")
        limits["flush_per_second"] = args.flush_rate
    if args.max_changes_per_second is not None:
        limits["max_changes_per_second"] = args.max_changes_per_second
    if args.change_burst is not None:
        limits["change_burst"] = args.change_burst
    # only once the options are good: a refused command must leave logging as it was
    logging.getLogger("app.sync").setLevel(logging.INFO)
    server = SyncServer(
        args.data,
        db_url=args.db,
        host=args.host,
        port=args.port,
        ssl_context=context,
        **limits,  # type: ignore[arg-type]
    )
    try:
        asyncio.run(server.serve_forever())
    except OSError as exc:
        raise UserError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        ) from None
    return 0


def cmd_room_create(args: argparse.Namespace) -> int:
    from app.sync.roomlog import RoomLog
    from app.sync.server import default_db_url

    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    roomlog = RoomLog(args.db or default_db_url(data))
    try:
        room = roomlog.create_room(args.name)
    finally:
        roomlog.close()
    base = args.url.rstrip("/")
    out = {
        "room": room.id,
        "name": room.name,
        "roles": {
            role: {
                "token": room.tokens[role],
                "url": f"{base}/rooms/{room.id}?token={quote(room.tokens[role])}",
            }
            for role in ROLES
        },
    }
    print(json.dumps(out, indent=2))
    return 0


async def _watch(client: SyncClient) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, client.stop)
    await client.run()


def cmd_sync(args: argparse.Namespace) -> int:
    from app.model.document import Document
    from app.sync.client import (
        DocumentAdapter,
        SyncClient,
        SyncRefused,
        SyncState,
        SyncTimeout,
        SyncUnreachable,
    )

    path = Path(args.file)
    created = not path.exists()
    doc = Document.new(path, name=path.stem) if created else Document.open(path)
    context = None
    if args.cafile:
        context = ssl.create_default_context(cafile=args.cafile)

    def show(state: SyncState) -> None:
        if args.watch:
            extra = f", {state.unsent} unsent" if state.unsent else ""
            print(
                f"{state.state}{extra}{': ' + state.detail if state.detail else ''}",
                file=sys.stderr,
                flush=True,
            )

    try:
        adapter = DocumentAdapter(doc)
        try:
            client = SyncClient(
                args.url,
                args.token,
                adapter,
                name=args.name or doc.author,
                ssl_context=context,
                on_state=show,
            )
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if not client.token:
            raise UserError("a room token is needed: pass --token or use the join URL with ?token=")
        try:
            if args.watch:
                print(
                    f"syncing {path.name} with room {client.room}; Ctrl+C stops",
                    file=sys.stderr,
                    flush=True,
                )
                stop_watch = adapter.watch(client.kick)
                try:
                    asyncio.run(_watch(client))
                finally:
                    stop_watch()
                return 0
            # a server that is not there is told after a few seconds, not the whole timeout
            result = asyncio.run(client.sync_once(timeout=args.timeout, unreachable_tries=4))
        except SyncRefused as exc:
            raise UserError(str(exc)) from None
        except SyncUnreachable as exc:
            raise UserError(str(exc)) from None
        except SyncTimeout as exc:
            print(f"cld: {exc}", file=sys.stderr)
            return 1
        if created and client.room_name:
            doc.rename(client.room_name)  # a new file takes the room's name
        unsent = doc.store.outbox_count()
        print(
            f"synced {path.name}: pushed {result.pushed}, received {result.received}, "
            f"room at seq {result.seq}"
        )
        if result.refused:
            print(
                f"cld: the room refused {result.refused} of your changes (only the facilitator "
                "may change the voting round, timer and presenter); they stay in the file.",
                file=sys.stderr,
            )
        elif unsent:
            # only a viewer gets here with unsent changes: the file and the room differ
            print(
                f"cld: {plural(unsent, 'local change')} not sent: a viewer cannot edit the room. "
                "Ask the facilitator for an editor link.",
                file=sys.stderr,
            )
            return 1
        return 0
    finally:
        doc.close()
