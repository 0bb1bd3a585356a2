"""JSON and CSV interchange: the whole design as versioned JSON, cards as CSV.

Imports go file -> plain records -> edits -> one Change, so a bad file imports nothing
and every bad row or entry is reported at once.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from app.model.document import Document, Edit, new_id
from app.model.ranks import key_between
from app.model.schema import (
    ENTITY_MODELS,
    ENTITY_ORDER,
    FORMAT_NAME,
    FORMAT_VERSION,
    InvalidValue,
    LaneKind,
    Layer,
    check_lane_kind,
    default_fields,
    validate_field,
)
from app.model.text import plural

PLURAL = {etype: etype + "s" for etype in ENTITY_ORDER}
#: the card CSV's columns, as `cld export` writes them; import needs stage, lane and title
CSV_COLUMNS = (
    "id",
    "stage",
    "layer",
    "lane",
    "title",
    "kind",
    "notes",
    "owner",
    "channel",
    "sentiment",
    "duration_hours",
    "cost",
    "tags",
)
CSV_REQUIRED = ("stage", "lane", "title")
CSV_OPTIONAL = tuple(c for c in CSV_COLUMNS if c not in CSV_REQUIRED and c != "id")
MAX_IMPORT_BYTES = 50 * 1024 * 1024


class InterchangeError(ValueError):
    """A file that cannot be imported; the message lists every problem found."""


# -- the JSON format -----------------------------------------------------------------


def _input_model(etype: str) -> type[BaseModel]:
    """The entity as a file may hold it: rank and every defaulted field optional."""
    model = ENTITY_MODELS[etype]
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in ("rank", "deleted"):
            fields[name] = (info.annotation | None, None)  # type: ignore[operator]
        else:
            fields[name] = (info.annotation, info)
    return create_model(  # type: ignore[call-overload,no-any-return]
        f"{model.__name__}Entry", __config__=ConfigDict(extra="forbid"), **fields
    )


_ENTRY_MODELS = {etype: _input_model(etype) for etype in ENTITY_ORDER}

DesignFile = create_model(  # type: ignore[call-overload]
    "DesignFile",
    __config__=ConfigDict(extra="forbid", title="CLD design"),
    format=(str, Field(pattern=f"^{FORMAT_NAME}$")),
    version=(int, Field(ge=1, le=FORMAT_VERSION)),
    name=(str, "Imported design"),
    **{PLURAL[e]: (list[_ENTRY_MODELS[e]], Field(default_factory=list)) for e in ENTITY_ORDER},  # type: ignore[valid-type]
)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the interchange format, generated from the pydantic models."""
    schema: dict[str, Any] = DesignFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def export_json(doc: Document) -> dict[str, Any]:
    """The visible design as plain JSON values, in board order."""
    data: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "name": doc.name}
    data["stages"] = [s.model_dump(mode="json") for s in doc.stages()]
    data["lanes"] = [ln.model_dump(mode="json") for ln in doc.lanes()]
    cards = []
    for lane in doc.lanes():
        for stage in doc.stages():
            cards += [c.model_dump(mode="json") for c in doc.cards_in(lane.id, stage.id)]
    data["cards"] = cards
    data["links"] = [k.model_dump(mode="json") for k in sorted(doc.links(), key=lambda k: k.id)]
    data["votes"] = [v.model_dump(mode="json") for v in sorted(doc.votes(), key=lambda v: v.id)]
    metrics = [
        m
        for m in doc.entities("metric")
        if doc.get(*_metric_target(doc, getattr(m, "target", ""))) is not None
    ]
    data["metrics"] = [m.model_dump(mode="json") for m in metrics]
    for entries in data.values():
        if isinstance(entries, list):
            for e in entries:
                e.pop("deleted", None)
    return data


def _metric_target(doc: Document, target: str) -> tuple[str, str]:
    return ("stage", target) if doc.get("stage", target) is not None else ("card", target)


def _validation_lines(exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "file"
        lines.append(f"{where}: {err['msg']}")
    return lines


def parse_design_json(text: str | bytes) -> dict[str, Any]:
    """Parse and validate a design JSON file; raise InterchangeError listing every problem."""
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InterchangeError(
            f"not valid JSON ({exc}); check the file is a CLD design export"
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_NAME:
        raise InterchangeError(
            f'not a CLD design: the JSON needs "format": "{FORMAT_NAME}" at the top'
        )
    if isinstance(raw.get("version"), int) and raw["version"] > FORMAT_VERSION:
        raise InterchangeError(
            f"written by a newer CLD Desktop (format version {raw['version']}); update to import it"
        )
    try:
        parsed = DesignFile.model_validate(raw)
    except ValidationError as exc:
        lines = _validation_lines(exc)
        raise InterchangeError(
            f"{len(lines)} problem(s) in the file:\n  " + "\n  ".join(lines)
        ) from None
    return parsed.model_dump(mode="json")  # type: ignore[no-any-return]


def design_edits(doc: Document, data: dict[str, Any]) -> list[Edit]:
    """Edits that bring validated design data into ``doc`` (ids kept, missing ranks from order)."""
    problems: list[str] = []
    ids: dict[str, set[str]] = {e: {x["id"] for x in data[PLURAL[e]]} for e in ENTITY_ORDER}

    def exists(etype: str, eid: str) -> bool:
        return eid in ids[etype] or doc.get(etype, eid) is not None

    for i, lane in enumerate(data["lanes"]):
        try:
            check_lane_kind(lane["id"], lane["layer"], lane["kind"])
        except InvalidValue as exc:
            problems.append(f"lanes.{i}: {exc}")
    for etype in ENTITY_ORDER:
        refs = ENTITY_MODELS[etype].references
        for i, entry in enumerate(data[PLURAL[etype]]):
            for fname, target in refs.items():
                if not exists(target, entry[fname]):
                    problems.append(
                        f"{PLURAL[etype]}.{i}.{fname}: no {target} with id {entry[fname]!r}"
                    )
        for i, entry in enumerate(data.get("metrics", []) if etype == "metric" else []):
            if not (exists("card", entry["target"]) or exists("stage", entry["target"])):
                problems.append(f"metrics.{i}.target: no card or stage with id {entry['target']!r}")
    if problems:
        raise InterchangeError(
            f"{len(problems)} problem(s) in the file:\n  " + "\n  ".join(problems)
        )

    _fill_ranks(doc, data)
    edits: list[Edit] = []
    for etype in ENTITY_ORDER:
        defaults = default_fields(etype)
        for entry in data[PLURAL[etype]]:
            eid = entry["id"]
            values = dict(defaults)
            values.update({k: v for k, v in entry.items() if v is not None and k != "id"})
            values["deleted"] = False
            for fname, value in values.items():
                edits.append((etype, eid, fname, validate_field(etype, eid, fname, value)))
    return edits


def _fill_ranks(doc: Document, data: dict[str, Any]) -> None:
    """Give entries without a rank one that keeps their list order after existing ones."""

    def fill(entries: Iterable[dict[str, Any]], last: str | None) -> None:
        for entry in entries:
            if entry.get("rank"):
                last = entry["rank"] if last is None or entry["rank"] > last else last
            else:
                last = entry["rank"] = key_between(last, None)

    stages = doc.stages()
    fill(data["stages"], stages[-1].rank if stages else None)
    for layer in Layer:
        lanes = doc.lanes(layer)
        fill(
            (ln for ln in data["lanes"] if ln["layer"] == layer.value),
            lanes[-1].rank if lanes else None,
        )
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for card in data["cards"]:
        cells.setdefault((card["lane"], card["stage"]), []).append(card)
    for (lane, stage), cards in cells.items():
        existing = doc.cards_in(lane, stage)
        fill(cards, existing[-1].rank if existing else None)


def import_json(doc: Document, text: str | bytes) -> dict[str, int]:
    """Bring a design JSON file into ``doc`` as one Change; return counts by entity type."""
    data = parse_design_json(text)
    edits = design_edits(doc, data)
    if doc.summary()["stages"] == 0 and data.get("name"):
        doc.rename(data["name"])
    doc.commit(edits)
    return {PLURAL[e]: len(data[PLURAL[e]]) for e in ENTITY_ORDER}


# -- CSV -----------------------------------------------------------------------------


def _lane_lookup(doc: Document) -> dict[str, list[Any]]:
    by_name: dict[str, list[Any]] = {}
    for lane in doc.lanes():
        by_name.setdefault(lane.name.strip().lower(), []).append(lane)
    return by_name


def _read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        rows = list(reader)
    except csv.Error as exc:
        raise InterchangeError(f"not a readable CSV file ({exc})") from None
    return header, rows


def decode_text(raw: bytes, name: str) -> str:
    if len(raw) > MAX_IMPORT_BYTES:
        raise InterchangeError(f"{name} is larger than {MAX_IMPORT_BYTES // 2**20} MB; split it")
    if b"\x00" in raw[:4096]:
        raise InterchangeError(f"{name} is not a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


@dataclass(frozen=True)
class CsvImport:
    """What a card CSV brings: new cards, cards it updates by their id, and the edits."""

    added: int
    updated: int
    edits: list[Edit]


#: the card fields a CSV row carries (besides which card it is and where it sits)
CSV_EDITABLE = tuple(c for c in CSV_COLUMNS if c not in ("id", "stage", "layer", "lane"))


def _usable_id(text: str) -> bool:
    return 0 < len(text) <= 100 and not any(ch.isspace() for ch in text)


def card_csv_edits(doc: Document, text: str) -> CsvImport:
    """Edits for every card row of a CSV; raise InterchangeError listing every bad row.

    A row whose ``id`` names a card of the board (a file exported from it and edited in a
    spreadsheet) updates that card instead of adding a second one.
    """
    header, rows = _read_csv(text)
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise InterchangeError(
            f"the CSV needs the columns {', '.join(CSV_REQUIRED)}; missing: {', '.join(missing)}"
            f" (found: {', '.join(h for h in header if h) or 'no header'})"
        )
    unknown = [h for h in header if h and h not in CSV_REQUIRED + CSV_OPTIONAL + ("id",)]
    stages = {s.name.strip().lower(): s for s in doc.stages()}
    lanes = _lane_lookup(doc)
    problems: list[str] = []
    edits: list[Edit] = []
    added = updated = 0
    last_rank: dict[tuple[str, str], str | None] = {}
    for number, row in enumerate(rows, start=2):
        if None in row:
            problems.append(f"row {number}: more values than columns")
            continue
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue
        errors: list[str] = []
        stage = stages.get(values["stage"].lower())
        if stage is None:
            errors.append(f"no stage named {values['stage']!r}")
        candidates = lanes.get(values["lane"].lower(), [])
        if values.get("layer"):
            candidates = [ln for ln in candidates if ln.layer == values["layer"].lower()]
        if not candidates:
            errors.append(f"no lane named {values['lane']!r}")
        elif len(candidates) > 1:
            layers = ", ".join(ln.layer for ln in candidates)
            errors.append(
                f"lane {values['lane']!r} is in several layers ({layers}); add a layer column"
            )
        if not values["title"]:
            errors.append("title is empty")
        fields: dict[str, Any] = {"title": values["title"]}
        for col in ("notes", "owner", "channel", "kind"):
            if values.get(col):
                fields[col] = values[col]
        for col, conv in (("sentiment", int), ("duration_hours", float), ("cost", float)):
            if values.get(col):
                try:
                    fields[col] = conv(values[col])
                except ValueError:
                    errors.append(f"{col} must be a number (got {values[col]!r})")
        if values.get("tags"):
            fields["tags"] = [
                t.strip() for t in values["tags"].replace(",", ";").split(";") if t.strip()
            ]
        given = values.get("id", "")
        old = doc.get("card", given) if given else None
        cid = given if given and (old is not None or _usable_id(given)) else new_id("card")
        for name, value in fields.items():
            try:
                fields[name] = validate_field("card", cid, name, value)
            except InvalidValue as exc:
                errors.append(f"{name}: {exc.rule}")
        if errors:
            problems.append(f"row {number}: " + "; ".join(errors))
            continue
        assert stage is not None
        lane = candidates[0]
        key = (lane.id, stage.id)
        if old is not None and (old.lane, old.stage) == key:  # type: ignore[attr-defined]
            # a card the file was exported with: updated where it stands, not added again
            defaults = default_fields("card")
            row_fields = {
                f: fields.get(f, defaults[f]) for f in CSV_EDITABLE if f in header or f == "title"
            }
            row_fields["deleted"] = False
            edits += [("card", cid, f, v) for f, v in row_fields.items() if getattr(old, f) != v]
            updated += 1
            continue
        if key not in last_rank:
            existing = doc.cards_in(lane.id, stage.id)
            last_rank[key] = existing[-1].rank if existing else None
        rank = key_between(last_rank[key], None)
        last_rank[key] = rank
        values_all = default_fields("card")
        values_all.update(fields, lane=lane.id, stage=stage.id, rank=rank, deleted=False)
        if old is not None:  # moved to another cell in the spreadsheet
            updated += 1
            edits += [("card", cid, f, v) for f, v in values_all.items() if getattr(old, f) != v]
            continue
        added += 1
        edits += [("card", cid, f, v) for f, v in values_all.items()]
    if problems:
        raise InterchangeError(
            f"nothing imported: {len(problems)} bad row(s)\n  " + "\n  ".join(problems)
        )
    # extra columns (``unknown``) are ignored on purpose: spreadsheets carry their own notes
    del unknown
    return CsvImport(added, updated, edits)


def import_cards_csv(doc: Document, text: str) -> int:
    """Import card rows as one Change; return the number of cards added or updated."""
    result = card_csv_edits(doc, text)
    doc.commit(result.edits)
    return result.added + result.updated


def export_cards_csv(doc: Document) -> str:
    """Every visible card as a CSV row, in board order (re-importable)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for lane in doc.lanes():
        for stage in doc.stages():
            for c in doc.cards_in(lane.id, stage.id):
                writer.writerow(
                    [
                        c.id,
                        stage.name,
                        lane.layer,
                        lane.name,
                        c.title,
                        c.kind,
                        c.notes,
                        c.owner,
                        c.channel,
                        "" if c.sentiment is None else c.sentiment,
                        "" if c.duration_hours is None else c.duration_hours,
                        "" if c.cost is None else c.cost,
                        "; ".join(c.tags),
                    ]
                )
    return out.getvalue()


# -- CLI adapters --------------------------------------------------------------------


def _user_error(exc: Exception, source: Path) -> Exception:
    from app.cli import UserError

    return UserError(f"{source.name}: {exc}")


def cli_export_json(doc: Document, out: Path, _args: Any) -> str:
    data = export_json(doc)
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return f"wrote {out} ({len(data['cards'])} cards, {len(data['links'])} links)"


def cli_export_csv(doc: Document, out: Path, _args: Any) -> str:
    text = export_cards_csv(doc)
    out.write_text(text, encoding="utf-8")
    return f"wrote {out} ({text.count(chr(10)) - 1} cards)"


def cli_import_json(doc: Document, source: Path, _args: Any) -> str:
    try:
        counts = import_json(doc, source.read_bytes())
    except (InterchangeError, InvalidValue) as exc:
        raise _user_error(exc, source) from None
    return f"imported {source.name}: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v)


def cli_import_csv(doc: Document, source: Path, _args: Any) -> str:
    try:
        result = card_csv_edits(doc, decode_text(source.read_bytes(), source.name))
        doc.commit(result.edits)
    except (InterchangeError, InvalidValue) as exc:
        raise _user_error(exc, source) from None
    parts = [plural(result.added, "new card")] if result.added or not result.updated else []
    if result.updated:
        parts.append(f"{plural(result.updated, 'card')} updated")
    if not result.edits:
        return f"imported {source.name}: the board already had all of it, nothing changed"
    return f"imported {source.name}: " + ", ".join(parts)


__all__ = [
    "DesignFile",
    "InterchangeError",
    "LaneKind",
    "export_cards_csv",
    "export_json",
    "import_cards_csv",
    "import_json",
    "json_schema",
]
