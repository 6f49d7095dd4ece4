"""The metrics scene: series over virtual time, with d3-style axes, and key numbers.

Built-in series, derived from the trace:

* ``concurrency``: attempts running at once (environments busy);
* ``async_queue``: events waiting in Lambda's internal queue;
* ``queue_visible`` / ``queue_in_flight``: an SQS mapping's queue depth, as
  its pollers saw it when they cut each batch;
* ``iterator_age``: a stream mapping's ``IteratorAge`` per batch (seconds);
* ``offset_lag``: a Kafka mapping's ``OffsetLag`` per batch.

Any other series is passed in as ``{name: [(t, value), ...]}`` (a bank
balance, say).  A series of more than :data:`MAX_POINTS` points is thinned
to the last value and the extremes of each of :data:`BUCKETS` time buckets,
and the scene's ``note`` says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import Any

from .timescale import nice_ticks, time_axis

__all__ = ["BUILT_IN", "MAX_POINTS", "metrics_scene", "series_from_trace"]

MAX_POINTS = 2000
BUCKETS = 600
WIDTH = 760
HEIGHT = 210
LEFT, RIGHT, TOP, BOTTOM = 64.0, 140.0, 10.0, 34.0

#: The series a trace gives, and what each counts.
BUILT_IN = {
    "concurrency": "attempts running at once",
    "async_queue": "events in Lambda's internal queue",
    "queue_visible": "messages visible in the source queue",
    "queue_in_flight": "messages in flight (received, not deleted)",
    "iterator_age": "IteratorAge of each batch (s)",
    "offset_lag": "OffsetLag of each batch",
}


def series_from_trace(records: list[dict[str, Any]], name: str) -> list[tuple[float, float]]:
    """The points of built-in series ``name`` (see :data:`BUILT_IN`)."""
    if name not in BUILT_IN:
        raise ValueError(f"series must be one of {', '.join(BUILT_IN)}, got {name!r}")
    if name in ("concurrency", "async_queue"):
        up, down = (
            ("attempt_started", "attempt_ended")
            if name == "concurrency"
            else ("queued", "dequeued")
        )
        level, points = 0, [(0.0, 0.0)]
        for record in records:
            if record["kind"] == up:
                level += 1
            elif record["kind"] == down:
                level -= 1
            else:
                continue
            if points and points[-1][0] == record["t"]:
                points[-1] = (record["t"], float(level))
            else:
                points.append((record["t"], float(level)))
        return points
    field = name
    return [
        (record["t"], float(record[field]))
        for record in records
        if record["kind"] == "batch" and field in record
    ]


def _thin(points: list[tuple[float, float]], t0: float, t1: float) -> list[tuple[float, float]]:
    if len(points) <= MAX_POINTS:
        return points
    width = ((t1 - t0) or 1.0) / BUCKETS
    out: list[tuple[float, float]] = []
    bucket: list[tuple[float, float]] = []
    current = None
    for point in points:
        index = int((point[0] - t0) / width)
        if index != current and bucket:
            out.extend(_keep(bucket))
            bucket = []
        current = index
        bucket.append(point)
    out.extend(_keep(bucket))
    return out


def _keep(bucket: list[tuple[float, float]]) -> list[tuple[float, float]]:
    low = min(bucket, key=lambda p: p[1])
    high = max(bucket, key=lambda p: p[1])
    kept = sorted({bucket[0], low, high, bucket[-1]})
    return kept


def metrics_scene(
    records: list[dict[str, Any]],
    series: Iterable[str] = ("concurrency",),
    extra: Mapping[str, list[tuple[float, float]]] | None = None,
    title: str | None = None,
    end: float | None = None,
) -> dict[str, Any]:
    """The scene of the named built-in ``series`` plus ``extra`` ones (see the module docstring)."""
    named: dict[str, list[tuple[float, float]]] = {}
    for name in series:
        named[name] = series_from_trace(records, name)
    for name, points in (extra or {}).items():
        named[name] = [(float(t), float(v)) for t, v in points]
    if len(named) > 6:
        raise ValueError(f"a chart shows at most 6 series, got {len(named)}")
    all_points = [p for points in named.values() for p in points]
    t0 = min((p[0] for p in all_points), default=0.0)
    t1 = max([p[0] for p in all_points] + [end or 0.0]) if all_points else 1.0
    if t1 <= t0:
        t1 = t0 + 1.0
    v_low = min([0.0] + [p[1] for p in all_points])
    v_high = max([1.0] + [p[1] for p in all_points])
    x0, x1 = LEFT, WIDTH - RIGHT
    y0, y1 = HEIGHT - BOTTOM, TOP

    def x(t: float) -> float:
        return round(x0 + (t - t0) / (t1 - t0) * (x1 - x0), 2)

    def y(v: float) -> float:
        return round(y0 + (v - v_low) / (v_high - v_low) * (y1 - y0), 2)

    marks: list[dict[str, Any]] = []
    v_ticks = nice_ticks(v_low, v_high, 4)
    for tick in v_ticks:
        marks.append({"type": "line", "cls": "grid", "x1": x0, "y1": y(tick), "x2": x1,
                      "y2": y(tick), "arrow": False})  # fmt: skip
    thinned = False
    summary: list[list[Any]] = []
    for i, (name, points) in enumerate(named.items()):
        kept = _thin(points, t0, t1)
        thinned = thinned or len(kept) < len(points)
        if kept:
            # A step line: each value holds until the next point.
            d = f"M{x(kept[0][0])},{y(kept[0][1])}"
            for (_, v_prev), (t, v) in pairwise(kept):
                d += f"H{x(t)}V{y(v)}" if v != v_prev else f"H{x(t)}"
            if end is not None and end > kept[-1][0]:
                d += f"H{x(end)}"
            marks.append({"type": "path", "cls": f"series-{i}", "d": d, "label": name})
        legend_y = TOP + 8 + i * 18
        marks.append({"type": "line", "cls": f"series-{i}", "x1": x1 + 12, "y1": legend_y,
                      "x2": x1 + 30, "y2": legend_y, "arrow": False})  # fmt: skip
        marks.append({"type": "text", "cls": "text", "x": x1 + 34, "y": legend_y + 4,
                      "text": name, "anchor": "start"})  # fmt: skip
        values = [v for _, v in points]
        summary.append([f"{name} max", max(values) if values else 0])
        summary.append([f"{name} last", values[-1] if values else 0])
    marks.append(time_axis(t0, t1, x0, x1, y0))
    marks.append(
        {"type": "axis", "cls": "axis", "orient": "left", "x": x0, "y": 0,
         "domain": [v_low, v_high], "range": [y0, y1], "ticks": v_ticks,
         "labels": [f"{t:g}" for t in v_ticks]}
    )  # fmt: skip
    return {
        "view": "metrics",
        "width": WIDTH,
        "height": HEIGHT,
        "title": title or "Metrics over time",
        "note": (
            f"series over {MAX_POINTS:,} points thinned to the extremes of {BUCKETS} buckets"
            if thinned
            else ""
        ),
        "marks": marks,
        "records": [],
        "summary": summary,
    }
