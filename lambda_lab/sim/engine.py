"""A small discrete-event engine: a virtual clock, a heap of callbacks, a seeded RNG.

It knows nothing of Lambda.  Heap entries are ``(time, seq, callback, arg)``;
the sequence number makes ties run first-in first-out, so a run repeats
exactly.  Callbacks are plain functions taking one argument (no generator
processes): the simulator's hot path is a heap pop and a call.

``soon(fn, arg)`` is the one exception to plain time order: it runs ``fn``
at the current instant, after the callback now running and before anything
else due at this instant (like SimPy's urgent events).  It skips the heap, and
"right after this" is what a zero-delay hand-over means.

``after(delay, fn, arg)`` is ``schedule`` for a delay that many entries share
(an asynchronous retry's 60 s).  Entries made with one delay come due in the
order they were made, so they wait in a first-in first-out lane of their own
and only each lane's next entry is on the heap: thousands of waiting retries
then cost the heap nothing, where every push and pop among them compared its
way through a dozen levels.  The order is the one ``schedule`` gives.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from itertools import count
from typing import Any

__all__ = ["Engine"]


class Engine:
    """Virtual time and the schedule of what happens next.

    ``schedule(delay, fn, arg)`` runs ``fn(arg)`` after ``delay`` virtual
    seconds (``after`` too, for a delay many entries share); ``at(time, fn,
    arg)`` at an absolute time; ``soon(fn, arg)`` at this instant, next.
    ``run(until)`` calls them in order.
    """

    __slots__ = ("_heap", "_lanes", "_next_in_lane", "_ready", "_seq", "now", "rng", "steps")

    def __init__(self, seed: int = 0) -> None:
        self.now: float = 0.0
        self.rng = random.Random(seed)
        self.steps = 0
        self._heap: list[tuple[float, int, Callable[[Any], Any], Any]] = []
        self._ready: deque[tuple[Callable[[Any], Any], Any]] = deque()
        self._seq = count()
        # Delay -> the entries made with it, in the order they come due (see ``after``).
        self._lanes: dict[float, deque[tuple[float, int, Callable[[Any], Any], Any]]] = {}
        self._next_in_lane = self._run_lane_head  # bound once: it goes on the heap often

    def schedule(self, delay: float, fn: Callable[[Any], Any], arg: Any = None) -> None:
        """Call ``fn(arg)`` ``delay`` seconds from now (``delay`` >= 0)."""
        heappush(self._heap, (self.now + delay, next(self._seq), fn, arg))

    def after(self, delay: float, fn: Callable[[Any], Any], arg: Any = None) -> None:
        """As ``schedule``, for a delay from a small set that many entries share.

        The entry waits in the lane of its delay; the heap holds each lane's
        first entry only, under that entry's own time and sequence number, so
        entries run exactly when and in the order ``schedule`` would run them.
        """
        entry = (self.now + delay, next(self._seq), fn, arg)
        lane = self._lanes.get(delay)
        if lane is None:
            lane = self._lanes[delay] = deque()
        if not lane:
            heappush(self._heap, (entry[0], entry[1], self._next_in_lane, lane))
        lane.append(entry)

    def _run_lane_head(self, lane: deque[tuple[float, int, Callable[[Any], Any], Any]]) -> None:
        # The heap's stand-in for a lane's first entry came due: put the next
        # entry's stand-in on the heap, then run this one.
        _, _, fn, arg = lane.popleft()
        if lane:
            time, seq, _, _ = lane[0]
            heappush(self._heap, (time, seq, self._next_in_lane, lane))
        fn(arg)

    def at(self, time: float, fn: Callable[[Any], Any], arg: Any = None) -> None:
        """Call ``fn(arg)`` at virtual ``time`` (never before now)."""
        heappush(self._heap, (max(time, self.now), next(self._seq), fn, arg))

    def soon(self, fn: Callable[[Any], Any], arg: Any = None) -> None:
        """Call ``fn(arg)`` at this instant, before anything else due now."""
        self._ready.append((fn, arg))

    def peek(self) -> float:
        """Time of the next entry, or infinity when nothing is scheduled."""
        if self._ready:
            return self.now
        return self._heap[0][0] if self._heap else float("inf")

    def step(self) -> None:
        """Run the next entry."""
        if self._ready:
            fn, arg = self._ready.popleft()
        else:
            self.now, _, fn, arg = heappop(self._heap)
        self.steps += 1
        fn(arg)

    def run(self, until: float | None = None) -> None:
        """Run entries until none is left or the next is later than ``until``.

        With ``until`` given the clock ends at ``until`` even if the world went
        quiet earlier, as a wall clock would.
        """
        heap = self._heap
        ready = self._ready
        popleft = ready.popleft
        limit = float("inf") if until is None else until
        steps = 0
        try:
            while True:
                if ready:
                    fn, arg = popleft()
                elif heap and heap[0][0] <= limit:
                    self.now, _, fn, arg = heappop(heap)
                else:
                    break
                steps += 1
                fn(arg)
        finally:
            self.steps += steps
        if until is not None and until > self.now:
            self.now = until

    def run_while(self, pending: Callable[[], bool]) -> None:
        """Run entries while ``pending()`` is true and anything is scheduled."""
        heap = self._heap
        ready = self._ready
        while (ready or heap) and pending():
            if ready:
                fn, arg = ready.popleft()
            else:
                self.now, _, fn, arg = heappop(heap)
            self.steps += 1
            fn(arg)

    def __len__(self) -> int:
        # A lane's first entry is on the heap (as its stand-in); the others are not.
        waiting = sum(len(lane) - 1 for lane in self._lanes.values() if lane)
        return len(self._heap) + len(self._ready) + waiting
