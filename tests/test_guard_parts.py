"""The hang guard's parts on their own: the clock patch, the watchdog thread, and a
runtime's check driven with chosen real times (no waiting on the wall clock)."""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from types import SimpleNamespace

import pytest

import lambda_lab as ll
from lambda_lab.sim.clock import SimClock
from lambda_lab.sim.compute.clockpatch import ClockPatch, settable
from lambda_lab.sim.compute.runtime import OK, TIMEOUT, Runtime
from lambda_lab.sim.compute.watchdog import Watchdog, check_interval, watchdog

UTC = dt.timezone.utc


class SilentWatchdog(Watchdog):
    """A watchdog that never calls: the test calls ``check`` itself."""

    def watch(self, runtime):
        self.watched = runtime

    def unwatch(self, runtime):
        self.watched = None


class Probe:
    """A watched object that records the watchdog's calls."""

    def __init__(self, dog=None, guard=0.02):
        self.guard = guard
        self.dog = dog
        self.seen = threading.Event()
        self.threads = set()

    def check(self, now):
        self.threads.add(threading.get_ident())
        if self.dog is not None:
            self.dog.unwatch(self)  # once is enough: the watchdog then has nothing to do
        self.seen.set()


_DOGS = {}


def quiet_runtime(guard=10.0):
    dog = SilentWatchdog("test-guard-silent")
    runtime = Runtime(SimClock(dt.datetime(2030, 1, 1, tzinfo=UTC)), "eu-west-1", guard,
                      watchdog=dog)  # fmt: skip
    _DOGS[id(runtime)] = dog
    return runtime


def runtime_watchdog(runtime):
    """The silent watchdog ``quiet_runtime`` gave this runtime."""
    return _DOGS[id(runtime)]


# -- the clock patch -------------------------------------------------------------------------


@pytest.mark.parametrize("direct", [None, False])
def test_the_clock_patch_shows_virtual_time_either_way(direct):
    # GIVEN a clock patch, fast (the installed time-machine's) or portable
    clock = SimClock(dt.datetime(2030, 1, 1, tzinfo=UTC))
    patch = ClockPatch(clock, direct=direct)
    assert patch.direct is False  # nothing is patched before start
    # WHEN it is started and moved
    patch.start()
    try:
        fast = patch.direct
        at_start = time.time()
        patch.move(5.25)
        seen = time.time(), dt.datetime.now(UTC)
        patch.move(60.0)
        later = time.time()
    finally:
        patch.stop()
    # THEN handlers read the virtual instant (the fast way to the nanosecond, the
    # portable way through a float), and the real clock is back after stop
    assert fast is (direct is None)
    assert at_start == clock.epoch_seconds  # the epoch, until the first move
    exact = 0 if fast else 1e-6
    assert seen[0] == pytest.approx(clock.epoch_seconds + 5.25, abs=exact, rel=0)
    expected = dt.datetime(2030, 1, 1, 0, 0, 5, 250000, UTC)
    assert abs((seen[1] - expected).total_seconds()) <= exact
    assert later == pytest.approx(clock.epoch_seconds + 60.0, abs=exact, rel=0)
    assert abs(time.time() - dt.datetime.now(UTC).timestamp()) < 5
    assert time.time() > dt.datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    assert patch.direct is False


@pytest.mark.parametrize("direct", [None, False])
def test_the_clock_patch_is_exact_before_1970(direct):
    # GIVEN an epoch half a second before 1970
    clock = SimClock(dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC))
    patch = ClockPatch(clock, direct=direct)
    patch.start()
    try:
        patch.move(0.25)
        # THEN a quarter of a second later is exactly -0.25 s of Unix time
        assert time.time() == -0.25
    finally:
        patch.stop()


def test_the_fast_path_is_taken_only_for_a_non_ticking_traveller_with_an_integer_instant():
    # GIVEN travellers as other time-machine versions might start them
    assert settable(SimpleNamespace(_destination_timestamp_ns=5, _tick=False)) is True
    # THEN one that ticks, has a float or no instant, or says nothing of ticking is moved
    # the portable way
    assert settable(SimpleNamespace(_destination_timestamp_ns=5, _tick=True)) is False
    assert settable(SimpleNamespace(_destination_timestamp_ns=5.0, _tick=False)) is False
    assert settable(SimpleNamespace(_tick=False)) is False
    assert settable(SimpleNamespace(_destination_timestamp_ns=5)) is False


def test_the_fast_path_needs_the_instant_and_asking_for_it_keeps_it():
    clock = SimClock(dt.datetime(2030, 1, 1, tzinfo=UTC))
    patch = ClockPatch(clock, direct=True)
    patch.start()
    try:
        assert patch.direct is True  # the supported time-machine has the instant
    finally:
        patch.stop()


# -- the watchdog thread ------------------------------------------------------------------------


def test_the_watchdog_starts_one_daemon_thread_at_the_first_watch():
    # GIVEN a new watchdog (the process's own is named lambda-lab-hang-guard)
    assert Watchdog().name == "lambda-lab-hang-guard"
    dog = Watchdog("test-guard-first")
    assert dog.thread is None
    assert dog.thread is None
    probe = Probe(dog)
    # WHEN something is watched
    dog.watch(probe)
    # THEN a daemon thread named for the guard checks it
    assert probe.seen.wait(10)
    thread = dog.thread
    assert thread is not None and thread.daemon and thread.is_alive()
    assert thread.name == "test-guard-first"
    assert probe.threads == {thread.ident}


def test_the_watchdog_keeps_its_thread_while_idle_and_serves_the_next_watch():
    # GIVEN a watchdog whose only watched object left (it goes idle)
    dog = Watchdog("test-guard-idle")
    first = Probe(dog)
    dog.watch(first)
    assert first.seen.wait(10)
    thread = dog.thread
    # WHEN another is watched
    second = Probe(dog)
    dog.watch(second)
    # THEN the same thread checks it
    assert second.seen.wait(10)
    assert dog.thread is thread and thread.is_alive()
    assert second.threads == {thread.ident}


def test_a_runtime_is_checked_four_times_per_guard_and_at_least_every_50_ms():
    assert check_interval(0.1) == 0.025
    assert check_interval(0.2) == 0.05
    assert check_interval(30.0) == 0.05


def test_unwatching_what_was_never_watched_is_harmless_and_the_shared_one_is_one():
    dog = Watchdog("test-guard-unused")
    dog.unwatch(Probe())
    assert dog.thread is None
    assert watchdog() is watchdog()


# -- a runtime's check, with chosen real times -----------------------------------------------------


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")
def test_a_handler_is_stopped_exactly_one_guard_after_it_was_first_seen():
    # GIVEN a runtime with a guard of 10 s whose checks the test makes itself
    runtime = quiet_runtime(guard=10.0)
    notes = []

    def handler(event, context):
        runtime.check(100.0)  # the guard first sees this call (its first)
        runtime.check(109.999)
        notes.append("under a guard")
        runtime.check(110.0)  # WHEN a whole guard has passed
        notes.append("carried on")

    with runtime:
        status, value, _, restart = runtime.call(handler, {}, None, 0.0, 3.0, {})
        watched_during = runtime_watchdog(runtime).watched
    # THEN the handler was stopped right there, as a timeout that restarts the runtime
    assert notes == ["under a guard"]
    assert (status, value, restart) == (TIMEOUT, None, True)
    assert runtime.hangs == 1
    # AND the runtime was watched by the watchdog it was given, until its session ended
    assert watched_during is runtime
    assert runtime_watchdog(runtime).watched is None


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")
def test_a_handler_that_swallows_the_interruption_is_interrupted_again_a_guard_later():
    runtime = quiet_runtime(guard=10.0)
    notes = []

    def handler(event, context):
        runtime.check(100.0)
        try:
            runtime.check(110.0)
            notes.append("not reached")
        except BaseException:
            notes.append("swallowed")
        runtime.check(119.999)  # within a guard of the interruption: not again
        notes.append("still running")
        runtime.check(120.0)
        notes.append("never")

    with runtime:
        status = runtime.call(handler, {}, None, 0.0, 3.0, {})[0]
    assert notes == ["swallowed", "still running"]
    assert status == TIMEOUT and runtime.hangs == 1


def test_checks_outside_a_call_and_of_a_finished_call_do_nothing():
    # GIVEN a runtime checked before any call, and a call the guard saw start
    runtime = quiet_runtime(guard=10.0)
    runtime.check(0.0)
    runtime.check(1000.0)
    with runtime:
        first = runtime.call(lambda e, c: runtime.check(5000.0), {}, None, 0.0, 3.0, {})
        # WHEN a later call is checked a long time after the first was seen
        second = runtime.call(lambda e, c: runtime.check(9000.0) or 1, {}, None, 0.0, 3.0, {})
    # THEN neither was stopped: each call is timed from when it was first seen
    assert (first[0], second[:2]) == (OK, (OK, "1"))
    assert runtime.hangs == 0 and runtime.calls == 2


def test_a_nested_call_gives_the_outer_its_number_back_and_the_next_call_a_new_one():
    # GIVEN a handler that calls another one inside it, both seen by the guard
    runtime = quiet_runtime(guard=10.0)

    def inner(event, context):
        runtime.check(200.0)
        return "inner"

    def outer(event, context):
        runtime.check(100.0)
        answer = runtime.call(inner, {}, None, 0.0, 3.0, {})
        runtime.check(105.0)  # the outer call again: seen at 100, under a guard
        return answer[1]

    def later(event, context):
        runtime.check(205.0)  # a new call, first seen now: not the inner one of 200
        runtime.check(214.0)
        return "later"

    with runtime:
        results = [runtime.call(h, {}, None, 0.0, 3.0, {})[:2] for h in (outer, later)]
    # THEN no call was taken for another: nothing was stopped, and three calls ran
    assert results == [(OK, '"\\"inner\\""'), (OK, '"later"')]
    assert runtime.calls == 3 and runtime.hangs == 0


def test_a_lab_counts_its_handler_calls_and_module_loads():
    # GIVEN a lab with a function from source (a module load) and one from a callable
    lab = ll.Lab(seed=1, echo_logs=False)
    lab.create_function(
        "code", "lambda_function.handler", code="def handler(event, context):\n    return 1\n"
    )
    lab.create_function("plain", lambda e, c: 2)
    # WHEN each is invoked twice
    for name in ("code", "plain", "code", "plain"):
        lab.invoke(name)
    # THEN five calls were made: four handlers and one module load
    assert lab.runtime.calls == 5
