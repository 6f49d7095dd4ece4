"""Settings: AWS's ranges and defaults, and validation messages compared exactly."""

from __future__ import annotations

import datetime as dt
import inspect
import pickle

import pytest
from pydantic import ValidationError

import lambda_lab as ll
from lambda_lab.config import (
    DEFAULT_INTEGRATION_TIMEOUT,
    ApiGatewaySettings,
    ClientConfig,
    EventBusSettings,
    EventInvokeConfig,
    FunctionSettings,
    LabConfig,
    QueueSettings,
    validate,
)


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
    # GIVEN True where AWS wants an integer (pydantic's lax mode would read it as 1)
    # WHEN creating the function
    with pytest.raises(ll.ParamValidationError) as info:
        lab.create_function("f", handler, timeout=True)
    # THEN it is refused as botocore refuses a wrong type, in one message
    assert str(info.value) == (
        "Parameter validation failed:\n"
        "Invalid type for parameter Timeout, value: True, type: <class 'bool'>, "
        "valid types: <class 'int'> (timeout must be an integer between 1 and 900, got True)"
    )
    assert lab.functions == {}


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


# -- strict types: botocore's ParamValidationError ------------------------------------------


def _type_error(param: str, value: str, kind: str, valid: str, plain: str) -> str:
    return (
        "Parameter validation failed:\n"
        f"Invalid type for parameter {param}, value: {value}, type: <class '{kind}'>, "
        f"valid types: {valid} ({plain})"
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"timeout": "3"},
            _type_error(
                "Timeout",
                "3",
                "str",
                "<class 'int'>",
                "timeout must be an integer between 1 and 900, got '3'",
            ),
        ),
        (
            {"timeout": 2.5},
            _type_error(
                "Timeout",
                "2.5",
                "float",
                "<class 'int'>",
                "timeout must be an integer between 1 and 900, got 2.5",
            ),
        ),
        (
            {"timeout": 3.0},
            _type_error(
                "Timeout",
                "3.0",
                "float",
                "<class 'int'>",
                "timeout must be an integer between 1 and 900, got 3.0",
            ),
        ),
        (
            {"memory_size": 1e3},
            _type_error(
                "MemorySize",
                "1000.0",
                "float",
                "<class 'int'>",
                "memory_size must be an integer between 128 and 10240, got 1000.0",
            ),
        ),
        (
            {"reserved_concurrency": "5"},
            _type_error(
                "ReservedConcurrentExecutions",
                "5",
                "str",
                "<class 'int'>",
                "reserved_concurrency must be an integer at least 0, got '5'",
            ),
        ),
    ],
)
def test_a_wrong_type_is_refused_as_boto3_refuses_it(lab, settings, message):
    # GIVEN a setting of the wrong type (boto3 checks types before sending anything)
    # WHEN creating the function
    with pytest.raises(ll.ParamValidationError) as info:
        lab.create_function("f", handler, **settings)
    # THEN one message: botocore's words, then the field, the value and the range once
    assert str(info.value) == message
    assert str(info.value).count("must be") == 1
    # AND nothing was created
    assert lab.functions == {}


def test_param_validation_errors_are_value_errors_raised_before_any_request(lab):
    # GIVEN a wrong type
    with pytest.raises(ValueError) as info:
        lab.create_function("f", handler, timeout="3")
    # THEN it is a client-side LambdaLabError, not an AWS response, and it pickles
    error = info.value
    assert isinstance(error, ll.LambdaLabError)
    assert not isinstance(error, ll.ServiceError)
    assert error.report == str(error).removeprefix("Parameter validation failed:\n")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy)) == (ll.ParamValidationError, str(error))
    # AND no record was written
    assert len(lab.trace) == 0


def test_two_wrong_types_are_one_line_each(lab):
    with pytest.raises(ll.ParamValidationError) as info:
        lab.create_function("f", handler, timeout="3", memory_size=1e3)
    assert str(info.value).splitlines() == [
        "Parameter validation failed:",
        "Invalid type for parameter Timeout, value: 3, type: <class 'str'>, valid types: "
        "<class 'int'> (timeout must be an integer between 1 and 900, got '3')",
        "Invalid type for parameter MemorySize, value: 1000.0, type: <class 'float'>, valid "
        "types: <class 'int'> (memory_size must be an integer between 128 and 10240, got 1000.0)",
    ]


def test_an_int_is_welcome_where_a_number_is_wanted_but_a_boolean_or_string_is_not():
    # GIVEN float settings given as int, bool and str
    assert ll.Lab(keep_alive_seconds=60).config.keep_alive_seconds == 60.0
    with pytest.raises(ll.ParamValidationError) as info:
        ll.Lab(keep_alive_seconds=True)
    assert str(info.value) == _type_error(
        "KeepAliveSeconds",
        "True",
        "bool",
        "<class 'float'>, <class 'int'>",
        "keep_alive_seconds must be a number between 0 and 86400, got True",
    )
    with pytest.raises(ll.ParamValidationError) as info:
        ll.Lab(seed="7")
    assert str(info.value) == _type_error(
        "Seed", "7", "str", "<class 'int'>", "seed must be an integer, got '7'"
    )


def test_a_start_time_must_be_a_datetime_not_a_string():
    with pytest.raises(ll.ParamValidationError) as info:
        ll.Lab(start_time="2026-01-01")
    assert str(info.value) == _type_error(
        "StartTime",
        "2026-01-01",
        "str",
        "<class 'datetime.datetime'>",
        "start_time must be a timezone-aware datetime, got '2026-01-01'",
    )


def test_concurrency_and_event_invoke_config_are_strict_too(lab):
    # GIVEN a function with a reservation and an event invoke config
    lab.create_function("f", handler, reserved_concurrency=5)
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=1)
    before = lab.get_function_event_invoke_config("f")
    # WHEN either is changed with a string
    with pytest.raises(ll.ParamValidationError) as info:
        lab.put_function_concurrency("f", "7")
    assert str(info.value) == _type_error(
        "ReservedConcurrentExecutions",
        "7",
        "str",
        "<class 'int'>",
        "reserved_concurrent_executions must be an integer at least 0, got '7'",
    )
    with pytest.raises(ll.ParamValidationError) as info:
        lab.update_function_event_invoke_config("f", maximum_retry_attempts="2")
    assert str(info.value) == _type_error(
        "MaximumRetryAttempts",
        "2",
        "str",
        "<class 'int'>",
        "maximum_retry_attempts must be an integer between 0 and 2, got '2'",
    )
    # THEN nothing changed
    assert lab.get_function_concurrency("f") == {"ReservedConcurrentExecutions": 5}
    assert lab.get_function_event_invoke_config("f") == before


# -- the duplicate-delivery probability ---------------------------------------------------


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (
            1.5,
            ll.InvalidParameterValueException,
            "duplicate_delivery_probability must be between 0 and 1, got 1.5",
        ),
        (
            -0.1,
            ll.InvalidParameterValueException,
            "duplicate_delivery_probability must be between 0 and 1, got -0.1",
        ),
        (
            "0.5",
            ll.ParamValidationError,
            _type_error(
                "DuplicateDeliveryProbability",
                "0.5",
                "str",
                "<class 'float'>, <class 'int'>",
                "duplicate_delivery_probability must be a number between 0 and 1, got '0.5'",
            ),
        ),
    ],
)
def test_a_function_duplicate_probability_is_checked_and_nothing_changes(
    lab, value, error, message
):
    # GIVEN a function with its own probability and a DLQ
    dlq = lab.create_queue("dlq")
    lab.create_function("f", handler)
    lab.update_function_configuration("f", duplicate_delivery_probability=0.25)
    # WHEN a bad probability is given together with a new DLQ
    with pytest.raises(error) as info:
        lab.update_function_configuration(
            "f", dead_letter_config=dlq, duplicate_delivery_probability=value
        )
    # THEN the message names the field, the value and the range, and nothing changed
    assert str(info.value) == message
    fn = lab.get_function("f")
    assert (fn.duplicate_probability, fn.dead_letter_target) == (0.25, None)


def test_a_function_duplicate_probability_of_none_means_the_labs(lab):
    lab.create_function("f", handler)
    lab.update_function_configuration("f", duplicate_delivery_probability=1)
    assert lab.get_function("f").duplicate_probability == 1
    lab.update_function_configuration("f", duplicate_delivery_probability=None)
    assert lab.get_function("f").duplicate_probability is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"duplicate_delivery_probability": 1.01},
            "1 validation error detected: Value '1.01' at 'duplicateDeliveryProbability' failed "
            "to satisfy constraint: Member must have value less than or equal to 1 "
            "(duplicate_delivery_probability must be between 0 and 1, got 1.01)",
        ),
        (
            {"service_error_probability": -1},
            "1 validation error detected: Value '-1' at 'serviceErrorProbability' failed to "
            "satisfy constraint: Member must have value greater than or equal to 0 "
            "(service_error_probability must be between 0 and 1, got -1)",
        ),
    ],
)
def test_lab_probabilities_are_between_0_and_1(settings, message):
    with pytest.raises(ll.ValidationException) as info:
        ll.Lab(**settings)
    assert str(info.value) == message


# -- queues ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        (
            {"queue_name": "a b"},
            ll.InvalidParameterValueException,
            "queue_name must be 1 to 80 letters, digits, hyphens or underscores, a FIFO "
            "queue's ending in .fifo, got 'a b'",
        ),
        (
            {"queue_name": "q" * 81},
            ll.InvalidParameterValueException,
            "queue_name must be 1 to 80 letters, digits, hyphens or underscores, a FIFO "
            f"queue's ending in .fifo, got '{'q' * 81}'",
        ),
        (
            {"queue_name": ""},
            ll.InvalidParameterValueException,
            "queue_name must be 1 to 80 letters, digits, hyphens or underscores, a FIFO "
            "queue's ending in .fifo, got ''",
        ),
        (
            {"visibility_timeout": 43201},
            ll.InvalidParameterValueException,
            "visibility_timeout must be between 0 and 43200, got 43201",
        ),
        (
            {"visibility_timeout": -1},
            ll.InvalidParameterValueException,
            "visibility_timeout must be between 0 and 43200, got -1",
        ),
        (
            {"message_retention_period": 59},
            ll.InvalidParameterValueException,
            "message_retention_period must be between 60 and 1209600, got 59",
        ),
        (
            {"message_retention_period": 1209601},
            ll.InvalidParameterValueException,
            "message_retention_period must be between 60 and 1209600, got 1209601",
        ),
        (
            {"visibility_timeout": "30"},
            ll.ParamValidationError,
            _type_error(
                "VisibilityTimeout",
                "30",
                "str",
                "<class 'int'>",
                "visibility_timeout must be an integer between 0 and 43200, got '30'",
            ),
        ),
        (
            {"queue_name": 7},
            ll.ParamValidationError,
            _type_error(
                "QueueName",
                "7",
                "int",
                "<class 'str'>",
                "queue_name must be 1 to 80 letters, digits, hyphens or underscores, a FIFO "
                "queue's ending in .fifo, got 7",
            ),
        ),
    ],
)
def test_queue_settings_outside_sqs_ranges_are_refused(lab, settings, error, message):
    # GIVEN a queue setting outside SQS's range
    settings = {"queue_name": "q", **settings}
    # WHEN creating the queue
    with pytest.raises(error) as info:
        lab.create_queue(**settings)
    # THEN the message names the field, the value and the range, and no queue exists
    assert str(info.value) == message
    assert lab.resources == {}


def test_queue_settings_at_their_limits_are_accepted(lab):
    fifo = lab.create_queue("q" * 75 + ".fifo", visibility_timeout=0, message_retention_period=60)
    assert (fifo.fifo, fifo.visibility_timeout, fifo.message_retention_period) == (True, 0, 60)
    long = lab.create_queue("q" * 80, visibility_timeout=43200, message_retention_period=1209600)
    assert (long.fifo, long.visibility_timeout, long.message_retention_period) == (
        False,
        43200,
        1209600,
    )
    default = lab.create_queue("plain")
    assert (default.visibility_timeout, default.message_retention_period) == (30, 345600)


@pytest.mark.parametrize(
    ("policy", "error", "message"),
    [
        (
            {"deadLetterTargetArn": "DLQ", "maxReceiveCount": 0},
            ll.InvalidParameterValueException,
            "redrive_policy.maxReceiveCount must be between 1 and 1000, got 0",
        ),
        (
            {"deadLetterTargetArn": "DLQ", "maxReceiveCount": 1001},
            ll.InvalidParameterValueException,
            "redrive_policy.maxReceiveCount must be between 1 and 1000, got 1001",
        ),
        (
            {"deadLetterTargetArn": "DLQ"},
            ll.InvalidParameterValueException,
            "redrive_policy.maxReceiveCount is required",
        ),
        (
            {"deadLetterTargetArn": "DLQ", "maxReceiveCount": 5, "extra": 1},
            ll.InvalidParameterValueException,
            "redrive_policy.extra is not a known setting of RedrivePolicy",
        ),
        (
            {"deadLetterTargetArn": "DLQ", "maxReceiveCount": "5"},
            ll.ParamValidationError,
            _type_error(
                "RedrivePolicy.maxReceiveCount",
                "5",
                "str",
                "<class 'int'>",
                "redrive_policy.maxReceiveCount must be an integer between 1 and 1000, got '5'",
            ),
        ),
        (
            5,
            ll.ParamValidationError,
            _type_error(
                "RedrivePolicy",
                "5",
                "int",
                "<class 'dict'>",
                "redrive_policy must be a dict of deadLetterTargetArn, maxReceiveCount, got 5",
            ),
        ),
        (
            {"deadLetterTargetArn": "NOPE", "maxReceiveCount": 5},
            ll.InvalidParameterValueException,
            "Value arn:aws:sqs:us-east-1:123456789012:nope for parameter RedrivePolicy is "
            "invalid. Reason: Dead letter target does not exist. "
            "(redrive_policy.deadLetterTargetArn names no queue of this lab)",
        ),
        (
            {"deadLetterTargetArn": 3, "maxReceiveCount": 5},
            ll.InvalidParameterValueException,
            "redrive_policy.deadLetterTargetArn must be a resource of this lab or its ARN, got 3",
        ),
        (
            {"deadLetterTargetArn": "TOPIC", "maxReceiveCount": 5},
            ll.InvalidParameterValueException,
            "redrive_policy.deadLetterTargetArn must be a standard queue like 'source', "
            "got arn:aws:sns:us-east-1:123456789012:alerts",
        ),
    ],
)
def test_a_bad_redrive_policy_is_refused_and_no_queue_is_added(lab, policy, error, message):
    # GIVEN a dead-letter queue and a topic
    dlq = lab.create_queue("dlq")
    topic = lab.create_topic("alerts")
    if isinstance(policy, dict):
        names = {"DLQ": dlq.arn, "TOPIC": topic.arn, "NOPE": dlq.arn.replace("dlq", "nope")}
        target = policy["deadLetterTargetArn"]
        policy = {**policy, "deadLetterTargetArn": names.get(target, target)}
    before = lab.resources
    # WHEN a queue is created with a bad redrive policy
    with pytest.raises(error) as info:
        lab.create_queue("source", redrive_policy=policy)
    # THEN the message names the field, the value and the range, and no queue was added
    assert str(info.value) == message
    assert lab.resources == before


def test_a_redrive_policy_takes_the_queue_or_its_arn_in_either_spelling(lab):
    dlq = lab.create_queue("dlq")
    # GIVEN the DLQ as an object (snake_case keys) and as an ARN (AWS's camelCase keys)
    by_object = lab.create_queue(
        "a", redrive_policy={"dead_letter_target_arn": dlq, "max_receive_count": 5}
    )
    by_arn = lab.create_queue(
        "b", redrive_policy={"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 1000}
    )
    # THEN both redrive to the same queue, and the policy is kept as AWS shows it
    assert by_object.dead_letter_queue is by_arn.dead_letter_queue is dlq
    assert (by_object.max_receive_count, by_arn.max_receive_count) == (5, 1000)
    assert by_object.redrive_policy == {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 5}


def test_a_fifo_queue_needs_a_fifo_dead_letter_queue(lab):
    dlq = lab.create_queue("dlq")
    with pytest.raises(ll.InvalidParameterValueException) as info:
        lab.create_queue(
            "orders.fifo", redrive_policy={"deadLetterTargetArn": dlq, "maxReceiveCount": 5}
        )
    assert str(info.value) == (
        "redrive_policy.deadLetterTargetArn must be a FIFO queue like 'orders.fifo', "
        "got arn:aws:sqs:us-east-1:123456789012:dlq"
    )
    assert "orders.fifo" not in {r.name for r in lab.resources.values()}


# -- topics, event buses, buckets ------------------------------------------------------------


@pytest.mark.parametrize(
    ("create", "name", "error", "message"),
    [
        (
            "create_topic",
            "a b",
            ll.InvalidParameterValueException,
            "name must be 1 to 256 letters, digits, hyphens or underscores, a FIFO topic's "
            "ending in .fifo, got 'a b'",
        ),
        (
            "create_topic",
            "t" * 257,
            ll.InvalidParameterValueException,
            "name must be 1 to 256 letters, digits, hyphens or underscores, a FIFO topic's "
            f"ending in .fifo, got '{'t' * 257}'",
        ),
        (
            "create_topic",
            None,
            ll.ParamValidationError,
            _type_error(
                "Name",
                "None",
                "NoneType",
                "<class 'str'>",
                "name must be 1 to 256 letters, digits, hyphens or underscores, a FIFO "
                "topic's ending in .fifo, got None",
            ),
        ),
        (
            "create_event_bus",
            "a b",
            ll.ValidationException,
            "1 validation error detected: Value 'a b' at 'name' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[/\\.\\-_A-Za-z0-9]+$ "
            "(name must be 1 to 256 letters, digits, '.', '-', '_' or '/', got 'a b')",
        ),
        (
            "create_bucket",
            "My_Bucket",
            ll.InvalidParameterValueException,
            "bucket must be 3 to 63 lowercase letters, digits, dots or hyphens, beginning and "
            "ending with a letter or digit, got 'My_Bucket'",
        ),
        (
            "create_bucket",
            "ab",
            ll.InvalidParameterValueException,
            "bucket must be 3 to 63 lowercase letters, digits, dots or hyphens, beginning and "
            "ending with a letter or digit, got 'ab'",
        ),
    ],
)
def test_resource_names_follow_aws_rules(lab, create, name, error, message):
    # GIVEN a name the service refuses
    # WHEN creating the resource
    with pytest.raises(error) as info:
        getattr(lab, create)(name)
    # THEN the message names the field, the value and the rule, and nothing was added
    assert str(info.value) == message
    assert lab.resources == {}


def test_resource_names_at_their_limits_are_accepted(lab):
    assert lab.create_topic("t" * 256).name == "t" * 256
    assert lab.create_topic("orders.fifo").fifo
    assert lab.create_event_bus().name == "default"
    assert lab.create_event_bus("orders/eu.west-1_b").name == "orders/eu.west-1_b"
    assert lab.create_bucket("b" * 63).name == "b" * 63
    assert lab.create_bucket("my.bucket-1").name == "my.bucket-1"


# -- resources as objects or ARNs ------------------------------------------------------------


def test_a_topic_subscribes_a_queue_or_a_function_by_object_or_arn(lab):
    # GIVEN a topic, a queue and a function
    topic = lab.create_topic("orders")
    by_object, by_arn = lab.create_queue("a"), lab.create_queue("b")
    lab.create_function("f", handler)
    # WHEN they subscribe as objects and as ARNs
    topic.subscribe(by_object)
    topic.subscribe(by_arn.arn, raw_message_delivery=True)
    topic.subscribe(lab.function_arn("f"))
    # THEN each is one subscription, resolved to the lab's own resource
    assert [endpoint for endpoint, _, _ in topic.subscriptions] == [
        by_object,
        by_arn,
        lab.get_function("f"),
    ]
    topic.publish("hello")
    assert by_arn.bodies == ["hello"]
    assert by_object.bodies[0]["Message"] == "hello"


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        (
            "arn:aws:sqs:us-east-1:123456789012:nope",
            "Invalid parameter: Endpoint (endpoint arn:aws:sqs:us-east-1:123456789012:nope "
            "names no queue or function of this lab)",
        ),
        (3, "endpoint must be a Queue or a Function of this lab (or its ARN), got 3"),
        (
            "BUCKET",
            "endpoint must be a Queue or a Function of this lab (or its ARN), got <Bucket "
            "bucket-1: 0 objects>",
        ),
    ],
)
def test_a_topic_refuses_an_endpoint_it_cannot_deliver_to(lab, endpoint, message):
    topic = lab.create_topic("orders")
    bucket = lab.create_bucket("bucket-1")
    if endpoint == "BUCKET":
        endpoint = bucket.arn
    with pytest.raises(ll.InvalidParameterValueException) as info:
        topic.subscribe(endpoint)
    assert str(info.value) == message
    assert topic.subscriptions == []


# -- clients, traffic, API Gateway ------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        (
            {"read_timeout": "60"},
            ll.ParamValidationError,
            _type_error(
                "ReadTimeout",
                "60",
                "str",
                "<class 'float'>, <class 'int'>",
                "read_timeout must be a number greater than 0 and at most 3600, got '60'",
            ),
        ),
        (
            {"max_attempts": 2.0},
            ll.ParamValidationError,
            _type_error(
                "MaxAttempts",
                "2.0",
                "float",
                "<class 'int'>",
                "max_attempts must be an integer between 0 and 99, got 2.0",
            ),
        ),
        (
            {"total_max_attempts": 0},
            ll.ValidationException,
            "1 validation error detected: Value '0' at 'totalMaxAttempts' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1 "
            "(total_max_attempts must be between 1 and 100, got 0)",
        ),
        (
            {"read_timeout": 3601},
            ll.ValidationException,
            "1 validation error detected: Value '3601' at 'readTimeout' failed to satisfy "
            "constraint: Member must have value less than or equal to 3600 "
            "(read_timeout must be greater than 0 and at most 3600, got 3601)",
        ),
    ],
)
def test_client_settings_are_strict(lab, settings, error, message):
    with pytest.raises(error) as info:
        lab.create_client(**settings)
    assert str(info.value) == message
    assert lab.create_client(read_timeout=1).read_timeout == 1.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: ll.Poisson("5"),
            _type_error(
                "Rate",
                "5",
                "str",
                "<class 'float'>, <class 'int'>",
                "rate must be a number greater than 0 and at most 100000, got '5'",
            ),
        ),
        (
            lambda: ll.Burst(3.0),
            _type_error(
                "Count",
                "3.0",
                "float",
                "<class 'int'>",
                "count must be an integer between 1 and 1000000, got 3.0",
            ),
        ),
        (
            lambda: ll.Burst(3, at=True),
            _type_error(
                "At",
                "True",
                "bool",
                "<class 'float'>, <class 'int'>",
                "at must be a number at least 0, got True",
            ),
        ),
    ],
)
def test_traffic_settings_are_strict(make, message):
    with pytest.raises(ll.ParamValidationError) as info:
        make()
    assert str(info.value) == message


def test_traffic_count_must_be_an_integer_and_nothing_is_scheduled(lab):
    lab.create_function("f", handler)
    with pytest.raises(ll.ParamValidationError) as info:
        lab.add_traffic("f", ll.Constant(1), count="10")
    assert str(info.value) == _type_error(
        "Count",
        "10",
        "str",
        "<class 'int'>",
        "count must be an integer between 1 and 1000000, got '10'",
    )
    lab.run()
    assert lab.now == 0 and len(lab.trace) == 0


def test_api_gateway_settings_are_strict(lab):
    lab.create_function("f", handler)
    with pytest.raises(ll.ParamValidationError) as info:
        lab.create_api_gateway("f", integration_timeout="5")
    assert str(info.value) == _type_error(
        "IntegrationTimeout",
        "5",
        "str",
        "<class 'float'>, <class 'int'>",
        "integration_timeout must be a number at least 0.05, got '5'",
    )
    assert lab.create_api_gateway("f", integration_timeout=5).integration_timeout == 5.0


# -- one home for each default ---------------------------------------------------------------


def test_lab_signatures_take_their_defaults_from_the_models():
    # GIVEN the defaults help() shows and the defaults the models hold
    def default(method, name):
        return inspect.signature(method).parameters[name].default

    queue = QueueSettings(queue_name="q")
    fn = FunctionSettings(function_name="f")
    # THEN they are the same numbers, AWS's
    assert default(ll.Lab.create_function, "timeout") == fn.timeout == 3
    assert default(ll.Lab.create_function, "memory_size") == fn.memory_size == 128
    assert default(ll.Lab.create_queue, "visibility_timeout") == queue.visibility_timeout == 30
    assert (
        default(ll.Lab.create_queue, "message_retention_period")
        == queue.message_retention_period
        == 345600
    )
    assert default(ll.Lab.create_api_gateway, "integration_timeout") == 29.0
    assert ApiGatewaySettings().integration_timeout == DEFAULT_INTEGRATION_TIMEOUT == 29.0
    assert default(ll.Lab.create_event_bus, "name") == EventBusSettings().name == "default"


# -- enums, missing values, custom rules: AWS's words once, then the plain form once -------


def test_an_enum_setting_lists_its_values_once():
    with pytest.raises(ll.ValidationException) as info:
        validate(ClientConfig, mode="adaptive")
    assert str(info.value) == (
        "1 validation error detected: Value 'adaptive' at 'mode' failed to satisfy constraint: "
        "Member must satisfy enum value set: [legacy, standard, none] "
        "(mode must be one of legacy, standard, none, got 'adaptive')"
    )


def test_a_missing_value_reads_as_aws_null():
    with pytest.raises(ll.ValidationException) as info:
        validate(FunctionSettings)
    assert str(info.value) == (
        "1 validation error detected: Value null at 'functionName' failed to satisfy "
        "constraint: Member must not be null (function_name is required)"
    )


def test_a_naive_start_time_names_the_rule_without_repeating_the_field():
    with pytest.raises(ll.ValidationException) as info:
        ll.Lab(start_time=dt.datetime(2026, 1, 1))
    assert str(info.value) == (
        "1 validation error detected: Value '2026-01-01 00:00:00' at 'startTime' failed to "
        "satisfy constraint: Member must be timezone-aware (e.g. tzinfo=timezone.utc) "
        "(start_time must be timezone-aware (e.g. tzinfo=timezone.utc), "
        "got datetime.datetime(2026, 1, 1, 0, 0))"
    )
