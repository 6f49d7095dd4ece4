"""Property tests: random accounts, functions and workloads, invariants read off the trace."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import Caller

import lambda_lab as ll

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

COUNTER = """\
import time
count = 0

def handler(event, context):
    global count
    count += 1
    if event["sleep"]:
        time.sleep(event["sleep"])
    if event["fail"]:
        raise RuntimeError("planned failure")
    return count
"""


def plain_handler(event: dict, context: Any) -> Any:
    if event["sleep"]:
        time.sleep(event["sleep"])
    if event["fail"]:
        raise RuntimeError("planned failure")
    return event["n"]


@dataclass(frozen=True)
class FunctionSpec:
    reserved: int | None
    timeout: int
    duration: tuple
    init: float
    error_rate: float
    module: bool


@dataclass(frozen=True)
class Burst:
    t: float
    function: int
    count: int
    d: float
    sleep: float


@dataclass(frozen=True)
class World:
    seed: int
    account: int
    scaling_rate: int
    keep_alive: float
    functions: tuple[FunctionSpec, ...]
    bursts: tuple[Burst, ...]


seconds = st.floats(0, 6, allow_nan=False).map(lambda x: round(x, 3))

durations = st.one_of(
    st.tuples(st.just("fixed"), seconds),
    st.tuples(st.just("uniform"), seconds, seconds).map(
        lambda d: ("uniform", min(d[1:]), max(d[1:]))
    ),
    st.tuples(st.just("exponential"), st.floats(0.01, 3).map(lambda x: round(x, 3))),
    st.tuples(st.just("event")),
)

function_specs = st.builds(
    FunctionSpec,
    reserved=st.one_of(st.none(), st.integers(0, 5)),
    timeout=st.integers(1, 5),
    duration=durations,
    init=st.sampled_from([0.0, 0.1, 0.25, 1.0]),
    error_rate=st.sampled_from([0.0, 0.2, 0.5, 1.0]),
    module=st.booleans(),
)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    functions = tuple(draw(st.lists(function_specs, min_size=1, max_size=3)))
    bursts = draw(
        st.lists(
            st.builds(
                Burst,
                t=st.floats(0, 30, allow_nan=False).map(lambda x: round(x, 2)),
                function=st.integers(0, len(functions) - 1),
                count=st.integers(1, 70),
                d=seconds,
                sleep=st.sampled_from([0.0, 0.0, 0.5, 2.5, 7.0]),
            ),
            min_size=1,
            max_size=5,
        )
    )
    return World(
        seed=draw(st.integers(0, 2**32 - 1)),
        account=draw(st.integers(100, 130)),
        scaling_rate=draw(st.sampled_from([1, 2, 5, 50, 1000])),
        keep_alive=draw(st.sampled_from([0.0, 0.5, 5.0, 600.0])),
        functions=functions,
        bursts=tuple(bursts),
    )


def make_duration(spec: tuple) -> Any:
    kind = spec[0]
    if kind == "fixed":
        return spec[1]
    if kind == "uniform":
        return ll.Uniform(spec[1], spec[2])
    if kind == "exponential":
        return ll.Exponential(spec[1])
    return lambda event: event["d"]


@dataclass
class Run:
    lab: ll.Lab
    caller: Caller
    reserved: dict[str, int | None]
    modules: set[str]
    requests: int


def simulate(world: World, seed: int | None = None) -> Run:
    """Build the world, schedule its bursts, run until nothing is left to do."""
    lab = ll.Lab(
        seed=world.seed if seed is None else seed,
        concurrent_executions=world.account,
        scaling_rate=world.scaling_rate,
        keep_alive_seconds=world.keep_alive,
    )
    reserved: dict[str, int | None] = {}
    modules = set()
    for i, spec in enumerate(world.functions):
        name = f"fn{i}"
        options = {
            "timeout": spec.timeout,
            "duration": make_duration(spec.duration),
            "init_duration": spec.init,
        }
        if spec.module:
            lab.create_function(name, "lambda_function.handler", code=COUNTER, **options)
            modules.add(name)
        else:
            lab.create_function(name, plain_handler, **options)
        reserved[name] = None
        if spec.reserved is not None:
            taken = sum(v for v in reserved.values() if v is not None)
            if spec.reserved > world.account - 100 - taken:
                try:
                    lab.put_function_concurrency(name, spec.reserved)
                except ll.InvalidParameterValueException:
                    continue
                raise AssertionError("a reservation leaving fewer than 100 unreserved passed")
            lab.put_function_concurrency(name, spec.reserved)
            reserved[name] = spec.reserved
    caller = Caller(lab)
    n = 0
    for burst in world.bursts:
        spec = world.functions[burst.function]
        for _ in range(burst.count):
            fail = (n * 2654435761 % 1000) / 1000 < spec.error_rate
            event = {"n": n, "fail": fail, "d": burst.d, "sleep": burst.sleep}
            caller.at(burst.t, f"fn{burst.function}", event)
            n += 1
    lab.run()
    return Run(lab, caller, reserved, modules, n)


# -- properties ----------------------------------------------------------------------------


@SETTINGS
@given(worlds())
def test_every_request_ends_in_exactly_one_outcome(world):
    run = simulate(world)
    trace = run.lab.trace
    invoked = [r["request_id"] for r in trace.filter(kind="invoke")]
    assert len(invoked) == run.requests
    assert len(set(invoked)) == run.requests, "request ids must be unique"
    outcomes: dict[str, list[str]] = defaultdict(list)
    for record in trace.filter(kind=("response", "throttle")):
        outcomes[record["request_id"]].append(record["kind"])
    assert {rid: len(kinds) for rid, kinds in outcomes.items()} == dict.fromkeys(invoked, 1)
    # the caller heard exactly once per request, with the same verdict
    heard = {o.request_id: ("throttle" if o.reason else "response") for o in run.caller.outcomes}
    assert heard == {rid: kinds[0] for rid, kinds in outcomes.items()}
    # a throttled request never started an attempt; an answered one started exactly one
    attempts = defaultdict(int)
    for record in trace.filter(kind="attempt_started"):
        attempts[record["request_id"]] += 1
    for rid, (kind,) in outcomes.items():
        assert attempts[rid] == (1 if kind == "response" else 0)
    # and the metrics agree with the trace
    for name in run.reserved:
        metrics = run.lab.metrics(name)
        requests = len(trace.filter(kind="invoke", function=name))
        assert metrics["Invocations"] + metrics["Throttles"] == requests


@SETTINGS
@given(worlds())
def test_busy_concurrency_never_exceeds_the_reserved_or_account_limit(world):
    run = simulate(world)
    reserved = run.reserved
    unreserved_limit = world.account - sum(v for v in reserved.values() if v is not None)
    busy: dict[str, int] = defaultdict(int)
    last_t = 0.0
    for record in run.lab.trace:
        assert record["t"] >= last_t, "the trace must be in time order"
        last_t = record["t"]
        kind, name = record["kind"], record.get("function")
        if kind == "attempt_started":
            busy[name] += 1
            limit = reserved[name]
            if limit is not None:
                assert busy[name] <= limit, f"{name} above its reservation of {limit}"
            shared = sum(n for fn, n in busy.items() if reserved[fn] is None)
            assert shared <= unreserved_limit, "unreserved functions above the account's pool"
            assert sum(busy.values()) <= world.account
        elif kind == "attempt_ended":
            busy[name] -= 1
            assert busy[name] >= 0
        elif kind == "throttle" and record["reason"].startswith("Reserved"):
            assert busy[name] == reserved[name], "throttled below the reservation"
        elif kind == "throttle" and record["reason"] == "ConcurrentInvocationLimitExceeded":
            assert reserved[name] is None
            shared = sum(n for fn, n in busy.items() if reserved[fn] is None)
            assert shared == unreserved_limit, "throttled below the account's pool"
    assert all(n == 0 for n in busy.values())


@SETTINGS
@given(worlds())
def test_an_environment_never_runs_two_invocations_at_once(world):
    run = simulate(world)
    running: dict[str, str | None] = {}
    owner: dict[str, str] = {}
    expired: set[str] = set()
    for record in run.lab.trace:
        kind, env = record["kind"], record.get("env")
        if kind == "env_created":
            assert env not in owner, f"{env} created twice"
            owner[env] = record["function"]
            running[env] = None
        elif kind == "attempt_started":
            assert env in owner and env not in expired
            assert owner[env] == record["function"]
            assert running[env] is None, f"{env} already runs {running[env]}"
            running[env] = record["request_id"]
        elif kind == "attempt_ended":
            assert running[env] == record["request_id"]
            running[env] = None
        elif kind == "env_expired":
            assert running[env] is None, f"{env} expired while busy"
            expired.add(env)
    # with nothing left to do, every environment has been reclaimed
    assert expired == set(owner)


@SETTINGS
@given(worlds())
def test_cold_starts_follow_the_scaling_rate(world):
    run = simulate(world)
    rate = world.scaling_rate
    created: dict[str, list[float]] = defaultdict(list)
    for record in run.lab.trace.filter(kind="env_created"):
        created[record["function"]].append(record["t"])
    for times in created.values():
        for i in range(len(times)):
            for j in range(i, len(times)):
                allowed = rate + (times[j] - times[i]) * rate / 10
                assert j - i + 1 <= allowed + 1e-9


@SETTINGS
@given(worlds())
def test_module_state_lives_per_environment_until_a_reset(world):
    run = simulate(world)
    payloads = {
        o.request_id: o.response.payload for o in run.caller.outcomes if o.response is not None
    }
    calls_since_load: dict[str, int] = defaultdict(int)
    for record in run.lab.trace:
        if record.get("function") not in run.modules:
            continue
        env = record.get("env")
        if record["kind"] == "attempt_started":
            calls_since_load[env] += 1
        elif record["kind"] == "attempt_ended" and record["status"] == "ok":
            assert payloads[record["request_id"]] == calls_since_load[env]
        elif record["kind"] == "env_reset":
            calls_since_load[env] = 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_the_same_seed_gives_the_same_trace(world):
    first = simulate(world).lab.trace.to_json()
    again = simulate(world).lab.trace.to_json()
    assert first == again
    other = simulate(world, seed=world.seed + 1).lab.trace.to_json()
    assert other != first, "request ids come from the seed"


# -- callers: every client call ends exactly once -----------------------------------------
client_worlds = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 10_000),
        "reserved": st.sampled_from([None, 0, 1, 2]),
        "duration": st.sampled_from([0.5, 5.0, 70.0, 130.0]),
        "mode": st.sampled_from(["legacy", "standard", "none"]),
        "read_timeout": st.sampled_from([1.0, 60.0, 300.0]),
        "calls": st.lists(st.floats(0, 200, allow_nan=False), min_size=1, max_size=8),
    }
)


@SETTINGS
@given(client_worlds)
def test_every_client_call_ends_exactly_once(world):
    # GIVEN SDK clients calling a function that may be slow, throttled, or both
    lab = ll.Lab(seed=world["seed"])
    lab.create_function(
        "f",
        lambda e, c: e,
        timeout=300,
        duration=world["duration"],
        reserved_concurrency=world["reserved"],
    )
    client = lab.create_client(mode=world["mode"], read_timeout=world["read_timeout"])
    results = []
    for t in world["calls"]:
        lab.engine.at(t, lambda _: client.invoke("f", {}, on_done=results.append))
    # WHEN the world runs out
    lab.run()
    # THEN every call has exactly one final outcome, and every attempt reached the service
    done = lab.trace.filter(kind="client_done")
    assert len(done) == len(results) == len(world["calls"])
    assert {r.outcome for r in results} <= {"response", "throttled", "gave_up"}
    requests = lab.trace.filter(kind="client_request")
    assert len(requests) == sum(r.attempts for r in results)
    for request in requests:
        outcomes = lab.trace.filter(kind=("response", "throttle"), request_id=request["request_id"])
        assert len(outcomes) == 1  # the service answered every attempt, late or not
    assert lab.service.outstanding == 0
