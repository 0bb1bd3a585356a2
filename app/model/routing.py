"""Link routes: orthogonal paths from card to card that stay out from behind other cards.

A link takes the plain path (a straight run, or an elbow through the gutter between stage
columns) when no other card is in its way. Otherwise it goes round through the free space
the layout leaves: the gutter beside a card column and the padding along the top of a
lane, where no card ever sits. :class:`CardGrid` answers "is a card in the way" quickly, and
the layouter keeps it up to date as cards move.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.model.layout import CardBox, StageColumn

Point = tuple[float, float]
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1

_BUCKET = 256.0


class CardGrid:
    """The placed card boxes in square buckets, to ask what a segment would pass behind."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[int, int], set[str]] = {}
        self._boxes: dict[str, CardBox] = {}

    @staticmethod
    def _keys(x0: float, y0: float, x1: float, y1: float) -> Iterator[tuple[int, int]]:
        for i in range(int(x0 // _BUCKET), int(x1 // _BUCKET) + 1):
            for j in range(int(y0 // _BUCKET), int(y1 // _BUCKET) + 1):
                yield i, j

    def put(self, box: CardBox) -> None:
        old = self._boxes.get(box.id)
        if old is not None:
            if (old.x, old.y, old.w, old.h) == (box.x, box.y, box.w, box.h):
                self._boxes[box.id] = box
                return
            self.remove(box.id)
        self._boxes[box.id] = box
        for key in self._keys(box.x, box.y, box.x + box.w, box.y + box.h):
            self._buckets.setdefault(key, set()).add(box.id)

    def remove(self, card_id: str) -> None:
        old = self._boxes.pop(card_id, None)
        if old is None:
            return
        for key in self._keys(old.x, old.y, old.x + old.w, old.y + old.h):
            bucket = self._buckets.get(key)
            if bucket is not None:
                bucket.discard(card_id)

    def blocked(self, rect: Rect, skip: Sequence[str]) -> bool:
        """Whether a card other than those in ``skip`` meets ``rect`` (edges excluded)."""
        x0, y0, x1, y1 = rect
        if x0 > x1:
            x0, x1 = x1, x0
        if y0 > y1:
            y0, y1 = y1, y0
        boxes = self._boxes
        for key in self._keys(x0, y0, x1, y1):
            for cid in self._buckets.get(key, ()):
                if cid in skip:
                    continue
                b = boxes[cid]
                if b.x < x1 and x0 < b.x + b.w and b.y < y1 and y0 < b.y + b.h:
                    return True
        return False


def _jitter(link_id: str) -> float:
    """A small, stable offset per link, so parallel runs in one gutter stay apart."""
    return float(zlib.crc32(link_id.encode()) % 7 - 3) * 1.5


def _path_blocked(points: Sequence[Point], grid: CardGrid, skip: Sequence[str]) -> bool:
    half = 1.0  # a line is about two points wide
    for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
        rect = (min(ax, bx) - half, min(ay, by) - half, max(ax, bx) + half, max(ay, by) + half)
        if grid.blocked(rect, skip):
            return True
    return False


def _simplified(points: list[Point]) -> tuple[Point, ...]:
    """The path without repeated points and without middle points of straight runs."""
    out: list[Point] = []
    for p in points:
        if out and abs(p[0] - out[-1][0]) < 0.01 and abs(p[1] - out[-1][1]) < 0.01:
            continue
        if len(out) >= 2:
            (ax, ay), (bx, by) = out[-2], out[-1]
            if (abs(ax - bx) < 0.01 and abs(bx - p[0]) < 0.01) or (
                abs(ay - by) < 0.01 and abs(by - p[1]) < 0.01
            ):
                out[-1] = p
                continue
        out.append(p)
    return tuple(out)


def route_link(
    link_id: str,
    s: CardBox,
    t: CardBox,
    s_col: StageColumn,
    t_col: StageColumn,
    *,
    grid: CardGrid | None = None,
    lane_top: float = 0.0,
    gap: float = 10.0,
    padding: float = 12.0,
) -> tuple[Point, ...]:
    """An orthogonal path from the source box's edge to the target box's edge.

    ``lane_top`` is the top of the lower of the two cards' lanes and ``gap`` the space
    between card columns: with ``grid`` given, a path that would pass behind another card
    goes round through the gutters and along that lane's top padding instead.
    """
    sx0, sx1, tx0, tx1 = s.x, s.x + s.w, t.x, t.x + t.w
    scy, tcy = s.y + s.h / 2, t.y + t.h / 2
    skip = (s.id, t.id)
    j = _jitter(link_id)
    if tx0 >= sx1 or tx1 <= sx0:  # side by side
        right = tx0 >= sx1
        if s_col.id == t_col.id:
            gx = (sx1 + tx0) / 2 if right else (tx1 + sx0) / 2
        else:
            gx = (t_col.x if right else t_col.x + t_col.width) + j
        start = (sx1, scy) if right else (sx0, scy)
        end = (tx0, tcy) if right else (tx1, tcy)
        plain = (start, end) if abs(scy - tcy) < 0.5 else (start, (gx, scy), (gx, tcy), end)
        if grid is None or not _path_blocked(plain, grid, skip):
            return plain
        # out into the gutter beside the source, along the top of the lower lane, down or
        # up the gutter beside the target
        side = 1.0 if right else -1.0
        g1 = (sx1 if right else sx0) + side * (gap / 2 + j / 3)
        g2 = (tx0 if right else tx1) - side * (gap / 2 - j / 3)
        gy = lane_top + padding / 2 + j / 3
        return _simplified([start, (g1, scy), (g1, gy), (g2, gy), (g2, tcy), end])
    # one above the other
    cx = (max(sx0, tx0) + min(sx1, tx1)) / 2
    if t.y >= s.y + s.h:
        plain = ((cx, s.y + s.h), (cx, t.y))
    elif t.y + t.h <= s.y:
        plain = ((cx, s.y), (cx, t.y + t.h))
    else:
        return ((s.x + s.w / 2, scy), (t.x + t.w / 2, tcy))
    if grid is None or not _path_blocked(plain, grid, skip):
        return plain
    # round the cards in between through the gutter right of the column
    gx = max(sx1, tx1) + gap / 2 + j / 3
    return ((sx1, scy), (gx, scy), (gx, tcy), (tx1, tcy))


def bounds(points: Sequence[Point], s: CardBox, t: CardBox) -> Rect:
    """A rectangle holding the route and both of its cards: a card that moves into it may
    change the route."""
    xs = [p[0] for p in points] + [s.x, s.x + s.w, t.x, t.x + t.w]
    ys = [p[1] for p in points] + [s.y, s.y + s.h, t.y, t.y + t.h]
    return min(xs), min(ys), max(xs), max(ys)
