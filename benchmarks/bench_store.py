"""Store throughput and open time (issue 2).

Prints the figures and, last, one JSON line:
  writes_per_s          100,000 field writes applied as Changes of 100 writes into a new file
  ratio_vs_core_insert  that rate / SQLAlchemy Core executemany of as many rows, same run
  open_5k_s             opening a 5,000-card, 5,000-link design into a Document
Run: python benchmarks/bench_store.py  (each rate is the best of three interleaved runs)
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, insert

from app.model import edits
from app.model.document import Document
from app.model.ranks import keys_after

WRITES = 100_000
PER_CHANGE = 100


def card_writes(lane: str, stage: str, count: int) -> list[tuple]:
    out = []
    ranks = keys_after(None, count)
    for i in range(count):
        cid = f"c-{i:06d}"
        out += [
            ("card", cid, "lane", lane),
            ("card", cid, "stage", stage),
            ("card", cid, "rank", ranks[i]),
            ("card", cid, "title", f"Card number {i}"),
            ("card", cid, "notes", "Some notes " * 3),
            ("card", cid, "kind", "step"),
            ("card", cid, "channel", "Email"),
            ("card", cid, "sentiment", i % 5 - 2),
            ("card", cid, "owner", "CSM"),
            ("card", cid, "duration_hours", float(i % 40)),
            ("card", cid, "cost", 10.0),
            ("card", cid, "tags", ["a", "b"]),
            ("card", cid, "color", ""),
            ("card", cid, "deleted", False),
        ]
    return out


def bench_writes(folder: Path) -> float:
    doc = Document.new(folder / "writes.cld")
    sid, e = edits.add_stage(doc, "Onboard")
    doc.commit(e)
    lid, e = edits.add_lane(doc, "CS", "team", team="Customer Success")
    doc.commit(e)
    writes = card_writes(lid, sid, WRITES // 14 + 1)[:WRITES]
    start = time.perf_counter()
    for i in range(0, WRITES, PER_CHANGE):
        doc.commit(writes[i : i + PER_CHANGE])
    elapsed = time.perf_counter() - start
    assert doc.store.change_count() == WRITES // PER_CHANGE + 2
    doc.close()
    return WRITES / elapsed


def bench_core_insert(folder: Path) -> float:
    engine = create_engine(f"sqlite:///{folder / 'core.db'}")
    meta = MetaData()
    table = Table(
        "writes",
        meta,
        Column("seq", Integer, primary_key=True),
        Column("entity_type", String),
        Column("entity_id", String),
        Column("field", String),
        Column("value", Text),
        Column("stamp", String),
    )
    meta.create_all(engine)
    rows = [
        {
            "entity_type": "card",
            "entity_id": f"c-{i // 14:06d}",
            "field": f"f{i % 14}",
            "value": json.dumps(f"value {i}"),
            "stamp": f"{i:016x}@replica",
        }
        for i in range(WRITES)
    ]
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
        conn.commit()
        start = time.perf_counter()
        conn.execute(insert(table), rows)
        conn.commit()
        elapsed = time.perf_counter() - start
    engine.dispose()
    return WRITES / elapsed


def make_5k(path: Path) -> None:
    rng = random.Random(7)
    doc = Document.new(path, name="5k")
    stages = []
    for i in range(12):
        sid, e = edits.add_stage(doc, f"Stage {i}")
        doc.commit(e)
        stages.append(sid)
    lanes = []
    for kind in (
        "actions",
        "touchpoints",
        "emotions",
        "pain_points",
        "opportunities",
        "evidence",
        "customer_actions",
        "frontstage",
        "backstage",
        "support",
        "systems",
    ):
        lid, e = edits.add_lane(doc, kind.title(), kind)
        doc.commit(e)
        lanes.append(lid)
    for team in ("Sales", "Customer Success", "Professional Services", "Partners", "Support"):
        lid, e = edits.add_lane(doc, team, "team", team=team)
        doc.commit(e)
        lanes.append(lid)
    cells: dict[tuple[str, str], list[tuple]] = {}
    for i in range(5000):
        cells.setdefault((rng.choice(lanes), rng.choice(stages)), []).append(i)
    batch = []
    for (lane, stage), ids in cells.items():
        ranks = keys_after(None, len(ids))
        for rank, i in zip(ranks, ids, strict=True):
            cid = f"c-{i:05d}"
            batch += [
                ("card", cid, f, v)
                for f, v in (
                    ("lane", lane),
                    ("stage", stage),
                    ("rank", rank),
                    ("title", f"Card {i}"),
                    ("kind", "step"),
                    ("sentiment", i % 5 - 2),
                    ("duration_hours", float(i % 30)),
                    ("owner", "CSM"),
                    ("deleted", False),
                )
            ]
    doc.commit(batch)
    links = []
    for i in range(5000):
        a, b = rng.randrange(5000), rng.randrange(5000)
        kid = f"k-{i:05d}"
        links += [
            ("link", kid, "source", f"c-{a:05d}"),
            ("link", kid, "target", f"c-{b:05d}"),
            ("link", kid, "kind", "flow"),
            ("link", kid, "label", ""),
            ("link", kid, "deleted", False),
        ]
    doc.commit(links)
    doc.close()


def bench_open(folder: Path) -> tuple[float, float]:
    path = folder / "5k.cld"
    make_5k(path)
    best_open, best_read = float("inf"), float("inf")
    for _ in range(3):
        start = time.perf_counter()
        doc = Document.open(path)
        opened = time.perf_counter() - start
        cards = [c for ln in doc.lanes() for s in doc.stages() for c in doc.cards_in(ln.id, s.id)]
        links = doc.links()
        read = time.perf_counter() - start
        assert len(cards) == 5000 and len(links) == 5000
        doc.close()
        best_open, best_read = min(best_open, opened), min(best_read, read)
    return best_open, best_read


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # interleaved, best of three each: the machine is shared, so a burst of load
        # elsewhere should not land on one side of the ratio only
        writes, core = 0.0, 0.0
        for run in range(3):
            run_dir = folder / f"run{run}"
            run_dir.mkdir()
            writes = max(writes, bench_writes(run_dir))
            core = max(core, bench_core_insert(run_dir))
        open_s, read_s = bench_open(folder)
    result = {
        "writes_per_s": round(writes),
        "core_insert_rows_per_s": round(core),
        "ratio_vs_core_insert": round(writes / core, 3),
        "open_5k_s": round(open_s, 3),
        "open_and_read_5k_s": round(read_s, 3),
    }
    print(f"field writes applied as changes: {writes:,.0f}/s")
    print(f"SQLAlchemy Core executemany:     {core:,.0f} rows/s")
    print(
        f"open 5k cards + 5k links:        {open_s:.3f} s (with all cards and links read: {read_s:.3f} s)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
