"""A priority queue for entries that mostly arrive in order: a sorted run and a heap.

A queue's messages become visible in the order they were sent, and hide for
the queue's one visibility timeout, so nearly every entry a queue pushes is
larger than the one pushed before it.  Such entries go on the end of a
deque (no comparisons down a heap of a million); the few that arrive out of
order (a message that reappears, a receive with its own visibility
timeout) go in a small heap.  The smallest entry is the smaller of the two
heads.

Entries are tuples whose leading fields are unique within the queue (an
order number, or a time and a sequence number), so comparing two entries
never reaches a field that cannot be compared.
"""

from __future__ import annotations

from collections import deque
from heapq import heappop, heappush
from typing import Any

__all__ = ["RunHeap"]


class RunHeap:
    """The smallest-first queue of tuples described in the module docstring."""

    __slots__ = ("_heap", "_run")

    def __init__(self) -> None:
        self._run: deque[tuple[Any, ...]] = deque()
        self._heap: list[tuple[Any, ...]] = []

    def push(self, entry: tuple[Any, ...]) -> None:
        """Add ``entry``."""
        run = self._run
        if not run or run[-1] < entry:
            run.append(entry)
        else:
            heappush(self._heap, entry)

    # The heap only ever holds entries smaller than the run's last (that is why
    # they went there), and the smallest leave first: so the run empties last,
    # and an empty run means an empty queue.
    def first(self) -> tuple[Any, ...] | None:
        """The smallest entry, left in place; None when empty.

        One call where testing for emptiness and then looking would be two:
        the queue's loops ask this once per message.
        """
        run = self._run
        if not run:
            return None
        heap = self._heap
        return heap[0] if heap and heap[0] < run[0] else run[0]

    def pop_due(self, limit: Any) -> tuple[Any, ...] | None:
        """Remove and return the smallest entry if its first field is at most
        ``limit`` (a time), else None and nothing changes."""
        run = self._run
        if not run:
            return None
        heap = self._heap
        if heap and heap[0] < run[0]:
            return heappop(heap) if heap[0][0] <= limit else None
        return run.popleft() if run[0][0] <= limit else None

    def pop(self) -> tuple[Any, ...]:
        """Remove and return the smallest entry; IndexError when empty."""
        heap = self._heap
        if heap and heap[0] < self._run[0]:
            return heappop(heap)
        return self._run.popleft()

    def clear(self) -> None:
        """Remove every entry."""
        self._run.clear()
        self._heap.clear()

    def __len__(self) -> int:
        return len(self._run) + len(self._heap)

    def __bool__(self) -> bool:
        return bool(self._run)
