"""Identifiers drawn from the world's seeded generator, and readable part names.

Request ids, message ids and receipt handles are version-4 UUIDs drawn from
the engine's generator, so the same seed gives the same ids.  Part names
(``client-1``, ``api-1``, ``traffic-1``) are counted per world, so the same
script names its parts alike on every run.
"""

from __future__ import annotations

import random
from typing import Any

from ..errors import InvalidParameterValueException

__all__ = ["Names", "check_name", "new_uuid"]

_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID string drawn from ``rng`` (seeded, so runs repeat)."""
    h = ((rng.getrandbits(128) & _UUID_CLEAR) | _UUID_SET).to_bytes(16, "big").hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Names:
    """``prefix-1``, ``prefix-2``, ... counted per prefix."""

    __slots__ = ("_counters",)

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}

    def next(self, prefix: str) -> str:
        """The next unused name with this prefix."""
        number = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = number
        return f"{prefix}-{number}"


def check_name(name: Any) -> None:
    """Reject a part name that would not read well in a trace record."""
    if name is not None and (not isinstance(name, str) or not name):
        raise InvalidParameterValueException(f"name must be a non-empty string, got {name!r}")
