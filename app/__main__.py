"""`cld-desktop [FILE]` and `python -m app`: start the desktop app, or take a screenshot.

`cld-desktop --screenshot OUT.png [--size WxH] FILE` renders the board offscreen and exits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cld-desktop", description="CLD Desktop: customer lifecycle design on one board"
    )
    parser.add_argument(
        "file", nargs="?", help="a design file (*.cld); none opens the sample board"
    )
    parser.add_argument(
        "--screenshot", metavar="OUT.png", help="render the board to a picture and exit"
    )
    parser.add_argument(
        "--size", metavar="WxH", help="picture size for --screenshot (default: the board's size)"
    )
    parser.add_argument(
        "--window",
        action="store_true",
        help="with --screenshot: picture of the whole window instead of the board",
    )
    return parser


def screenshot(args: argparse.Namespace) -> int:
    from app.canvas.render import ensure_app, parse_size, save_png
    from app.model.document import Document
    from app.model.store import DesignFileError

    if not args.file:
        print("cld-desktop: --screenshot needs a design FILE", file=sys.stderr)
        return 2
    try:
        size = parse_size(args.size) if args.size else None
    except ValueError as exc:
        print(f"cld-desktop: {exc}", file=sys.stderr)
        return 2
    path = Path(args.file)
    if not path.is_file():
        print(f"cld-desktop: {path}: no such file", file=sys.stderr)
        return 2
    try:
        doc = Document.open(path)
    except DesignFileError as exc:
        print(f"cld-desktop: {exc}", file=sys.stderr)
        return 2
    try:
        if args.window:
            from PySide6.QtWidgets import QApplication

            from app.canvas.window import MainWindow, make_app

            ensure_app()
            make_app()
            window = MainWindow(doc=doc, remember=False)
            w, h = size or (1440, 900)
            window.resize(w, h)
            window.show()
            QApplication.processEvents()
            if window.view is not None:
                window.view.show_start()
            if window.minimap is not None:
                window.minimap.rerender()
            window.grab().save(str(args.screenshot))
            window.close_document()
            window.close()
            print(f"wrote {args.screenshot}")
            return 0
        image = save_png(doc, Path(args.screenshot), size=size)
        print(f"wrote {args.screenshot} ({image.width()}x{image.height()})")
    finally:
        doc.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.screenshot:
        return screenshot(args)
    from app.canvas.window import run

    return run(args.file)


if __name__ == "__main__":
    sys.exit(main())
