"""Put / Update / Get / Delete FunctionEventInvokeConfig: replace, merge, validate.

Each scenario checks both what ``get_function_event_invoke_config`` returns
and what the function then does with a failing event.
"""

from __future__ import annotations

import pytest

import lambda_lab as ll

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:f"


def refuse(event, context):
    raise ValueError("insufficient funds")


@pytest.fixture
def lab() -> ll.Lab:
    lab = ll.Lab(seed=11)
    lab.create_function("f", refuse)
    return lab


def outcome(lab: ll.Lab) -> tuple[str, int]:
    """Send one failing event; how it ended and how many attempts it had."""
    request_id = lab.invoke("f", {}, invocation_type="Event").request_id
    lab.run()
    (dropped,) = lab.trace.filter(kind="dropped", request_id=request_id)
    attempts = lab.trace.filter(kind="attempt_started", request_id=request_id)
    assert dropped["approximate_invoke_count"] == len(attempts)
    return dropped["reason"], len(attempts)


# -- defaults and get ---------------------------------------------------------------------


def test_without_a_config_get_is_not_found_and_aws_defaults_apply(lab):
    with pytest.raises(ll.ResourceNotFoundException) as caught:
        lab.get_function_event_invoke_config("f")
    assert caught.value.message == f"The function {FUNCTION_ARN} doesn't have an EventInvokeConfig"
    assert outcome(lab) == ("RetriesExhausted", 3)


def test_put_returns_and_get_shows_only_the_fields_set(lab):
    queue = lab.create_queue("failures")
    put = lab.put_function_event_invoke_config(
        "f",
        maximum_retry_attempts=1,
        maximum_event_age_in_seconds=3600,
        destination_config={"OnFailure": {"Destination": queue.arn}},
    )
    expected = {
        "FunctionArn": f"{FUNCTION_ARN}:$LATEST",
        "MaximumRetryAttempts": 1,
        "MaximumEventAgeInSeconds": 3600,
        "DestinationConfig": {"OnFailure": {"Destination": queue.arn}},
    }
    assert put == expected
    assert lab.get_function_event_invoke_config("f") == expected
    assert outcome(lab) == ("RetriesExhausted", 2)
    assert len(queue.bodies) == 1


def test_a_destination_may_be_given_as_the_resource_or_its_bare_arn(lab):
    queue = lab.create_queue("failures")
    for value in (queue, queue.arn, {"Destination": queue.arn}):
        config = lab.put_function_event_invoke_config("f", destination_config={"OnFailure": value})
        assert config["DestinationConfig"] == {"OnFailure": {"Destination": queue.arn}}


@pytest.mark.parametrize("make", ["create_queue", "create_topic"])
def test_fifo_targets_are_accepted_by_put_update_and_dead_letter_config(lab, make):
    # GIVEN a FIFO queue or topic (AWS accepts the configuration, then fails each delivery)
    fifo = getattr(lab, make)("orders.fifo")
    # WHEN it is set as a destination by put and by update, and as the DLQ
    put = lab.put_function_event_invoke_config("f", destination_config={"OnSuccess": fifo})
    update = lab.update_function_event_invoke_config(
        "f", destination_config={"OnSuccess": fifo, "OnFailure": fifo.arn}
    )
    fn = lab.update_function_configuration("f", dead_letter_config={"TargetArn": fifo.arn})
    # THEN every call is accepted and the config names it
    assert put["DestinationConfig"] == {"OnSuccess": {"Destination": fifo.arn}}
    assert update["DestinationConfig"] == {
        "OnSuccess": {"Destination": fifo.arn},
        "OnFailure": {"Destination": fifo.arn},
    }
    assert lab.get_function_event_invoke_config("f") == update
    assert fn.dead_letter_target is fifo
    # AND a failing event still ends as dropped after all its attempts
    assert outcome(lab) == ("RetriesExhausted", 3)


# -- put replaces, update merges -------------------------------------------------------------


def test_put_replaces_the_whole_config(lab):
    # GIVEN Put(retries 0): one attempt only
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    assert outcome(lab) == ("RetriesExhausted", 1)
    # WHEN Put(age 60) follows
    config = lab.put_function_event_invoke_config("f", maximum_event_age_in_seconds=60)
    # THEN only the age is left
    assert config == lab.get_function_event_invoke_config("f")
    assert "MaximumRetryAttempts" not in config
    assert config["MaximumEventAgeInSeconds"] == 60
    # AND retries are back to the default of 2: the retry is now cut by age, not by count
    assert outcome(lab) == ("EventAgeExceeded", 1)


def test_after_put_replaces_the_retries_the_function_retries_twice_again(lab):
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    lab.put_function_event_invoke_config("f", maximum_event_age_in_seconds=3600)
    assert outcome(lab) == ("RetriesExhausted", 3)


def test_put_removes_destinations_left_out(lab):
    queue = lab.create_queue("failures")
    lab.put_function_event_invoke_config("f", destination_config={"OnFailure": queue.arn})
    config = lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    assert config["DestinationConfig"] == {}
    outcome(lab)
    assert queue.bodies == []


def test_update_merges_into_the_current_config(lab):
    # GIVEN Put(age 60)
    lab.put_function_event_invoke_config("f", maximum_event_age_in_seconds=60)
    # WHEN Update(retries 1)
    config = lab.update_function_event_invoke_config("f", maximum_retry_attempts=1)
    # THEN both are set
    assert config == lab.get_function_event_invoke_config("f")
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (1, 60)
    # AND the age still cuts the retry short
    assert outcome(lab) == ("EventAgeExceeded", 1)


def test_update_of_the_retries_keeps_the_destinations(lab):
    queue = lab.create_queue("failures")
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=2, destination_config={"OnFailure": queue.arn}
    )
    config = lab.update_function_event_invoke_config("f", maximum_retry_attempts=0)
    assert config["DestinationConfig"] == {"OnFailure": {"Destination": queue.arn}}
    assert outcome(lab) == ("RetriesExhausted", 1)
    assert len(queue.bodies) == 1


def test_update_without_a_config_creates_one(lab):
    config = lab.update_function_event_invoke_config("f", maximum_retry_attempts=1)
    assert config["MaximumRetryAttempts"] == 1
    assert "MaximumEventAgeInSeconds" not in config
    assert outcome(lab) == ("RetriesExhausted", 2)


def test_delete_resets_to_the_defaults(lab):
    # GIVEN a config with no retries and an on-failure queue
    queue = lab.create_queue("failures")
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=0, destination_config={"OnFailure": queue.arn}
    )
    # WHEN it is deleted
    lab.delete_function_event_invoke_config("f")
    # THEN there is no config, 2 retries again, and no destination
    with pytest.raises(ll.ResourceNotFoundException):
        lab.get_function_event_invoke_config("f")
    assert outcome(lab) == ("RetriesExhausted", 3)
    assert queue.bodies == []
    # AND deleting again is not found
    with pytest.raises(ll.ResourceNotFoundException):
        lab.delete_function_event_invoke_config("f")


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "aws", "plain"),
    [
        (
            "maximum_retry_attempts",
            3,
            "Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: "
            "Member must have value less than or equal to 2",
            "maximum_retry_attempts must be between 0 and 2, got 3",
        ),
        (
            "maximum_retry_attempts",
            -1,
            "Value '-1' at 'maximumRetryAttempts' failed to satisfy constraint: "
            "Member must have value greater than or equal to 0",
            "maximum_retry_attempts must be between 0 and 2, got -1",
        ),
        (
            "maximum_event_age_in_seconds",
            59,
            "Value '59' at 'maximumEventAgeInSeconds' failed to satisfy constraint: "
            "Member must have value greater than or equal to 60",
            "maximum_event_age_in_seconds must be between 60 and 21600, got 59",
        ),
        (
            "maximum_event_age_in_seconds",
            21601,
            "Value '21601' at 'maximumEventAgeInSeconds' failed to satisfy constraint: "
            "Member must have value less than or equal to 21600",
            "maximum_event_age_in_seconds must be between 60 and 21600, got 21601",
        ),
    ],
)
@pytest.mark.parametrize("operation", ["put", "update"])
def test_out_of_range_values_are_refused_with_awss_message_and_the_range(
    lab, field, value, aws, plain, operation
):
    # GIVEN a valid config
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=1, maximum_event_age_in_seconds=120
    )
    before = lab.get_function_event_invoke_config("f")
    # WHEN a value out of range is given
    call = getattr(lab, f"{operation}_function_event_invoke_config")
    with pytest.raises(ll.ValidationException) as caught:
        call("f", **{field: value})
    # THEN the message reads as AWS's and then names the allowed range
    message = caught.value.message
    assert message.startswith(f"1 validation error detected: {aws}")
    assert message.endswith(f"({plain})")
    assert message == f"1 validation error detected: {aws} ({plain})"
    assert caught.value.status_code == 400
    # AND nothing changed
    assert lab.get_function_event_invoke_config("f") == before
    assert outcome(lab) == ("RetriesExhausted", 2)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("maximum_retry_attempts", 2),
        ("maximum_event_age_in_seconds", 60),
        ("maximum_event_age_in_seconds", 21600),
        ("maximum_retry_attempts", 0),
    ],
)
def test_the_bounds_themselves_are_accepted(lab, field, value):
    assert lab.put_function_event_invoke_config("f", **{field: value})


def test_a_config_with_nothing_set_is_refused(lab):
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=1)
    before = lab.get_function_event_invoke_config("f")
    with pytest.raises(ll.InvalidParameterValueException) as caught:
        lab.put_function_event_invoke_config("f")
    assert caught.value.message == (
        "You must specify at least one of error handling or destination setting."
    )
    assert lab.get_function_event_invoke_config("f") == before


def test_an_update_that_leaves_nothing_set_is_refused(lab):
    with pytest.raises(ll.InvalidParameterValueException, match="at least one of"):
        lab.update_function_event_invoke_config("f")
    with pytest.raises(ll.ResourceNotFoundException):
        lab.get_function_event_invoke_config("f")


def test_a_config_for_a_missing_function_is_not_found(lab):
    with pytest.raises(ll.ResourceNotFoundException):
        lab.put_function_event_invoke_config("missing", maximum_retry_attempts=1)
