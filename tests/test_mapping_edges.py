"""Edges of event source mappings found by mutation testing, as GIVEN / WHEN / THEN scenarios."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

import lambda_lab as ll


def test_a_poison_record_retried_for_a_day_backs_off_at_60_s_until_it_expires():
    # GIVEN a stream mapping with the defaults (retry for ever) and a handler that always fails
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("clicks")
    lab.create_function("f", lambda e, c: 1 / 0)
    lab.create_event_source_mapping(
        event_source_arn=stream, function_name="f", starting_position="TRIM_HORIZON"
    )
    stream.put_record(json.dumps({"n": 1}), partition_key="k")
    # WHEN the lab runs until the record is gone (24 h retention)
    lab.run()
    # THEN it was retried every 60 s at most (more than 1,024 times) and then expired
    batches = lab.trace.filter("batch")
    assert len(batches) > 1025
    gaps = {round(b["t"] - a["t"]) for a, b in pairwise(batches[60:])}
    assert gaps == {60}
    (expired,) = lab.trace.filter("stream_records_expired")
    assert expired["count"] == 1 and batches[-1]["t"] < 24 * 3600


def test_a_dynamodb_table_is_not_an_event_source_its_stream_is():
    # GIVEN a table with a stream
    lab = ll.Lab(seed=1)
    table = lab.create_table(
        "accounts",
        key_schema=[{"AttributeName": "id", "KeyType": "HASH"}],
        stream_specification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    lab.create_function("f", lambda e, c: None)
    # WHEN the table itself is named as the source THEN it is refused as no source at all
    for extra in ({}, {"topics": ["accounts"]}):
        with pytest.raises(ll.InvalidParameterValueException, match="Unsupported event source"):
            lab.create_event_source_mapping(event_source_arn=table, function_name="f", **extra)
    # AND its stream is accepted
    answer = lab.create_event_source_mapping(
        event_source_arn=table.latest_stream_arn, function_name="f", starting_position="LATEST"
    )
    assert answer["EventSourceArn"] == table.latest_stream_arn


def test_an_sqs_filter_sees_the_receive_count_the_handler_gets():
    # GIVEN a filter that keeps messages on their first receive only
    lab = ll.Lab(seed=1, echo_logs=False)
    queue = lab.create_queue("q")
    seen = []
    lab.create_function(
        "f",
        lambda e, c: seen.extend(r["attributes"]["ApproximateReceiveCount"] for r in e["Records"]),
    )
    pattern = json.dumps({"attributes": {"ApproximateReceiveCount": ["1"]}})
    lab.create_event_source_mapping(
        event_source_arn=queue,
        function_name="f",
        filter_criteria={"Filters": [{"Pattern": pattern}]},
    )
    queue.send_message("hello")
    # WHEN the lab runs
    lab.run()
    # THEN the message was delivered, with the count the filter matched
    assert seen == ["1"]
    assert lab.trace.filter("messages_deleted", reason="filtered") == []
