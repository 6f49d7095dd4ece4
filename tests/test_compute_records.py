"""The compute layer's value objects used directly: error records and their stacks,
the context object, and duration samplers."""

from __future__ import annotations

import random
import traceback

from lambda_lab.sim.compute.context import NO_IDENTITY, LambdaContext
from lambda_lab.sim.compute.durations import Fixed, Uniform, as_sampler
from lambda_lab.sim.compute.functions import Environment, Function, Invocation
from lambda_lab.sim.compute.records import MODULE_PATH, ErrorInfo

MODULE = "def handler(event, context):\n    raise KeyError('amount')\n"


def _boom() -> None:
    raise ValueError("deep")


def _raise_from_module() -> BaseException:
    namespace: dict = {}
    exec(compile(MODULE, MODULE_PATH, "exec"), namespace)
    try:
        namespace["handler"](None, None)
    except KeyError as exc:
        return exc
    raise AssertionError("the module's handler did not raise")


def test_from_exception_drops_the_callers_outer_frames():
    # GIVEN an exception raised two frames below the code that caught it
    try:
        _boom()
    except ValueError as exc:
        caught = exc
    # WHEN its error is taken with the default skip (the catching frame is the runtime's)
    frames = ErrorInfo.from_exception(caught).frames
    # THEN only the raising function's frame is kept
    assert [name for _, _, name in frames] == ["_boom"]
    # AND with skip=0 the catching frame stays; skipping past the end leaves no frame
    kept = [name for _, _, name in ErrorInfo.from_exception(caught, skip=0).frames]
    assert kept == ["test_from_exception_drops_the_callers_outer_frames", "_boom"]
    assert ErrorInfo.from_exception(caught, skip=5).frames == []


def test_from_exception_reads_module_lines_from_the_source_given():
    # GIVEN an exception raised in code= module source (its file is MODULE_PATH)
    exc = _raise_from_module()
    # WHEN its error is taken with that source
    info = ErrorInfo.from_exception(exc, skip=1, source=MODULE)
    # THEN the module frame shows its line from that source
    assert info.stack_trace()[-1] == (
        f"  File \"{MODULE_PATH}\", line 2, in handler\n    raise KeyError('amount')\n"
    )
    assert info.payload("rid")["errorType"] == "KeyError"


def test_a_module_frame_outside_the_source_shows_no_line():
    # GIVEN module frames at lines 1 and 2 of a 2-line source, and at 0 and 3 (outside it)
    frames = [(MODULE_PATH, n, "handler") for n in (1, 2, 0, 3)]
    info = ErrorInfo("E", "m", frames)
    info.source = MODULE
    # WHEN the stack is formatted
    stack = info.stack_trace()
    # THEN lines inside the source show it, lines outside show nothing
    expected = traceback.format_list(
        [
            (MODULE_PATH, 1, "handler", "def handler(event, context):"),
            (MODULE_PATH, 2, "handler", "raise KeyError('amount')"),
            (MODULE_PATH, 0, "handler", ""),
            (MODULE_PATH, 3, "handler", ""),
        ]
    )
    assert stack == expected
    assert stack[2] == f'  File "{MODULE_PATH}", line 0, in handler\n'


def test_a_module_frame_without_source_shows_no_line():
    # GIVEN an error with a module frame but no source
    info = ErrorInfo("E", "m", [(MODULE_PATH, 1, "handler")])
    # WHEN formatted, THEN the frame has no source line (and nothing fails)
    assert info.stack_trace() == [f'  File "{MODULE_PATH}", line 1, in handler\n']


def test_remaining_time_never_goes_below_zero():
    # GIVEN a context whose deadline is 5 s, read at 4.9996 s and at 6 s
    clock = [4.9996]
    context = LambdaContext("rid", "f", "arn", 128, "stream", 5.0, lambda: clock[0])
    # WHEN the remaining time is read, THEN under half a millisecond rounds to 0
    assert context.get_remaining_time_in_millis() == 0
    # AND past the deadline it stays 0
    clock[0] = 6.0
    assert context.get_remaining_time_in_millis() == 0
    clock[0] = 4.0
    assert context.get_remaining_time_in_millis() == 1000


def test_a_context_keeps_the_client_context_it_is_given():
    # GIVEN a client context (what a mobile SDK sends)
    client = {"client": {"app_title": "shop"}}
    # WHEN a context is made with it, THEN it is there as given; without one it is None
    context = LambdaContext("rid", "f", "arn", 128, "s", 3.0, lambda: 0.0, client_context=client)
    assert context.client_context is client
    assert LambdaContext("rid", "f", "arn", 128, "s", 3.0, lambda: 0.0).client_context is None


def test_the_identity_prints_both_cognito_ids_as_none():
    # GIVEN the identity every context has, WHEN printed, THEN both ids show as None
    assert repr(NO_IDENTITY) == (
        "CognitoIdentity(cognito_identity_id=None, cognito_identity_pool_id=None)"
    )


def test_a_number_sampler_returns_that_number():
    # GIVEN a duration given as a number
    sampler, fixed = as_sampler("duration", 2)
    # WHEN drawn, THEN it is that number whatever the event, and it is the fixed value
    assert sampler(random.Random(1), {"any": 1}) == 2.0
    assert fixed == 2.0


def test_distributions_with_different_settings_hash_differently():
    # GIVEN equal and different distributions
    # WHEN hashed, THEN equal ones hash alike and different settings hash apart
    assert hash(Fixed(1)) == hash(Fixed(1.0))
    assert len({hash(Fixed(1)), hash(Fixed(2)), hash(Uniform(1, 2)), hash(Uniform(1, 3))}) == 4
    assert {Fixed(1): "a"}[Fixed(1.0)] == "a"


def _function(**overrides) -> Function:
    settings = {
        "name": "f",
        "arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "handler": lambda e, c: None,
        "code": None,
        "timeout": 3,
        "memory_size": 128,
        "reserved_concurrency": None,
        "duration": as_sampler("duration", 0.1),
        "init_duration": as_sampler("init_duration", 0.25),
        "environment": {},
    }
    return Function(**{**settings, **overrides})


def test_a_new_function_has_its_settings_and_nothing_in_flight():
    # GIVEN a function made directly, with a reservation of 5
    fn = _function(reserved_concurrency=5)
    # WHEN nothing has run yet, THEN it keeps its reservation, has no environment, no
    # sweep pending, a full scaling allowance last filled at t=0, and no DLQ
    assert fn.reserved_concurrency == 5
    assert (fn.busy, fn.environments, list(fn.idle)) == (0, {}, [])
    assert fn.sweep_pending is False
    assert (fn.tokens, fn.tokens_at) == (float("inf"), 0.0)
    assert fn.dead_letter_target is None
    assert fn.qualified_arn == fn.arn + ":$LATEST"


def test_a_new_environment_is_busy_uninitialised_and_never_expires():
    # GIVEN an environment just made for a function
    fn = _function()
    env = Environment("env-9", fn, 4.0, "stream")
    # THEN it is busy (it was made for a call), has no module loaded yet, and no expiry
    assert (env.id, env.function, env.created_at, env.log_stream_name) == (
        "env-9",
        fn,
        4.0,
        "stream",
    )
    assert env.busy is True and env.initialized is False and env.handler is None
    assert env.expires_at == float("inf") and env.invocations == 0


def test_a_new_invocation_has_not_run():
    # GIVEN an event invocation just accepted at t=2
    fn = _function()
    inv = Invocation(fn, "{}", "rid", "Event", lambda inv: None, 2.0)
    # THEN it names its type and ARN, and holds no outcome yet
    assert (inv.invocation_type, inv.invoked_arn, inv.accepted_at) == ("Event", fn.arn, 2.0)
    assert (inv.attempt, inv.error_attempts, inv.throttles) == (0, 0, 0)
    assert inv.duplicate is False and inv.cold is False
    assert (inv.env, inv.status, inv.value) == (None, None, None)
    assert (inv.started_at, inv.duration, inv.init_duration) == (0.0, 0.0, 0.0)
    assert inv.error_payload() is None and inv.error_type is None
    assert inv.billed_duration_ms == 0
