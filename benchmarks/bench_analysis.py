"""Benchmark of the lifecycle analysis on a generated 5,000-card, 5,000-link design.

Prints the figures, then as the last line one JSON object:
``analysis_s`` (the full ``analyze(doc)``: snapshot of the visible board plus every finding)
and ``ratio_vs_betweenness`` (analysis_s divided by networkx's exact betweenness centrality
alone on the same process graph, measured in the same run).

Run: /work/venv/bin/python benchmarks/bench_analysis.py [--cards 5000] [--links 5000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.model import edits  # noqa: E402
from app.model.analysis import _Graph, _process_graph, analyze, analyze_board, snapshot  # noqa: E402
from app.model.document import Document  # noqa: E402

STAGES = ("Acquire", "Onboard", "Adopt", "Expand", "Renew", "Advocate", "Win back", "Offboard")
JOURNEY = ("actions", "touchpoints", "emotions", "pain_points", "opportunities")
BLUEPRINT = ("evidence", "customer_actions", "frontstage", "backstage", "support", "systems")
TEAMS = ("Sales", "Customer Success", "Professional Services", "Partners", "Support", "Product",
         "Marketing")  # fmt: skip


def generate(path: Path, n_cards: int, n_links: int, seed: int = 6) -> Document:
    """A design with 40% process cards and links like a real board's (see the comments)."""
    rng = random.Random(seed)
    doc = Document.new(path, name="Generated")
    structure: list[tuple[str, str, str, object]] = []
    stages = []
    for i, name in enumerate(STAGES):
        sid, e = edits.add_stage(doc, name, stage_id=f"s{i}", rank=f"a{i}")
        stages.append(sid)
        structure += e
    lanes: dict[str, list[str]] = {"journey": [], "blueprint": [], "process": []}
    n = 0
    for layer, kinds in (("journey", JOURNEY), ("blueprint", BLUEPRINT)):
        for kind in kinds:
            lid, e = edits.add_lane(doc, kind.title(), kind, lane_id=f"l{n}")
            lanes[layer].append(lid)
            structure += e
            n += 1
    for team in TEAMS:
        lid, e = edits.add_lane(doc, team, "team", lane_id=f"l{n}", team=team)
        lanes["process"].append(lid)
        structure += e
        n += 1
    doc.commit(structure)
    kind_of = {f"l{i}": k for i, k in enumerate(JOURNEY + BLUEPRINT)}

    cards: dict[str, list[str]] = {"process": [], "front": [], "back": [], "journey": []}
    stage_of: dict[str, int] = {}
    card_edits = []
    for i in range(n_cards):
        layer = rng.choices(("journey", "blueprint", "process"), weights=(3, 3, 4))[0]
        lane = rng.choice(lanes[layer])
        s = rng.randrange(len(stages))
        cid = f"c{i:05d}"
        fields: dict[str, object] = {"title": f"Card {i}", "rank": f"a{i:05d}"}
        if layer == "process":
            fields.update(kind="step", duration_hours=round(rng.lognormvariate(1.0, 0.9), 1))
            cards["process"].append(cid)
        elif kind_of[lane] in ("backstage", "support", "systems"):
            cards["back"].append(cid)
        elif kind_of[lane] in ("touchpoints", "frontstage"):
            cards["front"].append(cid)
        else:
            cards["journey"].append(cid)
        stage_of[cid] = s
        card_edits += edits.add_card(doc, lane, stages[s], card_id=cid, **fields)[1]
    doc.commit(card_edits)

    # process flow mostly forward (same or a later stage, in a fixed order so it stays a DAG),
    # 3% loop-backs to an earlier stage; support links from the back to the front; the rest
    # joins journey cards
    process = sorted(cards["process"], key=lambda c: (stage_of[c], c))
    position = {c: i for i, c in enumerate(process)}
    link_edits = []
    seen: set[tuple[str, str]] = set()
    while len(seen) < n_links:
        roll = rng.random()
        if roll < 0.45:
            a = rng.choice(process)
            later = process[position[a] + 1 : position[a] + 60]
            if not later:
                continue
            pair = (a, rng.choice(later))
        elif roll < 0.48:
            a, b = rng.sample(process, 2)
            if stage_of[a] <= stage_of[b]:
                continue
            pair = (a, b)  # a loop-back
        elif roll < 0.80:
            pair = (rng.choice(cards["back"] + cards["process"]), rng.choice(cards["front"]))
        else:
            pair = tuple(rng.sample(cards["journey"] + cards["front"], 2))  # type: ignore[assignment]
        if pair in seen:
            continue
        seen.add(pair)
        kind = "supports" if 0.48 <= roll < 0.80 else None
        link_edits += edits.add_link(doc, *pair, kind=kind, link_id=f"k{len(seen):05d}")[1]
    doc.commit(link_edits)
    return doc


def best_of(runs: int, fn: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--links", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        doc = generate(Path(tmp) / "bench.cld", args.cards, args.links)
        print(
            f"generated {args.cards} cards, {args.links} links in {time.perf_counter() - start:.1f} s"
        )
        try:
            result = analyze(doc)
            board = snapshot(doc)
            process = _process_graph(_Graph(board))
            print(
                f"process graph: {process.number_of_nodes()} cards, {process.number_of_edges()} links;"
                f" {len(result.cycles)} cycles listed; critical path {len(result.critical_path.cards)}"
                f" cards, {result.critical_path.hours} h; betweenness sampled from"
                f" {result.betweenness_samples or 'all'} sources"
            )
            snapshot_s = best_of(args.runs, lambda: snapshot(doc))
            board_s = best_of(args.runs, lambda: analyze_board(board))
            analysis_s = best_of(args.runs, lambda: analyze(doc))
            exact_s = best_of(1, lambda: nx.betweenness_centrality(process))
            exact_analysis_s = best_of(1, lambda: analyze_board(board, exact_betweenness=True))
        finally:
            doc.close()
    print(f"snapshot of the board:         {snapshot_s:.3f} s")
    print(f"analysis of the snapshot:      {board_s:.3f} s")
    print(f"analyze(doc), both:            {analysis_s:.3f} s (best of {args.runs})")
    print(f"exact betweenness alone:       {exact_s:.3f} s")
    print(f"analysis with exact betweenness: {exact_analysis_s:.3f} s (not what the app runs)")
    print(json.dumps({"analysis_s": round(analysis_s, 3),
                      "ratio_vs_betweenness": round(analysis_s / exact_s, 3)}))  # fmt: skip


if __name__ == "__main__":
    main()
