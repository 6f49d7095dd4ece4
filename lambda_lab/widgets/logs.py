"""The log scene: a function's CloudWatch log lines, and the figures of its REPORT lines."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

__all__ = ["MAX_LINES", "log_scene", "report_figures", "static_marks"]

#: Lines kept in the scene (the newest are dropped beyond it, and the note says so).
MAX_LINES = 2000
#: Lines the static picture shows.
STATIC_LINES = 40
WIDTH = 760
LINE = 15

_REPORT = re.compile(r"(Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration): "
                     r"([0-9.]+)")  # fmt: skip


def report_figures(message: str) -> dict[str, float]:
    """The figures of one ``REPORT`` line, by AWS's names (ms and MB as printed)."""
    return {name: float(value) for name, value in _REPORT.findall(message)}


def _cls(message: str) -> str:
    if message.startswith("START "):
        return "start"
    if message.startswith("END "):
        return "end"
    if message.startswith("REPORT "):
        return "report"
    if "Task timed out" in message or "[ERROR]" in message or "Runtime." in message:
        return "error"
    return "log"


def log_scene(
    events: list[dict[str, Any]], epoch_ms: int, function_name: str, title: str | None = None
) -> dict[str, Any]:
    """The scene of ``lab.logs(...)`` events; ``epoch_ms`` is virtual time 0 in epoch ms."""
    lines = []
    reports = []
    for event in events:
        message = event["message"].rstrip("\n")
        cls = _cls(message)
        request_id = ""
        if cls in ("start", "end", "report"):
            found = re.search(r"RequestId: ([0-9a-f-]+)", message)
            request_id = found.group(1) if found else ""
        if cls == "report":
            reports.append(report_figures(message))
        lines.append(
            {"t": round((event["timestamp"] - epoch_ms) / 1000, 3), "text": message, "cls": cls,
             "request_id": request_id, "stream": event["logStreamName"]}
        )  # fmt: skip
    note = ""
    if len(lines) > MAX_LINES:
        note = f"showing the first {MAX_LINES:,} of {len(lines):,} lines"
        lines = lines[:MAX_LINES]
    durations = [r.get("Duration", 0.0) for r in reports]
    summary: list[list[Any]] = [
        ["invocations", len(reports)],
        ["cold starts", sum(1 for r in reports if "Init Duration" in r)],
    ]
    if reports:
        summary += [
            ["mean duration (ms)", round(sum(durations) / len(durations), 2)],
            ["max duration (ms)", max(durations)],
            ["billed (ms)", sum(r.get("Billed Duration", 0.0) for r in reports)],
            ["max memory used (MB)", max(r.get("Max Memory Used", 0.0) for r in reports)],
        ]
    return {
        "view": "logs",
        "width": WIDTH,
        # The live view lists ``lines`` as HTML; the static picture draws the
        # first of them itself (see :func:`static_marks`).
        "height": 0,
        "title": title or f"Log group /aws/lambda/{function_name}",
        "note": note,
        "marks": [],
        "records": [],
        "lines": lines,
        "epoch_ms": epoch_ms,
        "summary": summary,
    }


def _clock(epoch_ms: int, t: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000 + t, tz=dt.timezone.utc)
    return moment.strftime("%H:%M:%S.%f")[:-3]


def static_marks(scene: dict[str, Any]) -> list[dict[str, Any]]:
    """Text marks of the first :data:`STATIC_LINES` lines, for the static picture."""
    lines = scene["lines"]
    shown = lines[:STATIC_LINES]
    marks = [
        {"type": "text", "cls": f"log-{line['cls']}", "x": 4, "y": 12 + i * LINE,
         "text": f"{_clock(scene['epoch_ms'], line['t'])}  {_first_line(line['text'])}",
         "anchor": "start"}
        for i, line in enumerate(shown)
    ]  # fmt: skip
    if len(lines) > STATIC_LINES:
        marks.append({"type": "text", "cls": "muted", "x": 4, "y": 12 + len(shown) * LINE,
                      "text": f"... {len(lines) - STATIC_LINES:,} more lines in the live view",
                      "anchor": "start"})  # fmt: skip
    return marks


def _first_line(text: str) -> str:
    """One row of the static picture: a traceback's first line, tabs as spaces."""
    return text.split("\n", 1)[0].replace("\t", "  ")
