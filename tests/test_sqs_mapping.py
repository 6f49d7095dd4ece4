"""Event source mappings on SQS: batches, deletes, failures, partial responses, redrive.

Scenarios in GIVEN / WHEN / THEN form on the trace and the queue, in virtual time.
"""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import refused

import lambda_lab as ll
from lambda_lab.sim.mappings.base import INVALID, batch_item_failures
from lambda_lab.sim.mappings.sqs import md5_of_message_attributes
from lambda_lab.sim.trace.kinds import check


def setup(lab, handler, *, queue_kwargs=None, fn_kwargs=None, **mapping):
    queue = lab.create_queue("q", **(queue_kwargs or {}))
    lab.create_function("f", handler, **{"duration": 0.1, **(fn_kwargs or {})})
    answer = lab.create_event_source_mapping(event_source_arn=queue, function_name="f", **mapping)
    return queue, answer


def batches(lab):
    return lab.trace.filter("batch")


def deleted_ids(lab, reason="processed"):
    return [
        i for r in lab.trace.filter("messages_deleted", reason=reason) for i in r["message_ids"]
    ]


# -- creating ---------------------------------------------------------------------------


def test_create_answers_as_boto3_and_polling_starts_next(lab):
    # GIVEN a queue and a function
    queue = lab.create_queue("q")
    lab.create_function("f", lambda e, c: None)
    # WHEN a mapping is created by the queue's ARN
    answer = lab.create_event_source_mapping(event_source_arn=queue.arn, function_name="f")
    # THEN boto3's description comes back, Creating, with SQS's defaults
    assert answer["State"] == "Creating"
    assert answer["StateTransitionReason"] == "USER_INITIATED"
    assert answer["BatchSize"] == 10 and answer["MaximumBatchingWindowInSeconds"] == 0
    assert answer["FunctionResponseTypes"] == []
    assert answer["EventSourceArn"] == queue.arn
    assert answer["FunctionArn"] == lab.function_arn("f")
    # AND it is Enabled once time moves
    lab.run()
    assert lab.get_event_source_mapping(answer["UUID"])["State"] == "Enabled"
    assert [r["state"] for r in lab.trace.filter("mapping_state")] == ["Enabled"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 11}, "Maximum batch window in seconds must be greater than 0"),
        ({"batch_size": 10001, "maximum_batching_window_in_seconds": 1}, "between 1 and 10000"),
        ({"maximum_batching_window_in_seconds": 301}, "between 0 and 300"),
        ({"starting_position": "LATEST"}, "Unsupported StartingPosition parameter"),
        ({"bisect_batch_on_function_error": True}, "Unsupported BisectBatchOnFunctionError"),
        ({"maximum_retry_attempts": 1}, "Unsupported MaximumRetryAttempts"),
        ({"destination_config": {"OnFailure": {"Destination": "x"}}}, "DestinationConfig"),
        ({"scaling_config": {"MaximumConcurrency": 1}}, "between 2 and 1000"),
        ({"function_response_types": ["Nope"]}, "ReportBatchItemFailures"),
        ({"filter_criteria": {"Filters": [{"Pattern": "{not json"}]}}, "Invalid filter pattern"),
    ],
)
def test_bad_settings_are_refused_before_anything_changes(lab, kwargs, message):
    # GIVEN a queue and a function
    queue = lab.create_queue("q")
    lab.create_function("f", lambda e, c: None)
    # WHEN a mapping is asked for with a setting AWS refuses on SQS
    with pytest.raises(ll.LambdaLabError, match=message):
        lab.create_event_source_mapping(event_source_arn=queue, function_name="f", **kwargs)
    # THEN no mapping exists
    assert lab.list_event_source_mappings() == {"EventSourceMappings": []}


def test_a_function_timeout_over_the_visibility_timeout_is_refused(lab):
    # GIVEN a queue hiding messages 30 s and a function running up to 60 s
    queue = lab.create_queue("q", visibility_timeout=30)
    lab.create_function("f", lambda e, c: None, timeout=60)
    # WHEN a mapping joins them THEN AWS's words refuse it
    with pytest.raises(
        ll.InvalidParameterValueException,
        match="Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds",
    ):
        lab.create_event_source_mapping(event_source_arn=queue, function_name="f")


def test_fifo_limits_batch_size_and_refuses_a_window(lab):
    # GIVEN a FIFO queue
    queue = lab.create_queue("q.fifo", content_based_deduplication=True)
    lab.create_function("f", lambda e, c: None)
    # WHEN a batch over 10 or a window is asked for THEN each is refused
    with pytest.raises(ll.InvalidParameterValueException, match="between 1 and 10"):
        lab.create_event_source_mapping(event_source_arn=queue, function_name="f", batch_size=11)
    with pytest.raises(ll.InvalidParameterValueException, match="not supported for FIFO"):
        lab.create_event_source_mapping(
            event_source_arn=queue, function_name="f", maximum_batching_window_in_seconds=1
        )


def test_a_second_mapping_of_the_same_pair_conflicts_and_a_missing_function_is_named(lab):
    # GIVEN a mapping
    queue, answer = setup(lab, lambda e, c: None)
    # WHEN the same queue and function are mapped again THEN 409 names the first one
    with pytest.raises(ll.ResourceConflictException, match=answer["UUID"]):
        lab.create_event_source_mapping(event_source_arn=queue, function_name="f")
    # AND a missing function is refused with AWS's words
    with pytest.raises(ll.ResourceNotFoundException, match="Function does not exist"):
        lab.create_event_source_mapping(event_source_arn=queue, function_name="nope")


def test_an_event_source_arn_that_names_nothing_is_refused_as_a_source_not_a_destination(lab):
    # GIVEN a function, and the ARN of a queue this lab never made
    lab.create_function("f", lambda e, c: None)
    missing = "arn:aws:sqs:us-east-1:123456789012:never-made"
    # WHEN a mapping (or a listing) names it THEN the refusal speaks of the event source
    message = (
        f"The event source ARN {missing} is invalid: no queue, stream, table stream or Kafka "
        "cluster of this lab has it (event_source_arn)"
    )
    refused(
        ll.InvalidParameterValueException,
        message,
        lab.create_event_source_mapping,
        event_source_arn=missing,
        function_name="f",
    )
    refused(
        ll.InvalidParameterValueException,
        message,
        lab.list_event_source_mappings,
        event_source_arn=missing,
    )
    assert lab.list_event_source_mappings()["EventSourceMappings"] == []


# -- batching ---------------------------------------------------------------------------


def test_a_queue_is_drained_in_batches_and_every_message_deleted(lab):
    # GIVEN a mapping with batches of 10 and 25 messages waiting
    seen = []
    queue, _ = setup(lab, lambda e, c: seen.append(len(e["Records"])))
    for i in range(25):
        queue.send_message(json.dumps({"n": i}))
    # WHEN the lab runs
    lab.run()
    # THEN the function saw every message, in batches of at most 10, and the queue is empty
    assert sum(seen) == 25 and max(seen) == 10
    assert len(queue) == 0 and queue.deleted == 25
    assert sorted(deleted_ids(lab)) == sorted(i for b in batches(lab) for i in b["message_ids"])
    assert {b["trigger"] for b in batches(lab)} <= {"batch_size", "drained"}


def test_the_event_records_are_aws_s_with_their_key_order(lab):
    # GIVEN a mapping whose handler keeps its event
    events = []
    queue, _ = setup(lab, lambda e, c: events.append(e))
    queue.send_message(
        "hello", message_attributes={"k": {"DataType": "String", "StringValue": "v"}}
    )
    # WHEN it runs
    lab.run()
    # THEN the record has AWS's keys in AWS's order, timestamps as epoch-ms strings
    (record,) = events[0]["Records"]
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfMessageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert record["body"] == "hello" and record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue.arn
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["attributes"]["SentTimestamp"].isdigit()
    assert record["messageAttributes"] == {
        "k": {
            "stringValue": "v",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert record["md5OfMessageAttributes"] == md5_of_message_attributes(
        {"k": {"DataType": "String", "StringValue": "v"}}
    )


def test_sqs_md5_of_message_attributes_matches_the_documented_algorithm():
    # GIVEN one string attribute WHEN hashed THEN it is SQS's encoding: lengths, type, 1, value
    import hashlib
    import struct

    def part(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data

    expected = hashlib.md5(part(b"k") + part(b"String") + b"\x01" + part(b"v")).hexdigest()
    assert md5_of_message_attributes({"k": {"DataType": "String", "StringValue": "v"}}) == expected
    assert md5_of_message_attributes({}) is None


def test_a_window_collects_messages_until_it_ends(lab):
    # GIVEN a mapping with batches of up to 50 and a 5 s window, and messages trickling in
    sizes = []
    queue, _ = setup(
        lab,
        lambda e, c: sizes.append(len(e["Records"])),
        batch_size=50,
        maximum_batching_window_in_seconds=5,
    )
    for i in range(4):
        lab.world.engine.at(i, lambda _, i=i: queue.send_message(f"m{i}"))
    # WHEN the lab runs
    lab.run()
    # THEN one batch of 4 left when the window ended, 5 s after the first message
    assert sizes == [4]
    (batch,) = batches(lab)
    assert batch["trigger"] == "window" and batch["t"] == pytest.approx(5.0)


def test_a_full_batch_leaves_before_its_window_ends(lab):
    # GIVEN batches of 20 and a 300 s window, and 20 messages at once
    queue, _ = setup(lab, lambda e, c: None, batch_size=20, maximum_batching_window_in_seconds=300)
    for i in range(20):
        queue.send_message(f"m{i}")
    # WHEN the lab runs THEN the batch leaves at once, full
    lab.run()
    (batch,) = batches(lab)
    assert batch["trigger"] == "batch_size" and batch["t"] == 0 and batch["size"] == 20


def test_a_batch_never_passes_6_mb(lab):
    # GIVEN 8 messages of 1 MB and batches of up to 100
    queue, _ = setup(
        lab,
        lambda e, c: None,
        batch_size=100,
        maximum_batching_window_in_seconds=1,
    )
    for i in range(8):
        queue.send_message(str(i) * (1024 * 1024 - 1))
    # WHEN the lab runs
    lab.run()
    # THEN the first batch stopped at the payload limit, under 6 MB
    first, second = batches(lab)
    assert first["trigger"] == "payload_limit" and first["bytes"] <= 6 * 1024 * 1024
    assert first["size"] + second["size"] == 8


# -- failures -----------------------------------------------------------------------------


def test_a_failing_batch_returns_whole_after_the_visibility_timeout_then_redrives(lab):
    # GIVEN a queue hiding for 30 s with a DLQ after 3 receives, and a function that fails
    dlq = lab.create_queue("dlq")
    queue, _ = setup(
        lab,
        lambda e, c: 1 / 0,
        queue_kwargs={
            "visibility_timeout": 30,
            "redrive_policy": {"deadLetterTargetArn": dlq, "maxReceiveCount": 3},
        },
    )
    sent = [queue.send_message(f"m{i}")["MessageId"] for i in range(3)]
    # WHEN the lab runs
    lab.run()
    # THEN the whole batch was tried 3 times, 30 s apart, then every message moved to the DLQ
    assert [b["t"] for b in batches(lab)] == [0, 30, 60]
    assert all(sorted(b["message_ids"]) == sorted(sent) for b in batches(lab))
    assert {r["reason"] for r in lab.trace.filter("batch_failed")} == {"function_error"}
    redriven = lab.trace.filter("message_redriven")
    assert sorted(r["message_id"] for r in redriven) == sorted(sent)
    assert {r["receive_count"] for r in redriven} == {3}
    assert sorted(m.message_id for m in dlq.messages) == sorted(sent)
    assert len(queue) == 0 and deleted_ids(lab) == []


def test_redelivery_raises_the_receive_count_and_keeps_the_message_id(lab):
    # GIVEN a function failing once, then succeeding
    events = []

    def handler(event, context):
        events.append(event["Records"][0])
        if len(events) == 1:
            raise ValueError("first time")

    queue, _ = setup(lab, handler, queue_kwargs={"visibility_timeout": 10})
    queue.send_message("x")
    # WHEN the lab runs
    lab.run()
    # THEN the second delivery has the same id, a new handle and a receive count of 2
    first, second = events
    assert first["messageId"] == second["messageId"]
    assert first["receiptHandle"] != second["receiptHandle"]
    assert second["attributes"]["ApproximateReceiveCount"] == "2"
    assert lab.trace.filter("visibility_expired")[0]["message_id"] == first["messageId"]


def test_a_partial_batch_response_keeps_only_the_listed_messages(lab):
    # GIVEN a handler that reports the odd numbers failed, once each
    tried = []

    def handler(event, context):
        failures = []
        for record in event["Records"]:
            n = int(record["body"])
            tried.append(n)
            if n % 2 and tried.count(n) == 1:
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    queue, _ = setup(
        lab,
        handler,
        queue_kwargs={"visibility_timeout": 10},
        function_response_types=["ReportBatchItemFailures"],
    )
    for n in range(6):
        queue.send_message(str(n))
    # WHEN the lab runs
    lab.run()
    # THEN the even ones ran once, the odd ones twice, and everything was deleted at the end
    assert sorted(tried) == [0, 1, 1, 2, 3, 3, 4, 5, 5]
    (failed,) = lab.trace.filter("batch_failed")
    assert failed["reason"] == "partial_response" and len(failed["failed"]) == 3
    assert len(queue) == 0


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"foo": "notvalid"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]},
        {"batchItemFailures": "everything"},
    ],
)
def test_an_invalid_partial_response_fails_the_whole_batch(lab, response):
    # GIVEN a handler answering with an invalid partial response the first time
    calls = []

    def handler(event, context):
        calls.append(1)
        return response if len(calls) == 1 else {}

    queue, _ = setup(
        lab,
        handler,
        queue_kwargs={"visibility_timeout": 10},
        function_response_types=["ReportBatchItemFailures"],
    )
    queue.send_message("a")
    queue.send_message("b")
    # WHEN the lab runs THEN both messages came back for a second batch
    lab.run()
    (failed,) = lab.trace.filter("batch_failed")
    assert failed["reason"] == "invalid_partial_response" and len(failed["failed"]) == 2
    assert [b["size"] for b in batches(lab)] == [2, 2]


@pytest.mark.parametrize(
    "payload",
    [None, "", [], {}, {"batchItemFailures": []}, {"batchItemFailures": None}, {"ok": 1}],
)
def test_success_responses_report_no_failure(payload):
    # GIVEN AWS's complete-success answers WHEN read THEN nothing failed
    assert batch_item_failures(payload, {"a"}) == []


def test_a_partial_response_names_the_failed_ids():
    # GIVEN a valid response naming one id WHEN read THEN that id, and an unknown one is invalid
    assert batch_item_failures({"batchItemFailures": [{"itemIdentifier": "a"}]}, {"a", "b"}) == [
        "a"
    ]
    assert batch_item_failures({"batchItemFailures": [{"itemIdentifier": "c"}]}, {"a"}) is INVALID


def test_a_throttled_batch_is_retried_without_a_receive(lab):
    # GIVEN a function with reserved concurrency 1, busy for 2 s with another request
    queue, _ = setup(
        lab,
        lambda e, c: None,
        fn_kwargs={"reserved_concurrency": 1, "duration": 2.0},
        queue_kwargs={"visibility_timeout": 30},
    )
    lab.invoke("f", {}, invocation_type="Event")
    lab.run(until=0.5)
    queue.send_message("x")
    # WHEN the lab runs
    lab.run()
    # THEN the batch was throttled, invoked again after its backoff, and deleted; one receive
    assert lab.trace.filter("batch_failed", reason="throttle")
    assert batches(lab)[-1]["trigger"] == "retry"
    assert len(queue) == 0
    assert len(deleted_ids(lab)) == 1


# -- FIFO ---------------------------------------------------------------------------------


def test_fifo_keeps_order_per_group_with_one_batch_per_group_in_flight(lab):
    # GIVEN a FIFO queue with two groups, batches of 2
    order = []
    queue = lab.create_queue("q.fifo", content_based_deduplication=True)
    lab.create_function("f", lambda e, c: order.extend(r["body"] for r in e["Records"]), duration=1)
    lab.create_event_source_mapping(event_source_arn=queue, function_name="f", batch_size=2)
    for i in range(4):
        queue.send_message(f"a{i}", message_group_id="a")
        queue.send_message(f"b{i}", message_group_id="b")
    # WHEN the lab runs
    lab.run()
    # THEN each group's messages arrived in order
    assert [m for m in order if m[0] == "a"] == ["a0", "a1", "a2", "a3"]
    assert [m for m in order if m[0] == "b"] == ["b0", "b1", "b2", "b3"]


def test_a_failing_fifo_group_blocks_until_its_message_succeeds(lab):
    # GIVEN a FIFO group whose first message fails once
    order = []

    def handler(event, context):
        for record in event["Records"]:
            order.append(record["body"])
            if record["body"] == "a0" and order.count("a0") == 1:
                raise ValueError("a0 fails once")

    queue = lab.create_queue("q.fifo", content_based_deduplication=True, visibility_timeout=10)
    lab.create_function("f", handler, duration=0.1)
    lab.create_event_source_mapping(event_source_arn=queue, function_name="f", batch_size=1)
    for i in range(3):
        queue.send_message(f"a{i}", message_group_id="a")
    # WHEN the lab runs THEN nothing of the group ran before a0 succeeded
    lab.run()
    assert order == ["a0", "a0", "a1", "a2"]


def test_fifo_deduplicates_within_five_minutes(lab):
    # GIVEN a FIFO queue
    queue = lab.create_queue("q.fifo")
    first = queue.send_message("x", message_group_id="g", message_deduplication_id="d")
    # WHEN the same deduplication id comes again within 5 minutes THEN it is not added
    lab.run(until=299)
    again = queue.send_message("y", message_group_id="g", message_deduplication_id="d")
    assert again["MessageId"] == first["MessageId"] and len(queue) == 1
    # AND after 5 minutes it is a new message
    lab.run(until=301)
    later = queue.send_message("z", message_group_id="g", message_deduplication_id="d")
    assert later["MessageId"] != first["MessageId"] and len(queue) == 2
    assert int(later["SequenceNumber"]) > int(first["SequenceNumber"])


# -- filters, scaling, state -----------------------------------------------------------------


def test_messages_matching_no_filter_are_deleted_before_batching(lab):
    # GIVEN a mapping that takes only bodies with status "ok"
    seen = []
    queue, _ = setup(
        lab,
        lambda e, c: seen.extend(json.loads(r["body"])["n"] for r in e["Records"]),
        filter_criteria={"Filters": [{"Pattern": json.dumps({"body": {"status": ["ok"]}})}]},
    )
    for n in range(4):
        queue.send_message(json.dumps({"n": n, "status": "ok" if n % 2 else "bad"}))
    queue.send_message("plain text")
    # WHEN the lab runs
    lab.run()
    # THEN the function saw the matching ones; the rest were deleted as filtered
    assert seen == [1, 3]
    assert len(deleted_ids(lab, "filtered")) == 3
    assert len(queue) == 0


def test_pollers_start_at_5_and_scale_by_300_a_minute_up_to_the_cap(lab):
    # GIVEN a long backlog, slow batches of 1 and a maximum concurrency of 400
    queue, _ = setup(
        lab,
        lambda e, c: None,
        fn_kwargs={"duration": 50, "timeout": 60},
        queue_kwargs={"visibility_timeout": 360},
        batch_size=1,
        scaling_config={"MaximumConcurrency": 400},
    )
    for i in range(2000):
        queue.send_message(f"m{i}")
    # WHEN three minutes pass
    lab.run(until=185)
    # THEN 5, then 305, then the cap of 400
    assert [r["concurrency"] for r in lab.trace.filter("mapping_scaled")][:2] == [305, 400]
    assert len([b for b in batches(lab) if b["t"] == 0]) == 5


def test_disabling_stops_polling_and_in_flight_batches_finish(lab):
    # GIVEN a mapping with a batch in flight
    queue, answer = setup(
        lab, lambda e, c: None, fn_kwargs={"duration": 5, "timeout": 10}, batch_size=1
    )
    queue.send_message("first")
    lab.run(until=1)
    # WHEN it is disabled and another message arrives
    lab.update_event_source_mapping(answer["UUID"], enabled=False)
    queue.send_message("second")
    lab.run()
    # THEN the first was processed, the second waits, and the state says Disabled
    assert len(batches(lab)) == 1 and len(queue) == 1
    assert lab.get_event_source_mapping(answer["UUID"])["State"] == "Disabled"
    # WHEN it is enabled again THEN the second is processed
    lab.update_event_source_mapping(answer["UUID"], enabled=True)
    lab.run()
    assert len(queue) == 0
    states = [r["state"] for r in lab.trace.filter("mapping_state")]
    assert states == ["Enabled", "Disabling", "Disabled", "Enabling", "Enabled"]


def test_list_update_and_delete(lab):
    # GIVEN a mapping
    queue, answer = setup(lab, lambda e, c: None)
    uuid = answer["UUID"]
    # WHEN its batch size changes THEN the description says so
    assert lab.update_event_source_mapping(uuid, batch_size=5)["BatchSize"] == 5
    assert [m["UUID"] for m in lab.list_event_source_mappings(queue)["EventSourceMappings"]] == [
        uuid
    ]
    # WHEN it is deleted THEN it is Deleting, gone from the list, and unknown after
    assert lab.delete_event_source_mapping(uuid)["State"] == "Deleting"
    assert lab.list_event_source_mappings()["EventSourceMappings"] == []
    with pytest.raises(ll.ResourceNotFoundException):
        lab.get_event_source_mapping(uuid)


def test_get_queue_attributes_counts_visible_in_flight_and_delayed(lab):
    # GIVEN a queue with one visible, one received and one delayed message
    queue = lab.create_queue("q")
    queue.send_message("visible")
    queue.send_message("received")
    queue.receive_message()
    queue.send_message("later", delay_seconds=60)
    # WHEN its attributes are read THEN each state is counted, as strings
    attributes = queue.get_queue_attributes(["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    # AND after 60 s the delayed one and the received one (30 s timeout) are visible too
    lab.run(until=60)
    assert queue.get_queue_attributes(["ApproximateNumberOfMessages"]) == {
        "Attributes": {"ApproximateNumberOfMessages": "3"}
    }


def test_send_message_batch_answers_per_entry(lab):
    # GIVEN a queue WHEN a batch with one bad entry is sent
    queue = lab.create_queue("q")
    answer = queue.send_message_batch(
        [{"Id": "a", "MessageBody": "x"}, {"Id": "b", "MessageBody": ""}]
    )
    # THEN the good one is sent and the bad one fails alone
    assert [e["Id"] for e in answer["Successful"]] == ["a"]
    assert answer["Failed"][0]["Id"] == "b" and answer["Failed"][0]["SenderFault"] is True
    assert len(queue) == 1


def test_expired_messages_are_recorded(lab):
    # GIVEN a queue keeping messages 60 s
    queue = lab.create_queue("q", message_retention_period=60)
    sent = queue.send_message("x")["MessageId"]
    # WHEN it is read after 60 s THEN the message is gone and recorded as expired
    lab.run(until=61)
    assert len(queue) == 0
    (record,) = lab.trace.filter("message_expired")
    assert record["message_id"] == sent and record["expired_at"] == 60


# -- invariants --------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 40),
    batch_size=st.integers(1, 10),
    fail_every=st.integers(2, 6),
    partial=st.booleans(),
    max_receive=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_every_message_ends_exactly_once(n, batch_size, fail_every, partial, max_receive, seed):
    # GIVEN a mapping whose handler fails some messages (wholly or in part), and a DLQ
    lab = ll.Lab(seed=seed, echo_logs=False)
    dlq = lab.create_queue("dlq")
    queue = lab.create_queue(
        "q",
        visibility_timeout=5,
        redrive_policy={"deadLetterTargetArn": dlq, "maxReceiveCount": max_receive},
    )

    def handler(event, context):
        bad = [r for r in event["Records"] if int(r["body"]) % fail_every == 0]
        if bad and not partial:
            raise ValueError("bad batch")
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in bad]}

    lab.create_function("f", handler, duration=0.5)
    kwargs = {"function_response_types": ["ReportBatchItemFailures"]} if partial else {}
    lab.create_event_source_mapping(
        event_source_arn=queue, function_name="f", batch_size=batch_size, **kwargs
    )
    sent = [queue.send_message(str(i))["MessageId"] for i in range(n)]
    # WHEN the lab runs
    lab.run()
    # THEN each message ended exactly once: deleted after success, or moved to the DLQ
    ended = deleted_ids(lab) + [r["message_id"] for r in lab.trace.filter("message_redriven")]
    assert sorted(ended) == sorted(sent)
    assert len(queue) == 0
    # AND no message was in two batches at once: a message's batches are a visibility apart
    last_seen: dict[str, float] = {}
    for batch in batches(lab):
        assert batch["size"] <= batch_size
        for message_id in batch["message_ids"]:
            if message_id in last_seen:
                assert batch["t"] >= last_seen[message_id] + 5
            last_seen[message_id] = batch["t"]
    # AND every record matches its declared kind
    for record in lab.trace:
        check(record)


# -- the 15-minute lesson ------------------------------------------------------------------


def test_largest_batch_fits_the_timeout_with_its_margin():
    # GIVEN 15 minutes and 1 s a record WHEN sized THEN 20% stays spare by default
    assert ll.largest_batch(900, 1.0) == 720
    assert ll.largest_batch(900, 1.0, margin=0) == 900
    assert ll.largest_batch(60, 0.5, margin=0.5, overhead=5) == 50
    # AND impossible or bad inputs are refused with the field named
    with pytest.raises(ll.InvalidParameterValueException, match="no batch fits"):
        ll.largest_batch(1, 2.0)
    with pytest.raises(ll.InvalidParameterValueException, match="timeout must be between"):
        ll.largest_batch(901, 1.0)
    with pytest.raises(ll.InvalidParameterValueException, match="margin"):
        ll.largest_batch(900, 1.0, margin=1)


def test_an_oversized_batch_times_out_until_redrive_and_a_sized_one_fits(lab):
    # GIVEN a function with a 60 s timeout whose work is 1 s a record, a DLQ after 2 receives
    def run(batch_size):
        lab = ll.Lab(seed=1, echo_logs=False)
        dlq = lab.create_queue("dlq")
        queue = lab.create_queue(
            "q",
            visibility_timeout=360,
            redrive_policy={"deadLetterTargetArn": dlq, "maxReceiveCount": 2},
        )
        lab.create_function(
            "f", lambda e, c: None, timeout=60, duration=lambda event: len(event["Records"]) * 1.0
        )
        lab.create_event_source_mapping(
            event_source_arn=queue,
            function_name="f",
            batch_size=batch_size,
            maximum_batching_window_in_seconds=1,
        )
        for i in range(batch_size):
            queue.send_message(str(i))
        lab.run()
        return lab, dlq

    # WHEN a batch of 100 runs THEN it times out every time and ends in the DLQ
    big, dlq = run(100)
    errors = {r["error_type"] for r in big.trace.filter("attempt_ended")}
    assert errors == {"Sandbox.Timedout"} and len(dlq) == 100
    # WHEN the batch is sized with largest_batch THEN it succeeds at once
    fitted, dlq = run(ll.largest_batch(60, 1.0))
    assert {r["status"] for r in fitted.trace.filter("attempt_ended")} == {"ok"}
    assert len(dlq) == 0


# -- details that decide real outcomes -------------------------------------------------------


def _sqs_md5(attributes):
    """SQS's documented encoding, written out independently of lambda_lab's."""
    import hashlib
    import struct

    out = b""
    for name in sorted(attributes):
        value = attributes[name]
        out += struct.pack(">I", len(name.encode())) + name.encode()
        out += struct.pack(">I", len(value["DataType"].encode())) + value["DataType"].encode()
        if "BinaryValue" in value:
            out += b"\x02" + struct.pack(">I", len(value["BinaryValue"])) + value["BinaryValue"]
        else:
            data = value["StringValue"].encode()
            out += b"\x01" + struct.pack(">I", len(data)) + data
    return hashlib.md5(out).hexdigest()


def test_md5_of_several_attributes_sorts_names_and_encodes_binary_values():
    # GIVEN string, number and binary attributes given out of order
    attributes = {
        "zeta": {"DataType": "String", "StringValue": "last"},
        "alpha": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
        "mid": {"DataType": "Number", "StringValue": "42"},
    }
    # WHEN hashed THEN it is SQS's digest of the sorted, length-prefixed parts
    assert md5_of_message_attributes(attributes) == _sqs_md5(attributes)


def test_binary_attributes_reach_the_record_as_binary_values(lab):
    # GIVEN a message with a binary and a string attribute
    events = []
    queue, _ = setup(lab, lambda e, c: events.append(e))
    attributes = {
        "blob": {"DataType": "Binary", "BinaryValue": "AAE="},
        "kind": {"DataType": "String.custom", "StringValue": "x"},
    }
    queue.send_message("m", message_attributes=attributes)
    # WHEN the mapping delivers it
    lab.run()
    (record,) = events[0]["Records"]
    # THEN each attribute has AWS's lower-camel keys and its own data type
    assert record["messageAttributes"] == {
        "blob": {
            "binaryValue": "AAE=",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
        "kind": {
            "stringValue": "x",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String.custom",
        },
    }


def test_bytes_binary_values_reach_the_record_base64_encoded(lab):
    # GIVEN a message whose binary attribute was sent as bytes (as boto3 takes it)
    events = []
    queue, _ = setup(lab, lambda e, c: events.append(e))
    queue.send_message(
        "m", message_attributes={"blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}}
    )
    # WHEN the mapping delivers it
    lab.run()
    # THEN the record carries it base64-encoded, as the JSON event AWS sends
    (record,) = events[0]["Records"]
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="


def test_a_handler_changing_its_event_changes_nothing_in_the_queue(lab):
    # GIVEN a handler that rewrites every part of its batch, then fails once
    events = []

    def handler(event, context):
        record = event["Records"][0]
        events.append(json.loads(json.dumps(record)))
        record["body"] = "changed"
        record["attributes"]["ApproximateReceiveCount"] = "99"
        record["messageAttributes"]["kind"]["stringValue"] = "changed"
        record["messageAttributes"]["kind"]["stringListValues"].append("changed")
        event["Records"].append({"messageId": "forged"})
        if len(events) == 1:
            raise ValueError("first time")

    queue, _ = setup(lab, handler, queue_kwargs={"visibility_timeout": 10})
    queue.send_message("x", message_attributes={"kind": {"DataType": "String", "StringValue": "k"}})
    # WHEN the message is delivered twice
    lab.run()
    # THEN the second delivery is built from the message as sent, not from the changes
    first, second = events
    assert second["body"] == "x"
    assert second["attributes"]["ApproximateReceiveCount"] == "2"
    assert second["messageAttributes"] == first["messageAttributes"]
    assert second["messageAttributes"]["kind"]["stringValue"] == "k"
    assert second["messageAttributes"]["kind"]["stringListValues"] == []
    assert [r["size"] for r in batches(lab)] == [1, 1]


def test_throttle_retries_back_off_doubling_then_give_up_near_the_visibility_timeout(lab):
    # GIVEN a function whose only slot stays busy 100 s, and a queue hiding for 12 s
    queue, _ = setup(
        lab,
        lambda e, c: None,
        fn_kwargs={"reserved_concurrency": 1, "duration": 100.0, "timeout": 120},
        queue_kwargs={"visibility_timeout": 120},
        batch_size=1,
    )
    lab.create_function("blocker", lambda e, c: None)
    lab.invoke("f", {}, invocation_type="Event")
    lab.run(until=0.5)
    queue.send_message("x")
    lab.run(until=100)
    # THEN the batch was retried after 1, 2, 4, 8, ... s, and only while the message was hidden
    times = [b["t"] for b in batches(lab)]
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(times)]
    assert gaps[:4] == [1.0, 2.0, 4.0, 8.0]
    assert all(t < 0.5 + 120 for t in times)
    throttled = lab.trace.filter("batch_failed", reason="throttle")
    assert len(throttled) == len(times)
    # AND each throttle lowered nothing below the starting 5
    assert all(r["concurrency"] >= 5 for r in lab.trace.filter("mapping_scaled"))


def test_function_errors_back_off_concurrency_by_one_but_partial_responses_do_not(lab):
    # GIVEN a mapping scaled to 305 by a long backlog, then failing batches
    def run(partial):
        lab = ll.Lab(seed=1, echo_logs=False)
        queue = lab.create_queue("q", visibility_timeout=600)
        calls = []

        def handler(event, context):
            calls.append(1)
            if len(calls) > 400:
                if partial:
                    return {
                        "batchItemFailures": [
                            {"itemIdentifier": r["messageId"]} for r in event["Records"]
                        ]
                    }
                raise ValueError("down")
            return None

        lab.create_function("f", handler, duration=50, timeout=60)
        kwargs = {"function_response_types": ["ReportBatchItemFailures"]} if partial else {}
        lab.create_event_source_mapping(
            event_source_arn=queue, function_name="f", batch_size=1, **kwargs
        )
        for i in range(3000):
            queue.send_message(str(i))
        lab.run(until=200)
        return [r for r in lab.trace.filter("mapping_scaled")]

    whole = run(partial=False)
    # THEN whole-batch errors lower the concurrency one step at a time
    backoffs = [r for r in whole if r["reason"] == "backoff"]
    assert backoffs and all(
        b["concurrency"] == a["concurrency"] - 1 for a, b in itertools.pairwise(backoffs)
    )
    # AND partial responses never do
    assert [r for r in run(partial=True) if r["reason"] == "backoff"] == []


def test_an_idle_mapping_falls_back_to_5_and_schedules_nothing(lab):
    # GIVEN a mapping scaled up by a backlog that then drains
    queue, _ = setup(
        lab,
        lambda e, c: None,
        fn_kwargs={"duration": 30, "timeout": 60},
        queue_kwargs={"visibility_timeout": 360},
        batch_size=1,
    )
    for i in range(400):
        queue.send_message(str(i))
    # WHEN the lab runs to the end
    lab.run()
    # THEN it scaled up, fell back to 5 when idle, and the run ended (nothing left scheduled)
    reasons = [(r["reason"], r["concurrency"]) for r in lab.trace.filter("mapping_scaled")]
    assert reasons[0] == ("scale_up", 305) and reasons[-1] == ("idle", 5)
    assert len(queue) == 0
    assert len(lab.engine) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 1.0), "timeout must be a positive number"),
        ((True, 1.0), "timeout must be a positive number"),
        ((900, 0), "per_record must be a positive number"),
        ((900, "1"), "per_record must be a positive number"),
        ((900, 1.0, -0.1), "margin must be a share"),
        ((900, 1.0, True), "margin must be a share"),
        ((900, 1.0, 0.2, -1), "overhead must be a non-negative number"),
        ((900, 1.0, 0.2, True), "overhead must be a non-negative number"),
    ],
)
def test_largest_batch_refuses_each_bad_input(args, message):
    # GIVEN a bad input WHEN sizing THEN the message names the field
    with pytest.raises(ll.InvalidParameterValueException, match=message):
        ll.largest_batch(*args)


def test_largest_batch_is_exact_at_the_edges():
    # GIVEN budgets that divide exactly, and the 10,000 cap
    assert ll.largest_batch(900, 0.9, margin=0) == 1000
    assert ll.largest_batch(10, 1.0, margin=0, overhead=2) == 8
    assert ll.largest_batch(900, 0.001, margin=0) == 10000
    assert ll.largest_batch(1, 1.0, margin=0) == 1


def test_mapping_metrics_keep_cloudwatch_names_apart_from_ours(lab):
    # GIVEN 25 messages, one filtered out, drained by a mapping
    queue, answer = setup(
        lab,
        lambda e, c: None,
        filter_criteria={"Filters": [{"Pattern": json.dumps({"body": {"keep": [True]}})}]},
    )
    for n in range(24):
        queue.send_message(json.dumps({"keep": True, "n": n}))
    queue.send_message(json.dumps({"keep": False}))
    # WHEN the lab runs
    lab.run()
    metrics = lab.mapping_metrics(answer["UUID"])
    ours = lab.mapping_simulation_metrics(answer["UUID"])
    # THEN CloudWatch's SQS names hold the deletes and the depth as batches left
    assert metrics["NumberOfMessagesDeleted"] == 24
    assert [v for _, v in metrics["ApproximateNumberOfMessagesVisible"]] == [15, 5, 0]
    assert [v for _, v in metrics["ApproximateNumberOfMessagesNotVisible"]] == [10, 20, 24]
    assert "IteratorAge" not in metrics
    # AND ours count batches by trigger and the filtered message
    assert ours["batches"] == 3 and ours["records_in_batches"] == 24
    assert ours["batches_by_trigger"] == {"batch_size": 2, "drained": 1}
    assert ours["messages_filtered"] == 1 and ours["failed_batches"] == {}
