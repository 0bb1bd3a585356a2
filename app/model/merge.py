"""Merging two copies of a design: one file takes in the other's change log."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from app.model.changes import Change
from app.model.document import Document
from app.model.store import probe

BATCH = 2_000


@dataclass(frozen=True)
class MergeResult:
    offered: int
    new_changes: int
    conflicts: int


def read_change_log(path: Path) -> list[Change]:
    """Every change in a design file's log, read without writing to the file."""
    probe(path)
    con = sqlite3.connect(f"file:{path.resolve().as_posix()}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT id, stamp, author, writes FROM changes ORDER BY seq").fetchall()
    finally:
        con.close()
    return [
        Change.model_construct(id=i, stamp=s, author=a, writes=Change.writes_from_json(w))
        for i, s, a, w in rows
    ]


def merge_into(doc: Document, changes: list[Change]) -> MergeResult:
    """Apply another copy's changes to ``doc``; count the new ones and the conflicts they add."""
    before = len(doc.conflicts())
    new = 0
    for start in range(0, len(changes), BATCH):
        event = doc.apply_many(changes[start : start + BATCH], origin="merge")
        new += len(event.changes)
    return MergeResult(len(changes), new, len(doc.conflicts()) - before)


def merge_files(path: Path, other: Path) -> MergeResult:
    """Merge OTHER's change log into the design file at ``path``; OTHER is only read."""
    changes = read_change_log(other)
    with Document.open(path) as doc:
        if (
            doc.replica
            and any(c.replica == doc.replica for c in changes[:1])
            and other.resolve() == path.resolve()
        ):
            return MergeResult(len(changes), 0, 0)
        return merge_into(doc, changes)
