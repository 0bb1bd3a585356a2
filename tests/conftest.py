"""Shared test setup: Qt runs offscreen; designs live in pytest's tmp_path."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
