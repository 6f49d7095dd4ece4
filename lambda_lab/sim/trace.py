"""The trace: an ordered list of plain records, and the metrics derived from it.

The trace is the contract between the simulator, the widgets, the notebooks
and the tests.  Each record is a JSON-serialisable dict with at least ``t``
(virtual seconds) and ``kind``; records appear in time order.  Reading a
record also gives it ``time``, the simulated wall-clock instant in AWS's
ISO-8601 format (stamped on first read so the hot path stays cheap).

Kinds written by the synchronous core (each with ``function``):

``invoke``           a request reached the service (``request_id``, ``invocation_type``)
``throttle``         refused with 429 (``request_id``, ``reason``)
``env_created``      a new execution environment (``env``)
``attempt_started``  the attempt starts (``request_id``, ``attempt``, ``env``, ``cold`` for
                     a new environment, ``init_duration`` > 0 when Init runs, also after a
                     runtime restart; the invoke phase begins after Init)
``attempt_ended``    ``status`` ok / error / timeout, ``duration`` (s), ``billed_duration_ms``,
                     ``error_type``, ``error_message``
``env_reset``        the runtime restarted after a timeout or exit; module state lost
``env_expired``      an idle environment was reclaimed after the keep-alive
``response``         the synchronous response left the service (``status_code``,
                     ``function_error``)

The asynchronous path, clients and event source mappings add their own
kinds; consumers ignore kinds they do not know.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from .clock import SimClock

__all__ = ["Trace", "function_metrics"]


class Trace:
    """The records of one lab, in time order."""

    __slots__ = ("_clock", "_records", "_stamped", "append")

    def __init__(self, clock: SimClock) -> None:
        self._clock = clock
        self._records: list[dict[str, Any]] = []
        self._stamped = 0
        self.append = self._records.append  # the hot path appends without a method call

    def _stamp(self) -> list[dict[str, Any]]:
        records = self._records
        if self._stamped < len(records):
            iso = self._clock.iso
            for record in records[self._stamped :]:
                record["time"] = iso(record["t"])
            self._stamped = len(records)
        return records

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every record (the list itself: do not modify it)."""
        return self._stamp()

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._stamp())

    def __getitem__(self, index):
        return self._stamp()[index]

    def filter(self, kind: str | Iterable[str] | None = None, **fields: Any) -> list[dict]:
        """Records of the given kind(s) whose fields equal the given values."""
        kinds = {kind} if isinstance(kind, str) else (set(kind) if kind is not None else None)
        out = []
        for record in self._stamp():
            if kinds is not None and record["kind"] not in kinds:
                continue
            if all(record.get(k) == v for k, v in fields.items()):
                out.append(record)
        return out

    def kinds(self) -> dict[str, int]:
        """How many records of each kind, in order of first appearance."""
        return dict(Counter(r["kind"] for r in self._records))

    def to_json(self, **dumps: Any) -> str:
        """The whole trace as a JSON array (same seed, same bytes)."""
        return json.dumps(self._stamp(), **dumps)

    def clear(self) -> None:
        """Forget every record (the world itself is unchanged)."""
        self._records.clear()
        self._stamped = 0

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.kinds().items())
        return f"<Trace {len(self)} records: {counts}>" if counts else "<Trace empty>"


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


def function_metrics(
    records: Iterable[dict[str, Any]], function: str, end_time: float
) -> dict[str, Any]:
    """CloudWatch-named metrics of one function, derived from trace records.

    Units are CloudWatch's: ``Duration`` and ``AsyncEventAge`` in
    milliseconds, the rest counts.  ``Invocations`` counts attempts that ran
    (including function errors); throttled requests count only in
    ``Throttles``.  ``ConcurrentExecutions`` is the peak.  ``ColdStarts``
    counts new execution environments.  ``Environments`` holds time averages
    over ``[0, end_time]`` of environments in existence, busy (initialising
    or running) and idle.
    """
    invocations = errors = throttles = cold = 0
    durations: list[float] = []
    total = busy = peak_busy = 0
    area_total = area_busy = 0.0
    last_t = 0.0
    async_received = async_dropped = dest_failures = dlq_errors = 0
    event_ages: list[float] = []
    for r in records:
        if r.get("function") != function:
            continue
        kind = r["kind"]
        t = r["t"]
        if kind in ("env_created", "env_expired", "attempt_started", "attempt_ended"):
            area_total += total * (t - last_t)
            area_busy += busy * (t - last_t)
            last_t = t
        if kind == "attempt_started":
            busy += 1
            peak_busy = max(peak_busy, busy)
            invocations += 1
            cold += bool(r.get("cold"))
        elif kind == "attempt_ended":
            busy -= 1
            durations.append(r["duration"] * 1000.0)
            if r["status"] != "ok":
                errors += 1
        elif kind == "env_created":
            total += 1
        elif kind == "env_expired":
            total -= 1
        elif kind == "throttle":
            throttles += 1
        elif kind == "dequeued":
            event_ages.append(r["age"])
        elif kind == "accepted":
            async_received += 1
        elif kind == "dropped":
            async_dropped += 1
        elif kind == "delivery_failed":
            if r.get("via") == "dlq":
                dlq_errors += 1
            else:
                dest_failures += 1
    span = max(end_time, last_t)
    area_total += total * (span - last_t)
    area_busy += busy * (span - last_t)
    durations.sort()
    mean_total = area_total / span if span > 0 else 0.0
    mean_busy = area_busy / span if span > 0 else 0.0
    metrics: dict[str, Any] = {
        "Invocations": invocations,
        "Errors": errors,
        "Throttles": throttles,
        "Duration": {
            "Average": sum(durations) / len(durations) if durations else 0.0,
            "Minimum": durations[0] if durations else 0.0,
            "Maximum": durations[-1] if durations else 0.0,
            "p50": _percentile(durations, 50),
            "p99": _percentile(durations, 99),
        },
        "ConcurrentExecutions": peak_busy,
        "ColdStarts": cold,
        "Environments": {
            "total": mean_total,
            "busy": mean_busy,
            "idle": mean_total - mean_busy,
        },
    }
    if async_received or event_ages:
        metrics.update(
            {
                "AsyncEventsReceived": async_received,
                "AsyncEventAge": {
                    "Average": 1000 * sum(event_ages) / len(event_ages) if event_ages else 0.0,
                    "Maximum": 1000 * max(event_ages) if event_ages else 0.0,
                },
                "AsyncEventsDropped": async_dropped,
                "DestinationDeliveryFailures": dest_failures,
                "DeadLetterErrors": dlq_errors,
            }
        )
    return metrics
