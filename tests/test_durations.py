"""Simulated durations: numbers, seeded distributions, callables of the event."""

from __future__ import annotations

import math
import random
import statistics

import pytest

import lambda_lab as ll


def noop(event, context):
    return None


def durations_of(seed: int, spec, calls: int = 8) -> list[float]:
    lab = ll.Lab(seed=seed)
    lab.create_function("f", noop, duration=spec, timeout=900)
    return [lab.invoke("f").duration for _ in range(calls)]


@pytest.mark.parametrize(
    "spec",
    [ll.Uniform(0.1, 2.0), ll.Exponential(0.5), ll.Normal(1.0, 0.3), ll.LogNormal(0.2, 1.0)],
    ids=repr,
)
def test_distributions_are_seeded_and_deterministic(spec):
    # GIVEN the same distribution in labs with the same and with another seed
    first, again, other = durations_of(11, spec), durations_of(11, spec), durations_of(12, spec)
    # THEN the same seed gives the same draws, another seed other draws
    assert first == again
    assert first != other
    assert len(set(first)) == len(first)  # really drawn, not constant


def test_a_number_is_a_fixed_duration():
    assert durations_of(1, 0.25, calls=3) == [0.25, 0.25, 0.25]
    assert durations_of(1, ll.Fixed(0.5), calls=2) == [0.5, 0.5]


def test_init_duration_can_be_a_distribution():
    lab = ll.Lab(seed=3)
    lab.create_function("f", noop, init_duration=ll.Uniform(1.0, 2.0))
    response = lab.invoke("f")
    assert 1.0 <= response.init_duration <= 2.0
    assert response.init_duration != 1.5


def test_a_callable_of_the_event_sets_the_duration(lab):
    # GIVEN a duration that grows with the batch size
    lab.create_function("batch", noop, duration=lambda event: 0.01 * len(event["records"]))
    # THEN a batch of 100 takes 100 times as long as a batch of 1
    assert lab.invoke("batch", {"records": [0]}).duration == pytest.approx(0.01)
    assert lab.invoke("batch", {"records": list(range(100))}).duration == pytest.approx(1.0)


def test_a_callable_may_return_a_distribution(lab):
    lab.create_function(
        "f", noop, duration=lambda e: ll.Fixed(0.1) if e.get("small") else ll.Uniform(5, 6)
    )
    assert lab.invoke("f", {"small": True}).duration == 0.1
    assert lab.invoke("f", {}).payload["errorType"] == "Sandbox.Timedout"


@pytest.mark.parametrize(
    ("spec", "draws_ok"),
    [
        (ll.Uniform(1.0, 3.0), lambda xs: all(1.0 <= x <= 3.0 for x in xs)),
        (ll.Normal(0.1, 1.0), lambda xs: all(x >= 0 for x in xs)),
        (ll.Exponential(2.0), lambda xs: all(x >= 0 for x in xs)),
        (ll.LogNormal(0.0, 1.0), lambda xs: all(x == 0 for x in xs)),
    ],
    ids=repr,
)
def test_draws_stay_in_range(spec, draws_ok):
    rng = random.Random(0)
    assert draws_ok([spec.sample(rng) for _ in range(500)])


def test_sample_statistics_match_the_parameters():
    rng = random.Random(0)
    exp = [ll.Exponential(2.0).sample(rng) for _ in range(20_000)]
    assert statistics.fmean(exp) == pytest.approx(2.0, rel=0.05)
    logn = [ll.LogNormal(0.3, 0.8).sample(rng) for _ in range(20_000)]
    assert statistics.median(logn) == pytest.approx(0.3, rel=0.05)
    assert statistics.fmean(logn) == pytest.approx(ll.LogNormal(0.3, 0.8).mean, rel=0.05)


def test_means_repr_and_equality():
    assert ll.Uniform(1, 3).mean == 2.0
    assert ll.Fixed(0.5).mean == 0.5
    assert ll.LogNormal(1.0, 0.0).mean == 1.0
    assert ll.LogNormal(1.0, 1.0).mean == pytest.approx(math.exp(0.5))
    assert ll.Uniform(1, 2) == ll.Uniform(1.0, 2.0)
    assert ll.Uniform(1, 2) != ll.Uniform(1, 3)
    assert ll.Uniform(1, 2) != ll.Fixed(1)
    assert hash(ll.Normal(1, 2)) == hash(ll.Normal(1, 2))
    assert repr(ll.Uniform(1, 2)) == "Uniform(low=1.0, high=2.0)"
    assert repr(ll.Exponential(2)) == "Exponential(mean=2.0)"
    assert repr(ll.Normal(1, 2)) == "Normal(mean=1.0, stddev=2.0)"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ll.Fixed(-1), "value must be a number >= 0, got -1"),
        (lambda: ll.Uniform(2, 1), "high must be a number >= 2, got 1"),
        (lambda: ll.Uniform(-1, 1), "low must be a number >= 0, got -1"),
        (lambda: ll.Exponential(0), "mean must be a number > 0, got 0"),
        (lambda: ll.Normal(1, "wide"), "stddev must be a number >= 0, got 'wide'"),
        (lambda: ll.LogNormal(float("nan"), 1), "median must be a number >= 0, got nan"),
    ],
)
def test_bad_distribution_parameters_are_invalid(make, message):
    with pytest.raises(ll.InvalidParameterValueException) as info:
        make()
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"duration": -0.5}, "duration must be a number >= 0, got -0.5"),
        ({"init_duration": -1}, "init_duration must be a number >= 0, got -1"),
        ({"duration": True}, "duration must be seconds, got True"),
        ({"duration": float("nan")}, "duration must be a number >= 0, got nan"),
        (
            {"duration": "fast"},
            "duration must be seconds, a Distribution or a callable of the event, got 'fast'",
        ),
    ],
)
def test_bad_duration_settings_are_invalid(lab, settings, message):
    with pytest.raises(ll.InvalidParameterValueException) as info:
        lab.create_function("f", noop, **settings)
    assert str(info.value) == message
    assert lab.functions == {}


@pytest.mark.parametrize(("returned", "shown"), [(-1, "-1"), ("1", "'1'"), (None, "None")])
def test_a_callable_returning_no_seconds_is_invalid_at_invoke(lab, returned, shown):
    lab.create_function("f", noop, duration=lambda event: returned)
    with pytest.raises(ll.InvalidParameterValueException) as info:
        lab.invoke("f")
    assert str(info.value) == f"duration callable must return seconds >= 0, got {shown}"


def test_a_failing_duration_callable_leaves_the_function_usable(lab):
    # GIVEN one reserved slot and a duration callable that rejects one event
    lab.create_function("f", noop, reserved_concurrency=1, duration=lambda e: e.get("d", -1))
    with pytest.raises(ll.InvalidParameterValueException):
        lab.invoke("f", {})
    # WHEN a good event comes next
    response = lab.invoke("f", {"d": 0.1})
    # THEN it runs: the failed attempt did not keep the slot
    assert response.ok


def test_a_failing_duration_callable_leaves_a_consistent_trace(lab):
    lab.create_function("f", noop, duration=lambda e: e.get("d", -1))
    with pytest.raises(ll.InvalidParameterValueException):
        lab.invoke("f", {})
    lab.invoke("f", {"d": 0.1})
    started = [r["request_id"] for r in lab.trace.filter(kind="attempt_started")]
    ended = [r["request_id"] for r in lab.trace.filter(kind="attempt_ended")]
    assert sorted(started) == sorted(ended)
