"""CloudWatch Logs in detail: the order of lines around restarts and overlaps, process
exits, partial lines, logging's fallback output, filter patterns, and Tail of recursion."""

from __future__ import annotations

import base64
import io
import logging
import sys
import time

import pytest
from support import Caller

import lambda_lab as ll

NBSP = "\u00a0"


def messages(lab: ll.Lab, name: str, **kwargs) -> list[str]:
    return [event["message"] for event in lab.logs(name, **kwargs)]


def report(rid: str, duration: str, billed: int, init: str | None = None) -> str:
    line = (
        f"REPORT RequestId: {rid}\tDuration: {duration} ms\tBilled Duration: {billed} ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 40 MB"
    )
    return line if init is None else line + f"\tInit Duration: {init} ms"


@pytest.fixture
def bare_root(monkeypatch):
    """Strips the root logger of its handlers (pytest's too), as in a plain notebook
    kernel; call it in the test body, after pytest has added its own."""

    def strip() -> logging.Logger:
        root = logging.getLogger()
        monkeypatch.setattr(root, "handlers", [])
        return root

    return strip


# -- order of lines ---------------------------------------------------------------------


def test_module_output_after_a_timeout_belongs_to_the_next_attempt():
    # GIVEN module code that prints while loading, and a handler that times out once
    code = (
        "import time\nprint('loading')\nruns = []\n"
        "def handler(event, context):\n"
        "    runs.append(1)\n"
        "    if event.get('slow'):\n"
        "        time.sleep(5)\n"
    )
    lab = ll.Lab(seed=1, echo_logs=False)
    lab.create_function("f", "lambda_function.handler", code=code, init_duration=0)
    # WHEN it times out, and is invoked again right then (the same instant, the same stream)
    first = lab.invoke("f", {"slow": True})
    second = lab.invoke("f")
    assert second.start == first.end == 3.0
    # THEN the reload's line comes after the timed-out attempt's END and REPORT,
    # and before the next START (Init output comes first at its instant)
    a, b = first.request_id, second.request_id
    assert messages(lab, "f") == [
        "loading",
        f"START RequestId: {a} Version: $LATEST",
        f"2026-01-01T00:00:03.000Z {a} Task timed out after 3.00 seconds",
        f"END RequestId: {a}",
        report(a, "3000.00", 3000, init="0.00") + "\tStatus: timeout",
        "loading",
        f"START RequestId: {b} Version: $LATEST",
        f"END RequestId: {b}",
        report(b, "100.00", 100),
    ]


def test_overlapping_calls_report_their_own_init_duration(lab):
    # GIVEN a warm environment, then two calls at once: one warm, one cold
    caller = Caller(lab)
    lab.create_function("f", lambda e, c: None, duration=lambda e: e.get("d", 0.1))
    caller.at(0.0, "f")
    caller.at(1.0, "f", {"d": 0.5})
    caller.at(1.0, "f", {"d": 0.1})
    # WHEN they run
    lab.run(until=10)
    # (the cold one ends first: 0.25 s Init + 0.1 s, against the warm one's 0.5 s)
    cold, warm = caller.outcomes[1], caller.outcomes[2]
    assert (warm.response.cold_start, cold.response.cold_start) == (False, True)
    # THEN each REPORT carries its own attempt's Init Duration (none for the warm one)
    lines = messages(lab, "f")
    assert report(warm.request_id, "500.00", 500) in lines
    assert report(cold.request_id, "100.00", 350, init="250.00") in lines


def test_interleaved_functions_keep_every_line_in_their_own_log(lab):
    # GIVEN two functions invoked alternately
    lab.create_function("a", lambda e, c: print("in a"))
    lab.create_function("b", lambda e, c: print("in b"))
    # WHEN a, b, a run
    first, _, third = (lab.invoke(name).request_id for name in ("a", "b", "a"))
    # THEN a's log holds both of its invocations, whole
    lines = messages(lab, "a")
    assert lines[:3] == [
        f"START RequestId: {first} Version: $LATEST",
        "in a",
        f"END RequestId: {first}",
    ]
    assert lines[4:7] == [
        f"START RequestId: {third} Version: $LATEST",
        "in a",
        f"END RequestId: {third}",
    ]
    assert len(lines) == 8


def test_a_cleared_trace_keeps_the_output_of_an_attempt_in_flight():
    # GIVEN a call in flight that printed, whose start is cleared from the trace
    lab = ll.Lab(seed=1, echo_logs=False)
    caller = Caller(lab)

    def handler(event, context):
        print("working")
        time.sleep(5)
        print("done")

    lab.create_function("f", handler, duration=0, init_duration=0, timeout=10)
    caller.at(0.0, "f")
    caller.at(5.0, "f")  # a second call, in another environment, as the first ends
    lab.run(until=1.0)
    lab.trace.clear()
    # WHEN the calls end
    lab.run(until=20.0)
    first, second = caller.outcomes[0].request_id, caller.outcomes[1].request_id
    # THEN the first's lines are kept, and at t=5 its "done", END and REPORT (without
    # START, with no Init Duration) come before the second call's START
    assert messages(lab, "f") == [
        "working",
        "done",
        f"END RequestId: {first}",
        report(first, "5000.00", 5000),
        f"START RequestId: {second} Version: $LATEST",
        "working",
        "done",
        f"END RequestId: {second}",
        report(second, "5000.00", 5000, init="0.00"),
    ]


def test_tail_still_works_after_the_trace_was_cleared(lab):
    # GIVEN a warm function, and a trace cleared since its first call
    lab.create_function("f", lambda e, c: print("warm"))
    lab.invoke("f")
    lab.trace.clear()
    # WHEN it is invoked with log_type="Tail"
    response = lab.invoke("f", log_type="Tail")
    # THEN the tail holds the whole invocation
    rid = response.request_id
    assert base64.b64decode(response.log_result).decode() == (
        f"START RequestId: {rid} Version: $LATEST\nwarm\nEND RequestId: {rid}\n"
        f"{report(rid, '100.00', 100)}\n"
    )


def test_module_output_with_an_instant_init_comes_before_start(lab):
    # GIVEN module code that prints, with Init taking no time
    code = "print('loaded')\ndef handler(event, context):\n    print('handled')\n"
    lab.create_function("f", "lambda_function.handler", code=code, init_duration=0)
    # WHEN invoked
    rid = lab.invoke("f").request_id
    # THEN the module's line still comes before START
    assert messages(lab, "f")[:3] == [
        "loaded",
        f"START RequestId: {rid} Version: $LATEST",
        "handled",
    ]


def test_timestamps_are_epoch_milliseconds_of_virtual_time(lab):
    # GIVEN a handler that prints, invoked at t=100 s
    lab.create_function("f", lambda e, c: print("late"), init_duration=0)
    lab.run(until=100.0)
    lab.invoke("f")
    # WHEN its log is read, THEN its line is stamped 100 000 ms after the lab's start
    start_ms = round(lab.clock.epoch_seconds * 1000)
    (line,) = [e for e in lab.logs("f") if e["message"] == "late"]
    assert line["timestamp"] == start_ms + 100_000


# -- errors and process exits ---------------------------------------------------------------


def test_a_process_exit_is_logged_as_the_runtime_reports_it(lab):
    # GIVEN a handler that exits the process
    def handler(event, context):
        print("bye")
        sys.exit(1)

    lab.create_function("quit", handler, init_duration=0)
    # WHEN invoked
    rid = lab.invoke("quit").request_id
    # THEN the log has the runtime's exit line, and REPORT ends with the status and type
    assert messages(lab, "quit") == [
        f"START RequestId: {rid} Version: $LATEST",
        "bye",
        f"RequestId: {rid} Error: Runtime exited without providing a reason\nRuntime.ExitError",
        f"END RequestId: {rid}",
        report(rid, "100.00", 100, init="0.00") + "\tStatus: error\tError Type: Runtime.ExitError",
    ]


def test_each_error_line_shows_its_own_traceback(lab):
    # GIVEN module code with two handlers failing on different lines
    code = (
        "def one(event, context):\n    X = event['missing']\n"
        "def two(event, context):\n    return 1 / 0\n"
    )
    lab.create_function("one", "lambda_function.one", code=code)
    lab.create_function("two", "lambda_function.two", code=code)
    # WHEN both fail
    lab.invoke("one")
    lab.invoke("two")
    # THEN each [ERROR] event shows its own frame and source line
    assert messages(lab, "one")[1] == (
        "[ERROR] KeyError: 'missing'\nTraceback (most recent call last):\n"
        f'{NBSP * 2}File "/var/task/lambda_function.py", line 2, in one\n'
        f"{NBSP * 4}X = event['missing']"
    )
    assert messages(lab, "two")[1] == (
        "[ERROR] ZeroDivisionError: division by zero\nTraceback (most recent call last):\n"
        f'{NBSP * 2}File "/var/task/lambda_function.py", line 4, in two\n'
        f"{NBSP * 4}return 1 / 0"
    )


# -- stdout: partial lines and the file interface -----------------------------------------------


def test_a_line_is_stamped_when_its_first_part_was_written(lab):
    # GIVEN a handler that writes a line in parts around a sleep, and ends without newline
    def handler(event, context):
        sys.stdout.write("first\nsecond ")
        time.sleep(1)
        sys.stdout.write("half\n")
        sys.stdout.write("unfinished")

    lab.create_function("f", handler, timeout=10, init_duration=0)
    # WHEN invoked
    lab.invoke("f")
    # THEN each line is one event stamped when it began; the unfinished one is kept too
    start_ms = round(lab.clock.epoch_seconds * 1000)
    lines = [(e["message"], e["timestamp"] - start_ms) for e in lab.logs("f")]
    assert lines[1:4] == [("first", 0), ("second half", 0), ("unfinished", 1000)]


def test_an_unfinished_line_stays_with_its_own_invocation(lab):
    # GIVEN a function that ends without a newline, and another that prints
    lab.create_function("a", lambda e, c: sys.stdout.write("no newline"))
    lab.create_function("b", lambda e, c: print("next"))
    # WHEN one runs after the other
    lab.invoke("a")
    lab.invoke("b")
    # THEN each line is in its own function's log
    assert messages(lab, "a")[1] == "no newline"
    assert messages(lab, "b")[1] == "next"
    assert "next" not in messages(lab, "a")


def test_writelines_and_stream_attributes_work_inside_a_handler(lab):
    # GIVEN a handler that uses writelines and reads an attribute of sys.stdout
    seen = {}

    def handler(event, context):
        sys.stdout.writelines(["one\n", "two\n"])
        seen["encoding"] = sys.stdout.encoding

    lab.create_function("f", handler)
    # WHEN invoked
    lab.invoke("f")
    # THEN both lines are logged, and the attribute is the real stream's
    assert messages(lab, "f")[1:3] == ["one", "two"]
    assert seen["encoding"] == sys.stdout.encoding


# -- logging without other handlers: logging.lastResort's output -----------------------------------


def test_logging_in_a_handler_is_shown_as_logging_would_show_it(bare_root, capsys, monkeypatch):
    # GIVEN a plain kernel (no logging handler), the root at INFO, and a lab that echoes
    root = bare_root()
    monkeypatch.setattr(root, "level", logging.INFO)
    lab = ll.Lab(seed=1)

    def handler(event, context):
        logging.info("quiet")
        logging.warning("low stock")

    lab.create_function("f", handler, init_duration=0)
    # WHEN invoked
    rid = lab.invoke("f").request_id
    # THEN both records are in the log, and the notebook shows the warning only,
    # as logging's last resort would (WARNING and up, the bare message)
    assert messages(lab, "f")[1:3] == [
        f"[INFO]\t2026-01-01T00:00:00.000Z\t{rid}\tquiet",
        f"[WARNING]\t2026-01-01T00:00:00.000Z\t{rid}\tlow stock",
    ]
    assert capsys.readouterr().err == "low stock\n"


def test_logging_in_a_handler_is_not_shown_without_echo(bare_root, capsys):
    # GIVEN a plain kernel and a lab that does not echo
    bare_root()
    lab = ll.Lab(seed=1, echo_logs=False)
    lab.create_function("f", lambda e, c: logging.warning("hidden"))
    # WHEN invoked
    lab.invoke("f")
    # THEN the record is logged but not shown
    assert messages(lab, "f")[1].endswith("\thidden")
    assert capsys.readouterr().err == ""


def test_logging_outside_handlers_is_shown_even_without_echo(bare_root, capsys):
    # GIVEN a session of a lab that does not echo, in a plain kernel
    bare_root()
    lab = ll.Lab(seed=1, echo_logs=False)
    lab.create_function("f", lambda e, c: None)
    # WHEN code outside any handler logs a warning during the session
    with lab.runtime:
        lab.invoke("f")
        logging.getLogger("app").warning("outside")
    # THEN it is shown as logging's last resort shows it, and not logged
    assert capsys.readouterr().err == "outside\n"
    assert not any("outside" in m for m in messages(lab, "f"))


def test_a_record_another_handler_shows_is_not_shown_twice(bare_root, capsys):
    # GIVEN a kernel whose root logger has a handler of its own
    shown = io.StringIO()
    bare_root().addHandler(logging.StreamHandler(shown))
    lab = ll.Lab(seed=1)
    lab.create_function("f", lambda e, c: logging.getLogger("orders").warning("stored"))
    # WHEN a handler logs through a child logger
    lab.invoke("f")
    # THEN that handler shows it, and the lab does not add logging's last resort
    assert shown.getvalue() == "stored\n"
    assert capsys.readouterr().err == ""
    assert messages(lab, "f")[1].endswith("\tstored")


def test_a_child_loggers_own_handler_counts_too(bare_root, capsys, monkeypatch):
    # GIVEN a child logger with its own handler (propagating to a bare root)
    bare_root()
    shown = io.StringIO()
    child = logging.getLogger("payments")
    monkeypatch.setattr(child, "handlers", [logging.StreamHandler(shown)])
    lab = ll.Lab(seed=1)
    lab.create_function("f", lambda e, c: child.warning("charged"))
    # WHEN a handler logs through it
    lab.invoke("f")
    # THEN only the child's handler shows it
    assert shown.getvalue() == "charged\n"
    assert capsys.readouterr().err == ""


def test_module_code_logs_without_a_request_id(lab):
    # GIVEN module code that logs a warning while loading
    code = "import logging\nlogging.warning('cold')\ndef handler(event, context):\n    pass\n"
    lab.create_function("f", "lambda_function.handler", code=code)
    # WHEN invoked
    lab.invoke("f")
    # THEN its record has an empty request id field
    assert messages(lab, "f")[0] == "[WARNING]\t2026-01-01T00:00:00.000Z\t\tcold"


# -- filter patterns ------------------------------------------------------------------------------


@pytest.fixture
def paid(lab):
    def handler(event, context):
        print(event["line"])

    lab.create_function("f", handler)
    for line in ("user bob paid 5", "loser bob paid 7", "XML export done"):
        lab.invoke("f", {"line": line})
    return lab


@pytest.mark.parametrize(
    ("pattern", "found"),
    [
        ('"user bob"', ["user bob paid 5"]),
        ('"bob paid" 7', ["loser bob paid 7"]),
        ('"bob paid"  "5"', ["user bob paid 5"]),
        ('"user bob""paid"', ["user bob paid 5"]),
        ("paid  7", ["loser bob paid 7"]),
        ("XML", ["XML export done"]),
        ('""', None),  # an empty phrase: no term, every event
    ],
)
def test_filter_patterns_of_phrases_and_words(paid, pattern, found):
    # GIVEN three printed lines; WHEN filtered by the pattern, THEN every term must appear
    expected = messages(paid, "f") if found is None else found
    assert messages(paid, "f", filter_pattern=pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (5, "filter_pattern must be a string"),
        ('"bob paid', "unclosed quote"),
        ("?bob", 'plain terms and "quoted phrases" only'),
    ],
)
def test_unsupported_filter_patterns_are_refused_with_the_reason(paid, pattern, message):
    with pytest.raises(ll.InvalidParameterValueException, match=message):
        paid.logs("f", filter_pattern=pattern)


# -- Tail ------------------------------------------------------------------------------------------


def test_the_tail_of_a_recursive_call_holds_only_its_own_lines(lab):
    # GIVEN a function that invokes itself once
    def handler(event, context):
        print("depth", event["depth"])
        if event["depth"] == 0:
            lab.invoke("f", {"depth": 1})

    lab.create_function("f", handler)
    # WHEN the outer call is invoked with log_type="Tail"
    response = lab.invoke("f", {"depth": 0}, log_type="Tail")
    # THEN its tail has its own lines only, not the inner call's
    tail = base64.b64decode(response.log_result).decode()
    rid = response.request_id
    assert tail.splitlines()[:2] == [f"START RequestId: {rid} Version: $LATEST", "depth 0"]
    assert "depth 1" not in tail
    assert tail.count("START RequestId") == 1 and tail.count("REPORT RequestId") == 1


def test_the_tail_of_a_module_error_shows_its_source_line(lab):
    # GIVEN module code whose handler fails
    code = "def handler(event, context):\n    return event['amount']\n"
    lab.create_function("pay", "lambda_function.handler", code=code)
    # WHEN invoked with log_type="Tail"
    response = lab.invoke("pay", {}, log_type="Tail")
    # THEN the tail's [ERROR] event shows the module's line
    tail = base64.b64decode(response.log_result).decode()
    assert f"{NBSP * 4}return event['amount']\n" in tail
