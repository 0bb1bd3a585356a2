"""The words the board shows for the model's stored values (lane kinds, link kinds, ...).

Screen and paper use these, so a lane kind reads "Back stage" in the properties dock, the
Add Lane menu and the poster's legend alike, never "backstage".
"""

from __future__ import annotations

from app.model.schema import CardKind, LaneKind, Layer, LinkKind, Phase

LAYER_NAMES = {
    Layer.JOURNEY.value: "Customer journey",
    Layer.BLUEPRINT.value: "Service blueprint",
    Layer.PROCESS.value: "Internal process",
}
KIND_LABELS = {
    LaneKind.ACTIONS.value: "Customer actions",
    LaneKind.TOUCHPOINTS.value: "Touchpoints",
    LaneKind.EMOTIONS.value: "Thoughts & emotions",
    LaneKind.PAIN_POINTS.value: "Pain points",
    LaneKind.OPPORTUNITIES.value: "Opportunities",
    LaneKind.EVIDENCE.value: "Physical evidence",
    LaneKind.CUSTOMER_ACTIONS.value: "Customer actions",
    LaneKind.FRONTSTAGE.value: "Front stage",
    LaneKind.BACKSTAGE.value: "Back stage",
    LaneKind.SUPPORT.value: "Support processes",
    LaneKind.SYSTEMS.value: "Systems",
    LaneKind.TEAM.value: "Team",
}
LINK_LABELS = {
    LinkKind.FLOW.value: "Flow",
    LinkKind.SUPPORTS.value: "Supports",
    LinkKind.HANDOFF.value: "Hand-off",
    LinkKind.TRIGGERS.value: "Triggers",
}
CARD_KIND_LABELS = {
    CardKind.NOTE.value: "Note",
    CardKind.STEP.value: "Step",
    CardKind.DECISION.value: "Decision",
    CardKind.HANDOFF.value: "Hand-off",
}
PHASE_LABELS = {p.value: p.value.capitalize() for p in Phase}
SENTIMENT_LABELS = {
    "2": "+2  delighted",
    "1": "+1  pleased",
    "0": "0  neutral",
    "-1": "\u22121  frustrated",
    "-2": "\u22122  angry",
}

#: the labels of each (entity type, field) with a fixed set of values
FIELD_LABELS: dict[tuple[str, str], dict[str, str]] = {
    ("card", "kind"): CARD_KIND_LABELS,
    ("card", "sentiment"): SENTIMENT_LABELS,
    ("lane", "kind"): KIND_LABELS,
    ("stage", "phase"): PHASE_LABELS,
    ("link", "kind"): LINK_LABELS,
}


def label(entity_type: str, field: str, value: str) -> str:
    """How a stored value of a field reads on the board ("\u2014" for none)."""
    if value == "":
        return "\u2014"
    return FIELD_LABELS.get((entity_type, field), {}).get(value, value)
