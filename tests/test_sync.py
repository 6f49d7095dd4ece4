"""Synchronous invocation (RequestResponse and DryRun): responses and the trace."""

from __future__ import annotations

import decimal
import json
import re
import sys

import pytest
from support import kinds

import lambda_lab as ll

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
MAX_RESPONSE = 6291556
MAX_REQUEST = 6 * 1024 * 1024


def credit(event, context):
    return {"credited": event["amount"]}


# -- success ---------------------------------------------------------------------------


def test_a_successful_call_returns_200_and_the_handlers_result(lab):
    # GIVEN a function with known Init and invoke durations
    lab.create_function("credit", credit, duration=0.5, init_duration=0.25)
    # WHEN it is invoked synchronously
    response = lab.invoke("credit", {"amount": 10})
    # THEN the caller gets 200 and the result, after Init + duration
    assert response.status_code == 200
    assert response.payload == {"credited": 10}
    assert response.function_error is None
    assert response.executed_version == "$LATEST"
    assert response.ok
    assert response.cold_start
    assert (response.start, response.end) == (0.0, 0.75)
    assert (response.duration, response.init_duration) == (0.5, 0.25)
    assert response.billed_duration_ms == 750
    assert UUID.match(response.request_id)
    # AND the trace tells the same story, in order
    assert kinds(lab) == ["invoke", "env_created", "attempt_started", "attempt_ended", "response"]
    (answer,) = lab.trace.filter(kind="response")
    assert answer["t"] == 0.75
    assert answer["request_id"] == response.request_id
    assert answer["status_code"] == 200
    assert answer["function_error"] is None
    (ended,) = lab.trace.filter(kind="attempt_ended")
    assert ended["status"] == "ok"
    assert ended["billed_duration_ms"] == 750
    assert "error_type" not in ended
    assert lab.now == 0.75


def test_the_response_reads_like_boto3(lab):
    lab.create_function("credit", credit)
    response = lab.invoke("credit", {"amount": 1})
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert response["Payload"] == {"credited": 1}
    with pytest.raises(KeyError):
        response["FunctionError"]  # absent on success, as in boto3


@pytest.mark.parametrize(
    ("payload", "event"),
    [
        (None, {}),
        ({"amount": 3}, {"amount": 3}),
        ('{"amount": 4}', {"amount": 4}),
        (b'{"amount": 5}', {"amount": 5}),
        ("[1, 2]", [1, 2]),
    ],
)
def test_payloads_arrive_as_decoded_json(lab, payload, event):
    lab.create_function("echo", lambda e, c: e)
    assert lab.invoke("echo", payload).payload == event


def test_a_function_can_be_named_by_arn_or_qualified_with_latest(lab):
    lab.create_function("credit", credit)
    for name in ("credit", "credit:$LATEST", f"{ARN}:credit", f"{ARN}:credit:$LATEST"):
        assert lab.invoke(name, {"amount": 2}).payload == {"credited": 2}


def test_a_warm_call_skips_init(lab):
    lab.create_function("credit", credit, duration=0.5, init_duration=0.25)
    lab.invoke("credit", {"amount": 1})
    warm = lab.invoke("credit", {"amount": 2})
    assert not warm.cold_start
    assert warm.init_duration == 0.0
    assert (warm.start, warm.end) == (0.75, 1.25)
    assert warm.billed_duration_ms == 500


# -- function errors: still 200 --------------------------------------------------------


def test_a_handler_exception_is_200_with_an_unhandled_error_payload(lab):
    # GIVEN a handler that raises KeyError on a missing field
    lab.create_function("credit", credit)
    # WHEN invoked without the field
    response = lab.invoke("credit", {})
    # THEN Lambda ran it: 200, FunctionError Unhandled, the Python runtime's payload
    assert response.status_code == 200
    assert response.function_error == "Unhandled"
    assert response["FunctionError"] == "Unhandled"
    assert not response.ok
    payload = response.payload
    assert list(payload) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert payload["errorMessage"] == "'amount'"
    assert payload["errorType"] == "KeyError"
    assert payload["requestId"] == response.request_id
    # the stack starts at the handler (not in the simulator) and shows the source line
    (frame,) = payload["stackTrace"]
    assert frame.startswith(f'  File "{__file__}", line ')
    assert ', in credit\n    return {"credited": event["amount"]}\n' in frame
    # AND the trace records an error attempt and an Unhandled response
    (ended,) = lab.trace.filter(kind="attempt_ended")
    assert (ended["status"], ended["error_type"], ended["error_message"]) == (
        "error",
        "KeyError",
        "'amount'",
    )
    (answer,) = lab.trace.filter(kind="response")
    assert (answer["status_code"], answer["function_error"]) == (200, "Unhandled")


def test_each_stack_frame_is_exactly_file_line_and_source(lab):
    lab.create_function("credit", credit)
    (frame,) = lab.invoke("credit", {}).payload["stackTrace"]
    line = credit.__code__.co_firstlineno + 1
    assert frame == (
        f'  File "{__file__}", line {line}, in credit\n    return {{"credited": event["amount"]}}\n'
    )


def test_a_handler_returning_none_gives_a_null_payload(lab):
    lab.create_function("quiet", lambda e, c: None)
    response = lab.invoke("quiet")
    assert response.status_code == 200
    assert response.payload is None
    assert response.function_error is None


def test_an_unserialisable_result_is_a_marshal_error(lab):
    lab.create_function("sets", lambda e, c: {1, 2})
    response = lab.invoke("sets")
    assert response.status_code == 200
    assert response.function_error == "Unhandled"
    assert response.payload == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": response.request_id,
        "stackTrace": [],
    }


def test_a_type_error_raised_by_the_handler_is_not_a_marshal_error(lab):
    def bad(event, context):
        return len(5)

    lab.create_function("bad", bad)
    payload = lab.invoke("bad").payload
    assert payload["errorType"] == "TypeError"
    assert payload["stackTrace"]


def test_a_decimal_result_is_encoded_as_a_number_like_the_aws_python_runtime(lab):
    lab.create_function("item", lambda e, c: {"price": decimal.Decimal("1.50")})
    response = lab.invoke("item")
    assert response.function_error is None
    assert response.payload == {"price": 1.5}


def test_a_response_over_6291556_bytes_is_too_large(lab):
    # GIVEN handlers returning JSON of exactly the limit and one byte more
    lab.create_function("edge", lambda e, c: "x" * (MAX_RESPONSE - 2))
    lab.create_function("big", lambda e, c: "x" * (MAX_RESPONSE - 1))
    # THEN the limit itself passes
    assert lab.invoke("edge").function_error is None
    # AND one byte more is a function error, not a 4xx
    response = lab.invoke("big")
    assert response.status_code == 200
    assert response.function_error == "Unhandled"
    assert response.payload["errorType"] == "Function.ResponseSizeTooLarge"
    assert response.payload["errorMessage"] == (
        "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
    )


def test_a_duration_over_the_timeout_is_sandbox_timedout(lab):
    # GIVEN a function that takes 5 s with the default 3 s timeout
    writes = []
    lab.create_function("slow", lambda e, c: writes.append("done"), duration=5, init_duration=0.25)
    # WHEN invoked
    response = lab.invoke("slow")
    # THEN the call times out at 3 s with AWS's payload (no requestId, no stackTrace)
    assert response.status_code == 200
    assert response.function_error == "Unhandled"
    assert list(response.payload) == ["errorType", "errorMessage"]
    assert response.payload == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {response.request_id} "
        "Error: Task timed out after 3.00 seconds",
    }
    assert response.duration == 3.0
    assert response.end == 3.25
    # AND the handler's write happened anyway: its code ran before the duration elapsed
    assert writes == ["done"]
    (ended,) = lab.trace.filter(kind="attempt_ended")
    assert (ended["status"], ended["error_type"], ended["t"]) == (
        "timeout",
        "Sandbox.Timedout",
        3.25,
    )


def test_the_timeout_message_uses_the_functions_own_timeout(lab):
    lab.create_function("slow", lambda e, c: None, timeout=1, duration=2)
    response = lab.invoke("slow")
    assert response.payload["errorMessage"].endswith("Task timed out after 1.00 seconds")


def test_sys_exit_in_a_handler_is_a_runtime_exit_error(lab):
    def quits(event, context):
        sys.exit(1)

    lab.create_function("quits", quits)
    response = lab.invoke("quits")
    assert response.status_code == 200
    assert response.function_error == "Unhandled"
    assert response.payload == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {response.request_id} Error: "
        "Runtime exited without providing a reason",
    }
    # the runtime process ended: the environment restarts
    assert lab.trace.filter(kind="env_reset")


# -- the function cannot run: errors raised at the caller -------------------------------


def test_dry_run_returns_204_and_runs_nothing(lab):
    calls = []
    lab.create_function("credit", lambda e, c: calls.append(e))
    response = lab.invoke("credit", {"amount": 1}, invocation_type="DryRun")
    assert response.status_code == 204
    assert response.payload is None
    assert calls == []
    assert len(lab.trace) == 0
    assert lab.now == 0.0


@pytest.mark.parametrize(("invocation_type", "status"), [("Event", 202), ("DryRun", 204)])
def test_a_response_of_nothing_run_has_no_executed_version_key(lab, invocation_type, status):
    # GIVEN a function
    lab.create_function("credit", credit)
    # WHEN it is invoked without running it now (Event: 202, DryRun: 204)
    response = lab.invoke("credit", {"amount": 1}, invocation_type=invocation_type)
    # THEN, as in boto3's response, there is no ExecutedVersion (nor FunctionError) key
    assert response["StatusCode"] == status
    assert response.executed_version is None
    with pytest.raises(KeyError, match="ExecutedVersion"):
        response["ExecutedVersion"]
    with pytest.raises(KeyError, match="FunctionError"):
        response["FunctionError"]
    # AND a synchronous call of the same function still shows it
    assert lab.invoke("credit", {"amount": 1})["ExecutedVersion"] == "$LATEST"


def test_dry_run_still_checks_the_payload(lab):
    lab.create_function("credit", credit)
    with pytest.raises(ll.InvalidRequestContentException):
        lab.invoke("credit", "{not json", invocation_type="DryRun")


def test_an_unknown_function_is_404_with_its_qualified_arn(lab):
    with pytest.raises(ll.ResourceNotFoundException) as info:
        lab.invoke("nope", {})
    error = info.value
    assert error.status_code == 404
    assert str(error) == f"Function not found: {ARN}:nope:$LATEST"
    assert error.response["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": f"Function not found: {ARN}:nope:$LATEST",
    }
    assert isinstance(error, LookupError)
    assert len(lab.trace) == 0


def test_an_unknown_qualifier_is_404(lab):
    lab.create_function("credit", credit)
    with pytest.raises(ll.ResourceNotFoundException) as info:
        lab.invoke("credit:prod")
    assert str(info.value) == f"Function not found: {ARN}:credit:prod"


@pytest.mark.parametrize("payload", ["{not json", b"\xff\xfe", "", {1, 2}])
def test_a_payload_that_is_not_json_is_invalid_request_content(lab, payload):
    calls = []
    lab.create_function("credit", lambda e, c: calls.append(e))
    with pytest.raises(ll.InvalidRequestContentException) as info:
        lab.invoke("credit", payload)
    assert info.value.status_code == 400
    assert str(info.value).startswith("Could not parse request body into json: ")
    assert calls == []
    assert len(lab.trace) == 0


def test_a_payload_over_6_mb_is_too_large(lab):
    # GIVEN a JSON string of exactly 6 MB and one of 6 MB + 1 byte
    lab.create_function("size", lambda e, c: len(e))
    at_limit = json.dumps("x" * (MAX_REQUEST - 2))
    assert len(at_limit) == MAX_REQUEST
    # THEN the first is accepted
    assert lab.invoke("size", at_limit).payload == MAX_REQUEST - 2
    # AND the second is refused with 413 before anything runs
    before = len(lab.trace)
    with pytest.raises(ll.RequestTooLargeException) as info:
        lab.invoke("size", json.dumps("x" * (MAX_REQUEST - 1)))
    assert info.value.status_code == 413
    assert str(info.value) == (
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation "
        "(payload is 6291457 bytes)"
    )
    assert len(lab.trace) == before


def test_the_request_size_counts_utf8_bytes(lab):
    lab.create_function("size", lambda e, c: None)
    # 3 bytes per character in UTF-8: under the limit in characters, over it in bytes
    text = '"' + "€" * (MAX_REQUEST // 3) + '"'
    assert len(text) < MAX_REQUEST < len(text.encode())
    with pytest.raises(ll.RequestTooLargeException):
        lab.invoke("size", text)


def test_reserved_concurrency_zero_throttles_every_call(lab):
    # GIVEN a function with reserved concurrency 0
    calls = []
    lab.create_function("off", lambda e, c: calls.append(e), reserved_concurrency=0)
    # WHEN invoked
    with pytest.raises(ll.TooManyRequestsException) as info:
        lab.invoke("off", {})
    # THEN 429, AWS's message and Reason, and the handler never ran
    error = info.value
    assert error.status_code == 429
    assert str(error) == "Rate Exceeded."
    assert error.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert error.type == "User"
    assert error.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert error.response["Type"] == "User"
    assert error.response["ResponseMetadata"] == {"HTTPStatusCode": 429}
    assert calls == []
    # AND the trace holds the request and its throttle, nothing else
    assert kinds(lab) == ["invoke", "throttle"]
    (throttle,) = lab.trace.filter(kind="throttle")
    (invoke,) = lab.trace.filter(kind="invoke")
    assert throttle["t"] == 0.0
    assert throttle["function"] == "off"
    assert throttle["request_id"] == invoke["request_id"]
    assert throttle["reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_a_throttle_survives_pickling(lab):
    import pickle

    lab.create_function("off", credit, reserved_concurrency=0)
    with pytest.raises(ll.TooManyRequestsException) as info:
        lab.invoke("off")
    copy = pickle.loads(pickle.dumps(info.value))
    assert (type(copy), copy.reason, copy.response) == (
        ll.TooManyRequestsException,
        info.value.reason,
        info.value.response,
    )


def test_a_bad_invocation_type_is_a_validation_error(lab):
    lab.create_function("credit", credit)
    with pytest.raises(ll.ValidationException) as info:
        lab.invoke("credit", {}, invocation_type="Sync")
    assert str(info.value) == (
        "1 validation error detected: Value 'Sync' at 'invocationType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun] "
        "(invocation_type must be one of RequestResponse, Event, DryRun, got 'Sync')"
    )
    assert len(lab.trace) == 0


def test_records_carry_the_simulated_wall_clock_time(lab):
    lab.create_function("credit", credit, duration=0.5, init_duration=0.25)
    lab.invoke("credit", {"amount": 1})
    invoke, response = lab.trace.filter(kind=("invoke", "response"))
    assert lab.trace.time_of(invoke) == "2026-01-01T00:00:00.000Z"
    assert lab.trace.time_of(response) == "2026-01-01T00:00:00.750Z"
    # the JSON form carries the same instant, and the records themselves are unchanged
    assert json.loads(lab.trace.to_json())[-1]["time"] == "2026-01-01T00:00:00.750Z"
    assert "time" not in response
