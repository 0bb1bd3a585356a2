"""BPMN 2.0 export and import of the process layer."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from app.cli import main
from app.export.bpmn import BPMNDI_NS, DC_NS, DI_NS, MODEL_NS, BpmnError, export_bpmn
from app.export.bpmn_import import import_bpmn
from app.model import edits as E
from app.model.document import Document

SCHEMA_DIR = Path(__file__).parent.parent / "data" / "bpmn"
M = f"{{{MODEL_NS}}}"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "BPMN20.xsd")))


def build_board(path: Path) -> Document:
    """Three stages, a journey lane and two teams with a chain of steps, a decision and a
    hand-off, plus a lone note."""
    doc = Document.new(path, name="Onboarding flow")
    stages = []
    for name in ("Acquire", "Onboard", "Adopt"):
        sid, edits = E.add_stage(doc, name)
        doc.commit(edits)
        stages.append(sid)
    lanes = {}
    for name, kind in (
        ("Customer actions", "actions"),
        ("Sales", "team"),
        ("Customer Success", "team"),
    ):
        lid, edits = E.add_lane(doc, name, kind, team=name if kind == "team" else "")
        doc.commit(edits)
        lanes[name] = lid

    def card(lane: str, stage: int, title: str, **fields: object) -> str:
        cid, edits = E.add_card(doc, lanes[lane], stages[stage], title=title, **fields)
        doc.commit(edits)
        return cid

    qualify = card("Sales", 0, "Qualify lead", kind="step", owner="AE", duration_hours=2)
    fit = card("Sales", 0, "Good fit?", kind="decision")
    sign = card("Sales", 1, "Sign contract", kind="step", notes="Legal reviews the MSA")
    kickoff = card("Customer Success", 1, "Kick-off call", kind="handoff")
    train = card("Customer Success", 2, "Train admins", kind="step", cost=300)
    card("Customer Success", 2, "Ask for a case study", kind="note")
    visit = card("Customer actions", 0, "Visits website")
    for a, b in ((qualify, fit), (fit, sign), (sign, kickoff), (kickoff, train), (train, qualify)):
        _kid, edits = E.add_link(doc, a, b)
        doc.commit(edits)
    _kid, edits = E.add_link(doc, visit, qualify)
    doc.commit(edits)
    return doc


def summary(path: Path) -> dict[str, object]:
    """What a BPMN reader sees: lanes, tasks, gateways, flows between named nodes, stages."""
    root = etree.parse(str(path)).getroot()
    names = {el.get("id"): el.get("name", "") for el in root.iter() if el.get("id")}
    return {
        "lanes": [ln.get("name") for ln in root.iter(f"{M}lane")],
        "tasks": sorted(t.get("name") for t in root.iter(f"{M}task")),
        "gateways": sorted(g.get("name") for g in root.iter(f"{M}exclusiveGateway")),
        "starts": len(root.findall(f".//{M}startEvent")),
        "ends": len(root.findall(f".//{M}endEvent")),
        "flows": sorted(
            (names[f.get("sourceRef")], names[f.get("targetRef")])
            for f in root.iter(f"{M}sequenceFlow")
        ),
        "stages": [v.get("value") for v in root.iter(f"{M}categoryValue")],
    }


def test_export_validates_against_the_bpmn_schema(tmp_path: Path, schema: etree.XMLSchema) -> None:
    """The exported file is valid BPMN 2.0 by the official XSD."""
    doc = build_board(tmp_path / "a.cld")
    export_bpmn(doc, tmp_path / "a.bpmn")
    tree = etree.parse(str(tmp_path / "a.bpmn"))
    assert schema.validate(tree), schema.error_log


def test_export_has_one_pool_a_lane_per_team_tasks_gateways_and_events(tmp_path: Path) -> None:
    """Process teams become lanes of one pool; steps tasks, decisions gateways; chains get events."""
    doc = build_board(tmp_path / "a.cld")
    export_bpmn(doc, tmp_path / "a.bpmn")
    root = etree.parse(str(tmp_path / "a.bpmn")).getroot()
    assert len(root.findall(f".//{M}participant")) == 1
    s = summary(tmp_path / "a.bpmn")
    assert s["lanes"] == ["Sales", "Customer Success"]
    assert s["tasks"] == sorted(
        ["Qualify lead", "Sign contract", "Kick-off call", "Train admins", "Ask for a case study"]
    )
    assert s["gateways"] == ["Good fit?"]
    # the chain loops (train -> qualify), so no card starts or ends it; the lone note has no chain
    assert (s["starts"], s["ends"]) == (0, 0)
    assert ("Sign contract", "Kick-off call") in s["flows"]
    assert all("Visits website" not in f for f in s["flows"])  # journey cards stay out
    assert s["stages"] == ["Acquire", "Onboard", "Adopt"]


def test_chain_ends_get_start_and_end_events(tmp_path: Path) -> None:
    """A chain that begins and ends gets a start event before it and an end event after it."""
    doc = build_board(tmp_path / "a.cld")
    loop = next(k for k in doc.links() if doc.card(k.source).title == "Train admins")
    doc.commit(E.delete(doc, "link", loop.id))
    export_bpmn(doc, tmp_path / "a.bpmn")
    s = summary(tmp_path / "a.bpmn")
    assert (s["starts"], s["ends"]) == (1, 1)
    assert ("", "Qualify lead") in s["flows"] and ("Train admins", "") in s["flows"]


def test_diagram_interchange_lays_shapes_out_left_to_right(tmp_path: Path) -> None:
    """Every flow node has a shape inside its lane, edges have waypoints, stages run left to right."""
    doc = build_board(tmp_path / "a.cld")
    export_bpmn(doc, tmp_path / "a.bpmn")
    root = etree.parse(str(tmp_path / "a.bpmn")).getroot()
    bounds = {
        sh.get("bpmnElement"): [
            float(sh.find(f"{{{DC_NS}}}Bounds").get(k)) for k in ("x", "y", "width", "height")
        ]
        for sh in root.iter(f"{{{BPMNDI_NS}}}BPMNShape")
    }
    process = root.find(f"{M}process")
    for lane in process.iter(f"{M}lane"):
        lx, ly, lw, lh = bounds[lane.get("id")]
        for ref in lane.iter(f"{M}flowNodeRef"):
            x, y, w, h = bounds[ref.text]
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh
    for flow in process.iter(f"{M}sequenceFlow"):
        edge = next(
            e
            for e in root.iter(f"{{{BPMNDI_NS}}}BPMNEdge")
            if e.get("bpmnElement") == flow.get("id")
        )
        assert len(edge.findall(f"{{{DI_NS}}}waypoint")) >= 2
    by_name = {el.get("name"): bounds[el.get("id")] for el in process if el.get("name")}
    assert by_name["Qualify lead"][0] < by_name["Sign contract"][0] < by_name["Train admins"][0]


def test_round_trip_keeps_lanes_tasks_gateways_and_flows(tmp_path: Path) -> None:
    """Export, import into a new file, export again: the same lanes, tasks, gateways and flows."""
    doc = build_board(tmp_path / "a.cld")
    export_bpmn(doc, tmp_path / "first.bpmn")
    fresh = Document.new(tmp_path / "b.cld", name="Onboarding flow")
    import_bpmn(fresh, tmp_path / "first.bpmn")
    export_bpmn(fresh, tmp_path / "second.bpmn")
    assert summary(tmp_path / "second.bpmn") == summary(tmp_path / "first.bpmn")
    # and the cards land in the same stages with their kinds and fields
    placed = {(c.title, fresh.stage(c.stage).name, c.kind) for c in fresh.cards()}
    assert ("Sign contract", "Onboard", "step") in placed
    assert ("Kick-off call", "Onboard", "handoff") in placed
    assert ("Good fit?", "Acquire", "decision") in placed
    sign = next(c for c in fresh.cards() if c.title == "Sign contract")
    assert sign.notes == "Legal reviews the MSA"
    qualify = next(c for c in fresh.cards() if c.title == "Qualify lead")
    assert (qualify.owner, qualify.duration_hours) == ("AE", 2)


CAMUNDA_STYLE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="Defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="Collab">
    <bpmn:participant id="Pool" name="Renewals" processRef="P1" />
  </bpmn:collaboration>
  <bpmn:process id="P1" isExecutable="true">
    <bpmn:laneSet id="LS">
      <bpmn:lane id="L_sales" name="sales"><bpmn:flowNodeRef>Start</bpmn:flowNodeRef><bpmn:flowNodeRef>T1</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="L_fin" name="Finance"><bpmn:flowNodeRef>G1</bpmn:flowNodeRef><bpmn:flowNodeRef>Wait</bpmn:flowNodeRef><bpmn:flowNodeRef>T2</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="Start" />
    <bpmn:userTask id="T1" name="Send renewal quote" />
    <bpmn:exclusiveGateway id="G1" name="Discount needed?" />
    <bpmn:intermediateCatchEvent id="Wait" name="Approval arrives" />
    <bpmn:serviceTask id="T2" name="Issue invoice" />
    <bpmn:sequenceFlow id="F0" sourceRef="Start" targetRef="T1" />
    <bpmn:sequenceFlow id="F1" sourceRef="T1" targetRef="G1" name="quote sent" />
    <bpmn:sequenceFlow id="F2" sourceRef="G1" targetRef="Wait" />
    <bpmn:sequenceFlow id="F3" sourceRef="Wait" targetRef="T2" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="D"><bpmndi:BPMNPlane id="Pl" bpmnElement="Collab">
    <bpmndi:BPMNShape id="Start_di" bpmnElement="Start"><dc:Bounds x="100" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="T1_di" bpmnElement="T1"><dc:Bounds x="200" y="80" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="G1_di" bpmnElement="G1"><dc:Bounds x="400" y="200" width="50" height="50" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="T2_di" bpmnElement="T2"><dc:Bounds x="900" y="190" width="100" height="80" /></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def test_import_of_a_modeler_drawing_places_cards_in_lanes_and_stages(tmp_path: Path) -> None:
    """Lanes match existing teams or become new ones; x picks the stage; flows pass through events."""
    doc = build_board(tmp_path / "a.cld")
    before = doc.store.change_count()
    src = tmp_path / "renewals.bpmn"
    src.write_text(CAMUNDA_STYLE, encoding="utf-8")
    message = import_bpmn(doc, src)
    assert "2 tasks, 1 gateways" in message
    assert doc.store.change_count() == before + 1  # one Change: one undo step
    process = {ln.name: ln for ln in doc.lanes("process")}
    assert list(process) == ["Sales", "Customer Success", "Finance"]  # "sales" matched Sales
    assert process["Finance"].team == "Finance"
    cards = {c.title: c for c in doc.cards()}
    assert cards["Send renewal quote"].lane == process["Sales"].id
    assert doc.stage(cards["Send renewal quote"].stage).name == "Acquire"
    assert doc.stage(cards["Issue invoice"].stage).name == "Adopt"  # rightmost x, last stage
    assert cards["Discount needed?"].kind == "decision"
    links = {(doc.card(k.source).title, doc.card(k.target).title): k for k in doc.links()}
    assert links[("Send renewal quote", "Discount needed?")].kind == "handoff"  # across lanes
    assert links[("Send renewal quote", "Discount needed?")].label == "quote sent"
    assert links[("Discount needed?", "Issue invoice")].kind == "flow"  # through the event


def test_a_modeler_drawing_can_go_into_one_stage(tmp_path: Path, capsys) -> None:
    """`cld import --stage Onboard` puts every task there; an unknown stage is refused."""
    path = tmp_path / "a.cld"
    build_board(path).close()
    src = tmp_path / "renewals.bpmn"
    src.write_text(CAMUNDA_STYLE, encoding="utf-8")
    assert main(["import", str(path), str(src), "--stage", "nowhere"]) == 2
    assert "no stage called 'nowhere'" in capsys.readouterr().err
    assert main(["import", str(path), str(src), "--stage", "onboard"]) == 0
    with Document.open(path) as doc:
        titles = {"Send renewal quote", "Discount needed?", "Issue invoice"}
        stages = {doc.stage(c.stage).name for c in doc.cards() if c.title in titles}
        assert stages == {"Onboard"}


def test_new_lanes_keep_the_files_order_around_the_boards_lanes(tmp_path: Path) -> None:
    """Exported from the sample board and imported into a board that has only Customer
    Success, the teams come back as Sales, Customer Success, Professional Services, ..."""
    from app.model.templates import create_from_template

    full = create_from_template(tmp_path / "full.cld", "b2b-saas")
    out = tmp_path / "full.bpmn"
    export_bpmn(full, out)
    order = [ln.name for ln in full.lanes("process")]
    full.close()
    empty = create_from_template(tmp_path / "empty.cld", "empty")
    assert [ln.name for ln in empty.lanes("process")] == ["Customer Success"]
    import_bpmn(empty, out)
    assert [ln.name for ln in empty.lanes("process")] == order
    empty.close()


def test_importing_a_modeler_file_again_updates_its_cards_instead_of_doubling_them(
    tmp_path: Path,
) -> None:
    """The same file twice changes nothing; edited in the modeler, it updates the same cards."""
    doc = build_board(tmp_path / "a.cld")
    src = tmp_path / "renewals.bpmn"
    src.write_text(CAMUNDA_STYLE, encoding="utf-8")
    import_bpmn(doc, src)
    cards_before = {c.id: c.title for c in doc.cards()}
    links_before = {k.id for k in doc.links()}
    changes = doc.store.change_count()
    message = import_bpmn(doc, src)
    assert "nothing changed" in message
    assert doc.store.change_count() == changes
    assert {c.id: c.title for c in doc.cards()} == cards_before
    assert {k.id for k in doc.links()} == links_before
    # renamed in the modeler and moved to the Sales lane: the same card, updated
    quote = next(c for c in doc.cards() if c.title == "Send renewal quote")
    doc.commit([("card", quote.id, "channel", "Email"), ("card", quote.id, "tags", ["q4"])])
    edited = CAMUNDA_STYLE.replace('name="Send renewal quote"', 'name="Send the renewal quote"')
    edited = edited.replace("<bpmn:flowNodeRef>T2</bpmn:flowNodeRef>", "").replace(
        "<bpmn:flowNodeRef>T1</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>T1</bpmn:flowNodeRef><bpmn:flowNodeRef>T2</bpmn:flowNodeRef>",
    )
    src.write_text(edited, encoding="utf-8")
    message = import_bpmn(doc, src)
    assert "0 cards new, 2 updated" in message
    assert len(doc.cards()) == len(cards_before)
    again = doc.card(quote.id)
    assert again.title == "Send the renewal quote"
    assert (again.channel, again.tags) == ("Email", ["q4"])  # what BPMN does not carry stays
    invoice = next(c for c in doc.cards() if c.title == "Issue invoice")
    assert doc.lane(invoice.lane).name == "Sales"
    assert {k.id for k in doc.links()} == links_before


def test_a_process_exported_edited_and_imported_back_updates_the_board_in_place(
    tmp_path: Path,
) -> None:
    """Export, rename a task in the BPMN file, import into the same board: no duplicates."""
    doc = build_board(tmp_path / "a.cld")
    sign = next(c for c in doc.cards() if c.title == "Sign contract")
    doc.commit([("card", sign.id, "color", "#FFE066")])
    out = tmp_path / "process.bpmn"
    export_bpmn(doc, out)
    before = {c.id for c in doc.cards()}
    links = {(k.source, k.target, k.kind) for k in doc.links()}
    text = out.read_text(encoding="utf-8").replace('name="Sign contract"', 'name="Sign the MSA"')
    out.write_text(text, encoding="utf-8")
    import_bpmn(doc, out)
    assert {c.id for c in doc.cards()} == before
    signed = doc.card(sign.id)
    assert (signed.title, signed.color, signed.notes) == (
        "Sign the MSA",
        "#FFE066",
        "Legal reviews the MSA",
    )
    assert {(k.source, k.target, k.kind) for k in doc.links()} == links


def test_import_refuses_files_that_are_not_bpmn(tmp_path: Path) -> None:
    """XML of another kind and non-XML both give a clear BpmnError and change nothing."""
    doc = build_board(tmp_path / "a.cld")
    before = doc.store.change_count()
    other = tmp_path / "other.bpmn"
    other.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    with pytest.raises(BpmnError, match="not a BPMN 2.0 file"):
        import_bpmn(doc, other)
    junk = tmp_path / "junk.bpmn"
    junk.write_bytes(b"\x89PNG\r\n not xml")
    with pytest.raises(BpmnError, match="not a BPMN file"):
        import_bpmn(doc, junk)
    assert doc.store.change_count() == before


def test_cli_exports_and_imports_bpmn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`cld export -o x.bpmn` writes the file; `cld import` brings it into another design."""
    build_board(tmp_path / "a.cld").close()
    assert main(["export", str(tmp_path / "a.cld"), "-o", str(tmp_path / "x.bpmn")]) == 0
    assert "2 lanes, 5 tasks, 1 gateways" in capsys.readouterr().out
    Document.new(tmp_path / "b.cld").close()
    assert main(["import", str(tmp_path / "b.cld"), str(tmp_path / "x.bpmn")]) == 0
    assert "5 tasks, 1 gateways, 5 flows" in capsys.readouterr().out


def test_cli_bad_bpmn_requests_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No process lanes, or a file that is not BPMN: one plain line on stderr and status 2."""
    Document.new(tmp_path / "empty.cld").close()
    assert main(["export", str(tmp_path / "empty.cld"), "-o", str(tmp_path / "x.bpmn")]) == 2
    err = capsys.readouterr().err
    assert "no process lanes" in err and "Traceback" not in err
    bad = tmp_path / "notes.bpmn"
    bad.write_text("just some notes", encoding="utf-8")
    assert main(["import", str(tmp_path / "empty.cld"), str(bad)]) == 2
    assert "not a BPMN file" in capsys.readouterr().err


def test_edges_stay_clear_of_other_shapes(tmp_path: Path) -> None:
    """On the B2B SaaS board no sequence flow is drawn through a task, gateway or event."""
    from app.model.templates import create_from_template

    doc = create_from_template(tmp_path / "saas.cld", "b2b-saas")
    export_bpmn(doc, tmp_path / "saas.bpmn")
    root = etree.parse(str(tmp_path / "saas.bpmn")).getroot()
    process = root.find(f"{M}process")
    nodes = {el.get("id") for el in process if el.tag not in (f"{M}laneSet", f"{M}sequenceFlow")}
    boxes = {}
    for sh in root.iter(f"{{{BPMNDI_NS}}}BPMNShape"):
        if sh.get("bpmnElement") in nodes:
            b = sh.find(f"{{{DC_NS}}}Bounds")
            x, y, w, h = (float(b.get(k)) for k in ("x", "y", "width", "height"))
            boxes[sh.get("bpmnElement")] = (x + 1, y + 1, x + w - 1, y + h - 1)
    ends = {
        f.get("id"): (f.get("sourceRef"), f.get("targetRef"))
        for f in process.iter(f"{M}sequenceFlow")
    }
    crossings = []
    for edge in root.iter(f"{{{BPMNDI_NS}}}BPMNEdge"):
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.iter(f"{{{DI_NS}}}waypoint")]
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            for node, (bx0, by0, bx1, by1) in boxes.items():
                if node in ends[edge.get("bpmnElement")]:
                    continue
                if (
                    min(x0, x1) < bx1
                    and max(x0, x1) > bx0
                    and min(y0, y1) < by1
                    and max(y0, y1) > by0
                ):
                    crossings.append((edge.get("bpmnElement"), node))
    assert not crossings
    doc.close()


def test_import_of_a_pool_without_lanes_uses_the_pool_name(tmp_path: Path) -> None:
    """A process drawn without lanes comes in as one team lane named after its pool."""
    src = tmp_path / "plain.bpmn"
    src.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <collaboration id="c"><participant id="p" name="Billing" processRef="P"/></collaboration>
  <process id="P">
    <task id="a" name="Create invoice"/><task id="b" name="Send invoice"/>
    <sequenceFlow id="f" sourceRef="a" targetRef="b"/>
  </process>
</definitions>""",
        encoding="utf-8",
    )
    doc = Document.new(tmp_path / "b.cld")
    assert "2 tasks, 0 gateways, 1 flows" in import_bpmn(doc, src)
    [lane] = doc.lanes("process")
    assert (lane.name, lane.team, lane.kind) == ("Billing", "Billing", "team")
    assert [s.name for s in doc.stages()] == ["Process"]
    [link] = doc.links()
    assert (doc.card(link.source).title, doc.card(link.target).title, link.kind) == (
        "Create invoice",
        "Send invoice",
        "flow",
    )
    doc.close()
