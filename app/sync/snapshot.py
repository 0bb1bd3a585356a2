"""A newcomer's board: the room's merged state expressed as changes.

Every field register names the change that wrote its value and that change's stamp; every
displaced write (a value that lost) is kept with its own. Grouping all of them by change id
gives changes that, applied to an empty file, rebuild the same values, the same registers
and the same kept conflicts as replaying the whole room log, read in one pass over the
state instead of the log. What is not kept is the log's order, which the merge rule does
not depend on.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.model.changes import Change, Write
from app.model.document import Document
from app.sync import protocol as p

#: bytes of serialized changes per catch-up or snapshot message
CHUNK_BYTES = 1024 * 1024


def snapshot_changes(doc: Document) -> list[str]:
    """The Document's state as serialized Changes, oldest stamp first."""
    store = doc.store
    grouped: dict[str, tuple[str, list[Write]]] = {}
    for etype, records in store.load_records().items():
        for eid, rec in records.items():
            for fname, reg in rec.registers.items():
                entry = grouped.setdefault(reg.change_id, (reg.stamp, []))
                entry[1].append(Write(etype, eid, fname, rec.values.get(fname), reg.bases))
    for d in store.displaced():
        entry = grouped.setdefault(d.change_id, (d.stamp, []))
        entry[1].append(Write(d.entity_type, d.entity_id, d.field, d.value, d.bases))
    authors = store.change_authors(grouped)
    out = []
    for cid, (stamp, writes) in sorted(grouped.items(), key=lambda kv: kv[1][0]):
        change = Change.model_construct(
            id=cid, stamp=stamp, author=authors.get(cid, ""), writes=tuple(writes)
        )
        out.append(p.change_json(change))
    return out


def chunks(texts: Sequence[str]) -> list[tuple[list[str], bool]]:
    """Serialized changes in message-sized chunks, each with "is the last" (never empty)."""
    chunks: list[list[str]] = [[]]
    size = 0
    for text in texts:
        if chunks[-1] and (len(chunks[-1]) >= p.CATCHUP_CHUNK or size + len(text) > CHUNK_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(text)
        size += len(text)
    return [(chunk, i == len(chunks) - 1) for i, chunk in enumerate(chunks)]
