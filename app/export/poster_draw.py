"""Painting a BoardLayout with reportlab: the board as vector shapes and real text.

Everything is drawn in board units (points at 100 %, as app.model.layout gives them) with
y going down; the caller sets the page transform so that board point (x, y) lands where it
should, and :func:`board_transform` does the usual one. Shapes go first and all text last in
one text object, which is what keeps a 2,000-card board fast to write.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import cache

from reportlab.lib.colors import Color, HexColor
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from app.export.poster_text import (
    _RTL,
    FONT,
    FONT_BOLD,
    arabic_reshaper,
    get_display,
    needs_fallback,
    register_fonts,
    string_width,
    text_out,
    visual,
)
from app.model.document import Document
from app.model.labels import KIND_LABELS
from app.model.layout import (
    GRID,
    INK,
    LAYER_COLORS,
    LINK_COLORS,
    MUTED,
    PALETTE,
    BoardLayout,
    CardBox,
    LayoutOptions,
    LinkRoute,
)
from app.model.palette import SENTIMENT_COLORS, VOTE_DOT
from app.model.schema import CardKind, LaneKind

CARD_BORDER = "#CBD2DA"
# the same values as app/canvas/theme.py (which Qt-free code cannot import)
SHADOW = "#DCDFE4"  # the canvas's 9 % slate shadow, on the light lane tints
HEADER_FILL = "#F1F3F5"
CARD_RADIUS = 6.0
ACCENT_W = 4.0
LINK_W = 1.3
ARROW = 7.0  # arrowhead length, as on the canvas
ELBOW = 6.0  # radius of a link's rounded corners
CAP = 0.73  # cap height of DejaVu Sans, in em: centres a line of text on its slot
# dash patterns in line widths, as Qt draws DashLine and DotLine
LINK_DASH: dict[str, tuple[float, ...]] = {"handoff": (4.0, 2.0), "triggers": (1.0, 2.0)}

View = tuple[float, float, float, float]  # x0, y0, x1, y1 in board units


_EMOTIONS = LaneKind.EMOTIONS.value
_DECISION = CardKind.DECISION.value


@cache
def rgb(hex_code: str) -> Color:
    return HexColor(hex_code)


def card_colors(lane_kind: str, override: str = "") -> tuple[str, str]:
    """(fill, accent) hex of a card, the same rule as the canvas: own colour wins for fill."""
    fill, accent = PALETTE.get(lane_kind, ("#F1F3F5", "#5C677D"))
    return override or fill, accent


def board_transform(c: Canvas, left: float, top: float, scale: float) -> None:
    """Map board (0, 0) to page (left, top) at ``scale``; board y is drawn as -y."""
    c.translate(left, top)
    c.scale(scale, scale)


def _meets(x: float, y: float, w: float, h: float, view: View | None) -> bool:
    return view is None or (x < view[2] and x + w > view[0] and y < view[3] and y + h > view[1])


def draw_board(
    c: Canvas,
    layout: BoardLayout,
    view: View | None = None,
    full_titles: dict[str, str] | None = None,
) -> None:
    """Draw the whole board, or only what meets ``view``, in board units.

    ``full_titles`` (card id -> title) are the titles the layout cut short with an ellipsis:
    they go into the text layer invisibly, so searching the PDF finds every card.
    """
    register_fonts()
    o = layout.options
    cards = [b for b in layout.cards.values() if _meets(b.x, b.y, b.w, b.h, view)]
    links = [r for r in layout.links.values() if _route_meets(r, view)]
    _draw_bands(c, layout)
    _draw_links(c, links)
    _draw_curves(c, layout)
    _draw_card_shapes(c, cards)
    _draw_votes(c, cards)
    text = c.beginText()
    _band_text(text, layout)
    _card_text(text, cards, o)
    if full_titles:
        _hidden_titles(text, cards, full_titles, o.title_size)
    c.drawText(text)


def _route_meets(route: LinkRoute, view: View | None) -> bool:
    if view is None:
        return True
    xs = [p[0] for p in route.points]
    ys = [p[1] for p in route.points]
    return _meets(
        min(xs) - ARROW,
        min(ys) - ARROW,
        max(xs) - min(xs) + 2 * ARROW,
        max(ys) - min(ys) + 2 * ARROW,
        view,
    )


# -- bands, headers, separators ----------------------------------------------------------


def _draw_bands(c: Canvas, layout: BoardLayout) -> None:
    o = layout.options
    right = layout.width - o.margin
    # stage header blocks
    c.setLineWidth(0.8)
    for s in layout.stages:
        c.setFillColor(rgb(HEADER_FILL))
        c.setStrokeColor(rgb(GRID))
        c.rect(s.x + 1, -(o.header_height - 4), s.width - 2, o.header_height - 8, stroke=0, fill=1)
    c.setFillColor(rgb(INK))
    c.rect(layout.label_width, -o.header_height, right - layout.label_width, 2.2, stroke=0, fill=1)
    # layer bands: tint behind the lanes and a strong strip with the layer's name
    for band in layout.layer_bands:
        strong, tint = LAYER_COLORS.get(band.layer, ("#5C677D", "#F8F9FA"))
        c.setFillColor(rgb(tint))
        c.rect(
            o.layer_strip_width,
            -(band.y + band.height),
            right - o.layer_strip_width,
            band.height,
            stroke=0,
            fill=1,
        )
        c.setFillColor(rgb(strong))
        c.rect(0, -(band.y + band.height), o.layer_strip_width - 4, band.height, stroke=0, fill=1)
    # lane rules and stage rules
    c.setStrokeColor(rgb(GRID))
    c.setLineWidth(0.9)
    lines = []
    for lane in layout.lanes:
        lines.append((o.layer_strip_width, -(lane.y + lane.height), right, -(lane.y + lane.height)))
    for band in layout.layer_bands:
        lines.append((o.layer_strip_width, -band.y, right, -band.y))
        for s in layout.stages[1:]:
            lines.append((s.x, -band.y, s.x, -(band.y + band.height)))
        lines.append((layout.label_width, -band.y, layout.label_width, -(band.y + band.height)))
    c.lines(lines)
    # blueprint separator lines, dashed as on the canvas
    if layout.lines:
        c.setStrokeColor(rgb(MUTED))
        c.setLineWidth(1.3)
        c.setDash(7, 4)
        c.lines(
            [(max(sep.x0, layout.label_width - 60), -sep.y, sep.x1, -sep.y) for sep in layout.lines]
        )
        c.setDash()


def _band_text(t: object, layout: BoardLayout) -> None:
    from reportlab.pdfgen.textobject import PDFTextObject

    assert isinstance(t, PDFTextObject)
    o = layout.options
    # stage names (and phase above when it is a standard one)
    for s in layout.stages:
        if s.phase and s.phase != "custom" and s.phase.casefold() != s.name.casefold():
            t.setFont(FONT_BOLD, 8.5)
            t.setFillColor(rgb(MUTED))
            t.setTextOrigin(s.x + o.cell_padding, -(o.header_height * 0.36))
            t.textOut(s.phase.upper())
        t.setFont(FONT_BOLD, o.header_size)
        t.setFillColor(rgb(INK))
        t.setTextOrigin(s.x + o.cell_padding, -(o.header_height * 0.36 + o.header_size + 6))
        text_out(t, visual(s.label[0]) if s.label else "", FONT_BOLD, o.header_size)
    # lane names with their kind underneath
    x = o.layer_strip_width + o.cell_padding
    for lane in layout.lanes:
        t.setFont(FONT_BOLD, o.label_size)
        t.setFillColor(rgb(INK))
        y = lane.y + o.cell_padding
        for line in lane.label:
            t.setTextOrigin(x, -(y + (o.label_line_height + CAP * o.label_size) / 2))
            text_out(t, visual(line), FONT_BOLD, o.label_size)
            y += o.label_line_height
        kind = KIND_LABELS.get(lane.kind, lane.kind)
        if lane.kind == LaneKind.TEAM.value and lane.team and lane.team != lane.name:
            kind = f"Team: {lane.team}"
        if kind.casefold() != lane.name.casefold():
            t.setFont(FONT, 9)
            t.setFillColor(rgb(MUTED))
            t.setTextOrigin(x, -(y + 11))
            t.textOut(kind)
    # separator labels sit just above their line in the label column
    t.setFont(FONT, 8.5)
    t.setFillColor(rgb(MUTED))
    for sep in layout.lines:
        t.setTextOrigin(o.layer_strip_width + o.cell_padding, -(sep.y - 4))
        t.textOut(sep.label)


def draw_layer_names(c: Canvas, layout: BoardLayout) -> None:
    """The layer names, turned up the strips (drawn separately: rotated text)."""
    o = layout.options
    c.setFillColor(rgb("#FFFFFF"))
    size = min(14.0, (o.layer_strip_width - 4) * 0.5)
    c.setFont(FONT_BOLD, size)
    for band in layout.layer_bands:
        name = band.name.upper()
        if pdfmetrics.stringWidth(name, FONT_BOLD, size) > band.height - 12:
            name = band.layer.upper()
        c.saveState()
        c.translate((o.layer_strip_width - 4) / 2 + 4, -(band.y + band.height / 2))
        c.rotate(90)
        c.drawCentredString(0, -size * 0.36, name)
        c.restoreState()


# -- links and curves ----------------------------------------------------------------------


def _draw_links(c: Canvas, links: Iterable[LinkRoute]) -> None:
    """Links as on the canvas (app/canvas/items/link.py): rounded elbows, an open arrowhead,
    a little transparent; hand-offs dashed and a bit heavier, triggers dotted."""
    by_kind: dict[str, list[LinkRoute]] = {}
    for r in links:
        by_kind.setdefault(r.kind, []).append(r)
    c.saveState()
    c.setLineJoin(1)
    c.setLineCap(1)
    for kind, routes in by_kind.items():
        c.setStrokeColor(rgb(LINK_COLORS.get(kind, "#5C677D")))
        c.setStrokeAlpha(185 / 255)
        width = LINK_W + (0.4 if kind == "handoff" else 0.0)
        c.setLineWidth(width)
        dash = LINK_DASH.get(kind)
        c.setDash([d * width for d in dash] if dash else [])
        # one stroked path per kind, written as operators: 600 links are 3,000 segments
        c.addLiteral(" ".join(_route_ops(r.points) for r in routes) + " S")
    c.restoreState()


def _route_ops(points: tuple[tuple[float, float], ...]) -> str:
    """Path operators of one route (board y drawn as -y): elbows rounded, open arrow at the end."""
    if len(points) < 2:
        return ""
    ops = [f"{points[0][0]:.2f} {-points[0][1]:.2f} m"]
    for i in range(1, len(points) - 1):
        (ax, ay), (bx, by), (cx, cy) = points[i - 1], points[i], points[i + 1]
        # routes are orthogonal: a segment's length is the sum of its two extents
        d1 = abs(bx - ax) + abs(by - ay)
        d2 = abs(cx - bx) + abs(cy - by)
        r = min(ELBOW, d1 / 2, d2 / 2)
        if r < 0.5:
            ops.append(f"{bx:.2f} {-by:.2f} l")
            continue
        x1, y1 = bx - (bx - ax) / d1 * r, by - (by - ay) / d1 * r
        x2, y2 = bx + (cx - bx) / d2 * r, by + (cy - by) / d2 * r
        # the canvas's quadratic elbow, as the equivalent cubic
        ops.append(
            f"{x1:.2f} {-y1:.2f} l {x1 + 2 / 3 * (bx - x1):.2f} {-(y1 + 2 / 3 * (by - y1)):.2f} "
            f"{x2 + 2 / 3 * (bx - x2):.2f} {-(y2 + 2 / 3 * (by - y2)):.2f} {x2:.2f} {-y2:.2f} c"
        )
    (px, py), (ex, ey) = points[-2], points[-1]
    ops.append(f"{ex:.2f} {-ey:.2f} l")
    angle = math.atan2(ey - py, ex - px)
    for side in (-1, 1):
        a = angle + math.pi - side * 0.45
        ops.append(
            f"{ex + ARROW * math.cos(a):.2f} {-(ey + ARROW * math.sin(a)):.2f} m {ex:.2f} {-ey:.2f} l"
        )
    return " ".join(ops)


def _draw_curves(c: Canvas, layout: BoardLayout) -> None:
    accent = rgb(PALETTE[LaneKind.EMOTIONS.value][1])
    c.setStrokeColor(accent)
    c.setFillColor(accent)
    c.setLineWidth(2.2)
    for curve in layout.curves:
        if len(curve.points) >= 2:
            path = c.beginPath()
            path.moveTo(curve.points[0].x, -curve.points[0].y)
            for p in curve.points[1:]:
                path.lineTo(p.x, -p.y)
            c.drawPath(path, stroke=1, fill=0)


# -- cards -----------------------------------------------------------------------------------


@cache
def _rg(hex_code: str, op: str) -> str:
    """A PDF colour operator ("rg" fill, "RG" stroke) for a hex colour."""
    color = HexColor(hex_code)
    return f"{color.red:.3f} {color.green:.3f} {color.blue:.3f} {op}"


@cache
def _mix(color: str, alpha: float, under: str) -> str:
    """``color`` at ``alpha`` over ``under``, as one opaque hex colour."""
    a, b = HexColor(color), HexColor(under)
    parts = (alpha * x + (1 - alpha) * y for x, y in zip(a.rgb(), b.rgb(), strict=True))
    return "#" + "".join(f"{round(v * 255):02X}" for v in parts)


# Bezier handle of a quarter circle
KAPPA = 0.5523


def _round_rect_ops(x: float, y: float, w: float, h: float, r: float) -> str:
    """Path operators of a rounded rectangle; (x, y) is the bottom-left corner."""
    k = r * KAPPA
    x1, y1 = x + w, y + h
    return (
        f"{x + r:.2f} {y:.2f} m {x1 - r:.2f} {y:.2f} l "
        f"{x1 - r + k:.2f} {y:.2f} {x1:.2f} {y + r - k:.2f} {x1:.2f} {y + r:.2f} c "
        f"{x1:.2f} {y1 - r:.2f} l "
        f"{x1:.2f} {y1 - r + k:.2f} {x1 - r + k:.2f} {y1:.2f} {x1 - r:.2f} {y1:.2f} c "
        f"{x + r:.2f} {y1:.2f} l "
        f"{x + r - k:.2f} {y1:.2f} {x:.2f} {y1 - r + k:.2f} {x:.2f} {y1 - r:.2f} c "
        f"{x:.2f} {y + r:.2f} l "
        f"{x:.2f} {y + r - k:.2f} {x + r - k:.2f} {y:.2f} {x + r:.2f} {y:.2f} c h"
    )


def _outline_ops(b: CardBox) -> str:
    """The card's outline as the canvas draws it (app/canvas/items/card.py), in form space
    (origin at the bottom-left, y up): a rounded note, a hexagon for decisions, an arrow for
    hand-offs, a pill for emotions."""
    w, h = b.w, b.h
    if b.lane_kind == LaneKind.EMOTIONS.value:
        return _round_rect_ops(0, 0, w, h, h / 2.6)
    if b.kind == CardKind.DECISION.value:
        d = min(10.0, h / 3)
        pts = [(d, h), (w - d, h), (w, h / 2), (w - d, 0), (d, 0), (0, h / 2)]
    elif b.kind == CardKind.HANDOFF.value:
        d = min(12.0, h / 3)
        pts = [(0, h), (w - d, h), (w, h / 2), (w - d, 0), (0, 0)]
    else:
        return _round_rect_ops(0, 0, w, h, CARD_RADIUS)
    first, *rest = pts
    return (
        f"{first[0]:.2f} {first[1]:.2f} m " + " ".join(f"{x:.2f} {y:.2f} l" for x, y in rest) + " h"
    )


def _card_form(c: Canvas, b: CardBox) -> str:
    """The name of a Form XObject that draws this card's body, made on first use.

    Cards of one lane kind, size and kind look alike, so a board of 2,000 cards needs a few
    dozen forms: each card is then one placement, which keeps the PDF small and fast to write.
    """
    fill, accent = card_colors(b.lane_kind, b.color)
    emotions = b.lane_kind == LaneKind.EMOTIONS.value
    sentiment = b.sentiment if emotions and b.sentiment is not None else 0
    name = f"card_{b.w:.2f}_{b.h:.2f}_{fill[1:]}_{accent[1:]}_{b.kind}_{b.lane_kind}_{sentiment}"
    if c.hasForm(name):
        return name
    pad = 3.0  # the shadow and the border's half width reach past the box
    c.beginForm(name, -pad, -pad, b.w + pad, b.h + pad)
    outline = _outline_ops(b)
    ops = [
        # a soft shadow 1.5 pt below, then the body with a border of the accent, lightened
        f"q 1 0 0 1 0 -1.5 cm {_rg(SHADOW, 'rg')} {outline} f Q",
        f"0.9 w {_rg(_mix(accent, 110 / 255, fill), 'RG')} {_rg(fill, 'rg')} {outline} B",
    ]
    if emotions:
        dot = SENTIMENT_COLORS.get(sentiment, SENTIMENT_COLORS[0])
        ops.append(f"{_rg(dot, 'rg')} " + _round_rect_ops(6, b.h / 2 - 6, 12, 12, 6) + " f")
    elif b.kind in (CardKind.NOTE.value, CardKind.STEP.value):
        ops.append(f"{_rg(accent, 'rg')} " + _round_rect_ops(0, 0, ACCENT_W, b.h, 2) + " f")
    if b.kind == CardKind.DECISION.value and not emotions:
        cx, cy, r = b.w - 20, b.h - 11, 5.0
        ops.append(
            f"{_rg(accent, 'rg')} {cx:.2f} {cy + r:.2f} m {cx + r:.2f} {cy:.2f} l "
            f"{cx:.2f} {cy - r:.2f} l {cx - r:.2f} {cy:.2f} l h f"
        )
    c.addLiteral("\n".join(ops))
    c.endForm()
    return name


def _draw_card_shapes(c: Canvas, cards: list[CardBox]) -> None:
    """Card bodies, accent bars and vote dots: one form placement per card."""
    forms: dict[tuple[object, ...], str] = {}  # what a card looks like -> its form
    for b in cards:
        look = (b.w, b.h, b.lane_kind, b.color, b.kind, b.sentiment)
        name = forms.get(look)
        if name is None:
            name = forms[look] = _card_form(c, b)
        c.addLiteral(f"q 1 0 0 1 {b.x:.2f} {-(b.y + b.h):.2f} cm")
        c.doForm(name)
        c.addLiteral("Q")


def _card_text(t: object, cards: list[CardBox], o: LayoutOptions) -> None:
    """Titles, footers and votes where the canvas puts them (app/canvas/items/card.py)."""
    from reportlab.pdfgen.textobject import PDFTextObject

    assert isinstance(t, PDFTextObject)
    size, lh, pad = o.title_size, o.title_line_height, o.card_padding
    t.setFont(FONT, size)
    t.setFillColor(rgb(INK))
    # one search over every line: most boards have no right-to-left or CJK text to look
    # for line by line
    every_line = "\n".join(line for b in cards for line in b.lines)
    rtl = _RTL.search(every_line) is not None
    cjk = needs_fallback((every_line, *(b.footer for b in cards)))
    for b in cards:
        if b.lane_kind == _EMOTIONS:
            x, y = 22.0, (b.h - len(b.lines) * lh) / 2 + lh - 4
        else:
            x, y = pad + (8 if b.kind == _DECISION else 2), pad + lh - 4
        for line in b.lines:
            if rtl and _RTL.search(line):  # right-to-left lines start at the card's right edge
                line = visual(line)
                t.setTextOrigin(b.x + b.w - pad - string_width(line, FONT, size), -(b.y + y))
            else:
                t.setTextOrigin(b.x + x, -(b.y + y))
            if cjk:
                text_out(t, line, FONT, size)
            else:
                t.textOut(line)
            y += lh
    footer_size = getattr(o, "footer_size", 9.5)
    t.setFont(FONT, footer_size)
    t.setFillColor(rgb(MUTED))
    for b in cards:
        if b.footer and b.lane_kind != _EMOTIONS:
            x = pad + (8 if b.kind == _DECISION else 2)
            room = b.w - x - pad - (min(b.votes, 5) * 9 + 6 if b.votes else 0)
            t.setTextOrigin(b.x + x, -(b.y + b.h - 8))
            text_out(t, visual(_fit(b.footer, room, footer_size)), FONT, footer_size)


def _draw_votes(c: Canvas, cards: list[CardBox]) -> None:
    """Up to five dots per card, and "+n" for more, as on the canvas."""
    voted = [b for b in cards if b.votes and b.lane_kind != LaneKind.EMOTIONS.value]
    if not voted:
        return
    c.setFillColor(rgb(VOTE_DOT))
    c.setStrokeColor(rgb("#FFFFFF"))
    c.setLineWidth(1)
    for b in voted:
        shown = min(b.votes, 5)
        x = b.x + b.w - 12 - (shown - 1) * 9 - (14 if b.votes > 5 else 0)
        cy = b.y + b.h - 8 - 3.5
        for i in range(shown):
            c.circle(x + i * 9, -cy, 4, stroke=1, fill=1)
    c.setFillColor(rgb(MUTED))
    c.setFont(FONT_BOLD, 9)
    for b in voted:
        if b.votes > 5:
            x = b.x + b.w - 12 - 4 * 9 - 14
            c.drawString(x + 5 * 9 - 2, -(b.y + b.h - 8), f"+{b.votes - 5}")


def _fit(text: str, width: float, size: float) -> str:
    if string_width(text, FONT, size) <= width:
        return text
    while text and string_width(text + "…", FONT, size) > width:
        text = text[:-1]
    return text + "…"


def _hidden_titles(t: object, cards: list[CardBox], titles: dict[str, str], size: float) -> None:
    from reportlab.pdfgen.textobject import PDFTextObject

    assert isinstance(t, PDFTextObject)
    t.setTextRenderMode(3)  # invisible: searchable and copyable, not printed
    t.setFont(FONT, size)
    for b in cards:
        title = titles.get(b.id)
        if title:
            title = " ".join(title.split())
            if arabic_reshaper is not None and _RTL.search(title):
                # PDF text is in visual order (readers turn RTL runs back when they copy or
                # search); unjoined letters so a search for the plain letters finds it
                title = str(get_display(title))
            t.setTextOrigin(b.x, -(b.y + size))
            text_out(t, title, FONT, size)
    t.setTextRenderMode(0)


def search_titles(layout: BoardLayout, doc: Document) -> dict[str, str]:
    """Titles the visible text does not hold as typed: cut short with an ellipsis, or in a
    right-to-left script (drawn in visual order). They go into the text layer invisibly."""
    titles = {}
    boxes = layout.cards.values()
    rtl = _RTL.search("\n".join(line for b in boxes for line in b.lines)) is not None
    for cid, b in layout.cards.items():
        if b.lines and (
            b.lines[-1].endswith("…") or (rtl and any(_RTL.search(line) for line in b.lines))
        ):
            card = doc.card(cid)
            if card is not None:
                titles[cid] = card.title
    return titles
