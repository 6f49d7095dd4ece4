"""The hang guard and SIGALRM: the guard's count of interrupted code, its thread, and
alarms that are not the guard's (handled, ignored or left to the default action as the
program chose).

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
    # WHEN they are invoked: the module, the handler, the module again (it never loaded)
    outcomes = [lab.invoke(name).payload["errorType"] for name in ("stuck", "spin", "stuck")]
    # THEN all are timeouts, and the runtime counted three hangs
    assert outcomes == ["Sandbox.Timedout"] * 3
    assert lab.runtime.hangs == 3
    # AND the lab is still usable
    lab.create_function("ok", lambda e, c: "fine")
    assert lab.invoke("ok").payload == "fine"


def run_program(source: str) -> subprocess.CompletedProcess:
    """Run ``source`` in a child Python with this process's lambda_lab and environment."""
    package_root = str(Path(ll.__file__).resolve().parent.parent)
    path = package_root + os.pathsep + os.environ.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-c", source],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=60,
    )


IGNORED = """
import signal
import lambda_lab as ll
signal.signal(signal.SIGALRM, signal.SIG_IGN)
lab = ll.Lab(seed=1)
lab.create_function("f", lambda e, c: "fine")
with lab.runtime:
    lab.invoke("f")
    signal.raise_signal(signal.SIGALRM)
    print(lab.invoke("f").payload)
"""

UNHANDLED = """
import signal
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
def test_an_alarm_that_is_not_the_guards_gets_the_programs_own_disposition():
    # GIVEN a program with its own SIGALRM handler, in a session where the guard has fired
    seen = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: seen.append((signum, frame)))
    try:
        lab = ll.Lab(seed=1, hang_guard_seconds=0.2)
        lab.create_function("spin", "lambda_function.handler", code=SPIN)
        lab.create_function("ok", lambda e, c: "fine")
        with lab.runtime:
            assert lab.invoke("spin").payload["errorType"] == "Sandbox.Timedout"
            # WHEN the process gets a SIGALRM outside any handler
            signal.raise_signal(signal.SIGALRM)
            # THEN it is not taken for the guard's: nothing is stopped, the lab runs on
            assert lab.invoke("ok").payload == "fine"
        # AND the program's handler got the signal with the interrupted frame
        ((signum, frame),) = seen
        assert signum == signal.SIGALRM
        assert frame is not None and frame.f_code.co_name.startswith("test_an_alarm")
    finally:
        signal.signal(signal.SIGALRM, previous)
    # AND a program that ignores SIGALRM still ignores it during a session
    ignored = run_program(IGNORED)
    assert (ignored.returncode, ignored.stdout) == (0, "fine\n"), ignored.stderr
    # AND a program that leaves it to the default action is still killed by it
    unhandled = run_program(UNHANDLED)
    assert unhandled.returncode == -signal.SIGALRM, unhandled.stderr
    assert "survived" not in unhandled.stdout


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
    # WHEN it reaches its end, THEN it exits at once: the guard's thread does not keep it alive
    done = run_program(EXITS)
    assert (done.returncode, done.stdout) == (0, "ran\n"), done.stderr
