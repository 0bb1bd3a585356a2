"""Builders for everyday edits, so the canvas and importers never write fields by hand.

Each function reads the Document and returns the edits (entity type, id, field, value) of
one user action; ``doc.commit(edits)`` applies them as one Change, and ``doc.inverse(edits)``
taken before that gives the undo.
"""

from __future__ import annotations

from typing import Any

from app.model.document import Document, Edit, new_id
from app.model.ranks import key_between
from app.model.schema import (
    LAYER_OF_KIND,
    LaneKind,
    Layer,
    LinkKind,
    check_lane_kind,
    default_fields,
    validate_field,
)


def create(
    etype: str, values: dict[str, Any], *, entity_id: str | None = None
) -> tuple[str, list[Edit]]:
    """Edits creating an entity from ``values`` plus defaults, validated; returns (id, edits).

    Unlike the builders below it does not look references up in the document, so an
    importer can create lanes, cards and the links between them in one Change.
    """
    eid = entity_id or new_id(etype)
    return eid, _create(etype, eid, values)


def _create(etype: str, eid: str, values: dict[str, Any]) -> list[Edit]:
    full = default_fields(etype)
    full.update(values)
    full["deleted"] = False
    return [(etype, eid, f, validate_field(etype, eid, f, v)) for f, v in full.items()]


def _rank_near(ranks: list[str], index: int) -> str:
    """A rank for inserting at ``index`` of the ordered ``ranks``."""
    before = ranks[index - 1] if index > 0 else None
    after = ranks[index] if index < len(ranks) else None
    if before is not None and after is not None and not before < after:
        # equal ranks from concurrent inserts: place after the left one
        after = (
            None
            if index + 1 >= len(ranks)
            else next((r for r in ranks[index:] if r > before), None)
        )
    return key_between(before, after)


def _index_of(ids: list[str], *, before: str | None, after: str | None) -> int:
    if before is not None and before in ids:
        return ids.index(before)
    if after is not None and after in ids:
        return ids.index(after) + 1
    return len(ids)


# -- cards ---------------------------------------------------------------------------


def add_card(
    doc: Document,
    lane: str,
    stage: str,
    *,
    before: str | None = None,
    after: str | None = None,
    card_id: str | None = None,
    **fields: Any,
) -> tuple[str, list[Edit]]:
    """A new card in a cell, at the end or next to ``before``/``after``; returns (id, edits)."""
    if doc.lane(lane) is None:
        raise ValueError(f"no lane {lane!r}")
    if doc.stage(stage) is None:
        raise ValueError(f"no stage {stage!r}")
    cell = doc.cards_in(lane, stage)
    index = _index_of([c.id for c in cell], before=before, after=after)
    cid = card_id or new_id("card")
    values = {"lane": lane, "stage": stage, "rank": _rank_near([c.rank for c in cell], index)}
    values.update(fields)
    return cid, _create("card", cid, values)


def update(doc: Document, entity_type: str, entity_id: str, **fields: Any) -> list[Edit]:
    """Set fields of an existing entity (only those that differ)."""
    entity = doc.get(entity_type, entity_id)
    if entity is None:
        raise ValueError(f"no {entity_type} {entity_id!r}")
    edits = []
    for name, value in fields.items():
        value = validate_field(entity_type, entity_id, name, value)
        if getattr(entity, name) != value:
            edits.append((entity_type, entity_id, name, value))
    if entity_type == "lane" and ("kind" in fields or "layer" in fields):
        layer = str(fields.get("layer", getattr(entity, "layer", "")))
        kind = str(fields.get("kind", getattr(entity, "kind", "")))
        check_lane_kind(entity_id, layer, kind)
    return edits


def move_cards(
    doc: Document,
    card_ids: list[str],
    lane: str,
    stage: str,
    *,
    before: str | None = None,
    after: str | None = None,
) -> list[Edit]:
    """Move cards (in the given order) into a cell, at the end or next to another card."""
    moving = set(card_ids)
    cell = [c for c in doc.cards_in(lane, stage) if c.id not in moving]
    index = _index_of([c.id for c in cell], before=before, after=after)
    ranks = [c.rank for c in cell]
    edits: list[Edit] = []
    lo = ranks[index - 1] if index > 0 else None
    hi = ranks[index] if index < len(ranks) else None
    if lo is not None and hi is not None and not lo < hi:
        hi = None
    for cid in card_ids:
        card = doc.card(cid)
        if card is None:
            continue
        rank = key_between(lo, hi)
        lo = rank
        if card.lane != lane:
            edits.append(("card", cid, "lane", lane))
        if card.stage != stage:
            edits.append(("card", cid, "stage", stage))
        edits.append(("card", cid, "rank", rank))
    return edits


def delete_cards(doc: Document, card_ids: list[str]) -> list[Edit]:
    """Delete cards with their links and votes (tombstones: undo brings them back)."""
    ids = set(card_ids)
    edits: list[Edit] = [("card", cid, "deleted", True) for cid in card_ids if doc.card(cid)]
    for link in doc.entities("link"):
        if link.source in ids or link.target in ids:  # type: ignore[attr-defined]
            edits.append(("link", link.id, "deleted", True))
    for vote in doc.entities("vote"):
        if vote.card in ids:  # type: ignore[attr-defined]
            edits.append(("vote", vote.id, "deleted", True))
    return edits


def copy_cards(doc: Document, card_ids: list[str]) -> dict[str, Any]:
    """Plain data of cards and the links among them, for the clipboard."""
    ids = set(card_ids)
    cards = [doc.card(c).model_dump() for c in card_ids if doc.card(c)]  # type: ignore[union-attr]
    links = [k.model_dump() for k in doc.links() if k.source in ids and k.target in ids]
    return {"format": "cld-cards", "cards": cards, "links": links}


def paste_cards(
    doc: Document, data: dict[str, Any], *, lane: str | None = None, stage: str | None = None
) -> tuple[list[str], list[Edit]]:
    """Cards from the clipboard as new cards (new ids); into a cell, or where they were."""
    edits: list[Edit] = []
    new_ids: dict[str, str] = {}
    appended: dict[tuple[str, str], str | None] = {}
    fallback_lane = lane or next((ln.id for ln in doc.lanes()), None)
    fallback_stage = stage or next((s.id for s in doc.stages()), None)
    for card in data.get("cards", []):
        target_lane = lane or (card["lane"] if doc.lane(card["lane"]) else fallback_lane)
        target_stage = stage or (card["stage"] if doc.stage(card["stage"]) else fallback_stage)
        if target_lane is None or target_stage is None:
            raise ValueError("the board has no lane or stage to paste into")
        key = (target_lane, target_stage)
        if key not in appended:
            cell = doc.cards_in(target_lane, target_stage)
            appended[key] = cell[-1].rank if cell else None
        rank = key_between(appended[key], None)
        appended[key] = rank
        cid = new_id("card")
        new_ids[card["id"]] = cid
        values = {k: v for k, v in card.items() if k not in ("id", "deleted")}
        values.update(lane=target_lane, stage=target_stage, rank=rank)
        edits += _create("card", cid, values)
    for link in data.get("links", []):
        if link["source"] in new_ids and link["target"] in new_ids:
            kid = new_id("link")
            values = {k: v for k, v in link.items() if k not in ("id", "deleted")}
            values.update(source=new_ids[link["source"]], target=new_ids[link["target"]])
            edits += _create("link", kid, values)
    return list(new_ids.values()), edits


# -- links and votes -----------------------------------------------------------------

_BACK = {LaneKind.BACKSTAGE.value, LaneKind.SUPPORT.value, LaneKind.SYSTEMS.value}
_FRONT = {LaneKind.FRONTSTAGE.value, LaneKind.TOUCHPOINTS.value, LaneKind.CUSTOMER_ACTIONS.value}


def suggest_link_kind(doc: Document, source: str, target: str) -> str:
    """Supports for back stage to front stage, hand-off between two teams, flow otherwise."""
    s, t = doc.card(source), doc.card(target)
    if s is None or t is None:
        return LinkKind.FLOW.value
    sl, tl = doc.lane(s.lane), doc.lane(t.lane)
    if sl is None or tl is None:
        return LinkKind.FLOW.value
    if (sl.kind in _BACK or sl.layer == Layer.PROCESS.value) and tl.kind in _FRONT:
        return LinkKind.SUPPORTS.value
    if sl.layer == tl.layer == Layer.PROCESS.value and (sl.team or sl.name) != (tl.team or tl.name):
        return LinkKind.HANDOFF.value
    return LinkKind.FLOW.value


def add_link(
    doc: Document,
    source: str,
    target: str,
    *,
    kind: str | None = None,
    label: str = "",
    link_id: str | None = None,
) -> tuple[str, list[Edit]]:
    if source == target:
        raise ValueError("a card cannot link to itself")
    for cid in (source, target):
        if doc.card(cid) is None:
            raise ValueError(f"no card {cid!r}")
    kid = link_id or new_id("link")
    return kid, _create(
        "link",
        kid,
        {
            "source": source,
            "target": target,
            "kind": kind or suggest_link_kind(doc, source, target),
            "label": label,
        },
    )


def toggle_vote(doc: Document, card: str, voter: str) -> list[Edit]:
    """Vote for a card, or take back this voter's vote on it."""
    for vote in doc.votes(card):
        if vote.voter == voter:
            return [("vote", vote.id, "deleted", True)]
    vid = new_id("vote")
    return _create("vote", vid, {"card": card, "voter": voter})


def delete(doc: Document, entity_type: str, entity_id: str) -> list[Edit]:
    if entity_type == "card":
        return delete_cards(doc, [entity_id])
    return [(entity_type, entity_id, "deleted", True)]


# -- stages and lanes ----------------------------------------------------------------


def add_stage(
    doc: Document,
    name: str,
    *,
    before: str | None = None,
    after: str | None = None,
    stage_id: str | None = None,
    **fields: Any,
) -> tuple[str, list[Edit]]:
    stages = doc.stages()
    index = _index_of([s.id for s in stages], before=before, after=after)
    sid = stage_id or new_id("stage")
    values = {"name": name, "rank": _rank_near([s.rank for s in stages], index)}
    values.update(fields)
    return sid, _create("stage", sid, values)


def move_stage(doc: Document, stage_id: str, index: int) -> list[Edit]:
    """Put a stage at ``index`` of the stage list (0 = leftmost)."""
    others = [s for s in doc.stages() if s.id != stage_id]
    index = max(0, min(index, len(others)))
    return [("stage", stage_id, "rank", _rank_near([s.rank for s in others], index))]


def add_lane(
    doc: Document,
    name: str,
    kind: str,
    *,
    layer: str | None = None,
    team: str = "",
    before: str | None = None,
    after: str | None = None,
    lane_id: str | None = None,
    rank: str | None = None,
) -> tuple[str, list[Edit]]:
    """A new lane in its layer, at the end or next to ``before``/``after`` (or at ``rank``)."""
    kind = LaneKind(kind).value
    layer = Layer(layer).value if layer else LAYER_OF_KIND[LaneKind(kind)].value
    lid = lane_id or new_id("lane")
    check_lane_kind(lid, layer, kind)
    lanes = doc.lanes(layer)
    index = _index_of([ln.id for ln in lanes], before=before, after=after)
    values = {
        "name": name,
        "layer": layer,
        "kind": kind,
        "team": team,
        "rank": rank or _rank_near([ln.rank for ln in lanes], index),
    }
    return lid, _create("lane", lid, values)


def move_lane(doc: Document, lane_id: str, index: int) -> list[Edit]:
    """Put a lane at ``index`` among the lanes of its layer."""
    lane = doc.lane(lane_id)
    if lane is None:
        raise ValueError(f"no lane {lane_id!r}")
    others = [ln for ln in doc.lanes(lane.layer) if ln.id != lane_id]
    index = max(0, min(index, len(others)))
    return [("lane", lane_id, "rank", _rank_near([ln.rank for ln in others], index))]
