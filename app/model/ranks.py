"""Fractional index keys: order inside the stage list, the lane list or a cell.

Keys are strings over ``0-9A-Za-z`` compared as strings; a key never ends in ``0``, so
there is always room between two keys. Equal keys (concurrent inserts) are ordered by id.
"""

from __future__ import annotations

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(DIGITS)}
_BASE = len(DIGITS)


def _midpoint(a: str, b: str | None) -> str:
    """A key strictly between a and b (b None means no upper bound); a may be ''."""
    if b is not None:
        # skip the common prefix
        n = 0
        while n < len(b) and (a[n] if n < len(a) else "0") == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    da = _INDEX[a[0]] if a else 0
    db = _INDEX[b[0]] if b is not None else _BASE
    if db - da > 1:
        return DIGITS[(da + db) // 2]
    # adjacent digits
    if b is not None and len(b) > 1:
        return b[0]
    return DIGITS[da] + _midpoint(a[1:], None)


def key_between(a: str | None, b: str | None) -> str:
    """A key that sorts after ``a`` and before ``b``; either may be None."""
    if a is not None and b is not None and not a < b:
        raise ValueError(f"rank {a!r} is not before {b!r}")
    if a is None and b is None:
        return "V"
    if b is None:
        assert a is not None
        # fast append: bump the first digit that is not the last one
        for i, c in enumerate(a):
            if c != DIGITS[-1]:
                return a[:i] + DIGITS[_INDEX[c] + 1] if _INDEX[c] + 1 < _BASE else a + "V"
        return a + "V"
    if a is None:
        a = ""
    return _midpoint(a, b)


def keys_after(a: str | None, count: int) -> list[str]:
    """``count`` increasing keys after ``a``."""
    keys: list[str] = []
    for _ in range(count):
        a = key_between(a, None)
        keys.append(a)
    return keys
