"""Simulated callers: arrival patterns, SDK clients and their retries, API Gateway.

Scenarios in GIVEN / WHEN / THEN form; every assertion reads the trace or a
result object, in virtual time (nothing here sleeps).
"""

from __future__ import annotations

import json
import pickle

import pytest

import lambda_lab as ll
from lambda_lab.errors import (
    InvalidParameterValueException,
    RequestTooLargeException,
    TooManyRequestsException,
    ValidationException,
)
from lambda_lab.sim.callers.apigateway import ApiGateway
from lambda_lab.sim.callers.clients import ReadTimeoutError, SdkClient
from lambda_lab.sim.callers.traffic import Burst, Constant, Poisson, Schedule, TrafficGenerator

RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"


# -- factories ------------------------------------------------------------------
def echo(event, context):
    return event


def boom(event, context):
    raise ValueError("bad input")


def world(seed: int = 7, handler=echo, **settings) -> ll.Lab:
    """A lab with one function ``fn`` (0.1 s runs, 0.25 s cold starts by default)."""
    lab = ll.Lab(seed=seed)
    lab.create_function("fn", handler, **settings)
    return lab


def arrival_times(lab: ll.Lab, source: str) -> list[float]:
    return [r["t"] for r in lab.trace.filter("invoke", source=source)]


# -- arrival patterns -------------------------------------------------------------
def test_poisson_arrivals_repeat_for_a_seed_and_differ_across_seeds():
    # GIVEN three labs, two with the same seed
    times = []
    for seed in (7, 7, 8):
        lab = world(seed)
        # WHEN 5 requests a second arrive at random for 100 s
        gen = TrafficGenerator(lab.world, "fn", Poisson(5), stop=100)
        lab.run()
        times.append(arrival_times(lab, gen.id))
    # THEN the same seed gives the same arrivals, another seed others, about 5 x 100 of them
    assert times[0] == times[1]
    assert times[0] != times[2]
    assert 400 <= len(times[0]) <= 600
    assert all(0 < t < 100 for t in times[0])
    assert times[0] == sorted(times[0])


def test_poisson_arrivals_do_not_move_when_the_function_changes():
    # GIVEN the same seed and traffic, once with a fixed duration and once with a random one
    fixed, random_ = world(3), world(3, handler=echo, duration=ll.Exponential(0.2))
    runs = []
    for lab in (fixed, random_):
        gen = TrafficGenerator(lab.world, "fn", Poisson(20), count=200)
        lab.run()
        runs.append(arrival_times(lab, gen.id))
    # THEN the arrivals are identical: the traffic draws from a stream of its own
    assert runs[0] == runs[1]
    assert len(runs[0]) == 200


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (Constant(10), [0.0, 0.1, 0.2, 0.3, 0.4]),
        (Burst(4, at=2, spread=1), [2.0, 2.25, 2.5, 2.75]),
        (Burst(3, at=1), [1.0, 1.0, 1.0]),
        (Schedule([3, 1, 2.5]), [1.0, 2.5, 3.0]),
    ],
)
def test_deterministic_patterns_arrive_at_their_offsets_from_start(pattern, expected):
    # GIVEN a lab already at t=10
    lab = world()
    lab.run(until=10)
    # WHEN traffic starts now, at most 5 arrivals
    gen = TrafficGenerator(lab.world, "fn", pattern, count=5)
    lab.run()
    # THEN every arrival is at start + offset
    assert arrival_times(lab, gen.id) == pytest.approx([10 + t for t in expected])
    assert gen.sent == len(expected) and gen.done


def test_generator_keeps_one_arrival_on_the_heap():
    # GIVEN an empty engine
    lab = world()
    # WHEN a million arrivals are planned
    gen = TrafficGenerator(lab.world, "fn", Constant(1000), count=1_000_000)
    # THEN only the first is scheduled; each arrival schedules the next
    assert len(lab.engine) == 1
    lab.run(until=0.0105)
    assert gen.sent == 11 and not gen.done


def test_stop_count_and_cancel_end_the_traffic():
    # GIVEN steady traffic bounded by stop, and another by count
    lab = world()
    by_stop = TrafficGenerator(lab.world, "fn", Constant(2), stop=5)
    by_count = TrafficGenerator(lab.world, "fn", Constant(2), count=3, start=1)
    cancelled = TrafficGenerator(lab.world, "fn", Constant(2), stop=100)
    lab.engine.at(2.2, lambda _: cancelled.cancel())
    # WHEN the world runs
    lab.run()
    # THEN no arrival at or after stop, exactly count arrivals, none after the cancel
    assert arrival_times(lab, by_stop.id) == [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5]
    assert arrival_times(lab, by_count.id) == [1, 1.5, 2]
    assert arrival_times(lab, cancelled.id) == [0, 0.5, 1, 1.5, 2]


def test_payload_callable_gets_the_arrival_index_and_refusals_are_recorded():
    # GIVEN a handler that remembers what it saw, and a payload too large on arrival 2
    seen = []
    lab = world(handler=lambda event, context: seen.append(event["i"]))

    def payload(i):
        return {"i": i, "pad": "x" * (7 * 1024 * 1024 if i == 2 else 0)}

    # WHEN four requests arrive
    gen = TrafficGenerator(lab.world, "fn", Schedule([0, 1, 2, 3]), payload=payload)
    lab.run()
    # THEN the handler saw indexes 0, 1, 3, and the refusal is in the trace as a 413
    assert seen == [0, 1, 3]
    (rejected,) = lab.trace.filter("request_rejected")
    assert rejected["t"] == 2 and rejected["index"] == 2 and rejected["source"] == gen.id
    assert rejected["error_code"] == "RequestTooLargeException"
    assert rejected["status_code"] == 413
    assert gen.sent == 4 and gen.rejected == 1


@pytest.mark.parametrize(
    ("make", "error", "tail"),
    [
        (
            lambda: Poisson(0),
            ValidationException,
            "(rate must be greater than 0 and at most 100000, got 0)",
        ),
        (
            lambda: Constant(-1),
            ValidationException,
            "(rate must be greater than 0 and at most 100000, got -1)",
        ),
        (lambda: Burst(0), ValidationException, "(count must be between 1 and 1000000, got 0)"),
        (lambda: Burst(3, at=-1), ValidationException, "(at must be at least 0, got -1)"),
        (
            lambda: Schedule([1, -2]),
            InvalidParameterValueException,
            "times[1] must be a number of seconds >= 0, got -2",
        ),
        (
            lambda: Schedule("1,2"),
            InvalidParameterValueException,
            "times must be a list of seconds, got '1,2'",
        ),
    ],
)
def test_bad_patterns_name_the_field_the_value_and_the_range(make, error, tail):
    with pytest.raises(error) as info:
        make()
    assert str(info.value).endswith(tail)


def test_bad_traffic_settings_are_refused_before_anything_is_scheduled():
    lab = world()
    lab.run(until=5)
    with pytest.raises(ValidationException) as info:
        TrafficGenerator(lab.world, "fn", Burst(1), invocation_type="DryRun")
    assert str(info.value).endswith(
        "(invocation_type must be one of RequestResponse, Event, got 'DryRun')"
    )
    with pytest.raises(InvalidParameterValueException, match="never ends: give stop"):
        TrafficGenerator(lab.world, "fn", Poisson(1))
    with pytest.raises(InvalidParameterValueException, match="at least the current time 5"):
        TrafficGenerator(lab.world, "fn", Burst(1), start=1)
    with pytest.raises(InvalidParameterValueException, match="stop must be later than start"):
        TrafficGenerator(lab.world, "fn", Constant(1), stop=5)
    with pytest.raises(
        ValidationException, match=r"\(count must be between 1 and 1000000, got 0\)"
    ):
        TrafficGenerator(lab.world, "fn", Constant(1), count=0)
    with pytest.raises(InvalidParameterValueException, match="pattern must be"):
        TrafficGenerator(lab.world, "fn", [1, 2])
    with pytest.raises(ll.ResourceNotFoundException):
        TrafficGenerator(lab.world, "nope", Burst(1))
    with pytest.raises(RequestTooLargeException):
        TrafficGenerator(lab.world, "fn", Burst(1), payload="[" + "1," * 4_000_000 + "1]")
    assert len(lab.engine) == 0 and len(lab.trace) == 0


# -- SDK clients ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("config", "attempts"),
    [
        ({}, 5),
        ({"mode": "standard"}, 3),
        ({"mode": "none"}, 1),
        ({"max_attempts": 1}, 2),
        ({"total_max_attempts": 2}, 2),
    ],
)
def test_client_retries_a_throttled_call_then_gives_up(config, attempts):
    # GIVEN a function that can never run (reserved concurrency 0)
    lab = world(reserved_concurrency=0)
    client = SdkClient(lab.world, config)
    # WHEN the client calls it
    result = client.call("fn", {"n": 1})
    # THEN it made every attempt, each throttled with its own request id, and then gave up
    assert result.outcome == "throttled" and result.attempts == attempts
    assert len(set(result.request_ids)) == attempts
    throttles = lab.trace.filter("throttle", function="fn")
    assert [r["request_id"] for r in throttles] == list(result.request_ids)
    retries = lab.trace.filter("client_retry", client=client.id)
    assert [r["attempt"] for r in retries] == list(range(1, attempts))
    assert all(r["reason"] == "throttle" for r in retries)
    mode = config.get("mode", "legacy")
    for r in retries:  # botocore's jittered backoff: rand * 2 ** (attempt - 1)
        assert 0 <= r["delay"] < 2 ** (r["attempt"] - 1)
    assert isinstance(result.error, TooManyRequestsException)
    assert result.error.reason == RESERVED_LIMIT
    (done,) = lab.trace.filter("client_done", client=client.id)
    assert done["outcome"] == "throttled" and done["attempts"] == attempts
    assert done["status_code"] == 429 and done["error_code"] == "TooManyRequestsException"
    assert done["request_ids"] == list(result.request_ids)
    assert done["t"] == pytest.approx(sum(r["delay"] for r in retries))
    assert mode in repr(client)


def test_standard_mode_caps_each_delay_at_20_seconds():
    lab = world(reserved_concurrency=0)
    client = SdkClient(lab.world, {"mode": "standard", "total_max_attempts": 10})
    client.call("fn")
    delays = [r["delay"] for r in lab.trace.filter("client_retry")]
    assert len(delays) == 9 and max(delays) == 20.0


def test_client_retry_succeeds_once_concurrency_frees_up():
    # GIVEN one slot of concurrency, taken until t=1.25 by a request sent at t=0
    lab = world(reserved_concurrency=1, duration=1.0)
    first = SdkClient(lab.world).invoke("fn")
    # WHEN a second client calls at the same instant
    result = SdkClient(lab.world).call("fn")
    # THEN its first attempt is throttled and a later one answers
    assert result.outcome == "response" and result.ok and result.attempts >= 2
    assert lab.trace.filter("throttle")[0]["request_id"] == result.request_ids[0]
    assert result.response.request_id == result.request_ids[-1]
    assert first.result.outcome == "response" and first.result.attempts == 1


def test_function_errors_are_responses_and_never_retried():
    # GIVEN a handler that raises
    lab = world(handler=boom)
    # WHEN a legacy client calls it
    result = SdkClient(lab.world).call("fn")
    # THEN one attempt, answered 200 with FunctionError, and no retry
    assert result.outcome == "response" and result.attempts == 1 and not result.ok
    assert result.response.status_code == 200
    assert result.response.function_error == "Unhandled"
    assert lab.trace.filter("client_retry") == []
    (done,) = lab.trace.filter("client_done")
    assert done["function_error"] == "Unhandled" and done["status_code"] == 200


def test_read_timeout_trap_runs_a_long_function_several_times():
    # GIVEN a 120 s function and boto3's defaults (legacy, read timeout 60 s)
    lab = world(timeout=150, duration=120)
    client = SdkClient(lab.world)
    # WHEN one call is made
    result = client.call("fn", {"order": 42})
    lab.run()
    # THEN the client gave up after 5 read timeouts, and the function ran 5 times
    assert result.outcome == "gave_up" and result.attempts == 5
    assert isinstance(result.error, ReadTimeoutError) and result.error.code == "ReadTimeoutError"
    started = lab.trace.filter("attempt_started", function="fn")
    assert len(started) == 5 > 1
    ids = [r["request_id"] for r in started]
    assert len(set(ids)) == 5 and ids == list(result.request_ids)
    ended = lab.trace.filter("attempt_ended", function="fn")
    assert sorted(r["request_id"] for r in ended) == sorted(ids)
    assert all(r["status"] == "ok" for r in ended)  # every run completed, unseen by the client
    requests = lab.trace.filter("client_request", client=client.id)
    timeouts = lab.trace.filter("client_timeout", client=client.id)
    assert [t["t"] - r["t"] for r, t in zip(requests, timeouts, strict=True)] == pytest.approx(
        [60.0] * 5
    )
    assert all(r["reason"] == "read_timeout" for r in lab.trace.filter("client_retry"))
    assert lab.trace.filter("client_done")[0]["status_code"] is None


@pytest.mark.parametrize(
    "config", [{"read_timeout": 900}, {"max_attempts": 0}, {"total_max_attempts": 1}]
)
def test_read_timeout_trap_fixes(config):
    # GIVEN the same 120 s function
    lab = world(timeout=150, duration=120)
    # WHEN the client waits long enough, or does not retry
    result = SdkClient(lab.world, config).call("fn")
    lab.run()
    # THEN the function runs exactly once
    assert len(lab.trace.filter("attempt_started", function="fn")) == 1
    assert result.attempts == 1


def test_client_invoke_inside_the_simulation_calls_on_done():
    lab = world()
    client = SdkClient(lab.world, name="mobile-app")
    results = []
    lab.engine.at(3, lambda _: client.invoke("fn", {"a": 1}, on_done=results.append))
    lab.run()
    (result,) = results
    assert result.response.payload == {"a": 1} and result.client == "mobile-app"
    assert result.start == 3 and result.latency == pytest.approx(0.35)
    assert lab.trace.filter("invoke")[0]["source"] == "mobile-app"


def test_bad_client_settings_are_refused():
    lab = world()
    with pytest.raises(ValidationException) as info:
        SdkClient(lab.world, {"read_timeout": 0})
    assert str(info.value).endswith("(read_timeout must be greater than 0 and at most 3600, got 0)")
    with pytest.raises(ValidationException, match="mode must be one of legacy, standard, none"):
        SdkClient(lab.world, {"mode": "adaptive"})
    with pytest.raises(InvalidParameterValueException, match="exactly 1 attempt, got total"):
        SdkClient(lab.world, ll.ClientConfig(mode="none", max_attempts=3))
    with pytest.raises(InvalidParameterValueException, match="config must be a ClientConfig"):
        SdkClient(lab.world, "legacy")
    with pytest.raises(InvalidParameterValueException, match="name must be a non-empty string"):
        SdkClient(lab.world, name="")


def test_read_timeout_error_reads_like_botocore_and_pickles():
    error = ReadTimeoutError("https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/f/x")
    assert str(error).startswith('Read timeout on endpoint URL: "https://lambda.us-east-1')
    assert str(pickle.loads(pickle.dumps(error))) == str(error)
    assert isinstance(error, TimeoutError) and isinstance(error, ll.LambdaLabError)


# -- API Gateway ------------------------------------------------------------------
def test_api_gateway_answers_504_at_29_s_while_the_function_runs_on():
    # GIVEN a function that runs 40 s of its 60 s timeout, behind API Gateway
    lab = world(timeout=60, duration=40)
    api = ApiGateway(lab.world, "fn")
    # WHEN a request comes in at t=0
    response = api.call({"q": 1})
    lab.run()
    # THEN the caller gets 504 at t=29 and the function's attempt ends later, fine
    assert response.status_code == 504 and response.end == 29.0
    assert response.body == {"message": "Endpoint request timed out"}
    (answer,) = lab.trace.filter("apigw_response", api=api.id)
    assert answer["t"] == 29.0 and answer["status_code"] == 504
    assert answer["reason"] == "integration_timeout"
    (ended,) = lab.trace.filter("attempt_ended", request_id=response.request_id)
    assert ended["t"] == pytest.approx(40.25) and ended["t"] > answer["t"]
    assert ended["status"] == "ok"


@pytest.mark.parametrize(
    ("handler", "reserved", "status", "body", "reason"),
    [
        (echo, None, 200, {"q": 1}, None),
        (lambda e, c: {"statusCode": 201, "body": "made"}, None, 201, "made", None),
        (
            lambda e, c: {"statusCode": "ok"},
            None,
            502,
            {"message": "Internal server error"},
            "malformed_response",
        ),
        (boom, None, 502, {"message": "Internal server error"}, "function_error"),
        (echo, 0, 500, {"message": "Internal server error"}, "throttle"),
    ],
)
def test_api_gateway_maps_the_lambda_outcome_to_a_status(handler, reserved, status, body, reason):
    lab = world(handler=handler, reserved_concurrency=reserved)
    api = ApiGateway(lab.world, "fn", integration_timeout=10)
    response = api.call({"q": 1})
    assert (response.status_code, response.body) == (status, body)
    (record,) = lab.trace.filter("apigw_response")
    assert record["status_code"] == status and record.get("reason") == reason
    assert record["request_id"] == response.request_id != ""


def test_api_gateway_integration_timeout_range():
    lab = world(timeout=60, duration=40)
    with pytest.raises(ValidationException) as info:
        ApiGateway(lab.world, "fn", integration_timeout=30)
    assert "(integration_timeout must be between 0.05 and 29, got 30;" in str(info.value)
    with pytest.raises(ValidationException) as info:
        ApiGateway(lab.world, "fn", integration_timeout=0.01)
    assert str(info.value).endswith("(integration_timeout must be at least 0.05, got 0.01)")
    with pytest.raises(ValidationException, match="max_integration_timeout must be between 29"):
        ApiGateway(lab.world, "fn", max_integration_timeout=301)
    # A Regional REST API whose quota was raised (since June 2024) waits for the 40 s function.
    api = ApiGateway(lab.world, "fn", integration_timeout=45, max_integration_timeout=60)
    assert api.call().status_code == 200


# -- traffic through clients ------------------------------------------------------
def test_burst_through_api_gateway_turns_throttles_into_500s():
    # GIVEN two slots of concurrency behind an API
    lab = world(reserved_concurrency=2)
    api = ApiGateway(lab.world, "fn")
    # WHEN five requests arrive at once
    TrafficGenerator(lab.world, "fn", Burst(5), client=api)
    lab.run()
    # THEN two are served and three refused with 500, at once
    codes = [(r["t"], r["status_code"]) for r in lab.trace.filter("apigw_response")]
    assert sorted(codes) == [(0, 500), (0, 500), (0, 500), (0.35, 200), (0.35, 200)]


def test_burst_through_a_client_retries_throttles():
    # GIVEN one slot of concurrency and a standard-mode client
    lab = world(reserved_concurrency=1)
    client = SdkClient(lab.world, {"mode": "standard"})
    # WHEN three requests arrive at once through the client
    gen = TrafficGenerator(lab.world, "fn", Burst(3), client=client)
    lab.run()
    # THEN the client retried some, and each call finished within 3 attempts
    done = lab.trace.filter("client_done", client=client.id)
    assert len(done) == 3 == gen.sent
    assert lab.trace.filter("client_retry", reason="throttle")
    assert all(1 <= r["attempts"] <= 3 for r in done)


def test_clients_must_match_the_traffic():
    lab = world()
    lab.create_function("other", echo)
    with pytest.raises(InvalidParameterValueException, match="client must front function 'fn'"):
        TrafficGenerator(lab.world, "fn", Burst(1), client=ApiGateway(lab.world, "other"))
    with pytest.raises(InvalidParameterValueException, match="another lab"):
        TrafficGenerator(lab.world, "fn", Burst(1), client=SdkClient(world().world))
    with pytest.raises(InvalidParameterValueException, match="SdkClient or an ApiGateway"):
        TrafficGenerator(lab.world, "fn", Burst(1), client=object())


# -- asynchronous arrivals --------------------------------------------------------
def test_event_arrivals_go_to_submit_event(monkeypatch):
    # GIVEN a lab whose asynchronous path is replaced by a recorder, and a payload
    # too large for an event at arrival 2
    lab = world()
    submitted = []

    def submit_now(fn, body, source):
        payload = json.loads(body)
        submitted.append((lab.now, fn.name, payload, source))
        return f"req-{payload['i']}"

    monkeypatch.setattr(lab.world.events, "submit_now", submit_now)

    def payload(i):
        return {"i": i, "pad": "x" * (2_000_000 if i == 2 else 0)}

    # WHEN four events arrive, one a second
    gen = TrafficGenerator(
        lab.world, "fn", Constant(1), payload=payload, invocation_type="Event", count=4
    )
    lab.run()
    # THEN three were submitted with the generator as source, and one refused
    assert submitted == [
        (0, "fn", {"i": 0, "pad": ""}, gen.id),
        (1, "fn", {"i": 1, "pad": ""}, gen.id),
        (3, "fn", {"i": 3, "pad": ""}, gen.id),
    ]
    assert [r["index"] for r in lab.trace.filter("request_rejected")] == [2]
    with pytest.raises(InvalidParameterValueException, match="RequestResponse' only"):
        TrafficGenerator(
            lab.world, "fn", Burst(1), invocation_type="Event", client=SdkClient(lab.world)
        )


def test_event_traffic_reaches_the_asynchronous_path():
    lab = world()
    gen = TrafficGenerator(lab.world, "fn", Poisson(2), invocation_type="Event", stop=30)
    lab.run()
    assert gen.sent > 0
    assert lab.metrics("fn")["AsyncEventsReceived"] == gen.sent


# -- the trace ----------------------------------------------------------------------
def test_same_seed_same_trace_and_it_is_plain_json():
    def scenario() -> str:
        lab = world(11, reserved_concurrency=3, duration=ll.Exponential(2.0))
        client = SdkClient(lab.world, {"mode": "standard", "read_timeout": 3})
        TrafficGenerator(lab.world, "fn", Poisson(4), stop=20, client=client)
        TrafficGenerator(
            lab.world, "fn", Poisson(1), stop=20, client=ApiGateway(lab.world, "fn", 2.5)
        )
        lab.run()
        return lab.trace.to_json()

    first = scenario()
    assert first == scenario()
    kinds = {r["kind"] for r in json.loads(first)}
    assert {"client_request", "client_retry", "client_timeout", "client_done"} <= kinds
    assert {"apigw_request", "apigw_response"} <= kinds
