"""The layers: model, sync and export run without Qt and without the canvas."""

from __future__ import annotations

import json
import subprocess
import sys


def test_model_sync_export_never_load_qt() -> None:
    """Importing every non-canvas module loads neither PySide6 nor app.canvas."""
    code = (
        "import importlib, json, pkgutil, sys\n"
        "import app.model, app.sync, app.export\n"
        "for pkg in (app.model, app.sync, app.export):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "print(json.dumps(sorted(n for n in sys.modules if n.startswith(('PySide6', 'shiboken6', 'app.canvas')))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []
