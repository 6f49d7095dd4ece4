"""CloudWatch Logs: what each invocation writes to its stream, ``lab.logs()`` and Tail."""

from __future__ import annotations

import base64
import logging
import sys
import time

import pytest

import lambda_lab as ll

NBSP = "\u00a0"


@pytest.fixture
def info_level():
    """The AWS idiom ``logging.getLogger().setLevel(logging.INFO)``, undone afterwards."""
    root = logging.getLogger()
    previous = root.level
    root.setLevel(logging.INFO)
    yield
    root.setLevel(previous)


def messages(lab: ll.Lab, name: str, **kwargs) -> list[str]:
    return [event["message"] for event in lab.logs(name, **kwargs)]


def report(rid: str, duration: str, billed: int, init: str | None = None, memory=128) -> str:
    line = (
        f"REPORT RequestId: {rid}\tDuration: {duration} ms\tBilled Duration: {billed} ms\t"
        f"Memory Size: {memory} MB\tMax Memory Used: 40 MB"
    )
    return line if init is None else line + f"\tInit Duration: {init} ms"


def test_a_cold_success_logs_start_output_end_and_report(lab, info_level):
    # GIVEN a function that prints and logs
    def handler(event, context):
        print("order", event["id"])
        logging.getLogger("orders").info("stored %s", event["id"])
        return {"ok": True}

    lab.create_function("orders", handler)
    # WHEN it is invoked once (a cold start: Init 250 ms, then 100 ms)
    rid = lab.invoke("orders", {"id": 7}).request_id
    # THEN its log holds AWS's lines, with the handler's output between START and END
    assert messages(lab, "orders") == [
        f"START RequestId: {rid} Version: $LATEST",
        "order 7",
        f"[INFO]\t2026-01-01T00:00:00.250Z\t{rid}\tstored 7",
        f"END RequestId: {rid}",
        report(rid, "100.00", 350, init="250.00"),
    ]
    # AND every event is FilterLogEvents-shaped, in the environment's stream, in ms
    events = lab.logs("orders")
    stream = lab.trace.filter(kind="attempt_started")[0]["env"]
    stream_name = lab.get_function("orders").environments[stream].log_stream_name
    assert {e["logStreamName"] for e in events} == {stream_name}
    start_ms = round(lab.clock.epoch_seconds * 1000)
    assert [e["timestamp"] for e in events] == [start_ms + 250] * 3 + [start_ms + 350] * 2
    assert set(events[0]) == {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"}
    assert len({e["eventId"] for e in events}) == len(events)


def test_a_warm_invocation_reports_no_init_duration(lab):
    # GIVEN a function already invoked once
    lab.create_function("f", lambda event, context: None, duration=0.10225)
    first = lab.invoke("f").request_id
    # WHEN it is invoked again in the same environment
    second = lab.invoke("f").request_id
    # THEN the second REPORT has no Init Duration, and billing rounds up to the ms
    lines = messages(lab, "f")
    assert lines[2] == report(first, "102.25", 353, init="250.00")
    assert lines[3:] == [
        f"START RequestId: {second} Version: $LATEST",
        f"END RequestId: {second}",
        report(second, "102.25", 103),
    ]


def test_an_exception_is_logged_as_the_python_runtime_does(lab):
    # GIVEN a function whose module code reads a missing key
    code = "def lambda_handler(event, context):\n    return event['amount']\n"
    lab.create_function("pay", "lambda_function.lambda_handler", code=code)
    # WHEN it is invoked
    rid = lab.invoke("pay", {}).request_id
    # THEN the runtime's [ERROR] event sits between START and END, as one event,
    # its traceback indented with no-break spaces
    assert messages(lab, "pay")[1:3] == [
        "[ERROR] KeyError: 'amount'\n"
        "Traceback (most recent call last):\n"
        f'{NBSP * 2}File "/var/task/lambda_function.py", line 2, in lambda_handler\n'
        f"{NBSP * 4}return event['amount']",
        f"END RequestId: {rid}",
    ]


def test_a_timeout_is_logged_with_the_platform_line_and_status(lab):
    # GIVEN a function that sleeps past its 3 s timeout after printing
    def handler(event, context):
        print("before")
        time.sleep(10)
        print("never")

    lab.create_function("slow", handler, init_duration=0)
    # WHEN it is invoked
    rid = lab.invoke("slow").request_id
    # THEN the log says Task timed out, and REPORT ends with Status: timeout
    assert messages(lab, "slow") == [
        f"START RequestId: {rid} Version: $LATEST",
        "before",
        f"2026-01-01T00:00:03.000Z {rid} Task timed out after 3.00 seconds",
        f"END RequestId: {rid}",
        report(rid, "3000.00", 3000, init="0.00") + "\tStatus: timeout",
    ]


def test_tail_returns_the_last_4_kb_of_this_invocations_log(lab):
    # GIVEN a function that prints 100 lines of 99 characters (about 10 KB)
    def handler(event, context):
        for n in range(100):
            print(f"{n:02d}" + "x" * 97)

    lab.create_function("chatty", handler)
    lab.invoke("chatty")  # another invocation, which Tail must leave out
    # WHEN it is invoked with log_type="Tail"
    response = lab.invoke("chatty", log_type="Tail")
    # THEN log_result is base64 of exactly the last 4096 bytes of its log
    tail = base64.b64decode(response.log_result)
    assert response["LogResult"] == response.log_result
    rid = response.request_id
    full = "".join(m + "\n" for m in messages(lab, "chatty"))
    own = full[full.index(f"START RequestId: {rid}") :]
    assert len(tail) == 4096 and own.encode().endswith(tail)
    assert tail.decode().endswith(f"END RequestId: {rid}\n{report(rid, '100.00', 100)}\n")
    # AND without Tail there is no LogResult, as in boto3's response
    plain = lab.invoke("chatty")
    assert plain.log_result is None
    with pytest.raises(KeyError):
        plain["LogResult"]


def test_tail_is_validated_and_ignored_for_event_invocations(lab):
    # GIVEN a function
    lab.create_function("f", lambda event, context: None)
    # WHEN log_type is not None or Tail, THEN it is refused before anything runs
    with pytest.raises(ll.ValidationException, match="logType"):
        lab.invoke("f", log_type="tail")
    assert len(lab.trace) == 0
    # AND with an Event invocation Tail is ignored (AWS: synchronous invocations only)
    assert lab.invoke("f", invocation_type="Event", log_type="Tail").log_result is None


def test_filter_pattern_and_time_window(lab):
    # GIVEN two invocations one minute apart that print different words
    def handler(event, context):
        print(f"user {event['user']} paid {event['amount']}")

    lab.create_function("f", handler)
    first = lab.invoke("f", {"user": "ana", "amount": 5}).request_id
    lab.run(until=60)
    lab.invoke("f", {"user": "bob", "amount": 5})
    # WHEN the log is filtered by terms, THEN every term must appear
    assert messages(lab, "f", filter_pattern="paid 5") == ["user ana paid 5", "user bob paid 5"]
    assert messages(lab, "f", filter_pattern='"ana paid"') == ["user ana paid 5"]
    assert messages(lab, "f", filter_pattern="ana bob") == []
    assert messages(lab, "f", filter_pattern=f"END {first}") == [f"END RequestId: {first}"]
    # AND a time window (epoch ms, both ends included) keeps only its events
    start_ms = round(lab.clock.epoch_seconds * 1000)
    window = messages(lab, "f", start_time=start_ms + 60_000, filter_pattern="paid")
    assert window == ["user bob paid 5"]
    assert messages(lab, "f", end_time=start_ms + 250, filter_pattern="paid") == ["user ana paid 5"]
    # AND bad arguments are refused
    with pytest.raises(ll.InvalidParameterValueException):
        lab.logs("f", start_time="yesterday")
    with pytest.raises(ll.InvalidParameterValueException):
        lab.logs("f", filter_pattern=5)
    with pytest.raises(ll.ResourceNotFoundException):
        lab.logs("nope")


def test_echo_on_shows_handler_output_and_echo_off_hides_it(capsys):
    # GIVEN two labs, one echoing handler output (the default) and one not
    def handler(event, context):
        print("from the handler")
        print("to stderr", file=sys.stderr)

    for echo in (True, False):
        lab = ll.Lab(seed=1, echo_logs=echo)
        lab.create_function("f", handler)
        # WHEN the function runs
        lab.invoke("f")
        out, err = capsys.readouterr()
        # THEN the notebook shows the output only with echo on; the log always has it
        assert (out, err) == (("from the handler\n", "to stderr\n") if echo else ("", ""))
        assert messages(lab, "f")[1:3] == ["from the handler", "to stderr"]


def test_output_outside_handlers_is_untouched(lab, capsys):
    # GIVEN a function, and the streams before any session
    lab.create_function("f", lambda event, context: print("inside"))
    before = sys.stdout, sys.stderr
    # WHEN code prints during a session but outside any handler
    with lab.runtime:
        print("outside")
        lab.invoke("f")
        print("outside again")
    # THEN that output reaches the streams as is and is not logged
    assert capsys.readouterr().out == "outside\ninside\noutside again\n"
    assert "outside" not in " ".join(messages(lab, "f"))
    # AND the session gave the streams back
    assert (sys.stdout, sys.stderr) == before


def test_nested_invocations_keep_lines_in_each_functions_log(lab):
    # GIVEN a function that prints around a synchronous call to another one
    lab.create_function("inner", lambda event, context: print("in inner"))

    def outer(event, context):
        print("outer before")
        lab.invoke("inner")
        print("outer after")

    lab.create_function("outer", outer)
    # WHEN the outer function is invoked
    rid = lab.invoke("outer").request_id
    # THEN each line is in its own function's log, in the caller's stream
    inner_rid = lab.trace.filter(kind="attempt_started", function="inner")[0]["request_id"]
    assert messages(lab, "outer")[:3] == [
        f"START RequestId: {rid} Version: $LATEST",
        "outer before",
        "outer after",
    ]
    assert messages(lab, "inner")[:2] == [
        f"START RequestId: {inner_rid} Version: $LATEST",
        "in inner",
    ]
    # AND the outer's "after" line carries the time it printed, after its wait
    after = next(e for e in lab.logs("outer") if e["message"] == "outer after")
    inner_end = next(e for e in lab.logs("inner") if e["message"].startswith("END"))
    assert after["timestamp"] == inner_end["timestamp"]


def test_a_hung_handler_still_gives_the_streams_back():
    # GIVEN a handler that loops for real, stopped by a short hang guard
    lab = ll.Lab(seed=1, hang_guard_seconds=0.3, echo_logs=False)

    def handler(event, context):
        print("looping")
        while True:
            pass

    lab.create_function("stuck", handler)
    before = sys.stdout, sys.stderr
    # WHEN it is invoked
    response = lab.invoke("stuck")
    # THEN it timed out, the streams are the original ones, and its line was logged
    assert response.function_error == "Unhandled"
    assert (sys.stdout, sys.stderr) == before
    assert "looping" in messages(lab, "stuck")
    assert messages(lab, "stuck")[-1].endswith("\tStatus: timeout")
