"""The event engine: virtual time, FIFO ties, ``until``, seeded randomness."""

from __future__ import annotations

import math

import pytest

from lambda_lab.sim.engine import Engine


def recorder(engine: Engine, log: list[tuple[str, float]]):
    """A callback that logs ``(arg, now)``, SimPy-style."""
    return lambda what: log.append((what, engine.now))


def test_callbacks_run_in_time_order_and_the_clock_follows():
    # GIVEN entries scheduled out of order
    engine = Engine()
    log: list[tuple[str, float]] = []
    note = recorder(engine, log)
    engine.schedule(5.0, note, "late")
    engine.schedule(1.5, note, "early")
    engine.at(3.0, note, "middle")
    # WHEN the engine runs
    engine.run()
    # THEN each callback saw its own instant, in time order
    assert log == [("early", 1.5), ("middle", 3.0), ("late", 5.0)]
    assert engine.now == 5.0
    assert engine.steps == 3
    assert len(engine) == 0


def test_ties_run_first_in_first_out():
    engine = Engine()
    log: list[tuple[str, float]] = []
    note = recorder(engine, log)
    for name in ("a", "b", "c", "d"):
        engine.at(2.0, note, name)
    engine.run()
    assert [what for what, _ in log] == ["a", "b", "c", "d"]


def test_schedule_is_relative_to_now_and_at_never_goes_back():
    # GIVEN a callback at t=10 that schedules more work
    engine = Engine()
    log: list[tuple[str, float]] = []
    note = recorder(engine, log)

    def at_ten(_):
        engine.schedule(2.5, note, "relative")
        engine.at(4.0, note, "in the past")

    engine.at(10.0, at_ten)
    engine.run()
    # THEN "schedule" counts from now, and a past "at" runs now, not earlier
    assert log == [("in the past", 10.0), ("relative", 12.5)]


def test_run_until_stops_before_later_entries_and_moves_the_clock():
    engine = Engine()
    log: list[tuple[str, float]] = []
    note = recorder(engine, log)
    engine.at(1.0, note, "one")
    engine.at(4.0, note, "four")
    engine.at(9.0, note, "nine")
    # WHEN run until 4 (inclusive), then until 6 with nothing due
    engine.run(until=4.0)
    assert log == [("one", 1.0), ("four", 4.0)]
    assert engine.now == 4.0
    engine.run(until=6.0)
    # THEN the clock still reaches 6, as a wall clock would, and 9 is pending
    assert engine.now == 6.0
    assert engine.peek() == 9.0
    assert len(engine) == 1


def test_peek_is_infinite_when_idle_and_step_runs_one_entry():
    engine = Engine()
    assert engine.peek() == math.inf
    log: list[tuple[str, float]] = []
    note = recorder(engine, log)
    engine.at(2.0, note, "x")
    engine.at(3.0, note, "y")
    engine.step()
    assert log == [("x", 2.0)]
    assert engine.peek() == 3.0


def test_run_while_stops_as_soon_as_the_condition_is_met():
    # GIVEN three entries, the second of which satisfies the condition
    engine = Engine()
    log: list[tuple[str, float]] = []
    note = recorder(engine, log)
    for t, name in ((1.0, "a"), (2.0, "b"), (3.0, "c")):
        engine.at(t, note, name)
    # WHEN running while "b" has not happened
    engine.run_while(lambda: ("b", 2.0) not in log)
    # THEN "c" is still pending and the clock is at "b"
    assert log == [("a", 1.0), ("b", 2.0)]
    assert engine.now == 2.0
    assert len(engine) == 1


def test_run_while_returns_when_nothing_is_scheduled():
    engine = Engine()
    engine.run_while(lambda: True)  # must not spin forever
    assert engine.now == 0.0


def test_the_same_seed_draws_the_same_numbers():
    a, b, c = Engine(seed=3), Engine(seed=3), Engine(seed=4)
    draws_a = [a.rng.random() for _ in range(5)]
    assert draws_a == [b.rng.random() for _ in range(5)]
    assert draws_a != [c.rng.random() for _ in range(5)]


def test_steps_count_entries_even_when_a_callback_raises():
    engine = Engine()

    def boom(_):
        raise RuntimeError("boom")

    engine.at(1.0, lambda _: None)
    engine.at(2.0, boom)
    with pytest.raises(RuntimeError, match="boom"):
        engine.run()
    assert engine.steps == 2
    assert engine.now == 2.0
