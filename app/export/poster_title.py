"""The paper furniture of a poster: title block and legend, tile marks, the assembly page."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from reportlab.lib.colors import Color, HexColor
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from app.export.paper import MM
from app.export.poster_draw import LINK_DASH, card_colors, rgb
from app.export.poster_text import (
    FONT,
    FONT_BOLD,
    draw_string,
    register_fonts,
    string_width,
    visual,
)
from app.model.document import Document
from app.model.labels import KIND_LABELS, LAYER_NAMES, LINK_LABELS
from app.model.layout import GRID, INK, LAYER_COLORS, LINK_COLORS, MUTED, BoardLayout
from app.model.schema import LAYER_OF_KIND, LaneKind

if TYPE_CHECKING:
    from app.export.poster import PosterPlan, Tile

A4_SIDE = math.sqrt(595.28 * 841.89)
MARK = "#1F2937"
GRID_LINE = "#E8590C"


@cache
def _tint(hex_code: str, strength: float) -> Color:
    """The colour mixed with white: ``strength`` 1 is the colour itself."""
    base = HexColor(hex_code)
    return Color(*(1 - strength * (1 - v) for v in (base.red, base.green, base.blue)))


def _fit(text: str, font: str, size: float, width: float) -> str:
    if string_width(text, font, size) <= width:
        return text
    while text and string_width(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…" if text else ""


@dataclass
class TitleBlock:
    """Design name, dates, counts and a legend of the lane colours and link kinds shown."""

    name: str
    lines: list[str]
    legend: list[tuple[str, str, str]] = field(default_factory=list)  # (what, key, label)

    @classmethod
    def of(
        cls,
        doc: Document,
        layout: BoardLayout,
        layers: tuple[str, ...] | None,
        *,
        printed: datetime,
        last_change: str,
    ) -> TitleBlock:
        shown_layers = [b.layer for b in layout.layer_bands]
        kinds = list(dict.fromkeys(ln.kind for ln in layout.lanes))
        links = list(dict.fromkeys(r.kind for r in layout.links.values()))
        layer_words = ", ".join(LAYER_NAMES[x].lower() for x in shown_layers)
        lines = [
            f"Customer lifecycle design · printed {printed:%Y-%m-%d} · {last_change}",
            f"{len(layout.stages)} stages · {len(layout.lanes)} lanes · {len(layout.cards)} cards · "
            f"{len(layout.links)} links · {layer_words}",
        ]
        legend = [("layer", x, LAYER_NAMES[x]) for x in shown_layers]
        labels = [KIND_LABELS.get(k, k) for k in kinds]
        for i, k in enumerate(kinds):
            if labels.count(labels[i]) > 1:  # actions and customer actions: say which layer
                labels[i] = f"{labels[i]} ({LAYER_OF_KIND[LaneKind(k)].value})"
        legend += [("lane", k, label) for k, label in zip(kinds, labels, strict=True)]
        legend += [("link", k, LINK_LABELS.get(k, k)) for k in sorted(links, key=_link_order)]
        return cls(doc.name, lines, legend)

    # sizes: ``unit`` is 1 on an A4 sheet and grows with the sheet, so a wall poster's title
    # block reads from as far away as its cards
    @staticmethod
    def unit_for_scale(scale: float) -> float:
        """On tiles the block sits among the cards: its text a little above theirs."""
        return max(1.0, min(5.0, 2.6 * scale))

    @staticmethod
    def unit_for(width: float, height: float) -> float:
        return max(1.0, min(5.0, math.sqrt(max(width * height, 1.0)) / A4_SIDE))

    def _sizes(self, unit: float) -> tuple[float, float, float]:
        name = max(12.0, 11.0 * unit)
        body = max(6.5, 5.0 * unit)
        return name, body, body * 1.7

    def _left_width(self, unit: float) -> float:
        name, body, _row = self._sizes(unit)
        widths = [string_width(self.name, FONT_BOLD, name)] + [
            string_width(x, FONT, body) for x in self.lines
        ]
        return max(widths) + 3 * body

    def _legend_columns(self, width: float, unit: float) -> tuple[int, list[float]]:
        """Rows per legend column and the column widths that fit in ``width``."""
        _name, body, _row = self._sizes(unit)
        entries = [
            2.6 * body + stringWidth(label, FONT, body) + 1.6 * body
            for _w, _k, label in self.legend
        ]
        if not entries:
            return 0, []
        available = width - self._left_width(unit)
        for rows in range(3, len(entries) + 1):
            cols = [max(entries[i : i + rows]) for i in range(0, len(entries), rows)]
            if sum(cols) <= available:
                return rows, cols
        return len(entries), [max(entries)]

    def height_for(self, width: float, unit: float) -> float:
        """Height of the block when ``width`` wide."""
        name, body, row = self._sizes(unit)
        rows, _cols = self._legend_columns(width, unit)
        text = name * 1.3 + len(self.lines) * body * 1.6
        return max(text, rows * row) + 2.2 * body

    def draw(self, c: Canvas, x: float, top: float, width: float, unit: float) -> None:
        """Draw the block with its top-left corner at page (x, top)."""
        register_fonts()
        name, body, row = self._sizes(unit)
        pad = body
        c.setStrokeColor(rgb(INK))
        c.setLineWidth(max(0.8, 0.5 * unit))
        c.line(x, top - pad * 0.4, x + width, top - pad * 0.4)
        y = top - pad - name
        c.setFillColor(rgb(INK))
        c.setFont(FONT_BOLD, name)
        draw_string(c, x, y, visual(_fit(self.name, FONT_BOLD, name, width * 0.6)))
        c.setFillColor(rgb(MUTED))
        c.setFont(FONT, body)
        for line in self.lines:
            y -= body * 1.6
            draw_string(c, x, y, visual(line))
        rows, cols = self._legend_columns(width, unit)
        lx = x + width - sum(cols)
        for i, (what, key, label) in enumerate(self.legend):
            col, r = divmod(i, rows)
            ex = lx + sum(cols[:col])
            ey = top - pad - r * row - row * 0.7
            self._swatch(c, what, key, ex, ey, body)
            c.setFillColor(rgb(INK))
            c.setFont(FONT, body)
            c.drawString(ex + 2.6 * body, ey, label)

    @staticmethod
    def _swatch(c: Canvas, what: str, key: str, x: float, y: float, size: float) -> None:
        w, h = 2.0 * size, 0.95 * size
        if what == "layer":
            c.setFillColor(rgb(LAYER_COLORS.get(key, ("#5C677D", ""))[0]))
            c.rect(x, y - 0.1 * size, w, h, stroke=0, fill=1)
        elif what == "lane":
            fill, accent = card_colors(key)
            c.setFillColor(rgb(fill))
            c.setStrokeColor(rgb("#CBD2DA"))
            c.setLineWidth(max(0.5, size / 18))
            c.rect(x, y - 0.1 * size, w, h, stroke=1, fill=1)
            c.setFillColor(rgb(accent))
            c.rect(x, y - 0.1 * size, 0.22 * size, h, stroke=0, fill=1)
        else:
            color = rgb(LINK_COLORS.get(key, "#5C677D"))
            c.setStrokeColor(color)
            c.setFillColor(color)
            width = max(1.0, size / 7)
            c.setLineWidth(width)
            dash = LINK_DASH.get(key)
            if dash:
                c.setDash([d * width for d in dash])
            mid = y + 0.35 * size
            c.line(x, mid, x + w - 0.45 * size, mid)
            c.setDash()
            path = c.beginPath()
            path.moveTo(x + w, mid)
            path.lineTo(x + w - 0.6 * size, mid + 0.28 * size)
            path.lineTo(x + w - 0.6 * size, mid - 0.28 * size)
            path.close()
            c.drawPath(path, stroke=0, fill=1)


def _link_order(kind: str) -> int:
    return list(LINK_LABELS).index(kind) if kind in LINK_LABELS else 99


# -- tiles -----------------------------------------------------------------------------------


def draw_tile_marks(
    c: Canvas, layout: BoardLayout, plan: PosterPlan, tile: Tile, *, strip: float
) -> None:
    """Crop and overlap marks, the sheet's label and neighbours, and the repeated names."""
    register_fonts()
    w, h = plan.page_size
    m = plan.margin
    pw, ph = plan.printable
    _repeated_names(c, layout, plan, tile, strip)
    # crop marks at the corners of the printed area, in the margin
    c.setStrokeColor(rgb(MARK))
    c.setLineWidth(0.4)
    gap, length = 1.5 * MM, 6 * MM
    for cx in (m, m + pw):
        for cy in (m, m + ph):
            sx = -1 if cx == m else 1
            sy = -1 if cy == m else 1
            c.line(cx + sx * gap, cy, cx + sx * (gap + length), cy)
            c.line(cx, cy + sy * gap, cx, cy + sy * (gap + length))
    # overlap marks: where the trimmed edge of the left and upper neighbours lands
    c.setStrokeColor(rgb(GRID_LINE))
    c.setLineWidth(0.8)
    if tile.col > 0:
        x = m + plan.overlap
        c.line(x, h - m + gap, x, h - gap)
        c.line(x, m - gap, x, gap)
    if tile.row > 0:
        y = h - m - plan.overlap
        c.line(m - gap, y, gap, y)
        c.line(w - m + gap, y, w - gap, y)
    # label and neighbours
    size = min(9.0, m * 0.45)
    c.setFillColor(rgb(INK))
    c.setFont(FONT_BOLD, size)
    label = f"{tile.label} of {plan.rows}×{plan.cols}"
    c.drawCentredString(w / 2, m * 0.35, label)
    c.setFont(FONT, size * 0.85)
    c.setFillColor(rgb(MUTED))
    c.drawString(
        m + length + 2 * gap,
        m * 0.35,
        _fit(f"{plan.paper.name} · {plan.scale:.0%}", FONT, size * 0.85, pw / 3),
    )
    neighbours = []
    # with no overlap strip the repeated names take the top and left margins instead
    if tile.row > 0 and strip:
        neighbours.append((w / 2, h - m * 0.55, f"▲ {_name(tile.row - 1, tile.col)}"))
    if tile.row < plan.rows - 1:
        neighbours.append(
            (w - m - length - 2 * gap - 20, m * 0.35, f"▼ {_name(tile.row + 1, tile.col)}")
        )
    if tile.col > 0 and strip:
        neighbours.append((m * 0.55, h / 2, f"◀ {_name(tile.row, tile.col - 1)}"))
    if tile.col < plan.cols - 1:
        neighbours.append((w - m * 0.55, h / 2, f"▶ {_name(tile.row, tile.col + 1)}"))
    c.setFont(FONT_BOLD, size * 0.85)
    for x, y, text in neighbours:
        if text[0] in "◀▶":
            c.saveState()
            c.translate(x, y)
            c.rotate(90)
            c.drawCentredString(0, -size * 0.3, text)
            c.restoreState()
        else:
            c.drawCentredString(x, y, text)


def _name(row: int, col: int) -> str:
    from app.export.poster import row_letters

    return f"{row_letters(row)}{col + 1}"


def _repeated_names(
    c: Canvas, layout: BoardLayout, plan: PosterPlan, tile: Tile, strip: float
) -> None:
    """Stage names along the top and lane names up the left of sheets that lack them."""
    w, h = plan.page_size
    m = plan.margin
    pw, ph = plan.printable
    s = plan.scale
    x0, y0, x1, y1 = tile.view
    o = layout.options
    band = strip if strip else 4.5 * MM
    top = h - m if strip else h - m + band + 0.5 * MM  # in the overlap strip, or in the margin
    stages_strip = o.header_height * s < y0 < layout.height * s
    lanes_strip = x0 > o.label_width * s and y0 < layout.height * s
    # where both strips are drawn, the stage names start right of the lane strip's corner
    corner = band if lanes_strip and strip else 0.0
    if stages_strip:
        c.saveState()
        c.setFillColor(rgb("#FFFFFF"))
        c.setFillAlpha(0.88)
        c.rect(m + corner, top - band, pw - corner, band, stroke=0, fill=1)
        c.setFillAlpha(1)
        size = min(9.0, band * 0.5)
        c.setFont(FONT_BOLD, size)
        c.setFillColor(rgb(INK))
        for stage in layout.stages:
            sx0, sx1 = stage.x * s, (stage.x + stage.width) * s
            if sx1 <= x0 + corner or sx0 >= x1:
                continue
            left, right = max(sx0, x0 + corner), min(sx1, x1)
            c.setStrokeColor(rgb(GRID))
            c.setLineWidth(0.6)
            if sx0 > x0:
                c.line(m + sx0 - x0, top - band, m + sx0 - x0, top)
            draw_string(
                c,
                m + left - x0 + 3,
                top - band / 2 - size * 0.36,
                visual(_fit(stage.name, FONT_BOLD, size, right - left - 6)),
            )
        c.restoreState()
    if lanes_strip:
        c.saveState()
        bottom_limit = max(y0 + (band if stages_strip and strip else 0.0), o.header_height * s)
        c.setFillColor(rgb("#FFFFFF"))
        c.setFillAlpha(0.88)
        left = m if strip else m - band - 0.5 * MM
        c.rect(left, m, band, ph, stroke=0, fill=1)
        c.setFillAlpha(1)
        size = min(9.0, band * 0.5)
        for lane in layout.lanes:
            ly0, ly1 = max(lane.y * s, bottom_limit), min((lane.y + lane.height) * s, y1)
            if ly1 - ly0 < size * 2:
                continue
            strong = LAYER_COLORS.get(lane.layer, ("#5C677D", ""))[0]
            c.setStrokeColor(rgb(strong))
            c.setLineWidth(1.2)
            c.line(left + 0.8, h - m - (ly0 - y0) - 1, left + 0.8, h - m - (ly1 - y0) + 1)
            c.setFillColor(rgb(strong))
            c.setFont(FONT_BOLD, size)
            c.saveState()
            c.translate(left + band / 2 + size * 0.36, h - m - ((ly0 + ly1) / 2 - y0))
            c.rotate(90)
            draw_string(
                c, 0, 0, visual(_fit(lane.name, FONT_BOLD, size, ly1 - ly0 - 6)), anchor="middle"
            )
            c.restoreState()
        c.restoreState()


# -- assembly page ----------------------------------------------------------------------------


def draw_assembly_page(c: Canvas, layout: BoardLayout, title: TitleBlock, plan: PosterPlan) -> None:
    """A page that shows the whole grid of sheets over a miniature of the poster."""
    register_fonts()
    w, h = plan.page_size
    m = 15 * MM
    poster_w, poster_h = plan.poster_size
    # the sheets reach past the poster's edge: the miniature shows all of them
    extent_w = max(t.view[2] for t in plan.tiles)
    extent_h = max(t.view[3] for t in plan.tiles)
    c.setFillColor(rgb(INK))
    c.setFont(FONT_BOLD, 16)
    draw_string(
        c, m, h - m - 16, visual(_fit(f"{title.name}: assembly guide", FONT_BOLD, 16, w - 2 * m))
    )
    c.setFont(FONT, 9)
    c.setFillColor(rgb(MUTED))
    lines = [
        f"{len(plan.tiles)} sheets of {plan.paper.describe(plan.orientation)}, {plan.rows} rows × "
        f"{plan.cols} columns; board at {plan.scale:.0%}, overlap {plan.overlap / MM:.0f} mm.",
        f"Assembled poster: {poster_w / MM / 1000:.2f} × {poster_h / MM / 1000:.2f} m.",
        "1. Trim the right and bottom margins of every sheet along its crop marks.",
        "2. Start at the bottom right. Lay each sheet over its right and lower neighbours so its",
        "    trimmed edges meet their orange overlap marks; the repeated names go underneath.",
        "3. Tape or glue from the back. Sheet labels (A1, A2, ...) are in each bottom margin.",
    ]
    y = h - m - 34
    for line in lines:
        c.drawString(m, y, _fit(line, FONT, 9, w - 2 * m))
        y -= 13
    area_top = y - 8
    aw, ah = w - 2 * m, area_top - m
    k = min(aw / extent_w, ah / extent_h)
    ox = m + (aw - extent_w * k) / 2
    oy = area_top

    def box(x: float, y: float, bw: float, bh: float) -> None:
        c.rect(ox + x * k, oy - (y + bh) * k, bw * k, bh * k, stroke=0, fill=1)

    s = plan.scale
    o = layout.options
    for band in layout.layer_bands:
        strong, tint = LAYER_COLORS.get(band.layer, ("#5C677D", "#F8F9FA"))
        c.setFillColor(rgb(tint))
        box(0, band.y * s, (layout.width - o.margin) * s, band.height * s)
        c.setFillColor(rgb(strong))
        box(0, band.y * s, o.layer_strip_width * s * 0.8, band.height * s)
    c.setFillColor(rgb("#DEE2E6"))
    for stage in layout.stages:
        box(stage.x * s + 1 / k, 0, stage.width * s - 2 / k, o.header_height * s * 0.8)
    for card in layout.cards.values():
        _fill, accent = card_colors(card.lane_kind, card.color)
        c.setFillColor(_tint(accent, 0.55))
        box(card.x * s, card.y * s, card.w * s, card.h * s)
    # where the title block and legend go
    tb_top = oy - layout.height * s * k
    c.setStrokeColor(rgb(INK))
    c.setLineWidth(0.6)
    c.line(ox, tb_top, ox + poster_w * k, tb_top)
    c.setFillColor(rgb(MUTED))
    c.setFont(FONT, 7)
    c.drawString(ox + 4, tb_top - 9, "title block and legend")
    # the grid of sheets over it
    c.setStrokeColor(rgb(GRID_LINE))
    c.setLineWidth(0.9)
    cell = min(
        (plan.tiles[0].view[2] - plan.tiles[0].view[0]) * k,
        (plan.tiles[0].view[3] - plan.tiles[0].view[1]) * k,
    )
    size = max(5.0, min(16.0, cell * 0.28))
    for tile in plan.tiles:
        x0, y0, x1, y1 = tile.view
        c.rect(ox + x0 * k, oy - y1 * k, (x1 - x0) * k, (y1 - y0) * k, stroke=1, fill=0)
    c.setFont(FONT_BOLD, size)
    for tile in plan.tiles:
        x0, y0, x1, y1 = tile.view
        cx, cy = ox + (x0 + x1) / 2 * k, oy - (y0 + y1) / 2 * k
        half = stringWidth(tile.label, FONT_BOLD, size) / 2 + size * 0.35
        c.setFillColor(rgb("#FFFFFF"))
        c.roundRect(cx - half, cy - size * 0.7, 2 * half, size * 1.4, size * 0.3, stroke=0, fill=1)
        c.setFillColor(rgb(GRID_LINE))
        c.drawCentredString(cx, cy - size * 0.36, tile.label)
