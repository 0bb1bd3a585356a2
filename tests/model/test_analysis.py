"""Lifecycle analysis on small hand-built designs with known answers, and on the templates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.model import edits
from app.model.analysis import KEYS, analyze, analyze_board, findings, snapshot
from app.model.document import Document


class Builder:
    """Builds a design through the edit builders, one committed change per call."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.ids: dict[str, str] = {}

    def stage(self, key: str, name: str) -> str:
        sid, e = edits.add_stage(self.doc, name, stage_id=key)
        self.doc.commit(e)
        return sid

    def lane(
        self, key: str, name: str, kind: str, *, layer: str | None = None, team: str = ""
    ) -> str:
        lid, e = edits.add_lane(self.doc, name, kind, layer=layer, team=team, lane_id=key)
        self.doc.commit(e)
        return lid

    def card(self, key: str, lane: str, stage: str, title: str, **fields: Any) -> str:
        cid, e = edits.add_card(self.doc, lane, stage, card_id=key, title=title, **fields)
        self.doc.commit(e)
        return cid

    def link(self, source: str, target: str, kind: str) -> str:
        kid, e = edits.add_link(self.doc, source, target, kind=kind, link_id=f"k-{source}-{target}")
        self.doc.commit(e)
        return kid


@pytest.fixture
def board(tmp_path: Path) -> Document:
    """Four stages; journey, blueprint and three team lanes; a loop-back from Renew to Onboard."""
    doc = Document.new(tmp_path / "small.cld", name="Small")
    b = Builder(doc)
    for key, name in (("S1", "Acquire"), ("S2", "Onboard"), ("S3", "Renew"), ("S4", "Advocate")):
        b.stage(key, name)
    b.lane("touch", "Touchpoints", "touchpoints")
    b.lane("pain", "Pain points", "pain_points")
    b.lane("opp", "Opportunities", "opportunities")
    b.lane("front", "Front stage", "frontstage")
    b.lane("back", "Back stage", "backstage")
    b.lane("sys", "Systems", "systems")
    b.lane("sales", "Sales team", "team", team="Sales")
    b.lane("cs", "Customer Success", "team")
    b.lane("sup", "Support", "team")
    b.card("t1", "touch", "S1", "Website demo")
    b.card("t2", "touch", "S2", "Welcome email")
    b.card("t3", "touch", "S4", "Referral ask")
    b.card("f1", "front", "S2", "Kickoff call")
    b.card("b1", "back", "S2", "Prepare workspace")
    b.card("b2", "back", "S3", "Clean CRM")
    b.card("y1", "sys", "S2", "CRM")
    b.card("pain1", "pain", "S2", "Setup is slow")
    b.card("opp1", "opp", "S2", "Self-serve setup")
    b.card("pain2", "pain", "S3", "Surprise invoice")
    b.card("p1", "sales", "S1", "Qualify", kind="step", duration_hours=4)
    b.card("p2", "sales", "S1", "Demo", kind="step", duration_hours=2)
    b.card("p3", "cs", "S2", "Kickoff", kind="step", duration_hours=8)
    b.card("p4", "cs", "S2", "Configure", kind="step", duration_hours=30)
    b.card("p7", "cs", "S2", "Training", kind="step", duration_hours=6)
    b.card("p5", "sup", "S3", "Renewal review", kind="step", duration_hours=3)
    b.card("p6", "cs", "S3", "Internal report", kind="step", duration_hours=1)
    b.link("p1", "t1", "supports")
    b.link("b1", "f1", "supports")
    b.link("y1", "b1", "flow")
    b.link("p3", "f1", "supports")
    b.link("p7", "f1", "supports")
    b.link("opp1", "pain1", "flow")
    b.link("p1", "p2", "flow")
    b.link("p2", "p3", "handoff")
    b.link("p3", "p4", "flow")
    b.link("p4", "p5", "flow")
    b.link("p5", "p3", "flow")  # loop-back: renewal sends the customer back to onboarding
    yield doc
    doc.close()


def ids(analysis: Any, key: str) -> Any:
    return analysis.to_json()[key]


def test_json_has_exactly_the_issue_keys(board: Document) -> None:
    """`to_json()` gives one object with exactly the nine keys of the issue."""
    assert list(analyze(board).to_json()) == list(KEYS)


def test_touchpoints_with_nothing_behind_them_are_unsupported(board: Document) -> None:
    """A touchpoint no back-stage, systems or process card leads to is reported; supported ones are not."""
    result = analyze(board)
    assert result.unsupported_touchpoints == ["t2", "t3"]


def test_backstage_and_process_work_that_never_reaches_the_customer_is_orphan(
    board: Document,
) -> None:
    """Back-stage and process cards with no path to a journey or front-stage card are orphans."""
    # y1 reaches the customer only through b1 -> f1; p5 only through the loop-back to p3
    assert analyze(board).orphan_backstage == ["b2", "p6"]


def test_handoffs_count_team_changes_and_handoff_links(board: Document) -> None:
    """Hand-offs: handoff links plus flow between two teams, by receiving stage and team pair."""
    handoffs = analyze(board).to_json()["handoffs"]
    assert handoffs == {
        "total": 3,
        "by_stage": {"S1": 0, "S2": 2, "S3": 1, "S4": 0},
        "by_team_pair": {
            "Customer Success->Support": 1,
            "Sales->Customer Success": 1,
            "Support->Customer Success": 1,
        },
    }


def test_loop_back_is_a_cycle_but_not_on_the_critical_path(board: Document) -> None:
    """The renewal-to-onboarding loop is listed as a cycle and left out of the critical path."""
    result = analyze(board)
    assert result.cycles == [["p3", "p4", "p5"]]
    assert result.to_json()["critical_path"] == {
        "cards": ["p1", "p2", "p3", "p4", "p5"],
        "hours": 47.0,
    }
    assert result.stage_cycle_hours == {"S1": 6.0, "S2": 38.0, "S3": 3.0, "S4": 0.0}


def test_a_cycle_within_a_stage_leaves_no_critical_path(board: Document) -> None:
    """A cycle that remains after loop-backs are left out empties the critical path and names the cycle."""
    b = Builder(board)
    b.link("p4", "p7", "flow")
    b.link("p7", "p3", "flow")
    result = analyze(board)
    assert result.to_json()["critical_path"] == {"cards": [], "hours": 0.0}
    assert result.critical_path.blocked_by == ["p3", "p4", "p7"]
    assert result.stage_cycle_hours == {"S1": 6.0, "S2": None, "S3": 3.0, "S4": 0.0}
    assert ["p3", "p4", "p7"] in result.cycles and ["p3", "p4", "p5"] in result.cycles
    text = [f.text for f in findings(result, snapshot(board)) if f.kind == "critical_path"]
    assert text == [
        "none: a cycle remains after leaving out loop-backs: “Kickoff” → “Configure” → “Training” → “Kickoff”"
    ]


def test_bottlenecks_by_betweenness_and_by_slow_duration(board: Document) -> None:
    """Central steps come ranked with their reason; a step over twice its stage median says so."""
    result = analyze(board)
    entries = [(b.card, b.reasons) for b in result.bottlenecks]
    assert entries == [
        ("p3", ["betweenness"]),
        ("p2", ["betweenness"]),
        ("p4", ["betweenness", "duration"]),
        ("p5", ["betweenness"]),
    ]
    p4 = result.bottlenecks[2]
    assert (p4.duration_hours, p4.stage_median_hours) == (30.0, 8.0)
    assert result.bottlenecks[0].betweenness == pytest.approx(5 / 30, abs=1e-6)


def test_slow_step_off_every_path_is_a_bottleneck_for_its_duration(board: Document) -> None:
    """A step with no links but over twice its stage's median duration is listed for duration alone."""
    Builder(board).card("p8", "sup", "S3", "Escalation", kind="step", duration_hours=20)
    result = analyze(board)
    slow = [b for b in result.bottlenecks if b.card == "p8"]
    assert [(b.reasons, b.stage_median_hours) for b in slow] == [(["duration"], 3.0)]


def test_coverage_counts_cards_per_layer_and_names_thin_stages(board: Document) -> None:
    """Coverage counts each stage's cards per layer; a stage with only journey cards is thin."""
    coverage = analyze(board).to_json()["coverage"]
    assert coverage["by_stage"]["S2"] == {"journey": 3, "blueprint": 3, "process": 3}
    assert coverage["by_stage"]["S4"] == {"journey": 1, "blueprint": 0, "process": 0}
    assert coverage["thin_stages"] == ["S4"]


def test_pain_points_without_a_linked_opportunity(board: Document) -> None:
    """A pain point linked to an opportunity (either way) is fine; one without is reported."""
    assert analyze(board).pains_without_opportunity == ["pain2"]
    Builder(board).link("pain2", "opp1", "flow")
    assert analyze(board).pains_without_opportunity == []


def test_deleted_card_and_its_links_leave_the_analysis(board: Document) -> None:
    """Deleting a card removes it and its links from every finding."""
    board.commit(edits.delete_cards(board, ["p4"]))
    result = analyze(board)
    assert result.cycles == []
    assert result.to_json()["critical_path"] == {"cards": ["p1", "p2", "p3"], "hours": 14.0}
    assert result.handoffs.total == 2
    assert all(b.card != "p4" for b in result.bottlenecks)
    assert result.coverage.by_stage["S2"]["process"] == 2


def test_cards_under_a_deleted_lane_are_hidden_from_the_analysis(board: Document) -> None:
    """Deleting a lane under its cards hides them and their links: work behind them becomes orphan."""
    board.commit(edits.delete(board, "lane", "back"))
    result = analyze(board)
    # b1 and b2 are hidden; y1 reached the customer only through b1
    assert result.orphan_backstage == ["y1", "p6"]
    assert result.unsupported_touchpoints == ["t2", "t3"]  # f1 still has p3 behind it
    assert result.coverage.by_stage["S2"]["blueprint"] == 2
    assert result.coverage.by_stage["S3"]["blueprint"] == 0


def test_cards_under_a_deleted_stage_are_hidden_from_the_analysis(board: Document) -> None:
    """Deleting a stage hides its cards: the loop-back cycle and its hand-offs disappear."""
    board.commit(edits.delete(board, "stage", "S3"))
    result = analyze(board)
    assert result.cycles == []
    assert result.critical_path.cards == ["p1", "p2", "p3", "p4"]
    assert result.critical_path.hours == 44.0
    assert result.handoffs.to_json() == {
        "total": 1,
        "by_stage": {"S1": 0, "S2": 1, "S4": 0},
        "by_team_pair": {"Sales->Customer Success": 1},
    }
    assert "S3" not in result.stage_cycle_hours
    assert result.pains_without_opportunity == []


def test_snapshot_with_hidden_cards_is_analysed_as_the_board_shows_it(board: Document) -> None:
    """Plain data holding a card whose lane is gone (a stale snapshot) leaves that card out."""
    snap = snapshot(board)
    lanes = tuple(ln for ln in snap.lanes if ln.id != "back")
    stale = analyze_board(type(snap)(snap.stages, lanes, snap.cards, snap.links))
    board.commit(edits.delete(board, "lane", "back"))
    assert stale.to_json() == analyze(board).to_json()


def test_empty_design_has_empty_findings(tmp_path: Path) -> None:
    """A design with no cards reports nothing, with every key present."""
    doc = Document.new(tmp_path / "empty.cld")
    try:
        Builder(doc).stage("S1", "Acquire")
        assert analyze(doc).to_json() == {
            "unsupported_touchpoints": [],
            "orphan_backstage": [],
            "handoffs": {"total": 0, "by_stage": {"S1": 0}, "by_team_pair": {}},
            "cycles": [],
            "critical_path": {"cards": [], "hours": 0.0},
            "stage_cycle_hours": {"S1": 0.0},
            "bottlenecks": [],
            "coverage": {
                "by_stage": {"S1": {"journey": 0, "blueprint": 0, "process": 0}},
                "thin_stages": ["S1"],
            },
            "pains_without_opportunity": [],
        }
    finally:
        doc.close()


def test_critical_path_without_durations_is_the_longest_chain(tmp_path: Path) -> None:
    """With no durations entered, the critical path is the longest chain of steps at 0 h."""
    doc = Document.new(tmp_path / "plain.cld")
    try:
        b = Builder(doc)
        b.stage("S1", "Acquire")
        b.lane("sales", "Sales", "team")
        for key in ("a", "b", "c", "d"):
            b.card(key, "sales", "S1", key.upper(), kind="step")
        b.link("a", "b", "flow")
        b.link("c", "b", "flow")
        b.link("b", "d", "flow")
        path = analyze(doc).critical_path
        assert (path.cards, path.hours) == (["a", "b", "d"], 0.0)
    finally:
        doc.close()


def test_findings_name_cards_by_title_and_stage(board: Document) -> None:
    """Each finding reads with card titles and stage names and carries the cards to select."""
    found = findings(analyze(board), snapshot(board))
    by_kind: dict[str, list[Any]] = {}
    for f in found:
        by_kind.setdefault(f.kind, []).append(f)
    assert [f.text for f in by_kind["unsupported_touchpoints"]] == [
        "“Welcome email” (Onboard · Touchpoints)",
        "“Referral ask” (Advocate · Touchpoints)",
    ]
    assert by_kind["critical_path"][0].cards == ("p1", "p2", "p3", "p4", "p5")
    pair = next(f for f in by_kind["handoffs"] if f.text.startswith("Sales"))
    assert (pair.cards, pair.links) == (("p2", "p3"), ("k-p2-p3",))
    assert by_kind["coverage"][0].text.startswith("Advocate: no back-stage and no process card")


def test_large_process_graph_estimates_betweenness_the_same_way_every_time() -> None:
    """Past the exact limit, betweenness comes from a fixed sample: two runs give the same bottlenecks."""
    from app.model.analysis import BETWEENNESS_EXACT_LIMIT, Board
    from app.model.schema import Card, Lane, Link, Stage

    n = BETWEENNESS_EXACT_LIMIT + 100
    stage = Stage(id="S1", name="Onboard")
    lane = Lane(id="ops", name="Ops", layer="process", kind="team")
    cards = [
        Card(id=f"c{i:04d}", lane="ops", stage="S1", rank=f"a{i:04d}", kind="step")
        for i in range(n)
    ]
    links = [Link(id=f"k{i}", source=f"c{i:04d}", target=f"c{i + 1:04d}") for i in range(n - 1)]
    snap = Board.of([stage], [lane], cards, links)
    first, second = analyze_board(snap), analyze_board(snap)
    assert first.betweenness_samples is not None
    assert first.to_json() == second.to_json()
    assert len(first.bottlenecks) == 5
    assert len(first.critical_path.cards) == n


@pytest.fixture
def b2b(tmp_path: Path) -> Iterator[Document]:
    from app.model.templates import create_from_template

    doc = create_from_template(tmp_path / "b2b.cld", "b2b-saas")
    yield doc
    doc.close()


def test_b2b_saas_template_shows_exactly_its_intended_gaps(b2b: Document) -> None:
    """The b2b-saas template's deliberate gaps are found, and nothing else of their kinds."""
    from app.model.templates import B2B_SAAS_GAPS

    result = analyze(b2b)
    for key in ("unsupported_touchpoints", "orphan_backstage", "pains_without_opportunity"):
        assert result.to_json()[key] == list(B2B_SAAS_GAPS[key]), key
    assert result.coverage.thin_stages == []


def test_b2b_saas_template_loop_back_critical_path_and_stage_times(b2b: Document) -> None:
    """The renewal save-plan loop is the one cycle; without it the critical path crosses all stages."""
    from app.model.templates import B2B_SAAS_GAPS, B2B_SAAS_PROCESS

    result = analyze(b2b)
    assert result.cycles == [list(B2B_SAAS_PROCESS["cycle"])]
    (loop_back,) = B2B_SAAS_GAPS["loop_back_links"]
    link = b2b.link(loop_back)
    assert link is not None and [link.target, link.source] == [
        result.cycles[0][0],
        result.cycles[0][-1],
    ]
    assert result.critical_path.cards == list(B2B_SAAS_PROCESS["critical_path"])
    assert result.critical_path.hours == B2B_SAAS_PROCESS["critical_path_hours"]
    assert result.stage_cycle_hours == B2B_SAAS_PROCESS["stage_cycle_hours"]
    assert result.handoffs.total == B2B_SAAS_PROCESS["handoffs_total"]
    assert (
        result.handoffs.by_team_pair["Sales->Customer Success"]
        == B2B_SAAS_PROCESS["handoffs_sales_to_cs"]
    )


def test_b2b_saas_template_onboarding_bottlenecks(b2b: Document) -> None:
    """The 80 h implementation and the 40 h ERP integration stand out against Onboard's median."""
    result = analyze(b2b)
    slow = {b.card for b in result.bottlenecks if "duration" in b.reasons}
    assert {"c-ps-implementation", "c-partner-integration"} <= slow
    central = [b.card for b in result.bottlenecks if "betweenness" in b.reasons]
    assert len(central) == 5
    assert set(central) & set(result.cycles[0])  # the health-score loop is where paths meet


def test_empty_template_analyses_to_nothing(tmp_path: Path) -> None:
    """The empty template has stages but no findings; every stage is thin."""
    from app.model.templates import create_from_template

    doc = create_from_template(tmp_path / "e.cld", "empty")
    try:
        result = analyze(doc)
        assert result.unsupported_touchpoints == result.orphan_backstage == result.cycles == []
        assert result.coverage.thin_stages == [s.id for s in doc.stages()]
    finally:
        doc.close()
