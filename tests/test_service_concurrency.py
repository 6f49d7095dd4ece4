"""The compute service's accounting: reservations changed mid-flight, the scaling
allowance's refill, which environments are busy, and what each environment served."""

from __future__ import annotations

import random

import pytest
from support import Caller

import lambda_lab as ll
from lambda_lab.sim.ids import new_uuid

ACCOUNT = "ConcurrentInvocationLimitExceeded"
SCALING = "FunctionInvocationRateLimitExceeded"


def g_capacity_after(before, after, g_busy: int = 0) -> tuple[int, list[str]]:
    """Run "f" 3 times (and "g" ``g_busy`` times) from t=0 for 5 s, change f's
    reservation from ``before`` to ``after`` at t=1, let everything end, then send
    pool + 1 calls to "g" at once: how many started, and the throttles."""
    lab = ll.Lab(seed=1, concurrent_executions=130)
    caller = Caller(lab)
    lab.create_function("f", lambda e, c: None, duration=5, timeout=10)
    lab.create_function("g", lambda e, c: None, duration=5, timeout=10)
    if before is not None:
        lab.put_function_concurrency("f", before)
    for _ in range(3):
        caller.at(0.0, "f")
    for _ in range(g_busy):
        caller.at(0.0, "g")
    lab.run(until=1.0)
    if after is None:
        lab.delete_function_concurrency("f")
    else:
        lab.put_function_concurrency("f", after)
    lab.run(until=20.0)
    pool = 130 - (after or 0)
    for _ in range(pool + 1):
        caller.at(20.0, "g")
    lab.run(until=21.0)
    started_at_20 = [
        r for r in lab.trace.filter(kind="attempt_started", function="g") if r["t"] == 20.0
    ]
    return len(started_at_20), caller.throttles


@pytest.mark.parametrize(("before", "after"), [(10, 20), (20, 10), (None, None)])
def test_a_reservation_change_that_keeps_the_pool_leaves_the_account_count_alone(before, after):
    # GIVEN "f" busy with 3 calls, reserved (or not) before
    # WHEN its reservation changes from one value to another (or is deleted while there
    # was none), and every call ends
    started, throttles = g_capacity_after(before, after)
    # THEN "g" gets exactly the unreserved pool: the 3 calls were never moved between pools
    assert started == 130 - (after or 0)
    assert throttles == [ACCOUNT]


def test_releasing_a_reservation_adds_its_busy_calls_to_the_others_in_the_pool():
    # GIVEN "f" reserved (10) and busy with 3 calls while "g" runs 2 unreserved calls
    # WHEN f's reservation is deleted mid-flight, and every call ends
    started, throttles = g_capacity_after(10, None, g_busy=2)
    # THEN the account counted all 5 in the unreserved pool and released all 5:
    # "g" later gets exactly the whole pool
    assert started == 130
    assert throttles == [ACCOUNT]


def test_the_scaling_allowance_refills_at_the_rate_per_10_seconds():
    # GIVEN a scaling rate of 10 environments per 10 s (1 per second), used up at t=0
    lab = ll.Lab(seed=1, scaling_rate=10)
    caller = Caller(lab)
    lab.create_function("f", lambda e, c: None, duration=30, timeout=60)
    for _ in range(10):
        caller.at(0.0, "f")
    # WHEN two more calls arrive exactly 1 s later
    caller.at(1.0, "f")
    caller.at(1.0, "f")
    lab.run(until=2)
    # THEN exactly one new environment fits (1.0 allowance), the other is throttled
    created = [r["t"] for r in lab.trace.filter(kind="env_created")]
    assert created == [0.0] * 10 + [1.0]
    assert [(o.t, o.reason) for o in caller.outcomes] == [(1.0, SCALING)]


def test_an_environment_is_busy_while_it_runs_and_idle_after(lab):
    # GIVEN a handler that notes, while it runs, which of its environments are busy
    seen = []

    def handler(event, context):
        fn = lab.get_function("f")
        seen.append({env.id: env.busy for env in fn.environments.values()})

    lab.create_function("f", handler)
    # WHEN it is invoked twice (cold, then warm in the same environment)
    lab.invoke("f")
    lab.invoke("f")
    # THEN its environment was busy during each call and is idle afterwards
    assert seen == [{"env-1": True}, {"env-1": True}]
    env = lab.get_function("f").environments["env-1"]
    assert env.busy is False
    assert repr(env) == "<Environment env-1 of f: idle>"


def test_a_busy_environment_says_so_in_its_repr(lab):
    # GIVEN a handler that shows its own environment while it runs
    shown = []
    lab.create_function("f", lambda e, c: shown.append(repr(lab.get_function("f").environments)))
    # WHEN invoked
    lab.invoke("f")
    # THEN the environment was busy, and named its function
    assert shown == ["{'env-1': <Environment env-1 of f: busy>}"]


def test_an_environment_knows_when_it_was_created_and_how_many_calls_it_served(lab):
    # GIVEN a function whose first call comes at t=5
    lab.create_function("f", lambda e, c: None)
    lab.run(until=5.0)
    # WHEN it is invoked three times in a row (one environment, reused)
    for _ in range(3):
        lab.invoke("f")
    # THEN that environment was created at t=5, belongs to "f" and served 3 invocations
    (env,) = lab.get_function("f").environments.values()
    assert env.created_at == 5.0
    assert env.function is lab.get_function("f")
    assert env.invocations == 3


def test_without_service_errors_a_request_draws_no_random_number():
    # GIVEN a lab without service errors (the default) and a warm function
    lab = ll.Lab(seed=3)
    lab.create_function("f", lambda e, c: None)
    lab.invoke("f")
    # WHEN two more requests run in the warm environment
    rng = random.Random()
    rng.setstate(lab.engine.rng.getstate())
    ids = [lab.invoke("f").request_id for _ in range(2)]
    # THEN the seeded generator gave only their request ids: runs stay reproducible
    # whether or not service errors could be drawn
    assert ids == [new_uuid(rng), new_uuid(rng)]
