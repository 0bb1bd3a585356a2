"""Changes and the merge rule.

A Change is a set of field writes with one clock stamp. Every field of every entity is a
last-writer-wins register ordered by stamp. A write also names the change ids of the values
its author saw and replaced (``bases``); a displaced value that no write replaced knowingly
is a conflict the user can see and restore. All of it is a function of the set of writes
received, so replicas that received the same changes in any order agree, conflicts included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from app.model.clock import parse_stamp

MAX_WRITES_PER_CHANGE = 50_000


class Write(NamedTuple):
    """One field write: ``(entity_type, entity_id, field, value, bases)``."""

    entity_type: str
    entity_id: str
    field: str
    value: Any
    bases: tuple[str, ...] = ()


class Change(BaseModel):
    """Field writes with one stamp, made by one author on one replica."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}:[0-9]{1,18}$")
    stamp: str = Field(min_length=18, max_length=100)
    author: str = Field(default="", max_length=200)
    writes: tuple[Write, ...] = Field(max_length=MAX_WRITES_PER_CHANGE)

    @property
    def replica(self) -> str:
        return self.id.rsplit(":", 1)[0]

    @property
    def counter(self) -> int:
        return int(self.id.rsplit(":", 1)[1])

    def with_stamp(self, stamp: str) -> Change:
        return self.model_copy(update={"stamp": stamp})

    def check_stamp(self) -> None:
        parse_stamp(self.stamp)

    def entities(self) -> dict[str, set[str]]:
        """The ids this change writes, by entity type."""
        touched: dict[str, set[str]] = {}
        for w in self.writes:
            touched.setdefault(w.entity_type, set()).add(w.entity_id)
        return touched

    def writes_json(self) -> str:
        # NamedTuples encode as JSON arrays
        return json.dumps(self.writes, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def writes_from_json(text: str) -> tuple[Write, ...]:
        return tuple(Write(t, i, f, v, tuple(b)) for t, i, f, v, b in json.loads(text))


class Register(NamedTuple):
    """The winning write of one field: its stamp, change id and the ids it replaced."""

    stamp: str
    change_id: str
    bases: tuple[str, ...]


@dataclass(slots=True)
class Displaced:
    """A write that is not (or no longer) the winner of its field."""

    entity_type: str
    entity_id: str
    field: str
    stamp: str
    change_id: str
    value: Any
    bases: tuple[str, ...]


@dataclass(slots=True)
class Record:
    """The merged state of one entity: field values and their registers."""

    values: dict[str, Any] = field(default_factory=dict)
    registers: dict[str, Register] = field(default_factory=dict)

    def registers_json(self) -> str:
        # Register is a NamedTuple: it encodes as [stamp, change_id, [bases...]]
        return json.dumps(self.registers, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def from_json(data: str, registers: str) -> Record:
        regs = {f: Register(s, c, tuple(b)) for f, (s, c, b) in json.loads(registers).items()}
        return Record(json.loads(data), regs)


def order_key(stamp: str, change_id: str) -> tuple[str, int]:
    """The total order of writes: the stamp, then the change's counter.

    Stamps of one replica are unique, except where a receiver clamped several fast-clock
    changes to the same instant; the author's counter then keeps their own order.
    """
    return stamp, int(change_id.rsplit(":", 1)[1])


def merge_write(
    record: Record, write: Write, stamp: str, change_id: str
) -> tuple[bool, Displaced | None]:
    """Merge one write into ``record``; return (value changed, displaced write or None)."""
    current = record.registers.get(write.field)
    if current is None:
        record.values[write.field] = write.value
        record.registers[write.field] = Register(stamp, change_id, write.bases)
        return True, None
    if current.change_id == change_id:
        return False, None
    if stamp > current.stamp or (
        stamp == current.stamp and order_key(stamp, change_id) > order_key(stamp, current.change_id)
    ):
        old = record.values.get(write.field)
        record.values[write.field] = write.value
        record.registers[write.field] = Register(stamp, change_id, write.bases)
        lost = Displaced(
            write.entity_type,
            write.entity_id,
            write.field,
            current.stamp,
            current.change_id,
            old,
            current.bases,
        )
        return old != write.value, lost
    lost = Displaced(
        write.entity_type, write.entity_id, write.field, stamp, change_id, write.value, write.bases
    )
    return False, lost


def open_conflicts(
    winner_value: Any, winner: Register, displaced: list[Displaced]
) -> list[Displaced]:
    """The displaced values that nobody replaced knowingly and differ from the winner."""
    replaced = set(winner.bases)
    for d in displaced:
        replaced.update(d.bases)
    return [d for d in displaced if d.change_id not in replaced and d.value != winner_value]
