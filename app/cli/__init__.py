"""`cld`: the command line of CLD Desktop.

The core commands live here; other areas add theirs from a module of this package with a
``register(subparsers)`` function, and add file formats to ``EXPORTERS`` / ``IMPORTERS``
keyed by file suffix. A user error prints one plain line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.model.document import ChangeRejected, Document
from app.model.schema import InvalidValue
from app.model.store import DesignFileError
from app.model.text import plural

#: modules that add subcommands (each has ``register(subparsers)``); missing ones are skipped
EXTENSIONS = ("app.cli.sync", "app.cli.analyze", "app.cli.pictures", "app.cli.poster")

#: ``cld export FILE -o OUT.<suffix>``: suffix -> function(doc, out_path, args) -> message
EXPORTERS: dict[str, Callable[[Document, Path, argparse.Namespace], str | None]] = {}
#: ``cld import FILE SOURCE.<suffix>``: suffix -> function(doc, source_path, args) -> message
IMPORTERS: dict[str, Callable[[Document, Path, argparse.Namespace], str | None]] = {}
#: functions that add options to the ``export`` subcommand
EXPORT_OPTIONS: list[Callable[[argparse.ArgumentParser], None]] = []


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit status 2."""


def open_document(path: str | Path) -> Document:
    return Document.open(Path(path))


# -- core commands -------------------------------------------------------------------


def cmd_new(args: argparse.Namespace) -> int:
    from app.model.templates import TEMPLATES, create_from_template

    if args.template not in TEMPLATES:
        raise UserError(
            f"unknown template {args.template!r}; choose one of: {', '.join(sorted(TEMPLATES))}"
        )
    path = Path(args.file)
    doc = create_from_template(path, args.template, name=args.name)
    summary = doc.summary()
    doc.close()
    print(f"created {path} from template {args.template!r}: {_summary_line(summary)}")
    return 0


def _summary_line(s: dict[str, Any]) -> str:
    cards = sum(s["cards"].values())
    lanes = sum(s["lanes"].values())
    return f"{s['stages']} stages, {lanes} lanes, {cards} cards, {s['links']} links"


def cmd_info(args: argparse.Namespace) -> int:
    with open_document(args.file) as doc:
        s = doc.summary()
    if args.json:
        print(json.dumps(s, indent=2))
        return 0
    print(f"{s['name']}  ({s['file']})")
    print(f"  stages: {s['stages']}")
    print("  lanes:  " + ", ".join(f"{k} {v}" for k, v in s["lanes"].items()))
    print("  cards:  " + ", ".join(f"{k} {v}" for k, v in s["cards"].items()))
    print(f"  links:  {s['links']}")
    print(f"  votes:  {s['votes']}")
    unsent = f", {s['unsent']} not yet sent to a workshop room" if s["unsent"] else ""
    print(f"  changes: {s['changes']}{unsent}")
    if s["conflicts"]:
        print(f"  conflicts kept: {s['conflicts']} (values that lost a concurrent edit)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    source = Path(args.source)
    suffix = source.suffix.lower()
    importer = IMPORTERS.get(suffix)
    if importer is None:
        raise UserError(f"cannot import {source.name}: use one of {', '.join(sorted(IMPORTERS))}")
    if not source.is_file():
        raise UserError(f"{source}: no such file")
    with open_document(args.file) as doc:
        message = importer(doc, source, args)
    if message:
        print(message)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.output)
    exporter = EXPORTERS.get(out.suffix.lower())
    if exporter is None:
        raise UserError(f"cannot export to {out.name}: use one of {', '.join(sorted(EXPORTERS))}")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"cannot write {out}: the folder {folder} does not exist; create it first")
    with open_document(args.file) as doc:
        try:
            message = exporter(doc, out, args)
        except OSError as exc:
            raise UserError(
                f"cannot write {out}: {exc.strerror or exc}; choose another place or name"
            ) from None
    print(message or f"wrote {out}")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from app.model.merge import merge_files

    result = merge_files(Path(args.file), Path(args.other))
    print(
        f"merged {args.other} into {args.file}: {plural(result.new_changes, 'new change')} "
        f"(of {result.offered}), {plural(result.conflicts, 'conflict')} kept"
    )
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from app.export.interchange import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


def _register_core_formats() -> None:
    from app.export import interchange

    EXPORTERS.setdefault(".json", interchange.cli_export_json)
    EXPORTERS.setdefault(".csv", interchange.cli_export_csv)
    IMPORTERS.setdefault(".json", interchange.cli_import_json)
    IMPORTERS.setdefault(".csv", interchange.cli_import_csv)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cld", description="CLD Desktop: customer lifecycle designs from the command line"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("new", help="create a design file from a template")
    p.add_argument("file")
    p.add_argument("--template", default="b2b-saas", help="b2b-saas, onboarding or empty")
    p.add_argument("--name", default=None, help="the design's name")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("info", help="summarise a design")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("import", help="bring JSON, CSV cards (or other formats) into a design")
    p.add_argument("file")
    p.add_argument("source")
    p.add_argument(
        "--stage",
        metavar="NAME",
        help="BPMN from another tool: put every task in this stage instead of spreading "
        "them over the stages left to right",
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="write the design as JSON, CSV (or other formats)")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_export)
    export_parser = p

    p = sub.add_parser("merge", help="merge another copy's changes into FILE")
    p.add_argument("file")
    p.add_argument("other")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("schema", help="print the JSON Schema of the interchange format")
    p.set_defaults(func=cmd_schema)

    _register_core_formats()
    for name in EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    for add in EXPORT_OPTIONS:
        add(export_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except (UserError, DesignFileError, InvalidValue, ChangeRejected) as exc:
        print(f"cld: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
