"""The Init phase of a new environment and the edges of the invoke phase: module code's
name and output, the handler's name, Init exactly at its limit, broken duration settings,
and a duration exactly at the timeout."""

from __future__ import annotations

import base64
import os

import pytest

import lambda_lab as ll
from lambda_lab.sim.compute.durations import Distribution

NBSP = "\u00a0"


def messages(lab: ll.Lab, name: str) -> list[str]:
    return [event["message"] for event in lab.logs(name)]


def test_module_code_runs_as_the_module_lambda_function(lab):
    # GIVEN module code that records its own __name__
    code = "NAME = __name__\ndef handler(event, context):\n    return NAME\n"
    lab.create_function("f", "lambda_function.handler", code=code)
    # WHEN invoked, THEN the module was loaded as lambda_function, as on AWS
    assert lab.invoke("f").payload == "lambda_function"


@pytest.mark.parametrize("name", ["handler", "pkg.lambda_function.handler"])
def test_the_handler_is_the_last_part_of_its_dotted_name(lab, name):
    # GIVEN code whose handler is named without a module, or with a dotted module path
    code = "def handler(event, context):\n    return 'ran'\n"
    lab.create_function("f", name, code=code)
    # WHEN invoked, THEN the function called is the one after the last dot
    assert lab.invoke("f").payload == "ran"


def test_a_missing_handler_named_without_a_module_is_reported_by_that_name(lab):
    # GIVEN code without the handler it names, given with no module part
    lab.create_function("f", "nothere", code="x = 1\n")
    # WHEN invoked, THEN the error names the handler as given
    payload = lab.invoke("f").payload
    assert payload["errorType"] == "Runtime.HandlerNotFound"
    assert payload["errorMessage"] == "Handler 'nothere' missing on module 'lambda_function'"


def test_module_output_goes_to_the_environments_stream_before_start(lab):
    # GIVEN module code that prints while it loads
    code = "print('loading config')\ndef handler(event, context):\n    print('handling')\n"
    lab.create_function("f", "lambda_function.handler", code=code)
    # WHEN invoked (a cold start), with the tail of its log
    response = lab.invoke("f", log_type="Tail")
    rid = response.request_id
    # THEN the module's line is in the function's log, before START, in the stream of
    # the environment that loaded it, at the start of Init
    events = lab.logs("f")
    assert [e["message"] for e in events][:3] == [
        "loading config",
        f"START RequestId: {rid} Version: $LATEST",
        "handling",
    ]
    stream = lab.get_function("f").environments["env-1"].log_stream_name
    assert {e["logStreamName"] for e in events} == {stream}
    start_ms = round(lab.clock.epoch_seconds * 1000)
    assert events[0]["timestamp"] == start_ms
    # AND Tail (this invocation's log) leaves out module output, which has no request id
    tail = base64.b64decode(response.log_result).decode()
    assert tail.startswith(f"START RequestId: {rid}") and "loading" not in tail


def test_an_error_in_module_code_is_logged_and_billed_for_init_only(lab):
    # GIVEN module code that raises while loading, with Init 0.3 s
    code = 'raise ValueError("bad config")\n\ndef handler(e, c):\n    return 1\n'
    lab.create_function("broken", "lambda_function.handler", code=code, init_duration=0.3)
    # WHEN invoked
    response = lab.invoke("broken")
    rid = response.request_id
    # THEN the invoke phase took no time: only Init is billed
    assert (response.duration, response.billed_duration_ms) == (0.0, 300)
    (ended,) = lab.trace.filter(kind="attempt_ended")
    assert (ended["duration"], ended["billed_duration_ms"]) == (0.0, 300)
    # AND the log holds the runtime's [ERROR] line of the module, then the attempt's lines
    assert messages(lab, "broken") == [
        "[ERROR] ValueError: bad config\n"
        "Traceback (most recent call last):\n"
        f'{NBSP * 2}File "/var/task/lambda_function.py", line 1, in <module>\n'
        f'{NBSP * 4}raise ValueError("bad config")',
        f"START RequestId: {rid} Version: $LATEST",
        f"END RequestId: {rid}",
        f"REPORT RequestId: {rid}\tDuration: 0.00 ms\tBilled Duration: 300 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 300.00 ms",
    ]


def test_init_of_exactly_10_seconds_is_within_its_limit(lab):
    # GIVEN a function whose Init takes exactly the 10 s limit, with a 3 s timeout
    lab.create_function("f", lambda e, c: "ok", init_duration=10.0, duration=0.5)
    # WHEN invoked
    response = lab.invoke("f")
    # THEN Init was not timed out: no retry inside the invoke, which runs its 0.5 s
    assert response.payload == "ok"
    (started,) = lab.trace.filter(kind="attempt_started")
    assert "init_timed_out" not in started
    assert (response.init_duration, response.duration, response.end) == (10.0, 0.5, 10.5)


def test_an_init_retry_that_uses_the_whole_timeout_never_runs_the_handler(lab):
    # GIVEN Init of 12 s (past its 10 s limit) and a 12 s function timeout
    calls = []
    lab.create_function("f", lambda e, c: calls.append(1), init_duration=12.0, timeout=12)
    # WHEN invoked
    response = lab.invoke("f")
    # THEN the Init retried inside the invoke took all of the timeout: the handler never ran
    assert calls == []
    assert response.payload["errorType"] == "Sandbox.Timedout"
    assert response.duration == 12.0


def test_a_duration_exactly_at_the_timeout_is_a_timeout(lab):
    # GIVEN a handler that returns, but whose simulated duration is exactly its 3 s timeout
    lab.create_function("f", lambda e, c: "done", duration=3.0, timeout=3)
    # WHEN invoked
    response = lab.invoke("f")
    # THEN Lambda reports Sandbox.Timedout, the duration being the timeout
    rid = response.request_id
    assert response.payload == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {rid} Error: Task timed out after 3.00 seconds",
    }
    assert response.duration == 3.0


def test_a_duration_callable_that_raises_ends_the_attempt_and_reaches_the_caller(lab):
    # GIVEN a duration setting that fails on the event
    def broken(event):
        raise ZeroDivisionError("no batch size")

    lab.create_function("f", lambda e, c: None, duration=broken)
    # WHEN invoked, THEN the course author's error reaches whoever runs the lab
    with pytest.raises(ZeroDivisionError, match="no batch size"):
        lab.invoke("f")
    # AND the attempt ended at once as a LambdaLab.DurationError, the slot released
    (ended,) = lab.trace.filter(kind="attempt_ended")
    assert ended["status"] == "error"
    assert ended["error_type"] == "LambdaLab.DurationError"
    assert ended["error_message"] == "no batch size"
    assert (ended["t"], ended["duration"]) == (0.25, 0.0)
    assert lab.get_function("f").busy == 0


def test_an_init_duration_callable_is_called_without_an_event(lab):
    # GIVEN an init_duration callable (Init has no event: it receives None)
    seen = []

    def init(event):
        seen.append(event)
        return 0.4

    lab.create_function("f", lambda e, c: None, init_duration=init)
    # WHEN invoked with an event
    response = lab.invoke("f", {"k": 1})
    # THEN the callable saw None, and gave the Init duration
    assert seen == [None]
    assert response.init_duration == 0.4


class PerRecord(Distribution):
    """0.1 s per record of the event it is drawn for."""

    def sample(self, rng, event=None):
        return 0.1 * len(event["Records"])


def test_a_distribution_returned_by_a_duration_callable_is_drawn_for_the_event(lab):
    # GIVEN a duration callable that returns a distribution which reads the event
    lab.create_function("f", lambda e, c: None, duration=lambda event: PerRecord())
    # WHEN invoked with 3 records
    response = lab.invoke("f", {"Records": [1, 2, 3]})
    # THEN the distribution was drawn for that event
    assert response.duration == pytest.approx(0.3)


def test_environment_variables_may_be_given_in_the_aws_shape(lab, monkeypatch):
    # GIVEN a function created with {"Variables": {...}}, as boto3's Environment is
    monkeypatch.delenv("TABLE", raising=False)
    lab.create_function(
        "f", lambda e, c: os.environ.get("TABLE"), environment={"Variables": {"TABLE": "orders"}}
    )
    # WHEN invoked, THEN the handler sees the variable
    assert lab.invoke("f").payload == "orders"


@pytest.mark.parametrize("handler", [5, ""])
def test_with_code_the_handler_must_be_a_name(lab, handler):
    # GIVEN module code, WHEN the handler is not a non-empty name, THEN it is refused
    with pytest.raises(
        ll.InvalidParameterValueException, match="with code, handler must name the handler"
    ):
        lab.create_function("f", handler, code="def h(e, c):\n    return 1\n")
