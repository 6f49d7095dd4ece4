"""The trace as a contract: declared kinds, append-only records, incremental readers."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambda_lab as ll
from lambda_lab.sim.trace.kinds import KINDS, RecordError, check, describe


def _handler(failure_every: int, sleep: float):
    def handler(event, context):
        n = event.get("n", 0)
        if sleep:
            import time

            time.sleep(sleep)
        if failure_every and n % failure_every == 0:
            raise ValueError(f"event {n} fails")
        return {"n": n}

    return handler


workloads = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 10_000),
        "reserved": st.one_of(st.none(), st.integers(0, 3)),
        "failure_every": st.integers(0, 4),
        "sleep": st.sampled_from([0.0, 0.5, 4.0]),
        "mean": st.floats(0.05, 2.0),
        "service_errors": st.sampled_from([0.0, 0.1]),
        "duplicates": st.sampled_from([0.0, 0.3]),
        "retries": st.integers(0, 2),
        "event_age": st.sampled_from([60, 300, 21600]),
        "client_mode": st.sampled_from(["legacy", "standard", "none"]),
        "read_timeout": st.sampled_from([0.5, 5.0, 60.0]),
        "api_timeout": st.sampled_from([0.5, 29.0]),
        "rate": st.floats(0.5, 8.0),
        "count": st.integers(1, 25),
        "dlq": st.booleans(),
    }
)


def _world(w: dict) -> ll.Lab:
    lab = ll.Lab(
        seed=w["seed"],
        service_error_probability=w["service_errors"],
        duplicate_delivery_probability=w["duplicates"],
    )
    lab.create_function(
        "f",
        _handler(w["failure_every"], w["sleep"]),
        reserved_concurrency=w["reserved"],
        duration=ll.Exponential(w["mean"]),
    )
    failures, successes = lab.create_queue("failures"), lab.create_bucket("successes-bucket")
    lab.create_function("g", _handler(0, 0.0))
    lab.put_function_event_invoke_config(
        "f",
        maximum_retry_attempts=w["retries"],
        maximum_event_age_in_seconds=w["event_age"],
        destination_config={
            "on_failure": successes if w["dlq"] else failures,
            "on_success": lab.function_arn("g"),
        },
    )
    if w["dlq"]:
        lab.update_function_configuration("f", dead_letter_config=lab.create_topic("dead"))
    payload = lambda i: {"n": i}  # noqa: E731
    lab.add_traffic("f", ll.Poisson(w["rate"]), payload, "Event", count=w["count"])
    client = lab.create_client(mode=w["client_mode"], read_timeout=w["read_timeout"])
    lab.add_traffic("f", ll.Poisson(w["rate"]), payload, count=w["count"], client=client)
    api = lab.create_api_gateway("f", w["api_timeout"])
    lab.add_traffic("f", ll.Poisson(w["rate"]), payload, count=w["count"], client=api)
    return lab


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workloads)
def test_every_record_of_random_workloads_matches_its_declared_kind_and_never_changes(w):
    # GIVEN a random world of asynchronous, client and API Gateway traffic
    lab = _world(w)
    # WHEN it runs in steps, with a snapshot of the trace after each step
    snapshots = []
    for until in (5.0, 30.0, 200.0):
        lab.run(until=until)
        snapshots.append(copy.deepcopy(lab.trace.records))
    lab.run()
    # THEN every record matches its declaration
    for record in lab.trace:
        check(record)
    # AND what was appended before each snapshot is unchanged at the end (append-only)
    for snapshot in snapshots:
        assert lab.trace.records[: len(snapshot)] == snapshot
    # AND records are in time order
    times = [r["t"] for r in lab.trace]
    assert times == sorted(times)


def test_a_reader_with_a_cursor_gets_only_what_is_new():
    # GIVEN a lab with one invocation already traced, and a cursor after it
    lab = ll.Lab(seed=1)
    lab.create_function("f", lambda e, c: e)
    lab.invoke("f", {"n": 1})
    cursor = lab.trace.cursor()
    first = len(lab.trace)
    # WHEN another invocation runs
    lab.invoke("f", {"n": 2})
    new = lab.trace.since(cursor)
    # THEN since() returns exactly the records appended after the cursor
    assert new == lab.trace.records[first:]
    assert [r["kind"] for r in new] == ["invoke", "attempt_started", "attempt_ended", "response"]
    assert lab.trace.since(lab.trace.cursor()) == []
    assert lab.trace.since(0) == lab.trace.records


def test_a_cursor_stays_valid_across_clear():
    # GIVEN a cursor taken before the trace is cleared
    lab = ll.Lab(seed=1)
    lab.create_function("f", lambda e, c: e)
    lab.invoke("f")
    cursor = lab.trace.cursor()
    lab.trace.clear()
    # WHEN one more invocation runs
    lab.invoke("f")
    # THEN the reader gets the new records once, and nothing it had seen
    assert next(r["kind"] for r in lab.trace.since(cursor)) == "invoke"
    assert len(lab.trace.since(cursor)) == 4
    assert lab.trace.cursor() == cursor + 4


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True, None])
def test_a_bad_cursor_is_refused(bad):
    lab = ll.Lab()
    with pytest.raises(ValueError, match=r"cursor must be a value of trace\.cursor"):
        lab.trace.since(bad)


def test_time_is_derived_not_stamped_onto_records():
    # GIVEN a record read from the trace
    lab = ll.Lab(seed=1)
    lab.create_function("f", lambda e, c: e, duration=1.5, init_duration=0.25)
    lab.invoke("f")
    (ended,) = lab.trace.filter(kind="attempt_ended")
    # WHEN its wall-clock time is asked for, and the trace exported
    exported = json.loads(lab.trace.to_json())
    # THEN the time is AWS's format, in the export, and never written into the record
    assert lab.trace.time_of(ended) == "2026-01-01T00:00:01.750Z"
    assert exported[lab.trace.records.index(ended)]["time"] == "2026-01-01T00:00:01.750Z"
    assert "time" not in ended


def test_the_checker_refuses_records_that_break_their_declaration():
    good = {"t": 0.0, "kind": "env_created", "function": "f", "env": "env-1"}
    check(good)
    with pytest.raises(RecordError, match="undeclared record kind 'nope'"):
        check({**good, "kind": "nope"})
    with pytest.raises(RecordError, match=r"missing \['env'\]"):
        check({"t": 0.0, "kind": "env_created", "function": "f"})
    with pytest.raises(RecordError, match=r"unknown \['extra'\]"):
        check({**good, "extra": 1})
    with pytest.raises(RecordError, match="env=3 is not str"):
        check({**good, "env": 3})
    ended = {
        "t": 1,
        "kind": "attempt_ended",
        "function": "f",
        "request_id": "r",
        "attempt": 1,
        "env": "env-1",
        "status": "ok",
        "duration": 1,
        "billed_duration_ms": 1000,
    }
    check(ended)  # an int is a JSON number where a float is declared
    with pytest.raises(RecordError, match="status='fine'"):
        check({**ended, "status": "fine"})
    with pytest.raises(RecordError, match="attempt=True"):
        check({**ended, "attempt": True})
    with pytest.raises(RecordError, match=r"billed_duration_ms=1\.5"):
        check({**ended, "billed_duration_ms": 1.5})


def test_every_declared_kind_has_a_meaning():
    for kind in KINDS:
        assert describe(kind)
    assert describe("dropped").startswith("The event's final outcome")
