"""Small parts of the world, one behaviour each: the clock, names, distributions, payloads."""

from __future__ import annotations

import datetime as dt
import random

import pytest

import lambda_lab as ll
from lambda_lab.sim.clock import SimClock
from lambda_lab.sim.invoke.payloads import encode_payload
from lambda_lab.sim.resources.base import Resource

START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


# -- the simulated wall clock ---------------------------------------------------------


def test_unix_millis_counts_milliseconds_from_the_epoch():
    # GIVEN a lab starting at 2026-01-01T00:00:00Z
    lab = ll.Lab(seed=1, start_time=START)
    epoch_ms = round(START.timestamp() * 1000)
    # THEN virtual seconds become milliseconds after that instant
    assert lab.clock.unix_millis(0) == epoch_ms
    assert lab.clock.unix_millis(1.5) == epoch_ms + 1500
    assert lab.clock.unix_millis(0.0004) == epoch_ms  # rounded to the millisecond


def test_a_naive_start_time_is_refused():
    with pytest.raises(ValueError, match="start_time must be timezone-aware"):
        SimClock(dt.datetime(2026, 1, 1))


def test_the_clock_formats_like_aws():
    lab = ll.Lab(seed=1, start_time=START)
    assert lab.clock.iso(61.2345) == "2026-01-01T00:01:01.234Z"
    assert lab.clock.iso_seconds(61.9) == "2026-01-01T00:01:01Z"
    assert lab.trace.time_of({"t": 3600.5}) == "2026-01-01T01:00:00.500Z"


# -- readable part names --------------------------------------------------------------


def test_part_names_count_from_1_per_prefix(lab):
    names = lab.world.names
    assert [names.next("x"), names.next("x"), names.next("y"), names.next("x")] == [
        "x-1",
        "x-2",
        "y-1",
        "x-3",
    ]


# -- distributions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: ll.Exponential(-1), "mean"),
        (lambda: ll.Normal(-1, 1), "mean"),
        (lambda: ll.Normal(1, -1), "stddev"),
        (lambda: ll.LogNormal(-1, 1), "median"),
        (lambda: ll.LogNormal(1, -1), "sigma"),
        (lambda: ll.Uniform(-1, 1), "low"),
        (lambda: ll.Uniform(2, 1), "high"),
        (lambda: ll.Fixed(float("nan")), "value"),
    ],
)
def test_a_bad_setting_is_refused_by_name(make, field):
    with pytest.raises(ll.InvalidParameterValueException, match=f"^{field} must be a number"):
        make()


def test_a_normal_with_no_spread_is_its_mean():
    rng = random.Random(1)
    assert {ll.Normal(10, 0).sample(rng) for _ in range(20)} == {10.0}
    assert ll.Normal(0, 0).sample(rng) == 0  # 0 itself is kept, not redrawn


def test_a_normal_near_zero_is_redrawn_below_zero_only():
    # GIVEN a normal of mean 0.5 s and spread 0.5 s
    rng = random.Random(2)
    samples = [ll.Normal(0.5, 0.5).sample(rng) for _ in range(500)]
    # THEN no draw is negative, yet draws below 1 s (and near 0) are kept
    assert min(samples) >= 0
    assert sum(s < 1 for s in samples) > 300
    assert min(samples) < 0.05


def test_distributions_are_value_objects():
    assert repr(ll.Normal(1, 2)) == "Normal(mean=1.0, stddev=2.0)"
    assert repr(ll.Exponential(3)) == "Exponential(mean=3.0)"
    assert ll.Normal(1, 2) == ll.Normal(1.0, 2.0) != ll.Normal(2, 1)
    assert ll.Normal(1, 2) != ll.LogNormal(1, 2)
    assert len({ll.Normal(1, 2), ll.Normal(1, 2), ll.Uniform(1, 2)}) == 2


# -- payloads -------------------------------------------------------------------------


def test_a_payload_that_is_not_json_is_refused_quoting_its_first_40_characters():
    text = "x" * 39 + "yz and more"
    with pytest.raises(ll.InvalidRequestContentException) as info:
        encode_payload(text, 1000)
    assert str(info.value).endswith(f"of {text[:40]!r}")
    assert "z" not in str(info.value).split(" of ")[-1]


def test_the_size_limit_counts_utf8_bytes():
    assert encode_payload('"' + "é" * 4 + '"', 10) == '"éééé"'
    with pytest.raises(ll.RequestTooLargeException, match="payload is 12 bytes"):
        encode_payload('"' + "é" * 5 + '"', 11)


# -- resources ------------------------------------------------------------------------


def test_a_resource_reads_as_its_type_and_name(lab):
    assert repr(Resource("thing", "arn:aws:x", lab.world)) == "<Resource thing>"
    assert repr(lab.create_bucket("some-bucket")).startswith("<Bucket some-bucket")
    assert lab.create_queue("q").name == "q"


def test_an_event_submitted_to_the_world_keeps_its_source(lab):
    lab.create_function("f", lambda event, context: event)
    request_id = lab.world.submit_event("f", {"n": 1}, source="arn:aws:sns:x")
    lab.run()
    (accepted,) = lab.trace.filter("accepted")
    assert accepted["request_id"] == request_id and accepted["source"] == "arn:aws:sns:x"
