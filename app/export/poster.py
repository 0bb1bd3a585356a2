"""Wall posters of the board as vector PDF: fitted to one sheet, or tiled over many.

The board comes from app.model.layout, so paper matches the screen. Fit mode scales the
board onto one sheet above a title block. Tile mode draws the board at a chosen scale over
sheets of a chosen size: each sheet has crop marks, overlap marks, a label ("B2 of 3×4"),
and the stage and lane names repeated in its overlap strips (hidden under the neighbour once
assembled); an assembly page in front shows the grid. Fonts are embedded (DejaVu Sans).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from app.export import poster_draw as draw
from app.export.paper import (
    MM,
    SIZES,
    Paper,
    PaperError,
    parse_length,
    parse_orientation,
    parse_paper,
    parse_scale,
)
from app.export.poster_findings import FindingsSection, draw_findings_pages, findings_sections
from app.export.poster_title import TitleBlock, draw_assembly_page, draw_tile_marks
from app.model.clock import stamp_wall
from app.model.document import Document
from app.model.layout import BoardLayout, compute_layout
from app.model.schema import Layer
from app.model.templates import is_template_stamp

#: the most sheets a tiled poster may take; more is almost always a wrong scale
MAX_SHEETS = 200
#: a small board is enlarged at most this much to fill a sheet; more looks like a mistake
MAX_FIT_SCALE = 4.0
#: card text under this prints too small to read at arm's length on a wall
MIN_TEXT_PT = 9.0
DEFAULT_PAPER = "A0"
DEFAULT_OVERLAP = 10 * MM
MAX_OVERLAP = 50 * MM
#: the edge office printers cannot print on; crop marks and the tile label live in it
TILE_MARGIN = 8 * MM
#: smallest overlap that can hold the repeated stage and lane names
MIN_LABEL_STRIP = 4 * MM


class PosterError(ValueError):
    """A poster request that cannot be met; the message says what to change."""


class PosterCancelled(Exception):
    """The user cancelled the export; no file was written."""


@dataclass(frozen=True)
class PosterRequest:
    """What to print: sheet, orientation, one sheet or tiles at a scale, and which layers."""

    paper: Paper = field(default_factory=lambda: Paper(DEFAULT_PAPER, *SIZES[DEFAULT_PAPER]))
    orientation: str | None = None  # None: whichever suits the board
    tile: Paper | None = None  # None: fit onto one sheet of ``paper``
    scale: float = 1.0  # tiled only
    overlap: float = DEFAULT_OVERLAP  # tiled only, points
    layers: tuple[str, ...] | None = None  # None: all


def request_from_options(
    *,
    size: str | None = None,
    orientation: str | None = None,
    tile: str | None = None,
    scale: str | None = None,
    overlap: str | None = None,
    layers: str | None = None,
) -> PosterRequest:
    """A PosterRequest from the words of ``cld export`` options; PosterError if one is wrong."""
    try:
        paper = parse_paper(size or DEFAULT_PAPER)
        tiles = parse_paper(tile) if tile else None
        if tiles is None and (scale or overlap):
            raise PosterError(
                "--scale and --overlap only apply to tiled posters: add --tile A4 (or another size)"
            )
        request = PosterRequest(
            paper=paper,
            orientation=parse_orientation(orientation) if orientation else None,
            tile=tiles,
            scale=parse_scale(scale) if scale else 1.0,
            overlap=parse_length(overlap) if overlap else DEFAULT_OVERLAP,
            layers=parse_layers(layers) if layers else None,
        )
    except PaperError as exc:
        raise PosterError(str(exc)) from None
    if request.overlap > MAX_OVERLAP:
        raise PosterError(f"overlap {overlap} is too wide: use at most {MAX_OVERLAP / MM:.0f} mm")
    return request


def parse_layers(text: str) -> tuple[str, ...]:
    names = [p.strip().lower() for p in text.split(",") if p.strip()]
    known = [layer.value for layer in Layer]
    for name in names:
        if name not in known:
            raise PaperError(f"unknown layer {name!r}: choose from {', '.join(known)}")
    if not names:
        raise PaperError(f"no layers given: choose from {', '.join(known)}")
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Tile:
    """One sheet of a tiled poster: where it sits in the grid and what part it shows."""

    row: int
    col: int
    label: str  # "B2": row letter, column number
    view: tuple[float, float, float, float]  # poster points: x0, y0, x1, y1


@dataclass
class PosterPlan:
    """Pages, scale and tiles of a poster, decided before anything is drawn."""

    mode: str  # "fit" or "tile"
    paper: Paper
    orientation: str
    page_size: tuple[float, float]
    scale: float
    poster_size: tuple[float, float]  # the assembled poster content, points
    rows: int = 1
    cols: int = 1
    margin: float = 0.0
    overlap: float = 0.0
    tiles: list[Tile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return 1 if self.mode == "fit" else len(self.tiles) + 1

    @property
    def printable(self) -> tuple[float, float]:
        w, h = self.page_size
        return (w - 2 * self.margin, h - 2 * self.margin)


@dataclass
class PosterResult:
    """What was written, for the CLI's message and the app's status bar."""

    path: Path
    plan: PosterPlan
    findings_pages: int = 0

    def message(self) -> str:
        p = self.plan
        if p.mode == "fit":
            text = f"wrote {self.path}: 1 page, {p.paper.describe(p.orientation)}, board at {p.scale:.0%}"
        else:
            w, h = p.poster_size
            text = (
                f"wrote {self.path}: {len(p.tiles)} sheets of {p.paper.describe(p.orientation)} "
                f"({p.rows} rows × {p.cols} columns) plus an assembly page, board at {p.scale:.0%}, "
                f"poster {w / MM / 1000:.2f} × {h / MM / 1000:.2f} m"
            )
        if self.findings_pages:
            pages = "page" if self.findings_pages == 1 else "pages"
            text += f", and {self.findings_pages} {pages} of analysis findings"
        return "\n".join([text] + [f"warning: {w}" for w in p.warnings])


def row_letters(index: int) -> str:
    """A, B, ... Z, AA, AB ...: spreadsheet-style row names."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# -- planning --------------------------------------------------------------------------------


def _fit_margin(w: float, h: float) -> float:
    return max(10 * MM, 0.02 * min(w, h))


def plan_fit(layout: BoardLayout, title: TitleBlock, request: PosterRequest) -> PosterPlan:
    """One sheet: the orientation and scale that show the board largest above the title block."""
    paper = request.paper
    bw, bh = content_size(layout)
    chosen = request.orientation or paper.natural_orientation
    # on a tie (both capped at MAX_FIT_SCALE) the sheet turned like the board wins
    natural = ["landscape", "portrait"] if bw >= bh else ["portrait", "landscape"]
    choices = [chosen] if chosen else natural
    best: tuple[float, str] | None = None
    for orientation in choices:
        w, h = paper.oriented(orientation)
        m = _fit_margin(w, h)
        tb = title.height_for(w - 2 * m, title.unit_for(w, h))
        scale = min((w - 2 * m) / bw, (h - 2 * m - tb) / bh, MAX_FIT_SCALE)
        if best is None or scale > best[0] + 1e-9:
            best = (scale, orientation)
    assert best is not None
    scale, orientation = best
    w, h = paper.oriented(orientation)
    if scale <= 0:
        raise PosterError(f"{paper.name} is too small for the title block: choose a bigger --size")
    plan = PosterPlan("fit", paper, orientation, (w, h), scale, (w, h), margin=_fit_margin(w, h))
    text_pt = layout.options.title_size * scale
    if text_pt < MIN_TEXT_PT:
        plan.warnings.append(
            f"card text prints at {text_pt:.1f} pt on {paper.name} (under {MIN_TEXT_PT:.0f} pt is "
            "hard to read on a wall): choose a bigger --size, or tile it, e.g. --tile A3 --scale 100%"
        )
    return plan


def _grid(extent: float, printable: float, overlap: float) -> int:
    step = printable - overlap
    return max(1, math.ceil((extent - overlap) / step - 1e-9))


def plan_tiles(layout: BoardLayout, title: TitleBlock, request: PosterRequest) -> PosterPlan:
    """Tiles: the grid of sheets (in the orientation that needs fewer) at the chosen scale."""
    assert request.tile is not None
    paper, s, ov = request.tile, request.scale, request.overlap
    chosen = request.orientation or paper.natural_orientation
    choices = [chosen] if chosen else ["portrait", "landscape"]
    options = []
    for orientation in choices:
        w, h = paper.oriented(orientation)
        pw, ph = w - 2 * TILE_MARGIN, h - 2 * TILE_MARGIN
        if ov >= min(pw, ph) / 2:
            raise PosterError(
                f"overlap {ov / MM:.0f} mm is too wide for {paper.name} sheets: use at most "
                f"{min(pw, ph) / 2 / MM - 1:.0f} mm"
            )
        poster_w, poster_h = _poster_size(layout, title, s)
        cols, rows = _grid(poster_w, pw, ov), _grid(poster_h, ph, ov)
        options.append((rows * cols, orientation, rows, cols, (poster_w, poster_h)))
    sheets, orientation, rows, cols, poster = min(options, key=lambda o: o[0])
    if sheets > MAX_SHEETS:
        hint = _largest_scale(layout, title, request)
        raise PosterError(
            f"at {s:.0%} the board needs {sheets} {paper.name} sheets ({rows} rows × {cols} "
            f"columns), more than the limit of {MAX_SHEETS}: "
            + (f"use --scale {hint:.0%} or less, or bigger sheets" if hint else "use bigger sheets")
        )
    w, h = paper.oriented(orientation)
    plan = PosterPlan("tile", paper, orientation, (w, h), s, poster, rows, cols, TILE_MARGIN, ov)
    pw, ph = plan.printable
    for r in range(rows):
        for c in range(cols):
            x0, y0 = c * (pw - ov), r * (ph - ov)
            plan.tiles.append(Tile(r, c, f"{row_letters(r)}{c + 1}", (x0, y0, x0 + pw, y0 + ph)))
    text_pt = layout.options.title_size * s
    if text_pt < MIN_TEXT_PT:
        plan.warnings.append(
            f"card text prints at {text_pt:.1f} pt at {s:.0%} (under {MIN_TEXT_PT:.0f} pt is hard "
            f"to read on a wall): use --scale {math.ceil(MIN_TEXT_PT / layout.options.title_size * 20) * 5}% or more"
        )
    return plan


def content_size(layout: BoardLayout) -> tuple[float, float]:
    """The board without its empty right and bottom margin, in board points."""
    return layout.width - layout.options.margin, layout.height - layout.options.margin


def _poster_size(layout: BoardLayout, title: TitleBlock, scale: float) -> tuple[float, float]:
    w = content_size(layout)[0] * scale
    unit = title.unit_for_scale(scale)
    return w, layout.height * scale + title.height_for(w, unit)


def _largest_scale(layout: BoardLayout, title: TitleBlock, request: PosterRequest) -> float | None:
    """The largest scale, in 5 % steps, that stays within MAX_SHEETS."""
    assert request.tile is not None
    chosen = request.orientation or request.tile.natural_orientation
    sheets_sizes = [
        request.tile.oriented(o) for o in ([chosen] if chosen else ["portrait", "landscape"])
    ]
    ov = request.overlap
    for pct in range(round(request.scale * 100) - 5, 4, -5):
        poster_w, poster_h = _poster_size(layout, title, pct / 100)
        sheets = min(
            _grid(poster_w, w - 2 * TILE_MARGIN, ov) * _grid(poster_h, h - 2 * TILE_MARGIN, ov)
            for w, h in sheets_sizes
        )
        if sheets <= MAX_SHEETS:
            return pct / 100
    return None


def plan_poster(
    doc: Document, request: PosterRequest
) -> tuple[BoardLayout, TitleBlock, PosterPlan]:
    """Lay out the board and decide pages; PosterError if the request cannot be met."""
    draw.register_fonts()
    layout = compute_layout(doc, layers=request.layers)
    if not layout.lanes or not layout.stages:
        what = "lanes in the chosen layers" if request.layers else "stages and lanes"
        raise PosterError(f"nothing to print: the design has no {what}")
    title = TitleBlock.of(
        doc, layout, request.layers, printed=datetime.now(UTC), last_change=_last_change(doc)
    )
    plan = plan_tiles(layout, title, request) if request.tile else plan_fit(layout, title, request)
    return layout, title, plan


def _last_change(doc: Document) -> str:
    last = doc.store.last_change()
    if last is None:
        return "no changes yet"
    if is_template_stamp(last[0]):
        return "as made from its template"
    when = datetime.fromtimestamp(stamp_wall(last[0]) / 1000, UTC)
    who = f" by {last[1]}" if last[1] else ""
    return f"last change {when:%Y-%m-%d %H:%M} UTC{who}"


# -- drawing ---------------------------------------------------------------------------------

Progress = Callable[[int, int], bool]  # (pages done, pages in all) -> False to cancel


@dataclass
class PreparedPoster:
    """Everything a poster needs from the Document, read up front.

    Writing the PDF then touches no Document, so the app can read in its GUI thread (which
    owns the Document) and write in a worker thread.
    """

    layout: BoardLayout
    title: TitleBlock
    plan: PosterPlan
    full_titles: dict[str, str]
    name: str
    author: str
    #: the analysis findings to print after the board (``--with-analysis``), or None
    findings: list[FindingsSection] | None = None


def prepare_poster(
    doc: Document, request: PosterRequest, *, with_analysis: bool = False
) -> PreparedPoster:
    """Lay out and plan a poster; PosterError if the request cannot be met."""
    layout, title, plan = plan_poster(doc, request)
    return PreparedPoster(
        layout,
        title,
        plan,
        draw.search_titles(layout, doc),
        doc.name,
        doc.author,
        findings_sections(doc) if with_analysis else None,
    )


def export_poster(
    doc: Document,
    out: str | os.PathLike[str],
    request: PosterRequest,
    *,
    progress: Progress | None = None,
    with_analysis: bool = False,
) -> PosterResult:
    """Write the poster PDF; ``progress`` is called after every page and may cancel."""
    prepared = prepare_poster(doc, request, with_analysis=with_analysis)
    return write_poster(prepared, out, progress=progress)


def write_poster(
    prepared: PreparedPoster, out: str | os.PathLike[str], *, progress: Progress | None = None
) -> PosterResult:
    """Write a prepared poster; a cancelled or failed export leaves no file behind."""
    layout, title, plan, full_titles = (
        prepared.layout,
        prepared.title,
        prepared.plan,
        prepared.full_titles,
    )
    out = Path(out)
    tmp = out.with_name(f".{out.name}.part")
    c = Canvas(str(tmp), pagesize=plan.page_size, pageCompression=1, initialFontName=draw.FONT)
    c.setTitle(prepared.name)
    c.setAuthor(prepared.author)
    c.setCreator("CLD Desktop")
    c.setSubject("Customer lifecycle design poster")
    try:
        if plan.mode == "fit":
            _fit_page(c, layout, title, plan, full_titles)
            c.showPage()
            _report(progress, 1, 1)
        else:
            draw_assembly_page(c, layout, title, plan)
            c.showPage()
            _report(progress, 1, plan.pages)
            for i, tile in enumerate(plan.tiles, start=2):
                _tile_page(c, layout, title, plan, tile, full_titles)
                c.showPage()
                _report(progress, i, plan.pages)
        extra = 0
        if prepared.findings is not None:
            extra = draw_findings_pages(c, plan.page_size, prepared.name, prepared.findings)
            c.showPage()
        c.save()
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return PosterResult(out, plan, extra)


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and progress(done, total) is False:
        raise PosterCancelled("poster export cancelled")


def _fit_page(
    c: Canvas, layout: BoardLayout, title: TitleBlock, plan: PosterPlan, full_titles: dict[str, str]
) -> None:
    w, h = plan.page_size
    m = plan.margin
    unit = title.unit_for(w, h)
    tb = title.height_for(w - 2 * m, unit)
    s = plan.scale
    cw, ch = content_size(layout)
    left = m + (w - 2 * m - cw * s) / 2
    # centred in the space above the title block, so a tall sheet does not leave one big gap
    top = h - m - max(0.0, (h - 2 * m - tb - ch * s) / 2)
    c.saveState()
    draw.board_transform(c, left, top, s)
    draw.draw_board(c, layout, full_titles=full_titles)
    draw.draw_layer_names(c, layout)
    c.restoreState()
    title.draw(c, m, m + tb, w - 2 * m, unit)


def _tile_page(
    c: Canvas,
    layout: BoardLayout,
    title: TitleBlock,
    plan: PosterPlan,
    tile: Tile,
    full_titles: dict[str, str],
) -> None:
    w, h = plan.page_size
    m = plan.margin
    x0, y0, x1, y1 = tile.view
    s = plan.scale
    c.saveState()
    clip = c.beginPath()
    clip.rect(m, m, x1 - x0, y1 - y0)
    c.clipPath(clip, stroke=0, fill=0)
    board_h = layout.height * s
    if y0 < board_h:
        c.saveState()
        draw.board_transform(c, m - x0, h - m + y0, s)
        draw.draw_board(c, layout, (x0 / s, y0 / s, x1 / s, y1 / s), full_titles)
        draw.draw_layer_names(c, layout)
        c.restoreState()
    poster_w = plan.poster_size[0]
    if y1 > board_h:
        unit = title.unit_for_scale(s)
        # title block: its top edge sits right under the board, in poster coordinates
        title.draw(c, m - x0, h - m - (board_h - y0), poster_w, unit)
    c.restoreState()
    strip = plan.overlap if plan.overlap >= MIN_LABEL_STRIP else 0.0
    draw_tile_marks(c, layout, plan, tile, strip=strip)
