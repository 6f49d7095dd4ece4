"""Metrics of event source mappings, from trace records: which records count, under which
name, and how they are rounded.  The records are written by hand in the trace's own shapes
(see ``lambda_lab.sim.trace.kinds``), so each figure can be traced to its inputs."""

from __future__ import annotations

from lambda_lab.sim.trace.metrics import (
    function_metrics,
    mapping_metrics,
    mapping_simulation_metrics,
    simulation_metrics,
)


def batch(t: float, mapping: str = "m1", **fields) -> dict:
    return {"t": t, "kind": "batch", "mapping": mapping, **fields}


def deleted(t: float, reason: str, ids: list[str], mapping: str = "m1") -> dict:
    return {
        "t": t,
        "kind": "messages_deleted",
        "mapping": mapping,
        "reason": reason,
        "message_ids": ids,
    }


#: A trace of two mappings, with records of functions (no mapping field) in between.
RECORDS = [
    {"t": 0.0, "kind": "invoke", "function": "f", "request_id": "r1"},
    {"t": 0.0, "kind": "mapping_scaled", "mapping": "m1", "concurrency": 5},
    batch(
        1.0,
        iterator_age=0.0012345,
        offset_lag=3,
        queue_visible=7,
        queue_in_flight=2,
        size=4,
        trigger="batch_size",
    ),
    batch(
        1.5,
        mapping="m2",
        iterator_age=99.0,
        offset_lag=50,
        queue_visible=1,
        queue_in_flight=1,
        size=10,
        trigger="window",
    ),
    batch(2.0, iterator_age=0.0004, offset_lag=9, size=2, trigger="batch_size"),
    deleted(2.5, "processed", ["a", "b", "c"]),
    deleted(2.6, "filtered", ["d", "e"]),
    deleted(2.65, "filtered", ["x"]),
    deleted(2.7, "processed", ["z"], mapping="m2"),
    deleted(2.8, "filtered", ["y"], mapping="m2"),
    batch(3.0, queue_visible=0, queue_in_flight=4, size=1, trigger="window"),
    {"t": 3.5, "kind": "batch_failed", "mapping": "m1", "reason": "function_error"},
    {"t": 3.6, "kind": "batch_failed", "mapping": "m1", "reason": "function_error"},
    {"t": 3.7, "kind": "batch_failed", "mapping": "m1", "reason": "timeout"},
    {"t": 3.8, "kind": "batch_failed", "mapping": "m2", "reason": "throttled"},
    {"t": 4.0, "kind": "batch_bisected", "mapping": "m1"},
    {"t": 4.05, "kind": "batch_bisected", "mapping": "m1"},
    {"t": 4.1, "kind": "batch_bisected", "mapping": "m2"},
    {"t": 60.0, "kind": "mapping_scaled", "mapping": "m1", "concurrency": 10},
    {"t": 61.0, "kind": "mapping_scaled", "mapping": "m2", "concurrency": 2},
]


def test_cloudwatch_metrics_of_one_mapping_count_its_own_records_only():
    # GIVEN a trace of two mappings, WHEN the first one's CloudWatch metrics are derived
    metrics = mapping_metrics(RECORDS, "m1")
    # THEN IteratorAge is in ms to 0.01 ms (1.2345 and 0.4 ms: maximum 1.23, average 0.82),
    # OffsetLag is the largest lag, and the SQS figures are the queue's depth as each batch
    # left and the messages this mapping deleted after processing (not those filtered)
    assert metrics == {
        "IteratorAge": {"Maximum": 1.23, "Average": 0.82},
        "OffsetLag": {"Maximum": 9},
        "NumberOfMessagesDeleted": 3,
        "ApproximateNumberOfMessagesVisible": [(1.0, 7), (3.0, 0)],
        "ApproximateNumberOfMessagesNotVisible": [(1.0, 2), (3.0, 4)],
    }


def test_a_mapping_reports_only_the_cloudwatch_metrics_its_batches_carry():
    # GIVEN batches of a stream (an iterator age only) and of a mapping that ran no batch
    records = [batch(1.0, iterator_age=2.0), batch(2.0, iterator_age=4.0), *RECORDS[:1]]
    # WHEN their metrics are derived
    stream = mapping_metrics(records, "m1")
    idle = mapping_metrics(records, "m3")
    # THEN the stream has IteratorAge only, and the idle mapping has nothing
    assert stream == {"IteratorAge": {"Maximum": 4000.0, "Average": 3000.0}}
    assert idle == {}


def test_our_own_figures_of_one_mapping_count_its_own_records_only():
    # GIVEN a trace of two mappings, WHEN the first one's own figures are derived
    ours = mapping_simulation_metrics(RECORDS, "m1")
    # THEN they count its batches (by trigger, and their records), its failed batches by
    # reason, the messages it filtered (2 + 1), its concurrency as it changed, and its
    # bisects
    assert ours == {
        "batches": 3,
        "batches_by_trigger": {"batch_size": 2, "window": 1},
        "records_in_batches": 7,
        "failed_batches": {"function_error": 2, "timeout": 1},
        "messages_filtered": 3,
        "concurrency": [(0.0, 5), (60.0, 10)],
        "bisects": 2,
    }


def test_our_own_figures_of_a_mapping_that_ran_nothing_are_zero():
    # GIVEN a trace without the mapping, WHEN its figures are derived, THEN all are empty
    assert mapping_simulation_metrics(RECORDS, "m3") == {
        "batches": 0,
        "batches_by_trigger": {},
        "records_in_batches": 0,
        "failed_batches": {},
        "messages_filtered": 0,
        "concurrency": [],
        "bisects": 0,
    }


# -- a function's metrics ---------------------------------------------------------------


def env(t: float, kind: str, env_id: str = "e1") -> dict:
    return {"t": t, "kind": kind, "function": "f", "env": env_id}


def started(t: float, cold: bool = False) -> dict:
    return {"t": t, "kind": "attempt_started", "function": "f", "cold": cold}


def ended(t: float, duration: float, status: str = "ok") -> dict:
    return {
        "t": t,
        "kind": "attempt_ended",
        "function": "f",
        "duration": duration,
        "status": status,
    }


def test_environment_averages_weigh_each_count_by_how_long_it_lasted():
    # GIVEN one environment from t=0 that runs one attempt over [0, 1], a second one
    # created at t=3 (nothing happened in between) that expires at t=4, and an attempt
    # started at t=5 still running at the end, t=8
    records = [
        env(0.0, "env_created"),
        started(0.0, cold=True),
        ended(1.0, 1.0),
        env(3.0, "env_created", "e2"),
        env(4.0, "env_expired", "e2"),
        started(5.0),
    ]
    # WHEN the function's own figures are derived over [0, 8]
    ours = function_figures(records, 8.0)
    # THEN environments: 1 over [0, 3], 2 over [3, 4], 1 over [4, 8] = 9 / 8;
    # busy: [0, 1] and [5, 8] = 4 / 8
    assert ours == {
        "cold_starts": 1,
        "environments": {"total": 1.125, "busy": 0.5, "idle": 0.625},
    }


def function_figures(records: list[dict], end_time: float) -> dict:
    return simulation_metrics(records, "f", end_time)


def test_environment_averages_over_less_than_a_second_and_over_no_time():
    # GIVEN an environment that exists from t=0, running an attempt from t=0
    records = [env(0.0, "env_created"), started(0.0)]
    # WHEN averaged over half a second, and a trace with nothing over no time at all
    short = function_figures(records, 0.5)
    empty = function_figures([], 0.0)
    # THEN the half second is averaged like any span, and no time averages to zero
    assert short["environments"] == {"total": 1.0, "busy": 1.0, "idle": 0.0}
    assert empty["environments"] == {"total": 0.0, "busy": 0.0, "idle": 0.0}


def test_the_median_of_two_durations_is_the_lower_one():
    # GIVEN two attempts of 100 ms and 300 ms
    records = [started(0.0), ended(0.1, 0.1), started(1.0), ended(1.3, 0.3)]
    # WHEN the function's CloudWatch metrics are derived
    duration = function_metrics(records, "f", 2.0)["Duration"]
    # THEN p50 is the lower one (the nearest rank rounds half to even), p99 the higher
    assert duration == {
        "Average": 200.0,
        "Minimum": 100.0,
        "Maximum": 300.0,
        "p50": 100.0,
        "p99": 300.0,
    }


def test_every_dropped_event_and_dead_letter_failure_is_counted():
    # GIVEN two accepted events, both dropped, whose two dead-letter deliveries failed,
    # and a failed delivery to a destination
    records = [
        {"t": 0.0, "kind": "accepted", "function": "f"},
        {"t": 0.0, "kind": "accepted", "function": "f"},
        {"t": 1.0, "kind": "dropped", "function": "f"},
        {"t": 1.0, "kind": "delivery_failed", "function": "f", "via": "dlq"},
        {"t": 2.0, "kind": "dropped", "function": "f"},
        {"t": 2.0, "kind": "delivery_failed", "function": "f", "via": "dlq"},
        {"t": 2.0, "kind": "delivery_failed", "function": "f", "via": "on_failure"},
    ]
    # WHEN the function's CloudWatch metrics are derived
    metrics = function_metrics(records, "f", 3.0)
    # THEN each one counts
    assert metrics["AsyncEventsReceived"] == 2
    assert metrics["AsyncEventsDropped"] == 2
    assert metrics["DeadLetterErrors"] == 2
    assert metrics["DestinationDeliveryFailures"] == 1
    # AND with no event dequeued, their age is zero
    assert metrics["AsyncEventAge"] == {"Average": 0.0, "Maximum": 0.0}
