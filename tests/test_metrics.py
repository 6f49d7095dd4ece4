"""CloudWatch-named metrics derived from the trace."""

from __future__ import annotations

import pytest
from support import Caller

import lambda_lab as ll


def takes(event):
    return event.get("d", 0.5)


def fails_on(event, context):
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return "ok"


def test_invocations_count_function_errors_and_timeouts_too(lab):
    # GIVEN two successes, one handler error and one timeout
    lab.create_function("f", fails_on, duration=takes)
    lab.invoke("f")
    lab.invoke("f")
    lab.invoke("f", {"fail": True})
    lab.invoke("f", {"d": 10})
    # THEN all four are Invocations, two are Errors
    metrics = lab.metrics("f")
    assert metrics["Invocations"] == 4
    assert metrics["Errors"] == 2
    assert metrics["Throttles"] == 0
    assert lab.simulation_metrics("f")["cold_starts"] == 1


def test_throttles_are_not_invocations_or_errors(lab, caller):
    lab.create_function("f", fails_on, reserved_concurrency=1, duration=1)
    caller.at(0.0, "f")
    caller.at(0.0, "f")
    caller.at(0.5, "f")
    lab.run(until=5)
    metrics = lab.metrics("f")
    assert (metrics["Invocations"], metrics["Errors"], metrics["Throttles"]) == (1, 0, 2)


def test_concurrent_executions_is_the_peak(lab, caller):
    lab.create_function("f", fails_on, duration=takes)
    for t in (0.0, 0.1, 0.2):
        caller.at(t, "f", {"d": 2})
    caller.at(10.0, "f")
    lab.run(until=20)
    assert lab.metrics("f")["ConcurrentExecutions"] == 3


def test_back_to_back_calls_never_overlap(lab):
    lab.create_function("f", fails_on)
    for _ in range(5):
        lab.invoke("f")
    assert lab.metrics("f")["ConcurrentExecutions"] == 1


def test_duration_statistics_are_in_milliseconds(lab):
    lab.create_function("f", fails_on, duration=takes, timeout=10)
    for d in (3, 1, 2):
        lab.invoke("f", {"d": d})
    assert lab.metrics("f")["Duration"] == {
        "Average": 2000.0,
        "Minimum": 1000.0,
        "Maximum": 3000.0,
        "p50": 2000.0,
        "p99": 3000.0,
    }


def test_environments_are_time_averaged():
    # GIVEN one call from 0 to 0.75 and a keep-alive of 60 s
    lab = ll.Lab(seed=1, keep_alive_seconds=60)
    lab.create_function("f", fails_on, duration=0.5, init_duration=0.25)
    lab.invoke("f")
    # WHEN observed over 100 s
    lab.run(until=100)
    # THEN the environment existed 60.75 s of 100, busy 0.75 s of them
    environments = lab.simulation_metrics("f")["environments"]
    assert environments["total"] == pytest.approx(0.6075)
    assert environments["busy"] == pytest.approx(0.0075)
    assert environments["idle"] == pytest.approx(0.6)


def test_two_environments_average_over_their_lifetimes():
    lab = ll.Lab(seed=1, keep_alive_seconds=10)
    caller = Caller(lab)
    lab.create_function("f", fails_on, duration=takes, init_duration=0.0, timeout=10)
    caller.at(0.0, "f", {"d": 2})  # env-1 lives 0..12
    caller.at(0.0, "f", {"d": 4})  # env-2 lives 0..14
    lab.run(until=20)
    environments = lab.simulation_metrics("f")["environments"]
    assert environments["total"] == pytest.approx((12 + 14) / 20)
    assert environments["busy"] == pytest.approx((2 + 4) / 20)


def test_metrics_belong_to_one_function(lab):
    lab.create_function("a", fails_on)
    lab.create_function("b", fails_on, reserved_concurrency=0)
    lab.invoke("a")
    with pytest.raises(ll.TooManyRequestsException):
        lab.invoke("b")
    a, b = lab.metrics("a"), lab.metrics("b")
    assert (a["Invocations"], a["Throttles"]) == (1, 0)
    assert (b["Invocations"], b["Throttles"], b["ConcurrentExecutions"]) == (0, 1, 0)
    assert lab.simulation_metrics("b")["environments"] == {"total": 0.0, "busy": 0.0, "idle": 0.0}


def test_metrics_of_an_unknown_function_are_not_found(lab):
    with pytest.raises(ll.ResourceNotFoundException):
        lab.metrics("nope")


def test_metrics_hold_only_what_cloudwatch_publishes_and_ours_are_apart(lab):
    # GIVEN a function invoked synchronously and asynchronously
    lab.create_function("f", fails_on, duration=1 / 3)
    lab.invoke("f")
    lab.invoke("f", invocation_type="Event")
    lab.settle()
    # WHEN both views are read
    metrics, ours = lab.metrics("f"), lab.simulation_metrics("f")
    # THEN lab.metrics has CloudWatch's names only, and lambda_lab's figures are apart
    assert set(metrics) == {
        "Invocations",
        "Errors",
        "Throttles",
        "Duration",
        "ConcurrentExecutions",
        "AsyncEventsReceived",
        "AsyncEventAge",
        "AsyncEventsDropped",
        "DestinationDeliveryFailures",
        "DeadLetterErrors",
    }
    assert set(ours) == {"cold_starts", "environments"}
    # AND what is shown is rounded: milliseconds to 0.01, as REPORT lines show them
    assert metrics["Duration"]["Average"] == 333.33
    assert metrics["Duration"]["p99"] == 333.33
