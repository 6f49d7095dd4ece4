"""Running a handler: the simulated clock, virtual sleep, the hang guard, env vars, context."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import sys
import time

import pytest

import lambda_lab as ll
from lambda_lab.sim.compute.context import NO_IDENTITY

START = dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)
FN_ARN = "arn:aws:lambda:us-east-1:123456789012:function"


@pytest.fixture
def old_lab() -> ll.Lab:
    """A lab whose simulated calendar is far from today's, so the two cannot be confused."""
    return ll.Lab(seed=1, start_time=START)


# -- the simulated clock ----------------------------------------------------------------


def test_inside_a_handler_the_clocks_read_the_simulated_instant(old_lab):
    # GIVEN a handler that reads the clocks, with Init 0.25 s and duration 0.5 s
    seen = []

    def look(event, context):
        seen.append((time.time(), dt.datetime.now(dt.timezone.utc)))

    old_lab.create_function("look", look, duration=0.5, init_duration=0.25)
    # WHEN invoked twice (cold, then warm)
    old_lab.invoke("look")
    old_lab.invoke("look")
    # THEN the first read is after Init (t=0.25), the second when the warm call starts (t=0.75)
    clock = old_lab.clock
    assert seen == [
        (clock.unix(0.25), clock.datetime(0.25)),
        (clock.unix(0.75), clock.datetime(0.75)),
    ]
    assert clock.datetime(0.25) == START + dt.timedelta(seconds=0.25)
    # AND outside the lab the real clock is back
    assert time.time() > clock.unix(10**6)


def test_module_code_runs_at_the_start_of_init(old_lab):
    code = "import time\nLOADED_AT = time.time()\ndef handler(e, c):\n    return LOADED_AT\n"
    old_lab.run(until=5.0)
    old_lab.create_function("mod", "lambda_function.handler", code=code)
    assert old_lab.invoke("mod").payload == old_lab.clock.unix(5.0)


def test_sleep_is_virtual_and_shrinks_the_remaining_time(lab):
    # GIVEN a handler that sleeps ten minutes, with a 900 s timeout
    seen = {}

    def nap(event, context):
        seen["before"] = (context.get_remaining_time_in_millis(), time.time())
        time.sleep(600)
        seen["after"] = (context.get_remaining_time_in_millis(), time.time())
        return "rested"

    lab.create_function("nap", nap, timeout=900, duration=0.5, init_duration=0.25)
    # WHEN invoked
    started = time.perf_counter()
    response = lab.invoke("nap")
    elapsed = time.perf_counter() - started
    # THEN no real time passed, but the handler saw ten virtual minutes go by
    assert elapsed < 5
    assert response.payload == "rested"
    assert seen["before"] == (900_000, lab.clock.unix(0.25))
    assert seen["after"] == (300_000, lab.clock.unix(600.25))
    # AND the sleep counts in the duration: 600 s slept + 0.5 s of work
    assert response.duration == 600.5
    assert response.end == 600.75


def test_sleeping_past_the_timeout_stops_the_handler_at_that_line(lab):
    # GIVEN a handler that writes, sleeps past its 3 s timeout, then writes again
    writes = []

    def transfer(event, context):
        writes.append("debit")
        time.sleep(5)
        writes.append("credit")
        return "done"

    lab.create_function("transfer", transfer, duration=0.5, init_duration=0.25)
    # WHEN invoked
    response = lab.invoke("transfer")
    # THEN the write before the sleep landed and the one after did not
    assert writes == ["debit"]
    assert response.payload["errorType"] == "Sandbox.Timedout"
    assert response.duration == 3.0
    assert response.end == 3.25


def test_sleeping_to_just_under_the_timeout_finishes(lab):
    writes = []

    def careful(event, context):
        time.sleep(2.0)
        writes.append("after")
        return context.get_remaining_time_in_millis()

    lab.create_function("careful", careful, duration=0.5)
    response = lab.invoke("careful")
    assert writes == ["after"]
    assert response.payload == 1000
    assert response.duration == 2.5


def test_a_negative_sleep_is_a_handler_error(lab):
    lab.create_function("odd", lambda e, c: time.sleep(-1))
    payload = lab.invoke("odd").payload
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "sleep length must be non-negative"


def test_sleep_is_the_real_one_again_outside_the_lab(lab):
    real_sleep = time.sleep
    lab.create_function("f", lambda e, c: time.sleep is real_sleep)
    assert lab.invoke("f").payload is False  # patched inside the handler
    assert time.sleep is real_sleep


def test_a_handler_waiting_on_another_function_sees_the_time_pass(lab):
    # GIVEN "outer" calls "inner" synchronously (Init 0.25 s + 1 s), then sleeps 0.2 s
    seen = {}

    def outer(event, context):
        before = time.time()
        lab.invoke("inner")
        after = time.time()
        time.sleep(0.2)
        seen.update(waited=after - before, slept=time.time() - after)
        seen["remaining"] = context.get_remaining_time_in_millis()

    lab.create_function("inner", lambda e, c: None, duration=1, init_duration=0.25)
    lab.create_function("outer", outer, duration=0.5, init_duration=0.25, timeout=10)
    # WHEN "outer" is invoked
    response = lab.invoke("outer")
    # THEN its clock moved by the wait and by the virtual sleep
    assert seen["waited"] == pytest.approx(1.25)
    assert seen["slept"] == pytest.approx(0.2)
    assert seen["remaining"] == 10_000 - 1450
    # AND its duration includes the wait: it is billed for it, as on AWS
    assert response.duration == pytest.approx(0.5 + 1.25 + 0.2)
    assert response.end == pytest.approx(response.start + 0.25 + response.duration)


# -- the hang guard -------------------------------------------------------------------


def test_an_endless_loop_is_interrupted_and_reported_as_a_timeout():
    # GIVEN a handler that loops forever for real, and a 0.3 s guard
    lab = ll.Lab(seed=1, hang_guard_seconds=0.3)

    def spin(event, context):
        while True:
            pass

    lab.create_function("loop", spin, timeout=5, init_duration=0.25)
    lab.create_function("ok", lambda e, c: "fine")
    # WHEN invoked
    started = time.perf_counter()
    response = lab.invoke("loop")
    elapsed = time.perf_counter() - started
    # THEN it is cut off by the guard and reported as Lambda's timeout
    assert 0.25 < elapsed < 10
    assert response.status_code == 200
    assert response.function_error == "Unhandled"
    assert response.payload == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {response.request_id} "
        "Error: Task timed out after 5.00 seconds",
    }
    assert response.duration == 5.0
    assert lab.trace.filter(kind="env_reset", function="loop")
    # AND the lab stays usable: the next calls run normally
    assert lab.invoke("ok").payload == "fine"
    assert lab.invoke("ok").payload == "fine"
    assert lab.runtime.hangs == 1


def test_a_hang_during_module_init_does_not_wedge_the_lab():
    lab = ll.Lab(seed=1, hang_guard_seconds=0.3)
    lab.create_function("stuck", "lambda_function.handler", code="while True:\n    pass\n")
    response = lab.invoke("stuck")
    assert response.status_code == 200
    assert response.function_error == "Unhandled"
    lab.create_function("ok", lambda e, c: 1)
    assert lab.invoke("ok").payload == 1


def test_a_hang_during_module_init_is_reported_as_a_timeout():
    lab = ll.Lab(seed=1, hang_guard_seconds=0.3)
    lab.create_function("stuck", "lambda_function.handler", code="while True:\n    pass\n")
    response = lab.invoke("stuck")
    assert list(response.payload) == ["errorType", "errorMessage"]
    assert response.payload["errorType"] == "Sandbox.Timedout"


# -- environment variables ---------------------------------------------------------------


def test_lambda_environment_variables_are_set_inside_and_restored_after(monkeypatch):
    # GIVEN a process with its own AWS_REGION and no function name
    monkeypatch.setenv("AWS_REGION", "caller-region")
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    lab = ll.Lab(seed=1, region="eu-west-1")
    seen = {}

    def look(event, context):
        seen.update(
            {
                key: os.environ.get(key)
                for key in (
                    "AWS_LAMBDA_FUNCTION_NAME",
                    "AWS_REGION",
                    "AWS_DEFAULT_REGION",
                    "AWS_LAMBDA_FUNCTION_VERSION",
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                    "AWS_LAMBDA_LOG_GROUP_NAME",
                    "TABLE",
                )
            }
        )

    lab.create_function("look", look, memory_size=512, environment={"TABLE": "orders"})
    # WHEN invoked
    lab.invoke("look")
    # THEN the handler saw Lambda's variables and its own
    assert seen == {
        "AWS_LAMBDA_FUNCTION_NAME": "look",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/look",
        "TABLE": "orders",
    }
    # AND the caller's process is as it was
    assert os.environ["AWS_REGION"] == "caller-region"
    assert "AWS_LAMBDA_FUNCTION_NAME" not in os.environ


def test_each_function_sees_its_own_name(lab):
    lab.create_function("a", lambda e, c: os.environ["AWS_LAMBDA_FUNCTION_NAME"])
    lab.create_function("b", lambda e, c: os.environ["AWS_LAMBDA_FUNCTION_NAME"])
    assert [lab.invoke(name).payload for name in ("a", "b", "a")] == ["a", "b", "a"]


def test_a_functions_own_variables_do_not_leak(lab, monkeypatch):
    monkeypatch.delenv("TABLE", raising=False)
    lab.create_function("a", lambda e, c: os.environ.get("TABLE"), environment={"TABLE": "t1"})
    lab.create_function("b", lambda e, c: os.environ.get("TABLE"))
    assert lab.invoke("a").payload == "t1"
    assert lab.invoke("b").payload is None
    assert "TABLE" not in os.environ


# -- the context object --------------------------------------------------------------------


def test_the_context_has_the_python_runtimes_fields(lab):
    # GIVEN a handler that keeps its context
    kept = {}

    def keep(event, context):
        kept.update(
            aws_request_id=context.aws_request_id,
            function_name=context.function_name,
            function_version=context.function_version,
            invoked_function_arn=context.invoked_function_arn,
            memory_limit_in_mb=context.memory_limit_in_mb,
            log_group_name=context.log_group_name,
            log_stream_name=context.log_stream_name,
            identity=context.identity,
            client_context=context.client_context,
            remaining=context.get_remaining_time_in_millis(),
        )

    lab.create_function("keep", keep, timeout=30, memory_size=256)
    # WHEN invoked
    response = lab.invoke("keep")
    # THEN the fields are those of the Python runtime
    stream = kept.pop("log_stream_name")
    assert kept == {
        "aws_request_id": response.request_id,
        "function_name": "keep",
        "function_version": "$LATEST",
        "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:keep",
        "memory_limit_in_mb": "256",
        "log_group_name": "/aws/lambda/keep",
        "identity": NO_IDENTITY,
        "client_context": None,
        "remaining": 30_000,
    }
    assert re.fullmatch(r"2026/01/01/\[\$LATEST\][0-9a-f]{32}", stream)


def test_the_context_always_has_an_identity_without_cognito_ids(lab):
    # GIVEN a handler that reads context.identity, as the Python runtime provides it
    seen = []

    def keep(event, context):
        identity = context.identity
        seen.append((identity.cognito_identity_id, identity.cognito_identity_pool_id))
        return context.client_context

    lab.create_function("keep", keep)
    # WHEN invoked twice
    first, second = lab.invoke("keep"), lab.invoke("keep")
    # THEN identity is an object whose two ids are None, and client_context stays None
    assert seen == [(None, None), (None, None)]
    assert first.payload is None and second.payload is None
    # AND a handler cannot change it for the next invocation
    lab.create_function("meddle", lambda e, c: setattr(c.identity, "cognito_identity_id", "x"))
    assert lab.invoke("meddle").payload["errorType"] == "AttributeError"
    lab.invoke("keep")
    assert seen[-1] == (None, None)


@pytest.mark.parametrize(
    ("name", "invoked"),
    [
        ("keep", f"{FN_ARN}:keep"),
        ("keep:$LATEST", f"{FN_ARN}:keep:$LATEST"),
        (f"{FN_ARN}:keep", f"{FN_ARN}:keep"),
        (f"{FN_ARN}:keep:$LATEST", f"{FN_ARN}:keep:$LATEST"),
        ("123456789012:function:keep:$LATEST", f"{FN_ARN}:keep:$LATEST"),
    ],
    ids=["name", "name-qualified", "arn", "arn-qualified", "partial-arn-qualified"],
)
@pytest.mark.parametrize("invocation_type", ["RequestResponse", "Event"])
def test_invoked_function_arn_shows_the_qualifier_the_caller_used(
    lab, name, invoked, invocation_type
):
    # GIVEN a handler that reports its invoked_function_arn
    seen = []
    lab.create_function("keep", lambda e, c: seen.append(c.invoked_function_arn))
    # WHEN invoked under this name, synchronously or asynchronously
    lab.invoke(name, invocation_type=invocation_type)
    lab.run()
    # THEN the handler sees the ARN as the caller named it (qualified only if it was)
    assert seen == [invoked]


def test_the_log_stream_belongs_to_the_environment(lab, caller):
    streams = []
    lab.create_function("f", lambda e, c: streams.append(c.log_stream_name), duration=1)
    # two overlapping calls (two environments), then one that reuses an environment
    caller.at(0.0, "f")
    caller.at(0.0, "f")
    caller.at(5.0, "f")
    lab.run(until=10)
    assert len(streams) == 3
    assert streams[0] != streams[1]
    assert streams[2] in streams[:2]


def test_each_call_gets_a_new_request_id(lab):
    lab.create_function("f", lambda e, c: c.aws_request_id)
    ids = [lab.invoke("f").payload for _ in range(5)]
    assert len(set(ids)) == 5


def test_running_the_world_from_inside_a_handler_is_refused(lab):
    # GIVEN a handler that tries to move the whole world's clock
    def meddler(event, context):
        lab.run(until=100)

    lab.create_function("meddler", meddler)
    # WHEN invoked, THEN that is a clear error inside the handler, reported as its failure
    response = lab.invoke("meddler")
    assert response.payload["errorType"] == "LambdaLabError"
    assert "cannot be called from inside a handler" in response.payload["errorMessage"]
    assert lab.now < 1


# -- stack traces: the user's frames only, each with its own line ---------------------------


def test_an_init_error_shows_its_own_modules_line_and_no_simulator_frame(lab):
    # GIVEN two functions whose modules are both /var/task/lambda_function.py, and the
    # first one's error (line 2 of its module) has already been reported
    first = 'def handler(event, context):\n    raise ValueError("first")\n'
    second = 'import json\nsettings = json.loads("{broken")\n\ndef handler(e, c):\n    return 1\n'
    lab.create_function("first", "lambda_function.handler", code=first)
    lab.create_function("second", "lambda_function.handler", code=second)
    assert lab.invoke("first").payload["stackTrace"] == [
        '  File "/var/task/lambda_function.py", line 2, in handler\n    raise ValueError("first")\n'
    ]
    # WHEN the second one's module fails while it loads (Init), inside the json library
    payload = lab.invoke("second").payload
    # THEN its stack starts at its module, with its own line 2, not the other module's,
    # and no frame of lambda_lab's own files; the library's frames follow, as on AWS
    assert payload["errorType"] == "JSONDecodeError"
    assert payload["requestId"] == ""
    frames = payload["stackTrace"]
    assert frames[0] == (
        '  File "/var/task/lambda_function.py", line 2, in <module>\n'
        '    settings = json.loads("{broken")\n'
    )
    assert all("lambda_lab" not in frame for frame in frames)
    assert all(re.fullmatch(r'  File ".+", line \d+, in \S+\n    \S.*\n', f) for f in frames)
    # AND the first function's frames still show its own line
    assert "raise ValueError" in lab.invoke("first").payload["stackTrace"][0]


def test_a_handler_error_raised_through_the_simulator_shows_only_the_handlers_frame(lab):
    # GIVEN a handler that calls a function which is always throttled
    lab.create_function("blocked", lambda e, c: None, reserved_concurrency=0)

    def caller(event, context):
        return lab.invoke("blocked")

    lab.create_function("caller", caller)
    # WHEN it is invoked and the nested invoke raises TooManyRequestsException
    payload = lab.invoke("caller").payload
    # THEN the stack holds the handler's frame only (none of lab.py, sync.py), with its line
    assert payload["errorType"] == "TooManyRequestsException"
    line = caller.__code__.co_firstlineno + 1
    # (under `make mutation`, mutmut's trampoline adds frames of its own: not ours to judge)
    stack = [frame for frame in payload["stackTrace"] if "/mutmut/" not in frame]
    assert stack == [
        f'  File "{__file__}", line {line}, in caller\n    return lab.invoke("blocked")\n'
    ]


# -- the session is entered lazily ------------------------------------------------------
def test_a_session_that_runs_no_handler_patches_nothing():
    # GIVEN a lab with a function, and the process's clock, sleep and streams
    lab = ll.Lab(seed=1)
    lab.create_function("f", lambda e, c: time.time())
    real_sleep, streams = time.sleep, (sys.stdout, sys.stderr)
    # WHEN a session runs that starts no handler
    with lab.runtime:
        lab.run(until=5)
        # THEN nothing is patched
        assert not lab.runtime.active
        assert time.sleep is real_sleep and (sys.stdout, sys.stderr) == streams
        # WHEN a handler runs in the same session
        answer = lab.invoke("f")
        # THEN the patches are on until the session ends, and the handler saw virtual time
        assert lab.runtime.active and time.sleep is not real_sleep
    assert answer.payload == pytest.approx(lab.world.clock.epoch_seconds + 5, abs=1)
    assert not lab.runtime.active
    assert time.sleep is real_sleep and (sys.stdout, sys.stderr) == streams


def test_a_handler_outside_any_session_is_refused():
    # GIVEN a runtime with no session open
    lab = ll.Lab(seed=1)
    # WHEN a handler is called directly THEN it is refused, and nothing is patched
    with pytest.raises(RuntimeError, match="runtime session"):
        lab.runtime.call(lambda e, c: 1, {}, None, 0.0, 3.0, {})
    assert not lab.runtime.active


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")
def test_an_alarm_that_is_not_the_guards_reaches_the_previous_handler():
    # GIVEN a program with its own SIGALRM handler, and a lab that ran a handler
    seen = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: seen.append(signum))
    try:
        lab = ll.Lab(seed=1)
        lab.create_function("f", lambda e, c: None)
        lab.invoke("f")
        # WHEN the process gets a SIGALRM outside any handler
        signal.raise_signal(signal.SIGALRM)
        # THEN the program's handler got it
        assert seen == [signal.SIGALRM]
    finally:
        signal.signal(signal.SIGALRM, previous)
