"""The design file: SQLAlchemy over SQLite, one transaction per Change.

Tables: one per entity type (id, deleted, data, registers), the change log, the outbox of
local changes no server has acknowledged, displaced writes (the conflicts), and meta.
Opening checks the file before anything writes to it, so a file that is refused keeps
every byte it had.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.pool import StaticPool

from app.model.changes import Change, Displaced, Record
from app.model.schema import ENTITY_MODELS

#: the layout of the SQLite file; a file with a larger number is refused
FILE_FORMAT = 1
#: PRAGMA application_id of a design file ("CLD1")
APPLICATION_ID = 0x434C4431
SQLITE_MAGIC = b"SQLite format 3\x00"


class DesignFileError(Exception):
    """A design file that cannot be opened; the message says why and what to do."""


metadata = MetaData()

meta_table = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)
changes_table = Table(
    "changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String, nullable=False, unique=True),
    Column("replica", String, nullable=False, index=True),
    Column("counter", Integer, nullable=False),
    Column("stamp", String, nullable=False),
    Column("author", String, nullable=False, default=""),
    Column("writes", Text, nullable=False),
    Column("origin", String, nullable=False),
    sqlite_autoincrement=True,
)
outbox_table = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("change_id", String, nullable=False, unique=True),
)
displaced_table = Table(
    "displaced",
    metadata,
    Column("entity_type", String, primary_key=True),
    Column("entity_id", String, primary_key=True),
    Column("field", String, primary_key=True),
    Column("change_id", String, primary_key=True),
    Column("stamp", String, nullable=False),
    Column("value", Text, nullable=False),
    Column("bases", Text, nullable=False),
)
entity_tables: dict[str, Table] = {
    etype: Table(
        etype,
        metadata,
        Column("id", String, primary_key=True),
        Column("deleted", Boolean, nullable=False, default=False),
        Column("data", Text, nullable=False),
        Column("registers", Text, nullable=False),
    )
    for etype in ENTITY_MODELS
}

_UPSERT = {
    etype: f'INSERT OR REPLACE INTO "{etype}" (id, deleted, data, registers) VALUES (?, ?, ?, ?)'
    for etype in ENTITY_MODELS
}
_INSERT_CHANGE = (
    "INSERT INTO changes (id, replica, counter, stamp, author, writes, origin)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_DISPLACED = (
    "INSERT OR IGNORE INTO displaced (entity_type, entity_id, field, change_id, stamp, value, bases)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def new_replica_id() -> str:
    return uuid.uuid4().hex[:16]


def _identity(path: Path) -> str:
    """Which file this is, as the file system knows it (a copy is another file)."""
    try:
        st = path.stat()
    except OSError:  # an in-memory design (tests, benchmarks) is no file to copy
        return ""
    return f"{st.st_dev}:{st.st_ino}"


# Migrations from an older FILE_FORMAT: {old version: function(sqlite3 connection)}, each
# run inside the one transaction of Store._migrate (DDL included).
MIGRATIONS: dict[int, Any] = {}


def probe(path: Path) -> int:
    """Check that ``path`` is a readable design file without writing to it; return its format.

    Raises DesignFileError with a message in the user's words.
    """
    name = path.name
    if not path.exists():
        raise DesignFileError(f"{name}: no such file. Check the path, or create it with 'cld new'.")
    if path.is_dir():
        raise DesignFileError(f"{name} is a folder, not a design file.")
    with open(path, "rb") as fh:
        head = fh.read(100)
    if not head:
        raise DesignFileError(f"{name} is empty (0 bytes): it holds no design. Open another file.")
    if not head.startswith(SQLITE_MAGIC):
        raise DesignFileError(
            f"{name} is not a CLD design file (it is not an SQLite database). "
            "To bring in JSON or CSV, use 'cld import' or File > Import."
        )
    size = path.stat().st_size
    page_size = int.from_bytes(head[16:18], "big") or 65536
    if page_size == 1:
        page_size = 65536
    pages = int.from_bytes(head[28:32], "big")
    if len(head) < 100 or (pages and size < pages * page_size):
        raise DesignFileError(
            f"{name} is damaged: it is shorter than its own header says (truncated copy?). "
            "Restore it from a backup or ask a workshop participant for their copy."
        )
    uri = f"file:{path.resolve().as_posix()}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True)
        try:
            check = con.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise sqlite3.DatabaseError(str(check[0] if check else "no answer"))
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if app_id != APPLICATION_ID or "meta" not in tables:
                raise DesignFileError(
                    f"{name} is an SQLite database of another program, not a CLD design. "
                    "Open a .cld file made by CLD Desktop."
                )
            row = con.execute("SELECT value FROM meta WHERE key='file_format'").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise DesignFileError(
            f"{name} is damaged and cannot be read ({exc}). "
            "Restore it from a backup or ask a workshop participant for their copy."
        ) from None
    if row is None:
        raise DesignFileError(f"{name} is damaged: its format version is missing.")
    version = int(row[0])
    if version > FILE_FORMAT:
        raise DesignFileError(
            f"{name} was written by a newer CLD Desktop (file format {version}; this version reads "
            f"up to {FILE_FORMAT}). Update CLD Desktop to open it."
        )
    return version


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a committed change survives a crash or kill of the process;
    # only an OS crash or power cut can take back the last few commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


def _engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        poolclass=StaticPool,
        connect_args={"check_same_thread": False},
    )
    event.listen(engine, "connect", _on_connect)
    return engine


class Store:
    """One open design file."""

    def __init__(self, path: Path, engine: Engine, conn: Connection) -> None:
        self.path = path
        self._engine = engine
        self._conn = conn
        self._raw: Any = conn.connection.driver_connection
        self._meta_cache: dict[str, str] = {}

    # -- opening -------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, name: str = "Untitled design") -> Store:
        path = Path(path)
        if str(path) != ":memory:" and path.exists():
            raise DesignFileError(f"{path.name} already exists; choose another name.")
        engine = _engine(path)
        conn = engine.connect()
        metadata.create_all(conn)
        conn.exec_driver_sql(f"PRAGMA application_id={APPLICATION_ID}")
        conn.commit()
        store = cls(path, engine, conn)
        store.set_meta(
            {
                "file_format": str(FILE_FORMAT),
                "replica": new_replica_id(),
                "replica_home": _identity(path),
                "name": name,
            }
        )
        return store

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Store:
        path = Path(path)
        version = probe(path)
        engine = _engine(path)
        conn = engine.connect()
        store = cls(path, engine, conn)
        if version < FILE_FORMAT:
            store._migrate(version)
        metadata.create_all(conn)  # tables added since (new entity types) are empty
        conn.commit()
        store._own_replica()
        return store

    def _own_replica(self) -> None:
        """Give a copied file a replica id of its own.

        Change ids are ``replica:counter``: two copies of one file (``cp``, a USB stick, a
        backup restored next to the original) that both kept its replica would give their
        new, different edits the same ids, and merging them would keep one and drop the
        other. A file remembers which file it is (device and inode); opened as another
        file, it starts a new replica. A false alarm (a file moved to another disk) only
        costs a fresh id.
        """
        home = _identity(self.path)
        recorded = self.meta("replica_home")
        if recorded == home:
            return
        values = {"replica_home": home}
        if recorded is not None:
            values["replica"] = new_replica_id()
            values["copied_from_replica"] = self.meta("replica") or ""
        self.set_meta(values)

    def _migrate(self, version: int) -> None:
        """Bring a file of an older format up to FILE_FORMAT in one transaction: a step that
        fails takes back every step before it, and the file stays as it was."""
        found = version
        raw = self._raw
        level = raw.isolation_level
        # pysqlite commits DDL on its own outside a BEGIN it did not issue: take over
        # transaction control so CREATE/ALTER steps roll back with everything else
        raw.isolation_level = None
        try:
            raw.execute("BEGIN IMMEDIATE")
            try:
                while version < FILE_FORMAT:
                    MIGRATIONS[version](raw)
                    version += 1
                self._write_meta({"file_format": str(FILE_FORMAT)})
                raw.execute("COMMIT")
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            finally:
                raw.isolation_level = level
        except Exception as exc:
            self._meta_cache.clear()
            self.close()
            raise DesignFileError(
                f"{self.path.name} is in file format {found} and could not be upgraded to "
                f"{FILE_FORMAT} ({exc}); it was left as it was. Open it with the CLD Desktop "
                "that wrote it and export it as JSON, then import that here."
            ) from exc

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._engine.dispose()
            self._conn = None  # type: ignore[assignment]

    # -- meta ----------------------------------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        if key in self._meta_cache:
            return self._meta_cache[key]
        row = self._raw.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            return default
        self._meta_cache[key] = row[0]
        return row[0]

    def set_meta(self, values: dict[str, str]) -> None:
        with self._transaction():
            self._write_meta(values)

    def _write_meta(self, values: dict[str, str]) -> None:
        cur = self._raw.cursor()
        cur.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(values.items())
        )
        self._meta_cache.update(values)

    def _transaction(self) -> Any:
        return self._conn.begin()

    # -- reading -------------------------------------------------------------------

    def load_records(self) -> dict[str, dict[str, Record]]:
        cur = self._raw.cursor()
        result: dict[str, dict[str, Record]] = {}
        loads = json.loads
        for etype in ENTITY_MODELS:
            records: dict[str, Record] = {}
            for eid, data, regs in cur.execute(f'SELECT id, data, registers FROM "{etype}"'):
                records[eid] = Record.from_json(data, regs) if regs else Record(loads(data), {})
            result[etype] = records
        return result

    def next_counter(self, replica: str) -> int:
        row = self._raw.execute(
            "SELECT max(counter) FROM changes WHERE replica = ?", (replica,)
        ).fetchone()
        return (row[0] or 0) + 1

    def change_stamp(self, change_id: str) -> str | None:
        row = self._raw.execute("SELECT stamp FROM changes WHERE id = ?", (change_id,)).fetchone()
        return row[0] if row else None

    def known_change_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            known.update(
                r[0]
                for r in self._raw.execute(f"SELECT id FROM changes WHERE id IN ({marks})", chunk)
            )
        return known

    def changes(
        self, *, after_seq: int = 0, origin: str | None = None
    ) -> Iterator[tuple[int, Change]]:
        sql = "SELECT seq, id, stamp, author, writes FROM changes WHERE seq > ?"
        args: list[Any] = [after_seq]
        if origin is not None:
            sql += " AND origin = ?"
            args.append(origin)
        for seq, cid, stamp, author, writes in self._raw.execute(sql + " ORDER BY seq", args):
            yield (
                seq,
                Change.model_construct(
                    id=cid, stamp=stamp, author=author, writes=Change.writes_from_json(writes)
                ),
            )

    def change_count(self) -> int:
        return int(self._raw.execute("SELECT count(*) FROM changes").fetchone()[0])

    def last_change(self) -> tuple[str, str] | None:
        """(stamp, author) of the newest change by stamp, if any."""
        row = self._raw.execute(
            "SELECT stamp, author FROM changes ORDER BY stamp DESC LIMIT 1"
        ).fetchone()
        return (row[0], row[1]) if row else None

    def outbox(self) -> list[Change]:
        rows = self._raw.execute(
            "SELECT c.id, c.stamp, c.author, c.writes FROM outbox o JOIN changes c"
            " ON c.id = o.change_id ORDER BY o.seq"
        ).fetchall()
        return [
            Change.model_construct(id=i, stamp=s, author=a, writes=Change.writes_from_json(w))
            for i, s, a, w in rows
        ]

    def outbox_count(self) -> int:
        return int(self._raw.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def displaced(
        self, entity_type: str | None = None, entity_id: str | None = None, field: str | None = None
    ) -> list[Displaced]:
        sql = "SELECT entity_type, entity_id, field, stamp, change_id, value, bases FROM displaced"
        clauses, args = [], []
        for column, value in (
            ("entity_type", entity_type),
            ("entity_id", entity_id),
            ("field", field),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return [
            Displaced(t, i, f, s, c, json.loads(v), tuple(json.loads(b)))
            for t, i, f, s, c, v, b in self._raw.execute(sql + " ORDER BY stamp", args)
        ]

    # -- writing -------------------------------------------------------------------

    def commit_changes(
        self,
        changes: list[Change],
        records: dict[str, dict[str, Record]],
        touched: dict[str, set[str]],
        displaced: list[Displaced],
        *,
        origin: str,
        outbox: bool,
    ) -> None:
        """Write merged changes in one transaction: log, outbox, entities, displaced."""
        cur = self._raw.cursor()
        with self._conn.begin():
            cur.executemany(
                _INSERT_CHANGE,
                [
                    (c.id, c.replica, c.counter, c.stamp, c.author, c.writes_json(), origin)
                    for c in changes
                ],
            )
            if outbox:
                cur.executemany(
                    "INSERT INTO outbox (change_id) VALUES (?)", [(c.id,) for c in changes]
                )
            self._write_records(cur, records, touched)
            if displaced:
                self._write_displaced(cur, displaced)

    def change_authors(self, change_ids: Iterable[str]) -> dict[str, str]:
        ids = list(change_ids)
        out: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(
                self._raw.execute(f"SELECT id, author FROM changes WHERE id IN ({marks})", chunk)
            )
        return out

    def _write_records(
        self, cur: Any, records: dict[str, dict[str, Record]], touched: dict[str, set[str]]
    ) -> None:
        for etype, ids in touched.items():
            table = records[etype]
            rows = []
            for eid in ids:
                rec = table[eid]
                rows.append(
                    (
                        eid,
                        bool(rec.values.get("deleted", False)),
                        _dumps(rec.values),
                        rec.registers_json(),
                    )
                )
            cur.executemany(_UPSERT[etype], rows)

    @staticmethod
    def _write_displaced(cur: Any, displaced: list[Displaced]) -> None:
        cur.executemany(
            _INSERT_DISPLACED,
            [
                (
                    d.entity_type,
                    d.entity_id,
                    d.field,
                    d.change_id,
                    d.stamp,
                    _dumps(d.value),
                    _dumps(list(d.bases)),
                )
                for d in displaced
            ],
        )

    def restamp(
        self,
        change_id: str,
        stamp: str,
        records: dict[str, dict[str, Record]],
        touched: dict[str, set[str]],
        put: list[Displaced],
        drop: list[Displaced],
    ) -> None:
        """Record a lower (clamped) stamp for a known change and the fields it reorders."""
        cur = self._raw.cursor()
        with self._conn.begin():
            cur.execute("UPDATE changes SET stamp = ? WHERE id = ?", (stamp, change_id))
            cur.executemany(
                "DELETE FROM displaced WHERE entity_type=? AND entity_id=? AND field=?"
                " AND change_id=?",
                [(d.entity_type, d.entity_id, d.field, d.change_id) for d in drop],
            )
            self._write_displaced(cur, put)
            self._write_records(cur, records, touched)

    def acknowledge(self, change_ids: Iterable[str]) -> None:
        """Forget acknowledged changes from the outbox."""
        ids = [(i,) for i in change_ids]
        if not ids:
            return
        with self._conn.begin():
            self._raw.cursor().executemany("DELETE FROM outbox WHERE change_id = ?", ids)

    def backup_to(self, target: str | os.PathLike[str], *, replica: str) -> None:
        """Copy the file with SQLite's backup API; the copy gets its own replica id."""
        target = Path(target)
        if target.exists():
            target.unlink()
        dest = sqlite3.connect(target)
        try:
            self._raw.backup(dest)
            dest.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('replica', ?)", (replica,)
            )
            dest.execute("DELETE FROM meta WHERE key = 'replica_home'")  # set when opened
            dest.execute("DELETE FROM outbox")
            dest.execute("DELETE FROM meta WHERE key LIKE 'room:%'")
            dest.commit()
        finally:
            dest.close()

    def integrity_check(self) -> str:
        return str(self._raw.execute("PRAGMA integrity_check").fetchone()[0])
