"""The runtime in detail, against mutants that survived the other tests: the clock of a
handler after a nested invoke fails, the state after module code fails, the frames of an
init error, the hang guard timing each call on its own, and environment variables
switched between functions."""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import os
import signal
import time
import weakref

import pytest

import lambda_lab as ll
from lambda_lab.sim.compute.runtime import INIT_HUNG, OK, TIMEOUT


def busy(seconds: float) -> None:
    """Keep the CPU busy for ``seconds`` of real time (``perf_counter`` is never patched)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


# -- nested invokes -----------------------------------------------------------------------


def test_a_nested_invoke_that_fails_leaves_the_callers_clock_at_its_own_instant(lab):
    # GIVEN a module function whose duration setting is broken (it raises), and a handler
    # that sleeps 1 s, invokes it (its module loads inside that call), and catches the error
    def broken(event):
        raise ZeroDivisionError("no duration")

    code = "def handler(event, context):\n    return 1\n"
    lab.create_function(
        "inner", "lambda_function.handler", code=code, duration=broken, init_duration=0.5
    )

    def outer(event, context):
        time.sleep(1)
        try:
            lab.invoke("inner")
        except ZeroDivisionError as exc:
            return [time.time(), str(exc), os.environ["AWS_LAMBDA_FUNCTION_NAME"]]
        return "the nested invoke did not fail"

    lab.create_function("outer", outer, timeout=10, init_duration=0.25)
    # WHEN the outer function is invoked
    response = lab.invoke("outer")
    # THEN the error reached the outer handler, whose clock and variables are its own:
    # Init 0.25 s + 1 s slept (the failed call took no virtual time)
    assert response.payload == [lab.clock.unix(1.25), "no duration", "outer"]


# -- module code ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    ["raise RuntimeError('no config')\n", "import no_such_module_here\n"],
    ids=["raises", "import-error"],
)
def test_after_module_code_fails_no_handler_is_left_running(code):
    # GIVEN module code that fails while it loads (no handler call follows it)
    lab = ll.Lab(seed=1, echo_logs=False)
    lab.create_function("f", "lambda_function.handler", code=code)
    # WHEN invoked
    response = lab.invoke("f")
    # THEN it is an init error, and afterwards the runtime says no handler is running
    assert response.function_error == "Unhandled"
    assert lab.runtime.in_handler() is False
    assert lab.runtime.writer() is None


def test_an_init_error_keeps_the_frame_of_the_code_that_raised():
    # GIVEN module code given to the runtime directly as a function that raises
    lab = ll.Lab(seed=1, echo_logs=False)

    def load():
        raise ValueError("bad setting")

    line = load.__code__.co_firstlineno + 1
    # WHEN the runtime runs it as module code, and then runs code that loads fine
    with lab.runtime:
        info = lab.runtime.run_init(load, 0.0, {})
        fine = lab.runtime.run_init(lambda: None, 0.0, {})
    # THEN the error keeps that function's frame (only the runtime's own frame is skipped)
    assert (info.error_type, info.error_message) == ("ValueError", "bad setting")
    assert info.frames == [(__file__, line, "load")]
    assert info.request_id_in_payload is False
    # AND code that loads returns no error
    assert fine is None


# -- the hang guard times each call on its own -----------------------------------------------


def test_back_to_back_calls_each_shorter_than_the_guard_are_never_cut_off():
    # GIVEN a 0.3 s guard, and a handler that computes for 25 ms of real time
    lab = ll.Lab(seed=1, hang_guard_seconds=0.3, echo_logs=False)

    def work(event, context):
        busy(0.025)
        return "done"

    # WHEN it is called 40 times in a row in one session (1 s, more than 3 guards)
    with lab.runtime:
        statuses = [lab.runtime.call(work, {}, None, 0.0, 3.0, {})[0] for _ in range(40)]
    # THEN every call finished: the guard measured each call from its own start
    assert statuses == [OK] * 40
    assert lab.runtime.hangs == 0


def test_module_loads_between_quick_calls_are_each_timed_on_their_own():
    # GIVEN a 0.3 s guard, module code that computes for 25 ms, and a handler that returns
    lab = ll.Lab(seed=1, hang_guard_seconds=0.3, echo_logs=False)
    outcomes = []
    # WHEN a module load and a call alternate 40 times in one session (1 s of real time)
    with lab.runtime:
        for _ in range(40):
            outcomes.append(lab.runtime.run_init(lambda: busy(0.025), 0.0, {}))
            outcomes.append(lab.runtime.call(lambda e, c: 1, {}, None, 0.0, 3.0, {})[0])
    # THEN no load was taken for a hang: each one is a new piece of code to the guard
    assert INIT_HUNG not in outcomes
    assert outcomes == [None, OK] * 40
    assert lab.runtime.hangs == 0


def test_a_handler_that_swallows_the_guards_interruption_is_stopped_one_guard_later():
    # GIVEN a 0.3 s guard, and a handler that spins, catches the interruption (as a bare
    # `except BaseException` would), notes when, and spins again
    lab = ll.Lab(seed=1, hang_guard_seconds=0.3, echo_logs=False)
    caught = []

    def stubborn(event, context):
        try:
            while True:
                pass
        except BaseException:
            caught.append(time.perf_counter())
        try:
            while True:
                pass
        finally:
            caught.append(time.perf_counter())

    lab.create_function("stubborn", stubborn, timeout=5)
    # WHEN invoked
    response = lab.invoke("stubborn")
    # THEN the guard interrupted it a second time, no sooner than a guard after the first,
    # and the call is a timeout, counted as one hang
    assert response.payload["errorType"] == "Sandbox.Timedout"
    assert len(caught) == 2
    assert caught[1] - caught[0] >= 0.3 * 0.9
    assert lab.runtime.hangs == 1


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")
def test_an_alarm_during_the_first_call_of_a_lab_is_not_taken_for_the_guards():
    # GIVEN a program with its own SIGALRM handler, and a fresh lab whose first handler
    # raises SIGALRM itself (the guard has never fired)
    seen = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: seen.append(signum))
    try:
        lab = ll.Lab(seed=1, echo_logs=False)

        def alarm(event, context):
            signal.raise_signal(signal.SIGALRM)
            return "carried on"

        lab.create_function("alarm", alarm)
        # WHEN it is invoked
        response = lab.invoke("alarm")
    finally:
        signal.signal(signal.SIGALRM, previous)
    # THEN the handler was not stopped, and the program's handler got the signal
    assert response.payload == "carried on"
    assert seen == [signal.SIGALRM]


def test_a_lab_that_is_dropped_leaves_no_runtime_behind_in_the_guard():
    # GIVEN a lab that ran a handler, then was dropped
    first = ll.Lab(seed=1, echo_logs=False)
    first.create_function("f", lambda e, c: busy(0.05))
    first.invoke("f")
    gone = weakref.ref(first.runtime)
    del first
    # WHEN another lab runs a handler for a while (the guard looks at running labs)
    second = ll.Lab(seed=1, echo_logs=False)
    second.create_function("f", lambda e, c: busy(0.2))
    second.invoke("f")
    gc.collect()
    # THEN the first lab's runtime was freed: neither the guard nor the alarm keeps it
    assert gone() is None


def test_the_clock_is_exact_for_a_calendar_that_starts_before_1970():
    # GIVEN a lab whose calendar starts 99.75 s before the Unix epoch
    start = dt.datetime(1969, 12, 31, 23, 58, 20, 250000, tzinfo=dt.timezone.utc)
    lab = ll.Lab(seed=1, start_time=start, echo_logs=False)
    lab.create_function("look", lambda e, c: time.time(), init_duration=0)
    # WHEN a handler reads the clock at t=0, THEN it reads the start, to the microsecond
    assert abs(lab.invoke("look").payload - start.timestamp()) < 1e-6
    assert start.timestamp() == -99.75


def test_a_call_that_runs_out_of_time_says_the_runtime_process_ended():
    # GIVEN a 0.2 s guard, a handler that sleeps past its budget and one that spins
    lab = ll.Lab(seed=1, hang_guard_seconds=0.2, echo_logs=False)

    def spin(event, context):
        while True:
            pass

    # WHEN the runtime calls each directly with a 3 s budget
    with lab.runtime:
        overslept = lab.runtime.call(lambda e, c: time.sleep(5), {}, None, 0.0, 3.0, {})
        hung = lab.runtime.call(spin, {}, None, 0.0, 3.0, {})
    # THEN both are timeouts whose process must restart: the deadline came after 3 s
    # of virtual sleep, the guard stopped the other before it slept at all
    assert overslept == (TIMEOUT, None, 3.0, True)
    assert hung == (TIMEOUT, None, 0.0, True)


def test_a_failed_import_in_module_code_has_no_request_id_in_its_payload():
    # GIVEN module code, given to the runtime directly, that imports a missing module
    lab = ll.Lab(seed=1, echo_logs=False)

    def load():
        importlib.import_module("no_such_module_here")

    # WHEN the runtime runs it as module code
    with lab.runtime:
        info = lab.runtime.run_init(load, 0.0, {})
    # THEN it is the runtime's import error, whose payload carries no request id
    assert info.error_type == "Runtime.ImportModuleError"
    assert info.error_message == (
        "Unable to import module 'lambda_function': No module named 'no_such_module_here'"
    )
    assert info.request_id_in_payload is False
