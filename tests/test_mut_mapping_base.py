"""What every event source mapping shares, against surviving mutants: its whole boto3
description, its ARN, and the states of a mapping deleted before it settled or after.

Scenarios in GIVEN / WHEN / THEN form, on boto3-shaped answers and the trace.
"""

from __future__ import annotations

import json

import pytest

import lambda_lab as ll

FILTER = {"Filters": [{"Pattern": json.dumps({"body": {"keep": [True]}})}]}


@pytest.fixture
def lab() -> ll.Lab:
    return ll.Lab(seed=13)


def test_the_description_is_boto3s_in_full_with_every_optional_part(lab):
    # GIVEN a queue and a function, at 2 s
    lab.run(until=2)
    queue = lab.create_queue("q")
    lab.create_function("f", lambda e, c: None)
    # WHEN a mapping with partial responses, a filter and a concurrency cap is made
    answer = lab.create_event_source_mapping(
        queue,
        "f",
        batch_size=20,
        maximum_batching_window_in_seconds=3,
        function_response_types=["ReportBatchItemFailures"],
        filter_criteria=FILTER,
        scaling_config={"MaximumConcurrency": 7},
    )
    uuid = answer["UUID"]
    # THEN the description holds every field, in boto3's names
    assert answer == {
        "UUID": uuid,
        "BatchSize": 20,
        "MaximumBatchingWindowInSeconds": 3,
        "EventSourceArn": queue.arn,
        "FunctionArn": lab.function_arn("f"),
        "LastModified": lab.clock.datetime(2),
        "State": "Creating",
        "StateTransitionReason": "USER_INITIATED",
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "EventSourceMappingArn": (
            f"arn:aws:lambda:us-east-1:123456789012:event-source-mapping:{uuid}"
        ),
        "FilterCriteria": FILTER,
        "ScalingConfig": {"MaximumConcurrency": 7},
    }


def test_a_plain_description_leaves_the_optional_parts_out(lab):
    # GIVEN a mapping with SQS's defaults
    queue = lab.create_queue("q")
    lab.create_function("f", lambda e, c: None)
    answer = lab.create_event_source_mapping(queue, "f")
    # THEN neither a filter nor a scaling config is described, and no response types
    assert "FilterCriteria" not in answer and "ScalingConfig" not in answer
    assert answer["FunctionResponseTypes"] == []
    # AND an update at 4 s moves LastModified
    lab.run(until=4)
    updated = lab.update_event_source_mapping(answer["UUID"], batch_size=5)
    assert updated["LastModified"] == lab.clock.datetime(4)
    assert updated["BatchSize"] == 5


def test_a_mapping_deleted_before_it_settled_never_becomes_enabled(lab):
    # GIVEN a mapping just created (still Creating) on a queue with a message
    queue = lab.create_queue("q")
    queue.send_message("x")
    lab.create_function("f", lambda e, c: None)
    uuid = lab.create_event_source_mapping(queue, "f")["UUID"]
    # WHEN it is deleted at once, and time moves
    assert lab.delete_event_source_mapping(uuid)["State"] == "Deleting"
    lab.run()
    # THEN it only ever was Deleting, and the message was never polled
    assert [r["state"] for r in lab.trace.filter("mapping_state")] == ["Deleting"]
    assert lab.trace.filter("batch") == [] and len(queue) == 1


def test_a_deleted_mapping_polls_no_more(lab):
    # GIVEN an enabled mapping that has drained its queue
    queue = lab.create_queue("q")
    lab.create_function("f", lambda e, c: None)
    uuid = lab.create_event_source_mapping(queue, "f")["UUID"]
    queue.send_message("first")
    lab.run(until=5)
    assert len(lab.trace.filter("batch")) == 1
    # WHEN it is deleted and another message arrives
    lab.delete_event_source_mapping(uuid)
    queue.send_message("second")
    lab.run(until=60)
    # THEN that message stays in the queue
    assert len(lab.trace.filter("batch")) == 1
    assert queue.bodies == ["second"]
