"""The simulated clock inside handlers: time-machine's traveller, moved cheaply.

A session starts one traveller (``tick=False``) and moves it to the virtual
instant of each handler call, so ``time.time()``, ``datetime.now()`` and
friends inside a handler read the simulated wall clock.  time-machine's
``move_to()`` parses its argument on every call; with ``tick=False`` a
traveller's instant is one integer (``_destination_timestamp_ns`` in the
time-machine versions this package supports, 2.14 to 3.x), so setting that
integer moves the clock for a fraction of the cost.  When the integer is not
there (another time-machine version), the patch falls back to ``move_to()``:
slower, and the same instants.
"""

from __future__ import annotations

from typing import Any

import time_machine

from ..clock import SimClock

__all__ = ["ClockPatch", "settable"]

_INSTANT = "_destination_timestamp_ns"


def settable(coordinates: Any) -> bool:
    """Whether a started traveller's instant is the one integer we may set: it
    has ``_destination_timestamp_ns`` and does not tick."""
    instant = getattr(coordinates, _INSTANT, None)
    return isinstance(instant, int) and getattr(coordinates, "_tick", True) is False


class ClockPatch:
    """Handler-visible time for one runtime: ``start()``, ``move(t)``, ``stop()``.

    ``direct``: None picks the fast way when the installed time-machine has
    it; False always uses ``move_to()`` (the fallback, kept tested).
    """

    #: The started traveller's coordinates (set by ``start``).
    _coords: Any

    def __init__(self, clock: SimClock, *, direct: bool | None = None) -> None:
        epoch = clock.epoch
        # Exact to the nanosecond, for epochs before 1970 too (no float product).
        self._epoch_ns = int(epoch.replace(microsecond=0).timestamp()) * 10**9 + (
            epoch.microsecond * 1000
        )
        self._epoch_seconds = clock.epoch_seconds
        self._want_direct = direct
        # One traveller for the runtime's life: its instant is set before each call.
        self._traveller = time_machine.travel(clock.epoch_seconds, tick=False)
        #: Whether the running patch sets the instant itself (False before ``start``).
        self.direct = False

    def start(self) -> None:
        """Patch the clocks (at the epoch until the first ``move``)."""
        coords = self._coords = self._traveller.start()
        can = settable(coords)
        self.direct = can if self._want_direct is None else (self._want_direct and can)

    def move(self, t: float) -> None:
        """Show virtual time ``t`` to the handler about to run."""
        if self.direct:
            self._coords._destination_timestamp_ns = self._epoch_ns + round(t * 1e9)
        else:
            self._coords.move_to(self._epoch_seconds + t)

    def stop(self) -> None:
        """Give the real clocks back."""
        self._traveller.stop()
        self.direct = False
