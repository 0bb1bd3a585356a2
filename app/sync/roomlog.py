"""The server's durable store: rooms, their role tokens and the room log.

It goes through SQLAlchemy Core so any URL works (SQLite under the data folder by default,
PostgreSQL when a room must outlive one machine). Tokens are kept as SHA-256 digests: a
copy of the database does not let anyone join. Log appends are multi-row inserts in one
transaction; change ids are unique per room, so a resent change is never stored twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    select,
)

from app.model.changes import Change
from app.sync.protocol import ROLES

#: bytes of randomness in a room token (256 bits) and a room id (128 bits)
TOKEN_BYTES = 32
ROOM_ID_BYTES = 16

metadata = MetaData()

rooms_table = Table(
    "rooms",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(500), nullable=False),
    Column("created", Float, nullable=False),
)
tokens_table = Table(
    "room_tokens",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("room_id", String(64), nullable=False, index=True),
    Column("role", String(20), nullable=False),
)
log_table = Table(
    "room_log",
    metadata,
    Column("room_id", String(64), nullable=False),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("change_id", String(100), nullable=False),
    Column("change", Text, nullable=False),
    PrimaryKeyConstraint("room_id", "seq"),
    UniqueConstraint("room_id", "change_id"),
)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewRoom:
    """A room just created: the only moment its tokens exist in clear."""

    id: str
    name: str
    tokens: dict[str, str]


@dataclass(frozen=True)
class Access:
    """Whom a presented token lets in: the room and the role."""

    room_id: str
    role: str


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a commit survives a crash or kill -9 of the server process
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _url_safe(nbytes: int) -> str:
    """A random URL-safe string that does not start with "-" (``--token -x...`` would read
    as a missing argument on a command line)."""
    while True:
        text = secrets.token_urlsafe(nbytes)
        if not text.startswith("-"):
            return text


class RoomLog:
    """Rooms, tokens and the append-only room log behind one SQLAlchemy engine."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)
        self._insert = insert(log_table)

    def close(self) -> None:
        self.engine.dispose()

    # -- rooms and tokens ------------------------------------------------------------

    def create_room(self, name: str) -> NewRoom:
        room_id = _url_safe(ROOM_ID_BYTES)
        tokens = {role: _url_safe(TOKEN_BYTES) for role in ROLES}
        with self.engine.begin() as conn:
            conn.execute(insert(rooms_table).values(id=room_id, name=name, created=time.time()))
            conn.execute(
                insert(tokens_table),
                [
                    {"digest": token_digest(t), "room_id": room_id, "role": r}
                    for r, t in tokens.items()
                ],
            )
        return NewRoom(room_id, name, tokens)

    def room_name(self, room_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(rooms_table.c.name).where(rooms_table.c.id == room_id)
            ).scalar()

    def check_token(self, room_id: str, token: str) -> tuple[int, Access | None]:
        """(HTTP status, access): 200 for this room's token, 403 another room's, 401 else."""
        digest = token_digest(token)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tokens_table.c.digest, tokens_table.c.role).where(
                    tokens_table.c.room_id == room_id
                )
            ).all()
            role = None
            for row_digest, row_role in rows:
                # every role's digest is compared, in constant time
                if hmac.compare_digest(row_digest, digest):
                    role = row_role
            if role is not None:
                return 200, Access(room_id, role)
            other = conn.execute(
                select(tokens_table.c.room_id).where(tokens_table.c.digest == digest)
            ).scalar()
        return (403, None) if other is not None else (401, None)

    # -- the log ---------------------------------------------------------------------

    def last_seq(self, room_id: str) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(func.max(log_table.c.seq)).where(log_table.c.room_id == room_id)
            ).scalar()
        return int(value or 0)

    def append(
        self,
        room_id: str,
        first_seq: int,
        changes: Sequence[Change],
        *,
        known: set[str] | None = None,
    ) -> tuple[list[Change], list[str]]:
        """Write the changes not yet in the log in one transaction, numbered from ``first_seq``.

        ``known`` (ids the caller knows are logged) saves a look-up; the unique constraint
        on (room, change id) still refuses a duplicate. Returns (new changes, their JSON).
        """
        with self.engine.begin() as conn:
            if known is None:
                known = self._known(conn, room_id, [c.id for c in changes])
            else:
                known = set(known)
            fresh: list[Change] = []
            texts: list[str] = []
            rows: list[dict[str, Any]] = []
            for change in changes:
                if change.id in known:
                    continue
                known.add(change.id)
                text = json.dumps(
                    change.model_dump(mode="json"), separators=(",", ":"), ensure_ascii=False
                )
                rows.append(
                    {
                        "room_id": room_id,
                        "seq": first_seq + len(rows),
                        "change_id": change.id,
                        "change": text,
                    }
                )
                fresh.append(change)
                texts.append(text)
            if rows:
                conn.execute(self._insert, rows)
        return fresh, texts

    @staticmethod
    def _known(conn: Any, room_id: str, ids: list[str]) -> set[str]:
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            known.update(
                conn.execute(
                    select(log_table.c.change_id).where(
                        log_table.c.room_id == room_id, log_table.c.change_id.in_(chunk)
                    )
                ).scalars()
            )
        return known

    def entries(
        self, room_id: str, after_seq: int, upto_seq: int, limit: int
    ) -> list[tuple[int, str]]:
        """(seq, change JSON) of log entries after ``after_seq`` up to ``upto_seq``."""
        with self.engine.connect() as conn:
            return [
                (int(s), t)
                for s, t in conn.execute(
                    select(log_table.c.seq, log_table.c.change)
                    .where(
                        log_table.c.room_id == room_id,
                        log_table.c.seq > after_seq,
                        log_table.c.seq <= upto_seq,
                    )
                    .order_by(log_table.c.seq)
                    .limit(limit)
                )
            ]

    def changes(self, room_id: str, after_seq: int = 0) -> Iterator[tuple[int, Change]]:
        """Every log entry after ``after_seq`` as (seq, Change), in order."""
        upto = self.last_seq(room_id)
        while after_seq < upto:
            batch = self.entries(room_id, after_seq, upto, 2_000)
            if not batch:
                return
            for seq, text in batch:
                yield seq, Change.model_validate_json(text)
            after_seq = batch[-1][0]

    def change_ids(self, room_id: str) -> set[str]:
        with self.engine.connect() as conn:
            return set(
                conn.execute(
                    select(log_table.c.change_id).where(log_table.c.room_id == room_id)
                ).scalars()
            )


def iter_chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
