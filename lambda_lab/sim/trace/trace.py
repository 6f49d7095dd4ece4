"""The trace: an append-only, ordered list of plain records.

The trace is the contract between the simulator, the widgets, the notebooks
and the tests.  Each record is a JSON-serialisable dict with at least ``t``
(virtual seconds) and ``kind``; records appear in time order, and a record
never changes once appended: what becomes known later (a client giving up, a
response after a timeout) is a new record that points to the earlier one by
its ``request_id``.  Every kind, with its fields and meaning, is declared in
:mod:`lambda_lab.sim.trace.kinds`.

Readers that draw incrementally keep a cursor: ``cursor = trace.cursor()``
now, ``trace.since(cursor)`` later returns only what was appended since.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from ..clock import SimClock

__all__ = ["Trace"]


class Trace:
    """The records of one world, in time order; see the module docstring."""

    __slots__ = ("_cleared", "_clock", "_records", "append")

    def __init__(self, clock: SimClock) -> None:
        self._clock = clock
        self._records: list[dict[str, Any]] = []
        self._cleared = 0  # records forgotten by clear(): cursors count them too
        self.append = self._records.append  # the hot path appends without a method call

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every record (the list itself: read it, never modify it)."""
        return self._records

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._records)

    def __getitem__(self, index):
        return self._records[index]

    def cursor(self) -> int:
        """A position after the last record, for :meth:`since`."""
        return self._cleared + len(self._records)

    def since(self, cursor: int) -> list[dict[str, Any]]:
        """The records appended after ``cursor`` (a value :meth:`cursor` returned)."""
        if isinstance(cursor, bool) or not isinstance(cursor, int) or cursor < 0:
            raise ValueError(f"cursor must be a value of trace.cursor(), got {cursor!r}")
        return self._records[max(0, cursor - self._cleared) :]

    def time_of(self, record: dict[str, Any]) -> str:
        """The simulated wall-clock instant of a record, in AWS's ISO-8601 format."""
        return self._clock.iso(record["t"])

    def filter(self, kind: str | Iterable[str] | None = None, **fields: Any) -> list[dict]:
        """Records of the given kind(s) whose fields equal the given values."""
        kinds = {kind} if isinstance(kind, str) else (set(kind) if kind is not None else None)
        out = []
        for record in self._records:
            if kinds is not None and record["kind"] not in kinds:
                continue
            if all(record.get(k) == v for k, v in fields.items()):
                out.append(record)
        return out

    def kinds(self) -> dict[str, int]:
        """How many records of each kind, in order of first appearance."""
        return dict(Counter(r["kind"] for r in self._records))

    def to_json(self, **dumps: Any) -> str:
        """The whole trace as a JSON array, each record with its ``time`` (same seed,
        same bytes)."""
        iso = self._clock.iso
        return json.dumps([{**r, "time": iso(r["t"])} for r in self._records], **dumps)

    def clear(self) -> None:
        """Forget every record (the world itself is unchanged); cursors stay valid."""
        self._cleared += len(self._records)
        self._records.clear()

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.kinds().items())
        return f"<Trace {len(self)} records: {counts}>" if counts else "<Trace empty>"
