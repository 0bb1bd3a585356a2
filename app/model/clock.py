"""Hybrid logical clock: stamps that order every write on every replica the same way.

A stamp is a string ``WWWWWWWWWWWWCCCC@replica``: 48-bit wall milliseconds and a 16-bit
counter in fixed-width hex, then the replica id as tie-break. Comparing two stamps as
strings compares (wall, counter, replica), so stamps sort and compare with ``<``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

#: a received stamp further ahead of our clock than this is clamped (milliseconds)
MAX_DRIFT_MS = 5_000
_WALL_MAX = (1 << 48) - 1
_COUNTER_MAX = (1 << 16) - 1


def make_stamp(wall: int, counter: int, replica: str) -> str:
    return f"{wall:012x}{counter:04x}@{replica}"


def parse_stamp(stamp: str) -> tuple[int, int, str]:
    """Split a stamp into (wall ms, counter, replica); raise ValueError if malformed."""
    if len(stamp) < 18 or stamp[16] != "@":
        raise ValueError(f"not a clock stamp: {stamp!r}")
    return int(stamp[:12], 16), int(stamp[12:16], 16), stamp[17:]


def stamp_wall(stamp: str) -> int:
    return int(stamp[:12], 16)


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class HybridClock:
    """A replica's clock; ``now()`` issues strictly increasing stamps."""

    replica: str
    physical: Callable[[], int] = wall_ms
    wall: int = 0
    counter: int = 0
    #: the last clamped (wall, counter) issued per replica
    _clamped: dict[str, tuple[int, int]] = field(default_factory=dict)

    def now(self) -> str:
        phys = self.physical()
        if phys > self.wall:
            self.wall, self.counter = phys, 0
        else:
            self.counter += 1
            if self.counter > _COUNTER_MAX:  # a burst beyond 65k writes in one ms
                self.wall, self.counter = self.wall + 1, 0
        return make_stamp(min(self.wall, _WALL_MAX), self.counter, self.replica)

    def clamp(self, stamp: str) -> str:
        """Return ``stamp``, or a stamp no further ahead of our clock than MAX_DRIFT_MS.

        Clamped stamps of one replica keep their arrival order (which is the author's
        order: outboxes and logs deliver a replica's changes in sequence).
        """
        wall, counter, replica = parse_stamp(stamp)
        # against the physical clock only: measuring from our HLC, which observing clamped
        # stamps moves forward, would let a stream of fast stamps creep further ahead
        limit = self.physical() + MAX_DRIFT_MS
        if wall <= limit:
            return stamp
        log.warning(
            "a change from replica %s is stamped %.1f s ahead of this clock; clamped",
            replica,
            (wall - limit + MAX_DRIFT_MS) / 1000,
        )
        last = self._clamped.get(replica)
        clamped = (limit, counter)
        if last is not None and clamped <= last:
            clamped = (last[0], last[1] + 1) if last[1] < _COUNTER_MAX else (last[0] + 1, 0)
        self._clamped[replica] = clamped
        return make_stamp(clamped[0], clamped[1], replica)

    def observe(self, stamp: str) -> None:
        """Advance past a received (already clamped) stamp so later local writes win."""
        wall, counter, _ = parse_stamp(stamp)
        if wall > self.wall or (wall == self.wall and counter > self.counter):
            self.wall, self.counter = wall, counter
