"""Stream mappings: parallelization factor, tumbling windows, and what a given-up batch sends.

Scenarios in GIVEN / WHEN / THEN form on the trace, in virtual time.
"""

from __future__ import annotations

import base64
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

import lambda_lab as ll
from lambda_lab.sim.mappings.windows import MAX_STATE_BYTES, window_start
from lambda_lab.sim.trace.kinds import check

FAILURES = "arn:aws:sqs:us-east-1:123456789012:failures"


def decoded(event):
    return [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in event["Records"]]


def kinesis_lab(handler, duration=0.1, **mapping):
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    failures = lab.create_queue("failures")
    bucket = lab.create_bucket("failed-batches")
    lab.create_function("f", handler, duration=duration)
    mapping.setdefault("starting_position", "TRIM_HORIZON")
    answer = lab.create_event_source_mapping(event_source_arn=stream, function_name="f", **mapping)
    return lab, stream, failures, bucket, answer


# -- parallelization factor -------------------------------------------------------------
def test_a_parallelization_factor_runs_batches_of_one_shard_side_by_side():
    # GIVEN one shard, two partition keys that fall in different lanes, and factor 2
    seen = []
    lab, stream, *_ = kinesis_lab(
        lambda e, c: seen.append([r["key"] for r in decoded(e)]),
        duration=1.0,
        batch_size=10,
        parallelization_factor=2,
    )
    for n in range(4):
        stream.put_record(json.dumps({"key": "a", "n": n}), partition_key="a")
        stream.put_record(json.dumps({"key": "d", "n": n}), partition_key="d")
    # WHEN the lab runs
    lab.run()
    # THEN each batch holds one key's records, and the two batches overlapped in time
    batches = lab.trace.filter("batch")
    assert sorted(b["lane"] for b in batches) == [0, 1]
    assert sorted(map(tuple, seen)) == [("a",) * 4, ("d",) * 4]
    assert batches[0]["t"] == batches[1]["t"] == 0.0
    assert (
        lab.get_event_source_mapping(
            lab.list_event_source_mappings()["EventSourceMappings"][0]["UUID"]
        )["ParallelizationFactor"]
        == 2
    )
    # AND the shard's checkpoint ends past every record
    assert lab.trace.filter("checkpoint")[-1]["position"] == 8
    for record in lab.trace:
        check(record)


def test_a_poison_record_blocks_only_its_own_lane():
    # GIVEN factor 2, a poison record under key "a", two retries, and records under "d"
    seen = []

    def handler(event, context):
        for item in decoded(event):
            seen.append((item["key"], item["n"]))
            if item == {"key": "a", "n": 0}:
                raise ValueError("poison")

    lab, stream, failures, *_ = kinesis_lab(
        handler,
        batch_size=1,
        parallelization_factor=2,
        maximum_retry_attempts=2,
        destination_config={"OnFailure": {"Destination": FAILURES}},
    )
    for n in range(3):
        stream.put_record(json.dumps({"key": "a", "n": n}), partition_key="a")
        stream.put_record(json.dumps({"key": "d", "n": n}), partition_key="d")
    # WHEN the lab runs for two seconds: the poison record's lane is still retrying
    lab.run(until=2.0)
    # THEN key "d" was done in order meanwhile, and nothing after the poison record under "a"
    assert [n for key, n in seen if key == "d"] == [0, 1, 2]
    assert [n for key, n in seen if key == "a"] == [0, 0]
    # AND the shard's checkpoint waits at the poison record
    assert lab.trace.filter("checkpoint")[-1]["position"] == 0
    # WHEN it runs out its retries
    lab.run()
    # THEN "a" goes on in order after its batch went to the on-failure queue
    assert [n for key, n in seen if key == "a"] == [0, 0, 0, 1, 2]
    assert len(failures.bodies) == 1
    assert lab.trace.filter("checkpoint")[-1]["position"] == 6


@settings(max_examples=25, deadline=None)
@given(
    keys=st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=30),
    poison=st.sets(st.integers(0, 29), max_size=4),
    factor=st.integers(1, 4),
    batch_size=st.integers(1, 4),
)
def test_order_per_key_holds_and_nothing_is_skipped(keys, poison, factor, batch_size):
    # GIVEN random keys, some records that always fail, and a random factor
    first_seen: list[int] = []

    def handler(event, context):
        numbers = [item["n"] for item in decoded(event)]
        first_seen.extend(n for n in numbers if n not in first_seen)
        if poison.intersection(numbers):
            raise ValueError("poison")

    lab, stream, *_ = kinesis_lab(
        handler,
        batch_size=batch_size,
        parallelization_factor=factor,
        maximum_retry_attempts=1,
        destination_config={"OnFailure": {"Destination": FAILURES}},
    )
    for n, key in enumerate(keys):
        stream.put_record(json.dumps({"n": n}), partition_key=key)
    # WHEN the lab runs
    lab.run()
    # THEN per key, records were first delivered in the order they were put
    for key in set(keys):
        mine = [n for n, k in enumerate(keys) if k == key]
        assert [n for n in first_seen if n in mine] == mine
    # AND every record was delivered (none skipped), and the checkpoint is past them all
    assert sorted(first_seen) == list(range(len(keys)))
    assert lab.trace.filter("checkpoint")[-1]["position"] == len(keys)
    discarded = sum(d["size"] for d in lab.trace.filter("stream_batch_discarded"))
    assert (discarded == 0) == (not poison & set(range(len(keys))))


# -- tumbling windows -----------------------------------------------------------------
def test_window_start_aligns_to_the_wall_clock():
    # GIVEN an epoch 30 s past a whole minute THEN virtual 0 is in the window opened 30 s before
    assert window_start(0.0, 60, 1_767_225_630.0) == -30.0
    assert window_start(29.999, 60, 1_767_225_630.0) == -30.0
    assert window_start(30.0, 60, 1_767_225_630.0) == 30.0


def tumbling_sum(event, context):
    state = dict(event["state"])
    for item in decoded(event):
        state["total"] = state.get("total", 0) + item["n"]
    return {"state": state, "batchItemFailures": []}


def test_a_tumbling_window_carries_state_and_ends_with_a_final_invoke():
    # GIVEN a 60 s window, batches of 2, and a handler that sums into its state
    events = []

    def handler(event, context):
        events.append(event)
        return tumbling_sum(event, context)

    lab, stream, *_ = kinesis_lab(handler, batch_size=2, tumbling_window_in_seconds=60)
    for n in (1, 2, 3):
        stream.put_record(json.dumps({"n": n}), partition_key="k")
    # WHEN the lab runs to t=70 and three more records arrive in the next window
    lab.run(until=70.0)
    for n in (10, 20, 30):
        stream.put_record(json.dumps({"n": n}), partition_key="k")
    lab.run()
    # THEN each window's invocations passed the state along, and ended with a final one
    fields = ["Records", "window", "state", "shardId", "eventSourceARN"]
    fields += ["isFinalInvokeForWindow", "isWindowTerminatedEarly"]
    assert all(list(e) == fields for e in events)
    summary = [
        (e["window"]["start"][11:19], [d["n"] for d in decoded(e)], e["state"],
         e["isFinalInvokeForWindow"])
        for e in events
    ]  # fmt: skip
    assert summary == [
        ("00:00:00", [1, 2], {}, False),
        ("00:00:00", [3], {"total": 3}, False),
        ("00:00:00", [], {"total": 6}, True),
        ("00:01:00", [10, 20], {}, False),
        ("00:01:00", [30], {"total": 30}, False),
        ("00:01:00", [], {"total": 60}, True),
    ]
    assert events[0]["window"] == {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:01:00Z"}
    assert events[0]["shardId"] == stream.shards[0].id
    # AND the final invocations came when each window ended, and are in the trace
    finals = [b for b in lab.trace.filter("batch") if b.get("final")]
    assert [(b["t"], b["size"], b["trigger"]) for b in finals] == [
        (60.0, 0, "window_end"),
        (120.0, 0, "window_end"),
    ]
    closed = lab.trace.filter("window_closed")
    assert [(c["window_start"], c["window_end"], c["outcome"]) for c in closed] == [
        (0.0, 60.0, "closed"),
        (60.0, 120.0, "closed"),
    ]
    for record in lab.trace:
        check(record)


def test_an_answer_without_state_fails_the_batch():
    # GIVEN a tumbling window and a handler that forgets its state on the first call
    calls = []

    def handler(event, context):
        calls.append(len(event["Records"]))
        if len(calls) == 1:
            return {"batchItemFailures": []}
        return {"state": {}}

    lab, stream, *_ = kinesis_lab(handler, tumbling_window_in_seconds=60)
    stream.put_record(json.dumps({"n": 1}), partition_key="k")
    # WHEN the lab runs
    lab.run()
    # THEN the first answer failed the batch for want of state, and the batch ran again
    (failed,) = lab.trace.filter("batch_failed")
    assert failed["reason"] == "missing_state" and len(failed["failed"]) == 1
    assert calls == [1, 1, 0]


def test_a_state_over_one_megabyte_ends_the_window_early():
    # GIVEN a handler whose state grows past 1 MB at its first batch
    events = []

    def handler(event, context):
        events.append(event)
        if event["isFinalInvokeForWindow"]:
            return {"state": {}}
        return {"state": {"blob": "x" * (MAX_STATE_BYTES + 1) if len(events) == 1 else "y"}}

    lab, stream, *_ = kinesis_lab(handler, batch_size=1, tumbling_window_in_seconds=60)
    stream.put_record(json.dumps({"n": 1}), partition_key="k")
    stream.put_record(json.dumps({"n": 2}), partition_key="k")
    # WHEN the lab runs
    lab.run()
    # THEN a final invocation terminated the window early, and the window went on afresh
    flags = [(e["isFinalInvokeForWindow"], e["isWindowTerminatedEarly"]) for e in events]
    assert flags == [(False, False), (True, True), (False, False), (True, False)]
    assert events[2]["state"] == {} and events[2]["window"] == events[0]["window"]
    outcomes = [c["outcome"] for c in lab.trace.filter("window_closed")]
    assert outcomes == ["terminated_early", "closed"]


def test_a_failing_final_invoke_blocks_the_shard_until_given_up():
    # GIVEN a handler whose final invocations fail, with one retry
    events = []

    def handler(event, context):
        events.append(event)
        if event["isFinalInvokeForWindow"]:
            raise RuntimeError("cannot flush")
        return tumbling_sum(event, context)

    lab, stream, *_ = kinesis_lab(
        handler, batch_size=10, tumbling_window_in_seconds=60, maximum_retry_attempts=1
    )
    stream.put_record(json.dumps({"n": 1}), partition_key="k")
    lab.run(until=61.0)
    stream.put_record(json.dumps({"n": 2}), partition_key="k")
    # WHEN the lab runs
    lab.run()
    # THEN the next window's record waited until the final invocation was tried twice
    kinds = [("final" if e["isFinalInvokeForWindow"] else len(e["Records"])) for e in events]
    assert kinds == [1, "final", "final", 1, "final", "final"]
    outcomes = [c["outcome"] for c in lab.trace.filter("window_closed")]
    assert outcomes == ["given_up", "given_up"]
    assert {f["reason"] for f in lab.trace.filter("batch_failed")} == {"function_error"}


def test_a_window_ended_early_keeps_the_retry_count_of_the_batch_it_interrupted():
    # GIVEN a window whose every batch answers a state over 1 MB and reports record 2
    # failed, with one retry allowed
    events = []

    def handler(event, context):
        events.append(event)
        if event["isFinalInvokeForWindow"]:
            return {"state": {}}
        failed = [
            {"itemIdentifier": r["kinesis"]["sequenceNumber"]}
            for r, data in zip(event["Records"], decoded(event), strict=True)
            if data["n"] == 2
        ]
        return {"state": {"blob": "x" * (MAX_STATE_BYTES + 1)}, "batchItemFailures": failed}

    lab, stream, failures, *_ = kinesis_lab(
        handler,
        batch_size=2,
        tumbling_window_in_seconds=60,
        function_response_types=["ReportBatchItemFailures"],
        maximum_retry_attempts=1,
        bisect_batch_on_function_error=False,
        destination_config={"OnFailure": {"Destination": FAILURES}},
    )
    stream.put_record(json.dumps({"n": 1}), partition_key="k")
    stream.put_record(json.dumps({"n": 2}), partition_key="k")
    # WHEN the lab runs (each failure ends the window early, with a final invoke between)
    lab.run(until=3600.0)
    # THEN record 2 ran twice, as one retry allows, and was then given up
    batches = [[d["n"] for d in decoded(e)] for e in events if not e["isFinalInvokeForWindow"]]
    assert batches == [[1, 2], [2]]
    (record,) = failures.bodies
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert [d["condition"] for d in lab.trace.filter("stream_batch_discarded")] == [
        "RetryAttemptsExhausted"
    ]


def test_kafka_refuses_tumbling_windows_and_the_factor():
    # GIVEN a Kafka topic
    lab = ll.Lab(seed=1)
    cluster = lab.create_kafka_cluster("events")
    cluster.create_topic("orders")
    lab.create_function("f", lambda e, c: None)
    for field, value in (("tumbling_window_in_seconds", 60), ("parallelization_factor", 2)):
        # WHEN a mapping asks for a stream-only setting THEN it is refused
        try:
            lab.create_event_source_mapping(
                event_source_arn=cluster, function_name="f", topics=["orders"],
                starting_position="TRIM_HORIZON", **{field: value},
            )  # fmt: skip
        except ll.LambdaLabError as exc:
            assert "Kinesis and DynamoDB sources only" in str(exc)
        else:  # pragma: no cover - the assertion's message
            raise AssertionError(f"{field} was accepted")
    assert lab.list_event_source_mappings()["EventSourceMappings"] == []


# -- given-up batches: S3 payloads and Kafka's batch info ---------------------------------
def test_an_s3_on_failure_destination_also_gets_the_event():
    # GIVEN a Kinesis mapping that gives up at once, to an S3 bucket
    def handler(event, context):
        raise ValueError("no")

    lab, stream, _, bucket, answer = kinesis_lab(
        handler,
        maximum_retry_attempts=0,
        destination_config={"OnFailure": {"Destination": "arn:aws:s3:::failed-batches"}},
    )
    stream.put_record(json.dumps({"n": 7}), partition_key="k")
    # WHEN the lab runs
    lab.run()
    # THEN the bucket holds the metadata record plus the whole event as ``payload``
    (key,) = bucket.objects
    record = bucket.get_object(key)
    assert list(record)[-2:] == ["KinesisBatchInfo", "payload"]
    assert decoded(json.loads(record["payload"])) == [{"n": 7}]
    # AND its key is aws/lambda/<mapping UUID>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>
    shard = record["KinesisBatchInfo"]["shardId"]
    uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    day, stamp = record["timestamp"][:10], record["timestamp"][:19].replace(":", ".")
    pattern = rf"aws/lambda/{answer['UUID']}/{shard}/{day.replace('-', '/')}/{stamp}-{uuid}"
    assert re.fullmatch(pattern, key), key


def test_a_kafka_batch_given_up_goes_to_its_destination_with_kafka_batch_info():
    # GIVEN a Kafka topic of two partitions, a failing function and an on-failure queue
    lab = ll.Lab(seed=1, echo_logs=False)
    cluster = lab.create_kafka_cluster("events")
    cluster.create_topic("orders", partitions=2)
    failures = lab.create_queue("failures")
    lab.create_function("f", lambda e, c: 1 / 0)
    answer = lab.create_event_source_mapping(
        event_source_arn=cluster,
        function_name="f",
        topics=["orders"],
        starting_position="TRIM_HORIZON",
        maximum_retry_attempts=1,
        destination_config={"OnFailure": {"Destination": failures}},
    )
    for n in range(3):
        cluster.produce("orders", json.dumps({"n": n}), key="same")
    # WHEN the lab runs
    lab.run()
    # THEN the queue got AWS's KafkaBatchInfo record, after two invocations
    (record,) = failures.bodies
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"]["functionError"] == "Unhandled"
    info = record["KafkaBatchInfo"]
    assert list(info) == [
        "batchSize", "eventSourceArn", "bootstrapServers", "payloadSize", "recordsInfo"
    ]  # fmt: skip
    assert info["batchSize"] == 3 and info["eventSourceArn"] == cluster.arn
    assert info["bootstrapServers"] == cluster.bootstrap_servers
    ((name, where),) = info["recordsInfo"].items()
    assert name.startswith("orders-")
    assert (where["firstRecordOffset"], where["lastRecordOffset"]) == ("0", "2")
    assert where["firstRecordTimestamp"].endswith("Z")
    assert info["payloadSize"] > 3 * len(base64.b64encode(b'{"n": 0}'))
    assert answer["DestinationConfig"] == {"OnFailure": {"Destination": failures.arn}}


def test_a_kafka_topic_as_destination_is_refused_plainly():
    # GIVEN a Kafka topic
    lab = ll.Lab(seed=1)
    cluster = lab.create_kafka_cluster("events")
    cluster.create_topic("orders")
    lab.create_function("f", lambda e, c: None)
    # WHEN the on-failure destination is a kafka:// topic THEN it is refused, naming the field
    try:
        lab.create_event_source_mapping(
            event_source_arn=cluster,
            function_name="f",
            topics=["orders"],
            starting_position="TRIM_HORIZON",
            destination_config={"OnFailure": {"Destination": "kafka://dead-letters"}},
        )
    except ll.LambdaLabError as exc:
        assert "destination_config.on_failure" in str(exc) and "kafka://dead-letters" in str(exc)
    else:  # pragma: no cover - the assertion's message
        raise AssertionError("kafka:// was accepted")
