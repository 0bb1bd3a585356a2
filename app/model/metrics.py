"""Measured metrics on the board: reading them, and importing them from a CSV file.

A Metric is one measured value (CSAT, days to value...) of a card or a stage on a date. The
board shows the latest value of a chosen metric per card and stage, and a trend over the
dates. A metrics CSV has the columns ``target``, ``metric``, ``value`` and ``date``; its rows
become Metric entities in one Change, or nothing at all if any row is bad.

A metric's id is derived from its target, name and date, so importing the same file twice
(or the same measurement from two laptops) writes the same entity instead of a duplicate.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from app.model.schema import MAX_NAME, Metric

if TYPE_CHECKING:
    from app.model.document import Document, Edit

#: the columns a metrics CSV must have (any order, any case; more columns are ignored)
COLUMNS = ("target", "metric", "value", "date")


class MetricPoint(NamedTuple):
    """One measured value on a date."""

    date: str
    value: float


# -- reading -------------------------------------------------------------------------


def visible_metrics(doc: Document) -> list[Metric]:
    """Metrics whose card or stage is visible on the board."""
    out = []
    for m in doc.entities("metric"):
        assert isinstance(m, Metric)
        if doc.is_visible("card", m.target) or doc.is_visible("stage", m.target):
            out.append(m)
    return out


def _by_date(metrics: Iterable[Metric]) -> list[Metric]:
    # the same date twice (possible only for metrics not made by the importer): the
    # larger id wins, so every replica shows the same value
    return sorted(metrics, key=lambda m: (m.date, m.id))


def metric_names(metrics: Iterable[Metric]) -> list[str]:
    """The distinct metric names, sorted case-insensitively."""
    return sorted({m.metric for m in metrics if not m.deleted}, key=lambda n: (n.casefold(), n))


def latest_values(metrics: Iterable[Metric]) -> dict[tuple[str, str], MetricPoint]:
    """The latest value per (target, metric)."""
    out: dict[tuple[str, str], MetricPoint] = {}
    for m in _by_date(m for m in metrics if not m.deleted):
        out[(m.target, m.metric)] = MetricPoint(m.date, m.value)
    return out


def latest_of(metrics: Iterable[Metric], metric: str) -> dict[str, MetricPoint]:
    """The latest value of one metric per target (card or stage id), for a heat overlay."""
    return {t: p for (t, name), p in latest_values(metrics).items() if name == metric}


def trend(metrics: Iterable[Metric], target: str, metric: str) -> list[MetricPoint]:
    """The values of one metric of one target over the dates, oldest first, one per date."""
    points: dict[str, float] = {}
    for m in _by_date(metrics):
        if not m.deleted and m.target == target and m.metric == metric:
            points[m.date] = m.value
    return [MetricPoint(d, v) for d, v in points.items()]


def heat(latest: dict[str, MetricPoint]) -> dict[str, float]:
    """Each target's latest value placed between the lowest (0.0) and the highest (1.0)."""
    if not latest:
        return {}
    low = min(p.value for p in latest.values())
    high = max(p.value for p in latest.values())
    span = high - low
    return {t: (p.value - low) / span if span else 0.5 for t, p in latest.items()}


# -- import --------------------------------------------------------------------------


def metric_id(target: str, metric: str, date: str) -> str:
    """The id of a measurement: the same target, metric and date always give the same id."""
    digest = hashlib.sha256(f"{target}\x1f{metric}\x1f{date}".encode()).hexdigest()
    return f"m-{digest[:20]}"


@dataclass(frozen=True)
class RowError:
    """A bad row of a metrics CSV: its row number (the header is row 1) and why."""

    row: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


class MetricsCsvError(ValueError):
    """A metrics CSV that cannot be imported; lists every bad row."""

    def __init__(self, source: str, errors: list[RowError], problem: str = "") -> None:
        self.source = source
        self.errors = errors
        if problem:
            message = f"{source}: {problem}"
        else:
            rows = "row" if len(errors) == 1 else "rows"
            lines = "\n".join(f"  {e}" for e in errors)
            message = (
                f"{source}: {len(errors)} bad {rows}, nothing imported "
                f"(fix them and import again):\n{lines}"
            )
        super().__init__(message)


def is_metrics_header(fieldnames: Iterable[str] | None) -> bool:
    """True if a CSV header has every metrics column."""
    names = {(f or "").strip().casefold() for f in fieldnames or ()}
    return all(c in names for c in COLUMNS)


def read_header(path: Path) -> list[str]:
    """The first row of a CSV file (empty if the file is empty)."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return next(csv.reader(fh), [])


class _Targets:
    """Resolves a target cell: a card or stage id, else a title (case-insensitive)."""

    def __init__(self, doc: Document) -> None:
        self.ids: set[str] = set()
        self.titles: dict[str, list[str]] = {}
        self.names: dict[str, str] = {}
        for stage in doc.stages():
            self.ids.add(stage.id)
            self.names[stage.id] = f"stage {stage.id}"
            self.titles.setdefault(stage.name.strip().casefold(), []).append(stage.id)
        stage_names = {s.id: s.name for s in doc.stages()}
        for card in doc.cards():
            self.ids.add(card.id)
            lane = doc.lane(card.lane)
            where = f"{stage_names.get(card.stage, '?')} / {lane.name if lane else '?'}"
            self.names[card.id] = f"card {card.id} in {where}"
            if card.title.strip():
                self.titles.setdefault(card.title.strip().casefold(), []).append(card.id)

    def resolve(self, text: str) -> tuple[str | None, str]:
        """(id, "") or (None, the reason)."""
        if text in self.ids:
            return text, ""
        found = self.titles.get(text.casefold(), [])
        if len(found) == 1:
            return found[0], ""
        if not found:
            return None, f"no card or stage has the id or title {text!r}"
        shown = ", ".join(self.names[i] for i in found[:5])
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        return None, f"{text!r} is the title of {len(found)} things ({shown}{more}); use the id"


def _parse_date(text: str) -> str | None:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    return None


def _parse_value(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_metrics_csv(doc: Document, text: str, *, source: str = "metrics CSV") -> list[Metric]:
    """The measurements of a metrics CSV; raise MetricsCsvError naming every bad row."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    if not is_metrics_header(header):
        found = ", ".join(f or "(blank)" for f in header) or "nothing"
        raise MetricsCsvError(
            source, [], f"the first row must name the columns {', '.join(COLUMNS)} (found {found})"
        )
    position = {name.strip().casefold(): i for i, name in reversed(list(enumerate(header)))}
    targets = _Targets(doc)
    errors: list[RowError] = []
    rows: dict[str, tuple[int, Metric]] = {}
    # row numbers as a spreadsheet shows them: the header is row 1, blank rows count
    for number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = {
            c: record[position[c]].strip() if position[c] < len(record) else "" for c in COLUMNS
        }
        reasons = []
        target, why = targets.resolve(cells["target"]) if cells["target"] else (None, "no target")
        if target is None:
            reasons.append(why)
        name = cells["metric"]
        if not name:
            reasons.append("no metric name")
        elif len(name) > MAX_NAME:
            reasons.append(f"the metric name is longer than {MAX_NAME} characters")
        value = _parse_value(cells["value"])
        if value is None:
            shown = cells["value"]
            reasons.append(f"value {shown!r} is not a number" if shown else "no value")
        date = _parse_date(cells["date"])
        if date is None:
            shown = cells["date"]
            reasons.append(f"date {shown!r} is not a date like 2026-01-31" if shown else "no date")
        if reasons:
            errors.append(RowError(number, "; ".join(reasons)))
            continue
        assert target is not None and value is not None and date is not None
        mid = metric_id(target, name, date)
        if mid in rows and rows[mid][1].value != value:
            earlier, other = rows[mid]
            errors.append(
                RowError(
                    number,
                    f"gives {name} of the same target and date as row {earlier} "
                    f"another value ({value:g} here, {other.value:g} there)",
                )
            )
            continue
        rows.setdefault(
            mid, (number, Metric(id=mid, target=target, metric=name, value=value, date=date))
        )
    if errors:
        raise MetricsCsvError(source, errors)
    if not rows:
        raise MetricsCsvError(source, [], "has no rows of metrics under the header")
    return [m for _number, m in rows.values()]


def metric_edits(doc: Document, metrics: Iterable[Metric]) -> list[Edit]:
    """Edits that store measurements; one already stored with the same value gives none."""
    edits: list[Edit] = []
    for m in metrics:
        stored = doc.get("metric", m.id)
        for fname in ("target", "metric", "value", "date", "deleted"):
            value = getattr(m, fname)
            if stored is None or getattr(stored, fname) != value:
                edits.append(("metric", m.id, fname, value))
    return edits


@dataclass(frozen=True)
class ImportResult:
    """What a metrics import did."""

    rows: int  # distinct measurements in the file
    changed: int  # measurements new or different from the stored ones


def import_metrics(doc: Document, path: Path) -> ImportResult:
    """Import a metrics CSV file as one Change (nothing if any row is bad)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise MetricsCsvError(path.name, [], "is not UTF-8 text; save it as CSV UTF-8") from None
    metrics = parse_metrics_csv(doc, text, source=path.name)
    edits = metric_edits(doc, metrics)
    if edits:
        doc.commit(edits)
    return ImportResult(rows=len(metrics), changed=len({eid for _t, eid, _f, _v in edits}))
