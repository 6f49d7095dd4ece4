"""The kernel extension: ``%load_ext lambda_lab`` and its magics, through IPython's test shell.

Each test gets a freshly loaded extension and no ``lab`` variable, so the
magics create a new lab (seed 0) on first use.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.getipython import get_ipython as current_shell
from IPython.testing.globalipapp import get_ipython
from IPython.utils.capture import capture_output
from traitlets.config.configurable import MultipleInstanceError

import lambda_lab as ll

CREDIT = """\
def handler(event, context):
    print("crediting", event["amount"])
    return {"credited": event["amount"]}
"""


@pytest.fixture(scope="module")
def ip():
    # globalipapp starts its shell once per process and returns None after that
    # (a second test session in one process, as mutmut runs them), and cannot start
    # at all once another module made IPython's plain shell (format_display_data
    # does): take the running one then.
    try:
        shell = get_ipython()
    except MultipleInstanceError:
        shell = None
    shell = shell or current_shell()
    shell.run_line_magic("colors", "nocolor")  # plain tracebacks, as the test shell's
    # every MIME type, not only text/plain, is captured (see the toolchain notes)
    shell.display_formatter.active_types = shell.display_formatter.format_types
    return shell


@pytest.fixture(autouse=True)
def magics(ip, monkeypatch):
    ip.user_ns.pop("lab", None)
    with capture_output():
        ip.run_line_magic("load_ext", "lambda_lab")
    yield
    with capture_output():
        if "lambda_lab" in ip.extension_manager.loaded:
            ip.run_line_magic("unload_ext", "lambda_lab")
    ip.user_ns.pop("lab", None)


def run(ip, source: str):
    """Run one cell as a notebook would; returns (succeeded, stdout, stderr, outputs)."""
    with capture_output() as captured:
        result = ip.run_cell(source)
    return result.success, captured.stdout, captured.stderr, captured.outputs


def define(ip, name: str = "credit", code: str = CREDIT, options: str = "") -> str:
    ok, out, err, _ = run(ip, f"%%lambda {name} {options}\n{code}")
    assert ok, out + err
    return out


def lab_of(ip) -> ll.Lab:
    return ip.user_ns["lab"]


# -- %%lambda and %invoke -----------------------------------------------------------------


def test_a_cell_becomes_a_function_that_invoke_calls_synchronously(ip):
    # GIVEN a cell defining handler(event, context)
    out = define(ip, options="--timeout 3")
    assert out == "credit: created (timeout 3 s, memory 128 MB)\n"
    # WHEN it is invoked with a JSON payload (braces are not expanded as Python)
    ok, out, err, _ = run(ip, """%invoke credit --payload {"amount":10}""")
    # THEN the response is printed: status, request id, cold start, times, payload
    assert ok and err == ""
    lines = out.splitlines()
    assert lines[0] == "crediting 10"  # the handler's print, echoed as it runs
    assert re.fullmatch(
        r'\[1\] 200 request [0-9a-f-]{36}, cold start, t=0-0\.35 s: \{"credited": 10\}', lines[1]
    )
    assert lines[2] == "t = 0.35 s"
    # AND the notebook's lab is the variable `lab`, which cells can use directly
    assert isinstance(lab_of(ip), ll.Lab)
    assert lab_of(ip).metrics("credit")["Invocations"] == 1


def test_a_function_error_is_still_200_and_its_stack_trace_shows_the_cells_lines(ip):
    # GIVEN a %%lambda function
    define(ip)
    # WHEN it fails on an event without "amount"
    ok, out, _, _ = run(ip, "%invoke credit --payload '{}'")
    # THEN the response says Unhandled, and the stack trace names the cell and its line
    assert ok
    line = out.splitlines()[0]
    assert line.startswith("[1] 200 FunctionError=Unhandled request ")
    assert '"errorType": "KeyError"' in line
    assert '<%%lambda credit #1>\\", line 2, in handler' in line
    assert 'print(\\"crediting\\", event[\\"amount\\"])' in line
    assert "magics.py" not in line  # the extension's own frames are left out


def test_event_invocations_are_settled_and_each_outcome_printed(ip):
    # GIVEN a %%lambda function
    define(ip)
    # WHEN three events are sent at once
    ok, out, _, _ = run(ip, "%invoke credit --type Event --count 3 --payload '{\"amount\": 1}'")
    # THEN each 202 is printed with its final outcome, after the world settled
    assert ok
    outcomes = [line for line in out.splitlines() if line.startswith("[")]
    assert [line[:7] for line in outcomes] == ["[1] 202", "[2] 202", "[3] 202"]
    assert all(": succeeded after 1 attempt, t=" in line for line in outcomes)
    assert lab_of(ip).trace.kinds()["succeeded"] == 3


def test_an_event_that_keeps_failing_is_dropped_after_the_configured_retries(ip):
    # GIVEN a function that always fails, with one retry
    define(ip, "flaky", "def handler(event, context):\n    raise ValueError('no')\n", "--retries 1")
    # WHEN one event is sent
    ok, out, _, _ = run(ip, "%invoke flaky --type Event")
    # THEN it is dropped after two attempts (one retry, a minute later)
    assert ok
    assert re.search(
        r"^\[1\] 202 request \S+: dropped \(RetriesExhausted\) after 2 attempts, t=60\.\d+ s$",
        out,
        re.MULTILINE,
    )


def test_until_runs_the_world_only_that_far(ip):
    # GIVEN a failing function with AWS's default retries
    define(ip, "flaky", "def handler(event, context):\n    raise ValueError('no')\n")
    # WHEN an event is sent and the world runs until t=30 only
    ok, out, _, _ = run(ip, "%invoke flaky --type Event --until 30")
    # THEN the event has no outcome yet and the clock stands at 30
    assert ok
    assert re.search(r"^\[1\] 202 request \S+: no outcome yet$", out, re.MULTILINE)
    assert out.endswith("t = 30 s\n")


def test_dry_run_prints_204_and_runs_nothing(ip):
    define(ip)
    ok, out, _, _ = run(ip, "%invoke credit --type DryRun")
    assert ok
    assert out == "[1] 204 DryRun: the request would be accepted\nt = 0 s\n"
    assert "attempt_started" not in lab_of(ip).trace.kinds()


def test_rerunning_the_cell_replaces_the_code(ip):
    # GIVEN a function already invoked once
    define(ip)
    run(ip, "%invoke credit --payload '{\"amount\": 1}'")
    # WHEN the cell is re-run with other code
    out = define(ip, code="def handler(event, context):\n    return {'version': 2}\n")
    # THEN the next invocation runs the new code
    assert out == "credit: code updated (revision 2)\n"
    ok, out, _, _ = run(ip, "%invoke credit")
    assert ok and '{"version": 2}' in out
    assert list(lab_of(ip).functions) == ["credit"]


def test_an_error_of_an_earlier_revision_keeps_its_own_lines_in_the_logs(ip):
    # GIVEN an error raised by revision 1, then revision 2 of the cell
    define(ip)
    run(ip, "%invoke credit --payload '{}'")
    define(ip, code="def handler(event, context):\n\n    return 'fine'\n")
    # WHEN the logs are read afterwards (they are derived from the trace when asked)
    ok, out, _, _ = run(ip, "%logs credit --filter ERROR")
    # THEN revision 1's frame still shows revision 1's line
    assert ok
    assert '<%%lambda credit #1>", line 2, in handler' in out
    assert 'print("crediting", event["amount"])' in out


def test_the_cell_runs_in_a_fresh_namespace_that_starts_from_the_notebooks(ip):
    # GIVEN a notebook variable and a notebook-level `handler`
    ip.user_ns["RATE"] = 3
    ip.user_ns["handler"] = "the notebook's own"
    try:
        # WHEN a cell uses the variable and defines a helper and its handler
        define(
            ip,
            "triple",
            "def helper(x):\n    return x * RATE\n"
            "def handler(event, context):\n    return helper(event)\n",
        )
        ok, out, _, _ = run(ip, "%invoke triple --payload 2")
        # THEN the handler sees the notebook's names, and the cell's stay in the cell
        assert ok and out.splitlines()[0].endswith(": 6")
        assert "helper" not in ip.user_ns
        assert ip.user_ns["handler"] == "the notebook's own"
        # AND a cell that defines no handler does not pick up the notebook's
        ok, _, err, _ = run(ip, "%%lambda other\nx = 1\n")
        assert not ok and err.startswith("UsageError: the cell must define handler")
        assert "other" not in lab_of(ip).functions
    finally:
        del ip.user_ns["RATE"], ip.user_ns["handler"]


def test_an_error_in_the_cells_own_code_shows_a_traceback_from_the_cell(ip):
    ok, out, _, _ = run(ip, "%%lambda boom\nraise RuntimeError('at import')\n")
    assert not ok
    assert "<%%lambda boom #1>" in out and "RuntimeError: at import" in out
    assert "magics.py" not in out
    assert "boom" not in lab_of(ip).functions


# -- options ---------------------------------------------------------------------------


def test_the_options_reach_the_functions_configuration(ip):
    # WHEN a cell is run with every option
    define(
        ip,
        options="--timeout 5 --memory 256 --duration 0.5 --reserved 4 --retries 0 --max-age 120",
    )
    # THEN the lab's function has them
    lab = lab_of(ip)
    fn = lab.get_function("credit")
    assert (fn.timeout, fn.memory_size) == (5, 256)
    assert lab.get_function_concurrency("credit") == {"ReservedConcurrentExecutions": 4}
    config = lab.get_function_event_invoke_config("credit")
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (0, 120)
    assert lab.invoke("credit", {"amount": 1}).duration == 0.5


def test_a_rerun_changes_or_removes_only_what_the_cell_set(ip):
    # GIVEN a function with reserved concurrency and retries from its cell,
    # and an on-failure destination set through the API
    define(ip, options="--reserved 4 --retries 1")
    lab = lab_of(ip)
    failures = lab.create_queue("failures")
    lab.update_function_event_invoke_config("credit", destination_config={"on_failure": failures})
    # WHEN the cell is re-run with other retries and without --reserved
    define(ip, options="--retries 0")
    # THEN retries changed, the reservation is gone, the destination stays
    assert lab.get_function_concurrency("credit") == {}
    config = lab.get_function_event_invoke_config("credit")
    assert config["MaximumRetryAttempts"] == 0
    assert config["DestinationConfig"] == {"OnFailure": {"Destination": failures.arn}}
    # WHEN it is re-run without --retries
    define(ip)
    # THEN AWS's defaults apply again (only the destination is left)
    assert "MaximumRetryAttempts" not in lab.get_function_event_invoke_config("credit")


def test_a_rerun_cannot_change_the_timeout_and_leaves_the_function_as_it_was(ip):
    # GIVEN a function with timeout 3
    define(ip, options="--timeout 3")
    # WHEN its cell is re-run with --timeout 5 and other code
    cell = "%%lambda credit --timeout 5\ndef handler(event, context):\n    return 2\n"
    ok, out, err, _ = run(ip, cell)
    # THEN one line says why, and the old code still runs
    assert not ok and out == ""
    assert err.count("\n") == 1
    assert err.startswith("UsageError: credit exists and lambda_lab has no public way")
    assert "--timeout 5 (it has 3)" in err
    assert lab_of(ip).invoke("credit", {"amount": 7}).payload == {"credited": 7}


def test_a_name_taken_by_lab_create_function_is_refused_by_the_lab(ip):
    # GIVEN a function made by the API in the notebook's lab
    run(ip, "%lab")
    assert run(ip, "lab.create_function('plain', lambda event, context: 1)")[0]
    # WHEN a cell takes its name; THEN the lab's own error, in one line
    ok, out, _, _ = run(ip, f"%%lambda plain\n{CREDIT}")
    assert not ok
    assert out.startswith("ResourceConflictException: ") and out.count("\n") == 1


# -- %lab ------------------------------------------------------------------------------


def test_lab_shows_functions_resources_mappings_and_the_trace(ip):
    # GIVEN a function with options, a queue, a mapping and one invocation
    define(ip, options="--timeout 5 --reserved 2 --retries 1")
    lab = lab_of(ip)
    orders = lab.create_queue("orders")
    lab.create_event_source_mapping(orders, "credit", enabled=False)
    run(ip, "%invoke credit --payload '{\"amount\": 1}'")
    # WHEN %lab runs
    ok, out, _, _ = run(ip, "%lab")
    # THEN it prints them as plain, deterministic text
    assert ok
    lines = out.splitlines()
    assert lines[:6] == [
        "Lab seed=0, t=0.35 s",
        "functions (1):",
        "  credit  timeout=5s memory=128MB reserved=2 retries=1",
        "resources (1):",
        "  sqs  orders",
        "event source mappings (1):",
    ]
    assert re.fullmatch(r"  [0-9a-f-]{36}  orders -> credit  Disabled  batch=10", lines[6])
    assert lines[7].startswith("trace (")
    assert "attempt_started=1" in lines[7] and "response=1" in lines[7]
    assert "0x" not in out


def test_the_same_steps_print_the_same_text(ip):
    # GIVEN a scenario; WHEN it runs twice, each time in a fresh lab
    def scenario() -> str:
        run(ip, "%lab reset")
        define(ip)
        texts = [run(ip, "%invoke credit --type Event --count 2 --payload 5")[1]]
        texts.append(run(ip, "%invoke credit --payload '{}'")[1])
        texts.append(run(ip, "%lab")[1])
        texts.append(run(ip, "%logs credit")[1])
        return "".join(texts)

    # THEN the output is the same, byte for byte (no wall clock, no address)
    first = scenario()
    assert first == scenario()
    assert "0x" not in first


def test_lab_reset_starts_a_fresh_lab_with_the_same_settings(ip):
    # GIVEN the user's own lab with seed 3, holding a function
    run(ip, "import lambda_lab as ll\nlab = ll.Lab(seed=3, echo_logs=False)")
    mine = lab_of(ip)
    define(ip)
    assert "credit" in mine.functions  # the magics use the user's lab
    # WHEN %lab reset runs
    ok, out, _, _ = run(ip, "%lab reset")
    # THEN `lab` is a new, empty lab with the same seed and settings
    assert ok and out.startswith("Lab seed=3, t=0 s\nfunctions (0):\n")
    fresh = lab_of(ip)
    assert fresh is not mine and fresh.functions == {}
    assert fresh.config == mine.config
    # AND --seed picks the seed of the next fresh lab
    ok, out, _, _ = run(ip, "%lab reset --seed 11")
    assert ok and lab_of(ip).config.seed == 11 and out.startswith("Lab seed=11,")


# -- %logs -----------------------------------------------------------------------------


def test_logs_prints_the_functions_log_lines(ip):
    # GIVEN two invocations
    define(ip)
    run(ip, "%invoke credit --payload '{\"amount\": 1}'")
    run(ip, "%invoke credit --payload '{\"amount\": 2}'")
    # WHEN %logs runs, with and without a filter
    _, everything, _, _ = run(ip, "%logs credit")
    ok, filtered, _, _ = run(ip, "%logs credit --filter crediting")
    # THEN each event's message is printed, in time order
    assert ok and filtered == "crediting 1\ncrediting 2\n"
    messages = everything.splitlines()
    assert messages[0].startswith("START RequestId: ")
    assert messages[1] == "crediting 1"
    assert sum(m.startswith("REPORT RequestId: ") for m in messages) == 2
    # AND a quoted phrase is one term
    ok, phrase, _, _ = run(ip, """%logs credit --filter '"crediting 2"'""")
    assert ok and phrase == "crediting 2\n"


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "named"),
    [
        ("%invoke credit --bogus", "--bogus"),
        ("%invoke credit --count 0", "--count"),
        ("%invoke credit --count x", "--count"),
        ("%invoke credit --type Sync", "--type"),
        ("%invoke credit --payload '{bad'", "--payload"),
        ("%invoke credit --until -1", "--until"),
        ("%invoke", "NAME"),
        ("%logs", "NAME"),
        ("%lab restart", "restart"),
        ("%lab --seed x", "--seed"),
        ("%%lambda credit --timeout\n" + CREDIT, "--timeout"),
        ("%%lambda credit --memory big\n" + CREDIT, "--memory"),
        ("%%lambda credit --time 3\n" + CREDIT, "--time"),
        ('%invoke credit --payload \'{"a": 1}', "quotation"),
    ],
)
def test_bad_arguments_give_one_usage_line_and_change_nothing(ip, cell, named):
    # GIVEN a function invoked once
    define(ip)
    run(ip, "%invoke credit --payload '{\"amount\": 1}'")
    lab = lab_of(ip)
    before = (lab.now, len(lab.trace), lab.get_function("credit").timeout)
    # WHEN a magic gets bad arguments
    ok, out, err, _ = run(ip, cell)
    # THEN one UsageError line names the argument and the usage, with no traceback
    assert not ok and out == ""
    assert err.count("\n") == 1 and err.startswith("UsageError: ")
    assert named in err and "(usage: %" in err
    # AND the lab is as it was
    assert lab_of(ip) is lab
    assert (lab.now, len(lab.trace), lab.get_function("credit").timeout) == before


@pytest.mark.parametrize(
    ("options", "error", "field"),
    [
        ("--timeout 0", "ValidationException", "timeout"),
        ("--memory 64", "ValidationException", "memorySize"),
        ("--retries 3", "ValidationException", "maximum_retry_attempts"),
        ("--max-age 10", "ValidationException", "maximum_event_age_in_seconds"),
        ("--reserved -1", "ValidationException", "reserved"),
        ("--duration -1", "InvalidParameterValueException", "duration"),
    ],
)
def test_a_value_the_lab_refuses_is_one_line_naming_the_field(ip, options, error, field):
    # WHEN a new function is defined with a value out of AWS's range
    ok, out, err, _ = run(ip, f"%%lambda credit {options}\n{CREDIT}")
    # THEN one line "ErrorName: message" names the field, and no function exists
    assert not ok and err == ""
    assert out.startswith(f"{error}: ") and out.count("\n") == 1
    assert field in out
    assert lab_of(ip).functions == {}


def test_a_lab_error_on_invoke_is_one_line(ip):
    ok, out, _, _ = run(ip, "%invoke nowhere")
    assert not ok
    assert out.startswith("ResourceNotFoundException: Function not found: ")
    assert out.count("\n") == 1


def test_a_handler_with_the_wrong_signature_is_refused_in_one_line(ip):
    ok, out, _, _ = run(ip, "%%lambda credit\ndef handler(event):\n    return 1\n")
    assert not ok
    assert out == (
        "InvalidParameterValueException: handler must accept two arguments "
        "(event, context), got handler(event)\n"
    )


def test_help_prints_the_usage_and_never_exits(ip):
    for magic, usage in [
        ("%invoke", "usage: %invoke NAME [--type RequestResponse|Event|DryRun]"),
        ("%lab", "usage: %lab [reset] [--seed N]"),
        ("%logs", "usage: %logs NAME [--filter PATTERN]"),
    ]:
        ok, out, err, _ = run(ip, f"{magic} --help")
        assert ok and err == "" and out.startswith(usage)
    ok, out, _, _ = run(ip, f"%%lambda --help\n{CREDIT}")
    assert ok and out.startswith("usage: %%lambda NAME [--timeout S] [--memory MB]")
    assert "lab" not in ip.user_ns  # nothing ran: not even a lab was made


# -- the flow picture --------------------------------------------------------------------


def test_invoke_displays_the_flow_of_the_last_request(ip):
    # GIVEN a function defined in a cell
    define(ip)
    # WHEN two requests are made
    ok, out, _, outputs = run(ip, "%invoke credit --count 2 --payload '{\"amount\": 1}'")
    # THEN the flow of the last one is displayed after the text, live and as a picture
    assert ok
    last_id = re.findall(r"^\[2\] 200 request (\S+),", out, re.MULTILINE)[0]
    (flow,) = outputs
    assert flow.data["text/plain"].startswith("<FlowDiagram: ")
    assert "image/svg+xml" in flow.data
    assert last_id[:8] in flow.data["image/svg+xml"]
    assert "application/vnd.jupyter.widget-view+json" in flow.data


# -- loading -----------------------------------------------------------------------------


def test_unload_removes_the_magics_and_reload_brings_them_back(ip):
    # GIVEN a function defined through the extension
    define(ip)
    lab = lab_of(ip)
    # WHEN the extension is unloaded
    ok, _, _, _ = run(ip, "%unload_ext lambda_lab")
    assert ok
    # THEN its magics are unknown again
    for cell in ("%invoke credit", "%lab", "%logs credit", f"%%lambda other\n{CREDIT}"):
        ok, _, err, _ = run(ip, cell)
        assert not ok and "not found" in err
    # WHEN it is loaded again and reloaded
    assert run(ip, "%load_ext lambda_lab")[0]
    ok, out, err, _ = run(ip, "%reload_ext lambda_lab")
    # THEN there is no duplicate registration, and the notebook's lab is still used
    assert ok and out == "" and err == ""
    ok, out, _, _ = run(ip, "%invoke credit --payload '{\"amount\": 4}'")
    assert ok and '{"credited": 4}' in out
    assert lab_of(ip) is lab


def test_the_hooks_are_documented_and_not_in_all():
    assert ll.load_ipython_extension.__doc__ and ll.unload_ipython_extension.__doc__
    assert "load_ipython_extension" not in ll.__all__
    assert "unload_ipython_extension" not in ll.__all__


def test_importing_lambda_lab_does_not_load_ipythons_magic_machinery():
    code = (
        "import sys, lambda_lab\n"
        "assert 'lambda_lab.magics' not in sys.modules\n"
        "assert 'IPython.core.magic' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_readmes_kernel_extension_examples_run(ip):
    # GIVEN the README's ```ipython blocks (test_readme.py runs the ```python ones)
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```ipython\n(.*?)^```", readme, re.DOTALL | re.MULTILINE)
    assert blocks
    # WHEN each cell (a %% block, or each line magic) runs in order
    for block in blocks:
        cells = [block] if block.startswith("%%") else block.strip().splitlines()
        for cell in cells:
            ok, out, err, _ = run(ip, cell)
            # THEN none fails
            assert ok, f"{cell}\n{out}{err}"
    assert "crediting 10" in out or "crediting 1" in out
