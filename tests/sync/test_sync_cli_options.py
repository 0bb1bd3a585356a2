"""`cld serve` options reach the server; a bad value is refused in plain words."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from app.cli import main as cld


def test_a_non_positive_flush_rate_is_refused(tmp_path: Path, capsys) -> None:
    """--flush-rate 0 exits 2 with one line saying what is wanted."""
    assert cld(["serve", "--data", str(tmp_path), "--port", "0", "--flush-rate", "0"]) == 2
    err = capsys.readouterr().err
    assert "--flush-rate must be a positive number" in err and "Traceback" not in err


def test_serve_starts_with_the_limit_options(tmp_path: Path) -> None:
    """cld serve with --flush-rate, --max-changes-per-second and --change-burst starts serving."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "serve",
            "--data",
            str(tmp_path),
            "--port",
            "0",
            "--flush-rate",
            "60",
            "--max-changes-per-second",
            "500",
            "--change-burst",
            "2000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        seen = ""
        assert proc.stdout is not None
        while time.monotonic() < deadline and "serving on ws://" not in seen:
            line = proc.stdout.readline()
            if not line:
                break
            seen += line
        assert "serving on ws://127.0.0.1:" in seen, seen
    finally:
        proc.terminate()
        proc.wait(10)
