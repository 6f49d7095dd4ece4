"""Asynchronous invocation (Event): acceptance, retries, throttles, event age, duplicates.

Scenarios are GIVEN / WHEN / THEN and assert on the trace: when each attempt
started, what was scheduled with which delay, and how each event ended.
"""

from __future__ import annotations

import pytest
from support import kinds

import lambda_lab as ll

MAX_ASYNC = 1024 * 1024
FUNCTION_ERROR = "function_error"


def credit(event, context):
    return {"credited": event.get("amount", 0)}


def refuse(event, context):
    raise ValueError("insufficient funds")


def fail_when_asked(event, context):
    if event.get("fail"):
        raise RuntimeError("card declined")
    return {"ok": True}


def times(lab: ll.Lab, kind: str, **fields) -> list[float]:
    return [r["t"] for r in lab.trace.filter(kind=kind, **fields)]


def terminal(lab: ll.Lab, request_id: str) -> list[dict]:
    return lab.trace.filter(kind=["succeeded", "dropped"], request_id=request_id)


# -- acceptance ------------------------------------------------------------------------


def test_an_event_invoke_returns_202_at_once_and_nothing_runs_until_run(lab):
    # GIVEN a function that records every event it handles
    seen = []
    lab.create_function("credit", lambda e, c: seen.append(e), duration=0.5)
    # WHEN it is invoked asynchronously
    response = lab.invoke("credit", {"amount": 10}, invocation_type="Event")
    # THEN the caller gets 202 with no payload and no executed version, at once
    assert response.status_code == 202
    assert response["StatusCode"] == 202
    assert response.payload is None
    assert response.executed_version is None
    assert response.function_error is None
    assert lab.now == 0.0
    # AND the event is only accepted and queued: the handler has not run
    assert seen == []
    assert kinds(lab) == ["accepted", "queued"]
    (accepted,) = lab.trace.filter(kind="accepted")
    assert (accepted["request_id"], accepted["status_code"]) == (response.request_id, 202)
    # WHEN time moves
    lab.run()
    # THEN the handler ran once with the event, under the same request id
    assert seen == [{"amount": 10}]
    (started,) = lab.trace.filter(kind="attempt_started")
    assert started["request_id"] == response.request_id
    (done,) = terminal(lab, response.request_id)
    assert (done["kind"], done["approximate_invoke_count"]) == ("succeeded", 1)


def test_every_attempt_of_an_event_sees_the_arn_the_caller_invoked(lab):
    # GIVEN a failing function that notes its invoked_function_arn on every attempt
    seen = []

    def note_and_fail(event, context):
        seen.append(context.invoked_function_arn)
        raise ValueError("insufficient funds")

    lab.create_function("f", note_and_fail)
    arn = lab.function_arn("f")
    # WHEN one event names it "f:$LATEST" and another by its bare ARN
    lab.invoke("f:$LATEST", {}, invocation_type="Event")
    lab.run()
    qualified, seen[:] = seen[:], []
    lab.invoke(arn, {}, invocation_type="Event")
    lab.run()
    # THEN all three attempts of each show the ARN as named: qualified, then unqualified
    assert qualified == [arn + ":$LATEST"] * 3
    assert seen == [arn] * 3


@pytest.mark.parametrize("size", [MAX_ASYNC - 1, MAX_ASYNC])
def test_an_event_up_to_1_mb_is_accepted(lab, size):
    # GIVEN a JSON document of exactly `size` bytes (a string: quotes + letters)
    body = '"' + "x" * (size - 2) + '"'
    lengths = []
    lab.create_function("echo", lambda e, c: lengths.append(len(e)))
    # WHEN it is sent asynchronously
    response = lab.invoke("echo", body, invocation_type="Event")
    lab.run()
    # THEN it is queued and handled whole
    assert response.status_code == 202
    assert lengths == [size - 2]


def test_an_event_over_1_mb_is_refused_with_request_too_large(lab):
    # GIVEN a payload one byte over the async quota (which a sync call would take)
    body = '"' + "x" * (MAX_ASYNC - 1) + '"'
    lab.create_function("echo", lambda e, c: None)
    assert lab.invoke("echo", body).status_code == 200
    lab.trace.clear()
    # WHEN it is sent asynchronously
    with pytest.raises(ll.RequestTooLargeException) as caught:
        lab.invoke("echo", body, invocation_type="Event")
    # THEN the caller gets 413 and nothing was queued
    assert caught.value.status_code == 413
    assert caught.value.message == (
        "Request must be smaller than 1048576 bytes for the InvokeFunction operation "
        "(payload is 1048577 bytes)"
    )
    assert len(lab.trace) == 0


def test_an_event_for_an_unknown_function_is_refused_before_queueing(lab):
    with pytest.raises(ll.ResourceNotFoundException):
        lab.invoke("missing", {}, invocation_type="Event")
    assert len(lab.trace) == 0


# -- function errors: 2 retries, 60 s then 120 s ----------------------------------------


def _timing_out(lab: ll.Lab) -> str:
    lab.create_function("f", credit, timeout=1, duration=2.5, init_duration=0.25)
    return "Sandbox.Timedout"


def _raising(lab: ll.Lab) -> str:
    lab.create_function("f", refuse, duration=0.5, init_duration=0.25)
    return "ValueError"


def _unmarshallable(lab: ll.Lab) -> str:
    lab.create_function("f", lambda e, c: {1, 2}, duration=0.5, init_duration=0.25)
    return "Runtime.MarshalError"


@pytest.mark.parametrize("make", [_raising, _timing_out, _unmarshallable])
def test_function_errors_are_retried_60_s_then_120_s_after_each_attempt_ends(lab, make):
    # GIVEN a function whose every attempt fails (exception, timeout or marshal error)
    error_type = make(lab)
    # WHEN one event is sent and time runs out
    request_id = lab.invoke("f", {"amount": 10}, invocation_type="Event").request_id
    lab.run()
    # THEN it ran 3 times under one request id, each attempt failing with that error
    started = lab.trace.filter(kind="attempt_started")
    ended = lab.trace.filter(kind="attempt_ended")
    assert [r["attempt"] for r in started] == [1, 2, 3]
    assert {r["request_id"] for r in started + ended} == {request_id}
    assert [r["error_type"] for r in ended] == [error_type] * 3
    # AND the retries were scheduled 60 s and 120 s after the attempts ended
    retries = lab.trace.filter(kind="retry_scheduled")
    assert [(r["delay"], r["reason"]) for r in retries] == [
        (60.0, FUNCTION_ERROR),
        (120.0, FUNCTION_ERROR),
    ]
    assert [r["t"] for r in retries] == [r["t"] for r in ended[:2]]
    assert started[1]["t"] == pytest.approx(ended[0]["t"] + 60)
    assert started[2]["t"] == pytest.approx(ended[1]["t"] + 120)
    # AND the event was dropped when the last attempt ended, after 3 attempts
    (dropped,) = terminal(lab, request_id)
    assert (dropped["kind"], dropped["reason"]) == ("dropped", "RetriesExhausted")
    assert dropped["approximate_invoke_count"] == 3
    assert dropped["t"] == ended[2]["t"]


def test_a_raising_handler_runs_at_0_then_60_75_then_181_25(lab):
    # GIVEN Init 0.25 s and an invoke phase of 0.5 s that always raises
    _raising(lab)
    # WHEN one event is sent
    lab.invoke("f", {}, invocation_type="Event")
    lab.run()
    # THEN the attempts start at AWS's spacing, in the same warm environment
    assert times(lab, "attempt_started") == [0.0, 60.75, 181.25]
    assert [r["env"] for r in lab.trace.filter(kind="attempt_started")] == ["env-1"] * 3
    assert times(lab, "dropped") == [181.75]


@pytest.mark.parametrize(("retries", "attempts"), [(0, 1), (1, 2), (2, 3)])
def test_maximum_retry_attempts_bounds_the_attempts(lab, retries, attempts):
    # GIVEN a failing function allowed `retries` retries
    lab.create_function("f", refuse)
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=retries)
    # WHEN one event fails every time
    lab.invoke("f", {}, invocation_type="Event")
    lab.run()
    # THEN it runs 1 + retries times and is dropped with that count
    assert len(lab.trace.filter(kind="attempt_started")) == attempts
    assert len(lab.trace.filter(kind="retry_scheduled")) == retries
    (dropped,) = lab.trace.filter(kind="dropped")
    assert (dropped["reason"], dropped["approximate_invoke_count"]) == (
        "RetriesExhausted",
        attempts,
    )


def test_success_after_one_retry_counts_two_invocations(lab):
    # GIVEN a handler that fails on its first call only
    calls = []

    def flaky(event, context):
        calls.append(context.aws_request_id)
        if len(calls) == 1:
            raise ConnectionError("database not ready")
        return {"saved": True}

    lab.create_function("f", flaky)
    # WHEN one event is sent
    request_id = lab.invoke("f", {}, invocation_type="Event").request_id
    lab.run()
    # THEN the retry succeeds 60 s later under the same request id; count 2
    assert calls == [request_id, request_id]
    assert [r["reason"] for r in lab.trace.filter(kind="retry_scheduled")] == [FUNCTION_ERROR]
    (done,) = terminal(lab, request_id)
    assert (done["kind"], done["approximate_invoke_count"]) == ("succeeded", 2)
    assert lab.metrics("f")["Errors"] == 1


# -- throttles: 1, 2, 4 ... 300 s, no retry attempt spent --------------------------------


def test_throttled_events_back_off_exponentially_up_to_5_minutes(lab):
    # GIVEN one environment at most, busy for 899 s with a first event
    lab.create_function(
        "f",
        fail_when_asked,
        timeout=900,
        reserved_concurrency=1,
        duration=lambda e: 899.0 if e.get("long") else 0.1,
    )
    lab.invoke("f", {"long": True}, invocation_type="Event")
    # WHEN a second event arrives at once
    second = lab.invoke("f", {}, invocation_type="Event").request_id
    lab.run()
    # THEN it is throttled and backs off 1, 2, 4 ... 256 s, then 300 s (the cap)
    backoff = lab.trace.filter(kind="retry_scheduled", request_id=second)
    assert {r["reason"] for r in backoff} == {"throttle"}
    assert [r["delay"] for r in backoff] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    expected = [0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 811]
    assert times(lab, "throttle", request_id=second) == expected
    assert {r["reason"] for r in lab.trace.filter(kind="throttle")} == {
        "ReservedFunctionConcurrentInvocationLimitExceeded"
    }
    # AND once the environment is free it runs as its first attempt
    (started,) = lab.trace.filter(kind="attempt_started", request_id=second)
    assert (started["t"], started["attempt"]) == (1111.0, 1)
    assert lab.metrics("f")["Throttles"] == 11


def test_throttles_never_spend_retry_attempts(lab):
    # GIVEN reserved concurrency 1, held for 20.25 s by a first event
    lab.create_function(
        "f",
        fail_when_asked,
        timeout=30,
        reserved_concurrency=1,
        duration=lambda e: 20.0 if e.get("long") else 0.1,
    )
    lab.invoke("f", {"long": True}, invocation_type="Event")
    # WHEN a failing event arrives at once
    second = lab.invoke("f", {"fail": True}, invocation_type="Event").request_id
    lab.run()
    # THEN it is throttled 5 times (0, 1, 3, 7, 15) and first runs at 31
    assert times(lab, "throttle", request_id=second) == [0, 1, 3, 7, 15]
    # AND its failure still gets both retries, at +60 s and +120 s
    started = lab.trace.filter(kind="attempt_started", request_id=second)
    assert [(r["t"], r["attempt"]) for r in started] == [
        (31.0, 1),
        (pytest.approx(91.1), 2),
        (pytest.approx(211.2), 3),
    ]
    (dropped,) = terminal(lab, second)
    assert (dropped["reason"], dropped["approximate_invoke_count"]) == ("RetriesExhausted", 3)


# -- event age, decided ahead ------------------------------------------------------------


@pytest.mark.parametrize(("age", "attempts"), [(60, 1), (90, 2)])
def test_event_age_is_decided_before_waiting_for_the_next_retry(lab, age, attempts):
    # GIVEN 2 retries but a maximum event age of `age` seconds
    failures = lab.create_queue("failures")
    lab.create_function("f", refuse)
    lab.put_function_event_invoke_config(
        "f",
        maximum_retry_attempts=2,
        maximum_event_age_in_seconds=age,
        destination_config={"OnFailure": {"Destination": failures.arn}},
    )
    # WHEN the event fails every time
    request_id = lab.invoke("f", {"amount": 10}, invocation_type="Event").request_id
    lab.run()
    # THEN it ran only as often as fits in its age
    ended = lab.trace.filter(kind="attempt_ended")
    assert len(ended) == attempts
    # AND it failed as soon as the next retry was known to start too late
    (dropped,) = terminal(lab, request_id)
    assert (dropped["reason"], dropped["approximate_invoke_count"]) == (
        "EventAgeExceeded",
        attempts,
    )
    assert dropped["t"] == ended[-1]["t"]
    assert len(lab.trace.filter(kind="retry_scheduled")) == attempts - 1
    # AND the record keeps the last error's response
    (record,) = failures.bodies
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == attempts
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "insufficient funds"


def test_an_event_throttled_until_it_ages_out_never_ran(lab):
    # GIVEN reserved concurrency 1 held for 200 s, and a 60 s event age
    failures = lab.create_queue("failures")
    lab.create_function(
        "f",
        fail_when_asked,
        timeout=300,
        reserved_concurrency=1,
        duration=lambda e: 200.0 if e.get("long") else 0.1,
    )
    lab.put_function_event_invoke_config(
        "f", maximum_event_age_in_seconds=60, destination_config={"OnFailure": failures.arn}
    )
    lab.invoke("f", {"long": True}, invocation_type="Event")
    # WHEN a second event keeps being throttled
    second = lab.invoke("f", {"n": 2}, invocation_type="Event").request_id
    lab.run()
    # THEN after the throttle at 31 s the next try (63 s) is too late: it fails then
    assert times(lab, "throttle", request_id=second) == [0, 1, 3, 7, 15, 31]
    (dropped,) = terminal(lab, second)
    assert (dropped["t"], dropped["reason"], dropped["approximate_invoke_count"]) == (
        31.0,
        "EventAgeExceeded",
        0,
    )
    assert lab.trace.filter(kind="attempt_started", request_id=second) == []
    # AND its record has no response: count 0, no responseContext, no responsePayload
    (record,) = failures.bodies
    assert list(record) == ["version", "timestamp", "requestContext", "requestPayload"]
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["requestPayload"] == {"n": 2}


# -- reserved concurrency 0 --------------------------------------------------------------


def test_reserved_concurrency_0_accepts_then_fails_the_event_without_running_it(lab):
    # GIVEN a function throttled completely, with an on-failure queue
    failures = lab.create_queue("failures")
    seen = []
    lab.create_function("f", lambda e, c: seen.append(e), reserved_concurrency=0)
    lab.put_function_event_invoke_config("f", destination_config={"OnFailure": failures.arn})
    # WHEN it is invoked asynchronously
    response = lab.invoke("f", {"amount": 10}, invocation_type="Event")
    lab.run()
    # THEN the invoke still returned 202
    assert response.status_code == 202
    # AND the event went straight to failure handling: no attempt, no retry
    assert seen == []
    assert lab.trace.filter(kind="attempt_started") == []
    assert lab.trace.filter(kind="retry_scheduled") == []
    (dropped,) = terminal(lab, response.request_id)
    assert (dropped["reason"], dropped["approximate_invoke_count"]) == (
        "ZeroReservedConcurrency",
        0,
    )
    (record,) = failures.bodies
    assert list(record) == ["version", "timestamp", "requestContext", "requestPayload"]
    assert record["requestContext"] == {
        "requestId": response.request_id,
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST",
        "condition": "ZeroReservedConcurrency",
        "approximateInvokeCount": 0,
    }
    assert record["requestPayload"] == {"amount": 10}


# -- duplicates (at-least-once) ------------------------------------------------------------


def test_a_lab_with_duplicate_probability_1_delivers_each_success_twice():
    # GIVEN a lab whose async queue always delivers a processed event once more
    lab = ll.Lab(seed=3, duplicate_delivery_probability=1.0)
    ids = []
    lab.create_function("f", lambda e, c: ids.append(c.aws_request_id))
    # WHEN one event is sent
    request_id = lab.invoke("f", {}, invocation_type="Event").request_id
    lab.run()
    # THEN the handler ran twice with the same request id
    assert ids == [request_id, request_id]
    # AND the trace shows the duplicate and two terminal records, the second flagged
    (duplicate,) = lab.trace.filter(kind="duplicate")
    assert duplicate["request_id"] == request_id
    first, second = terminal(lab, request_id)
    assert (first["kind"], "duplicate" in first) == ("succeeded", False)
    assert (second["kind"], second.get("duplicate")) == ("succeeded", True)
    assert first["t"] <= duplicate["t"] <= second["t"]
    # AND the redelivery is an attempt of its own, flagged as duplicate
    started = lab.trace.filter(kind="attempt_started")
    assert [r.get("duplicate", False) for r in started] == [False, True]


def test_a_duplicate_delivery_keeps_the_arn_the_caller_invoked():
    # GIVEN a lab that always delivers a processed event once more
    lab = ll.Lab(seed=3, duplicate_delivery_probability=1.0)
    arns = []
    lab.create_function("f", lambda e, c: arns.append(c.invoked_function_arn))
    # WHEN one event names the function "f:$LATEST"
    lab.invoke("f:$LATEST", {}, invocation_type="Event")
    lab.run()
    # THEN both deliveries see the qualified ARN
    assert arns == [lab.function_arn("f") + ":$LATEST"] * 2


@pytest.mark.parametrize(("age", "deliveries"), [(66, 2), (3600, 3)])
def test_a_duplicate_is_never_delivered_past_the_events_maximum_age(age, deliveries):
    # GIVEN duplicates always, and a handler that fails once then succeeds 70.25 s in
    lab = ll.Lab(seed=3, duplicate_delivery_probability=1.0)
    calls = []

    def flaky(event, context):
        calls.append(lab.now)
        if len(calls) == 1:
            raise ConnectionError("database not ready")

    lab.create_function("f", flaky, timeout=10, duration=5.0, init_duration=0.25)
    lab.put_function_event_invoke_config("f", maximum_event_age_in_seconds=age)
    # WHEN one event is sent
    lab.invoke("f", {}, invocation_type="Event")
    lab.run()
    # THEN it succeeds on the retry at 65.25 s ...
    assert times(lab, "attempt_started")[:2] == [0.0, 65.25]
    assert times(lab, "succeeded")[0] == 70.25
    # ... and is redelivered only if the event is still young enough at 70.25 s
    assert len(calls) == deliveries
    assert len(lab.trace.filter(kind="duplicate")) == deliveries - 2
    assert all(r["age"] <= age for r in lab.trace.filter(kind="dequeued"))


def test_duplicates_are_only_of_successful_events():
    lab = ll.Lab(seed=3, duplicate_delivery_probability=1.0)
    lab.create_function("f", refuse)
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    lab.invoke("f", {}, invocation_type="Event")
    lab.run()
    assert lab.trace.filter(kind="duplicate") == []
    assert len(lab.trace.filter(kind="attempt_started")) == 1


def test_a_function_can_override_the_labs_duplicate_probability():
    # GIVEN a lab that duplicates everything, and one function that opts out
    lab = ll.Lab(seed=3, duplicate_delivery_probability=1.0)
    lab.create_function("always", credit)
    lab.create_function("never", credit)
    lab.update_function_configuration("never", duplicate_delivery_probability=0.0)
    # WHEN each gets one event
    lab.invoke("always", {}, invocation_type="Event")
    lab.invoke("never", {}, invocation_type="Event")
    lab.run()
    # THEN only the first is delivered twice
    assert len(lab.trace.filter(kind="attempt_started", function="always")) == 2
    assert len(lab.trace.filter(kind="attempt_started", function="never")) == 1
    assert [r["function"] for r in lab.trace.filter(kind="duplicate")] == ["always"]


def test_a_function_can_opt_into_duplicates_in_a_lab_without_them(lab):
    lab.create_function("f", credit)
    lab.update_function_configuration("f", duplicate_delivery_probability=1.0)
    lab.invoke("f", {}, invocation_type="Event")
    lab.run()
    assert len(lab.trace.filter(kind="succeeded")) == 2
    assert len(lab.trace.filter(kind="duplicate")) == 1


def test_a_duplicate_probability_outside_0_to_1_is_refused(lab):
    lab.create_function("f", credit)
    with pytest.raises(ll.InvalidParameterValueException, match=r"got 1\.5$"):
        lab.update_function_configuration("f", duplicate_delivery_probability=1.5)
    assert lab.get_function("f").duplicate_probability is None


# -- metrics -------------------------------------------------------------------------------


def test_async_metrics_are_derived_from_the_trace(lab):
    # GIVEN a function where one event succeeds and one fails twice (1 retry)
    lab.create_function("f", fail_when_asked, duration=0.5, init_duration=0.25)
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=1)
    lab.invoke("f", {}, invocation_type="Event")
    lab.invoke("f", {"fail": True}, invocation_type="Event")
    lab.run()
    # THEN CloudWatch's async metrics count them
    metrics = lab.metrics("f")
    assert metrics["AsyncEventsReceived"] == 2
    assert metrics["AsyncEventsDropped"] == 1
    assert metrics["Invocations"] == 3
    assert metrics["Errors"] == 2
    # AND the event age is in milliseconds: 0, 0 and 60.75 s at each dequeue
    assert metrics["AsyncEventAge"]["Maximum"] == pytest.approx(60_750)
    assert metrics["AsyncEventAge"]["Average"] == pytest.approx(60_750 / 3)
    assert metrics["DestinationDeliveryFailures"] == 0
    assert metrics["DeadLetterErrors"] == 0


def test_a_function_invoked_only_synchronously_has_no_async_metrics(lab):
    lab.create_function("f", credit)
    lab.invoke("f", {})
    assert "AsyncEventsReceived" not in lab.metrics("f")


# -- system errors (500) ----------------------------------------------------------------
def test_service_errors_back_off_like_throttles_and_never_spend_retries():
    # GIVEN a service that fails every request itself (500) until t = 10 s
    lab = ll.Lab(seed=3, service_error_probability=1.0)
    lab.create_function("f", lambda e, c: "ok")
    lab.invoke("f", {}, invocation_type="Event")
    lab.run(until=10)
    lab.service.service_error_probability = 0.0
    lab.settle()
    # THEN the event was retried 1, 2, 4 s ... apart with reason service_error, then ran once
    errors = lab.trace.filter(kind="service_error")
    delays = [r["delay"] for r in lab.trace.filter(kind="retry_scheduled")]
    assert [r["status_code"] for r in errors] == [500] * len(errors) and len(errors) == 4
    assert delays == [1.0, 2.0, 4.0, 8.0]
    assert {r["reason"] for r in lab.trace.filter(kind="retry_scheduled")} == {"service_error"}
    (done,) = lab.trace.filter(kind="succeeded")
    assert done["approximate_invoke_count"] == 1 and done["t"] > 15


def test_a_synchronous_service_error_is_a_500_service_exception():
    lab = ll.Lab(seed=3, service_error_probability=1.0)
    lab.create_function("f", lambda e, c: "ok")
    with pytest.raises(ll.ServiceException) as info:
        lab.invoke("f", {})
    assert info.value.status_code == 500
    assert lab.trace.filter(kind="service_error")[0]["status_code"] == 500
    assert lab.trace.filter(kind="attempt_started") == []


def test_clients_retry_service_errors_and_report_them():
    lab = ll.Lab(seed=3, service_error_probability=1.0)
    lab.create_function("f", lambda e, c: "ok")
    result = lab.create_client(mode="standard").call("f", {})
    assert result.outcome == "service_error" and result.attempts == 3
    assert isinstance(result.error, ll.ServiceException)
    reasons = {r["reason"] for r in lab.trace.filter(kind="client_retry")}
    assert reasons == {"service_error"}
