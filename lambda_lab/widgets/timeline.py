"""The timeline scene: attempts per execution environment over virtual time (Gantt style).

One row per execution environment (grouped by function), plus a row for
throttled requests when there are any.  Each attempt is a bar from its start
to its end, its init phase (a cold start) drawn as a lighter segment first;
its outcome has a colour, a symbol shape at the bar's end and a label.  An
arrow joins a failed attempt to the next attempt of the same request,
labelled with the delay.  Batches of event source mappings carry their size.
Idle stretches are compressed (:class:`~.timescale.TimeScale`).

Past :data:`MAX_ATTEMPTS` attempts the scene is aggregated: rows are capped
and attempts are counted in time bins, one bar per bin, coloured by the
outcome that dominates it; the scene's ``note`` says so.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from .scene import OUTCOMES
from .timescale import GAP_WIDTH, TimeScale, human_time, nice_ticks, time_axis

__all__ = ["MAX_ATTEMPTS", "timeline_scene"]

#: Attempts drawn one by one; beyond this the scene is aggregated into bins.
MAX_ATTEMPTS = 1200
#: Rows kept when aggregating (the rest are merged into one).
MAX_ROWS = 30
BINS = 120
WIDTH = 760
LABEL_WIDTH = 160
ROW = 22
TOP = 6
AXIS = 34
STATUS_CLASS = {"ok": "success", "error": "error", "timeout": "timeout"}


def timeline_scene(records: list[dict[str, Any]], title: str | None = None) -> dict[str, Any]:
    """The scene of ``records`` (already selected): see the module docstring."""
    attempts = _attempts(records)
    throttles = [r for r in records if r["kind"] == "throttle"]
    if len(attempts) > MAX_ATTEMPTS:
        return _aggregated(attempts, throttles, title)
    rows = _rows(attempts, throttles)
    height = TOP + ROW * max(len(rows), 1) + AXIS
    busy = [(a["start"], a["end"]) for a in attempts]
    busy += [(r["t"], r["t"]) for r in throttles]
    scale = TimeScale(busy, LABEL_WIDTH + 8, WIDTH - 12)
    marks: list[dict[str, Any]] = []
    scene_records: list[dict[str, Any]] = []
    row_y = {key: TOP + i * ROW for i, key in enumerate(rows)}
    for key, y in row_y.items():
        marks.append(_text(LABEL_WIDTH, y + ROW / 2 + 4, rows[key], "end", "actor-label"))
        marks.append(
            {"type": "line", "cls": "grid", "x1": LABEL_WIDTH + 4, "y1": y + ROW - 1,
             "x2": WIDTH - 8, "y2": y + ROW - 1, "arrow": False}
        )  # fmt: skip
    marks.extend(_gap_marks(scale, TOP, TOP + ROW * len(rows)))
    ends: dict[str, tuple[float, float]] = {}  # request id -> where its last attempt ended
    counts: Counter[str] = Counter()
    for attempt in attempts:
        y = row_y[(attempt["function"], attempt["env"])]
        x_start, x_end = scale(attempt["start"]), scale(attempt["end"])
        cls = STATUS_CLASS[attempt["status"]]
        counts[cls] += 1
        index = len(scene_records)
        scene_records.append(attempt)
        if attempt["init_duration"] > 0:
            counts["cold starts"] += 1
            x_init = scale(attempt["start"] + attempt["init_duration"])
            marks.append(
                _rect(x_start, y + 4, max(x_init - x_start, 1.0), ROW - 8, "init",
                      f"init {human_time(attempt['init_duration'])} (cold start)", index)
            )  # fmt: skip
            x_start = x_init
        label = _attempt_label(attempt)
        marks.append(_rect(x_start, y + 4, max(x_end - x_start, 1.5), ROW - 8, cls, label, index))
        if attempt.get("batch_size") is not None and x_end - x_start >= 22:
            marks.append(
                _text((x_start + x_end) / 2, y + ROW / 2 + 4, str(attempt["batch_size"]),
                      "middle", "bar-label")
            )  # fmt: skip
        shape = OUTCOMES[cls][1]
        marks.append(_symbol(x_end, y + ROW / 2, shape, cls, label, index))
        if attempt.get("duplicate"):
            counts["duplicates"] += 1
            marks.append(
                _symbol(x_start, y + 3, OUTCOMES["duplicate"][1], "duplicate",
                        f"duplicate delivery of {attempt['request_id'][:8]}", index)
            )  # fmt: skip
        previous = ends.get(attempt["request_id"])
        if previous is not None and attempt["attempt"] > 1:
            counts["retries"] += 1
            px, py = previous
            delay = attempt["start"] - attempt["previous_end"]
            marks.append(
                {"type": "line", "cls": "retry", "x1": px, "y1": py, "x2": scale(attempt["start"]),
                 "y2": y + ROW / 2, "arrow": True,
                 "label": f"retry after {human_time(delay)}"}
            )  # fmt: skip
        ends[attempt["request_id"]] = (x_end, y + ROW / 2)
    if throttles:
        for record in throttles:
            y = row_y[(record["function"], None)]
            index = len(scene_records)
            scene_records.append(record)
            counts["throttled"] += 1
            marks.append(
                _symbol(scale(record["t"]), y + ROW / 2, OUTCOMES["throttle"][1], "throttle",
                        f"throttled (429, {record['reason']}) {record['request_id'][:8]}", index)
            )  # fmt: skip
    marks.extend(_axes(scale, TOP + ROW * len(rows) + 2))
    summary = [
        ["attempts", len(attempts)],
        ["succeeded", counts["success"]],
        ["errors", counts["error"]],
        ["timeouts", counts["timeout"]],
        ["throttled", counts["throttled"]],
        ["retries", counts["retries"]],
        ["cold starts", counts["cold starts"]],
    ]
    if counts["duplicates"]:
        summary.append(["duplicates", counts["duplicates"]])
    return {
        "view": "timeline",
        "width": WIDTH,
        "height": height,
        "title": title or "Attempts per execution environment",
        "note": _gap_note(scale),
        "marks": marks,
        "records": scene_records,
        "summary": summary,
    }


# -- reading the trace --------------------------------------------------------------
def _attempts(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each attempt as one dict: start and end, where, how it ended, its batch size."""
    open_: dict[tuple[str, int, str], dict[str, Any]] = {}
    batch_sizes = {r["request_id"]: r["size"] for r in records if r["kind"] == "batch"}
    last_end: dict[str, float] = {}
    out = []
    for record in records:
        kind = record["kind"]
        if kind == "attempt_started":
            key = (record["request_id"], record["attempt"], record["env"])
            open_[key] = record
        elif kind == "attempt_ended":
            key = (record["request_id"], record["attempt"], record["env"])
            start = open_.pop(key, None)
            if start is None:
                continue  # started before the selected window
            attempt = {
                "function": record["function"],
                "request_id": record["request_id"],
                "attempt": record["attempt"],
                "env": record["env"],
                "start": start["t"],
                "end": record["t"],
                "status": record["status"],
                "cold": start["cold"],
                "init_duration": start["init_duration"],
                "duration": record["duration"],
                "previous_end": last_end.get(record["request_id"]),
            }
            for field in ("error_type", "error_message"):
                if field in record:
                    attempt[field] = record[field]
            if start.get("duplicate") or record.get("duplicate"):
                attempt["duplicate"] = True
            if record["request_id"] in batch_sizes:
                attempt["batch_size"] = batch_sizes[record["request_id"]]
            last_end[record["request_id"]] = record["t"]
            out.append(attempt)
    return out


def _rows(attempts: list[dict[str, Any]], throttles: list[dict[str, Any]]) -> dict[Any, str]:
    """Row keys ``(function, env)`` in order of first use, with their labels."""
    functions: dict[str, list[str]] = {}
    for attempt in attempts:
        envs = functions.setdefault(attempt["function"], [])
        if attempt["env"] not in envs:
            envs.append(attempt["env"])
    for record in throttles:
        functions.setdefault(record["function"], [])
    rows: dict[Any, str] = {}
    several = len(functions) > 1
    for function, envs in functions.items():
        for n, env in enumerate(envs, 1):
            rows[(function, env)] = f"{function} env {n}" if several else f"env {n}"
        if any(r["function"] == function for r in throttles):
            rows[(function, None)] = f"{function} throttled" if several else "throttled"
    return rows


def _attempt_label(attempt: dict[str, Any]) -> str:
    parts = [f"attempt {attempt['attempt']} of {attempt['request_id'][:8]}"]
    if attempt.get("batch_size") is not None:
        parts.append(f"batch of {attempt['batch_size']}")
    outcome = {"ok": "success", "error": "error", "timeout": "timeout"}[attempt["status"]]
    if "error_type" in attempt:
        outcome += f" ({attempt['error_type']})"
    parts.append(outcome)
    parts.append(human_time(attempt["duration"]))
    return ", ".join(parts)


# -- aggregated --------------------------------------------------------------------------
def _aggregated(
    attempts: list[dict[str, Any]], throttles: list[dict[str, Any]], title: str | None
) -> dict[str, Any]:
    envs: dict[tuple[str, str], int] = Counter((a["function"], a["env"]) for a in attempts)
    order = list(dict.fromkeys((a["function"], a["env"]) for a in attempts))
    kept = order[: MAX_ROWS - 1] if len(order) > MAX_ROWS else order
    row_of = {key: i for i, key in enumerate(kept)}
    merged = len(order) - len(kept)
    rows = [f"env {i + 1}" for i in range(len(kept))]
    if merged:
        rows.append(f"{merged} more envs")
    t0 = min(a["start"] for a in attempts)
    t1 = max(a["end"] for a in attempts)
    if throttles:
        t0, t1 = min(t0, throttles[0]["t"]), max(t1, throttles[-1]["t"])
    span = (t1 - t0) or 1.0
    x0, x1 = LABEL_WIDTH + 8, WIDTH - 12
    width = (x1 - x0) / BINS
    bins: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    for attempt in attempts:
        row = row_of.get((attempt["function"], attempt["env"]), len(kept))
        column = min(int((attempt["start"] - t0) / span * BINS), BINS - 1)
        bins[(row, column)][STATUS_CLASS[attempt["status"]]] += 1
    marks: list[dict[str, Any]] = []
    for i, label in enumerate(rows):
        marks.append(_text(LABEL_WIDTH, TOP + i * ROW + ROW / 2 + 4, label, "end", "actor-label"))
    outcome_counts: Counter[str] = Counter()
    for (row, column), counter in sorted(bins.items()):
        cls, _ = max(counter.items(), key=lambda item: (item[1], item[0]))
        outcome_counts.update(counter)
        detail = ", ".join(f"{n} {k}" for k, n in sorted(counter.items()))
        start = t0 + column * span / BINS
        marks.append(
            _rect(round(x0 + column * width, 2), TOP + row * ROW + 4, round(width, 2), ROW - 8,
                  cls, f"{sum(counter.values())} attempts from {human_time(start)}: {detail}",
                  None)
        )  # fmt: skip
    y_axis = TOP + ROW * len(rows) + 2
    marks.append(time_axis(t0, t1, x0, x1, y_axis))
    return {
        "view": "timeline",
        "width": WIDTH,
        "height": TOP + ROW * len(rows) + AXIS,
        "title": title or "Attempts per execution environment",
        "note": (
            f"aggregated: {len(attempts):,} attempts in {len(bins):,} bins of "
            f"{human_time(span / BINS)}"
            + (f"; {merged} environments merged into one row" if merged else "")
            + f"; {len(envs):,} environments"
        ),
        "marks": marks,
        "records": [],
        "summary": [
            ["attempts", len(attempts)],
            ["succeeded", outcome_counts["success"]],
            ["errors", outcome_counts["error"]],
            ["timeouts", outcome_counts["timeout"]],
            ["throttled", len(throttles)],
        ],
    }


# -- marks ------------------------------------------------------------------------------
def _rect(
    x: float, y: float, w: float, h: float, cls: str, label: str, record: int | None
) -> dict[str, Any]:
    mark: dict[str, Any] = {
        "type": "rect", "cls": cls, "x": round(x, 2), "y": round(y, 2),
        "w": round(w, 2), "h": round(h, 2), "label": label,
    }  # fmt: skip
    if record is not None:
        mark["record"] = record
    return mark


def _symbol(
    x: float, y: float, shape: str, cls: str, label: str, record: int | None
) -> dict[str, Any]:
    mark: dict[str, Any] = {
        "type": "symbol", "cls": cls, "x": round(x, 2), "y": round(y, 2), "shape": shape,
        "size": 36, "label": label,
    }  # fmt: skip
    if record is not None:
        mark["record"] = record
    return mark


def _text(x: float, y: float, text: str, anchor: str, cls: str = "text") -> dict[str, Any]:
    return {"type": "text", "cls": cls, "x": round(x, 2), "y": round(y, 2), "text": text,
            "anchor": anchor}  # fmt: skip


def _gap_marks(scale: TimeScale, top: float, bottom: float) -> list[dict[str, Any]]:
    marks = []
    for i, (start, end) in enumerate(scale.gaps):
        x = scale.gap_x(i)
        mid = x + GAP_WIDTH / 2
        zig = f"M{mid - 3:.2f},{top:.2f}"
        y, flip = top, 1
        while y < bottom:
            y = min(y + 6, bottom)
            zig += f" L{mid + 3 * flip:.2f},{y:.2f}"
            flip = -flip
        marks.append(
            {"type": "path", "cls": "gap", "d": zig,
             "label": f"{human_time(end - start)} idle, compressed"}
        )  # fmt: skip
        marks.append(_text(mid, bottom + 20, f"+{human_time(end - start)}", "middle", "muted"))
    return marks


def _axes(scale: TimeScale, y: float) -> list[dict[str, Any]]:
    marks = []
    for n, (start, end, x_start, x_end) in enumerate(scale.pieces):
        count = max(1, int((x_end - x_start) / 90))
        per_second = (x_end - x_start) / ((end - start) or 1.0)
        # No tick label runs into the next piece's gap label.
        ticks = [
            t
            for t in nice_ticks(start, end, count)
            if start <= t
            and x_start + (t - start) * per_second <= x_end - 26
            and (n == 0 or x_start + (t - start) * per_second >= x_start + 24)
        ]
        marks.append(time_axis(start, end, round(x_start, 2), round(x_end, 2), round(y, 2), ticks))
    return marks


def _gap_note(scale: TimeScale) -> str:
    if not scale.gaps:
        return ""
    total = sum(end - start for start, end in scale.gaps)
    count = len(scale.gaps)
    return f"{count} idle stretch{'es' if count > 1 else ''} ({human_time(total)}) compressed"
