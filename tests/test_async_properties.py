"""Property tests of asynchronous invocation: what holds whatever the settings.

Hypothesis draws the retries, the event age, the reserved concurrency, the
duplicate and error probabilities and the arrival times; every run must then
keep Lambda's promises: each accepted event ends exactly once, retries stay
within their budget, the same seed repeats the same trace, and only an
idempotent handler keeps a balance right under at-least-once delivery.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass

from hypothesis import example, given, settings
from hypothesis import strategies as st

import lambda_lab as ll

TERMINAL = ("succeeded", "dropped")
PROPERTY = settings(max_examples=40, deadline=None)


@dataclass(frozen=True)
class World:
    seed: int
    retries: int
    age: int
    reserved: int | None
    duplicate: float
    error: float
    arrivals: tuple[float, ...]


worlds = st.builds(
    World,
    seed=st.integers(0, 2**16),
    retries=st.integers(0, 2),
    age=st.integers(60, 200) | st.integers(60, 21600),  # near the retry delays, or anywhere
    reserved=st.none() | st.integers(0, 3),
    duplicate=st.sampled_from([0.0, 1.0]) | st.floats(0, 1),
    error=st.sampled_from([0.0, 1.0]) | st.floats(0, 1),
    arrivals=st.lists(st.floats(0, 300), min_size=1, max_size=8).map(tuple),
)


def build(world: World) -> ll.Lab:
    """A lab with one function `f` fed the world's events at their arrival times, run out.

    The handler fails (raises) with the world's error probability; the invoke
    phase lasts 0.05-40 s against a 30 s timeout, so some attempts time out and
    long ones hold the reserved concurrency, making later events throttle.
    """
    lab = ll.Lab(seed=world.seed, duplicate_delivery_probability=world.duplicate)
    luck = random.Random(world.seed)

    def handler(event, context):
        if luck.random() < world.error:
            raise RuntimeError("unlucky")
        return {"n": event["n"]}

    lab.create_function(
        "f",
        handler,
        timeout=30,
        duration=ll.Uniform(0.05, 40),
        reserved_concurrency=world.reserved,
    )
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=world.retries, maximum_event_age_in_seconds=world.age
    )
    for n, t in enumerate(world.arrivals):
        lab.engine.at(t, lambda _, n=n: lab.world.submit_event("f", {"n": n}))
    lab.run()
    return lab


def delivery(record: dict) -> tuple[str, bool]:
    """One delivery of an event: its request id, and whether it is the duplicate."""
    return record["request_id"], bool(record.get("duplicate"))


@PROPERTY
@given(worlds)
def test_every_accepted_event_ends_exactly_once_and_none_is_lost(world):
    lab = build(world)
    accepted = [r["request_id"] for r in lab.trace.filter(kind="accepted")]
    assert len(accepted) == len(world.arrivals)
    terminals = lab.trace.filter(kind=TERMINAL)
    originals = Counter(r["request_id"] for r in terminals if not r.get("duplicate"))
    # each accepted event has exactly one terminal record of its own: none lost, none twice
    assert originals == Counter(accepted)
    # each redelivery announced as "duplicate" ends once too, flagged, and only after a success
    duplicates = Counter(r["request_id"] for r in lab.trace.filter(kind="duplicate"))
    assert Counter(r["request_id"] for r in terminals if r.get("duplicate")) == duplicates
    succeeded = {r["request_id"] for r in terminals if r["kind"] == "succeeded"}
    assert set(duplicates) <= succeeded
    assert all(count == 1 for count in duplicates.values())
    # a function with reserved concurrency 0 never runs; only it fails that way
    reasons = {r["reason"] for r in terminals if r["kind"] == "dropped"}
    if world.reserved == 0:
        assert lab.trace.filter(kind="attempt_started") == []
        assert reasons == {"ZeroReservedConcurrency"}
    else:
        assert "ZeroReservedConcurrency" not in reasons


@PROPERTY
@given(worlds)
def test_function_errors_never_exceed_one_plus_the_retries(world):
    lab = build(world)
    attempts = Counter(delivery(r) for r in lab.trace.filter(kind="attempt_started"))
    errors = Counter(
        delivery(r) for r in lab.trace.filter(kind="attempt_ended") if r["status"] != "ok"
    )
    assert all(count <= 1 + world.retries for count in errors.values())
    for end in lab.trace.filter(kind=TERMINAL):
        key = delivery(end)
        # the count in the terminal record is the number of attempts that ran
        assert end["approximate_invoke_count"] == attempts[key]
        if end.get("reason") == "RetriesExhausted":
            assert errors[key] == 1 + world.retries
        if end["kind"] == "succeeded":
            assert errors[key] == attempts[key] - 1
    # the age is decided ahead: no event is taken off the queue past its maximum age
    assert all(r["age"] <= world.age + 1e-6 for r in lab.trace.filter(kind="dequeued"))


@PROPERTY
@given(worlds)
def test_the_same_seed_gives_the_same_trace_byte_for_byte(world):
    first = build(world).trace.to_json()
    assert build(world).trace.to_json() == first
    # and the seed matters: another one draws other request ids
    other = World(**{**world.__dict__, "seed": world.seed + 1})
    assert build(other).trace.to_json() != first


# -- the bank account ----------------------------------------------------------------------


def bank(idempotent: bool, retries: int, duplicate: float, timeouts: list[bool], at: float):
    """Balance 20; one event "credit 10". Attempts listed True in `timeouts` run past
    the 1 s timeout *after* the handler's write has landed."""
    lab = ll.Lab(seed=1, duplicate_delivery_probability=duplicate)
    account = {"balance": 20}

    def credit(event, context):
        if idempotent:
            account["balance"] = event["balance_after"]  # set the balance to 30
        else:
            account["balance"] += event["amount"]  # add 10
        return account["balance"]

    plan = iter(timeouts)
    lab.create_function(
        "credit", credit, timeout=1, duration=lambda e: 5.0 if next(plan, False) else 0.1
    )
    lab.put_function_event_invoke_config("credit", maximum_retry_attempts=retries)
    event = {"amount": 10, "balance_after": 30}
    lab.engine.at(at, lambda _: lab.world.submit_event("credit", event))
    lab.run()
    return lab, account["balance"]


@settings(max_examples=50, deadline=None)
@given(
    retries=st.integers(0, 2),
    duplicate=st.sampled_from([0.0, 1.0]) | st.floats(0, 1),
    timeouts=st.lists(st.booleans(), max_size=6),
    at=st.floats(0, 100),
)
@example(retries=2, duplicate=0.0, timeouts=[True], at=0.0)  # a retry after a landed write
@example(retries=0, duplicate=1.0, timeouts=[], at=0.0)  # a duplicate delivery
@example(retries=2, duplicate=0.0, timeouts=[], at=0.0)  # delivered exactly once
def test_only_an_idempotent_handler_keeps_the_balance_right(retries, duplicate, timeouts, at):
    safe, safe_balance = bank(True, retries, duplicate, timeouts, at)
    naive, naive_balance = bank(False, retries, duplicate, timeouts, at)
    # both handlers saw the same deliveries
    assert json.loads(safe.trace.to_json()) == json.loads(naive.trace.to_json())
    deliveries = len(naive.trace.filter(kind="attempt_started"))
    repeated = bool(naive.trace.filter(kind=["retry_scheduled", "duplicate"]))
    assert deliveries >= 1
    assert repeated == (deliveries > 1)
    # "set the balance to 30" is right whatever retries and duplicates happened
    assert safe_balance == 30
    # "add 10" credits once per delivery: right only when nothing was repeated
    assert naive_balance == 20 + 10 * deliveries
    assert (naive_balance == 30) == (not repeated)
    if repeated:
        assert naive_balance > 30
