"""The hang guard and SIGALRM: the guard's count of interrupted code, and alarms that are
not the guard's (ignored ones stay ignored, unhandled ones still end the process).

(This file sorts first among the tests on purpose: its first test is the first to start
the guard's watchdog in a test session, so a broken watchdog shows up here as a hang.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import lambda_lab as ll

needs_alarm = pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")

SPIN = "def handler(event, context):\n    while True:\n        pass\n"


def test_the_guard_counts_each_hang_of_module_code_and_of_handlers():
    # GIVEN a short guard, module code that never finishes loading, and a handler that spins
    lab = ll.Lab(seed=1, hang_guard_seconds=0.2)
    lab.create_function("stuck", "lambda_function.handler", code="while True:\n    pass\n")
    lab.create_function("spin", "lambda_function.handler", code=SPIN)
    # WHEN each is invoked
    stuck, spin = lab.invoke("stuck"), lab.invoke("spin")
    # THEN both are timeouts, and the runtime counted two hangs
    assert stuck.payload["errorType"] == spin.payload["errorType"] == "Sandbox.Timedout"
    assert lab.runtime.hangs == 2
    # AND the lab is still usable
    lab.create_function("ok", lambda e, c: "fine")
    assert lab.invoke("ok").payload == "fine"


@needs_alarm
def test_an_ignored_alarm_stays_ignored_and_is_not_taken_for_the_guard():
    # GIVEN a program that ignores SIGALRM, and a session in which the guard has fired
    previous = signal.signal(signal.SIGALRM, signal.SIG_IGN)
    try:
        lab = ll.Lab(seed=1, hang_guard_seconds=0.2)
        lab.create_function("spin", "lambda_function.handler", code=SPIN)
        lab.create_function("ok", lambda e, c: "fine")
        with lab.runtime:
            assert lab.invoke("spin").payload["errorType"] == "Sandbox.Timedout"
            # WHEN the process gets a SIGALRM outside any handler, in the session
            signal.raise_signal(signal.SIGALRM)
            # THEN nothing happens: no handler is stopped, the lab runs on
            assert lab.invoke("ok").payload == "fine"
    finally:
        # Leave no ignoring behind: the guard's handler passes on to the default again.
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        lab = ll.Lab(seed=1)
        lab.create_function("f", lambda e, c: None)
        lab.invoke("f")
        signal.signal(signal.SIGALRM, previous)


@needs_alarm
def test_the_previous_alarm_handler_gets_the_signal_and_its_frame():
    # GIVEN a program with its own SIGALRM handler, and a lab that ran a handler
    seen = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: seen.append((signum, frame)))
    try:
        lab = ll.Lab(seed=1)
        lab.create_function("f", lambda e, c: None)
        with lab.runtime:
            lab.invoke("f")
            # WHEN the process gets a SIGALRM outside any handler
            signal.raise_signal(signal.SIGALRM)
        # THEN the program's handler got the signal with the interrupted frame
        ((signum, frame),) = seen
        assert signum == signal.SIGALRM
        assert frame is not None and frame.f_code.co_name.startswith("test_the_previous")
    finally:
        signal.signal(signal.SIGALRM, previous)


UNHANDLED = """
import signal, sys
import lambda_lab as ll
signal.signal(signal.SIGALRM, signal.SIG_DFL)
lab = ll.Lab(seed=1)
lab.create_function("f", lambda e, c: None)
with lab.runtime:
    lab.invoke("f")
    signal.raise_signal(signal.SIGALRM)
print("survived")
"""


@needs_alarm
def test_an_alarm_nobody_handles_still_ends_the_process():
    # GIVEN a program that leaves SIGALRM to its default action, with a lab session open
    # (run in a child process, with this process's lambda_lab and environment)
    package_root = str(Path(ll.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": package_root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # WHEN the process gets a SIGALRM
    done = subprocess.run(
        [sys.executable, "-c", UNHANDLED], env=env, capture_output=True, text=True, timeout=60
    )
    # THEN it ends as it would without the lab: killed by the signal
    assert done.returncode == -signal.SIGALRM, done.stderr
    assert "survived" not in done.stdout


def test_a_lab_run_from_another_thread_still_has_its_hang_guard():
    # GIVEN a lab driven from a worker thread (no signal there: the guard raises in it)
    lab = ll.Lab(seed=1, hang_guard_seconds=0.2)
    lab.create_function("spin", "lambda_function.handler", code=SPIN)
    lab.create_function("ok", lambda e, c: "fine")
    results = []

    def drive():
        results.append(lab.invoke("spin").payload["errorType"])
        results.append(lab.invoke("ok").payload)

    # WHEN the worker invokes a handler that spins, then a normal one
    worker = threading.Thread(target=drive, daemon=True)
    worker.start()
    worker.join(timeout=30)
    # THEN the spinning handler was stopped as a timeout and the next call ran
    assert not worker.is_alive(), "the hang guard did not stop the handler"
    assert results == ["Sandbox.Timedout", "fine"]


@needs_alarm
def test_a_handler_blocked_in_a_wait_is_stopped_by_the_guards_signal():
    # GIVEN a handler blocked for ever on an event nobody sets (a wait inside C code)
    lab = ll.Lab(seed=1, hang_guard_seconds=0.2)
    lab.create_function("blocked", lambda e, c: threading.Event().wait())
    # WHEN invoked, THEN the guard's signal stops it, reported as a timeout
    assert lab.invoke("blocked").payload["errorType"] == "Sandbox.Timedout"


EXITS = """
import lambda_lab as ll
lab = ll.Lab(seed=1)
lab.create_function("f", lambda e, c: "ran")
print(lab.invoke("f").payload)
"""


def test_a_program_that_used_a_lab_exits_normally():
    # GIVEN a program that runs a handler (so the guard's thread was started)
    package_root = str(Path(ll.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": package_root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # WHEN it reaches its end, THEN it exits at once: the guard's thread does not keep it alive
    done = subprocess.run(
        [sys.executable, "-c", EXITS], env=env, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (0, "ran\n"), done.stderr
