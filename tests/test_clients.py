"""SDK clients: their trace records, backoff bounds, errors and read-timeout deadline.

GIVEN / WHEN / THEN scenarios in virtual time; assertions read the trace and
the :class:`ClientResult`.
"""

from __future__ import annotations

import pytest

import lambda_lab as ll
from lambda_lab.sim.callers.clients import STANDARD_MAX_BACKOFF, SdkClient

ENDPOINT = "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions"


def echo(event, context):
    return event


def lab_with(seed: int = 7, **settings) -> ll.Lab:
    lab = ll.Lab(seed=seed)
    lab.create_function("fn", echo, **settings)
    return lab


def test_a_read_timeout_writes_request_timeout_retry_and_done_records():
    # GIVEN a 10 s function and a client waiting 2 s, 2 attempts in all
    lab = lab_with(timeout=30, duration=10)
    client = SdkClient(lab.world, {"total_max_attempts": 2, "read_timeout": 2}, name="c")
    # WHEN it invokes
    result = client.call("fn", {"n": 1})
    # THEN every record names the client, the function, the attempt and its request id
    first, second = result.request_ids
    records = lab.trace.filter(["client_request", "client_timeout", "client_retry"])
    (retry,) = [r for r in records if r["kind"] == "client_retry"]
    delay = retry["delay"]
    assert 0 <= delay < 1
    assert records == [
        {
            "t": 0,
            "kind": "client_request",
            "client": "c",
            "function": "fn",
            "attempt": 1,
            "request_id": first,
        },
        {
            "t": 2,
            "kind": "client_timeout",
            "client": "c",
            "function": "fn",
            "attempt": 1,
            "request_id": first,
            "read_timeout": 2,
        },
        {
            "t": 2,
            "kind": "client_retry",
            "client": "c",
            "function": "fn",
            "attempt": 1,
            "request_id": first,
            "reason": "read_timeout",
            "delay": delay,
        },
        {
            "t": 2 + delay,
            "kind": "client_request",
            "client": "c",
            "function": "fn",
            "attempt": 2,
            "request_id": second,
        },
        {
            "t": 4 + delay,
            "kind": "client_timeout",
            "client": "c",
            "function": "fn",
            "attempt": 2,
            "request_id": second,
            "read_timeout": 2,
        },
    ]
    # AND the client gives up with botocore's ReadTimeoutError naming the endpoint
    assert (result.outcome, result.attempts, result.response) == ("gave_up", 2, None)
    assert isinstance(result.error, ll.LambdaLabError)
    assert str(result.error) == f'Read timeout on endpoint URL: "{ENDPOINT}/fn/invocations"'
    (done,) = lab.trace.filter("client_done")
    assert done == {
        "t": 4 + delay,
        "kind": "client_done",
        "client": "c",
        "function": "fn",
        "outcome": "gave_up",
        "attempts": 2,
        "request_ids": [first, second],
        "latency": 4 + delay,
        "status_code": None,
        "error_code": "ReadTimeoutError",
    }
    assert (result.start, result.end, result.latency) == (0, 4 + delay, 4 + delay)
    assert result.client == "c" and result.function_name == "fn" and not result.ok


def test_a_response_exactly_at_the_read_timeout_is_too_late():
    # GIVEN a function whose attempt ends exactly when the client stops waiting
    lab = lab_with(timeout=30, duration=1.75, init_duration=0.25)
    client = SdkClient(lab.world, {"mode": "none", "read_timeout": 2})
    # WHEN it invokes THEN it gave up, though the attempt ended fine at that instant
    result = client.call("fn")
    lab.run()
    assert result.outcome == "gave_up"
    (ended,) = lab.trace.filter("attempt_ended")
    assert ended["t"] == 2 and ended["status"] == "ok"


def test_a_response_a_hair_before_the_read_timeout_is_taken():
    lab = lab_with(timeout=30, duration=1.74, init_duration=0.25)
    client = SdkClient(lab.world, {"mode": "none", "read_timeout": 2})
    result = client.call("fn", {"n": 1})
    assert result.outcome == "response" and result.ok
    assert result.response.payload == {"n": 1}
    lab.run()
    assert lab.trace.filter("client_timeout") == []


def test_throttled_to_the_end_gives_rate_exceeded_and_its_reason():
    # GIVEN a function with no concurrency and a 3-attempt client
    lab = lab_with(reserved_concurrency=0)
    client = SdkClient(lab.world, {"mode": "standard"})
    result = client.call("fn")
    # THEN every attempt was refused; the error is Lambda's 429
    assert (result.outcome, result.attempts) == ("throttled", 3)
    assert isinstance(result.error, ll.TooManyRequestsException)
    assert str(result.error).startswith("Rate Exceeded.")
    retries = lab.trace.filter("client_retry")
    assert [(r["attempt"], r["reason"]) for r in retries] == [(1, "throttle"), (2, "throttle")]
    assert [r["request_id"] for r in retries] == list(result.request_ids[:2])
    (done,) = lab.trace.filter("client_done")
    assert (done["status_code"], done["error_code"]) == (429, "TooManyRequestsException")


def test_service_errors_to_the_end_give_a_service_exception():
    lab = ll.Lab(seed=7, service_error_probability=1.0)
    lab.create_function("fn", echo)
    result = SdkClient(lab.world, {"mode": "standard"}).call("fn")
    assert (result.outcome, result.attempts) == ("service_error", 3)
    assert isinstance(result.error, ll.ServiceException)
    assert str(result.error).startswith("An error occurred (ServiceException) when calling Invoke.")
    reasons = [r["reason"] for r in lab.trace.filter("client_retry")]
    assert reasons == ["service_error", "service_error"]
    (done,) = lab.trace.filter("client_done")
    assert (done["status_code"], done["error_code"]) == (500, "ServiceException")


@pytest.mark.parametrize("mode", ["legacy", "standard"])
def test_the_delay_before_retry_n_plus_1_is_below_2_to_the_n_minus_1(mode):
    # GIVEN a client retrying 8 times a function that is never allowed to run
    lab = lab_with(seed=3, reserved_concurrency=0)
    SdkClient(lab.world, {"mode": mode, "total_max_attempts": 9}).call("fn")
    delays = [(r["attempt"], r["delay"]) for r in lab.trace.filter("client_retry")]
    assert [n for n, _ in delays] == list(range(1, 9))
    # THEN each delay is rand * 2 ** (n - 1), capped at 20 s in standard mode only
    for n, delay in delays:
        bound = 2 ** (n - 1)
        if mode == "standard":
            assert 0 <= delay <= min(bound, STANDARD_MAX_BACKOFF)
        else:
            assert 0 <= delay < bound
    # AND the exponent is n - 1: some delay is above half its bound
    assert any(delay >= 2 ** (n - 2) for n, delay in delays)


def test_legacy_mode_never_caps_the_delay():
    lab = lab_with(seed=3, reserved_concurrency=0)
    SdkClient(lab.world, {"mode": "legacy", "total_max_attempts": 12}).call("fn")
    assert max(r["delay"] for r in lab.trace.filter("client_retry")) > STANDARD_MAX_BACKOFF


def test_standard_mode_caps_the_delay_at_20_s():
    lab = lab_with(seed=3, reserved_concurrency=0)
    SdkClient(lab.world, {"mode": "standard", "total_max_attempts": 12}).call("fn")
    last = [r["delay"] for r in lab.trace.filter("client_retry")][-3:]
    assert all(d <= STANDARD_MAX_BACKOFF for d in last)
    assert STANDARD_MAX_BACKOFF in last or max(last) > 2**3


def test_clients_are_named_client_1_client_2_and_their_calls_read_well(lab):
    lab.create_function("fn", echo)
    first, second = SdkClient(lab.world), SdkClient(lab.world, {"mode": "standard"})
    assert (first.id, second.id) == ("client-1", "client-2")
    call = first.invoke("fn", {"n": 1})
    assert repr(call) in ("<ClientCall fn: attempt 1>", "<ClientCall fn: response>")
    lab.run()
    assert repr(call) == "<ClientCall fn: response>" and call.done
    assert call.result.response.payload == {"n": 1}
    assert repr(second) == "<SdkClient client-2: mode=standard max_attempts=3 read_timeout=60s>"


def test_a_call_in_flight_reads_its_attempt():
    lab = lab_with(timeout=30, duration=10)
    call = SdkClient(lab.world).invoke("fn")
    assert repr(call) == "<ClientCall fn: attempt 1>" and not call.done
    lab.run(until=1)
    assert call.pending is not None and call.pending.open


def test_the_latency_counts_from_the_call_not_from_zero(lab):
    lab.create_function("fn", echo)
    lab.run(until=5)
    result = SdkClient(lab.world).call("fn")
    (done,) = lab.trace.filter("client_done")
    assert result.start == 5
    assert done["latency"] == result.latency == result.end - 5


def test_on_done_gets_the_result(lab):
    lab.create_function("fn", echo)
    results = []
    call = SdkClient(lab.world).invoke("fn", {"n": 2}, on_done=results.append)
    lab.run()
    assert results == [call.result]
    (done,) = lab.trace.filter("client_done")
    assert (done["status_code"], done["function_error"]) == (200, None)


def test_a_refused_or_answered_attempt_is_no_longer_waited_for():
    # GIVEN one call refused at once and one answered
    lab = lab_with(reserved_concurrency=0)
    refused = SdkClient(lab.world, {"mode": "none"}).invoke("fn")
    lab.run()
    # THEN neither attempt is open any more
    assert refused.done and refused.pending.refusal is not None
    assert refused.pending.open is False
    lab2 = lab_with()
    answered = SdkClient(lab2.world).invoke("fn")
    lab2.run()
    assert answered.done and answered.pending.refusal is None
    assert answered.pending.open is False
