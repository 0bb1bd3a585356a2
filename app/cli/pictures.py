"""`cld export FILE -o OUT.png|OUT.svg`: the board as a picture, rendered offscreen.

Options shared with other formats (added only if nobody added them yet): ``--size WxH``
(pixels; default the board's own size), ``--scale`` (default 1; 2 for a sharp picture)
and ``--layers journey,blueprint,process``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli import EXPORT_OPTIONS, EXPORTERS, UserError
from app.model.document import Document
from app.model.schema import Layer

OPTIONS: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "--size",
        {
            "metavar": "SIZE",
            "help": "png: picture size in pixels, e.g. 1600x1000; "
            "pdf: poster sheet, e.g. A0, Letter or 800x600mm (default A0)",
        },
    ),
    (
        "--scale",
        {
            "metavar": "FACTOR",
            "help": "png: 2 or 200%% for a sharp picture; pdf with --tile: board scale, e.g. 100%%",
        },
    ),
    (
        "--layers",
        {"metavar": "LIST", "help": "layers to show, e.g. journey,blueprint (default all)"},
    ),
)


def add_picture_options(parser: argparse.ArgumentParser) -> None:
    taken = {s for action in parser._actions for s in action.option_strings}
    group = parser.add_argument_group("pictures (.png, .svg)")
    for flag, kwargs in OPTIONS:
        if flag not in taken:
            group.add_argument(flag, default=None, **kwargs)  # type: ignore[arg-type]


def _layers(args: argparse.Namespace) -> list[str] | None:
    text = getattr(args, "layers", None)
    if not text:
        return None
    names = [p.strip().lower() for p in str(text).split(",") if p.strip()]
    known = {layer.value for layer in Layer}
    bad = [n for n in names if n not in known]
    if bad:
        raise UserError(f"unknown layer {bad[0]!r}; use some of: journey, blueprint, process")
    return names


def _size(args: argparse.Namespace) -> tuple[int, int] | None:
    from app.canvas.render import parse_size

    text = getattr(args, "size", None)
    if not text:
        return None
    try:
        return parse_size(str(text))
    except ValueError as exc:
        raise UserError(f"for a picture, {exc}") from None


def _scale(args: argparse.Namespace) -> float:
    text = getattr(args, "scale", None)
    if text in (None, ""):
        return 1.0
    text = str(text).strip()
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise UserError(f"--scale must be a number such as 2, not {text!r}") from None
    if not 0.05 <= value <= 8:
        raise UserError("--scale must be between 0.05 and 8")
    return value


def export_png(doc: Document, out: Path, args: argparse.Namespace) -> str:
    from app.canvas.render import save_png

    size, scale, layers = _size(args), _scale(args), _layers(args)
    try:
        image = save_png(doc, out, size=size, scale=scale, layers=layers)
    except OSError as exc:
        raise UserError(str(exc)) from None
    return f"wrote {out} ({image.width()}x{image.height()} pixels)"


def export_svg(doc: Document, out: Path, args: argparse.Namespace) -> str:
    from app.canvas.render import save_svg

    layers = _layers(args)
    save_svg(doc, out, layers=layers)
    if not out.is_file():
        raise UserError(f"could not write {out}")
    return f"wrote {out}"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    EXPORTERS[".png"] = export_png
    EXPORTERS[".svg"] = export_svg
    EXPORT_OPTIONS.append(add_picture_options)
