"""The entities of a design and their rules: the truth of the file format.

Every entity has a string id and a ``deleted`` tombstone. Fields are plain JSON values
so that a Change can carry any of them and every replica validates them the same way.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

FORMAT_NAME = "cld-design"
FORMAT_VERSION = 1  # the JSON interchange format

MAX_TEXT = 10_000  # notes and other long text
MAX_NAME = 500  # titles and names


class Phase(StrEnum):
    ACQUIRE = "acquire"
    ONBOARD = "onboard"
    ADOPT = "adopt"
    EXPAND = "expand"
    RENEW = "renew"
    CUSTOM = "custom"


class Layer(StrEnum):
    JOURNEY = "journey"
    BLUEPRINT = "blueprint"
    PROCESS = "process"


class LaneKind(StrEnum):
    # journey
    ACTIONS = "actions"
    TOUCHPOINTS = "touchpoints"
    EMOTIONS = "emotions"
    PAIN_POINTS = "pain_points"
    OPPORTUNITIES = "opportunities"
    # blueprint
    EVIDENCE = "evidence"
    CUSTOMER_ACTIONS = "customer_actions"
    FRONTSTAGE = "frontstage"
    BACKSTAGE = "backstage"
    SUPPORT = "support"
    SYSTEMS = "systems"
    # process
    TEAM = "team"


LANE_KINDS_BY_LAYER: dict[Layer, tuple[LaneKind, ...]] = {
    Layer.JOURNEY: (
        LaneKind.ACTIONS,
        LaneKind.TOUCHPOINTS,
        LaneKind.EMOTIONS,
        LaneKind.PAIN_POINTS,
        LaneKind.OPPORTUNITIES,
    ),
    Layer.BLUEPRINT: (
        LaneKind.EVIDENCE,
        LaneKind.CUSTOMER_ACTIONS,
        LaneKind.FRONTSTAGE,
        LaneKind.BACKSTAGE,
        LaneKind.SUPPORT,
        LaneKind.SYSTEMS,
    ),
    Layer.PROCESS: (LaneKind.TEAM,),
}
LAYER_OF_KIND: dict[LaneKind, Layer] = {
    kind: layer for layer, kinds in LANE_KINDS_BY_LAYER.items() for kind in kinds
}


class CardKind(StrEnum):
    NOTE = "note"
    STEP = "step"
    DECISION = "decision"
    HANDOFF = "handoff"


class LinkKind(StrEnum):
    FLOW = "flow"
    SUPPORTS = "supports"
    HANDOFF = "handoff"
    TRIGGERS = "triggers"


Name = Annotated[str, Field(max_length=MAX_NAME)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Ref = Annotated[str, Field(min_length=1, max_length=100)]
COLOR_PATTERN = r"^(#[0-9a-fA-F]{6})?$"
Color = Annotated[str, Field(pattern=COLOR_PATTERN)]


class Entity(BaseModel):
    """Common base: a string id and a tombstone."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False, use_enum_values=True)

    entity_type: ClassVar[str] = ""
    #: fields that reference another entity, by entity type
    references: ClassVar[dict[str, str]] = {}

    id: Ref
    deleted: bool = False


class Stage(Entity):
    """A lifecycle stage: one column of the board."""

    entity_type: ClassVar[str] = "stage"

    name: Name = "Stage"
    phase: Phase = Phase.CUSTOM
    description: Text = ""
    rank: str = ""


class Lane(Entity):
    """A swimlane: one row of the board, in one layer."""

    entity_type: ClassVar[str] = "lane"

    name: Name = "Lane"
    layer: Layer = Layer.JOURNEY
    kind: LaneKind = LaneKind.ACTIONS
    team: Name = ""
    rank: str = ""


class Card(Entity):
    """A note, step, decision or hand-off in one cell (lane x stage)."""

    entity_type: ClassVar[str] = "card"
    references: ClassVar[dict[str, str]] = {"lane": "lane", "stage": "stage"}

    lane: Ref
    stage: Ref
    rank: str = ""
    title: Name = ""
    notes: Text = ""
    kind: CardKind = CardKind.NOTE
    channel: Name = ""
    sentiment: Annotated[int, Field(ge=-2, le=2)] | None = None
    owner: Name = ""
    duration_hours: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    cost: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    tags: list[Name] = Field(default_factory=list, max_length=50)
    color: Color = ""


class Link(Entity):
    """A directed link between two cards."""

    entity_type: ClassVar[str] = "link"
    references: ClassVar[dict[str, str]] = {"source": "card", "target": "card"}

    source: Ref
    target: Ref
    kind: LinkKind = LinkKind.FLOW
    label: Name = ""


class Vote(Entity):
    """One participant's dot on a card."""

    entity_type: ClassVar[str] = "vote"
    references: ClassVar[dict[str, str]] = {"card": "card"}

    card: Ref
    voter: Name


class Metric(Entity):
    """One measured value (CSAT, days to value...) of a card or stage on a date."""

    entity_type: ClassVar[str] = "metric"

    target: Ref  # a card or stage id
    metric: Name
    value: Annotated[float, Field(allow_inf_nan=False)]
    date: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class Facilitation(Entity):
    """A workshop's shared facilitation state: the dot-voting round and the timer.

    Stored and merged like everything else, so a participant who joins late or reconnects
    sees the open round and the running timer. Only the facilitator writes it (the sync
    server refuses others' writes to it).
    """

    entity_type: ClassVar[str] = "facilitation"

    voting_open: bool = False
    votes_per_person: Annotated[int, Field(ge=1, le=50)] = 3
    voting_lanes: list[Ref] = Field(default_factory=list, max_length=100)
    timer_label: Name = ""
    #: wall-clock ms when a running timer reaches zero; None when stopped or paused
    timer_ends_at: Annotated[int, Field(ge=0)] | None = None
    #: ms left while paused; None when running or stopped
    timer_remaining_ms: Annotated[int, Field(ge=0)] | None = None
    #: the participant (replica id) whose view everyone follows; "" when nobody leads
    presenter: Annotated[str, Field(max_length=100)] = ""


ENTITY_MODELS: dict[str, type[Entity]] = {
    m.entity_type: m for m in (Stage, Lane, Card, Link, Vote, Metric, Facilitation)
}
#: the order entities are listed in exports (references point backwards)
ENTITY_ORDER: tuple[str, ...] = ("stage", "lane", "card", "link", "vote", "metric")


class InvalidValue(ValueError):
    """A value refused by the schema; the message names entity, field and rule."""

    def __init__(self, entity_type: str, entity_id: str, field: str, rule: str) -> None:
        self.entity_type = entity_type
        self.entity_id = entity_id
        self.field = field
        self.rule = rule
        super().__init__(f"{entity_type} {entity_id!r}: field {field!r}: {rule}")


#: what a value of a pattern must look like, in words (the pattern itself helps no one)
_PATTERN_WORDS = {
    COLOR_PATTERN: "a colour like #1971C2 (# and six hex digits), or empty",
    r"^\d{4}-\d{2}-\d{2}$": "a date like 2026-01-31",
}


def _describe(error: ValidationError, value: Any) -> str:
    """The first problem of ``error`` in plain words, with the value that caused it."""
    first = error.errors(include_url=False)[0]
    kind, ctx = first["type"], first.get("ctx") or {}
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if kind == "string_pattern_mismatch":
        rule = f"must be {_PATTERN_WORDS.get(str(ctx.get('pattern')), 'in the expected form')}"
    elif kind in ("float_parsing", "int_parsing", "float_type", "int_type", "int_from_float"):
        rule = "must be a whole number" if kind.startswith("int") else "must be a number"
    elif kind == "finite_number":
        rule = "must be a finite number"
    elif kind == "string_too_long":
        rule = f"must be at most {ctx.get('max_length')} characters (this has {len(value)})"
        return rule
    else:
        rule = str(first["msg"])
        for vague, plain in (("Input should be ", "must be "), ("String should ", "must ")):
            rule = rule.replace(vague, plain)
    return f"{rule} (got {shown})"


def _field_adapters(model: type[Entity]) -> dict[str, TypeAdapter[Any]]:
    adapters: dict[str, TypeAdapter[Any]] = {}
    for name, info in model.model_fields.items():
        adapters[name] = TypeAdapter(Annotated[info.annotation, info])  # type: ignore[arg-type,name-defined]
    return adapters


FIELD_ADAPTERS: dict[str, dict[str, TypeAdapter[Any]]] = {
    etype: _field_adapters(model) for etype, model in ENTITY_MODELS.items()
}
#: the compiled validators behind FIELD_ADAPTERS, called directly on the hot path
_VALIDATORS: dict[str, dict[str, Any]] = {
    etype: {name: adapter.validator for name, adapter in adapters.items() if name != "id"}
    for etype, adapters in FIELD_ADAPTERS.items()
}
FIELDS: dict[str, tuple[str, ...]] = {
    etype: tuple(f for f in model.model_fields if f != "id")
    for etype, model in ENTITY_MODELS.items()
}


def validate_field(entity_type: str, entity_id: str, field: str, value: Any) -> Any:
    """Return ``value`` as the schema stores it, or raise InvalidValue."""
    validators = _VALIDATORS.get(entity_type)
    if validators is None:
        raise InvalidValue(entity_type, entity_id, field, "unknown entity type")
    validator = validators.get(field)
    if validator is None:
        raise InvalidValue(entity_type, entity_id, field, "unknown field")
    try:
        result = validator.validate_python(value)
    except ValidationError as exc:
        raise InvalidValue(entity_type, entity_id, field, _describe(exc, value)) from None
    if isinstance(result, StrEnum):
        return result.value
    return result


def _defaults(model: type[Entity]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name == "id" or info.is_required():
            continue
        value = info.get_default(call_default_factory=True)
        values[name] = value.value if isinstance(value, StrEnum) else value
    return values


_DEFAULTS: dict[str, dict[str, Any]] = {etype: _defaults(m) for etype, m in ENTITY_MODELS.items()}


def default_fields(entity_type: str) -> dict[str, Any]:
    """The default value of every field that has one (a fresh copy: lists are not shared)."""
    return {k: (list(v) if isinstance(v, list) else v) for k, v in _DEFAULTS[entity_type].items()}


_REQUIRED: dict[str, tuple[str, ...]] = {
    etype: tuple(n for n, i in m.model_fields.items() if i.is_required() and n != "id")
    for etype, m in ENTITY_MODELS.items()
}


def required_fields(entity_type: str) -> tuple[str, ...]:
    """Fields without a default: an entity missing one is not complete yet."""
    return _REQUIRED[entity_type]


def check_lane_kind(entity_id: str, layer: str, kind: str) -> None:
    """Refuse a lane kind that does not belong to its layer."""
    allowed = LANE_KINDS_BY_LAYER[Layer(layer)]
    if LaneKind(kind) not in allowed:
        names = ", ".join(k.value for k in allowed)
        raise InvalidValue(
            "lane", entity_id, "kind", f"a {layer} lane must be one of: {names} (got {kind!r})"
        )


def build(entity_type: str, values: dict[str, Any]) -> Entity:
    """Make the pydantic model of stored values without validating again."""
    return ENTITY_MODELS[entity_type].model_construct(**values)
