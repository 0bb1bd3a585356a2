"""`cld analyze FILE [--json]`, and `cld import FILE metrics.csv` for measured metrics.

The card CSV import of the core CLI keeps working: a CSV whose header has the columns
target, metric, value and date is read as metrics, any other CSV goes to the importer that
was registered for ".csv" before this module.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.model.analysis import HEADINGS, KEYS, Analysis, Board, analyze_board, findings, snapshot
from app.model.metrics import (
    COLUMNS,
    MetricsCsvError,
    import_metrics,
    is_metrics_header,
    read_header,
)
from app.model.text import plural


def register(subparsers: Any) -> None:
    """Add `cld analyze` and the metrics CSV import."""
    from app.cli import IMPORTERS

    p = subparsers.add_parser(
        "analyze",
        help="find alignment gaps, hand-offs, bottlenecks and the critical path",
        description="Analyse a design: touchpoints with nothing behind them, back-stage work no "
        "customer feels, hand-offs between teams, cycles, the critical path, stage cycle "
        "times, bottlenecks, coverage per stage and pain points without an opportunity.",
    )
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_analyze)

    previous = IMPORTERS.get(".csv")
    if getattr(previous, "handles_metrics", False):
        return  # already wrapped (the parser was built before in this process)

    def import_csv(doc: Any, source: Path, args: argparse.Namespace) -> str | None:
        try:
            header = read_header(source)
        except UnicodeDecodeError:
            header = []
        if is_metrics_header(header):
            return cli_import_metrics(doc, source, args)
        names = {h.strip().casefold() for h in header}
        if names & {"metric", "target"}:  # no card CSV column is called either
            missing = [c for c in COLUMNS if c not in names]
            raise _user_error(
                f"{source.name} looks like a metrics CSV but has no {', '.join(missing)} "
                f"column: its first row must name {', '.join(COLUMNS)}"
            )
        if previous is None:
            raise _user_error(
                f"{source.name} is not a metrics CSV: its first row must name the columns "
                f"{', '.join(COLUMNS)}"
            )
        return previous(doc, source, args)

    import_csv.handles_metrics = True  # type: ignore[attr-defined]
    IMPORTERS[".csv"] = import_csv


def _user_error(message: str) -> Exception:
    from app.cli import UserError

    return UserError(message)


def cli_import_metrics(doc: Any, source: Path, args: argparse.Namespace) -> str:
    """Import a metrics CSV; a bad row is a user error listing every bad row."""
    try:
        result = import_metrics(doc, source)
    except MetricsCsvError as exc:
        raise _user_error(str(exc)) from None
    if result.changed == 0:
        return f"{source.name}: all {result.rows} measurements were already in {doc.path.name}"
    return (
        f"imported {result.changed} new or changed measurements of {result.rows} "
        f"from {source.name} into {doc.path.name}"
    )


def cmd_analyze(args: argparse.Namespace) -> int:
    from app.cli import open_document

    with open_document(args.file) as doc:
        board = snapshot(doc)
        name = doc.name
    result = analyze_board(board)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        print(report(result, board, name=name))
    return 0


# -- the readable report -------------------------------------------------------------


def report(analysis: Analysis, board: Board, *, name: str = "") -> str:
    """The analysis in words, grouped by finding, with card titles and stage names."""
    stage_names = {s.id: s.name for s in board.stages}
    lines = [
        f"Analysis of {name or 'the design'}: {plural(len(board.stages), 'stage')}, "
        f"{plural(len(board.cards), 'card')}, {plural(len(board.links), 'link')}",
    ]
    items: dict[str, list[str]] = {k: [] for k in KEYS}
    for f in findings(analysis, board):
        items[f.kind].append(f.text)

    def section(
        kind: str, count: str, body: list[str], *, good: str = "", numbered: bool = False
    ) -> None:
        heading, explanation = HEADINGS[kind]
        lines.append("")
        lines.append(f"{heading}: {count}")
        lines.append(f"  ({explanation})")
        lines.extend(
            f"  {'' if text[:3].strip().rstrip('.').isdigit() else '- '}{text}" for text in body
        )
        if not body and good:
            lines.append(f"  {good}")

    n = len(analysis.unsupported_touchpoints)
    section(
        "unsupported_touchpoints",
        str(n),
        items["unsupported_touchpoints"],
        good="Every touchpoint has something behind it.",
    )
    n = len(analysis.orphan_backstage)
    section(
        "orphan_backstage",
        str(n),
        items["orphan_backstage"],
        good="All back-stage and process work reaches the customer.",
    )
    h = analysis.handoffs
    body = list(items["handoffs"])
    per_stage = [f"{stage_names.get(s, s)} {c}" for s, c in h.by_stage.items() if c]
    if per_stage:
        body.append("by stage of the receiving card: " + ", ".join(per_stage))
    section("handoffs", str(h.total), body, good="No work passes between teams.")
    more = f" (the first {len(analysis.cycles)} shown)" if analysis.cycles_truncated else ""
    section(
        "cycles",
        f"{len(analysis.cycles)}{more}",
        items["cycles"],
        good="No process step loops back on itself.",
    )
    path = analysis.critical_path
    count = f"{path.hours:g} h over {plural(len(path.cards), 'step')}" if path.cards else "none"
    body = items["critical_path"]
    if path.cards:
        cards = {c.id: c for c in board.cards}
        lanes = {ln.id: ln.name for ln in board.lanes}
        body = []
        for i, cid in enumerate(path.cards, start=1):
            card = cards[cid]
            where = f"{stage_names.get(card.stage, '?')} · {lanes.get(card.lane, '?')}"
            hours = card.duration_hours or 0.0
            body.append(f"{i:>2}. {card.title or cid} ({where}, {hours:g} h)")
    section(
        "critical_path",
        count,
        body,
        good="There are no process steps joined by flow or hand-off links.",
        numbered=bool(path.cards),
    )
    timed = {s: h for s, h in analysis.stage_cycle_hours.items() if h}
    slowest = max(timed, key=timed.__getitem__, default=None)
    count = (
        f"slowest {stage_names.get(slowest, slowest)}, {timed[slowest]:g} h" if slowest else "none"
    )
    section("stage_cycle_hours", count, items["stage_cycle_hours"], good="There are no stages.")
    if analysis.betweenness_samples:
        items["bottlenecks"].append(
            f"(betweenness estimated from {analysis.betweenness_samples} sampled steps: "
            "the process graph is large)"
        )
    section(
        "bottlenecks",
        str(len(analysis.bottlenecks)),
        items["bottlenecks"],
        good="No step stands out.",
    )
    body = []
    thin = analysis.coverage.thin_stages
    for sid, counts in analysis.coverage.by_stage.items():
        mark = "  <- thin: no back-stage and no process card" if sid in thin else ""
        body.append(
            f"{stage_names.get(sid, sid)}: {counts['journey']} journey, "
            f"{counts['blueprint']} blueprint, {counts['process']} process{mark}"
        )
    section("coverage", plural(len(thin), "thin stage"), body, good="There are no stages.")
    section(
        "pains_without_opportunity",
        str(len(analysis.pains_without_opportunity)),
        items["pains_without_opportunity"],
        good="Every pain point has an opportunity linked.",
    )
    return "\n".join(line.rstrip() for line in lines)
