"""Traffic generators at their edges: records, counters, names, and validation messages."""

from __future__ import annotations

import random

import pytest

import lambda_lab as ll
from lambda_lab.sim.callers.clients import SdkClient
from lambda_lab.sim.callers.traffic import Burst, Constant, Poisson, Schedule, TrafficGenerator


def echo(event, context):
    return event


def lab_with_fn() -> ll.Lab:
    lab = ll.Lab(seed=7)
    lab.create_function("fn", echo)
    return lab


def test_poisson_arrivals_start_after_the_first_gap_from_zero():
    # GIVEN a Poisson pattern drawn from a known generator
    offsets = Poisson(2.0).offsets(random.Random(5))
    first = next(offsets)
    # THEN the first arrival is the first exponential gap after 0, not after 1
    assert first == random.Random(5).expovariate(2.0)


def test_every_refused_request_is_counted_and_recorded_in_full():
    # GIVEN a generator whose arrivals 1 and 2 are not JSON
    lab = lab_with_fn()
    payloads = ["{}", "{bad", "{bad", "{}"]
    gen = TrafficGenerator(
        lab.world, "fn", Schedule([0, 1, 2, 3]), payload=lambda i: payloads[i], name="load"
    )
    lab.run()
    # THEN both refusals are counted and recorded with the function and the message
    assert (gen.sent, gen.rejected) == (4, 2)
    records = lab.trace.filter("request_rejected")
    assert [(r["t"], r["index"]) for r in records] == [(1, 1), (2, 2)]
    first = records[0]
    assert first["function"] == "fn" and first["source"] == "load"
    assert first["error_code"] == "InvalidRequestContentException"
    assert first["status_code"] == 400
    assert first["message"].startswith("Could not parse request body into json")


def test_generators_are_named_traffic_1_and_read_their_state():
    lab = lab_with_fn()
    first = TrafficGenerator(lab.world, "fn", Burst(2))
    second = TrafficGenerator(lab.world, "fn", Burst(1), invocation_type="Event")
    assert (first.id, second.id) == ("traffic-1", "traffic-2")
    assert first.pattern == Burst(2) and second.invocation_type == "Event"
    assert first.client is None
    assert repr(first) == (
        "<TrafficGenerator traffic-1 -> fn: Burst(count=2, at=0.0, spread=0.0), "
        "RequestResponse, sent=0, running>"
    )
    lab.run()
    assert repr(first).endswith("sent=2, done>")


def test_a_generator_keeps_its_client():
    lab = lab_with_fn()
    client = SdkClient(lab.world)
    gen = TrafficGenerator(lab.world, "fn", Burst(1), client=client)
    assert gen.client is client
    lab.run()
    assert len(lab.trace.filter("client_done")) == 1


def test_a_bad_generator_name_is_refused():
    lab = lab_with_fn()
    with pytest.raises(ll.InvalidParameterValueException, match="name must be a non-empty"):
        TrafficGenerator(lab.world, "fn", Burst(1), name="")


def test_a_fixed_event_payload_is_checked_up_front_and_sent_as_is():
    lab = lab_with_fn()
    with pytest.raises(ll.InvalidRequestContentException):
        TrafficGenerator(lab.world, "fn", Burst(1), payload="{bad", invocation_type="Event")
    seen = []
    lab.create_function("g", lambda event, context: seen.append(event))
    TrafficGenerator(lab.world, "g", Burst(2), payload={"k": 1}, invocation_type="Event")
    lab.run()
    assert seen == [{"k": 1}, {"k": 1}]


@pytest.mark.parametrize(
    ("times", "message"),
    [
        ([0, True], r"times\[1\] must be a number of seconds >= 0, got True"),
        ([0, "1"], r"times\[1\] must be a number of seconds >= 0, got '1'"),
        ([-1], r"times\[0\] must be a number of seconds >= 0, got -1"),
        ([float("nan")], r"times\[0\] must be a number of seconds >= 0"),
        ([1, float("inf")], r"times\[1\] must be finite, got inf"),
        ("0,1", r"times must be a list of seconds"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_entry(times, message):
    with pytest.raises(ll.InvalidParameterValueException, match=message):
        Schedule(times)


def test_constant_arrivals_are_evenly_spaced_from_the_start():
    offsets = Constant(4).offsets(random.Random(1))
    assert [next(offsets) for _ in range(4)] == [0, 0.25, 0.5, 0.75]
