"""The PyInstaller one-folder build starts and draws the sample board (slow: about a minute)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_built_app_takes_a_screenshot_of_the_sample_board(tmp_path: Path) -> None:
    """`pyinstaller cld-desktop.spec`, then the built app's --screenshot writes a picture."""
    pytest.importorskip("PyInstaller", reason="install the 'package' extra to build the app")
    from app.model.templates import create_from_template

    dist, work = tmp_path / "dist", tmp_path / "build"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(ROOT / "cld-desktop.spec"),
        ],
        check=True,
        cwd=ROOT,
        timeout=900,
    )
    exe = dist / "cld-desktop" / ("cld-desktop.exe" if os.name == "nt" else "cld-desktop")
    assert exe.is_file()
    sample = tmp_path / "sample.cld"
    create_from_template(sample, "b2b-saas").close()
    shot = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [str(exe), "--screenshot", str(shot), "--size", "1200x800", str(sample)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1200, 800)
