"""What a view reads: a trace's records, narrowed by function, request id or time window."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["records_of", "select"]


def records_of(source: Any) -> list[dict[str, Any]]:
    """The trace records of a :class:`~lambda_lab.Lab`, a trace, or a list of records."""
    trace = getattr(source, "trace", source)
    records = getattr(trace, "records", trace)
    if not isinstance(records, Iterable) or isinstance(records, (str, bytes, dict)):
        raise TypeError(
            f"a view needs a Lab, a trace or a list of trace records, got {type(source).__name__}"
        )
    return list(records)


def select(
    records: list[dict[str, Any]],
    function: str | None = None,
    request_id: str | None = None,
    window: tuple[float, float] | None = None,
) -> list[dict[str, Any]]:
    """The records of ``function``, about ``request_id``, inside ``window`` (both ends in)."""
    if window is not None and (
        not isinstance(window, tuple)
        or len(window) != 2
        or not all(isinstance(t, (int, float)) for t in window)
        or window[1] < window[0]
    ):
        raise ValueError(f"window must be a (start, end) pair of seconds, got {window!r}")
    out = []
    for record in records:
        if function is not None and record.get("function", function) != function:
            continue
        if request_id is not None and not _about(record, request_id):
            continue
        if window is not None and not window[0] <= record["t"] <= window[1]:
            continue
        out.append(record)
    return out


def _about(record: dict[str, Any], request_id: str) -> bool:
    if record.get("request_id") == request_id:
        return True
    ids = record.get("request_ids")
    return isinstance(ids, list) and request_id in ids
