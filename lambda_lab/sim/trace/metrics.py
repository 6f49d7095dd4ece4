"""Metrics derived from trace records.

CloudWatch's own metrics (``Invocations``, ``Errors``, ``Throttles``,
``Duration``, ``ConcurrentExecutions`` and the asynchronous ones) are kept
apart from lambda_lab's (cold starts, environments busy and idle), so a
student never learns a CloudWatch metric that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["function_metrics"]


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
