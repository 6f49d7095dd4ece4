"""How a handler's answer is turned into an outcome: a response that cannot be
encoded, an encoding that runs out of time or raises, and what each leaves behind
(the runtime idle, the error line in the log at its virtual time, module state)."""

from __future__ import annotations

import time

import lambda_lab as ll

MODULE = """
calls = 0

def handler(event, context):
    global calls
    calls += 1
    if event.get("unencodable"):
        return {calls}
    return calls
"""


def handler_start(lab, response):
    """The virtual instant the handler of ``response`` started (after its Init)."""
    (started,) = lab.trace.filter("attempt_started", request_id=response.request_id)
    return started["t"] + started["init_duration"]


def error_lines(lab, name):
    return [e for e in lab.logs(name) if "[ERROR]" in e["message"]]


def test_a_marshal_error_is_logged_when_the_handler_returned_and_keeps_the_process():
    # GIVEN a function from source that counts its calls in module state, and
    # a first call that sleeps 2 s (virtual) before returning a set
    lab = ll.Lab(seed=1, echo_logs=False)
    code = MODULE.replace("    if event", "    time.sleep(event.get('sleep', 0))\n    if event")
    lab.create_function("f", "lambda_function.handler", code="import time\n" + code, timeout=5)
    # WHEN it is invoked that way, then normally
    first = lab.invoke("f", payload={"unencodable": True, "sleep": 2})
    second = lab.invoke("f")
    # THEN the first is a MarshalError, its [ERROR] line written at the instant
    # the handler returned (2 s after it started), and the runtime is idle again
    assert first.payload["errorType"] == "Runtime.MarshalError"
    (line,) = error_lines(lab, "f")
    assert line["timestamp"] == lab.world.unix_millis(handler_start(lab, first) + 2)
    assert "Runtime.MarshalError" in line["message"]
    assert lab.runtime.in_handler() is False
    # AND the process was not restarted: the second call saw the first's state
    assert second.payload == 2
    assert second.init_duration == 0.0 and not lab.trace.filter("env_reset")


class SlowToList(dict):
    """A dict whose items take virtual time to list (a generator over a slow store)."""

    def items(self):
        time.sleep(10)
        return super().items()


class BrokenList(dict):
    def items(self):
        raise RuntimeError("the store went away")


def test_an_answer_whose_encoding_sleeps_past_the_timeout_is_a_timeout():
    # GIVEN a handler that returns an answer whose encoding sleeps 10 s, timeout 3 s
    lab = ll.Lab(seed=1, echo_logs=False)
    lab.create_function("slow", lambda e, c: SlowToList(a=1), timeout=3)
    # WHEN it is invoked
    response = lab.invoke("slow")
    # THEN it timed out at 3 s, and the runtime is idle again
    assert response.payload["errorType"] == "Sandbox.Timedout"
    assert response.duration == 3.0
    assert lab.runtime.in_handler() is False


def test_an_answer_whose_encoding_raises_is_the_handler_s_error_logged_at_its_time():
    # GIVEN a handler that sleeps 1 s, then returns an answer whose encoding raises
    lab = ll.Lab(seed=1, echo_logs=False)

    def handler(event, context):
        time.sleep(1)
        return BrokenList(a=1)

    lab.create_function("broken", handler, timeout=3)
    # WHEN it is invoked
    response = lab.invoke("broken")
    # THEN the error is the exception's, its [ERROR] line in the function's own
    # stream at the instant it was raised, and the runtime is idle again
    assert response.payload["errorType"] == "RuntimeError"
    assert response.payload["errorMessage"] == "the store went away"
    (line,) = error_lines(lab, "broken")
    assert line["timestamp"] == lab.world.unix_millis(handler_start(lab, response) + 1)
    assert line["message"].startswith("[ERROR] RuntimeError: the store went away")
    stream = lab.trace.filter("env_created", function="broken")[0]["env"]
    assert line["logStreamName"] == lab.runtime.logs.streams[stream]
    assert lab.runtime.in_handler() is False
    # AND the process carries on (an error, not a restart)
    assert not lab.trace.filter("env_reset")
