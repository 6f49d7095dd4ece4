"""Metrics derived from trace records.

CloudWatch's own metrics (``Invocations``, ``Errors``, ``Throttles``,
``Duration``, ``ConcurrentExecutions`` and the asynchronous ones) are kept
apart from lambda_lab's (cold starts, environments busy and idle), so a
student never learns a CloudWatch metric that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "MEAN_DIGITS",
    "function_metrics",
    "mapping_metrics",
    "mapping_simulation_metrics",
    "simulation_metrics",
]

#: Decimals kept in time-averaged environment counts.
MEAN_DIGITS = 4


def _ms(value: float) -> float:
    """Milliseconds to 0.01 ms, the precision of Lambda's REPORT lines."""
    return round(value, 2)


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


def _tally(records: Iterable[dict[str, Any]], function: str, end_time: float) -> dict[str, Any]:
    """One pass over the trace: both the CloudWatch metrics and our own."""
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
            "Average": _ms(sum(durations) / len(durations) if durations else 0.0),
            "Minimum": _ms(durations[0] if durations else 0.0),
            "Maximum": _ms(durations[-1] if durations else 0.0),
            "p50": _ms(_percentile(durations, 50)),
            "p99": _ms(_percentile(durations, 99)),
        },
        "ConcurrentExecutions": peak_busy,
    }
    ours = {
        "cold_starts": cold,
        "environments": {
            "total": round(mean_total, MEAN_DIGITS),
            "busy": round(mean_busy, MEAN_DIGITS),
            "idle": round(mean_total - mean_busy, MEAN_DIGITS),
        },
    }
    if async_received or event_ages:
        metrics.update(
            {
                "AsyncEventsReceived": async_received,
                "AsyncEventAge": {
                    "Average": _ms(1000 * sum(event_ages) / len(event_ages) if event_ages else 0.0),
                    "Maximum": _ms(1000 * max(event_ages) if event_ages else 0.0),
                },
                "AsyncEventsDropped": async_dropped,
                "DestinationDeliveryFailures": dest_failures,
                "DeadLetterErrors": dlq_errors,
            }
        )
    return {"cloudwatch": metrics, "simulation": ours}


def function_metrics(
    records: Iterable[dict[str, Any]], function: str, end_time: float
) -> dict[str, Any]:
    """CloudWatch's metrics of one function (namespace ``AWS/Lambda``), from the trace.

    Only metrics CloudWatch really has, under its names and units:
    ``Invocations`` counts attempts that ran (function errors included);
    throttled requests count only in ``Throttles``; ``Duration`` is in
    milliseconds (rounded to 0.01 ms, as REPORT lines show it) with the
    statistics ``Average``, ``Minimum``, ``Maximum``, ``p50`` and ``p99``;
    ``ConcurrentExecutions`` is the peak.  Functions invoked asynchronously
    also get ``AsyncEventsReceived``, ``AsyncEventAge`` (ms),
    ``AsyncEventsDropped``, ``DestinationDeliveryFailures`` and
    ``DeadLetterErrors``.
    """
    return _tally(records, function, end_time)["cloudwatch"]


def simulation_metrics(
    records: Iterable[dict[str, Any]], function: str, end_time: float
) -> dict[str, Any]:
    """lambda_lab's own figures of one function, which CloudWatch does not publish.

    ``cold_starts`` counts new execution environments; ``environments``
    holds time averages over ``[0, end_time]`` of environments in existence
    (``total``), ``busy`` (initialising or running) and ``idle``, rounded to
    4 decimals.
    """
    return _tally(records, function, end_time)["simulation"]


# -- event source mappings ---------------------------------------------------------------


def mapping_metrics(records: Iterable[dict[str, Any]], mapping: str) -> dict[str, Any]:
    """CloudWatch's metrics of one mapping, under their names.

    ``IteratorAge`` (ms, Maximum and Average over batches; streams and Kafka),
    ``OffsetLag`` (Maximum; Kafka), and for an SQS source the queue's
    ``NumberOfMessagesDeleted`` (by this mapping) with
    ``ApproximateNumberOfMessagesVisible`` / ``...NotVisible`` as series of
    ``(t, value)`` sampled as each batch left.
    """
    ages: list[float] = []
    lags: list[int] = []
    visible: list[tuple[float, int]] = []
    not_visible: list[tuple[float, int]] = []
    deleted = 0
    for record in records:
        if record.get("mapping") != mapping:
            continue
        kind = record["kind"]
        if kind == "batch":
            if "iterator_age" in record:
                ages.append(record["iterator_age"] * 1000)
            if "offset_lag" in record:
                lags.append(record["offset_lag"])
            if "queue_visible" in record:
                visible.append((record["t"], record["queue_visible"]))
                not_visible.append((record["t"], record["queue_in_flight"]))
        elif kind == "messages_deleted" and record["reason"] == "processed":
            deleted += len(record["message_ids"])
    out: dict[str, Any] = {}
    if ages:
        out["IteratorAge"] = {"Maximum": _ms(max(ages)), "Average": _ms(sum(ages) / len(ages))}
    if lags:
        out["OffsetLag"] = {"Maximum": max(lags)}
    if visible:
        out["NumberOfMessagesDeleted"] = deleted
        out["ApproximateNumberOfMessagesVisible"] = visible
        out["ApproximateNumberOfMessagesNotVisible"] = not_visible
    return out


def mapping_simulation_metrics(records: Iterable[dict[str, Any]], mapping: str) -> dict[str, Any]:
    """lambda_lab's own figures of one mapping (CloudWatch publishes none of these).

    ``batches``, ``batches_by_trigger``, ``records_in_batches``,
    ``failed_batches`` by reason, ``messages_filtered`` (SQS),
    ``concurrency`` (the pollers' limit as it changed) and ``bisects``.
    """
    by_trigger: dict[str, int] = {}
    failed: dict[str, int] = {}
    batches = in_batches = filtered = bisects = 0
    concurrency: list[tuple[float, int]] = []
    for record in records:
        if record.get("mapping") != mapping:
            continue
        kind = record["kind"]
        if kind == "batch":
            batches += 1
            in_batches += record["size"]
            by_trigger[record["trigger"]] = by_trigger.get(record["trigger"], 0) + 1
        elif kind == "batch_failed":
            failed[record["reason"]] = failed.get(record["reason"], 0) + 1
        elif kind == "messages_deleted" and record["reason"] == "filtered":
            filtered += len(record["message_ids"])
        elif kind == "mapping_scaled":
            concurrency.append((record["t"], record["concurrency"]))
        elif kind == "batch_bisected":
            bisects += 1
    return {
        "batches": batches,
        "batches_by_trigger": by_trigger,
        "records_in_batches": in_batches,
        "failed_batches": failed,
        "messages_filtered": filtered,
        "concurrency": concurrency,
        "bisects": bisects,
    }
