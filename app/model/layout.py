"""Board geometry shared by the canvas and the poster, so screen and paper agree.

Pure Python (no Qt). Units are points at 100 % (one point = one pixel on screen at 100 %);
the origin is the board's top-left corner, y grows downwards.

API (stable):

- ``compute_layout(doc, *, layers=None, options=LayoutOptions()) -> BoardLayout``: the whole
  board; ``layers`` is None (all) or a set of layer names to show.
- ``BoardLayout``: ``width``, ``height``, ``header_height``, ``label_width``,
  ``stages`` (list of ``StageColumn``: id, name, x, width, label lines),
  ``layer_bands`` (list of ``LayerBand``: layer, name, y, height),
  ``lanes`` (list of ``LaneBand``: id, layer, kind, name, y, height, label lines),
  ``cards`` (dict id -> ``CardBox``: x, y, w, h, wrapped title ``lines``, ``footer`` text,
  ``votes``, kind, lane kind, sentiment, colour), ``links`` (dict id -> ``LinkRoute``:
  orthogonal polyline ``points`` from the source box to the target box),
  ``lines`` (the blueprint ``SeparatorLine`` s: interaction, visibility, internal; y and label),
  ``curves`` (one ``EmotionCurve`` per emotions lane: a point at each card's sentiment dot),
  and helpers ``stage(id)``, ``lane(id)``, ``cell_rect(lane, stage)``, ``cell_at(x, y)``,
  ``drop_slot(lane, stage, x, y, exclude)``.
- ``BoardLayouter(doc, layers=..., options=...)``: keeps ``.layout`` up to date cheaply;
  ``refresh(event.changed) -> LayoutDelta`` re-lays out only the cells a change touched and
  says which boxes, routes and bands moved (the canvas repositions exactly those items).
- ``text_width(text, size, bold=False)`` and ``wrap_text(...)``: the text measure (DejaVu
  Sans advance widths) used for every wrapped label; draw the returned lines as they are.
- ``PALETTE``, ``LAYER_COLORS``, ``LINK_COLORS``: the colours of lane kinds, layers and links.

Column widths and lane heights come from content: a stage widens when one of its cells holds
more than ``stack_target`` cards, and a lane is as tall as its tallest cell. Emotions lanes
have a fixed height; their cards sit at the height of their sentiment (+2 at the top).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from app.model.document import Document
from app.model.gcpause import gc_paused
from app.model.labels import LAYER_NAMES
from app.model.palette import GRID, INK, LAYER_COLORS, LINK_COLORS, MUTED, PALETTE  # noqa: F401
from app.model.routing import CardGrid, PathIndex, Rect, path_rects, route_link
from app.model.schema import LaneKind, Layer
from app.model.text import ELLIPSIS, FONT_FAMILY, elide, text_width, wrap_text  # noqa: F401

# the measure and the colours are part of the layout's API (see the docstring)

#: (name, label, lane kinds above the line, lane kinds below it)
SEPARATORS: tuple[tuple[str, str, frozenset[str], frozenset[str]], ...] = (
    (
        "interaction",
        "Line of interaction",
        frozenset({"customer_actions", "evidence"}),
        frozenset({"frontstage"}),
    ),
    ("visibility", "Line of visibility", frozenset({"frontstage"}), frozenset({"backstage"})),
    (
        "internal",
        "Line of internal interaction",
        frozenset({"backstage"}),
        frozenset({"support", "systems"}),
    ),
)


# -- geometry records -----------------------------------------------------------------------


@dataclass(frozen=True)
class LayoutOptions:
    """Sizes in points; the defaults are the look of the app and the poster."""

    header_height: float = 64.0
    label_width: float = 212.0
    layer_strip_width: float = 30.0
    layer_gap: float = 14.0
    margin: float = 24.0
    card_width: float = 172.0
    card_gap: float = 10.0
    cell_padding: float = 12.0
    stack_target: int = 3  # cards stacked in a cell before its stage gets another card column
    max_cards_across: int = 4
    card_padding: float = 9.0
    title_size: float = 11.0
    title_line_height: float = 15.0
    title_max_lines: int = 5
    footer_height: float = 18.0
    footer_size: float = 9.5
    min_card_height: float = 50.0
    min_lane_height: float = 78.0
    label_size: float = 12.0
    label_line_height: float = 16.0
    header_size: float = 13.0
    emotion_lane_height: float = 196.0
    emotion_chip_height: float = 56.0
    emotion_max_lines: int = 3


@dataclass(frozen=True, slots=True)
class StageColumn:
    id: str
    name: str
    phase: str
    x: float
    width: float
    cols: int
    label: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LayerBand:
    layer: str
    name: str
    y: float
    height: float


@dataclass(frozen=True, slots=True)
class LaneBand:
    id: str
    layer: str
    kind: str
    name: str
    team: str
    y: float
    height: float
    label: tuple[str, ...]


class CardBox(NamedTuple):
    """One card's box in board units and what it shows.

    A named tuple, not a frozen dataclass: a layout makes one per card, and a tuple is made
    five times faster (2,000 cards: 2 ms instead of 10).
    """

    id: str
    lane: str
    stage: str
    x: float
    y: float
    w: float
    h: float
    lines: tuple[str, ...]
    footer: str
    votes: int
    kind: str
    lane_kind: str
    sentiment: int | None
    color: str


@dataclass(frozen=True, slots=True)
class LinkRoute:
    id: str
    source: str
    target: str
    kind: str
    label: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class SeparatorLine:
    name: str
    label: str
    y: float
    x0: float
    x1: float


#: where an emotion card's sentiment dot sits, from its left edge
EMOTION_DOT_X = 12.0


@dataclass(frozen=True, slots=True)
class EmotionPoint:
    stage: str
    x: float
    y: float
    sentiment: float


@dataclass(frozen=True, slots=True)
class EmotionCurve:
    lane: str
    points: tuple[EmotionPoint, ...]


@dataclass
class BoardLayout:
    """Every box and line of one board, in points."""

    options: LayoutOptions
    width: float = 0.0
    height: float = 0.0
    header_height: float = 0.0
    label_width: float = 0.0
    stages: list[StageColumn] = field(default_factory=list)
    layer_bands: list[LayerBand] = field(default_factory=list)
    lanes: list[LaneBand] = field(default_factory=list)
    cards: dict[str, CardBox] = field(default_factory=dict)
    links: dict[str, LinkRoute] = field(default_factory=dict)
    lines: list[SeparatorLine] = field(default_factory=list)
    curves: list[EmotionCurve] = field(default_factory=list)

    def stage(self, stage_id: str) -> StageColumn | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def lane(self, lane_id: str) -> LaneBand | None:
        return next((ln for ln in self.lanes if ln.id == lane_id), None)

    def cell_rect(self, lane_id: str, stage_id: str) -> tuple[float, float, float, float] | None:
        """(x, y, w, h) of one cell, or None if the lane or stage is not shown."""
        s, ln = self.stage(stage_id), self.lane(lane_id)
        if s is None or ln is None:
            return None
        return (s.x, ln.y, s.width, ln.height)

    def cell_at(self, x: float, y: float) -> tuple[str, str] | None:
        """(lane id, stage id) of the cell under a point, or None."""
        stage = next((s for s in self.stages if s.x <= x < s.x + s.width), None)
        lane = next((ln for ln in self.lanes if ln.y <= y < ln.y + ln.height), None)
        if stage is None or lane is None:
            return None
        return (lane.id, stage.id)

    def drop_slot(
        self, lane_id: str, stage_id: str, x: float, y: float, exclude: Iterable[str] = ()
    ) -> tuple[str | None, str | None, tuple[float, float, float, float]]:
        """Where a drop at (x, y) lands in a cell: (after card id, before card id, indicator
        line x0, y0, x1, y1). Cards in ``exclude`` (those being dragged) are skipped."""
        skip = set(exclude)
        boxes = [
            b
            for b in self.cards.values()
            if b.lane == lane_id and b.stage == stage_id and b.id not in skip
        ]
        rect = self.cell_rect(lane_id, stage_id)
        if rect is None:
            return None, None, (x, y, x, y)
        cx, cy, cw, ch = rect
        pad = self.options.cell_padding
        if not boxes:
            return None, None, (cx + pad, cy + pad / 2, cx + cw - pad, cy + pad / 2)
        emotions = boxes[0].lane_kind == LaneKind.EMOTIONS.value
        ordered = sorted(boxes, key=lambda b: (b.x, b.y) if emotions else (b.y, b.x))
        after: CardBox | None = None
        for box in ordered:
            if emotions:
                ahead = x < box.x + box.w / 2
            else:
                same_row = box.y <= y < box.y + box.h
                alone = sum(1 for b in boxes if b.y == box.y) == 1
                half = y < box.y + box.h / 2 if alone else x < box.x + box.w / 2
                ahead = y < box.y or (same_row and half)
            if ahead:
                if emotions or (after is not None and after.y == box.y):
                    line = (box.x - 5, box.y, box.x - 5, box.y + box.h)
                else:
                    line = (box.x, box.y - 5, box.x + box.w, box.y - 5)
                return (after.id if after else None), box.id, line
            after = box
        assert after is not None
        if emotions:
            line = (after.x + after.w + 5, after.y, after.x + after.w + 5, after.y + after.h)
        else:
            line = (after.x, after.y + after.h + 5, after.x + after.w, after.y + after.h + 5)
        return after.id, None, line


@dataclass
class LayoutDelta:
    """What a refresh moved; the canvas updates exactly these items."""

    structure: bool = False  # stages, lanes, bands or board size changed
    cards: set[str] = field(default_factory=set)  # new or changed boxes
    removed_cards: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)  # new or changed routes
    removed_links: set[str] = field(default_factory=set)
    curves: bool = False
    lines: bool = False


# -- the engine -----------------------------------------------------------------------------

Cell = tuple[str, str]  # (lane id, stage id)


def _fmt_hours(hours: float) -> str:
    if hours >= 24 and hours % 8 == 0 and hours % 24 != 0:
        return f"{hours / 8:g} wd"
    if hours >= 24:
        return f"{hours / 24:.3g} d"
    return f"{hours:.3g} h"


_TEAM = LaneKind.TEAM.value
_WORK = frozenset({"step", "decision", "handoff"})  # card kinds that show owner and duration


#: how much title width a card of this kind gives up: pointed ends, and for a decision also
#: its diamond badge in the top-right corner
_INSET = {"decision": 30.0, "handoff": 16.0}


def card_footer(card: Any, team: bool, room: float, size: float) -> str:
    """The one line a card shows under its title, cut to ``room``: channel, then owner and
    duration for work (steps, decisions, hand-offs) and any card in a team's lane (``team``).
    A long owner or channel is shortened first, so the duration always shows."""
    return _footer_line(
        tuple(_footer_parts(card, team)), card.duration_hours is not None, room, size
    )


@lru_cache(maxsize=16384)  # boards repeat their footers: "CSM · 2 h" on many cards
def _footer_line(parts: tuple[str, ...], timed: bool, room: float, size: float) -> str:
    line = " \u00b7 ".join(parts)
    if not parts or text_width(line, size) <= room:
        return line
    if len(parts) > 1 and timed:
        tail = " \u00b7 " + parts[-1]
        head = " \u00b7 ".join(parts[:-1])
        left = room - text_width(tail, size)
        if left > text_width("Ab\u2026", size):
            return elide(head, left, size) + tail
    return elide(line, room, size)


def _footer_parts(card: Any, team: bool) -> list[str]:
    parts: list[str] = []
    if card.channel:
        parts.append(card.channel)
    if team or card.kind in _WORK:
        if card.owner:
            parts.append(card.owner)
        if card.duration_hours is not None:
            parts.append(_fmt_hours(card.duration_hours))
    return parts


class BoardLayouter:
    """Lays out a Document and keeps the layout current as Changes arrive."""

    def __init__(
        self,
        doc: Document,
        *,
        layers: Iterable[str] | None = None,
        options: LayoutOptions | None = None,
        incremental: bool = True,
    ) -> None:
        self.doc = doc
        self.options = options or LayoutOptions()
        #: kept current by refresh(); a one-off layout (a poster) skips the path index
        self.incremental = incremental
        self.layers: frozenset[str] | None = (
            frozenset(Layer(x).value for x in layers) if layers is not None else None
        )
        self.layout = BoardLayout(self.options)
        self._full()

    # -- full pass ------------------------------------------------------------------------

    def _full(self) -> None:
        with gc_paused():  # tens of thousands of small objects, all kept
            self._full_pass()

    def _full_pass(self) -> None:
        doc, o = self.doc, self.options
        self._stages = doc.stages()
        self._lanes = [ln for ln in doc.lanes() if self.layers is None or ln.layer in self.layers]
        lane_ids = {ln.id for ln in self._lanes}
        stage_ids = {s.id for s in self._stages}
        self._lane_kind = {ln.id: ln.kind for ln in self._lanes}
        self._cells: dict[Cell, list[tuple[str, str]]] = {}  # cell -> sorted (rank, id)
        self._cell_of: dict[str, Cell] = {}
        for card in doc.cards():
            if card.lane in lane_ids and card.stage in stage_ids:
                self._cells.setdefault((card.lane, card.stage), []).append((card.rank, card.id))
                self._cell_of[card.id] = (card.lane, card.stage)
        for keys in self._cells.values():
            keys.sort()
        self._votes: dict[str, int] = {}
        for vote in doc.votes():
            self._votes[vote.card] = self._votes.get(vote.card, 0) + 1
        self._links_of: dict[str, set[str]] = {}
        self._link_ends: dict[str, tuple[str, str]] = {}
        for link in doc.links():
            self._index_link(link.id, link.source, link.target)
        self._cols = {s.id: self._stage_cols(s.id) for s in self._stages}
        self._rel: dict[Cell, tuple[float, list[CardBox]]] = {}
        for lane in self._lanes:
            for stage in self._stages:
                self._rel[(lane.id, stage.id)] = self._layout_cell(lane.id, stage.id)
        self.layout = BoardLayout(o)
        self._grid = CardGrid()
        self._paths: PathIndex | None = PathIndex() if self.incremental else None
        # plain paths a refresh changed, indexed by the next settle() (off the hot path)
        self._stale_paths: dict[str, tuple[Rect, ...] | None] = {}
        self._moved: list[Rect] = []  # boxes cards left or took in this refresh
        self._place_bands()
        for cell in self._rel:
            self._place_cell(cell, None)
        emotions = {ln.id for ln in self._lanes if ln.kind == LaneKind.EMOTIONS.value}
        self._grid.fill(b for b in self.layout.cards.values() if b.lane not in emotions)
        for lid in self._link_ends:
            self._route(lid, None)
        self._curves()

    def _index_link(self, lid: str, source: str, target: str) -> None:
        self._link_ends[lid] = (source, target)
        self._links_of.setdefault(source, set()).add(lid)
        self._links_of.setdefault(target, set()).add(lid)

    def _unindex_link(self, lid: str) -> None:
        ends = self._link_ends.pop(lid, None)
        if ends:
            for cid in ends:
                self._links_of.get(cid, set()).discard(lid)

    def _stage_cols(self, stage_id: str) -> int:
        o = self.options
        most = max(
            (
                len(self._cells.get((ln.id, stage_id), ()))
                for ln in self._lanes
                if ln.kind != LaneKind.EMOTIONS.value
            ),
            default=0,
        )
        return max(1, min(o.max_cards_across, -(-most // o.stack_target)))

    def _col_width(self, cols: int) -> float:
        o = self.options
        return cols * o.card_width + (cols - 1) * o.card_gap + 2 * o.cell_padding

    def _layout_cell(self, lane_id: str, stage_id: str) -> tuple[float, list[CardBox]]:
        """Card boxes of one cell relative to the cell's top-left, and the cell's height."""
        o = self.options
        kind = self._lane_kind[lane_id]
        keys = self._cells.get((lane_id, stage_id), [])
        cards = [self.doc.card(cid) for _rank, cid in keys]
        cols = self._cols.get(stage_id, 1)
        boxes: list[CardBox] = []
        if kind == LaneKind.EMOTIONS.value:
            inner = self._col_width(cols) - 2 * o.cell_padding
            n = max(1, len(cards))
            slot = inner / n
            w = min(o.card_width, max(24.0, slot - o.card_gap / 2))
            span = o.emotion_lane_height - 2 * o.cell_padding - o.emotion_chip_height
            for i, card in enumerate(cards):
                if card is None:
                    continue
                s = card.sentiment if card.sentiment is not None else 0
                x = o.cell_padding + i * slot + (slot - w) / 2
                y = o.cell_padding + (2 - s) / 4 * span
                lines = wrap_text(
                    card.title, w - 2 * o.card_padding, o.title_size, max_lines=o.emotion_max_lines
                )
                boxes.append(
                    CardBox(
                        card.id,
                        lane_id,
                        stage_id,
                        x,
                        y,
                        w,
                        o.emotion_chip_height,
                        lines,
                        "",
                        self._votes.get(card.id, 0),
                        card.kind,
                        kind,
                        card.sentiment,
                        card.color,
                    )
                )
            return o.emotion_lane_height, boxes
        # the loop runs once per card: what it reads from the options is read once here
        pad, gap, card_w = o.cell_padding, o.card_gap, o.card_width
        text_w = card_w - 2 * o.card_padding
        size, max_lines, line_h = o.title_size, o.title_max_lines, o.title_line_height
        footer_size, footer_h, min_h = o.footer_size, o.footer_height, o.min_card_height
        bare_h = 2 * o.card_padding
        team = kind == _TEAM
        votes_of = self._votes.get
        y = pad
        row_h = 0.0
        for i, card in enumerate(cards):
            if card is None:
                continue
            col = i % cols
            if col == 0 and i:
                y += row_h + gap
                row_h = 0.0
            inset = _INSET.get(card.kind, 0.0)
            lines = wrap_text(card.title, text_w - inset, size, max_lines=max_lines)
            votes = votes_of(card.id, 0)
            room = text_w - min(inset, 16.0) - (min(votes, 5) * 9 + 20 if votes else 0)
            footer = card_footer(card, team, room, footer_size)
            h = bare_h + (len(lines) or 1) * line_h
            if footer or votes:
                h += footer_h
            if h < min_h:
                h = min_h
            boxes.append(
                CardBox(
                    card.id,
                    lane_id,
                    stage_id,
                    pad + col * (card_w + gap),
                    y,
                    card_w,
                    h,
                    lines,
                    footer,
                    votes,
                    card.kind,
                    kind,
                    card.sentiment,
                    card.color,
                )
            )
            if h > row_h:
                row_h = h
        height = y + row_h + o.cell_padding if boxes else 0.0
        return max(height, o.min_lane_height), boxes

    def _place_bands(self) -> None:
        """Stage columns, lane and layer bands, separator lines and board size."""
        o, lay = self.options, self.layout
        lay.header_height, lay.label_width = o.header_height, o.label_width
        x = o.label_width
        lay.stages = []
        for s in self._stages:
            cols = self._cols[s.id]
            w = self._col_width(cols)
            label = wrap_text(s.name, w - 2 * o.cell_padding, o.header_size, bold=True, max_lines=1)
            lay.stages.append(StageColumn(s.id, s.name, s.phase, x, w, cols, label))
            x += w
        lay.width = x + o.margin
        y = o.header_height
        lay.lanes, lay.layer_bands = [], []
        label_w = o.label_width - o.layer_strip_width - 2 * o.cell_padding - 16
        for layer in Layer:
            lanes = [ln for ln in self._lanes if ln.layer == layer.value]
            if not lanes:
                continue
            y += o.layer_gap
            top = y
            for ln in lanes:
                h = max(
                    (self._rel[(ln.id, s.id)][0] for s in self._stages), default=o.min_lane_height
                )
                label = wrap_text(ln.name, label_w, o.label_size, bold=True, max_lines=3)
                lay.lanes.append(LaneBand(ln.id, ln.layer, ln.kind, ln.name, ln.team, y, h, label))
                y += h
            lay.layer_bands.append(LayerBand(layer.value, LAYER_NAMES[layer.value], top, y - top))
        lay.height = y + o.margin
        lay.lines = []
        blueprint = [ln for ln in lay.lanes if ln.layer == Layer.BLUEPRINT.value]
        for name, line_label, above, below in SEPARATORS:
            last_above = max(
                (i for i, ln in enumerate(blueprint) if ln.kind in above), default=None
            )
            first_below = next((i for i, ln in enumerate(blueprint) if ln.kind in below), None)
            if last_above is not None and first_below is not None and last_above < first_below:
                lay.lines.append(
                    SeparatorLine(
                        name,
                        line_label,
                        blueprint[first_below].y,
                        o.layer_strip_width,
                        lay.width - o.margin,
                    )
                )
        self._stage_by_id = {s.id: s for s in lay.stages}
        self._lane_by_id = {ln.id: ln for ln in lay.lanes}

    def _place_cell(self, cell: Cell, delta: LayoutDelta | None) -> None:
        stage = self._stage_by_id.get(cell[1])
        lane = self._lane_by_id.get(cell[0])
        rel = self._rel.get(cell)
        if stage is None or lane is None or rel is None:
            return
        cards = self.layout.cards
        emotions = lane.kind == LaneKind.EMOTIONS.value
        for box in rel[1]:
            # the constructor, not dataclasses.replace(): this runs once per card
            placed = CardBox(
                box.id,
                box.lane,
                box.stage,
                stage.x + box.x,
                lane.y + box.y,
                box.w,
                box.h,
                box.lines,
                box.footer,
                box.votes,
                box.kind,
                box.lane_kind,
                box.sentiment,
                box.color,
            )
            if delta is not None:
                before = cards.get(box.id)
                if before != placed:
                    delta.cards.add(box.id)
                    # links this card now stands in (or no longer blocks) may change: settle()
                    self._moved.append(
                        (placed.x, placed.y, placed.x + placed.w, placed.y + placed.h)
                    )
                    if before is not None:
                        self._moved.append(
                            (before.x, before.y, before.x + before.w, before.y + before.h)
                        )
            cards[box.id] = placed
            # chips ride the sentiment curve (links cross that lane anyway); a full pass
            # fills the grid in one go
            if delta is not None and not emotions:
                self._grid.put(placed)

    def _route(self, lid: str, delta: LayoutDelta | None) -> None:
        routes = self.layout.links
        ends = self._link_ends.get(lid)
        link = self.doc.link(lid)
        boxes = self.layout.cards
        if ends is None or link is None or ends[0] not in boxes or ends[1] not in boxes:
            if self._paths is not None:
                if delta is None:
                    self._paths.remove(lid)
                else:
                    self._stale_paths[lid] = None
            if routes.pop(lid, None) is not None and delta is not None:
                delta.removed_links.add(lid)
            return
        s, t = boxes[ends[0]], boxes[ends[1]]
        lanes, o = self._lane_by_id, self.options
        points, plain = route_link(
            lid,
            s,
            t,
            self._stage_by_id[s.stage],
            self._stage_by_id[t.stage],
            grid=self._grid,
            lane_top=max(lanes[s.lane].y, lanes[t.lane].y),
            gap=o.card_gap,
            padding=o.cell_padding,
        )
        if self._paths is not None:
            if delta is None:
                self._paths.put(lid, path_rects(plain))
            else:
                self._stale_paths[lid] = path_rects(plain)
        route = LinkRoute(lid, ends[0], ends[1], link.kind, link.label, points)
        if delta is not None and routes.get(lid) != route:
            delta.links.add(lid)
        routes[lid] = route

    def _curves(self) -> None:
        """One curve per emotions lane through every card's sentiment dot, stage by stage
        and left to right inside a stage, so the line meets the cards it is drawn from."""
        placed = self.layout.cards
        curves = []
        for lane in self.layout.lanes:
            if lane.kind != LaneKind.EMOTIONS.value:
                continue
            points = []
            for stage in self.layout.stages:
                for box in sorted(self._rel[(lane.id, stage.id)][1], key=lambda b: b.x):
                    b = placed[box.id]
                    s = b.sentiment if b.sentiment is not None else 0
                    points.append(EmotionPoint(stage.id, b.x + EMOTION_DOT_X, b.y + b.h / 2, s))
            curves.append(EmotionCurve(lane.id, tuple(points)))
        self.layout.curves = curves

    # -- incremental pass -----------------------------------------------------------------

    def refresh(self, changed: Mapping[str, Iterable[str]]) -> LayoutDelta:
        """Bring the layout up to date after a Change; ``changed`` is ``event.changed``."""
        if changed.get("stage") or changed.get("lane"):
            return self._refresh_all()
        delta = LayoutDelta()
        doc = self.doc
        dirty: set[Cell] = set()
        affected = set(changed.get("card", ()))
        if changed.get("vote"):
            for vid in changed["vote"]:
                vote = doc.get("vote", vid)
                if vote is None:
                    continue
                affected.add(vote.card)  # type: ignore[attr-defined]
            self._votes = {}
            for vote in doc.votes():
                self._votes[vote.card] = self._votes.get(vote.card, 0) + 1
        for cid in affected:
            old = self._cell_of.pop(cid, None)
            if old is not None:
                keys = self._cells[old]
                keys[:] = [k for k in keys if k[1] != cid]
                dirty.add(old)
            card = doc.card(cid)
            if (
                card is not None
                and doc.is_visible("card", cid)
                and card.lane in self._lane_kind
                and card.stage in self._cols
            ):
                new = (card.lane, card.stage)
                bisect.insort(self._cells.setdefault(new, []), (card.rank, cid))
                self._cell_of[cid] = new
                dirty.add(new)
            elif old is not None:
                delta.removed_cards.add(cid)
                gone = self.layout.cards.pop(cid, None)
                self._grid.remove(cid)
                if gone is not None:
                    self._moved.append((gone.x, gone.y, gone.x + gone.w, gone.y + gone.h))
        for lid in changed.get("link", ()):
            self._unindex_link(lid)
            link = doc.link(lid)
            if link is not None and doc.is_visible("link", lid):
                self._index_link(lid, link.source, link.target)
            self._route(lid, delta)
        if not dirty:
            return delta
        for stage_id in {c[1] for c in dirty}:
            cols = self._stage_cols(stage_id)
            if cols != self._cols[stage_id]:
                self._cols[stage_id] = cols
                dirty.update((ln.id, stage_id) for ln in self._lanes)
        for cell in dirty:
            self._rel[cell] = self._layout_cell(*cell)
        old_stages = {s.id: (s.x, s.width) for s in self.layout.stages}
        old_lanes = {ln.id: (ln.y, ln.height) for ln in self.layout.lanes}
        old_size = (self.layout.width, self.layout.height)
        self._place_bands()
        moved_stages = {s.id for s in self.layout.stages if old_stages.get(s.id) != (s.x, s.width)}
        moved_lanes = {
            ln.id for ln in self.layout.lanes if old_lanes.get(ln.id) != (ln.y, ln.height)
        }
        if moved_stages or moved_lanes or old_size != (self.layout.width, self.layout.height):
            delta.structure = True
            delta.lines = True
        place = set(dirty)
        if moved_stages or moved_lanes:
            place.update(c for c in self._rel if c[1] in moved_stages or c[0] in moved_lanes)
        for cell in place:
            self._place_cell(cell, delta)
        reroute: set[str] = set()
        for cid in delta.cards | delta.removed_cards:
            reroute.update(self._links_of.get(cid, ()))
        for lid in reroute:
            self._route(lid, delta)
        emotion_lanes = {ln.id for ln in self.layout.lanes if ln.kind == LaneKind.EMOTIONS.value}
        if moved_stages or moved_lanes or any(c[0] in emotion_lanes for c in dirty):
            self._curves()
            delta.curves = True
        return delta

    def unsettled(self) -> bool:
        """Whether cards moved since the last settle() (other links may have to go round)."""
        return bool(self._moved)

    def settle(self) -> LayoutDelta:
        """Reroute the links whose way a card moved into or out of since the last call.

        refresh() reroutes the links of the cards that moved, at once; the links that only
        pass by them are left to this, which the canvas runs when the board is idle, so a
        remote edit is on screen without waiting for them. The result equals a fresh layout.
        """
        delta = LayoutDelta()
        moved, self._moved = self._moved, []
        paths = self._paths
        if paths is None or not moved:
            return delta
        stale, self._stale_paths = self._stale_paths, {}
        for lid, rects in stale.items():
            if rects is None:
                paths.remove(lid)
            else:
                paths.put(lid, rects)
        reroute: set[str] = set()
        for rect in moved:
            reroute |= paths.meeting(rect)
        for lid in reroute:
            self._route(lid, delta)
        return delta

    def stage_count(self, stage_id: str) -> int:
        """How many shown cards sit in a stage."""
        return sum(len(self._cells.get((ln.id, stage_id), ())) for ln in self._lanes)

    def cell_cards(self, lane_id: str, stage_id: str) -> list[str]:
        """Ids of the cards of one cell, in order."""
        return [cid for _rank, cid in self._cells.get((lane_id, stage_id), ())]

    def _refresh_all(self) -> LayoutDelta:
        old = self.layout
        self._full()
        new = self.layout
        delta = LayoutDelta(structure=True, curves=True, lines=True)
        delta.cards = {cid for cid, box in new.cards.items() if old.cards.get(cid) != box}
        delta.removed_cards = set(old.cards) - set(new.cards)
        delta.links = {lid for lid, r in new.links.items() if old.links.get(lid) != r}
        delta.removed_links = set(old.links) - set(new.links)
        return delta


def compute_layout(
    doc: Document, *, layers: Iterable[str] | None = None, options: LayoutOptions | None = None
) -> BoardLayout:
    """The layout of the whole board (all layers, or only those in ``layers``)."""
    return BoardLayouter(doc, layers=layers, options=options, incremental=False).layout
