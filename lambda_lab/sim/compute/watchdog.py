"""The hang guard's thread: interrupts handlers that run too long in real time.

One daemon thread per process serves every runtime that has a session open.
It wakes every quarter of the shortest guard (at least every 50 ms) and asks
each watched runtime to ``check(now)`` itself with the real time
(``perf_counter``); the runtime decides whether its running handler has
overstayed and interrupts it.  The thread is started by the first ``watch``
(never at import: a lab that runs no handler starts no thread), sleeps while
nothing is watched, and is started again should it have died.
"""

from __future__ import annotations

import math
import threading
from time import perf_counter
from typing import Protocol

__all__ = ["Watchdog", "Watched", "check_interval", "watchdog"]


class Watched(Protocol):
    """What the watchdog needs of a runtime."""

    guard: float

    def check(self, now: float) -> None:
        """Called from the watchdog thread with the real time (``perf_counter``)."""


class Watchdog:
    """One daemon thread that asks watched runtimes to check their handlers."""

    def __init__(self, name: str = "lambda-lab-hang-guard") -> None:
        #: The thread's name (what a debugger or ``threading.enumerate()`` shows).
        self.name = name
        self._watched: set[Watched] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # How long the thread waits between checks: infinite while idle.
        self._period = math.inf

    def watch(self, runtime: Watched) -> None:
        """Check ``runtime`` from now on (starting the thread if needed)."""
        with self._lock:
            self._watched.add(runtime)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
            # Wake the thread only if it would wait too long for this one: idle, or
            # waiting longer than this guard allows.  (A session starts on every
            # run() that runs a handler; waking a busy thread each time cost more
            # than the rest of watching.)
            wake = check_interval(runtime.guard) < self._period
        if wake:
            self._wake.set()

    def unwatch(self, runtime: Watched) -> None:
        """Stop checking ``runtime`` (nothing happens if it was not watched)."""
        with self._lock:
            self._watched.discard(runtime)

    @property
    def thread(self) -> threading.Thread | None:
        """The guard's thread, once started."""
        return self._thread

    def _loop(self) -> None:
        while True:
            with self._lock:
                watched = list(self._watched)
                period = min((check_interval(r.guard) for r in watched), default=math.inf)
                self._period = period
            if self._wake.wait(None if period == math.inf else period):
                self._wake.clear()  # a set event would make every wait return at once
            now = perf_counter()
            for runtime in watched:
                runtime.check(now)


def check_interval(guard: float) -> float:
    """Real seconds between checks of a runtime with this guard: four checks per
    guard, and at least one every 50 ms (so a handler overstays by under a
    quarter of its guard)."""
    return min(0.05, guard / 4)


_WATCHDOG: Watchdog | None = None


def watchdog() -> Watchdog:
    """The process's one watchdog, made when a session first needs it."""
    global _WATCHDOG
    if _WATCHDOG is None:
        _WATCHDOG = Watchdog()
    return _WATCHDOG
