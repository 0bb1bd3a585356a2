"""The findings page of a poster (`cld export ... --with-analysis`): the analysis in words.

Sections follow the analysis keys, each with its heading, a one-line explanation and the
findings with card titles and stage names, flowed over as many pages as they need.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from app.export import poster_text as draw
from app.model.analysis import HEADINGS, analyze_board, findings, heading_with_count, snapshot
from app.model.document import Document

#: the order sections appear in on the page
ORDER = (
    "critical_path",
    "stage_cycle_hours",
    "bottlenecks",
    "unsupported_touchpoints",
    "orphan_backstage",
    "handoffs",
    "cycles",
    "pains_without_opportunity",
    "coverage",
)
GOOD = {
    "unsupported_touchpoints": "Every touchpoint has something behind it.",
    "orphan_backstage": "Every back-stage card reaches the customer.",
    "cycles": "No process loops.",
    "pains_without_opportunity": "Every pain point has an opportunity linked to it.",
    "coverage": "Every stage has back-stage or process work behind it.",
    "bottlenecks": "No bottlenecks found.",
    "handoffs": "No hand-offs between teams.",
}
INK = (0.12, 0.16, 0.22)
MUTED = (0.42, 0.46, 0.52)


@dataclass(frozen=True)
class FindingsSection:
    heading: str
    explanation: str
    lines: tuple[str, ...]


def findings_sections(doc: Document) -> list[FindingsSection]:
    """The analysis of ``doc`` as page sections (read in the thread that owns the Document)."""
    board = snapshot(doc)
    analysis = analyze_board(board)
    items: dict[str, list[str]] = {k: [] for k in ORDER}
    for f in findings(analysis, board):
        items.setdefault(f.kind, []).append(f.text)
    sections = []
    for kind in ORDER:
        lines = items.get(kind) or ([GOOD[kind]] if kind in GOOD else [])
        heading = heading_with_count(kind, analysis, len(items[kind]))
        sections.append(FindingsSection(heading, HEADINGS[kind][1], tuple(lines)))
    return sections


def draw_findings_pages(
    c: Canvas, page_size: tuple[float, float], name: str, sections: list[FindingsSection]
) -> int:
    """Draw the findings on as many pages as needed; return how many were drawn."""
    width, height = page_size
    unit = max(1.0, min(width, height) / 595.0)  # type sized to the sheet: A4 = 1
    margin = 42 * unit
    body, small, head = 9.5 * unit, 8 * unit, 12 * unit
    lead = body * 1.35
    text_width = width - 2 * margin
    pages = 1
    y = height - margin

    def new_page() -> float:
        nonlocal pages
        c.showPage()
        pages += 1
        return height - margin

    c.setFillColorRGB(*INK)
    c.setFont(draw.FONT_BOLD, 20 * unit)
    draw.draw_string(c, margin, y - 20 * unit, draw.visual(f"{name}: lifecycle analysis"))
    y -= 34 * unit
    c.setFont(draw.FONT, small)
    c.setFillColorRGB(*MUTED)
    c.drawString(margin, y, "What the journey, blueprint and process layers show together.")
    y -= 2 * lead
    for section in sections:
        wrapped = [
            simpleSplit(line, draw.FONT, body, text_width - 14 * unit) for line in section.lines
        ]
        needed = head * 1.4 + small * 1.6 + lead * min(3, sum(len(w) for w in wrapped) or 1)
        if y - needed < margin:
            y = new_page()
        c.setFillColorRGB(*INK)
        c.setFont(draw.FONT_BOLD, head)
        c.drawString(margin, y, section.heading)
        y -= head * 1.3
        c.setFillColorRGB(*MUTED)
        c.setFont(draw.FONT, small)
        c.drawString(margin, y, section.explanation)
        y -= small * 1.9
        c.setFillColorRGB(*INK)
        c.setFont(draw.FONT, body)
        for parts in wrapped:
            for i, part in enumerate(parts):
                if y - lead < margin:
                    y = new_page()
                    c.setFillColorRGB(*INK)
                    c.setFont(draw.FONT, body)
                if i == 0:
                    c.drawString(margin, y, "•")
                draw.draw_string(c, margin + 14 * unit, y, draw.visual(part))
                y -= lead
        y -= lead
    return pages
