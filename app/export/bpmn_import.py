"""BPMN 2.0 files onto the board: lanes become process lanes, tasks and gateways cards.

A process drawn in Camunda Modeler or bpmn.io comes in as one Change. Lanes match existing
process lanes by name or team (else new team lanes); tasks and gateways become cards in the
stage column their diagram position falls in (the stage groups our export writes, else the
board's stages spread over the diagram's width); sequence flows become links, passing
through events and other nodes that are not cards.

Importing is repeatable: a task our export wrote (``Activity_<card id>``) comes back onto
that card, and a task drawn in a BPMN tool gets an id made from the file's and the task's
ids, so importing the same file again (after editing it in Camunda, say) updates the cards it
made instead of adding them twice. Fields the BPMN file does not carry (channel, tags,
colour, votes) are left as they are on the board.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from app.export.bpmn import BPMNDI_NS, CLD_NS, DC_NS, MODEL_NS, Box, BpmnError, q
from app.model.document import Document, Edit
from app.model.edits import add_lane, add_stage, create
from app.model.ranks import key_between, keys_after
from app.model.schema import (
    MAX_NAME,
    MAX_TEXT,
    CardKind,
    InvalidValue,
    LaneKind,
    Layer,
    LinkKind,
    validate_field,
)

TASK_TAGS = frozenset(
    {
        "task",
        "userTask",
        "serviceTask",
        "manualTask",
        "scriptTask",
        "businessRuleTask",
        "sendTask",
        "receiveTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
    }
)
GATEWAY_TAGS = frozenset(
    {
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "complexGateway",
        "eventBasedGateway",
    }
)
#: flow nodes that are not cards: flows pass through them
PASS_TAGS = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "implicitThrowEvent",
    }
)
CARD_KINDS = frozenset(k.value for k in CardKind)
DEFAULT_STAGE = "Process"


@dataclass
class BpmnNode:
    """A flow node read from the file."""

    xml_id: str
    tag: str
    name: str
    notes: str
    attrs: dict[str, str]
    lane: str = ""  # lane name
    box: Box | None = None

    @property
    def is_card(self) -> bool:
        return self.tag in TASK_TAGS or self.tag in GATEWAY_TAGS


@dataclass
class BpmnModel:
    """What an import needs from a BPMN file, in reading order."""

    lanes: list[str] = field(default_factory=list)
    nodes: dict[str, BpmnNode] = field(default_factory=dict)
    flows: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # source, target, name, cld kind
    columns: list[tuple[str, Box]] = field(default_factory=list)  # stage groups, left to right
    source: str = ""  # the id of the file's <definitions> (BPMN tools keep it per diagram)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _box(el: etree._Element | None) -> Box | None:
    if el is None:
        return None
    try:
        return Box(*(float(el.get(a, "")) for a in ("x", "y", "width", "height")))
    except ValueError:
        return None


def parse(path: Path) -> BpmnModel:
    """Read a BPMN 2.0 file; raise BpmnError for anything that is not one."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except (etree.XMLSyntaxError, OSError) as exc:
        raise BpmnError(f"{path.name} is not a BPMN file: it is not readable XML ({exc})") from None
    if root.tag != q(MODEL_NS, "definitions"):
        raise BpmnError(
            f"{path.name} is not a BPMN 2.0 file: expected <definitions> in the namespace "
            f"{MODEL_NS}, found <{_local(root) or root.tag}>"
        )
    processes = root.findall(q(MODEL_NS, "process"))
    if not processes:
        raise BpmnError(f"{path.name} has no process to import: draw one in a BPMN tool first")

    shapes = {
        el.get("bpmnElement", ""): _box(el.find(q(DC_NS, "Bounds")))
        for el in root.iter(q(BPMNDI_NS, "BPMNShape"))
    }
    pool_names = {
        el.get("processRef", ""): el.get("name", "") for el in root.iter(q(MODEL_NS, "participant"))
    }
    # without a definitions id (hand-written files) the file's name tells files apart
    model = BpmnModel(source=root.get("id") or f"file:{path.name}")
    for process in processes:
        _read_process(process, pool_names.get(process.get("id", ""), ""), shapes, model)
    model.columns = _stage_columns(root, shapes)
    return model


def _leaf_lanes(lane_set: etree._Element) -> list[etree._Element]:
    leaves = []
    for lane in lane_set.findall(q(MODEL_NS, "lane")):
        children = [
            leaf
            for child in lane.findall(q(MODEL_NS, "childLaneSet"))
            for leaf in _leaf_lanes(child)
        ]
        leaves.extend(children or [lane])
    return leaves


def _read_process(
    process: etree._Element, pool_name: str, shapes: dict[str, Box | None], model: BpmnModel
) -> None:
    lanes: list[tuple[str, set[str], Box | None]] = []
    for lane_set in process.findall(q(MODEL_NS, "laneSet")):
        for lane in _leaf_lanes(lane_set):
            name = (lane.get("name") or "").strip() or pool_name or process.get("name") or "Process"
            refs = {(r.text or "").strip() for r in lane.findall(q(MODEL_NS, "flowNodeRef"))}
            lanes.append((name[:MAX_NAME], refs, shapes.get(lane.get("id", ""))))
    fallback = (pool_name or process.get("name") or "Process")[:MAX_NAME]

    for el in process:
        tag = _local(el)
        if tag == "sequenceFlow":
            model.flows.append(
                (
                    el.get("sourceRef", ""),
                    el.get("targetRef", ""),
                    el.get("name", ""),
                    el.get(q(CLD_NS, "kind"), ""),
                )
            )
            continue
        if tag not in TASK_TAGS and tag not in GATEWAY_TAGS and tag not in PASS_TAGS:
            continue
        eid = el.get("id", "")
        notes = "\n".join((d.text or "").strip() for d in el.findall(q(MODEL_NS, "documentation")))
        attrs = {
            etree.QName(k).localname: v
            for k, v in el.attrib.items()
            if k.startswith(f"{{{CLD_NS}}}")
        }
        node = BpmnNode(
            eid, tag, (el.get("name") or "").strip()[:MAX_NAME], notes.strip()[:MAX_TEXT], attrs
        )
        node.box = shapes.get(eid)
        node.lane = _lane_of(node, lanes) or fallback
        model.nodes[eid] = node
    for name, _refs, _box in lanes:
        if name not in model.lanes:
            model.lanes.append(name)
    if (
        any(n.lane == fallback for n in model.nodes.values() if n.is_card)
        and fallback not in model.lanes
    ):
        model.lanes.append(fallback)


def _lane_of(node: BpmnNode, lanes: list[tuple[str, set[str], Box | None]]) -> str:
    for name, refs, _box in lanes:
        if node.xml_id in refs:
            return name
    if node.box is not None:
        for name, _refs, box in lanes:
            if box is not None and box.y <= node.box.cy <= box.bottom:
                return name
    return ""


def _stage_columns(root: etree._Element, shapes: dict[str, Box | None]) -> list[tuple[str, Box]]:
    values = {
        el.get("id", ""): (el.get("value") or "").strip()
        for el in root.iter(q(MODEL_NS, "categoryValue"))
    }
    columns: list[tuple[str, Box]] = []
    for group in root.iter(q(MODEL_NS, "group")):
        ref = (group.get("categoryValueRef") or "").split(":")[-1]
        name, box = values.get(ref, ""), shapes.get(group.get("id", ""))
        if name and box is not None:
            columns.append((name[:MAX_NAME], box))
    return sorted(columns, key=lambda column: column[1].x)


# -- edits -------------------------------------------------------------------------------


def _with_rank(edits: list[Edit], rank: str) -> list[Edit]:
    return [(t, i, f, rank if f == "rank" else v) for t, i, f, v in edits]


def _card_fields(node: BpmnNode) -> dict[str, Any]:
    gateway = node.tag in GATEWAY_TAGS
    kind = node.attrs.get("kind", "")
    if kind not in CARD_KINDS or (kind == CardKind.DECISION.value) != gateway:
        kind = CardKind.DECISION.value if gateway else CardKind.STEP.value
    values: dict[str, Any] = {"title": node.name, "notes": node.notes, "kind": kind}
    for attr, fname in (("owner", "owner"), ("durationHours", "duration_hours"), ("cost", "cost")):
        raw = node.attrs.get(attr)
        if raw is None:
            continue
        try:
            values[fname] = validate_field("card", "-", fname, raw)
        except InvalidValue:
            continue  # a value a BPMN tool mangled is dropped, the card still comes in
    return values


def _reachable_cards(model: BpmnModel) -> list[tuple[str, str, str, str]]:
    """Card-to-card flows, following flows through events and other non-card nodes."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for src, tgt, name, kind in model.flows:
        if src in model.nodes and tgt in model.nodes:
            out.setdefault(src, []).append((tgt, name, kind))
    result: dict[tuple[str, str], tuple[str, str]] = {}
    for start, node in model.nodes.items():
        if not node.is_card:
            continue
        stack = [(t, n, k) for t, n, k in out.get(start, [])]
        seen: set[str] = set()
        while stack:
            tgt, name, kind = stack.pop()
            if tgt in seen:
                continue
            seen.add(tgt)
            if model.nodes[tgt].is_card:
                if tgt != start:
                    result.setdefault((start, tgt), (name, kind))
            else:
                stack.extend((t, "", "") for t, _n, _k in out.get(tgt, []))
    return [(s, t, n, k) for (s, t), (n, k) in result.items()]


def import_bpmn(doc: Document, path: Path, *, stage: str | None = None) -> str:
    """Bring the processes of a BPMN file onto the board as one Change; returns a summary.

    A file our export wrote puts each card back in its stage; another tool's drawing is
    spread over the stages by position, left to right, unless ``stage`` (a stage's name)
    takes all of it.
    """
    model = parse(Path(path))
    cards = [n for n in model.nodes.values() if n.is_card]
    if not cards:
        raise BpmnError(f"{Path(path).name} has no tasks or gateways to import")
    into: str | None = None
    if stage is not None:
        into = next((s.id for s in doc.stages() if s.name.casefold() == stage.casefold()), None)
        if into is None:
            names = ", ".join(s.name for s in doc.stages()) or "none yet"
            raise BpmnError(f"the board has no stage called {stage!r} (its stages: {names})")
    edits: list[Edit] = []

    # stages: the groups our export writes, matched by name; new ones go at the end
    stages = doc.stages()
    stage_by_name = {s.name.casefold(): s.id for s in stages}
    new_stage_names = [] if into else _unseen([n for n, _ in model.columns], stage_by_name)
    if not stages and not model.columns:
        new_stage_names = [DEFAULT_STAGE]
    last = stages[-1].rank if stages else None
    for name, rank in zip(new_stage_names, keys_after(last, len(new_stage_names)), strict=True):
        sid, stage_edits = add_stage(doc, name)
        edits += _with_rank(stage_edits, rank)
        stage_by_name[name.casefold()] = sid
    stage_order = [s.id for s in stages] + [stage_by_name[n.casefold()] for n in new_stage_names]

    # lanes: existing process lanes by name or team, else new team lanes
    lanes = doc.lanes(Layer.PROCESS)
    lane_by_name: dict[str, str] = {}
    for ln in lanes:
        lane_by_name.setdefault(ln.name.casefold(), ln.id)
        if ln.team:
            lane_by_name.setdefault(ln.team.casefold(), ln.id)
    new_lanes = _unseen(model.lanes, lane_by_name)
    for name, rank in _lane_ranks(model.lanes, lanes, lane_by_name).items():
        lid, lane_edits = add_lane(
            doc, name, LaneKind.TEAM.value, layer=Layer.PROCESS.value, team=name
        )
        edits += _with_rank(lane_edits, rank)
        lane_by_name[name.casefold()] = lid

    # cards, ordered by x inside each cell, after what the cell already holds; a card this
    # file brought in before is updated in place, and keeps its rank if it stays in its cell
    placed: dict[tuple[str, str], list[BpmnNode]] = {}
    for node in cards:
        key = (
            lane_by_name[node.lane.casefold()],
            into or _stage_for(node, model, stage_by_name, stage_order, cards),
        )
        placed.setdefault(key, []).append(node)
    card_ids: dict[str, str] = {}
    added = updated = 0
    for (lane_id, stage_id), nodes in placed.items():
        nodes.sort(key=lambda n: (n.box.x if n.box else math.inf, n.box.y if n.box else 0.0))
        cell = doc.cards_in(lane_id, stage_id)
        staying = {c.id for c in cell}
        arriving = [n for n in nodes if _card_id(doc, model, n) not in staying]
        ranks = iter(keys_after(cell[-1].rank if cell else None, len(arriving)))
        for node in nodes:
            cid = card_ids[node.xml_id] = _card_id(doc, model, node)
            values = _card_fields(node)
            values.update(lane=lane_id, stage=stage_id)
            if cid not in staying:
                values["rank"] = next(ranks)
            old = doc.card(cid)
            if old is None:
                edits += create("card", values, entity_id=cid)[1]
                added += 1
                continue
            if not node.notes:
                values.pop("notes")  # notes written on the board stay unless the file has some
            if old.deleted:
                values["deleted"] = False
            changes = [("card", cid, f, v) for f, v in values.items() if getattr(old, f) != v]
            edits += changes
            updated += bool(changes)

    lane_of_card = {card_ids[n.xml_id]: n.lane.casefold() for n in cards}
    existing = {(k.source, k.target): k for k in doc.links()}
    flows = _reachable_cards(model)
    for src, tgt, name, kind in flows:
        s, t = card_ids[src], card_ids[tgt]
        if kind not in (LinkKind.FLOW.value, LinkKind.HANDOFF.value):
            kind = (
                LinkKind.HANDOFF.value
                if lane_of_card[s] != lane_of_card[t]
                else LinkKind.FLOW.value
            )
        values = {"source": s, "target": t, "kind": kind, "label": name[:MAX_NAME]}
        link = existing.get((s, t))
        if link is None:
            edits += create("link", values, entity_id=_derived_id("k", s, t))[1]
        elif link.kind in (LinkKind.FLOW.value, LinkKind.HANDOFF.value):
            # a sequence flow is a flow or hand-off: links of other kinds are left alone
            edits += [("link", link.id, f, v) for f, v in values.items() if getattr(link, f) != v]
    if edits:
        doc.commit(edits)

    gateways = sum(n.tag in GATEWAY_TAGS for n in cards)
    again = f"; {added} cards new, {updated} updated" if added < len(cards) else ""
    if into is None and not model.columns and len(stage_order) > 1:
        again += "; spread over the stages left to right (--stage NAME puts all in one)"
    if not edits:
        again = "; the board already had all of it, nothing changed"
    return (
        f"imported {Path(path).name}: {len(cards) - gateways} tasks, {gateways} gateways, "
        f"{len(flows)} flows into {len(model.lanes)} process lanes ({len(new_lanes)} new){again}"
    )


#: the ids our export gives the nodes of cards (app/export/bpmn.py)
_OWN_NODE = re.compile(r"^(?:Activity|Gateway)_(c-[0-9A-Za-z_.-]+)$")


def _card_id(doc: Document, model: BpmnModel, node: BpmnNode) -> str:
    """The card a task or gateway comes onto: the board's own card when our export wrote
    the node, else one id per (file, node), the same every time that file is imported."""
    own = _OWN_NODE.match(node.xml_id)
    if own and doc.card(own.group(1)) is not None:
        return own.group(1)
    return _derived_id("c", model.source, node.xml_id)


def _derived_id(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]
    return f"{prefix}-{digest}"


def _lane_ranks(
    file_lanes: list[str], board_lanes: list[Any], known: dict[str, str]
) -> dict[str, str]:
    """Ranks for the file's new lanes that keep the file's order around the lanes the
    board already has: a new lane goes just before the next lane of the file that the board
    knows, or after the board's last lane."""
    rank_of = {ln.id: ln.rank for ln in board_lanes}
    order: list[tuple[str, str | None]] = [(ln.id, None) for ln in board_lanes]  # (id, new name)
    names = list(dict.fromkeys(n.casefold() for n in file_lanes))
    originals = {n.casefold(): n for n in reversed(file_lanes)}
    for i, key in enumerate(names):
        if key in known:
            continue
        after = next((known[k] for k in names[i + 1 :] if k in known), None)
        at = next((j for j, (lid, _n) in enumerate(order) if lid == after), len(order))
        order.insert(at, ("", originals[key]))
    ranks: dict[str, str] = {}
    prev: str | None = None
    for j, (lid, name) in enumerate(order):
        if name is None:
            prev = rank_of[lid]
            continue
        following = next((rank_of[x] for x, n in order[j + 1 :] if n is None), None)
        prev = ranks[name] = key_between(prev, following)
    return ranks


def _unseen(names: list[str], known: dict[str, str]) -> list[str]:
    """Names not yet known (compared without case), each once, in order."""
    out: dict[str, str] = {}
    for name in names:
        if name.casefold() not in known:
            out.setdefault(name.casefold(), name)
    return list(out.values())


def _stage_for(
    node: BpmnNode,
    model: BpmnModel,
    stage_by_name: dict[str, str],
    stage_order: list[str],
    cards: list[BpmnNode],
) -> str:
    """The stage whose column holds the node: its stage group, else a share of the width."""
    if node.box is None:
        return stage_order[0]
    cx = node.box.cx
    if model.columns:
        # inside a column, or the nearest one: a task drawn just past a group still belongs to it
        name, _box = min(
            model.columns,
            key=lambda c: (
                0.0 if c[1].x <= cx <= c[1].right else min(abs(cx - c[1].x), abs(cx - c[1].right))
            ),
        )
        return stage_by_name[name.casefold()]
    xs = [n.box.cx for n in cards if n.box is not None]
    lo, hi = min(xs), max(xs)
    if hi - lo < 1e-9:
        return stage_order[0]
    index = int((cx - lo) / (hi - lo) * len(stage_order))
    return stage_order[min(index, len(stage_order) - 1)]
