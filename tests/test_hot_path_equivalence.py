"""Hot-path shortcuts give the results of the plain paths they stand for.

``Engine.after`` runs entries exactly as ``schedule`` would; ``SyncSender``
writes the records ``request_response`` writes; a handler returning None
answers ``null`` as the encoder would.
"""

from __future__ import annotations

import json
import random

import pytest

import lambda_lab as ll
from lambda_lab.sim.engine import Engine
from lambda_lab.sim.invoke.sync import SyncSender, request_response


def run_plan(use_after: bool, seed: int) -> tuple[list[tuple[str, float]], int, list[int]]:
    """A random mix of schedule/after/at/soon, also made from inside callbacks.

    Returns what ran (name, time), the engine's steps and its length after each
    ``run(until=...)``.
    """
    rng = random.Random(seed)
    engine = Engine()
    log: list[tuple[str, float]] = []
    delays = (0.0, 1.0, 2.5, 60.0)
    later = engine.after if use_after else engine.schedule
    names = iter(range(10**6))

    def note(name: str) -> None:
        log.append((name, engine.now))
        if rng.random() < 0.4:  # callbacks make more work, as retries do
            later(rng.choice(delays), note, f"n{next(names)}")
        if rng.random() < 0.1:
            engine.soon(note_only, f"s{next(names)}")

    def note_only(name: str) -> None:
        log.append((name, engine.now))

    for _ in range(200):
        kind = rng.random()
        name = f"e{next(names)}"
        if kind < 0.5:
            later(rng.choice(delays), note, name)
        elif kind < 0.8:
            engine.schedule(rng.uniform(0, 5), note, name)
        else:
            engine.at(rng.choice((0.0, 1.0, 2.5)), note, name)
    lengths = []
    for until in (0.0, 1.0, 2.5, 30.0):
        engine.run(until=until)
        lengths.append(len(engine))
    engine.run()
    lengths.append(len(engine))
    return log, engine.steps, lengths


@pytest.mark.parametrize("seed", range(8))
def test_after_runs_entries_when_and_in_the_order_schedule_would(seed):
    # GIVEN the same random plan, once with ``after`` and once with ``schedule``
    # WHEN both run THEN every entry ran at the same instant, in the same order,
    # and the engines counted the same steps and lengths along the way
    assert run_plan(True, seed) == run_plan(False, seed)


def test_after_keeps_one_stand_in_per_lane_on_the_heap_and_counts_the_rest():
    # GIVEN three entries of one delay and one of another
    engine = Engine()
    ran = []
    for name in ("a", "b", "c"):
        engine.after(60.0, ran.append, name)
    engine.after(1.0, ran.append, "d")
    # THEN all four are pending, and they run in time, then FIFO, order
    assert len(engine) == 4 and engine.peek() == 1.0
    engine.run(until=59.0)
    assert ran == ["d"] and len(engine) == 3
    engine.step()
    assert ran == ["d", "a"] and len(engine) == 2
    engine.run()
    assert ran == ["d", "a", "b", "c"] and len(engine) == 0 and engine.steps == 4


def lab_with_function(seed: int) -> ll.Lab:
    lab = ll.Lab(seed=seed, echo_logs=False)
    fail = random.Random(seed)

    def handler(event, context):
        if fail.random() < 0.3:
            raise ValueError("no")
        return {"n": event["n"]} if event["n"] % 2 else None

    lab.create_function(
        "f", handler, duration=ll.Exponential(0.5), init_duration=0.2, reserved_concurrency=2
    )
    return lab


def test_a_sync_sender_writes_the_records_request_response_writes():
    # GIVEN two alike labs, one sending through a SyncSender, one through
    # request_response without a callback, at the same instants (some throttled)
    labs = [lab_with_function(3), lab_with_function(3)]
    sender = SyncSender(labs[0].service, labs[0].get_function("f"), "traffic-9")
    fn = labs[1].get_function("f")
    for i in range(60):
        t = i * 0.1
        body = json.dumps({"n": i})
        labs[0].engine.at(t, lambda _, body=body: sender.send(body))
        labs[1].engine.at(
            t,
            lambda _, body=body: request_response(
                labs[1].service, fn, body, None, source="traffic-9"
            ),
        )
    # WHEN both run
    for lab in labs:
        lab.run()
    # THEN their traces are the same, throttles and errors included
    first, second = (lab.trace.to_json() for lab in labs)
    assert first == second
    kinds = labs[0].trace.kinds()
    assert kinds["throttle"] > 0 and kinds["response"] > 0
    assert labs[0].service.outstanding == labs[1].service.outstanding == 0


def test_a_handler_returning_none_answers_null_as_the_encoder_would():
    # GIVEN a handler that returns nothing
    lab = ll.Lab(seed=1, echo_logs=False)
    lab.create_function("f", lambda e, c: None)
    # WHEN it is invoked THEN the answer is JSON null, a success
    response = lab.invoke("f")
    assert response.ok and response.payload is None and response["Payload"] is None
    assert lab.trace.filter("attempt_ended")[0]["status"] == "ok"
