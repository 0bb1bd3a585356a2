"""The process layer as BPMN 2.0 XML with diagram interchange, for Camunda Modeler and bpmn.io.

One pool (a participant and its process) holds a lane per process team. Step, note and
hand-off cards become tasks, decision cards exclusive gateways, flow and hand-off links
between process cards sequence flows; a start event opens every chain and an end event
closes it. Lifecycle stages become BPMN groups laid over the pool as columns, so the
diagram reads left to right like the board and an import puts cards back in their stage.
Attributes in the ``cld`` namespace keep what BPMN has no word for (card kind, owner,
duration, cost) so a round trip loses nothing a BPMN tool leaves alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from app.model.document import Document
from app.model.schema import Card, CardKind, Lane, Layer, Link, LinkKind

MODEL_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
CLD_NS = "urn:cld-desktop:bpmn:1"
NSMAP = {"bpmn": MODEL_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS, "cld": CLD_NS}

#: link kinds that are sequence flows in BPMN
SEQUENCE_KINDS = frozenset({LinkKind.FLOW.value, LinkKind.HANDOFF.value})

# Diagram geometry in BPMN units (pixels in bpmn.io); sizes are bpmn.io's defaults so a
# diagram looks native there.
TASK_W, TASK_H = 120.0, 80.0
GATEWAY_W = GATEWAY_H = 50.0
EVENT_W = EVENT_H = 36.0
NODE_GAP = 40.0  # between neighbouring nodes of one cell
COLUMN_PAD = 24.0  # inside a stage column, each side
MIN_COLUMN_W = TASK_W + 2 * COLUMN_PAD
LANE_H = 140.0
POOL_HEADER_W = 30.0  # the band with the pool's vertical name
LANE_HEADER_W = 30.0  # the band with a lane's vertical name
ORIGIN_X, ORIGIN_Y = 160.0, 120.0
GROUP_OVERHANG = 36.0  # a stage group starts above the pool so its name sits clear of lanes


class BpmnError(ValueError):
    """A BPMN request that cannot be met: no process lanes, or a file that is not BPMN."""


def q(ns: str, tag: str) -> str:
    """A qualified lxml tag name."""
    return f"{{{ns}}}{tag}"


_NOT_NCNAME = re.compile(r"[^A-Za-z0-9_.-]")


def xml_id(prefix: str, entity_id: str) -> str:
    """An XML ID (NCName) made from an entity id, e.g. ``Activity_c-1a2b``."""
    return f"{prefix}_{_NOT_NCNAME.sub('_', entity_id)}"


@dataclass
class Box:
    """A rectangle in diagram units."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass
class Node:
    """One BPMN flow node placed in the diagram."""

    xml_id: str
    tag: str  # task | exclusiveGateway | startEvent | endEvent
    name: str
    lane: str  # lane entity id
    box: Box
    card: Card | None = None
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)


@dataclass
class Flow:
    """One sequence flow with its route."""

    xml_id: str
    source: Node
    target: Node
    name: str = ""
    kind: str = ""
    waypoints: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class ProcessDiagram:
    """The process layer laid out for BPMN: pool, lanes, stage columns, nodes and flows."""

    name: str
    pool: Box
    lanes: list[tuple[Lane, Box]]
    columns: list[tuple[str, str, Box]]  # (stage id, stage name, column box)
    nodes: list[Node]
    flows: list[Flow]


def _node_size(card: Card) -> tuple[str, float, float]:
    if card.kind == CardKind.DECISION.value:
        return "exclusiveGateway", GATEWAY_W, GATEWAY_H
    return "task", TASK_W, TASK_H


def _sequence_links(doc: Document, cards: dict[str, Card]) -> list[Link]:
    return [
        k
        for k in doc.links()
        if k.kind in SEQUENCE_KINDS and k.source in cards and k.target in cards
    ]


def layout_process(doc: Document) -> ProcessDiagram:
    """Place the process layer left to right by stage column; raise BpmnError if there is none."""
    lanes = doc.lanes(Layer.PROCESS)
    if not lanes:
        raise BpmnError(
            "this design has no process lanes to export as BPMN: add a team lane to the "
            "process layer first"
        )
    stages = doc.stages()
    cells = {(ln.id, s.id): doc.cards_in(ln.id, s.id) for ln in lanes for s in stages}
    cards = {c.id: c for cell in cells.values() for c in cell}
    links = _sequence_links(doc, cards)
    has_in = {k.target for k in links}
    has_out = {k.source for k in links}

    # each cell is a row of slots: [start event] card [end event] for every card in order
    slots: dict[tuple[str, str], list[tuple[str, Card, float, float]]] = {}
    for key, cell in cells.items():
        row: list[tuple[str, Card, float, float]] = []
        for card in cell:
            chained = card.id in has_in or card.id in has_out
            if chained and card.id not in has_in:
                row.append(("startEvent", card, EVENT_W, EVENT_H))
            tag, w, h = _node_size(card)
            row.append((tag, card, w, h))
            if chained and card.id not in has_out:
                row.append(("endEvent", card, EVENT_W, EVENT_H))
        slots[key] = row

    def row_width(row: list[tuple[str, Card, float, float]]) -> float:
        return sum(w for _, _, w, _ in row) + NODE_GAP * max(len(row) - 1, 0)

    content_x = ORIGIN_X + POOL_HEADER_W + LANE_HEADER_W
    columns: list[tuple[str, str, Box]] = []
    x = content_x
    pool_h = LANE_H * len(lanes)
    for s in stages:
        width = max(
            [MIN_COLUMN_W] + [row_width(slots[(ln.id, s.id)]) + 2 * COLUMN_PAD for ln in lanes]
        )
        columns.append((s.id, s.name, Box(x, ORIGIN_Y, width, pool_h)))
        x += width
    pool = Box(ORIGIN_X, ORIGIN_Y, max(x, content_x + MIN_COLUMN_W) - ORIGIN_X, pool_h)

    lane_boxes: list[tuple[Lane, Box]] = []
    nodes: list[Node] = []
    by_card: dict[str, Node] = {}
    starts: dict[str, Node] = {}
    ends: dict[str, Node] = {}
    for i, ln in enumerate(lanes):
        lane_box = Box(
            ORIGIN_X + POOL_HEADER_W, ORIGIN_Y + i * LANE_H, pool.w - POOL_HEADER_W, LANE_H
        )
        lane_boxes.append((ln, lane_box))
        for stage_id, _name, col in columns:
            row = slots[(ln.id, stage_id)]
            nx = col.x + (col.w - row_width(row)) / 2
            for tag, card, w, h in row:
                box = Box(nx, lane_box.cy - h / 2, w, h)
                nx += w + NODE_GAP
                if tag == "startEvent":
                    node = Node(xml_id("StartEvent", card.id), tag, "", ln.id, box)
                    starts[card.id] = node
                elif tag == "endEvent":
                    node = Node(xml_id("EndEvent", card.id), tag, "", ln.id, box)
                    ends[card.id] = node
                else:
                    prefix = "Gateway" if tag == "exclusiveGateway" else "Activity"
                    node = Node(xml_id(prefix, card.id), tag, card.title, ln.id, box, card)
                    by_card[card.id] = node
                nodes.append(node)

    lane_of = {ln.id: box for ln, box in lane_boxes}
    flows: list[Flow] = []
    for cid, node in starts.items():
        flows.append(Flow(xml_id("Flow_start", cid), node, by_card[cid]))
    for k in links:
        flows.append(
            Flow(xml_id("Flow", k.id), by_card[k.source], by_card[k.target], k.label, k.kind)
        )
    for cid, node in ends.items():
        flows.append(Flow(xml_id("Flow_end", cid), by_card[cid], node))
    router = Router(lane_of, [col for _sid, _name, col in columns], nodes)
    for i, f in enumerate(flows):
        f.source.outgoing.append(f.xml_id)
        f.target.incoming.append(f.xml_id)
        f.waypoints = router.route(f.source, f.target, i)
    return ProcessDiagram(doc.name, pool, lane_boxes, columns, nodes, flows)


Point = tuple[float, float]


class Router:
    """Orthogonal edges that stay clear of the nodes.

    Nodes sit on their lane's centre line with clear bands above and below them, and every
    stage column has a clear gutter at its left edge. An edge leaves its source to the right,
    runs along a band of its lane, changes lanes in the target column's gutter, runs along a
    band of the target's lane and enters the target from the left. Neighbours in a lane with
    nothing between them get a straight line.
    """

    CHANNEL = 12.0  # distance of a lane's edge band from the lane's edge
    SPREAD = 4.0  # edges sharing a band are spread this far apart

    def __init__(self, lanes: dict[str, Box], columns: list[Box], nodes: list[Node]) -> None:
        self.lanes = lanes
        self.columns = columns
        self.rows: dict[str, list[Box]] = {}
        for node in nodes:
            self.rows.setdefault(node.lane, []).append(node.box)

    def _clear_between(self, lane: str, x0: float, x1: float) -> bool:
        return not any(x0 < b.x < x1 or x0 < b.right < x1 for b in self.rows.get(lane, []))

    def _gutter(self, x: float) -> float:
        """The left edge of the stage column at ``x`` (or of the leftmost one)."""
        left = self.columns[0].x if self.columns else x - NODE_GAP
        for col in self.columns:
            if col.x <= x:
                left = col.x
        return left

    def route(self, source: Node, target: Node, index: int) -> list[Point]:
        src, tgt = source.box, target.box
        start, end = (src.right, src.cy), (tgt.x, tgt.cy)
        same_lane = source.lane == target.lane
        if same_lane and tgt.x >= src.right and self._clear_between(source.lane, src.right, tgt.x):
            if abs(src.cy - tgt.cy) < 0.5:
                return [start, end]
            mid = (src.right + tgt.x) / 2
            return [start, (mid, src.cy), (mid, tgt.cy), end]
        out_x = src.right + NODE_GAP / 2
        in_x = tgt.x - NODE_GAP / 2
        shift = (index % 4) * self.SPREAD
        src_lane, tgt_lane = self.lanes[source.lane], self.lanes[target.lane]
        if same_lane:
            band = src_lane.bottom - self.CHANNEL - shift
            return [start, (out_x, src.cy), (out_x, band), (in_x, band), (in_x, tgt.cy), end]
        down = tgt_lane.y > src_lane.y
        out_band = (
            src_lane.bottom - self.CHANNEL - shift if down else src_lane.y + self.CHANNEL + shift
        )
        in_band = (
            tgt_lane.y + self.CHANNEL + shift if down else tgt_lane.bottom - self.CHANNEL - shift
        )
        # inside the column's padding, clear of the stage group's border at its edge
        gutter = self._gutter(tgt.x) + 8 + (index % 4) * 3
        return [
            start,
            (out_x, src.cy),
            (out_x, out_band),
            (gutter, out_band),
            (gutter, in_band),
            (in_x, in_band),
            (in_x, tgt.cy),
            end,
        ]


# -- writing ---------------------------------------------------------------------------


def _num(v: float) -> str:
    return f"{v:g}" if abs(v - round(v)) > 1e-9 else str(int(round(v)))


def _bounds(parent: etree._Element, box: Box) -> None:
    etree.SubElement(
        parent,
        q(DC_NS, "Bounds"),
        x=_num(box.x),
        y=_num(box.y),
        width=_num(box.w),
        height=_num(box.h),
    )


def _card_attributes(el: etree._Element, card: Card) -> None:
    el.set(q(CLD_NS, "kind"), card.kind)
    if card.owner:
        el.set(q(CLD_NS, "owner"), card.owner)
    if card.duration_hours is not None:
        el.set(q(CLD_NS, "durationHours"), _num(card.duration_hours))
    if card.cost is not None:
        el.set(q(CLD_NS, "cost"), _num(card.cost))


def to_xml(diagram: ProcessDiagram) -> etree._Element:
    """The ``bpmn:definitions`` element of a laid-out process diagram."""
    root = etree.Element(
        q(MODEL_NS, "definitions"),
        nsmap=NSMAP,
        id="Definitions_1",
        targetNamespace="urn:cld-desktop:design",
        exporter="CLD Desktop",
        exporterVersion="0.1",
    )
    if diagram.columns:
        category = etree.SubElement(
            root, q(MODEL_NS, "category"), id="Category_stages", name="Lifecycle stages"
        )
        for stage_id, name, _box in diagram.columns:
            etree.SubElement(
                category, q(MODEL_NS, "categoryValue"), id=xml_id("Stage", stage_id), value=name
            )
    collab = etree.SubElement(root, q(MODEL_NS, "collaboration"), id="Collaboration_1")
    etree.SubElement(
        collab,
        q(MODEL_NS, "participant"),
        id="Participant_1",
        name=diagram.name,
        processRef="Process_1",
    )
    for stage_id, _name, _box in diagram.columns:
        etree.SubElement(
            collab,
            q(MODEL_NS, "group"),
            id=xml_id("Group", stage_id),
            categoryValueRef=xml_id("Stage", stage_id),
        )
    process = etree.SubElement(root, q(MODEL_NS, "process"), id="Process_1", isExecutable="false")
    lane_set = etree.SubElement(process, q(MODEL_NS, "laneSet"), id="LaneSet_1")
    for ln, _box in diagram.lanes:
        lane_el = etree.SubElement(
            lane_set, q(MODEL_NS, "lane"), id=xml_id("Lane", ln.id), name=ln.name
        )
        for node in diagram.nodes:
            if node.lane == ln.id:
                etree.SubElement(lane_el, q(MODEL_NS, "flowNodeRef")).text = node.xml_id
    for node in diagram.nodes:
        el = etree.SubElement(process, q(MODEL_NS, node.tag), id=node.xml_id)
        if node.name:
            el.set("name", node.name)
        if node.card is not None:
            _card_attributes(el, node.card)
            if node.card.notes:
                etree.SubElement(el, q(MODEL_NS, "documentation")).text = node.card.notes
        for ref in node.incoming:
            etree.SubElement(el, q(MODEL_NS, "incoming")).text = ref
        for ref in node.outgoing:
            etree.SubElement(el, q(MODEL_NS, "outgoing")).text = ref
    for f in diagram.flows:
        el = etree.SubElement(
            process,
            q(MODEL_NS, "sequenceFlow"),
            id=f.xml_id,
            sourceRef=f.source.xml_id,
            targetRef=f.target.xml_id,
        )
        if f.name:
            el.set("name", f.name)
        if f.kind:
            el.set(q(CLD_NS, "kind"), f.kind)

    bpmn_diagram = etree.SubElement(root, q(BPMNDI_NS, "BPMNDiagram"), id="BPMNDiagram_1")
    plane = etree.SubElement(
        bpmn_diagram, q(BPMNDI_NS, "BPMNPlane"), id="BPMNPlane_1", bpmnElement="Collaboration_1"
    )

    def shape(element_id: str, box: Box, **attrs: str) -> None:
        el = etree.SubElement(
            plane, q(BPMNDI_NS, "BPMNShape"), id=f"{element_id}_di", bpmnElement=element_id, **attrs
        )
        _bounds(el, box)

    shape("Participant_1", diagram.pool, isHorizontal="true")
    for ln, box in diagram.lanes:
        shape(xml_id("Lane", ln.id), box, isHorizontal="true")
    for node in diagram.nodes:
        extra = {"isMarkerVisible": "true"} if node.tag == "exclusiveGateway" else {}
        shape(node.xml_id, node.box, **extra)
    for f in diagram.flows:
        el = etree.SubElement(
            plane, q(BPMNDI_NS, "BPMNEdge"), id=f"{f.xml_id}_di", bpmnElement=f.xml_id
        )
        for x, y in f.waypoints:
            etree.SubElement(el, q(DI_NS, "waypoint"), x=_num(x), y=_num(y))
    for stage_id, _name, col in diagram.columns:
        group_box = Box(col.x + 4, col.y - GROUP_OVERHANG, col.w - 8, col.h + GROUP_OVERHANG + 12)
        shape(xml_id("Group", stage_id), group_box)
    return root


def export_bpmn(doc: Document, out: Path) -> str:
    """Write the process layer of ``doc`` to ``out``; returns a one-line summary."""
    diagram = layout_process(doc)
    root = to_xml(diagram)
    Path(out).write_bytes(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )
    tasks = sum(n.tag == "task" for n in diagram.nodes)
    gateways = sum(n.tag == "exclusiveGateway" for n in diagram.nodes)
    card_flows = sum(bool(f.kind) for f in diagram.flows)
    return (
        f"wrote {out}: {len(diagram.lanes)} lanes, {tasks} tasks, {gateways} gateways, "
        f"{card_flows} flows between cards"
    )
