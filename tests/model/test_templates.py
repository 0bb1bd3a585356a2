"""Templates: the starting designs a user gets from `cld new --template`."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

from app.model.document import Document
from app.model.schema import LANE_KINDS_BY_LAYER, Layer
from app.model.templates import (
    _B2B_CARDS,
    _B2B_LINKS,
    B2B_SAAS_GAPS,
    B2B_SAAS_PROCESS,
    TEMPLATES,
    create_from_template,
)

FRONT_KINDS = {"touchpoints", "frontstage"}
BACK_KINDS = {"backstage", "support", "systems"}


def _reopen(tmp_path: Path, template: str) -> Document:
    path = tmp_path / f"{template}.cld"
    create_from_template(path, template).close()
    return Document.open(path)


@pytest.fixture(scope="module")
def saas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Document]:
    doc = _reopen(tmp_path_factory.mktemp("saas"), "b2b-saas")
    yield doc
    doc.close()


def _titles(doc: Document, ids: set[str] | list[str]) -> set[str]:
    return {doc.card(i).title for i in ids}  # type: ignore[union-attr]


def _graph(doc: Document) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(c.id for c in doc.cards())
    g.add_edges_from((k.source, k.target, {"kind": k.kind, "id": k.id}) for k in doc.links())
    return g


def _lane_of(doc: Document) -> dict[str, object]:
    lanes = {ln.id: ln for ln in doc.lanes()}
    return {c.id: lanes[c.lane] for c in doc.cards()}


def _process_dag(doc: Document) -> nx.DiGraph:
    """Process cards along flow and hand-off links, loop-backs left out."""
    lane_of = _lane_of(doc)
    rank = {s.id: i for i, s in enumerate(doc.stages())}
    g = nx.DiGraph()
    for c in doc.cards():
        if lane_of[c.id].layer == "process":  # type: ignore[attr-defined]
            g.add_node(c.id, hours=c.duration_hours)
    for k in doc.links():
        s, t = doc.card(k.source), doc.card(k.target)
        if k.kind in ("flow", "handoff") and s.id in g and t.id in g:  # type: ignore[union-attr]
            g.add_edge(s.id, t.id, loop_back=rank[t.stage] < rank[s.stage])  # type: ignore[union-attr]
    return g


# -- every template ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "stages", "lanes", "cards_at_least", "links_at_least"),
    [
        ("b2b-saas", 5, 16, 70, 40),
        ("onboarding", 1, 11, 25, 20),
        ("empty", 5, 3, 0, 0),
    ],
)
def test_template_reopens_with_its_content(
    tmp_path: Path, template: str, stages: int, lanes: int, cards_at_least: int, links_at_least: int
) -> None:
    """Each template survives close and reopen with its stages, lanes, cards and links."""
    with _reopen(tmp_path, template) as doc:
        assert len(doc.stages()) == stages
        assert len(doc.lanes()) == lanes
        assert len(doc.cards()) >= cards_at_least
        assert len(doc.links()) >= links_at_least
        assert doc.name == TEMPLATES[template].title
        assert doc.store.change_count() <= 3


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_link_joins_two_visible_cards(tmp_path: Path, template: str) -> None:
    """No template has a link that points at a missing or hidden card."""
    with _reopen(tmp_path, template) as doc:
        for link in doc.links():
            assert doc.is_visible("card", link.source) and doc.is_visible("card", link.target)
        assert len(doc.links()) == len(doc.entities("link"))


def test_templates_have_a_one_line_description() -> None:
    """The template list a user sees has three entries, each described in one line."""
    assert set(TEMPLATES) == {"b2b-saas", "onboarding", "empty"}
    for t in TEMPLATES.values():
        assert t.description and "\n" not in t.description


def test_custom_name(tmp_path: Path) -> None:
    """A name given on creation becomes the design's name."""
    with create_from_template(tmp_path / "x.cld", "empty", name="Acme onboarding") as doc:
        assert doc.name == "Acme onboarding"


def test_unknown_template_lists_the_valid_names(tmp_path: Path) -> None:
    """An unknown template is refused with the names to choose from, and no file is made."""
    with pytest.raises(ValueError, match="b2b-saas.*onboarding.*empty"):
        create_from_template(tmp_path / "x.cld", "crm")
    assert not (tmp_path / "x.cld").exists()


def test_creating_the_big_template_is_fast(tmp_path: Path) -> None:
    """Creating the b2b-saas template takes well under a second."""
    start = time.perf_counter()
    create_from_template(tmp_path / "x.cld", "b2b-saas").close()
    assert time.perf_counter() - start < 1.0


# -- b2b-saas -------------------------------------------------------------------------


def test_saas_board_structure(saas: Document) -> None:
    """Five lifecycle stages, every journey and blueprint lane kind, and the five teams."""
    assert [s.name for s in saas.stages()] == ["Acquire", "Onboard", "Adopt", "Expand", "Renew"]
    assert [s.phase for s in saas.stages()] == ["acquire", "onboard", "adopt", "expand", "renew"]
    assert all(s.description.endswith(".") for s in saas.stages())
    for layer in (Layer.JOURNEY, Layer.BLUEPRINT):
        kinds = [ln.kind for ln in saas.lanes(layer)]
        assert kinds == [k.value for k in LANE_KINDS_BY_LAYER[layer]]
    teams = [(ln.kind, ln.team) for ln in saas.lanes(Layer.PROCESS)]
    assert teams == [
        ("team", "Sales"),
        ("team", "Customer Success"),
        ("team", "Professional Services"),
        ("team", "Partners"),
        ("team", "Support"),
    ]
    assert len(saas.cards()) >= 60 and len(saas.links()) >= 40


def test_saas_emotions_have_sentiment_and_dip_in_onboard_and_renew(saas: Document) -> None:
    """Every emotion card has a sentiment; every stage has one; Onboard and Renew dip lowest."""
    emotions = next(ln for ln in saas.lanes() if ln.kind == "emotions")
    mean: dict[str, float] = {}
    for stage in saas.stages():
        cards = saas.cards_in(emotions.id, stage.id)
        assert cards, f"no emotion in {stage.name}"
        assert all(c.sentiment is not None for c in cards)
        mean[stage.name] = statistics.mean(c.sentiment for c in cards)  # type: ignore[misc]
    lowest = sorted(mean, key=mean.__getitem__)[:2]
    assert set(lowest) == {"Onboard", "Renew"}
    assert min(mean.values()) < 0 < max(mean.values())


def test_saas_process_steps_have_owner_duration_and_cost(saas: Document) -> None:
    """Every process card is a step, decision or hand-off with an owner, hours and a cost."""
    lane_of = _lane_of(saas)
    process = [c for c in saas.cards() if lane_of[c.id].layer == "process"]  # type: ignore[attr-defined]
    assert len(process) >= 25
    for c in process:
        assert c.kind in ("step", "decision", "handoff"), c.title
        assert c.owner and c.duration_hours is not None and c.cost is not None, c.title
    kinds = {c.kind for c in process}
    assert {"decision", "handoff"} <= kinds
    owners = {c.owner for c in process}
    assert {"AE", "CSM", "Implementation consultant"} <= owners


def test_saas_touchpoints_have_channels(saas: Document) -> None:
    """Touchpoints name their channel, and the board uses many channels."""
    touch = [c for c in saas.cards() if saas.lane(c.lane).kind == "touchpoints"]  # type: ignore[union-attr]
    assert all(c.channel for c in touch)
    assert {"Website", "Email", "Video call", "In-app", "Phone", "Portal"} <= {
        c.channel for c in touch
    }


def test_saas_onboard_contains_the_sales_to_cs_handoff(saas: Document) -> None:
    """In Onboard, Sales hands the closed-won deal to Customer Success for the kickoff."""
    link = saas.link("k-sales-to-cs")
    assert link is not None and link.kind == "handoff"
    source, target = saas.card(link.source), saas.card(link.target)
    assert saas.lane(source.lane).team == "Sales"  # type: ignore[union-attr]
    assert saas.lane(target.lane).team == "Customer Success"  # type: ignore[union-attr]
    assert saas.stage(target.stage).name == "Onboard"  # type: ignore[union-attr]
    assert "Kickoff" in target.title  # type: ignore[union-attr]


def test_saas_handoffs_between_teams(saas: Document) -> None:
    """Links between two teams' lanes are hand-offs, covering the lifecycle's team pairs."""
    lane_of = _lane_of(saas)
    pairs = set()
    for k in saas.links():
        s, t = lane_of[k.source], lane_of[k.target]
        if s.layer == t.layer == "process" and s.team != t.team:  # type: ignore[attr-defined]
            assert k.kind == "handoff"
            pairs.add(f"{s.team}->{t.team}")  # type: ignore[attr-defined]
    assert sum(1 for k in saas.links() if k.kind == "handoff") == B2B_SAAS_PROCESS["handoffs_total"]
    assert {
        "Sales->Customer Success",
        "Customer Success->Professional Services",
        "Professional Services->Partners",
        "Support->Customer Success",
        "Customer Success->Sales",
    } <= pairs


def test_saas_links_cross_layers(saas: Document) -> None:
    """Back stage, systems and teams support the front stage; every link kind is used."""
    lane_of = _lane_of(saas)
    assert {k.kind for k in saas.links()} == {"flow", "supports", "handoff", "triggers"}
    supports = [k for k in saas.links() if k.kind == "supports"]
    sources = {lane_of[k.source].kind for k in supports}  # type: ignore[attr-defined]
    targets = {lane_of[k.target].kind for k in supports}  # type: ignore[attr-defined]
    assert {"backstage", "support", "systems", "team"} <= sources
    assert {"touchpoints", "frontstage"} <= targets


def test_saas_provisioning_by_back_end_systems(saas: Document) -> None:
    """SCIM provisioning in the systems lane is what puts the customer's users in."""
    scim = saas.card("c-sys-scim")
    assert scim is not None and "SCIM" in scim.title
    assert saas.lane(scim.lane).kind == "systems"  # type: ignore[union-attr]
    targets = {k.target for k in saas.links() if k.source == scim.id}
    assert "c-invite-team" in targets


def test_saas_intended_gaps_are_exactly_what_the_definitions_find(saas: Document) -> None:
    """The documented gaps are the only unsupported touchpoints, orphans and lonely pains."""
    g = _graph(saas)
    lane_of = _lane_of(saas)
    kind = {cid: lane.kind for cid, lane in lane_of.items()}  # type: ignore[attr-defined]
    layer = {cid: lane.layer for cid, lane in lane_of.items()}  # type: ignore[attr-defined]
    back = {c for c in g if kind[c] in BACK_KINDS or layer[c] == "process"}
    front = {c for c in g if kind[c] in FRONT_KINDS}
    facing = {c for c in g if layer[c] == "journey" or kind[c] == "frontstage"}
    reached: set[str] = set()
    for b in back:
        reached |= nx.descendants(g, b)
    unsupported = front - reached
    orphans = {b for b in back if not (nx.descendants(g, b) & facing)}
    pains = {c for c in g if kind[c] == "pain_points"}
    lonely = {
        p for p in pains
        if not any(kind[n] == "opportunities" for n in set(g.successors(p)) | set(g.predecessors(p)))
    }  # fmt: skip
    assert unsupported == set(B2B_SAAS_GAPS["unsupported_touchpoints"])
    assert _titles(saas, unsupported) == {"Community forum", "Status page"}
    assert orphans == set(B2B_SAAS_GAPS["orphan_backstage"])
    assert _titles(saas, orphans) == {"Win/loss analysis"}
    assert lonely == set(B2B_SAAS_GAPS["pains_without_opportunity"])


def test_saas_loop_back_from_renew_to_adopt(saas: Document) -> None:
    """The save plan in Renew flows back to Adopt; it is the only loop-back and the only cycle."""
    dag = _process_dag(saas)
    loop_backs = [(s, t) for s, t, d in dag.edges(data=True) if d["loop_back"]]
    link = saas.link(B2B_SAAS_GAPS["loop_back_links"][0])
    assert loop_backs == [(link.source, link.target)]  # type: ignore[union-attr]
    assert saas.stage(saas.card(link.source).stage).name == "Renew"  # type: ignore[union-attr]
    assert saas.stage(saas.card(link.target).stage).name == "Adopt"  # type: ignore[union-attr]
    cycles = list(nx.simple_cycles(dag))
    assert len(cycles) == 1
    assert set(cycles[0]) == set(B2B_SAAS_PROCESS["cycle"])
    dag.remove_edges_from(loop_backs)
    assert nx.is_directed_acyclic_graph(dag)


def _longest(dag: nx.DiGraph) -> tuple[list[str], float]:
    """The path with the largest sum of node hours (the DAG's critical path)."""
    best: dict[str, tuple[float, str | None]] = {}
    for n in nx.topological_sort(dag):
        prev = max(((best[p][0], p) for p in dag.predecessors(n)), default=(0.0, None))
        best[n] = (prev[0] + dag.nodes[n]["hours"], prev[1])
    node: str | None = max(best, key=lambda n: best[n][0])
    hours = best[node][0]
    path = []
    while node is not None:
        path.append(node)
        node = best[node][1]
    return path[::-1], hours


def test_saas_critical_path_runs_through_the_implementation(saas: Document) -> None:
    """Without the loop-back, the longest path by hours spans all stages via the PS work."""
    dag = _process_dag(saas)
    dag.remove_edges_from([(s, t) for s, t, d in dag.edges(data=True) if d["loop_back"]])
    path, hours = _longest(dag)
    assert tuple(path) == B2B_SAAS_PROCESS["critical_path"]
    assert hours == B2B_SAAS_PROCESS["critical_path_hours"]
    assert {"c-ps-implementation", "c-partner-integration", "c-closed-won"} <= set(path)
    stages = [saas.card(c).stage for c in path]  # type: ignore[union-attr]
    assert list(dict.fromkeys(stages)) == [s.id for s in saas.stages()]
    for stage in saas.stages():
        sub = dag.subgraph([n for n in dag if saas.card(n).stage == stage.id])  # type: ignore[union-attr]
        assert _longest(sub)[1] == B2B_SAAS_PROCESS["stage_cycle_hours"][stage.id], stage.name


def test_saas_implementation_is_the_onboard_bottleneck(saas: Document) -> None:
    """The PS implementation takes more than twice the median Onboard process step."""
    lane_of = _lane_of(saas)
    onboard = [
        c for c in saas.cards()
        if c.stage == "s-onboard" and lane_of[c.id].layer == "process"  # type: ignore[attr-defined]
    ]  # fmt: skip
    median = statistics.median(c.duration_hours for c in onboard)  # type: ignore[type-var]
    impl = saas.card("c-ps-implementation")
    assert impl.duration_hours > 2 * median  # type: ignore[union-attr,operator]


def test_saas_ids_are_unique_so_nothing_is_merged_away(saas: Document) -> None:
    """Every card and link the template lists is on the board (no id used twice)."""
    assert len(saas.cards()) == len(_B2B_CARDS)
    assert len(saas.links()) == len(_B2B_LINKS)
    assert len({(k.source, k.target) for k in saas.links()}) == len(_B2B_LINKS)


def test_saas_cell_order_is_the_listed_order(saas: Document) -> None:
    """Cards of one cell keep the order the template lists them in (ranks strictly increase)."""
    cell = saas.cards_in("l-cs", "s-onboard")
    assert [c.id for c in cell] == ["c-cs-kickoff", "c-cs-success-plan", "c-cs-go-live"]
    assert len({c.rank for c in cell}) == len(cell)


# -- onboarding and empty ---------------------------------------------------------------


def test_onboarding_is_one_stage_blueprint(tmp_path: Path) -> None:
    """The onboarding template details one Onboard stage across blueprint and three teams."""
    with _reopen(tmp_path, "onboarding") as doc:
        assert [s.name for s in doc.stages()] == ["Onboard"]
        assert [ln.kind for ln in doc.lanes(Layer.BLUEPRINT)] == [
            k.value for k in LANE_KINDS_BY_LAYER[Layer.BLUEPRINT]
        ]
        assert {ln.kind for ln in doc.lanes(Layer.JOURNEY)} == {"touchpoints", "emotions"}
        assert [ln.team for ln in doc.lanes(Layer.PROCESS)] == [
            "Customer Success", "Professional Services", "Support",
        ]  # fmt: skip
        assert 25 <= len(doc.cards()) <= 40
        for lane in doc.lanes():
            assert doc.cards_in(lane.id, "s-onboard"), f"empty lane {lane.name}"


def test_empty_has_default_stages_and_one_lane_per_layer(tmp_path: Path) -> None:
    """The empty template is the five stages and one lane in each layer, with no cards."""
    with _reopen(tmp_path, "empty") as doc:
        assert [s.name for s in doc.stages()] == ["Acquire", "Onboard", "Adopt", "Expand", "Renew"]
        assert [(ln.layer, ln.name) for ln in doc.lanes()] == [
            ("journey", "Customer actions"),
            ("blueprint", "Front stage"),
            ("process", "Customer Success"),
        ]
        assert doc.lanes(Layer.PROCESS)[0].team == "Customer Success"
        assert doc.cards() == [] and doc.links() == []


def test_two_files_from_one_template_merge_into_one_board(tmp_path) -> None:
    """Copies made from the same template hold the same changes: merging adds nothing twice,
    and an edit of a template card wins over the other copy's untouched template value."""
    from app.model import edits as E

    a = create_from_template(tmp_path / "a.cld", "b2b-saas")
    b = create_from_template(tmp_path / "b.cld", "b2b-saas")
    b.commit(E.update(b, "card", "c-addon-demo", title="Add-on demo, renamed offline"))
    count = len(a.cards()), len(a.links())
    b_path = b.path
    b.close()
    other = Document.open(b_path)
    a.apply_many([c for _seq, c in other.store.changes()], origin="merge")
    other.close()
    assert (len(a.cards()), len(a.links())) == count
    assert a.card("c-addon-demo").title == "Add-on demo, renamed offline"
    assert not a.conflicts()
    a.close()
