"""The colours of lane kinds, layers, links, sentiment and votes (hex strings, no Qt).

One table for the screen and the paper: the canvas turns them into QColors, the poster into
reportlab colours.
"""

from __future__ import annotations

from app.model.schema import LaneKind, Layer

# -- colours (hex strings, shared by screen and paper) --------------------------------------

#: lane kind -> (card fill, accent)
PALETTE: dict[str, tuple[str, str]] = {
    LaneKind.ACTIONS.value: ("#EEF1FF", "#4C6EF5"),
    LaneKind.TOUCHPOINTS.value: ("#E7F3FF", "#1C7ED6"),
    LaneKind.EMOTIONS.value: ("#FFF0F6", "#D6336C"),
    LaneKind.PAIN_POINTS.value: ("#FFECEC", "#E03131"),
    LaneKind.OPPORTUNITIES.value: ("#EAF9EE", "#2F9E44"),
    LaneKind.EVIDENCE.value: ("#F3F0FF", "#7048E8"),
    LaneKind.CUSTOMER_ACTIONS.value: ("#EAF4FF", "#1971C2"),
    LaneKind.FRONTSTAGE.value: ("#E6FAF3", "#0CA678"),
    LaneKind.BACKSTAGE.value: ("#E5F8FA", "#1098AD"),
    LaneKind.SUPPORT.value: ("#F1F3F5", "#5C677D"),
    LaneKind.SYSTEMS.value: ("#F8F0FC", "#AE3EC9"),
    LaneKind.TEAM.value: ("#FFF4E6", "#E8590C"),
}
#: layer -> (strong colour, band tint)
LAYER_COLORS: dict[str, tuple[str, str]] = {
    Layer.JOURNEY.value: ("#4C6EF5", "#F7F8FF"),
    Layer.BLUEPRINT.value: ("#0CA678", "#F3FBF8"),
    Layer.PROCESS.value: ("#E8590C", "#FFF9F3"),
}
LINK_COLORS: dict[str, str] = {
    "flow": "#5C677D",
    "supports": "#0CA678",
    "handoff": "#E8590C",
    "triggers": "#7048E8",
}
INK = "#1F2937"
MUTED = "#6B7280"
GRID = "#E3E7EC"
#: sentiment -2..2 -> dot colour
SENTIMENT_COLORS: dict[int, str] = {
    -2: "#E03131",
    -1: "#F76707",
    0: "#868E96",
    1: "#74B816",
    2: "#2F9E44",
}
VOTE_DOT = "#F59F00"
