"""Lifecycle analysis: what journey, blueprint and process together show that none shows alone.

``analyze(doc)`` reads a snapshot of the visible board and computes the findings of issue 6:
touchpoints with nothing behind them, back-stage work no customer feels, hand-offs, cycles,
the critical path, stage cycle times, bottlenecks, coverage and pains without an opportunity.
The work is done by ``analyze_board`` on plain data (a ``Board`` of stages, lanes, cards and
links), so the canvas can take the snapshot on the GUI thread and analyse it on a worker.

Terms used throughout:

- *customer-facing* cards: every journey card and every card of a blueprint front-stage lane;
- *touchpoints*: cards of journey touchpoints lanes and blueprint front-stage lanes;
- *supporting* cards: cards of blueprint back-stage, support and systems lanes, and every
  process card;
- the *process graph*: process cards joined by flow and hand-off links between them.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

import networkx as nx

from app.model.schema import Card, Lane, LaneKind, Layer, Link, LinkKind, Stage

if TYPE_CHECKING:
    from app.model.document import Document

TOUCHPOINT_KINDS = frozenset({LaneKind.TOUCHPOINTS.value, LaneKind.FRONTSTAGE.value})
BACKSTAGE_KINDS = frozenset(
    {LaneKind.BACKSTAGE.value, LaneKind.SUPPORT.value, LaneKind.SYSTEMS.value}
)
PROCESS_LINK_KINDS = frozenset({LinkKind.FLOW.value, LinkKind.HANDOFF.value})

#: how many process cards the betweenness ranking names
TOP_BETWEENNESS = 5
#: a process card slower than this many times its stage's median is a bottleneck
SLOW_FACTOR = 2.0
#: past this many process cards, betweenness is estimated from a fixed sample of sources
#: (networkx's k-sample approximation with a fixed seed), so 5,000-card boards stay fast
BETWEENNESS_EXACT_LIMIT = 800
BETWEENNESS_SAMPLES = 200
BETWEENNESS_SEED = 20261203
#: a tangled process can have exponentially many simple cycles; list at most this many
MAX_CYCLES = 100
#: hours are summed floats; round what we report so 0.1 + 0.2 reads as 0.3
HOURS_DIGITS = 4

#: the top-level keys of ``Analysis.to_json()``, in order
KEYS = (
    "unsupported_touchpoints",
    "orphan_backstage",
    "handoffs",
    "cycles",
    "critical_path",
    "stage_cycle_hours",
    "bottlenecks",
    "coverage",
    "pains_without_opportunity",
)


@dataclass(frozen=True)
class Board:
    """A snapshot of the visible board as plain values, safe to hand to another thread."""

    stages: tuple[Stage, ...]  # left to right
    lanes: tuple[Lane, ...]  # top to bottom
    cards: tuple[Card, ...]
    links: tuple[Link, ...]

    @classmethod
    def of(
        cls,
        stages: Iterable[Stage],
        lanes: Iterable[Lane],
        cards: Iterable[Card],
        links: Iterable[Link],
    ) -> Board:
        return cls(tuple(stages), tuple(lanes), tuple(cards), tuple(links))


def snapshot(doc: Document) -> Board:
    """The visible stages, lanes, cards and links of a document, in board order."""
    return Board.of(doc.stages(), doc.lanes(), doc.cards(), doc.links())


@dataclass
class Handoffs:
    """Links that pass work between teams."""

    total: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)  # target card's stage id -> count
    by_team_pair: dict[str, int] = field(default_factory=dict)  # "Sales->Support" -> count
    links: list[str] = field(default_factory=list)  # ids, for the board (not in the JSON)

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "by_stage": self.by_stage, "by_team_pair": self.by_team_pair}


@dataclass
class CriticalPath:
    """The slowest chain of process cards; empty when a cycle remains (``blocked_by``)."""

    cards: list[str] = field(default_factory=list)
    hours: float = 0.0
    blocked_by: list[str] = field(default_factory=list)  # a remaining cycle (not in the JSON)

    def to_json(self) -> dict[str, Any]:
        return {"cards": self.cards, "hours": self.hours}


@dataclass
class Bottleneck:
    """A process card that holds the process up, and why ("betweenness", "duration")."""

    card: str
    reasons: list[str]
    betweenness: float
    duration_hours: float | None
    stage_median_hours: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "card": self.card,
            "reasons": self.reasons,
            "betweenness": self.betweenness,
            "duration_hours": self.duration_hours,
            "stage_median_hours": self.stage_median_hours,
        }


@dataclass
class Coverage:
    """Cards per layer in each stage, and the stages with nothing behind the front stage."""

    by_stage: dict[str, dict[str, int]] = field(default_factory=dict)
    thin_stages: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"by_stage": self.by_stage, "thin_stages": self.thin_stages}


@dataclass
class Analysis:
    """Every finding about one board; ``to_json()`` gives exactly the keys in ``KEYS``."""

    unsupported_touchpoints: list[str] = field(default_factory=list)
    orphan_backstage: list[str] = field(default_factory=list)
    handoffs: Handoffs = field(default_factory=Handoffs)
    cycles: list[list[str]] = field(default_factory=list)
    critical_path: CriticalPath = field(default_factory=CriticalPath)
    stage_cycle_hours: dict[str, float | None] = field(default_factory=dict)
    bottlenecks: list[Bottleneck] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    pains_without_opportunity: list[str] = field(default_factory=list)
    #: facts about how the findings were computed (not in the JSON)
    cycles_truncated: bool = False
    betweenness_samples: int | None = None  # None: exact
    stage_paths: dict[str, list[str]] = field(default_factory=dict)  # slowest chain per stage

    def to_json(self) -> dict[str, Any]:
        return {
            "unsupported_touchpoints": self.unsupported_touchpoints,
            "orphan_backstage": self.orphan_backstage,
            "handoffs": self.handoffs.to_json(),
            "cycles": self.cycles,
            "critical_path": self.critical_path.to_json(),
            "stage_cycle_hours": self.stage_cycle_hours,
            "bottlenecks": [b.to_json() for b in self.bottlenecks],
            "coverage": self.coverage.to_json(),
            "pains_without_opportunity": self.pains_without_opportunity,
        }


def analyze(doc: Document) -> Analysis:
    """Analyse the visible board of a document."""
    return analyze_board(snapshot(doc))


# -- the board as a graph -------------------------------------------------------------


class _Graph:
    """Visible cards in board order, their lanes, and adjacency along visible links."""

    def __init__(self, board: Board) -> None:
        self.stage_index = {s.id: i for i, s in enumerate(board.stages) if not s.deleted}
        self.lanes = {ln.id: ln for ln in board.lanes if not ln.deleted}
        lane_index = {lid: i for i, lid in enumerate(self.lanes)}
        # a card under a deleted lane or stage is hidden: the snapshot may still hold it
        cards = [
            c
            for c in board.cards
            if not c.deleted and c.lane in self.lanes and c.stage in self.stage_index
        ]
        cards.sort(key=lambda c: (self.stage_index[c.stage], lane_index[c.lane], c.rank, c.id))
        self.cards = {c.id: c for c in cards}
        self._lane_of = {c.id: self.lanes[c.lane] for c in cards}
        self.order = {cid: i for i, cid in enumerate(self.cards)}
        self.links = [
            k
            for k in board.links
            if not k.deleted and k.source in self.cards and k.target in self.cards
        ]
        self.links.sort(key=lambda k: (self.order[k.source], self.order[k.target], k.id))
        self.succ: dict[str, list[str]] = {}
        self.pred: dict[str, list[str]] = {}
        for k in self.links:
            self.succ.setdefault(k.source, []).append(k.target)
            self.pred.setdefault(k.target, []).append(k.source)

    def lane_of(self, card_id: str) -> Lane:
        return self._lane_of[card_id]

    def is_process(self, card_id: str) -> bool:
        return self.lane_of(card_id).layer == Layer.PROCESS.value

    def cards_where(self, test: Any) -> list[str]:
        return [cid for cid, lane in self._lane_of.items() if test(lane)]

    def sort(self, ids: Iterable[str]) -> list[str]:
        return sorted(ids, key=self.order.__getitem__)


def team_of(lane: Lane) -> str:
    """The team a lane stands for: its team field, else its name."""
    return lane.team.strip() or lane.name


def _reached_from(starts: Iterable[str], adjacency: dict[str, list[str]]) -> set[str]:
    """Cards reached from any start by a path of at least one link."""
    seen: set[str] = set()
    stack = [n for s in starts for n in adjacency.get(s, ())]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(adjacency.get(node, ()))
    return seen


def _is_supporting(lane: Lane) -> bool:
    return lane.kind in BACKSTAGE_KINDS or lane.layer == Layer.PROCESS.value


def _is_customer_facing(lane: Lane) -> bool:
    return lane.layer == Layer.JOURNEY.value or lane.kind == LaneKind.FRONTSTAGE.value


# -- findings ------------------------------------------------------------------------


def analyze_board(board: Board, *, exact_betweenness: bool = False) -> Analysis:
    """Every finding about a board snapshot; pure, so it may run off the GUI thread."""
    g = _Graph(board)
    result = Analysis()

    supported = _reached_from(g.cards_where(_is_supporting), g.succ)
    result.unsupported_touchpoints = [
        cid for cid in g.cards_where(lambda ln: ln.kind in TOUCHPOINT_KINDS) if cid not in supported
    ]
    felt = _reached_from(g.cards_where(_is_customer_facing), g.pred)
    result.orphan_backstage = [cid for cid in g.cards_where(_is_supporting) if cid not in felt]
    result.handoffs = _handoffs(g)
    result.pains_without_opportunity = _pains_without_opportunity(g)
    result.coverage = _coverage(g)

    process = _process_graph(g)
    result.cycles, result.cycles_truncated = _cycles(g, process)
    forward = process.copy()
    forward.remove_edges_from(
        [(s, t) for s, t in process.edges if _stage_pos(g, t) < _stage_pos(g, s)]
    )
    result.critical_path = _critical_path(g, forward)
    result.stage_cycle_hours = {}
    for sid in g.stage_index:
        in_stage = [n for n in forward if g.cards[n].stage == sid]
        path = _critical_path(g, forward.subgraph(in_stage))
        result.stage_cycle_hours[sid] = None if path.blocked_by else path.hours
        result.stage_paths[sid] = path.cards or path.blocked_by
    result.bottlenecks, result.betweenness_samples = _bottlenecks(
        g, process, exact=exact_betweenness
    )
    return result


def _stage_pos(g: _Graph, card_id: str) -> int:
    return g.stage_index[g.cards[card_id].stage]


def _handoffs(g: _Graph) -> Handoffs:
    out = Handoffs(by_stage={sid: 0 for sid in g.stage_index})
    for k in g.links:
        source, target = g.lane_of(k.source), g.lane_of(k.target)
        between_teams = source.layer == target.layer == Layer.PROCESS.value and team_of(
            source
        ) != team_of(target)
        if not (between_teams or k.kind == LinkKind.HANDOFF.value):
            continue
        out.total += 1
        out.links.append(k.id)
        out.by_stage[g.cards[k.target].stage] += 1
        pair = f"{team_of(source)}->{team_of(target)}"
        out.by_team_pair[pair] = out.by_team_pair.get(pair, 0) + 1
    out.by_team_pair = dict(sorted(out.by_team_pair.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def _pains_without_opportunity(g: _Graph) -> list[str]:
    opportunities = set(g.cards_where(lambda ln: ln.kind == LaneKind.OPPORTUNITIES.value))
    out = []
    for cid in g.cards_where(lambda ln: ln.kind == LaneKind.PAIN_POINTS.value):
        neighbours = set(g.succ.get(cid, ())) | set(g.pred.get(cid, ()))
        if not neighbours & opportunities:
            out.append(cid)
    return out


def _coverage(g: _Graph) -> Coverage:
    by_stage = {sid: {layer.value: 0 for layer in Layer} for sid in g.stage_index}
    behind: set[str] = set()  # stages with a back-stage or process card
    for card in g.cards.values():
        lane = g.lanes[card.lane]
        by_stage[card.stage][lane.layer] += 1
        if _is_supporting(lane):
            behind.add(card.stage)
    return Coverage(by_stage, [sid for sid in g.stage_index if sid not in behind])


def _process_graph(g: _Graph) -> nx.DiGraph:
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(cid for cid in g.cards if g.is_process(cid))
    graph.add_edges_from(
        (k.source, k.target)
        for k in g.links
        if k.kind in PROCESS_LINK_KINDS and k.source in graph and k.target in graph
    )
    return graph


def _rotate(g: _Graph, cycle: list[str]) -> list[str]:
    """A cycle starting at its card that comes first on the board."""
    start = min(range(len(cycle)), key=lambda i: g.order[cycle[i]])
    return cycle[start:] + cycle[:start]


def _cycles(g: _Graph, process: nx.DiGraph) -> tuple[list[list[str]], bool]:
    found = [_rotate(g, c) for c in islice(nx.simple_cycles(process), MAX_CYCLES + 1)]
    truncated = len(found) > MAX_CYCLES
    found = found[:MAX_CYCLES]
    found.sort(key=lambda c: (len(c), [g.order[n] for n in c]))
    return found, truncated


def _hours(card: Card) -> float:
    return card.duration_hours or 0.0


def _critical_path(g: _Graph, graph: nx.DiGraph) -> CriticalPath:
    """The chain with the most hours (ties: more cards, then earlier on the board)."""
    if graph.number_of_nodes() == 0:
        return CriticalPath()
    try:
        topo = list(nx.lexicographical_topological_sort(graph, key=g.order.__getitem__))
    except nx.NetworkXUnfeasible:
        cycle = [s for s, _t in nx.find_cycle(graph)]
        return CriticalPath(blocked_by=_rotate(g, cycle))
    best: dict[str, tuple[float, int, int]] = {}  # hours, cards, -board position
    prev: dict[str, str | None] = {}
    for node in topo:
        here = _hours(g.cards[node])
        choice = max(graph.predecessors(node), key=lambda p: best[p], default=None)
        hours, count = (best[choice][0], best[choice][1]) if choice is not None else (0.0, 0)
        best[node] = (hours + here, count + 1, -g.order[node])
        prev[node] = choice
    end: str | None = max(best, key=best.__getitem__)
    total = best[end][0]  # type: ignore[index]
    path = []
    while end is not None:
        path.append(end)
        end = prev[end]
    return CriticalPath(cards=path[::-1], hours=round(total, HOURS_DIGITS))


def process_betweenness(
    process: nx.DiGraph, *, exact: bool = False
) -> tuple[dict[str, float], int | None]:
    """Betweenness centrality of the process graph; estimated from a sample when large."""
    n = process.number_of_nodes()
    if exact or n <= BETWEENNESS_EXACT_LIMIT:
        return nx.betweenness_centrality(process), None
    k = min(n, BETWEENNESS_SAMPLES)
    return nx.betweenness_centrality(process, k=k, seed=BETWEENNESS_SEED), k


def _bottlenecks(
    g: _Graph, process: nx.DiGraph, *, exact: bool
) -> tuple[list[Bottleneck], int | None]:
    centrality, samples = process_betweenness(process, exact=exact)
    central = sorted(
        (n for n, b in centrality.items() if b > 0), key=lambda n: (-centrality[n], g.order[n])
    )[:TOP_BETWEENNESS]
    durations: dict[str, list[float]] = {}
    for n in process:
        d = g.cards[n].duration_hours
        if d is not None:
            durations.setdefault(g.cards[n].stage, []).append(d)
    medians = {sid: statistics.median(ds) for sid, ds in durations.items()}
    slow = [
        n
        for n in process
        if g.cards[n].duration_hours is not None
        and g.cards[n].duration_hours > SLOW_FACTOR * medians[g.cards[n].stage]  # type: ignore[operator]
    ]
    out: list[Bottleneck] = []
    for n in central + [n for n in slow if n not in central]:
        reasons = (["betweenness"] if n in central else []) + (["duration"] if n in slow else [])
        card = g.cards[n]
        median = medians.get(card.stage)
        out.append(
            Bottleneck(
                card=n,
                reasons=reasons,
                betweenness=round(centrality.get(n, 0.0), 6),
                duration_hours=card.duration_hours,
                stage_median_hours=None if median is None else round(median, HOURS_DIGITS),
            )
        )
    return out, samples


# -- findings as a list, for the board and the report ---------------------------------


@dataclass(frozen=True)
class Finding:
    """One line of the analysis dock: a kind of finding, a sentence, the cards it concerns."""

    kind: str  # a key of KEYS
    text: str
    cards: tuple[str, ...]
    links: tuple[str, ...] = ()


#: a heading and a one-line explanation per kind of finding
HEADINGS: dict[str, tuple[str, str]] = {
    "unsupported_touchpoints": (
        "Unsupported touchpoints",
        "customer-facing cards that no back-stage, support, systems or process card leads to",
    ),
    "orphan_backstage": (
        "Orphan back-stage work",
        "back-stage and process cards from which no path reaches the customer",
    ),
    "handoffs": ("Hand-offs", "links that pass work from one team to another"),
    "cycles": ("Cycles", "process steps that loop back on themselves along flow and hand-offs"),
    "critical_path": (
        "Critical path",
        "the slowest chain of process steps, loop-backs to earlier stages left out",
    ),
    "stage_cycle_hours": ("Stage cycle time", "the slowest chain of process steps in each stage"),
    "bottlenecks": (
        "Bottlenecks",
        "process steps many paths go through, and steps over twice their stage's median duration",
    ),
    "coverage": ("Coverage", "cards per layer in each stage; thin stages have nothing behind them"),
    "pains_without_opportunity": (
        "Pains without an opportunity",
        "pain points that no opportunity card is linked to",
    ),
}


def heading_with_count(kind: str, analysis: Analysis, findings_of_kind: int) -> str:
    """A section's heading with how many there are, as the dock and the poster show it:
    "Hand-offs (20)" counts links (not team pairs), "Coverage (1 thin stage)" says what
    it counts; the two time sections have no count."""
    heading = HEADINGS[kind][0]
    if kind in ("critical_path", "stage_cycle_hours"):
        return heading
    if kind == "handoffs":
        return f"{heading} ({analysis.handoffs.total})"
    if kind == "coverage":
        n = len(analysis.coverage.thin_stages)
        return f"{heading} ({n} thin stage{'' if n == 1 else 's'})"
    return f"{heading} ({findings_of_kind})"


def _hours_text(hours: float) -> str:
    return f"{hours:g} h"


def findings(analysis: Analysis, board: Board) -> list[Finding]:
    """The findings one per line, in words with card titles and stage names."""
    cards = {c.id: c for c in board.cards}
    stages = {s.id: s.name for s in board.stages}
    lanes = {ln.id: ln for ln in board.lanes}

    def title(cid: str) -> str:
        card = cards.get(cid)
        return f"“{card.title}”" if card and card.title.strip() else f"(untitled {cid})"

    def where(cid: str) -> str:
        card = cards[cid]
        lane = lanes.get(card.lane)
        return f"{stages.get(card.stage, '?')} · {lane.name if lane else '?'}"

    def label(cid: str) -> str:
        return f"{title(cid)} ({where(cid)})" if cid in cards else f"(unknown card {cid})"

    def chain(ids: list[str]) -> str:
        return " → ".join(title(c) for c in ids)

    out: list[Finding] = []
    for kind in ("unsupported_touchpoints", "orphan_backstage"):
        out += [Finding(kind, label(c), (c,)) for c in getattr(analysis, kind)]
    links = {k.id: k for k in board.links}
    by_pair: dict[str, list[str]] = {}
    for kid in analysis.handoffs.links:
        k = links[kid]
        pair = f"{team_of(lanes[cards[k.source].lane])}->{team_of(lanes[cards[k.target].lane])}"
        by_pair.setdefault(pair, []).append(kid)
    for pair, count in analysis.handoffs.by_team_pair.items():
        ids = by_pair.get(pair, [])
        ends = tuple(
            dict.fromkeys(c for kid in ids for c in (links[kid].source, links[kid].target))
        )
        plural = "hand-off" if count == 1 else "hand-offs"
        arrow = pair.replace("->", " → ")
        text = f"{arrow}: {count} {plural}"
        out.append(Finding("handoffs", text, ends, tuple(ids)))
    for cycle in analysis.cycles:
        out.append(Finding("cycles", chain(cycle + cycle[:1]), tuple(cycle)))
    path = analysis.critical_path
    if path.cards:
        text = f"{_hours_text(path.hours)}: {chain(path.cards)}"
        out.append(Finding("critical_path", text, tuple(path.cards)))
    elif path.blocked_by:
        text = "none: a cycle remains after leaving out loop-backs: " + chain(
            path.blocked_by + path.blocked_by[:1]
        )
        out.append(Finding("critical_path", text, tuple(path.blocked_by)))
    for sid, hours in analysis.stage_cycle_hours.items():
        ids = analysis.stage_paths.get(sid, [])
        if hours is None:
            text = f"{stages.get(sid, sid)}: no figure, its process steps form a cycle"
        elif not ids:
            text = f"{stages.get(sid, sid)}: no process steps"
        else:
            steps = "step" if len(ids) == 1 else "steps"
            text = (
                f"{stages.get(sid, sid)}: {_hours_text(hours)} ({len(ids)} {steps}: {chain(ids)})"
            )
        out.append(Finding("stage_cycle_hours", text, tuple(ids)))
    for b in analysis.bottlenecks:
        why = []
        if "betweenness" in b.reasons:
            why.append(f"many paths pass through it (betweenness {b.betweenness:.2f})")
        if "duration" in b.reasons and b.duration_hours is not None:
            why.append(
                f"takes {_hours_text(b.duration_hours)}, over twice its stage's median "
                f"of {_hours_text(b.stage_median_hours or 0.0)}"
            )
        out.append(Finding("bottlenecks", f"{label(b.card)}: {'; '.join(why)}", (b.card,)))
    for sid in analysis.coverage.thin_stages:
        counts = analysis.coverage.by_stage.get(sid, {})
        text = (
            f"{stages.get(sid, sid)}: no back-stage and no process card "
            f"({counts.get('journey', 0)} journey, {counts.get('blueprint', 0)} blueprint cards)"
        )
        out.append(Finding("coverage", text, ()))
    out += [
        Finding("pains_without_opportunity", label(c), (c,))
        for c in analysis.pains_without_opportunity
    ]
    return out
