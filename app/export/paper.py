"""Paper sizes and lengths as people type them: "A0", "ARCH D", "800x600mm", "10mm", "100%".

Everything is converted to PostScript points (1/72 inch), the unit of reportlab and PDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MM = 72.0 / 25.4
INCH = 72.0
UNITS = {"mm": MM, "cm": 10 * MM, "in": INCH, '"': INCH, "pt": 1.0}

#: named sheets, portrait (width, height) in points
SIZES: dict[str, tuple[float, float]] = {
    "A0": (841 * MM, 1189 * MM),
    "A1": (594 * MM, 841 * MM),
    "A2": (420 * MM, 594 * MM),
    "A3": (297 * MM, 420 * MM),
    "A4": (210 * MM, 297 * MM),
    "Letter": (8.5 * INCH, 11 * INCH),
    "Legal": (8.5 * INCH, 14 * INCH),
    "Tabloid": (11 * INCH, 17 * INCH),
    "ARCH C": (18 * INCH, 24 * INCH),
    "ARCH D": (24 * INCH, 36 * INCH),
    "ARCH E": (36 * INCH, 48 * INCH),
}
_BY_KEY = {re.sub(r"[^a-z0-9]", "", name.lower()): name for name in SIZES}

#: custom sheets: each side within these bounds (PDF viewers refuse pages over 200 inches)
MIN_SIDE = 50 * MM
MAX_SIDE = 200 * INCH

_CUSTOM = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*[x×*]\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|\"|pt)\s*$", re.IGNORECASE
)
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|\"|pt)?\s*$", re.IGNORECASE)


class PaperError(ValueError):
    """A size, length or scale that cannot be understood; the message says what is accepted."""


@dataclass(frozen=True)
class Paper:
    """A sheet: its name and portrait width and height in points."""

    name: str
    width: float
    height: float

    @property
    def natural_orientation(self) -> str | None:
        """A custom size keeps the shape it was typed in; named sizes have none."""
        if self.name in SIZES or self.width == self.height:
            return None
        return "landscape" if self.width > self.height else "portrait"

    def oriented(self, orientation: str) -> tuple[float, float]:
        """(width, height) of the sheet turned to ``portrait`` or ``landscape``."""
        short, long = sorted((self.width, self.height))
        return (long, short) if orientation == "landscape" else (short, long)

    def describe(self, orientation: str) -> str:
        w, h = self.oriented(orientation)
        return f"{self.name} {orientation} ({w / MM:.0f} × {h / MM:.0f} mm)"


def parse_paper(text: str) -> Paper:
    """A named size (A0-A4, Letter, Legal, Tabloid, ARCH C/D/E) or a custom "WxH<unit>"."""
    raw = text.strip()
    name = _BY_KEY.get(re.sub(r"[^a-z0-9]", "", raw.lower()))
    if name is not None:
        return Paper(name, *SIZES[name])
    match = _CUSTOM.match(raw)
    if match is None:
        names = ", ".join(SIZES)
        raise PaperError(
            f"unknown paper size {text!r}: use one of {names}, or width x height with a unit "
            "such as 800x600mm or 24x36in"
        )
    unit = UNITS[match.group(3).lower()]
    w, h = float(match.group(1)) * unit, float(match.group(2)) * unit
    for side in (w, h):
        if not MIN_SIDE <= side <= MAX_SIDE:
            raise PaperError(
                f"paper size {text!r} is out of range: each side must be between "
                f"{MIN_SIDE / MM:.0f} mm and {MAX_SIDE / MM:.0f} mm"
            )
    return Paper(raw.replace(" ", ""), w, h)


def parse_length(text: str, *, default_unit: str = "mm") -> float:
    """A length such as "10mm", "1cm", "0.5in" or "10" (in ``default_unit``), in points."""
    match = _LENGTH.match(text)
    if match is None:
        raise PaperError(f"cannot read the length {text!r}: write it like 10mm, 1cm or 0.5in")
    return float(match.group(1)) * UNITS[(match.group(2) or default_unit).lower()]


def parse_scale(text: str) -> float:
    """A scale such as "100%", "50 %", "75" (percent) or "0.5", "2" (a factor, as the picture
    export reads it: a bare number up to 4), as a factor (1.0 = 100 %)."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw.rstrip("%").strip())
    except ValueError:
        raise PaperError(
            f"cannot read the scale {text!r}: write it as a percentage like 100%"
        ) from None
    if not percent and value <= 4:
        value *= 100
    if not 5 <= value <= 400:
        raise PaperError(f"scale {text!r} is out of range: choose between 5% and 400%")
    return value / 100.0


def parse_orientation(text: str) -> str:
    value = text.strip().lower()
    if value not in ("portrait", "landscape"):
        raise PaperError(f"unknown orientation {text!r}: use portrait or landscape")
    return value
