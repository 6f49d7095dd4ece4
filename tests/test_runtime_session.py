"""One runtime session in detail: module code loaded from inside a handler, environment
variables around nested calls and module loading, sleeps at the edges and in other
threads, error lines' times, and what a session gives back to the process when it ends
(sleep, streams, logging handlers, GC thresholds, variables)."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import io
import logging
import os
import threading
import time

import pytest

import lambda_lab as ll
from lambda_lab.sim.compute.logs import LogStore
from lambda_lab.sim.compute.runtime import Runtime

#: The process's own sleep, taken before any test opens a session.
REAL_SLEEP = time.sleep

NBSP = "\u00a0"

INNER = """\
import os, time
LOADED_AS = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
LOADED_AT = time.time()
print("inner loading")

def handler(event, context):
    time.sleep(0.05)
    return {"loaded_as": LOADED_AS, "loaded_at": LOADED_AT, "event": event}
"""


def test_a_handler_may_cold_start_a_module_function_and_keeps_its_own_state(lab):
    # GIVEN a module function, and a handler that sleeps 1 s then invokes it
    lab.create_function("inner", "lambda_function.handler", code=INNER, init_duration=0.5)
    seen = {}

    def outer(event, context):
        time.sleep(1)
        seen["inner"] = lab.invoke("inner", {"order": 7}).payload
        seen["name after"] = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        seen["time after"] = time.time()
        return "done"

    lab.create_function("outer", outer, timeout=10, init_duration=0.25)
    # WHEN the outer function is invoked (the inner one loads its module inside that call)
    response = lab.invoke("outer")
    # THEN the inner module loaded under its own name, at the instant it was called,
    # and its handler got the event (and could sleep)
    clock = lab.clock
    assert response.payload == "done"
    assert seen["inner"] == {
        "loaded_as": "inner",
        "loaded_at": clock.unix(1.25),
        "event": {"order": 7},
    }
    # AND the outer handler got its own variables and clock back after the wait
    # (Init 0.5 s + 0.05 s slept + 0.1 s of the inner call)
    assert seen["name after"] == "outer"
    assert seen["time after"] == clock.unix(1.25 + 0.65)
    # AND the inner module's output is in the inner function's log
    assert next(e["message"] for e in lab.logs("inner")) == "inner loading"


def test_module_code_sees_its_functions_variables_on_the_first_cold_start(monkeypatch):
    # GIVEN a fresh lab whose first code is a module that reads variables at import
    monkeypatch.delenv("TABLE", raising=False)
    lab = ll.Lab(seed=1)
    code = (
        "import os\nTABLE = os.environ.get('TABLE')\n"
        "def handler(event, context):\n    return TABLE\n"
    )
    lab.create_function("f", "lambda_function.handler", code=code, environment={"TABLE": "t1"})
    # WHEN invoked, THEN the module saw the function's variable while loading
    assert lab.invoke("f").payload == "t1"
    assert "TABLE" not in os.environ


def test_an_init_error_is_logged_when_it_happens(lab):
    # GIVEN module code that sleeps 2 s while loading, then fails
    code = "import time\ntime.sleep(2)\nraise RuntimeError('no config')\n"
    lab.create_function("f", "lambda_function.handler", code=code, init_duration=3)
    # WHEN invoked
    lab.invoke("f")
    # THEN the [ERROR] line is stamped 2 s into Init
    start_ms = round(lab.clock.epoch_seconds * 1000)
    (error,) = [e for e in lab.logs("f") if e["message"].startswith("[ERROR]")]
    assert error["message"].startswith("[ERROR] RuntimeError: no config\n")
    assert error["timestamp"] == start_ms + 2000


def test_sleeping_exactly_to_the_timeout_stops_the_handler(lab):
    # GIVEN a handler that sleeps exactly its 3 s timeout before writing
    writes = []

    def handler(event, context):
        time.sleep(3)
        writes.append("after")

    lab.create_function("f", handler, duration=0)
    # WHEN invoked
    response = lab.invoke("f")
    # THEN the deadline came at the end of the sleep: the write never happened
    assert writes == []
    assert response.payload["errorType"] == "Sandbox.Timedout"


def test_a_zero_sleep_is_allowed(lab):
    # GIVEN a handler that yields with time.sleep(0), WHEN invoked, THEN it just returns
    lab.create_function("f", lambda e, c: time.sleep(0) or "yielded")
    response = lab.invoke("f")
    assert response.payload == "yielded"
    assert response.duration == 0.1


def test_a_sleep_in_another_thread_is_real_and_leaves_the_handlers_clock(lab):
    # GIVEN a handler that starts a thread which sleeps (for real, briefly), and waits for it
    errors = []

    def nap():
        try:
            time.sleep(0.001)
        except BaseException as exc:
            errors.append(exc)

    def handler(event, context):
        worker = threading.Thread(target=nap)
        worker.start()
        worker.join()
        return time.time()

    lab.create_function("f", handler, init_duration=0)
    # WHEN invoked
    response = lab.invoke("f")
    # THEN the thread's sleep worked and did not move the handler's virtual time
    assert errors == []
    assert response.payload == lab.clock.unix(0.0)
    assert response.duration == 0.1


def test_an_error_line_is_stamped_when_the_handler_raised(lab):
    # GIVEN handlers that sleep 1 s, then raise (a ValueError, a KeyError)
    def bad_value(event, context):
        time.sleep(1)
        raise ValueError("bad amount")

    def missing_key(event, context):
        time.sleep(1)
        raise KeyError("amount")

    lab.create_function("value", bad_value, init_duration=0.25)
    lab.create_function("key", missing_key, init_duration=0.25)
    start_ms = round(lab.clock.epoch_seconds * 1000)
    for name, first_line in (
        ("value", "[ERROR] ValueError: bad amount"),
        ("key", "[ERROR] KeyError: 'amount'"),
    ):
        # WHEN invoked
        invoked_at = lab.now
        lab.invoke(name)
        # THEN the [ERROR] line is stamped at the raise: after Init and the sleep
        (error,) = [e for e in lab.logs(name) if e["message"].startswith("[ERROR]")]
        assert error["message"].splitlines()[0] == first_line
        assert error["timestamp"] == start_ms + round((invoked_at + 1.25) * 1000)


def test_a_ctrl_c_in_a_handler_reaches_the_caller_and_the_lab_stays_usable(lab):
    # GIVEN a handler interrupted by the user (KeyboardInterrupt), and a normal one
    def interrupted(event, context):
        raise KeyboardInterrupt

    lab.create_function("ctrl_c", interrupted)
    lab.create_function("ok", lambda e, c: "fine")
    # WHEN invoked, THEN the interrupt reaches whoever runs the lab
    try:
        lab.invoke("ctrl_c")
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the KeyboardInterrupt did not reach the caller")
    # AND no handler is running any more: the lab runs and invokes as before
    assert not lab.runtime.in_handler()
    lab.run(until=lab.now + 1)
    assert lab.invoke("ok").payload == "fine"


def test_after_a_process_exit_no_handler_is_left_running(lab):
    # GIVEN a handler that exits the process
    lab.create_function("quit", lambda e, c: exit(3))
    # WHEN invoked
    response = lab.invoke("quit")
    # THEN it is Runtime.ExitError, and the lab is back outside any handler
    assert response.payload["errorType"] == "Runtime.ExitError"
    assert not lab.runtime.in_handler()
    lab.run(until=lab.now + 1)
    (ended,) = lab.trace.filter(kind="attempt_ended")
    assert ended["error_message"] == "Runtime exited without providing a reason"


def test_a_response_too_large_keeps_the_environment_warm(lab):
    # GIVEN module code that counts its calls and returns over 6 MB on the first
    code = (
        "calls = 0\n"
        "def handler(event, context):\n"
        "    global calls\n"
        "    calls += 1\n"
        "    return 'x' * 6_300_000 if calls == 1 else calls\n"
    )
    lab.create_function("big", "lambda_function.handler", code=code)
    # WHEN invoked twice
    first, second = lab.invoke("big"), lab.invoke("big")
    # THEN the first is Function.ResponseSizeTooLarge, but the process lived on:
    # the second call is warm and its module state is kept
    assert first.payload["errorType"] == "Function.ResponseSizeTooLarge"
    assert second.payload == 2
    assert second.init_duration == 0.0
    assert not lab.trace.filter(kind="env_reset")


def test_the_clock_is_exact_far_into_the_simulation(lab):
    # GIVEN a handler that reads the clock, invoked after 100 000 simulated seconds
    lab.create_function("look", lambda e, c: time.time(), init_duration=0)
    lab.run(until=100_000.0)
    # WHEN invoked, THEN it reads that instant to the microsecond
    assert abs(lab.invoke("look").payload - lab.clock.unix(100_000.0)) < 1e-6


def test_after_a_session_sleep_and_the_root_loggers_handlers_are_the_processs_again(lab):
    # GIVEN the process's own sleep (taken when this module was imported) and root handlers
    handlers = list(logging.getLogger().handlers)
    lab.create_function("f", lambda e, c: time.sleep(1))
    # WHEN a session runs a handler
    lab.invoke("f")
    # THEN the real sleep and the root logger's handlers are back
    assert time.sleep is REAL_SLEEP
    assert logging.getLogger().handlers == handlers


def test_output_follows_the_streams_of_each_session():
    # GIVEN a lab that echoes, run once with today's stdout
    lab = ll.Lab(seed=1)
    lab.create_function("f", lambda e, c: print("hello"))
    lab.invoke("f")
    # WHEN the notebook's stdout is another stream for the next session
    redirected = io.StringIO()
    with contextlib.redirect_stdout(redirected):
        lab.invoke("f")
    # THEN that session's echo went to that stream
    assert redirected.getvalue() == "hello\n"


def test_variables_of_one_function_do_not_leak_into_the_next_in_one_session(monkeypatch):
    # GIVEN a process with its own TABLE, and two functions: only "a" sets TABLE and ONLY_A
    monkeypatch.setenv("TABLE", "mine")
    monkeypatch.delenv("ONLY_A", raising=False)
    lab = ll.Lab(seed=1)
    look = lambda e, c: (os.environ.get("TABLE"), os.environ.get("ONLY_A"))  # noqa: E731
    lab.create_function("a", look, environment={"TABLE": "t1", "ONLY_A": "1"})
    lab.create_function("b", look)
    # WHEN a, b, a run in one session
    with lab.runtime:
        seen = [lab.invoke(name).payload for name in ("a", "b", "a")]
    # THEN each saw only its own variables, and the process has its own back
    assert seen == [["t1", "1"], ["mine", None], ["t1", "1"]]
    assert os.environ["TABLE"] == "mine"
    assert "ONLY_A" not in os.environ


def test_the_clock_keeps_the_microseconds_of_the_start_time():
    # GIVEN a lab whose calendar starts at a fraction of a second
    start = dt.datetime(2001, 2, 3, 4, 5, 6, 250000, tzinfo=dt.timezone.utc)
    lab = ll.Lab(seed=1, start_time=start)
    lab.create_function("look", lambda e, c: time.time(), init_duration=0)
    # WHEN a handler reads the clock at t=0, THEN it reads the start, to the microsecond
    assert abs(lab.invoke("look").payload - start.timestamp()) < 1e-6


def test_a_runtime_made_on_its_own_keeps_its_own_log_store(lab):
    # GIVEN a runtime built without a log store, WHEN asked for its logs
    runtime = Runtime(lab.clock, "eu-west-1", 1.0)
    # THEN it has an empty store of its own, on that clock
    assert isinstance(runtime.logs, LogStore)
    assert runtime.logs is not lab.world.logs
    assert runtime.logs.lines == []
    assert runtime.logs.millis(1.5) == round(lab.clock.epoch_seconds * 1000) + 1500


def test_calling_a_handler_outside_a_session_says_how_to_open_one(lab):
    # GIVEN a runtime with no session, WHEN a handler is called directly, THEN the error says so
    with pytest.raises(
        RuntimeError, match=r"^handlers run inside a runtime session: `with runtime:`$"
    ):
        lab.runtime.call(lambda e, c: 1, {}, None, 0.0, 3.0, {})


def test_the_guard_runs_in_one_daemon_thread_named_for_it(lab):
    # GIVEN a handler that looks at the process's threads while it runs
    seen = []
    lab.create_function(
        "f",
        lambda e, c: seen.extend(
            (t.name, t.daemon) for t in threading.enumerate() if "hang-guard" in t.name.lower()
        ),
    )
    # WHEN invoked, THEN one daemon thread watches for hangs, named lambda-lab-hang-guard
    lab.invoke("f")
    assert seen == [("lambda-lab-hang-guard", True)]


SPIN = "def handler(event, context):\n    while True:\n        pass\n"


def test_in_handler_and_active_are_false_after_every_kind_of_ending():
    # GIVEN handlers that end every way a handler can end, and module code that loads
    lab = ll.Lab(seed=1, hang_guard_seconds=0.2, echo_logs=False)

    def interrupted(event, context):
        raise KeyboardInterrupt

    def raises(error):
        def handler(event, context):
            raise error

        return handler

    lab.create_function("returns", lambda e, c: "ok")
    lab.create_function("module", "lambda_function.handler", code="def handler(e, c):\n    pass\n")
    lab.create_function("spins", "lambda_function.handler", code=SPIN)
    lab.create_function("oversleeps", lambda e, c: time.sleep(10))
    lab.create_function("exits", lambda e, c: exit(1))
    lab.create_function("bad_value", raises(ValueError("v")))
    lab.create_function("missing_key", raises(KeyError("k")))
    lab.create_function("interrupted", interrupted)
    names = ["returns", "module", "spins", "oversleeps", "exits", "bad_value", "missing_key"]
    for name in [*names, "interrupted"]:
        # WHEN each is invoked
        try:
            lab.invoke(name)
        except KeyboardInterrupt:
            assert name == "interrupted"
        # THEN afterwards no handler is running, and the session's patches are off
        assert lab.runtime.in_handler() is False, name
        assert lab.runtime.active is False, name


def test_full_collections_are_deferred_while_handlers_run_and_restored_after(lab):
    # GIVEN the process's garbage-collection thresholds, and a handler that reads them
    before = gc.get_threshold()
    lab.create_function("f", lambda e, c: list(gc.get_threshold()))
    # WHEN it runs, THEN full collections wait for at least 1000 collections of the
    # middle generation, and the young generations are as they were
    assert lab.invoke("f").payload == [before[0], before[1], max(before[2], 1000)]
    # AND after the session the thresholds are the process's again
    assert gc.get_threshold() == before


def test_a_fresh_runtime_is_idle_at_time_zero():
    # GIVEN a lab that has run nothing yet
    runtime = ll.Lab(seed=1).runtime
    # THEN its runtime runs no handler, has no patches on, reads t=0, slept and hung never
    assert runtime.in_handler() is False
    assert runtime.active is False
    assert runtime.now() == 0.0
    assert (runtime.slept, runtime.hangs) == (0.0, 0)
    assert runtime.writer() is None
