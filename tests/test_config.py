"""Settings: AWS's ranges and defaults, and validation messages compared exactly."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

import lambda_lab as ll
from lambda_lab.config import ClientConfig, EventInvokeConfig, FunctionSettings, LabConfig, validate


def handler(event, context):
    return None


# -- defaults ------------------------------------------------------------------------


def test_lab_defaults_are_aws_defaults():
    cfg = LabConfig()
    assert cfg.region == "us-east-1"
    assert cfg.account_id == "123456789012"
    assert cfg.concurrent_executions == 1000
    assert cfg.scaling_rate == 1000
    assert cfg.init_timeout_seconds == 10.0
    assert cfg.keep_alive_seconds == 600.0
    assert cfg.hang_guard_seconds == 3.0
    assert cfg.start_time == dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def test_function_and_client_defaults_are_aws_defaults():
    fn = FunctionSettings(function_name="f")
    assert (fn.timeout, fn.memory_size, fn.reserved_concurrency) == (3, 128, None)
    client = ClientConfig()
    assert (client.mode, client.read_timeout) == ("legacy", 60.0)


def test_a_created_function_carries_its_settings(lab):
    fn = lab.create_function("f", handler, timeout=30, memory_size=1769)
    assert (fn.timeout, fn.memory_size, fn.reserved_concurrency) == (30, 1769, None)
    assert fn.arn == "arn:aws:lambda:us-east-1:123456789012:function:f"
    assert fn.qualified_arn == fn.arn + ":$LATEST"


def test_settings_are_frozen(lab):
    with pytest.raises(ValidationError):
        lab.config.seed = 3  # type: ignore[misc]


# -- exact messages ------------------------------------------------------------------


def test_retry_attempts_over_two_reads_like_aws_and_names_the_range():
    with pytest.raises(ll.ValidationException) as info:
        validate(EventInvokeConfig, maximum_retry_attempts=3)
    assert str(info.value) == (
        "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy "
        "constraint: Member must have value less than or equal to 2 "
        "(maximum_retry_attempts must be between 0 and 2, got 3)"
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"timeout": 901},
            "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
            "Member must have value less than or equal to 900 "
            "(timeout must be between 1 and 900, got 901)",
        ),
        (
            {"timeout": 0},
            "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1 "
            "(timeout must be between 1 and 900, got 0)",
        ),
        (
            {"memory_size": 64},
            "1 validation error detected: Value '64' at 'memorySize' failed to satisfy "
            "constraint: Member must have value greater than or equal to 128 "
            "(memory_size must be between 128 and 10240, got 64)",
        ),
        (
            {"memory_size": 10241},
            "1 validation error detected: Value '10241' at 'memorySize' failed to satisfy "
            "constraint: Member must have value less than or equal to 10240 "
            "(memory_size must be between 128 and 10240, got 10241)",
        ),
    ],
)
def test_create_function_rejects_values_outside_aws_ranges(lab, settings, message):
    # GIVEN a setting outside AWS's range
    # WHEN creating the function
    with pytest.raises(ll.ValidationException) as info:
        lab.create_function("f", handler, **settings)
    # THEN the message is AWS's, plus the plain range, and nothing was created
    assert str(info.value) == message
    assert lab.functions == {}


def test_timeout_at_the_limits_is_accepted(lab):
    assert lab.create_function("short", handler, timeout=1).timeout == 1
    assert lab.create_function("long", handler, timeout=900).timeout == 900


def test_two_errors_are_counted_and_listed_in_order():
    with pytest.raises(ll.ValidationException) as info:
        validate(EventInvokeConfig, maximum_retry_attempts=-1, maximum_event_age_in_seconds=30)
    assert str(info.value) == (
        "2 validation errors detected: "
        "Value '-1' at 'maximumRetryAttempts' failed to satisfy constraint: "
        "Member must have value greater than or equal to 0; "
        "Value '30' at 'maximumEventAgeInSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 60 "
        "(maximum_retry_attempts must be between 0 and 2, got -1; "
        "maximum_event_age_in_seconds must be between 60 and 21600, got 30)"
    )


def test_an_unknown_setting_is_named():
    with pytest.raises(ll.ValidationException) as info:
        ll.Lab(foo=1)
    assert str(info.value) == (
        "1 validation error detected: Value '1' at 'foo' failed to satisfy constraint: "
        "Extra inputs are not permitted (foo is not a known setting of LabConfig)"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "x" * 65,
            "1 validation error detected: Value '" + "x" * 65 + "' at 'functionName' failed to "
            "satisfy constraint: Member must have length less than or equal to 64 "
            "(function_name: String should have at most 64 characters, got '" + "x" * 65 + "')",
        ),
        (
            "a b",
            "1 validation error detected: Value 'a b' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_-]+$ "
            "(function_name: String should match pattern '^[a-zA-Z0-9_-]+$', got 'a b')",
        ),
    ],
)
def test_function_names_follow_aws_rules(lab, name, message):
    with pytest.raises(ll.ValidationException) as info:
        lab.create_function(name, handler)
    assert str(info.value) == message


def test_a_name_of_64_characters_is_accepted(lab):
    assert lab.create_function("n" * 64, handler).name == "n" * 64


def test_lab_settings_are_checked_with_their_rules():
    with pytest.raises(ll.ValidationException) as info:
        ll.Lab(account_id="123")
    assert str(info.value) == (
        "1 validation error detected: Value '123' at 'accountId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^\\d{12}$ "
        "(account_id: String should match pattern '^\\d{12}$', got '123')"
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"concurrent_executions": 5_000_000},
            "1 validation error detected: Value '5000000' at 'concurrentExecutions' failed to "
            "satisfy constraint: Member must have value less than or equal to 1000000 "
            "(concurrent_executions must be between 100 and 1000000, got 5000000)",
        ),
        (
            {"keep_alive_seconds": -1},
            "1 validation error detected: Value '-1' at 'keepAliveSeconds' failed to satisfy "
            "constraint: Member must have value greater than or equal to 0 "
            "(keep_alive_seconds must be between 0 and 86400, got -1)",
        ),
    ],
)
def test_bounds_are_written_as_they_were_declared(settings, message):
    with pytest.raises(ll.ValidationException) as info:
        ll.Lab(**settings)
    assert str(info.value) == message


def test_a_boolean_is_not_a_timeout(lab):
    with pytest.raises(ll.ValidationException):
        lab.create_function("f", handler, timeout=True)


def test_a_naive_start_time_is_a_validation_error():
    with pytest.raises(ll.LambdaLabError, match="start_time"):
        ll.Lab(start_time=dt.datetime(2026, 1, 1))


def test_negative_reserved_concurrency_reads_like_aws(lab):
    lab.create_function("f", handler)
    with pytest.raises(ll.ValidationException) as info:
        lab.put_function_concurrency("f", -1)
    assert str(info.value).startswith(
        "1 validation error detected: Value '-1' at 'reservedConcurrentExecutions' failed to "
        "satisfy constraint: Member must have value greater than or equal to 0 ("
    )


# -- the error classes -----------------------------------------------------------------


def test_validation_errors_behave_like_value_errors_and_botocore_client_errors():
    with pytest.raises(ValueError) as info:
        validate(EventInvokeConfig, maximum_retry_attempts=3)
    error = info.value
    assert isinstance(error, ll.LambdaLabError)
    assert error.status_code == 400
    assert error.response["Error"]["Code"] == "ValidationException"
    assert error.response["ResponseMetadata"] == {"HTTPStatusCode": 400}


def test_validation_happens_before_any_state_changes(lab):
    with pytest.raises(ll.ValidationException):
        lab.create_function("f", handler, timeout=0, reserved_concurrency=5)
    assert lab.functions == {}
    assert lab.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"handler": lambda event: None},
            "handler must accept two arguments (event, context)",
        ),
        ({"handler": 3}, "handler must be a callable taking (event, context), got 3"),
        (
            {"handler": "lambda_function.handler", "code": "def (:"},
            "code does not compile: invalid syntax (line 1)",
        ),
        (
            {"handler": handler, "environment": {"A": 1}},
            "environment must map variable names to strings, got {'A': 1}",
        ),
    ],
)
def test_bad_function_definitions_are_invalid_parameter_values(lab, kwargs, message):
    with pytest.raises(ll.InvalidParameterValueException) as info:
        lab.create_function("f", **kwargs)
    assert str(info.value).startswith(message)
    assert lab.functions == {}


def test_a_second_function_with_the_same_name_conflicts(lab):
    lab.create_function("f", handler)
    with pytest.raises(ll.ResourceConflictException) as info:
        lab.create_function("f", handler)
    assert str(info.value) == "Function already exist: f"
    assert info.value.status_code == 409
