"""The merge rule: replicas that receive the same changes in any order agree exactly."""

from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.export.interchange import export_json
from app.model import edits
from app.model.changes import Change
from app.model.document import Document, new_id

REPLICAS = 5
SCHEDULES = int(os.environ.get("CLD_SCHEDULES", "1000"))


class FakeTime:
    """A shared physical clock; each replica reads it with its own small skew."""

    def __init__(self) -> None:
        self.ms = 1_700_000_000_000

    def reader(self, skew: int):  # noqa: ANN201
        return lambda: self.ms + skew


def _base(doc: Document) -> list[Change]:
    out = []
    for name in ("Acquire", "Onboard"):
        _, e = edits.add_stage(doc, name, stage_id=f"s-{name.lower()}")
        out.append(doc.commit(e))
    for name, kind in (("Touchpoints", "touchpoints"), ("Sales", "team")):
        _, e = edits.add_lane(
            doc, name, kind, lane_id=f"l-{name.lower()}", team=name if kind == "team" else ""
        )
        out.append(doc.commit(e))
    for i in range(3):
        _, e = edits.add_card(
            doc, "l-touchpoints", "s-acquire", title=f"card {i}", card_id=f"c-base{i}"
        )
        out.append(doc.commit(e))
    return out


FIELD_VALUES = {
    "title": st.text(alphabet="abcxyz é漢", max_size=6),
    "notes": st.sampled_from(["", "long note", "ü"]),
    "sentiment": st.one_of(st.none(), st.integers(-2, 2)),
    "duration_hours": st.one_of(
        st.none(), st.floats(0, 100, allow_nan=False).map(lambda f: round(f, 2))
    ),
    "cost": st.one_of(st.none(), st.integers(0, 1000).map(float)),
    "tags": st.lists(st.sampled_from(["vip", "slow", "new"]), max_size=3),
    "kind": st.sampled_from(["note", "step", "decision", "handoff"]),
    "color": st.sampled_from(["", "#ff0000", "#00aa00"]),
}

op_strategy = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 10)),
    st.tuples(
        st.just("set"),
        st.integers(0, 50),
        st.sampled_from(sorted(FIELD_VALUES)).flatmap(
            lambda f: st.tuples(st.just(f), FIELD_VALUES[f])
        ),
    ),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(
        st.just("move"), st.integers(0, 50), st.integers(0, 10), st.booleans(), st.booleans()
    ),
    st.tuples(st.just("reorder"), st.integers(0, 5)),
    st.tuples(st.just("link"), st.integers(0, 50), st.integers(0, 50)),
    st.tuples(st.just("stage"), st.integers(0, 5)),
    st.tuples(st.just("undelete"), st.integers(0, 50)),
)


def _edits_for(doc: Document, op: tuple) -> list:  # noqa: C901
    cards = sorted(c.id for c in doc.entities("card", include_deleted=True))
    live = [c.id for c in doc.cards()]
    lanes = [ln.id for ln in doc.lanes()]
    stages = [s.id for s in doc.stages()]
    kind = op[0]
    if kind == "create" and lanes and stages:
        lane, stage = lanes[op[1] % len(lanes)], stages[op[1] % len(stages)]
        cell = doc.cards_in(lane, stage)
        after = cell[op[1] % len(cell)].id if cell else None
        return edits.add_card(doc, lane, stage, title=f"new {op[1]}", after=after)[1]
    if kind == "set" and cards:
        cid = cards[op[1] % len(cards)]
        field, value = op[2]
        return [("card", cid, field, value)]
    if kind == "delete" and live:
        return edits.delete_cards(doc, [live[op[1] % len(live)]])
    if kind == "undelete" and cards:
        return [("card", cards[op[1] % len(cards)], "deleted", False)]
    if kind == "move" and live and lanes and stages:
        cid = live[op[1] % len(live)]
        lane = lanes[op[2] % len(lanes)] if op[3] else doc.card(cid).lane
        stage = stages[op[2] % len(stages)] if op[4] else doc.card(cid).stage
        return edits.move_cards(doc, [cid], lane, stage)
    if kind == "reorder" and stages:
        return edits.move_stage(doc, stages[op[1] % len(stages)], op[1])
    if kind == "link" and len(live) > 1:
        a, b = live[op[1] % len(live)], live[op[2] % len(live)]
        if a != b:
            return edits.add_link(doc, a, b)[1]
    if kind == "stage":
        return edits.add_stage(
            doc,
            f"stage {op[1]}",
            before=stages[0] if stages and op[1] % 2 else None,
            stage_id=new_id("stage"),
        )[1]
    return []


def _state(doc: Document) -> tuple:
    data = export_json(doc)
    data.pop("name")
    conflicts = [
        (c.entity_type, c.entity_id, c.field, repr(c.value), c.change_id) for c in doc.conflicts()
    ]
    every = {
        e: [x.model_dump() for x in doc.entities(e, include_deleted=True)]
        for e in ("card", "link", "stage")
    }
    return data, conflicts, every


@settings(
    max_examples=SCHEDULES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    ops=st.lists(
        st.tuples(st.integers(0, REPLICAS - 1), op_strategy, st.integers(0, 20)),
        min_size=1,
        max_size=25,
    ),
    skews=st.lists(st.integers(-8000, 8000), min_size=REPLICAS, max_size=REPLICAS),
    seed=st.integers(0, 2**32),
)
def test_replicas_converge_under_random_delivery(ops, skews, seed) -> None:
    """Random edits on 5 replicas, delivered out of order with duplicates, end identical."""
    rng = random.Random(seed)
    time = FakeTime()
    docs = [
        Document.new(":memory:", physical=time.reader(skews[r]), author=f"r{r}")
        for r in range(REPLICAS)
    ]
    try:
        base = _base(docs[0])
        for doc in docs[1:]:
            doc.apply_many(base, origin="remote")
        logs: list[list[Change]] = [[] for _ in range(REPLICAS)]
        for replica, op, tick in ops:
            time.ms += tick
            doc = docs[replica]
            edit_list = _edits_for(doc, op)
            if edit_list:
                logs[replica].append(doc.commit(edit_list))
            # a partial, random delivery between two replicas (reordered, duplicated)
            src, dst = rng.randrange(REPLICAS), rng.randrange(REPLICAS)
            if src != dst and logs[src]:
                sample = rng.sample(logs[src], k=rng.randint(1, len(logs[src])))
                docs[dst].apply_many(sample, origin="remote")
        everything = [c for log in logs for c in log]
        for doc in docs:
            pool = everything + rng.sample(everything, k=len(everything) // 3)
            rng.shuffle(pool)
            for i in range(0, len(pool), 7):
                doc.apply_many(pool[i : i + 7], origin="remote")
        # Skews over 5 s make receivers clamp stamps: a clamped version exists only where it
        # was clamped until the logs are exchanged (as `cld merge` and the sync server do);
        # then every replica takes the lowest stamp of each change.
        stored = [c for doc in docs for _seq, c in doc.store.changes()]
        for doc in docs:
            rng.shuffle(stored)
            doc.apply_many(stored, origin="merge")
        states = [_state(doc) for doc in docs]
        for state in states[1:]:
            assert state == states[0]
    finally:
        for doc in docs:
            doc.close()
