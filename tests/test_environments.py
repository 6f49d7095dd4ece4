"""Execution environments and concurrency: cold and warm, keep-alive, resets, limits."""

from __future__ import annotations

import pytest
from support import Caller

import lambda_lab as ll

RESERVED = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT = "ConcurrentInvocationLimitExceeded"
SCALING = "FunctionInvocationRateLimitExceeded"

COUNTER = """\
import time
count = 0

def handler(event, context):
    global count
    count += 1
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return count
"""


def takes(event):
    """Duration of the invoke phase, taken from the event: ``{"d": seconds}``."""
    return event.get("d", 0.5)


def started(lab, function=None):
    """``(t, env, cold)`` of every attempt that started."""
    records = lab.trace.filter(kind="attempt_started")
    return [
        (r["t"], r["env"], r["cold"])
        for r in records
        if function is None or r["function"] == function
    ]


# -- cold and warm -----------------------------------------------------------------------


def test_a_cold_start_then_warm_reuse_of_the_same_environment(lab):
    # GIVEN a function with Init 0.25 s and duration 0.5 s
    lab.create_function("f", lambda e, c: None, duration=0.5, init_duration=0.25)
    # WHEN it is called twice in a row
    first = lab.invoke("f")
    second = lab.invoke("f")
    # THEN the first call creates env-1 and pays Init; the second reuses it
    assert (first.cold_start, second.cold_start) == (True, False)
    assert started(lab) == [(0.0, "env-1", True), (0.75, "env-1", False)]
    assert [r["init_duration"] for r in lab.trace.filter(kind="attempt_started")] == [0.25, 0.0]
    assert [(r["t"], r["env"]) for r in lab.trace.filter(kind="env_created")] == [(0.0, "env-1")]


def test_a_cold_start_with_an_instant_init_is_still_cold(lab):
    lab.create_function("f", lambda e, c: None, init_duration=0)
    response = lab.invoke("f")
    assert lab.trace.filter(kind="attempt_started")[0]["cold"] is True
    assert response.cold_start is True


def test_init_past_its_10_s_limit_is_retried_inside_the_invoke(lab):
    # GIVEN an Init of 12 s (over the 10 s limit), a 1 s handler and a 30 s timeout
    lab.create_function("slow", lambda e, c: "up", init_duration=12, duration=1, timeout=30)
    # WHEN invoked
    response = lab.invoke("slow")
    # THEN Init is cut at 10 s and run again inside the invoke phase, under the timeout
    (start,) = lab.trace.filter(kind="attempt_started")
    assert (start["init_duration"], start["init_timed_out"]) == (10.0, True)
    assert response.payload == "up"
    assert (response.init_duration, response.duration, response.end) == (10.0, 13.0, 23.0)


def test_init_retried_past_the_function_timeout_times_out(lab):
    calls = []
    lab.create_function("slow", lambda e, c: calls.append(1), init_duration=12, timeout=3)
    response = lab.invoke("slow")
    assert response.payload["errorType"] == "Sandbox.Timedout"
    assert response.end == 13.0
    assert calls == []


def test_overlapping_calls_each_get_their_own_environment(lab, caller):
    lab.create_function("f", lambda e, c: None, duration=takes)
    for _ in range(3):
        caller.at(0.0, "f")
    lab.run(until=5)
    assert sorted(env for _, env, _ in started(lab)) == ["env-1", "env-2", "env-3"]
    assert all(cold for _, _, cold in started(lab))


def test_the_most_recently_used_idle_environment_is_reused_first(lab, caller):
    # GIVEN env-1 finishing at 1.25 and env-2 finishing later, at 2.25
    lab.create_function("f", lambda e, c: None, duration=takes, init_duration=0.25)
    caller.at(0.0, "f", {"d": 1})
    caller.at(0.0, "f", {"d": 2})
    # WHEN a third call comes after both are idle
    caller.at(5.0, "f", {"d": 1})
    lab.run(until=10)
    # THEN it goes to env-2, the one used last
    assert started(lab) == [(0.0, "env-1", True), (0.0, "env-2", True), (5.0, "env-2", False)]


def test_keep_alive_expiry_is_exactly_last_use_plus_keep_alive():
    # GIVEN a keep-alive of 60 s and a call that ends at 0.75
    lab = ll.Lab(seed=1, keep_alive_seconds=60)
    lab.create_function("f", lambda e, c: None, duration=0.5, init_duration=0.25)
    lab.invoke("f")
    # WHEN time runs to just before 60.75
    lab.run(until=60.7)
    assert lab.trace.filter(kind="env_expired") == []
    # THEN the environment is reclaimed at exactly 60.75
    lab.run()
    (expired,) = lab.trace.filter(kind="env_expired")
    assert (expired["t"], expired["env"], expired["function"]) == (60.75, "env-1", "f")
    # AND the next call is cold, in a new environment
    assert lab.invoke("f").cold_start
    assert started(lab)[-1] == (60.75, "env-2", True)


def test_each_use_restarts_the_keep_alive():
    lab = ll.Lab(seed=1, keep_alive_seconds=60)
    lab.create_function("f", lambda e, c: None, duration=0.5, init_duration=0.25)
    lab.invoke("f")  # ends at 0.75
    lab.run(until=60.0)
    assert not lab.invoke("f").cold_start  # ends at 60.5
    lab.run()
    assert [(r["t"], r["env"]) for r in lab.trace.filter(kind="env_expired")] == [(120.5, "env-1")]


def test_the_least_recently_used_environment_expires_first():
    lab = ll.Lab(seed=1, keep_alive_seconds=60)
    caller = Caller(lab)
    lab.create_function("f", lambda e, c: None, duration=takes, init_duration=0.25)
    caller.at(0.0, "f", {"d": 1})  # env-1 idle from 1.25
    caller.at(0.0, "f", {"d": 2})  # env-2 idle from 2.25
    lab.run()
    assert [(r["t"], r["env"]) for r in lab.trace.filter(kind="env_expired")] == [
        (61.25, "env-1"),
        (62.25, "env-2"),
    ]


# -- resets after a timeout, per-environment module state --------------------------------


def test_a_timeout_resets_the_environment_and_the_next_call_pays_init_again(lab):
    lab.create_function("f", lambda e, c: None, duration=takes, init_duration=0.25)
    lab.invoke("f", {"d": 5})  # times out at 3.25
    (reset,) = lab.trace.filter(kind="env_reset")
    assert (reset["t"], reset["env"], reset["function"]) == (3.25, "env-1", "f")
    again = lab.invoke("f", {"d": 0.5})
    (_, second) = lab.trace.filter(kind="attempt_started")
    assert (second["env"], second["init_duration"]) == ("env-1", 0.25)
    assert again.init_duration == 0.25
    assert len(lab.trace.filter(kind="env_created")) == 1


def test_a_successful_or_failed_call_does_not_reset(lab):
    lab.create_function("f", lambda e, c: 1 / e["x"])
    lab.invoke("f", {"x": 1})
    lab.invoke("f", {"x": 0})  # ZeroDivisionError: the runtime survives it
    lab.invoke("f", {"x": 1})
    assert lab.trace.filter(kind="env_reset") == []
    assert [cold for _, _, cold in started(lab)] == [True, False, False]


def test_module_globals_live_per_environment_and_are_lost_on_timeout(lab, caller):
    # GIVEN a module that counts its calls in a global
    lab.create_function("count", "lambda_function.handler", code=COUNTER)
    # WHEN called three times in a row, the third sleeping past the timeout
    assert lab.invoke("count").payload == 1
    assert lab.invoke("count").payload == 2
    assert lab.invoke("count", {"sleep": 10}).payload["errorType"] == "Sandbox.Timedout"
    # THEN the runtime restarted: the module is loaded afresh in the same environment
    assert lab.invoke("count").payload == 1
    assert {env for _, env, _ in started(lab)} == {"env-1"}


def test_module_globals_are_not_shared_between_environments(lab, caller):
    lab.create_function("count", "lambda_function.handler", code=COUNTER, duration=1)
    caller.at(0.0, "count")
    caller.at(0.0, "count")
    caller.at(5.0, "count")
    lab.run(until=10)
    assert [r.payload for r in caller.responses] == [1, 1, 2]


def test_a_callable_handler_shares_its_closure_across_environments(lab, caller):
    calls = []
    lab.create_function("f", lambda e, c: calls.append(c.aws_request_id), duration=1)
    caller.at(0.0, "f")
    caller.at(0.0, "f")
    lab.run(until=5)
    assert len(calls) == 2
    assert len({env for _, env, _ in started(lab)}) == 2


# -- Init errors in module code -------------------------------------------------------------


def test_an_error_in_module_code_has_an_empty_request_id(lab):
    # GIVEN module code that raises while loading
    code = 'import os\nraise ValueError("bad config")\n\ndef handler(e, c):\n    return 1\n'
    lab.create_function("broken", "lambda_function.handler", code=code, init_duration=0.25)
    # WHEN invoked
    response = lab.invoke("broken")
    # THEN it is a function error whose payload has requestId ""
    assert response.status_code == 200
    assert response.function_error == "Unhandled"
    payload = response.payload
    assert list(payload) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert payload["errorMessage"] == "bad config"
    assert payload["errorType"] == "ValueError"
    assert payload["requestId"] == ""
    assert payload["stackTrace"][-1].startswith(
        '  File "/var/task/lambda_function.py", line 2, in <module>\n'
    )
    # AND the attempt ended when Init did, and the environment will load the module again
    (ended,) = lab.trace.filter(kind="attempt_ended")
    assert (ended["t"], ended["status"], ended["error_type"]) == (0.25, "error", "ValueError")
    assert lab.trace.filter(kind="env_reset")
    lab.invoke("broken")
    assert [r["init_duration"] for r in lab.trace.filter(kind="attempt_started")] == [0.25, 0.25]


def test_a_missing_handler_is_runtime_handler_not_found(lab):
    lab.create_function("f", "lambda_function.handler", code="x = 1\n")
    payload = lab.invoke("f").payload
    assert payload["errorType"] == "Runtime.HandlerNotFound"
    assert payload["requestId"] == ""
    assert payload["stackTrace"] == []


def test_a_missing_handler_is_named_like_the_python_runtime_names_it(lab):
    lab.create_function("f", "lambda_function.handler", code="x = 1\n")
    payload = lab.invoke("f").payload
    assert payload["errorMessage"] == "Handler 'handler' missing on module 'lambda_function'"


def test_a_failed_import_is_runtime_import_module_error(lab):
    lab.create_function("f", "lambda_function.handler", code="import nope\n")
    payload = lab.invoke("f").payload
    assert payload == {
        "errorMessage": "Unable to import module 'lambda_function': No module named 'nope'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }


def test_frames_of_module_code_show_their_source_line(lab):
    code = 'def handler(event, context):\n    raise ValueError("boom")\n'
    lab.create_function("f", "lambda_function.handler", code=code)
    (frame,) = lab.invoke("f").payload["stackTrace"]
    assert frame == (
        '  File "/var/task/lambda_function.py", line 2, in handler\n    raise ValueError("boom")\n'
    )


# -- reserved concurrency, the account limit, the scaling rate ----------------------------------


def test_reserved_concurrency_is_a_ceiling(lab, caller):
    # GIVEN a function with 2 reserved
    lab.create_function("f", lambda e, c: None, reserved_concurrency=2, duration=1)
    # WHEN 3 calls overlap, and a 4th comes after one has finished
    for _ in range(3):
        caller.at(0.0, "f")
    caller.at(2.0, "f")
    lab.run(until=5)
    # THEN the 3rd is throttled for the reservation, the 4th runs
    assert caller.throttles == [RESERVED]
    assert len(caller.responses) == 3
    (throttle,) = lab.trace.filter(kind="throttle")
    assert (throttle["t"], throttle["reason"]) == (0.0, RESERVED)


def test_the_account_limit_is_shared_by_unreserved_functions():
    # GIVEN an account of 100 and two functions without reservations, busy with 100 calls
    lab = ll.Lab(seed=1, concurrent_executions=100)
    caller = Caller(lab)
    lab.create_function("b", lambda e, c: None, duration=10, timeout=20)
    lab.create_function("c", lambda e, c: None, duration=10, timeout=20)
    for i in range(100):
        caller.at(0.0, "b" if i < 60 else "c")
    lab.run(until=0.0)
    # WHEN one more call comes to either function
    with pytest.raises(ll.TooManyRequestsException) as info:
        lab.invoke("c")
    # THEN it is throttled at the account level
    assert info.value.reason == ACCOUNT
    assert info.value.response["Reason"] == ACCOUNT
    assert lab.trace.filter(kind="throttle")[0]["reason"] == ACCOUNT
    # AND once the calls end, there is room again
    lab.run(until=20)
    assert lab.invoke("b").ok


def test_a_reservation_is_a_floor_no_other_function_can_take():
    # GIVEN 150 in the account, 50 of them reserved for "a"
    lab = ll.Lab(seed=1, concurrent_executions=150)
    caller = Caller(lab)
    lab.create_function("a", lambda e, c: None, reserved_concurrency=50, duration=1)
    lab.create_function("b", lambda e, c: None, duration=1)
    # WHEN "b" gets 101 overlapping calls while "a" is idle, and "a" then gets 50
    for _ in range(101):
        caller.at(0.0, "b")
    for _ in range(50):
        caller.at(0.5, "a")
    lab.run(until=5)
    # THEN "b" is held to the 100 unreserved, and "a" still has all of its 50
    assert caller.throttles == [ACCOUNT]
    assert len(lab.trace.filter(kind="response", function="a")) == 50


def test_put_function_concurrency_keeps_100_unreserved(lab):
    lab.create_function("a", lambda e, c: None)
    lab.create_function("b", lambda e, c: None)
    with pytest.raises(ll.InvalidParameterValueException) as info:
        lab.put_function_concurrency("a", 901)
    assert str(info.value) == (
        "Specified ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [100]. "
        "(reserved_concurrent_executions must be between 0 and 900, got 901)"
    )
    assert info.value.status_code == 400
    assert lab.get_function_concurrency("a") == {}
    # the limit itself is allowed, and then nothing is left for "b"
    assert lab.put_function_concurrency("a", 900) == {"ReservedConcurrentExecutions": 900}
    with pytest.raises(ll.InvalidParameterValueException):
        lab.put_function_concurrency("b", 1)
    # "a" may replace its own reservation: its current 900 count as available
    assert lab.put_function_concurrency("a", 850) == {"ReservedConcurrentExecutions": 850}
    assert lab.put_function_concurrency("b", 50) == {"ReservedConcurrentExecutions": 50}


def test_get_account_settings_follows_reservations(lab):
    lab.create_function("a", lambda e, c: None, reserved_concurrency=200)
    lab.create_function("b", lambda e, c: None)
    assert lab.get_account_settings() == {
        "AccountLimit": {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 800},
        "AccountUsage": {"FunctionCount": 2},
    }
    lab.put_function_concurrency("b", 100)
    assert lab.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 700
    lab.delete_function_concurrency("a")
    assert lab.get_function_concurrency("a") == {}
    assert lab.get_function_concurrency("b") == {"ReservedConcurrentExecutions": 100}
    assert lab.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 900


def test_removing_a_reservation_returns_the_function_to_the_shared_pool(lab):
    lab.create_function("a", lambda e, c: None, reserved_concurrency=0)
    with pytest.raises(ll.TooManyRequestsException):
        lab.invoke("a")
    lab.delete_function_concurrency("a")
    assert lab.invoke("a").ok


def test_cold_starts_beyond_the_scaling_rate_are_throttled():
    # GIVEN a scaling rate of 2 environments per 10 s (0.2 per second)
    lab = ll.Lab(seed=1, scaling_rate=2)
    caller = Caller(lab)
    lab.create_function("f", lambda e, c: None, duration=30, timeout=60)
    # WHEN 5 calls arrive at once, then 2 more 6 s later
    for _ in range(5):
        caller.at(0.0, "f")
    caller.at(6.0, "f")
    caller.at(6.0, "f")
    lab.run(until=7)
    # THEN 2 environments start at 0, 1 more at 6 (1.2 allowance), the rest are throttled
    assert [(t, env) for t, env, _ in started(lab)] == [
        (0.0, "env-1"),
        (0.0, "env-2"),
        (6.0, "env-3"),
    ]
    assert [(o.t, o.reason) for o in caller.outcomes] == [(0.0, SCALING)] * 3 + [(6.0, SCALING)]


def test_warm_reuse_needs_no_scaling_allowance():
    lab = ll.Lab(seed=1, scaling_rate=1)
    lab.create_function("f", lambda e, c: None)
    for _ in range(20):
        assert lab.invoke("f").ok
    assert len(lab.trace.filter(kind="env_created")) == 1


def test_unused_scaling_allowance_does_not_accumulate():
    lab = ll.Lab(seed=1, scaling_rate=3)
    caller = Caller(lab)
    lab.create_function("f", lambda e, c: None, duration=30, timeout=60)
    for _ in range(5):
        caller.at(1000.0, "f")  # after 1000 idle seconds
    lab.run(until=1001)
    assert len(lab.trace.filter(kind="env_created")) == 3
    assert caller.throttles == [SCALING] * 2


def test_each_function_scales_independently():
    lab = ll.Lab(seed=1, scaling_rate=1)
    caller = Caller(lab)
    for name in ("a", "b"):
        lab.create_function(name, lambda e, c: None, duration=5, timeout=10)
        caller.at(0.0, name)
    lab.run(until=1)
    assert caller.throttles == []
    assert len(lab.trace.filter(kind="env_created")) == 2


@pytest.mark.parametrize(("before", "after"), [(None, 10), (10, None)])
def test_changing_a_reservation_while_busy_keeps_the_account_pool_exact(before, after):
    # GIVEN 110 in the account and "f" busy with 3 calls
    lab = ll.Lab(seed=1, concurrent_executions=110)
    caller = Caller(lab)
    lab.create_function("f", lambda e, c: None, duration=5, timeout=10)
    lab.create_function("g", lambda e, c: None, duration=5, timeout=10)
    if before is not None:
        lab.put_function_concurrency("f", before)
    for _ in range(3):
        caller.at(0.0, "f")
    lab.run(until=1.0)
    # WHEN its reservation changes mid-flight, and the calls end
    if after is None:
        lab.delete_function_concurrency("f")
    else:
        lab.put_function_concurrency("f", after)
    lab.run(until=20.0)
    # THEN "g" gets exactly the unreserved pool, no more and no less
    pool = 110 - (after or 0)
    for _ in range(pool + 1):
        caller.at(20.0, "g")
    lab.run(until=21.0)
    assert caller.throttles == [ACCOUNT]
    assert len(lab.trace.filter(kind="attempt_started", function="g")) == pool
