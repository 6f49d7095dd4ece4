"""The shared machinery of the benchmarks: interleaved timing, peak memory, tables.

A benchmark is a few *rows* (lambda_lab and its references), each a callable
that runs the workload once and returns a ``Sample``: the wall seconds of the
timed part and the amount of work done (handler calls, requests).  ``measure``
runs every row ``runs`` times, interleaved, so that a slow spell of this shared
machine hits all rows alike; then one more untimed run per row under
tracemalloc gives its peak memory (tracing slows a run, so it is never timed).

Not a script: ``async_invoke.py`` and ``coldstart.py`` import it.
"""

from __future__ import annotations

import gc
import importlib.util
import math
import statistics
import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

#: The plain SimPy model shared by the project's benchmarks, outside this repository.
SHARED_BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
#: A byte-for-byte copy of it, for machines (CI, a student's clone) without the shared
#: folder; ``tests/test_bench.py`` fails if the two ever differ.
REFERENCE_COPY = Path(__file__).resolve().parent / "reference" / "simpy_lean.py"
MIB = 1024 * 1024


@dataclass
class Sample:
    """One run of one row: timed wall seconds, work done, and anything to check."""

    wall: float
    work: int
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Work per wall second."""
        return self.work / self.wall if self.wall > 0 else math.inf


@dataclass
class Result:
    """All timed runs of one row, and its peak memory in bytes (None when skipped)."""

    name: str
    samples: list[Sample]
    peak: int | None = None

    @property
    def best(self) -> float:
        """The highest rate: the run least disturbed by the rest of the machine."""
        return max(s.rate for s in self.samples)

    @property
    def median(self) -> float:
        """The median rate."""
        return statistics.median(s.rate for s in self.samples)

    @property
    def best_wall(self) -> float:
        """The shortest wall time."""
        return min(s.wall for s in self.samples)

    @property
    def median_wall(self) -> float:
        """The median wall time."""
        return statistics.median(s.wall for s in self.samples)


def load_simpy_lean() -> ModuleType:
    """Import ``simpy_lean.py``: the shared file when present, else its checked copy.

    Exits, naming both places, when neither is there.
    """
    path = SHARED_BENCH / "simpy_lean.py"
    if not path.is_file():
        path = REFERENCE_COPY
    if not path.is_file():
        sys.exit(
            f"error: the reference model is missing: neither {SHARED_BENCH / 'simpy_lean.py'} "
            f"nor {REFERENCE_COPY} exists"
        )
    spec = importlib.util.spec_from_file_location("simpy_lean", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(row: Callable[[], Sample]) -> Sample:
    """One timed run, from a collected heap so that no row pays for another's garbage."""
    gc.collect()
    return row()


def peak_memory(row: Callable[[], Sample]) -> int:
    """tracemalloc's peak (bytes) over one untimed run of ``row``."""
    gc.collect()
    tracemalloc.start()
    try:
        row()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(
    rows: dict[str, Callable[[], Sample]], runs: int, memory: bool = True
) -> dict[str, Result]:
    """Run each row ``runs`` times, interleaved, then once more each for peak memory."""
    names = list(rows)
    results = {name: Result(name, []) for name in names}
    for i in range(runs):
        # Rotate the order so that no row always runs first, on the freshest heap.
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].samples.append(timed(rows[name]))
    if memory:
        for name in names:
            results[name].peak = peak_memory(rows[name])
    return results


def print_table(title: str, results: dict[str, Result], unit: str) -> None:
    """Best and median rate, wall time and peak memory of every row."""
    runs = len(next(iter(results.values())).samples)
    print(f"{title} ({runs} interleaved runs per row)")
    width = max(len(name) for name in results)
    print(
        f"  {'row':<{width}}  {unit + '/s best':>16}  {'median':>12}  "
        f"{'wall best':>10}  {'median':>8}  {'peak MiB':>9}"
    )
    for r in results.values():
        peak = f"{r.peak / MIB:9.1f}" if r.peak is not None else f"{'-':>9}"
        print(
            f"  {r.name:<{width}}  {r.best:16,.0f}  {r.median:12,.0f}  "
            f"{r.best_wall:9.3f}s  {r.median_wall:7.3f}s  {peak}"
        )


def counts_agree(a: float, b: float, relative: float, sigma: float) -> tuple[bool, float]:
    """Whether two noisy counts agree: within ``relative`` of the larger, or 4 ``sigma``.

    The relative bound is the stated requirement; the 4-sigma bound (sigma: the
    standard deviation of ``a - b``) only matters for small smoke runs, where
    random noise alone exceeds the relative bound.  Returns (agree, tolerance).
    """
    tolerance = max(relative * max(abs(a), abs(b)), 4 * sigma)
    return abs(a - b) <= tolerance, tolerance
