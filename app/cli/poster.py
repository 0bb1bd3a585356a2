"""`cld export FILE -o OUT.pdf|OUT.bpmn` and `cld import FILE IN.bpmn`: posters and BPMN.

Adds the ``.pdf`` and ``.bpmn`` exporters, the ``.bpmn`` importer and the poster options of
``cld export``; the work itself is in app.export.poster and app.export.bpmn.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli import EXPORT_OPTIONS, EXPORTERS, IMPORTERS, UserError
from app.model.document import Document

POSTER_OPTIONS: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "--size",
        {
            "metavar": "SIZE",
            "help": "poster sheet: A0-A4, Letter, Legal, Tabloid, ARCH-C/D/E or WxH like 800x600mm, 24x36in (default A0)",
        },
    ),
    (
        "--orientation",
        {
            "metavar": "O",
            "help": "portrait or landscape (default: whichever fits the board better)",
        },
    ),
    (
        "--tile",
        {
            "metavar": "SIZE",
            "help": "print over sheets of this size instead of one sheet, e.g. A4 or Letter",
        },
    ),
    ("--scale", {"metavar": "PCT", "help": "with --tile: board scale, e.g. 100%% (default 100%%)"}),
    (
        "--overlap",
        {
            "metavar": "LEN",
            "help": "with --tile: overlap of neighbouring sheets, e.g. 10mm (default 10mm)",
        },
    ),
    (
        "--layers",
        {
            "metavar": "LIST",
            "help": "layers to print, e.g. journey,blueprint,process (default all)",
        },
    ),
)


def add_poster_options(parser: argparse.ArgumentParser) -> None:
    """Add the poster options to ``cld export``, sharing any another format already added."""
    taken = {s for action in parser._actions for s in action.option_strings}
    group = parser.add_argument_group("poster (.pdf)")
    for flag, kwargs in POSTER_OPTIONS:
        if flag not in taken:
            group.add_argument(flag, default=None, **kwargs)  # type: ignore[arg-type]
    if "--with-analysis" not in taken:
        group.add_argument(
            "--with-analysis",
            action="store_true",
            help="add pages with the lifecycle analysis findings after the board",
        )


def export_pdf(doc: Document, out: Path, args: argparse.Namespace) -> str:
    from app.export.poster import PosterError, export_poster, request_from_options

    try:
        request = request_from_options(
            size=getattr(args, "size", None),
            orientation=getattr(args, "orientation", None),
            tile=getattr(args, "tile", None),
            scale=getattr(args, "scale", None),
            overlap=getattr(args, "overlap", None),
            layers=getattr(args, "layers", None),
        )
        result = export_poster(
            doc, out, request, with_analysis=bool(getattr(args, "with_analysis", False))
        )
    except PosterError as exc:
        raise UserError(str(exc)) from None
    return result.message()


def export_bpmn(doc: Document, out: Path, args: argparse.Namespace) -> str:
    from app.export.bpmn import BpmnError
    from app.export.bpmn import export_bpmn as write

    try:
        return write(doc, out)
    except BpmnError as exc:
        raise UserError(str(exc)) from None


def import_bpmn(doc: Document, src: Path, args: argparse.Namespace) -> str:
    from app.export.bpmn import BpmnError
    from app.export.bpmn_import import import_bpmn as read

    try:
        return read(doc, src, stage=getattr(args, "stage", None))
    except BpmnError as exc:
        raise UserError(str(exc)) from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the formats; this module has no subcommand of its own."""
    EXPORTERS[".pdf"] = export_pdf
    EXPORTERS[".bpmn"] = export_bpmn
    IMPORTERS[".bpmn"] = import_bpmn
    if add_poster_options not in EXPORT_OPTIONS:
        EXPORT_OPTIONS.append(add_poster_options)
