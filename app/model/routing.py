"""Link routes: orthogonal paths from card to card that stay out from behind other cards.

A link takes the plain path (a straight run, or an elbow through the gutter between stage
columns) when no other card is in its way. Otherwise it goes round through the free space
the layout leaves: the gutter beside a card column and the padding along the top of a
lane, where no card ever sits. :class:`CardGrid` answers "is a card in the way" quickly, and
the layouter keeps it up to date as cards move.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.model.layout import CardBox, StageColumn

Point = tuple[float, float]
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1

_BUCKET = 256.0


class _Buckets:
    """Ids in square buckets of the board, each under every bucket its rectangles meet."""

    size = _BUCKET

    def __init__(self) -> None:
        self._buckets: dict[tuple[int, int], set[str]] = {}

    def _add(self, key: str, x0: float, y0: float, x1: float, y1: float) -> None:
        buckets, size = self._buckets, self.size
        for i in range(int(x0 // size), int(x1 // size) + 1):
            for j in range(int(y0 // size), int(y1 // size) + 1):
                bucket = buckets.get((i, j))
                if bucket is None:
                    buckets[(i, j)] = {key}
                else:
                    bucket.add(key)

    def _discard(self, key: str, x0: float, y0: float, x1: float, y1: float) -> None:
        buckets, size = self._buckets, self.size
        for i in range(int(x0 // size), int(x1 // size) + 1):
            for j in range(int(y0 // size), int(y1 // size) + 1):
                bucket = buckets.get((i, j))
                if bucket is not None:
                    bucket.discard(key)

    def _near(self, x0: float, y0: float, x1: float, y1: float) -> set[str]:
        buckets, size = self._buckets, self.size
        found: set[str] = set()
        for i in range(int(x0 // size), int(x1 // size) + 1):
            for j in range(int(y0 // size), int(y1 // size) + 1):
                bucket = buckets.get((i, j))
                if bucket:
                    found |= bucket
        return found


class CardGrid:
    """The placed card boxes, to ask what a segment would pass behind.

    Each bucket holds the boxes it meets as plain (x0, y0, x1, y1, id) tuples: a query
    then compares numbers without looking anything up.
    """

    size = _BUCKET

    def __init__(self) -> None:
        self._buckets: dict[tuple[int, int], list[tuple[float, float, float, float, str]]] = {}
        self._boxes: dict[str, tuple[float, float, float, float, str]] = {}

    def _keys(self, entry: tuple[float, float, float, float, str]) -> list[tuple[int, int]]:
        size = self.size
        x0, y0, x1, y1, _cid = entry
        return [
            (i, j)
            for i in range(int(x0 // size), int(x1 // size) + 1)
            for j in range(int(y0 // size), int(y1 // size) + 1)
        ]

    def put(self, box: CardBox) -> None:
        entry = (box.x, box.y, box.x + box.w, box.y + box.h, box.id)
        old = self._boxes.get(box.id)
        if old == entry:
            return
        if old is not None:
            self.remove(box.id)
        self._boxes[box.id] = entry
        buckets = self._buckets
        for key in self._keys(entry):
            bucket = buckets.get(key)
            if bucket is None:
                buckets[key] = [entry]
            else:
                bucket.append(entry)

    def remove(self, card_id: str) -> None:
        old = self._boxes.pop(card_id, None)
        if old is None:
            return
        for key in self._keys(old):
            bucket = self._buckets.get(key)
            if bucket is not None:
                bucket[:] = [e for e in bucket if e[4] != card_id]

    def fill(self, boxes: Iterable[CardBox]) -> None:
        """Put many boxes into an empty grid (a full layout: one loop, no look-ups)."""
        buckets, size, known = self._buckets, self.size, self._boxes
        for b in boxes:
            x1, y1 = b.x + b.w, b.y + b.h
            entry = (b.x, b.y, x1, y1, b.id)
            known[b.id] = entry
            i0, i1 = int(b.x // size), int(x1 // size)
            j0, j1 = int(b.y // size), int(y1 // size)
            for i in range(i0, i1 + 1) if i1 > i0 else (i0,):
                for j in range(j0, j1 + 1) if j1 > j0 else (j0,):
                    bucket = buckets.get((i, j))
                    if bucket is None:
                        buckets[(i, j)] = [entry]
                    else:
                        bucket.append(entry)

    def blocked(self, rect: Rect, skip: Sequence[str]) -> bool:
        """Whether a card other than those in ``skip`` meets ``rect`` (edges excluded)."""
        x0, y0, x1, y1 = rect
        if x0 > x1:  # a segment drawn right to left, widened the wrong way round
            x0, x1 = x1 - 2.0, x0 + 2.0
        if y0 > y1:
            y0, y1 = y1 - 2.0, y0 + 2.0
        buckets, size = self._buckets, self.size
        a, b = skip[0], skip[1]
        for i in range(int(x0 // size), int(x1 // size) + 1):
            for j in range(int(y0 // size), int(y1 // size) + 1):
                for bx0, by0, bx1, by1, cid in buckets.get((i, j), ()):
                    if bx0 < x1 and x0 < bx1 and by0 < y1 and y0 < by1 and cid != a and cid != b:
                        return True
        return False


class PathIndex(_Buckets):
    """Each link's plain path (what decides whether it must go round), to find the links a
    moved card may open or close the way for."""

    size = 4 * _BUCKET  # paths are long: fewer, larger buckets, checked exactly on a query

    def __init__(self) -> None:
        super().__init__()
        self._rects: dict[str, tuple[Rect, ...]] = {}

    def put(self, link_id: str, rects: tuple[Rect, ...]) -> None:
        if self._rects.get(link_id) == rects:
            return
        self.remove(link_id)
        self._rects[link_id] = rects
        for r in rects:
            self._add(link_id, *r)

    def remove(self, link_id: str) -> None:
        for r in self._rects.pop(link_id, ()):
            self._discard(link_id, *r)

    def meeting(self, rect: Rect) -> set[str]:
        """The links whose plain path meets ``rect``."""
        x0, y0, x1, y1 = rect
        out: set[str] = set()
        for lid in self._near(x0, y0, x1, y1):
            for a0, b0, a1, b1 in self._rects.get(lid, ()):
                if a0 < x1 and x0 < a1 and b0 < y1 and y0 < b1:
                    out.add(lid)
                    break
        return out


def _jitter(link_id: str) -> float:
    """A small, stable offset per link, so parallel runs in one gutter stay apart."""
    return float(zlib.crc32(link_id.encode()) % 7 - 3) * 1.5


def path_rects(points: Sequence[Point]) -> tuple[Rect, ...]:
    """The segments of a path as thin rectangles (a line is about two points wide)."""
    half = 1.0
    return tuple(
        (min(ax, bx) - half, min(ay, by) - half, max(ax, bx) + half, max(ay, by) + half)
        for (ax, ay), (bx, by) in zip(points, points[1:], strict=False)
    )


def _path_blocked(points: Sequence[Point], grid: CardGrid, skip: Sequence[str]) -> bool:
    blocked = grid.blocked
    ax, ay = points[0]
    for bx, by in points[1:]:
        if blocked((ax - 1.0, ay - 1.0, bx + 1.0, by + 1.0), skip):
            return True
        ax, ay = bx, by
    return False


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
) -> tuple[tuple[Point, ...], tuple[Point, ...]]:
    """An orthogonal path from the source box's edge to the target box's edge, and the plain
    path it was chosen against (the route depends on the cards that meet the plain path).

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
            return plain, plain
        # out into the gutter beside the source, along the top of the lower lane, down or
        # up the gutter beside the target
        side = 1.0 if right else -1.0
        g1 = (sx1 if right else sx0) + side * (gap / 2 + j / 3)
        g2 = (tx0 if right else tx1) - side * (gap / 2 - j / 3)
        if abs(g1 - g2) < 1.0:  # neighbouring columns share the gutter between them
            return (start, (g1, scy), (g1, tcy), end), plain
        gy = lane_top + padding / 2 + j / 3
        return (start, (g1, scy), (g1, gy), (g2, gy), (g2, tcy), end), plain
    # one above the other
    cx = (max(sx0, tx0) + min(sx1, tx1)) / 2
    if t.y >= s.y + s.h:
        plain = ((cx, s.y + s.h), (cx, t.y))
    elif t.y + t.h <= s.y:
        plain = ((cx, s.y), (cx, t.y + t.h))
    else:
        overlap = ((s.x + s.w / 2, scy), (t.x + t.w / 2, tcy))
        return overlap, ()
    if grid is None or not _path_blocked(plain, grid, skip):
        return plain, plain
    # round the cards in between through the gutter right of the column
    gx = max(sx1, tx1) + gap / 2 + j / 3
    return ((sx1, scy), (gx, scy), (gx, tcy), (tx1, tcy)), plain
