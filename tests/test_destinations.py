"""Destinations and dead-letter queues of asynchronous invocation.

The record shapes are the ones AWS returned (the fact sheet's section 7.1 and
7.2): key order included, ``functionArn`` qualified with ``:$LATEST``, and the
EventBridge envelope around the record.
"""

from __future__ import annotations

import re

import pytest

import lambda_lab as ll

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
RECORD_KEYS = [
    "version",
    "timestamp",
    "requestContext",
    "requestPayload",
    "responseContext",
    "responsePayload",
]
CONTEXT_KEYS = ["requestId", "functionArn", "condition", "approximateInvokeCount"]
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
KB = 1024


def credit(event, context):
    return {"credited": event["amount"]}


def numbered_failure():
    """A handler failing with a message naming its call, so the record's attempt shows."""
    calls = []

    def handler(event, context):
        calls.append(event)
        raise ValueError(f"insufficient funds (attempt {len(calls)})")

    return handler


def refuse(event, context):
    raise ValueError("insufficient funds")


def configure(lab: ll.Lab, **destinations) -> None:
    config = {key: {"Destination": value.arn} for key, value in destinations.items()}
    lab.put_function_event_invoke_config("f", destination_config=config)


def send(lab: ll.Lab, payload) -> str:
    request_id = lab.invoke("f", payload, invocation_type="Event").request_id
    lab.run()
    return request_id


# -- the invocation record ------------------------------------------------------------


def test_a_success_record_has_awss_keys_in_awss_order(lab):
    # GIVEN a function with an on-success queue
    queue = lab.create_queue("successes")
    lab.create_function("f", credit, duration=0.1, init_duration=0.25)
    configure(lab, OnSuccess=queue)
    # WHEN an event succeeds
    request_id = send(lab, {"amount": 10})
    # THEN the queue holds exactly one record, shaped as AWS's
    (record,) = queue.bodies
    assert list(record) == RECORD_KEYS
    assert record["version"] == "1.0"
    assert record["timestamp"] == "2026-01-01T00:00:00.350Z"
    assert list(record["requestContext"]) == CONTEXT_KEYS
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"{ARN}:f:$LATEST",
        "condition": "Success",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == {"amount": 10}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"credited": 10}
    # AND the trace shows the delivery before the terminal record
    (delivered,) = lab.trace.filter(kind="destination")
    assert (delivered["condition"], delivered["target"]) == ("Success", queue.arn)
    assert [r["kind"] for r in lab.trace if r["kind"] in ("destination", "succeeded")] == [
        "destination",
        "succeeded",
    ]


def test_a_failure_record_keeps_the_request_id_and_the_last_error(lab):
    # GIVEN a function that always fails, with a message naming the attempt
    queue = lab.create_queue("failures")
    successes = lab.create_queue("successes")
    lab.create_function("f", numbered_failure())
    configure(lab, OnSuccess=successes, OnFailure=queue)
    # WHEN an event fails 3 times
    request_id = send(lab, {"amount": 10})
    # THEN only the failure queue gets a record, after the last attempt
    assert successes.bodies == []
    (record,) = queue.bodies
    assert list(record) == RECORD_KEYS
    assert list(record["requestContext"]) == CONTEXT_KEYS
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"{ARN}:f:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    payload = record["responsePayload"]
    assert list(payload) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert payload["errorMessage"] == "insufficient funds (attempt 3)"
    assert payload["errorType"] == "ValueError"
    assert payload["requestId"] == request_id
    (last,) = lab.trace.filter(kind="attempt_ended", attempt=3)
    assert record["timestamp"] == lab.trace.time_of(last)


def test_a_failure_record_with_no_retries_counts_one(lab):
    queue = lab.create_queue("failures")
    lab.create_function("f", refuse)
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=0, destination_config={"OnFailure": queue.arn}
    )
    send(lab, {})
    (record,) = queue.bodies
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1


def test_a_timeout_record_carries_the_sandbox_timedout_payload(lab):
    queue = lab.create_queue("failures")
    lab.create_function("f", credit, timeout=1, duration=2)
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=0, destination_config={"OnFailure": queue.arn}
    )
    request_id = send(lab, {"amount": 1})
    (record,) = queue.bodies
    assert record["responsePayload"] == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }


# -- each kind of target -------------------------------------------------------------------


def test_an_sns_topic_receives_the_record_as_its_message(lab):
    topic = lab.create_topic("results")
    lab.create_function("f", credit)
    configure(lab, OnSuccess=topic)
    request_id = send(lab, {"amount": 5})
    (message,) = topic.messages
    assert list(message) == RECORD_KEYS
    assert message["requestContext"]["requestId"] == request_id
    assert message["responsePayload"] == {"credited": 5}
    (notification,) = topic.published
    assert notification["TopicArn"] == topic.arn


@pytest.mark.parametrize(
    ("handler", "detail_type", "condition"),
    [
        (credit, "Lambda Function Invocation Result - Success", "Success"),
        (refuse, "Lambda Function Invocation Result - Failure", "RetriesExhausted"),
    ],
)
def test_an_event_bus_receives_the_record_as_detail(lab, handler, detail_type, condition):
    # GIVEN a bus as both destinations, and no retries
    bus = lab.create_event_bus("results")
    lab.create_function("f", handler)
    lab.put_function_event_invoke_config(
        "f",
        maximum_retry_attempts=0,
        destination_config={"OnSuccess": bus.arn, "OnFailure": bus.arn},
    )
    # WHEN an event ends
    request_id = send(lab, {"amount": 5})
    # THEN the bus holds one EventBridge event wrapping the record
    (event,) = bus.events
    assert event["version"] == "0"
    assert event["detail-type"] == detail_type
    assert event["source"] == "lambda"
    assert event["account"] == "123456789012"
    assert event["region"] == "us-east-1"
    assert re.fullmatch(UUID, event["id"])
    assert event["resources"] == [bus.arn, f"{ARN}:f:$LATEST"]
    assert list(event["detail"]) == RECORD_KEYS
    assert event["detail"]["requestContext"]["requestId"] == request_id
    assert event["detail"]["requestContext"]["condition"] == condition


def test_an_s3_bucket_stores_a_failure_record_under_awss_key(lab):
    # GIVEN a bucket as on-failure destination
    bucket = lab.create_bucket("failed-events")
    lab.create_function("f", refuse)
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=0, destination_config={"OnFailure": bucket.arn}
    )
    # WHEN an event fails at 3723.5 s (01:02:03.5)
    lab.engine.at(3723.5, lambda _: lab.world.submit_event("f", {"amount": 5}))
    lab.run()
    # THEN one object holds the record, under aws/lambda/async/<name>/YYYY/MM/DD/...
    (key,) = bucket.objects
    (ended,) = lab.trace.filter(kind="attempt_ended")
    assert lab.trace.time_of(ended).startswith("2026-01-01T01:02:03")
    assert re.fullmatch(rf"aws/lambda/async/f/2026/01/01/2026-01-01T01\.02\.03-{UUID}", key), key
    record = bucket.get_object(key)
    assert list(record) == RECORD_KEYS
    assert record["requestContext"]["condition"] == "RetriesExhausted"


@pytest.mark.parametrize(("handler", "field"), [(credit, "OnSuccess"), (refuse, "OnFailure")])
def test_another_function_is_invoked_asynchronously_with_the_record(lab, handler, field):
    # GIVEN a function whose destination is another function
    received = []
    lab.create_function("f", handler)
    audit = lab.create_function("audit", lambda e, c: received.append(e))
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=0, destination_config={field: audit.arn}
    )
    # WHEN an event ends
    request_id = send(lab, {"amount": 5})
    # THEN the other function got an async event (202) from this one and ran with the record
    (accepted,) = lab.trace.filter(kind="accepted", function="audit")
    assert (accepted["status_code"], accepted["source"]) == (202, f"{ARN}:f")
    (record,) = received
    assert list(record) == RECORD_KEYS
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestContext"]["functionArn"] == f"{ARN}:f:$LATEST"
    (delivered,) = lab.trace.filter(kind="destination")
    assert delivered["target"] == audit.arn


# -- refused destinations --------------------------------------------------------------------


@pytest.fixture
def configured(lab):
    """A function `f` with a known, valid event invoke config."""
    queue = lab.create_queue("successes")
    lab.create_function("f", credit)
    lab.put_function_event_invoke_config(
        "f",
        maximum_retry_attempts=1,
        maximum_event_age_in_seconds=120,
        destination_config={"OnSuccess": {"Destination": queue.arn}},
    )
    return lab.get_function_event_invoke_config("f")


def _s3_on_success(lab):
    return {"OnSuccess": {"Destination": lab.create_bucket("bucket").arn}}


@pytest.mark.parametrize(
    ("destinations", "message"),
    [
        (_s3_on_success, r"^The destination ARN arn:aws:s3:::bucket is invalid"),
    ],
    ids=["s3-on-success"],
)
def test_unsupported_destinations_are_refused_and_nothing_changes(
    lab, configured, destinations, message
):
    config = destinations(lab)
    for operation in (
        lab.put_function_event_invoke_config,
        lab.update_function_event_invoke_config,
    ):
        with pytest.raises(ll.InvalidParameterValueException, match=message):
            operation("f", destination_config=config)
        assert lab.get_function_event_invoke_config("f") == configured


def test_an_s3_bucket_is_accepted_on_failure(lab):
    lab.create_function("f", credit)
    bucket = lab.create_bucket("bucket")
    config = lab.put_function_event_invoke_config(
        "f", destination_config={"OnFailure": {"Destination": bucket.arn}}
    )
    assert config["DestinationConfig"] == {"OnFailure": {"Destination": bucket.arn}}


@pytest.mark.parametrize(
    ("arn", "message"),
    [
        (
            "arn:aws:sqs:us-east-1:123456789012:nowhere",
            "The destination ARN arn:aws:sqs:us-east-1:123456789012:nowhere is invalid.",
        ),
        (
            f"{ARN}:missing",
            f"The destination ARN {ARN}:missing is invalid.",
        ),
        (f"{ARN}:f", "You can't specify the function as a destination for itself."),
    ],
    ids=["unknown-queue", "missing-function", "itself"],
)
@pytest.mark.parametrize("field", ["OnSuccess", "OnFailure"])
def test_invalid_destination_arns_are_refused_with_awss_words(lab, configured, arn, message, field):
    for operation in (
        lab.put_function_event_invoke_config,
        lab.update_function_event_invoke_config,
    ):
        with pytest.raises(ll.InvalidParameterValueException) as caught:
            operation("f", destination_config={field: {"Destination": arn}})
        assert caught.value.message == message
        assert lab.get_function_event_invoke_config("f") == configured


def test_after_a_refusal_the_old_destination_still_receives_records(lab, configured):
    with pytest.raises(ll.InvalidParameterValueException):
        lab.put_function_event_invoke_config("f", destination_config={"OnSuccess": f"{ARN}:f"})
    send(lab, {"amount": 1})
    queue = lab.resources["arn:aws:sqs:us-east-1:123456789012:successes"]
    assert [b["requestContext"]["condition"] for b in queue.bodies] == ["Success"]


# -- dead-letter queues ----------------------------------------------------------------------


def test_a_dlq_receives_the_original_payload_byte_for_byte(lab):
    # GIVEN a failing function with an SQS dead-letter queue
    dlq = lab.create_queue("dlq")
    lab.create_function("f", refuse, dead_letter_config={"TargetArn": dlq.arn})
    # WHEN an event (oddly spaced, keys unsorted) fails all 3 attempts
    raw = '{"zeta": 1,   "amount": 10.50, "note": "caf\\u00e9"}'
    request_id = send(lab, raw)
    # THEN the DLQ holds the body exactly as sent, with AWS's three attributes
    (message,) = dlq.messages
    assert message.body == raw
    assert message.message_attributes == {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": "insufficient funds"},
    }
    # AND only after the last attempt
    (dead,) = lab.trace.filter(kind="dlq")
    (last,) = lab.trace.filter(kind="attempt_ended", attempt=3)
    assert (dead["t"], dead["target"], dead["condition"]) == (
        last["t"],
        dlq.arn,
        "RetriesExhausted",
    )


def test_a_dlq_error_message_of_a_timeout_has_no_type(lab):
    dlq = lab.create_queue("dlq")
    lab.create_function(
        "f", credit, timeout=1, duration=3, dead_letter_config={"TargetArn": dlq.arn}
    )
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    request_id = send(lab, {"amount": 1})
    (message,) = dlq.messages
    assert message.message_attributes["ErrorMessage"]["StringValue"] == (
        f"RequestId: {request_id} Error: Task timed out after 1.00 seconds"
    )


def test_a_dlq_set_by_update_function_configuration_is_used_and_can_be_removed(lab):
    # GIVEN a function without a DLQ, then given an SNS topic as DLQ
    topic = lab.create_topic("dead")
    lab.create_function("f", refuse)
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    lab.update_function_configuration("f", dead_letter_config={"TargetArn": topic.arn})
    # WHEN an event fails
    request_id = send(lab, {"amount": 3})
    # THEN the topic published the original event with the attributes
    (notification,) = topic.published
    assert notification["Message"] == '{"amount": 3}'
    assert notification["MessageAttributes"] == {
        "RequestID": {"Type": "String", "Value": request_id},
        "ErrorCode": {"Type": "Number", "Value": "200"},
        "ErrorMessage": {"Type": "String", "Value": "insufficient funds"},
    }
    # WHEN the DLQ is removed and another event fails
    lab.update_function_configuration("f", dead_letter_config=None)
    send(lab, {"amount": 4})
    # THEN nothing more is published
    assert len(topic.published) == 1
    assert len(lab.trace.filter(kind="dropped")) == 2


def test_a_success_never_reaches_the_dlq(lab):
    dlq = lab.create_queue("dlq")
    lab.create_function("f", credit, dead_letter_config={"TargetArn": dlq.arn})
    send(lab, {"amount": 1})
    assert dlq.messages == []
    assert lab.trace.filter(kind="dlq") == []


def test_a_dlq_and_an_on_failure_destination_both_receive(lab):
    dlq = lab.create_queue("dlq")
    failures = lab.create_queue("failures")
    lab.create_function("f", refuse, dead_letter_config={"TargetArn": dlq.arn})
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=0, destination_config={"OnFailure": failures.arn}
    )
    send(lab, {"amount": 1})
    assert [m.body for m in dlq.messages] == ['{"amount": 1}']
    assert [b["requestPayload"] for b in failures.bodies] == [{"amount": 1}]


def test_a_dlq_must_be_a_queue_or_topic(lab):
    arn = lab.create_bucket("dlq").arn
    with pytest.raises(ll.InvalidParameterValueException):
        lab.create_function("f", refuse, dead_letter_config={"TargetArn": arn})
    assert "f" not in lab.functions


# -- an empty queue is still a DLQ ------------------------------------------------------------


def test_an_empty_queue_given_as_the_dlq_at_create_receives_the_failed_event(lab):
    # GIVEN an empty queue object (len 0, so falsy) given as the DLQ at create_function
    dlq = lab.create_queue("dlq")
    assert len(dlq) == 0
    fn = lab.create_function("f", refuse, dead_letter_config=dlq)
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    # WHEN an event fails
    request_id = send(lab, {"amount": 1})
    # THEN the queue is the function's DLQ and holds the event
    assert fn.dead_letter_target is dlq
    assert [m.body for m in dlq.messages] == ['{"amount": 1}']
    (delivered,) = lab.trace.filter(kind="dlq", request_id=request_id)
    assert delivered["target"] == dlq.arn


def test_an_empty_queue_given_as_the_dlq_at_update_receives_the_failed_event(lab):
    # GIVEN a function without a DLQ, then an empty queue object set as its DLQ
    lab.create_function("f", refuse)
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    dlq = lab.create_queue("dlq")
    fn = lab.update_function_configuration("f", dead_letter_config=dlq)
    # WHEN an event fails
    send(lab, {"amount": 1})
    # THEN the queue is the DLQ and holds the event
    assert fn.dead_letter_target is dlq
    assert [m.body for m in dlq.messages] == ['{"amount": 1}']


# -- FIFO targets: accepted, and every delivery fails -------------------------------------------


@pytest.mark.parametrize("make", ["create_queue", "create_topic"])
@pytest.mark.parametrize(
    ("field", "handler", "condition"),
    [("OnSuccess", credit, "Success"), ("OnFailure", refuse, "RetriesExhausted")],
    ids=["on-success", "on-failure"],
)
def test_a_fifo_destination_is_accepted_and_each_delivery_fails(
    lab, make, field, handler, condition
):
    # GIVEN a FIFO queue or topic as a destination: accepted, as AWS accepts it
    target = getattr(lab, make)("orders.fifo")
    lab.create_function("f", handler)
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=0, destination_config={field: {"Destination": target.arn}}
    )
    # WHEN two events settle
    first, second = send(lab, {"amount": 1}), send(lab, {"amount": 2})
    # THEN each delivery fails: nothing reaches the target, one delivery_failed per event
    received = target.messages if make == "create_queue" else target.published
    assert received == []
    failed = lab.trace.filter(kind="delivery_failed")
    assert [(r["request_id"], r["via"], r["condition"], r["target"]) for r in failed] == [
        (first, "destination", condition, target.arn),
        (second, "destination", condition, target.arn),
    ]
    assert {r["error"] for r in failed} == {
        f"FIFO queues and topics are not supported as destinations: {target.arn}"
    }
    assert lab.trace.filter(kind="destination") == []
    # AND CloudWatch counts them in DestinationDeliveryFailures; each event still ends once
    metrics = lab.metrics("f")
    assert metrics["DestinationDeliveryFailures"] == 2
    assert metrics["DeadLetterErrors"] == 0
    assert len(lab.trace.filter(kind=["succeeded", "dropped"])) == 2


@pytest.mark.parametrize("make", ["create_queue", "create_topic"])
@pytest.mark.parametrize("when", ["create", "update"])
def test_a_fifo_dlq_is_accepted_and_each_delivery_counts_in_dead_letter_errors(lab, make, when):
    # GIVEN a FIFO queue or topic as the DLQ, at create_function or after it
    dlq = getattr(lab, make)("dead.fifo")
    if when == "create":
        lab.create_function("f", refuse, dead_letter_config={"TargetArn": dlq.arn})
    else:
        lab.create_function("f", refuse)
        lab.update_function_configuration("f", dead_letter_config={"TargetArn": dlq.arn})
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    # WHEN an event fails
    request_id = send(lab, {"amount": 1})
    # THEN the DLQ gets nothing: a delivery_failed via the dlq, counted in DeadLetterErrors
    received = dlq.messages if make == "create_queue" else dlq.published
    assert received == []
    (failed,) = lab.trace.filter(kind="delivery_failed")
    assert (failed["request_id"], failed["via"], failed["target"]) == (
        request_id,
        "dlq",
        dlq.arn,
    )
    assert failed["error"] == (
        f"FIFO queues and topics are not supported as dead-letter targets: {dlq.arn}"
    )
    metrics = lab.metrics("f")
    assert metrics["DeadLetterErrors"] == 1
    assert metrics["DestinationDeliveryFailures"] == 0
    assert metrics["AsyncEventsDropped"] == 1


# -- records too big for SNS ---------------------------------------------------------------


def test_a_record_over_256_kb_fails_sns_delivery_and_the_event_is_still_dropped(lab):
    # GIVEN a failing function with an SNS on-failure destination
    topic = lab.create_topic("failures")
    lab.create_function("f", refuse)
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=0, destination_config={"OnFailure": topic.arn}
    )
    # WHEN a 300 KB event (async accepts up to 1 MB) fails
    request_id = send(lab, {"pad": "x" * (300 * KB)})
    # THEN the record could not be published
    assert topic.published == []
    (failed,) = lab.trace.filter(kind="delivery_failed")
    assert (failed["via"], failed["target"], failed["condition"]) == (
        "destination",
        topic.arn,
        "RetriesExhausted",
    )
    assert "262144" in failed["error"]
    assert lab.trace.filter(kind="destination") == []
    # AND the event still ends, exactly once, as dropped
    (dropped,) = lab.trace.filter(kind=["succeeded", "dropped"], request_id=request_id)
    assert dropped["kind"] == "dropped"
    metrics = lab.metrics("f")
    assert metrics["DestinationDeliveryFailures"] == 1
    assert metrics["DeadLetterErrors"] == 0
    assert metrics["AsyncEventsDropped"] == 1


def test_a_300_kb_record_fits_an_sqs_destination(lab):
    queue = lab.create_queue("failures")
    lab.create_function("f", refuse)
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=0, destination_config={"OnFailure": queue.arn}
    )
    send(lab, {"pad": "x" * (300 * KB)})
    assert len(queue.bodies) == 1
    assert lab.metrics("f")["DestinationDeliveryFailures"] == 0


def test_an_event_over_256_kb_fails_an_sns_dlq_and_counts_dead_letter_errors(lab):
    topic = lab.create_topic("dead")
    lab.create_function("f", refuse, dead_letter_config={"TargetArn": topic.arn})
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    send(lab, {"pad": "x" * (300 * KB)})
    assert topic.published == []
    (failed,) = lab.trace.filter(kind="delivery_failed")
    assert (failed["via"], failed["target"]) == ("dlq", topic.arn)
    metrics = lab.metrics("f")
    assert metrics["DeadLetterErrors"] == 1
    assert metrics["DestinationDeliveryFailures"] == 0
    assert len(lab.trace.filter(kind="dropped")) == 1


@pytest.mark.parametrize(
    "make", [lambda lab: lab.create_queue("q"), lambda lab: lab.create_function("g", credit)]
)
def test_a_record_over_1_mb_cannot_reach_a_queue_or_a_function(lab, make):
    # GIVEN an event of exactly 1 MB (accepted) whose record adds metadata to it
    target = make(lab)
    lab.create_function("f", refuse)
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=0, destination_config={"OnFailure": target.arn}
    )
    body = '{"pad": "' + "x" * (1024 * KB - 11) + '"}'
    assert len(body) == 1024 * KB
    # WHEN it fails
    send(lab, body)
    # THEN the record is too big for the target: a delivery failure, and still one drop
    (failed,) = lab.trace.filter(kind="delivery_failed")
    assert (failed["via"], failed["target"]) == ("destination", target.arn)
    assert len(lab.trace.filter(kind="dropped", function="f")) == 1
    assert lab.trace.filter(kind="accepted", function="g") == []
    assert lab.metrics("f")["DestinationDeliveryFailures"] == 1


# -- duplicates reach destinations too --------------------------------------------------------


def test_a_duplicate_delivery_sends_a_second_success_record_with_the_same_request_id():
    lab = ll.Lab(seed=5, duplicate_delivery_probability=1.0)
    queue = lab.create_queue("successes")
    lab.create_function("f", credit)
    lab.put_function_event_invoke_config("f", destination_config={"OnSuccess": queue.arn})
    request_id = send(lab, {"amount": 1})
    contexts = [b["requestContext"] for b in queue.bodies]
    assert [c["requestId"] for c in contexts] == [request_id, request_id]
    assert [c["approximateInvokeCount"] for c in contexts] == [1, 1]
