"""Event source mappings on Kinesis and DynamoDB streams: order, blocking, bisect, checkpoints.

Scenarios in GIVEN / WHEN / THEN form on the trace, in virtual time.
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lambda_lab as ll
from lambda_lab.sim.trace.kinds import check

#: The on-failure queue every scenario's lab has (made before its mapping).
FAILURES = "arn:aws:sqs:us-east-1:123456789012:failures"


def numbers(event):
    return [json.loads(base64.b64decode(r["kinesis"]["data"]))["n"] for r in event["Records"]]


def stream_lab(handler, records=8, shards=1, **mapping):
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders", shard_count=shards)
    failures = lab.create_queue("failures")
    lab.create_function("f", handler, duration=0.1)
    mapping.setdefault("starting_position", "TRIM_HORIZON")
    answer = lab.create_event_source_mapping(event_source_arn=stream, function_name="f", **mapping)
    for n in range(records):
        stream.put_record(json.dumps({"n": n}), partition_key=f"k{n % 3}")
    return lab, stream, failures, answer


def test_records_arrive_in_order_and_the_shard_checkpoints(lab):
    # GIVEN a stream of 8 records and batches of 3
    seen = []
    lab, *_ = stream_lab(lambda e, c: seen.extend(numbers(e)), batch_size=3)
    # WHEN the lab runs
    lab.run()
    # THEN every record came once, in order, and the checkpoint is past the last
    assert seen == list(range(8))
    assert [b["size"] for b in lab.trace.filter("batch")] == [3, 3, 2]
    assert lab.trace.filter("checkpoint")[-1]["position"] == 8


def test_a_poison_record_blocks_the_shard_until_retries_run_out(lab):
    # GIVEN a handler that always fails on record 3, two retries, and an on-failure queue
    seen = []

    def handler(event, context):
        for n in numbers(event):
            seen.append(n)
            if n == 3:
                raise ValueError("poison")

    lab, stream, failures, _ = stream_lab(
        handler,
        batch_size=5,
        maximum_retry_attempts=2,
        destination_config={"OnFailure": {"Destination": FAILURES}},
    )
    # WHEN the lab runs
    lab.run()
    # THEN the first batch ran 3 times before anything after it, then the shard moved on
    assert seen == [0, 1, 2, 3] * 3 + [5, 6, 7]
    (discarded,) = lab.trace.filter("stream_batch_discarded")
    assert discarded["condition"] == "RetryAttemptsExhausted" and discarded["size"] == 5
    # AND the on-failure record has AWS's keys, metadata only, in 7.5's order
    (record,) = failures.bodies
    assert list(record) == [
        "requestContext",
        "responseContext",
        "version",
        "timestamp",
        "KinesisBatchInfo",
    ]
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"]["functionError"] == "Unhandled"
    info = record["KinesisBatchInfo"]
    assert info["batchSize"] == 5 and info["streamArn"] == stream.arn
    assert list(info) == [
        "shardId",
        "startSequenceNumber",
        "endSequenceNumber",
        "approximateArrivalOfFirstRecord",
        "approximateArrivalOfLastRecord",
        "batchSize",
        "streamArn",
    ]


def test_with_infinite_retries_a_poison_record_blocks_the_shard(lab):
    # GIVEN the defaults (retry for ever) and a poison record at 0
    seen = []

    def handler(event, context):
        seen.extend(numbers(event))
        raise ValueError("poison")

    lab, *_ = stream_lab(handler, batch_size=2)
    # WHEN ten minutes pass
    lab.run(until=600)
    # THEN only the first batch was ever tried: nothing after it
    assert set(seen) == {0, 1}
    assert len(lab.trace.filter("batch")) > 10


def test_bisect_isolates_the_poison_record_without_spending_attempts(lab):
    # GIVEN bisecting on, no retries, and a poison record 3 in a batch of 8
    seen = []

    def handler(event, context):
        batch = numbers(event)
        seen.append(batch)
        if 3 in batch:
            raise ValueError("poison")

    lab, _, failures, _ = stream_lab(
        handler,
        batch_size=8,
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=0,
        destination_config={"on_failure": FAILURES},
    )
    # WHEN the lab runs
    lab.run()
    # THEN the batch was halved down to the record alone, which alone was given up
    assert seen[:4] == [[0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3], [0, 1], [2, 3]]
    assert [b["sizes"] for b in lab.trace.filter("batch_bisected")] == [[4, 4], [2, 2], [1, 1]]
    (discarded,) = lab.trace.filter("stream_batch_discarded")
    assert discarded["size"] == 1
    assert failures.bodies[0]["KinesisBatchInfo"]["batchSize"] == 1
    processed = sorted(n for batch in seen if 3 not in batch for n in batch)
    assert processed == [0, 1, 2, 4, 5, 6, 7]


def test_a_partial_response_checkpoints_at_the_lowest_failed_sequence_number(lab):
    # GIVEN a handler that reports records 5 and 2 failed once
    seen = []

    def handler(event, context):
        failures = []
        for record in event["Records"]:
            n = json.loads(base64.b64decode(record["kinesis"]["data"]))["n"]
            seen.append(n)
            if n in (2, 5) and seen.count(n) == 1:
                failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
        return {"batchItemFailures": failures}

    lab, *_ = stream_lab(handler, batch_size=8, function_response_types=["ReportBatchItemFailures"])
    # WHEN the lab runs
    lab.run()
    # THEN the retry starts at record 2 (the lowest) and redelivers everything after it
    assert seen == [0, 1, 2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6, 7]
    assert lab.trace.filter("checkpoint")[0]["position"] == 2


def test_an_invalid_partial_response_fails_the_batch_with_a_null_function_error(lab):
    # GIVEN a handler answering with an unknown identifier, and no retries
    lab, _, failures, _ = stream_lab(
        lambda e, c: {"batchItemFailures": [{"itemIdentifier": "nope"}]},
        records=2,
        maximum_retry_attempts=0,
        function_response_types=["ReportBatchItemFailures"],
        destination_config={"on_failure": FAILURES},
    )
    # WHEN the lab runs THEN the batch is given up, its functionError null (7.5)
    lab.run()
    (record,) = failures.bodies
    assert record["responseContext"]["functionError"] is None
    assert lab.trace.filter("batch_failed")[0]["reason"] == "invalid_partial_response"


def test_records_older_than_the_maximum_age_are_dropped_and_reported_alone(lab):
    # GIVEN records put 2 minutes before the mapping starts, and a maximum age of 60 s
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    failures = lab.create_queue("failures")
    for n in range(2):
        stream.put_record(json.dumps({"n": n}), partition_key="k")
    lab.run(until=120)
    seen = []
    lab.create_function("f", lambda e, c: seen.extend(numbers(e)))
    lab.create_event_source_mapping(
        event_source_arn=stream,
        function_name="f",
        starting_position="TRIM_HORIZON",
        maximum_record_age_in_seconds=60,
        destination_config={"on_failure": failures},
    )
    # WHEN the lab runs
    lab.run()
    # THEN the function never saw them; each was reported alone, with no responseContext
    assert seen == []
    assert [r["KinesisBatchInfo"]["batchSize"] for r in failures.bodies] == [1, 1]
    assert all(r["requestContext"]["condition"] == "RecordAgeExceeded" for r in failures.bodies)
    assert all("responseContext" not in r for r in failures.bodies)


def test_latest_skips_what_was_there_and_filters_skip_records(lab):
    # GIVEN records already in the stream, and a mapping from LATEST taking even numbers only
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    stream.put_record(json.dumps({"n": 100}), partition_key="k")
    seen = []
    lab.create_function("f", lambda e, c: seen.extend(numbers(e)))
    pattern = json.dumps({"data": {"n": [0, 2, 4]}})
    lab.create_event_source_mapping(
        event_source_arn=stream,
        function_name="f",
        starting_position="LATEST",
        filter_criteria={"Filters": [{"Pattern": pattern}]},
    )
    # WHEN new records arrive
    for n in range(5):
        stream.put_record(json.dumps({"n": n}), partition_key="k")
    lab.run()
    # THEN only the new, matching ones were delivered
    assert seen == [0, 2, 4]


def test_records_that_only_a_filter_skipped_still_move_the_checkpoint(lab):
    # GIVEN a one-lane mapping that takes n = 1 only, waiting on an empty shard
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    seen = []
    lab.create_function("f", lambda e, c: seen.extend(numbers(e)))
    lab.create_event_source_mapping(
        event_source_arn=stream,
        function_name="f",
        starting_position="TRIM_HORIZON",
        filter_criteria={"Filters": [{"Pattern": json.dumps({"data": {"n": [1]}})}]},
    )
    lab.run()
    # WHEN two records that match nothing arrive
    stream.put_record(json.dumps({"n": 0}), partition_key="k")
    stream.put_record(json.dumps({"n": 2}), partition_key="k")
    lab.run()
    # THEN nothing was invoked, and the shard's checkpoint moved past both
    assert seen == []
    assert [c["position"] for c in lab.trace.filter("checkpoint")] == [2]
    # WHEN a matching record follows THEN it is delivered and the checkpoint passes it
    stream.put_record(json.dumps({"n": 1}), partition_key="k")
    lab.run()
    assert seen == [1]
    assert [c["position"] for c in lab.trace.filter("checkpoint")] == [2, 3]


def test_a_dynamodb_stream_delivers_inserts_modifies_and_removes(lab):
    # GIVEN a table with a stream and a mapping on it
    events = []
    table = lab.create_table(
        "accounts",
        key_schema=[{"AttributeName": "id", "KeyType": "HASH"}],
        stream_specification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    lab.create_function("f", lambda e, c: events.extend(e["Records"]))
    answer = lab.create_event_source_mapping(
        event_source_arn=table.latest_stream_arn,
        function_name="f",
        starting_position="TRIM_HORIZON",
    )
    # WHEN an item is written, changed and deleted
    table.put_item({"id": {"S": "a"}, "balance": {"N": "20"}})
    table.update_item({"id": {"S": "a"}}, {"balance": {"N": "30"}})
    table.delete_item({"id": {"S": "a"}})
    lab.run()
    # THEN the function saw the three changes in order, as DynamoDB's records
    assert [e["eventName"] for e in events] == ["INSERT", "MODIFY", "REMOVE"]
    assert events[1]["dynamodb"]["OldImage"]["balance"] == {"N": "20"}
    assert events[1]["eventVersion"] == "1.1"
    assert answer["StateTransitionReason"] == "User action"
    assert answer["MaximumRetryAttempts"] == -1 and answer["BatchSize"] == 100


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"starting_position": None}, "Value null at 'startingPosition'"),
        ({"maximum_record_age_in_seconds": 30}, "either -1 \\(forever\\) or between 60"),
        ({"scaling_config": {"MaximumConcurrency": 5}}, "Unsupported ScalingConfig"),
        ({"destination_config": {"OnSuccess": {"Destination": "x"}}}, "OnSuccess"),
        ({"maximum_retry_attempts": 10001}, "between -1 and 10000"),
        ({"parallelization_factor": 11}, "between 1 and 10"),
        ({"tumbling_window_in_seconds": 901}, "between 0 and 900"),
    ],
)
def test_bad_stream_settings_are_refused(lab, kwargs, message):
    # GIVEN a stream and a function
    stream = lab.create_stream("orders")
    lab.create_function("f", lambda e, c: None)
    arguments = {"starting_position": "TRIM_HORIZON", **kwargs}
    if arguments["starting_position"] is None:
        del arguments["starting_position"]
    # WHEN a mapping is asked for THEN it is refused and none exists
    with pytest.raises(ll.LambdaLabError, match=message):
        lab.create_event_source_mapping(event_source_arn=stream, function_name="f", **arguments)
    assert lab.list_event_source_mappings()["EventSourceMappings"] == []


def test_at_timestamp_is_refused_on_dynamodb(lab):
    # GIVEN a table stream WHEN AT_TIMESTAMP is asked for THEN AWS's words refuse it
    table = lab.create_table(
        "accounts",
        key_schema=[{"AttributeName": "id", "KeyType": "HASH"}],
        stream_specification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )
    lab.create_function("f", lambda e, c: None)
    with pytest.raises(ll.InvalidParameterValueException, match="Unsupported starting position"):
        lab.create_event_source_mapping(
            event_source_arn=table.latest_stream_arn,
            function_name="f",
            starting_position="AT_TIMESTAMP",
        )


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(1, 30),
    shards=st.integers(1, 3),
    batch_size=st.integers(1, 6),
    poison=st.integers(0, 40),
    bisect=st.booleans(),
)
def test_order_per_shard_and_nothing_skipped_unless_discarded(
    n, shards, batch_size, poison, bisect
):
    # GIVEN random records over shards, one poison record, and two retries
    delivered: dict[str, list[str]] = {}

    def handler(event, context):
        for record in event["Records"]:
            if json.loads(base64.b64decode(record["kinesis"]["data"]))["n"] == poison:
                raise ValueError("poison")
        for record in event["Records"]:
            shard = record["eventID"].split(":")[0]
            delivered.setdefault(shard, []).append(record["kinesis"]["sequenceNumber"])

    lab, stream, *_ = stream_lab(
        handler,
        records=n,
        shards=shards,
        batch_size=batch_size,
        maximum_retry_attempts=2,
        bisect_batch_on_function_error=bisect,
    )
    # WHEN the lab runs
    lab.run()
    # THEN per shard, successful deliveries are in sequence order
    for sequence_numbers in delivered.values():
        assert sequence_numbers == sorted(sequence_numbers, key=int)
    # AND every record was delivered or is in a discarded batch
    discarded = set()
    for record in lab.trace.filter("stream_batch_discarded"):
        first, last = int(record["first_sequence_number"]), int(record["last_sequence_number"])
        discarded |= {
            r.sequence_number for r in stream.records if first <= int(r.sequence_number) <= last
        }
    delivered_all = {s for seqs in delivered.values() for s in seqs}
    assert {r.sequence_number for r in stream.records} <= delivered_all | discarded
    for record in lab.trace:
        check(record)


# -- Kafka ------------------------------------------------------------------------------------


def test_a_kafka_topic_is_delivered_per_partition_in_offset_order(lab):
    # GIVEN a cluster with a two-partition topic, and a mapping on it
    events = []
    cluster = lab.create_kafka_cluster("payments")
    cluster.create_topic("orders", partitions=2)
    lab.create_function("f", lambda e, c: events.append(e), duration=0.1)
    answer = lab.create_event_source_mapping(
        event_source_arn=cluster,
        function_name="f",
        topics=["orders"],
        starting_position="TRIM_HORIZON",
    )
    # WHEN keyed records are produced
    for i in range(10):
        cluster.produce("orders", json.dumps({"n": i}), key=f"user-{i % 4}")
    lab.run()
    # THEN each event is Kafka's shape, grouped by topic-partition, offsets in order
    assert answer["Topics"] == ["orders"] and answer["MaximumBatchingWindowInSeconds"] == 0.5
    assert all(list(e) == ["eventSource", "eventSourceArn", "bootstrapServers", "records"]
               for e in events)  # fmt: skip
    by_partition: dict[str, list[int]] = {}
    for event in events:
        assert event["eventSource"] == "aws:kafka"
        for name, records in event["records"].items():
            by_partition.setdefault(name, []).extend(r["offset"] for r in records)
    assert sum(len(v) for v in by_partition.values()) == 10
    for offsets in by_partition.values():
        assert offsets == sorted(offsets)
    # AND batches left when the 500 ms default window ended
    assert {b["trigger"] for b in lab.trace.filter("batch")} == {"window"}
    # AND an update keeps the topic, the position and the default window
    updated = lab.update_event_source_mapping(answer["UUID"], batch_size=50)
    assert updated["BatchSize"] == 50 and updated["Topics"] == ["orders"]
    assert updated["StartingPosition"] == "TRIM_HORIZON"
    assert updated["MaximumBatchingWindowInSeconds"] == 0.5


def test_kafka_mappings_need_one_known_topic(lab):
    # GIVEN a cluster with one topic and a function
    cluster = lab.create_kafka_cluster("payments")
    cluster.create_topic("orders")
    lab.create_function("f", lambda e, c: None)
    # WHEN topics are missing or unknown THEN each is refused
    with pytest.raises(ll.InvalidParameterValueException, match="at 'topics'"):
        lab.create_event_source_mapping(
            event_source_arn=cluster, function_name="f", starting_position="LATEST"
        )
    with pytest.raises(ll.InvalidParameterValueException, match="does not have"):
        lab.create_event_source_mapping(
            event_source_arn=cluster,
            function_name="f",
            topics=["nope"],
            starting_position="LATEST",
        )
    with pytest.raises(ll.InvalidParameterValueException, match="Unsupported Bisect"):
        lab.create_event_source_mapping(
            event_source_arn=cluster,
            function_name="f",
            topics=["orders"],
            starting_position="LATEST",
            bisect_batch_on_function_error=True,
        )


def test_disabling_a_blocked_mapping_stops_its_retries_and_enabling_resumes_them(lab):
    # GIVEN a mapping retrying a poison batch for ever
    calls = []

    def handler(event, context):
        calls.append(numbers(event))
        if len(calls) < 5:
            raise ValueError("poison for a while")

    lab, _, _, answer = stream_lab(handler, records=2)
    lab.run(until=2)
    # WHEN it is disabled THEN no retry runs any more, and the run ends
    lab.update_event_source_mapping(answer["UUID"], enabled=False)
    tried = len(calls)
    lab.run()
    assert len(calls) == tried
    # WHEN it is enabled again THEN the batch is retried until it succeeds
    lab.update_event_source_mapping(answer["UUID"], enabled=True)
    lab.run()
    assert calls[-1] == [0, 1] and len(calls) == 5
    assert lab.trace.filter("checkpoint")[-1]["position"] == 2


def test_iterator_age_and_offset_lag_are_measured_per_batch(lab):
    # GIVEN a Kinesis mapping started 10 s after its records, and a Kafka one
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    for n in range(3):
        stream.put_record(json.dumps({"n": n}), partition_key="k")
    lab.run(until=10)
    lab.create_function("f", lambda e, c: None, duration=0.1)
    kinesis = lab.create_event_source_mapping(
        event_source_arn=stream, function_name="f", starting_position="TRIM_HORIZON"
    )
    cluster = lab.create_kafka_cluster("payments")
    cluster.create_topic("orders")
    kafka = lab.create_event_source_mapping(
        event_source_arn=cluster,
        function_name="f",
        topics=["orders"],
        starting_position="TRIM_HORIZON",
        batch_size=2,
    )
    for i in range(5):
        cluster.produce("orders", json.dumps({"i": i}))
    # WHEN the lab runs
    lab.run()
    # THEN the Kinesis batch's iterator age is the 10 s its last record waited, in ms
    assert lab.mapping_metrics(kinesis["UUID"])["IteratorAge"]["Maximum"] == 10000.0
    # AND Kafka's offset lag is what was left behind the first batch of 2 out of 5
    assert lab.mapping_metrics(kafka["UUID"])["OffsetLag"] == {"Maximum": 3}
    assert lab.mapping_simulation_metrics(kafka["UUID"])["records_in_batches"] == 5
