"""The desktop canvas: the only package that knows Qt."""

from __future__ import annotations

import ctypes
import sys


def _guard_none_refcount() -> None:
    """Work around PySide6 6.12.0 on Python < 3.12, which drops one reference to None on
    every call of a method returning void; after some thousand calls None would be freed
    and the process aborts ("none_dealloc"). Python 3.12 made None immortal; here we give
    it a reference count so large it can never reach zero, only when the leak is real."""
    if sys.version_info >= (3, 12):
        return
    from PySide6.QtCore import QRectF

    rect = QRectF()
    before = sys.getrefcount(None)
    for _ in range(16):
        rect.setWidth(1.0)
    if sys.getrefcount(None) < before - 8:
        ctypes.c_ssize_t.from_address(id(None)).value += 1 << 48


_guard_none_refcount()
