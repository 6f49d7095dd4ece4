"""A small discrete-event engine: a virtual clock, a heap of callbacks, a seeded RNG.

It knows nothing of Lambda.  Heap entries are ``(time, seq, callback, arg)``;
the sequence number makes ties run first-in first-out, so a run repeats
exactly.  Callbacks are plain functions taking one argument (no generator
processes): the simulator's hot path is a heap pop and a call.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from heapq import heappop, heappush
from itertools import count
from typing import Any

__all__ = ["Engine"]


class Engine:
    """Virtual time and the schedule of what happens next.

    ``schedule(delay, fn, arg)`` runs ``fn(arg)`` after ``delay`` virtual
    seconds; ``at(time, fn, arg)`` at an absolute time.  ``run(until)`` pops
    and calls entries in time order.
    """

    __slots__ = ("_heap", "_seq", "now", "rng", "steps")

    def __init__(self, seed: int = 0) -> None:
        self.now: float = 0.0
        self.rng = random.Random(seed)
        self.steps = 0
        self._heap: list[tuple[float, int, Callable[[Any], Any], Any]] = []
        self._seq = count()

    def schedule(self, delay: float, fn: Callable[[Any], Any], arg: Any = None) -> None:
        """Call ``fn(arg)`` ``delay`` seconds from now (``delay`` >= 0)."""
        heappush(self._heap, (self.now + delay, next(self._seq), fn, arg))

    def at(self, time: float, fn: Callable[[Any], Any], arg: Any = None) -> None:
        """Call ``fn(arg)`` at virtual ``time`` (never before now)."""
        heappush(self._heap, (max(time, self.now), next(self._seq), fn, arg))

    def peek(self) -> float:
        """Time of the next entry, or infinity when nothing is scheduled."""
        return self._heap[0][0] if self._heap else float("inf")

    def step(self) -> None:
        """Run the next entry."""
        self.now, _, fn, arg = heappop(self._heap)
        self.steps += 1
        fn(arg)

    def run(self, until: float | None = None) -> None:
        """Run entries until none is left or the next is later than ``until``.

        With ``until`` given the clock ends at ``until`` even if the world went
        quiet earlier, as a wall clock would.
        """
        heap = self._heap
        limit = float("inf") if until is None else until
        steps = 0
        try:
            while heap and heap[0][0] <= limit:
                self.now, _, fn, arg = heappop(heap)
                steps += 1
                fn(arg)
        finally:
            self.steps += steps
        if until is not None and until > self.now:
            self.now = until

    def run_while(self, pending: Callable[[], bool]) -> None:
        """Run entries while ``pending()`` is true and anything is scheduled."""
        heap = self._heap
        while heap and pending():
            self.now, _, fn, arg = heappop(heap)
            self.steps += 1
            fn(arg)

    def __len__(self) -> int:
        return len(self._heap)
