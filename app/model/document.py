"""The Document: one open design, its read API and the one mutation path ``apply``.

Every edit — a gesture, an undo, an import, a remote participant's edit — is a Change
applied here: merged into the state, logged (and put in the outbox when local) in one
transaction, then announced to observers with the ids that changed.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.model.changes import (
    Change,
    Displaced,
    Record,
    Register,
    Write,
    merge_write,
    open_conflicts,
    order_key,
)
from app.model.clock import HybridClock, wall_ms
from app.model.schema import (
    ENTITY_MODELS,
    Card,
    Entity,
    InvalidValue,
    Lane,
    Layer,
    Link,
    Stage,
    Vote,
    build,
    default_fields,
    required_fields,
    validate_field,
)
from app.model.store import DesignFileError, Store

log = logging.getLogger(__name__)

LAYER_ORDER = {Layer.JOURNEY.value: 0, Layer.BLUEPRINT.value: 1, Layer.PROCESS.value: 2}
ID_PREFIX = {
    "stage": "s",
    "lane": "l",
    "card": "c",
    "link": "k",
    "vote": "v",
    "metric": "m",
    "facilitation": "f",
}

#: a write before it is stamped: (entity type, id, field, value)
Edit = tuple[str, str, str, Any]


class ChangeRejected(ValueError):
    """A change that breaks the schema; nothing of it was applied."""


def new_id(entity_type: str) -> str:
    return f"{ID_PREFIX.get(entity_type, 'x')}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class DocumentEvent:
    """What one apply changed: entity ids whose visible state may differ, by type."""

    changes: tuple[Change, ...]
    origin: str
    changed: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def local(self) -> bool:
        return self.origin == "local"

    def ids(self, entity_type: str) -> frozenset[str]:
        return self.changed.get(entity_type, frozenset())


@dataclass(frozen=True)
class Conflict:
    """A value that lost a concurrent write, kept so the user can restore it."""

    entity_type: str
    entity_id: str
    field: str
    value: Any
    current: Any
    change_id: str
    stamp: str
    author: str


class Document:
    """An open design: reads, ``apply`` and observers."""

    def __init__(
        self, store: Store, *, physical: Callable[[], int] = wall_ms, author: str = ""
    ) -> None:
        self.store = store
        self.replica: str = store.meta("replica") or ""
        self.clock = HybridClock(self.replica, physical)
        self.author = author or os.environ.get("USER", "") or "me"
        self._counter = store.next_counter(self.replica)
        self._records: dict[str, dict[str, Record]] = store.load_records()
        for records in self._records.values():
            for rec in records.values():
                for reg in rec.registers.values():
                    self.clock.observe(reg.stamp)
        self._observers: list[Callable[[DocumentEvent], None]] = []
        self._cache: dict[tuple[str, str], Entity] = {}
        # lists and id sets read from the records (alive entities, visible cards...), kept
        # until the next change: layout, analysis and export each ask for them several times
        self._derived: dict[str, Any] = {}
        self._cells: dict[tuple[str, str], list[str]] | None = None
        self._card_cell: dict[str, tuple[str, str]] = {}
        self._dirty_cells: set[tuple[str, str]] = set()

    # -- lifecycle -----------------------------------------------------------------

    @classmethod
    def new(
        cls, path: str | os.PathLike[str], *, name: str = "Untitled design", **kwargs: Any
    ) -> Document:
        return cls(Store.create(path, name=name), **kwargs)

    @classmethod
    def open(cls, path: str | os.PathLike[str], **kwargs: Any) -> Document:
        return cls(Store.open(path), **kwargs)

    def close(self) -> None:
        self.store.close()
        self._observers.clear()

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self.store.path

    @property
    def name(self) -> str:
        return self.store.meta("name") or self.path.stem

    def rename(self, name: str) -> None:
        self.store.set_meta({"name": name})

    def save_as(self, target: str | os.PathLike[str]) -> Path:
        """Copy the design to ``target`` with a new replica id; return its path."""
        target = Path(target)
        if target.resolve() == self.path.resolve():
            raise DesignFileError("Save As needs another file name than the open file's.")
        from app.model.store import new_replica_id

        self.store.backup_to(target, replica=new_replica_id())
        return target

    # -- observers -----------------------------------------------------------------

    def subscribe(self, callback: Callable[[DocumentEvent], None]) -> None:
        self._observers.append(callback)

    def unsubscribe(self, callback: Callable[[DocumentEvent], None]) -> None:
        if callback in self._observers:
            self._observers.remove(callback)

    # -- reading -------------------------------------------------------------------

    def _complete(self, etype: str, rec: Record) -> bool:
        values = rec.values
        return all(f in values for f in required_fields(etype))

    def get(self, entity_type: str, entity_id: str) -> Entity | None:
        """The entity with this id, deleted or not; None if unknown."""
        key = (entity_type, entity_id)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        rec = self._records[entity_type].get(entity_id)
        if rec is None or not self._complete(entity_type, rec):
            return None
        values = default_fields(entity_type)
        values.update(rec.values)
        values["id"] = entity_id
        entity = build(entity_type, values)
        self._cache[key] = entity
        return entity

    def _all(self, entity_type: str) -> list[Any]:
        """Alive entities of one type by id (shared: callers must not change the list)."""
        key = f"all:{entity_type}"
        out = self._derived.get(key)
        if out is None:
            out = []
            # sorted ids: every replica lists the same entities in the same order
            for eid in sorted(self._records[entity_type]):
                e = self.get(entity_type, eid)
                if e is not None and not e.deleted:
                    out.append(e)
            self._derived[key] = out
        return out

    def stages(self) -> list[Stage]:
        """Visible stages, left to right."""
        return sorted(self._all("stage"), key=lambda s: (s.rank, s.id))

    def lanes(self, layer: Layer | str | None = None) -> list[Lane]:
        """Visible lanes, top to bottom (journey, blueprint, process; by rank within)."""
        lanes = self._all("lane")
        if layer is not None:
            lanes = [ln for ln in lanes if ln.layer == Layer(layer).value]
        return sorted(lanes, key=lambda ln: (LAYER_ORDER[ln.layer], ln.rank, ln.id))

    def stage(self, stage_id: str) -> Stage | None:
        return self.get("stage", stage_id)  # type: ignore[return-value]

    def lane(self, lane_id: str) -> Lane | None:
        return self.get("lane", lane_id)  # type: ignore[return-value]

    def card(self, card_id: str) -> Card | None:
        return self.get("card", card_id)  # type: ignore[return-value]

    def link(self, link_id: str) -> Link | None:
        return self.get("link", link_id)  # type: ignore[return-value]

    def is_visible(self, entity_type: str, entity_id: str) -> bool:
        """False for deleted or unknown entities and those under a deleted lane or stage."""
        e = self.get(entity_type, entity_id)
        if e is None or e.deleted:
            return False
        if entity_type == "card":
            assert isinstance(e, Card)
            return self._alive("lane", e.lane) and self._alive("stage", e.stage)
        if entity_type == "link":
            assert isinstance(e, Link)
            return self.is_visible("card", e.source) and self.is_visible("card", e.target)
        if entity_type == "vote":
            assert isinstance(e, Vote)
            return self.is_visible("card", e.card)
        return True

    def _alive(self, entity_type: str, entity_id: str) -> bool:
        e = self.get(entity_type, entity_id)
        return e is not None and not e.deleted

    def _cell_index(self) -> dict[tuple[str, str], list[str]]:
        """Card ids per cell, in order; kept up to date cell by cell as cards change."""
        if self._cells is None:
            self._cells = {}
            self._card_cell = {}
            for eid in self._records["card"]:
                self._place_card(eid)
            self._dirty_cells = set(self._cells)
        if self._dirty_cells:
            for key in self._dirty_cells:
                ids = self._cells.get(key)
                if ids:
                    ids.sort(key=lambda i: (self._records["card"][i].values.get("rank", ""), i))
                else:
                    self._cells.pop(key, None)
            self._dirty_cells = set()
        return self._cells

    def _place_card(self, card_id: str) -> None:
        assert self._cells is not None
        old = self._card_cell.pop(card_id, None)
        if old is not None:
            ids = self._cells.get(old)
            if ids is not None and card_id in ids:
                ids.remove(card_id)
        c = self.card(card_id)
        if c is None or c.deleted:
            return
        key = (c.lane, c.stage)
        self._cells.setdefault(key, []).append(card_id)
        self._card_cell[card_id] = key
        self._dirty_cells.add(key)

    def cards_in(self, lane_id: str, stage_id: str) -> list[Card]:
        """The cards of one cell, in order (empty if the lane or stage is gone)."""
        if not (self._alive("lane", lane_id) and self._alive("stage", stage_id)):
            return []
        return [self.card(i) for i in self._cell_index().get((lane_id, stage_id), [])]  # type: ignore[misc]

    def cards(self) -> list[Card]:
        """Every visible card."""
        return list(self._visible_cards())

    def _visible_cards(self) -> list[Card]:
        out = self._derived.get("cards")
        if out is None:
            lanes, stages = self._alive_ids("lane"), self._alive_ids("stage")
            out = [c for c in self._all("card") if c.lane in lanes and c.stage in stages]
            self._derived["cards"] = out
        return out  # type: ignore[no-any-return]

    def _alive_ids(self, entity_type: str) -> set[str]:
        return {e.id for e in self._all(entity_type)}

    def _visible_card_ids(self) -> set[str]:
        ids = self._derived.get("card_ids")
        if ids is None:
            ids = self._derived["card_ids"] = {c.id for c in self._visible_cards()}
        return ids  # type: ignore[no-any-return]

    def links(self) -> list[Link]:
        """Every visible link."""
        visible = self._visible_card_ids()
        return [k for k in self._all("link") if k.source in visible and k.target in visible]  # type: ignore[attr-defined]

    def votes(self, card_id: str | None = None) -> list[Vote]:
        """Visible votes, of one card or of all."""
        if card_id is not None:
            if not self.is_visible("card", card_id):
                return []
            return [v for v in self._all("vote") if v.card == card_id]  # type: ignore[attr-defined]
        visible = self._visible_card_ids()
        return [v for v in self._all("vote") if v.card in visible]  # type: ignore[attr-defined]

    def entities(self, entity_type: str, *, include_deleted: bool = False) -> list[Entity]:
        """All known entities of one type, for exports and merges."""
        out = []
        for eid in sorted(self._records[entity_type]):
            e = self.get(entity_type, eid)
            if e is not None and (include_deleted or not e.deleted):
                out.append(e)
        return out

    # -- changes -------------------------------------------------------------------

    def new_change(self, edits: Iterable[Edit], *, author: str | None = None) -> Change:
        """Stamp local edits as a Change: validate values and name the writes they replace."""
        writes = []
        for etype, eid, fname, value in edits:
            value = validate_field(etype, eid, fname, value)
            rec = self._records.get(etype, {}).get(eid)
            reg = rec.registers.get(fname) if rec else None
            writes.append(Write(etype, eid, fname, value, (reg.change_id,) if reg else ()))
        change = Change.model_construct(
            id=f"{self.replica}:{self._counter}",
            stamp=self.clock.now(),
            author=self.author if author is None else author,
            writes=tuple(writes),
        )
        self._counter += 1
        return change

    def commit(self, edits: Iterable[Edit]) -> Change:
        """Make a local Change from edits and apply it; return it."""
        change = self.new_change(edits)
        if change.writes:
            self.apply(change)
        return change

    def inverse(self, edits: Iterable[Edit]) -> list[Edit]:
        """The edits that put back what ``edits`` would overwrite (for undo)."""
        inverse: list[Edit] = []
        created: set[tuple[str, str]] = set()
        for etype, eid, fname, _value in edits:
            rec = self._records.get(etype, {}).get(eid)
            if rec is None or not self._complete(etype, rec):
                if (etype, eid) not in created:
                    created.add((etype, eid))
                    inverse.append((etype, eid, "deleted", True))
                continue
            if fname in rec.values:
                inverse.append((etype, eid, fname, rec.values[fname]))
            else:
                inverse.append((etype, eid, fname, default_fields(etype).get(fname)))
        # undo of a creation may also restore fields; deletions of new entities go last
        return inverse

    def written_at(self, entity_type: str, entity_id: str, field: str) -> tuple[str, str]:
        """(stamp, change id) of the write a field holds now; ("", "") if never written.

        The same on every replica that has the same changes: an order all of them agree on.
        """
        rec = self._records.get(entity_type, {}).get(entity_id)
        reg = rec.registers.get(field) if rec else None
        return (reg.stamp, reg.change_id) if reg else ("", "")

    def still_ours(self, edits: Iterable[Edit], change_id: str) -> list[Edit]:
        """The edits whose fields still hold what Change ``change_id`` wrote.

        Undo and redo go through this: a field someone else has written since keeps their
        value, so undo in a workshop never takes back another participant's edit.
        """
        out: list[Edit] = []
        for edit in edits:
            rec = self._records.get(edit[0], {}).get(edit[1])
            reg = rec.registers.get(edit[2]) if rec else None
            if reg is None or reg.change_id == change_id:
                out.append(edit)
        return out

    def _check(self, change: Change, *, stamp_only: bool = False) -> Change:
        """Validate a change from elsewhere; raise ChangeRejected naming the first bad write.

        A change already in the log was validated when it arrived: only its stamp (which
        may come back lower, clamped elsewhere) needs a look.
        """
        try:
            change.check_stamp()
            if stamp_only:
                return change
            writes = []
            for w in change.writes:
                if not isinstance(w.entity_id, str) or not 0 < len(w.entity_id) <= 100:
                    raise ValueError(
                        f"entity id {str(w.entity_id)[:40]!r} must be 1 to 100 characters"
                    )
                value = validate_field(w.entity_type, w.entity_id, w.field, w.value)
                writes.append(w if value is w.value else w._replace(value=value))
        except (InvalidValue, ValueError) as exc:
            raise ChangeRejected(f"change {change.id} refused: {exc}") from None
        return (
            change
            if writes == list(change.writes)
            else change.model_copy(update={"writes": tuple(writes)})
        )

    def apply(self, change: Change, *, origin: str = "local") -> DocumentEvent:
        """Merge one change, write it in one transaction and notify observers."""
        return self.apply_many([change], origin=origin)

    def apply_many(self, changes: Sequence[Change], *, origin: str = "remote") -> DocumentEvent:
        """Merge changes from one source in one transaction and one notification.

        ``origin`` is "local" (made here: goes to the outbox), "remote" or "merge".
        Known change ids are skipped, unless they arrive with a lower (clamped) stamp.
        """
        local = origin == "local"
        # merged changes go to the outbox too, so a workshop server gets them on next sync
        to_outbox = origin in ("local", "merge")
        # a local change has a fresh id from our own counter: no need to look it up
        known = (
            self.store.known_change_ids(c.id for c in changes) if changes and not local else set()
        )
        if not local:
            changes = [self._check(c, stamp_only=c.id in known) for c in changes]
            # one version of each change: the lowest stamp (versions clamped elsewhere)
            lowest: dict[str, Change] = {}
            for c in changes:
                if c.id not in lowest or c.stamp < lowest[c.id].stamp:
                    lowest[c.id] = c
            changes = list(lowest.values())
        touched: dict[str, set[str]] = {}
        changed: dict[str, set[str]] = {}
        displaced: list[Displaced] = []
        accepted: list[Change] = []
        restamps: list[Change] = []
        all_records = self._records
        for change in changes:
            if not local:
                stamp = self.clock.clamp(change.stamp)
                if stamp != change.stamp:
                    change = change.with_stamp(stamp)
                self.clock.observe(stamp)
            if change.id in known:
                restamps.append(change)
                continue
            accepted.append(change)
            stamp, cid = change.stamp, change.id
            for w in change.writes:
                etype, eid = w.entity_type, w.entity_id
                records = all_records[etype]
                rec = records.get(eid)
                if rec is None:
                    rec = records[eid] = Record()
                did_change, lost = merge_write(rec, w, stamp, cid)
                ids = touched.get(etype)
                if ids is None:
                    ids = touched[etype] = set()
                ids.add(eid)
                if lost is not None:
                    displaced.append(lost)
                if did_change:
                    changed.setdefault(etype, set()).add(eid)
        if accepted:
            self.store.commit_changes(
                accepted, self._records, touched, displaced, origin=origin, outbox=to_outbox
            )
        # after the new changes are stored: a restamp re-reads the displaced writes
        for change in restamps:
            self._maybe_restamp(change, changed)
        return self._notify(tuple(accepted), origin, changed)

    def _maybe_restamp(self, change: Change, changed: dict[str, set[str]]) -> None:
        """A known change came back with a lower stamp (clamped elsewhere): take the lower."""
        stored = self.store.change_stamp(change.id)
        if stored is None or change.stamp >= stored:
            return
        touched: dict[str, set[str]] = {}
        put: list[Displaced] = []
        drop: list[Displaced] = []
        if any(w.entity_id not in self._records.get(w.entity_type, {}) for w in change.writes):
            # not the change stored under this id: two files shared a replica (a copy
            # opened before copies got ids of their own); keep the stored one
            log.warning("change %s arrived with other writes than the stored one", change.id)
            return
        for w in change.writes:
            rec = self._records[w.entity_type][w.entity_id]
            reg = rec.registers.get(w.field)
            rows = self.store.displaced(w.entity_type, w.entity_id, w.field)
            touched.setdefault(w.entity_type, set()).add(w.entity_id)
            if reg is not None and reg.change_id == change.id:
                mine = order_key(change.stamp, change.id)
                best = max(
                    (d for d in rows if order_key(d.stamp, d.change_id) > mine),
                    key=lambda d: order_key(d.stamp, d.change_id),
                    default=None,
                )
                if best is None:
                    rec.registers[w.field] = Register(change.stamp, change.id, reg.bases)
                    continue
                # a displaced write now wins; this change's write is displaced
                put.append(
                    Displaced(
                        w.entity_type,
                        w.entity_id,
                        w.field,
                        change.stamp,
                        change.id,
                        rec.values.get(w.field),
                        reg.bases,
                    )
                )
                drop.append(best)
                rec.values[w.field] = best.value
                rec.registers[w.field] = Register(best.stamp, best.change_id, best.bases)
                changed.setdefault(w.entity_type, set()).add(w.entity_id)
            else:
                for d in rows:
                    if d.change_id == change.id:
                        drop.append(d)
                        put.append(
                            Displaced(
                                d.entity_type,
                                d.entity_id,
                                d.field,
                                change.stamp,
                                d.change_id,
                                d.value,
                                d.bases,
                            )
                        )
        self.store.restamp(change.id, change.stamp, self._records, touched, put, drop)

    def _notify(
        self, changes: tuple[Change, ...], origin: str, changed: dict[str, set[str]]
    ) -> DocumentEvent:
        if changed:
            self._cache_invalidate(changed)
        event = DocumentEvent(changes, origin, {k: frozenset(v) for k, v in changed.items()})
        if changes or changed:
            for callback in list(self._observers):
                callback(event)
        return event

    def _cache_invalidate(self, changed: dict[str, set[str]]) -> None:
        self._derived.clear()
        for etype, ids in changed.items():
            for eid in ids:
                self._cache.pop((etype, eid), None)
        if self._cells is not None:
            for card_id in changed.get("card", ()):
                self._place_card(card_id)

    # -- conflicts -----------------------------------------------------------------

    def conflicts(
        self, entity_type: str | None = None, entity_id: str | None = None
    ) -> list[Conflict]:
        """Values that lost a concurrent write and nobody replaced knowingly, oldest first."""
        by_field: dict[tuple[str, str, str], list[Displaced]] = {}
        for d in self.store.displaced(entity_type, entity_id):
            by_field.setdefault((d.entity_type, d.entity_id, d.field), []).append(d)
        authors = self.store.change_authors(
            {d.change_id for rows in by_field.values() for d in rows}
        )
        out: list[Conflict] = []
        for (etype, eid, fname), rows in by_field.items():
            rec = self._records[etype].get(eid)
            if rec is None or fname not in rec.registers:
                continue
            current = rec.values.get(fname)
            for d in open_conflicts(current, rec.registers[fname], rows):
                out.append(
                    Conflict(
                        etype,
                        eid,
                        fname,
                        d.value,
                        current,
                        d.change_id,
                        d.stamp,
                        authors.get(d.change_id, ""),
                    )
                )
        out.sort(key=lambda c: (c.stamp, c.entity_type, c.entity_id, c.field))
        return out

    def resolve(self, conflict: Conflict, *, restore: bool) -> Change:
        """Restore a lost value, or dismiss it keeping the current one; either closes it."""
        value = conflict.value if restore else conflict.current
        change = self.new_change(
            [(conflict.entity_type, conflict.entity_id, conflict.field, value)]
        )
        w = change.writes[0]
        w = w._replace(bases=tuple(dict.fromkeys(w.bases + (conflict.change_id,))))
        change = change.model_copy(update={"writes": (w,)})
        self.apply(change)
        return change

    # -- summaries -----------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Counts for `cld info`: stages, lanes and cards per layer, links."""
        lanes = self.lanes()
        layer_of = {ln.id: ln.layer for ln in lanes}
        cards_per_layer = {layer.value: 0 for layer in Layer}
        for c in self.cards():
            cards_per_layer[layer_of[c.lane]] += 1
        lanes_per_layer = {layer.value: 0 for layer in Layer}
        for ln in lanes:
            lanes_per_layer[ln.layer] += 1
        last = self.store.last_change()
        return {
            "name": self.name,
            "file": str(self.path),
            "stages": len(self.stages()),
            "lanes": lanes_per_layer,
            "cards": cards_per_layer,
            "links": len(self.links()),
            "votes": len(self.votes()),
            "changes": self.store.change_count(),
            "unsent": self.store.outbox_count(),
            "conflicts": len(self.conflicts()),
            "last_change": last[0] if last else None,
        }


__all__ = [
    "ENTITY_MODELS",
    "ChangeRejected",
    "Conflict",
    "Document",
    "DocumentEvent",
    "DesignFileError",
    "Edit",
    "new_id",
]
