"""The stream and Kafka poller in detail: retries and their backoff, throttles, the maximum
record age, on-failure records, batching windows, lanes and checkpoints, tumbling windows.

Scenarios in GIVEN / WHEN / THEN form on the trace, the boto3-shaped answers and the
events the handler receives (fact sheet 3.3, 3.4, 7.5).
"""

from __future__ import annotations

import base64
import json
import zlib

import lambda_lab as ll
from lambda_lab.sim.fastjson import dumps
from lambda_lab.sim.mappings.streams import RETRY_BACKOFF_FIRST, RETRY_BACKOFF_MAX
from lambda_lab.sim.mappings.windows import MAX_STATE_BYTES
from lambda_lab.sim.trace.kinds import check

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:f"
FAILURES = "arn:aws:sqs:us-east-1:123456789012:failures"


def numbers(event):
    return [json.loads(base64.b64decode(r["kinesis"]["data"]))["n"] for r in event["Records"]]


class Recorder:
    """A handler that records each event, when it came and its request id, then answers."""

    def __init__(self, lab, answer=None):
        self.lab = lab
        self.answer = answer
        self.calls = []  # (t, request id, event)

    def __call__(self, event, context):
        self.calls.append((self.lab.engine.now, context.aws_request_id, event))
        if self.answer is not None:
            return self.answer(event, len(self.calls))
        return None

    @property
    def times(self):
        return [t for t, _, _ in self.calls]

    @property
    def events(self):
        return [e for _, _, e in self.calls]


def fail(event, n):
    raise ValueError("poison")


def kinesis(answer=None, duration=0.0, timeout=3, put=(), **mapping):
    """A lab with stream ``orders``, queue ``failures`` and function ``f`` mapped on it."""
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    failures = lab.create_queue("failures")
    handler = Recorder(lab, answer)
    lab.create_function("f", handler, duration=duration, init_duration=0, timeout=timeout)
    for n in put:
        stream.put_record(json.dumps({"n": n}), partition_key="k")
    mapping.setdefault("starting_position", "TRIM_HORIZON")
    answer = lab.create_event_source_mapping(event_source_arn=stream, function_name="f", **mapping)
    return lab, stream, failures, handler, answer["UUID"]


def describe(lab, uuid):
    return lab.get_event_source_mapping(uuid)


# -- retries, backoff and the maximum record age ------------------------------------------
def test_retries_back_off_doubling_to_a_minute_until_the_record_is_too_old():
    # GIVEN a record that always fails, retries for ever, and a maximum age of 300 s
    lab, _, failures, handler, uuid = kinesis(
        fail,
        put=[0],
        maximum_record_age_in_seconds=300,
        destination_config={"on_failure": FAILURES},
    )
    # WHEN the lab runs
    lab.run()
    # THEN retries waited 1, 2, 4 ... 32 s, then 60 s at most
    assert (RETRY_BACKOFF_FIRST, RETRY_BACKOFF_MAX) == (1.0, 60.0)
    assert handler.times == [0, 1, 3, 7, 15, 31, 63, 123, 183, 243]
    # AND at the retry at 303 s the record was too old: reported alone, not invoked again
    (record,) = failures.bodies
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 10
    assert list(record) == ["requestContext", "version", "timestamp", "KinesisBatchInfo"]
    assert record["timestamp"] == "2026-01-01T00:05:03.000Z"
    # AND every failure is recorded under its batch's request id, which the handler saw
    batches = lab.trace.filter("batch")
    assert [b["request_id"] for b in batches] == [r for _, r, _ in handler.calls]
    failed = lab.trace.filter("batch_failed")
    assert [f["request_id"] for f in failed] == [b["request_id"] for b in batches]
    assert {f["reason"] for f in failed} == {"function_error"}
    assert [b["trigger"] for b in batches] == ["drained"] + ["retry"] * 9
    # AND nothing ever succeeded
    assert describe(lab, uuid)["LastProcessingResult"] == "No records processed"


def test_each_batch_is_one_invocation_named_by_the_mapping():
    # GIVEN three records and batches of two
    lab, _, _, handler, uuid = kinesis(put=[0, 1, 2], batch_size=2)
    # WHEN the lab runs
    lab.run()
    # THEN each batch record has an invocation of the same request id, from the mapping
    invokes = {i["request_id"]: i for i in lab.trace.filter("invoke")}
    batches = lab.trace.filter("batch")
    assert [b["size"] for b in batches] == [2, 1]
    assert [b["trigger"] for b in batches] == ["batch_size", "drained"]
    for batch in batches:
        assert invokes[batch["request_id"]]["source"] == uuid
    assert [r for _, r, _ in handler.calls] == [b["request_id"] for b in batches]
    # AND a factor of 1 puts no lane in the records
    assert all("lane" not in b for b in batches)
    assert describe(lab, uuid)["LastProcessingResult"] == "OK"


def test_a_record_exactly_at_the_maximum_age_is_still_delivered():
    # GIVEN a record put at t=10, and a mapping with a maximum age of 60 s made at t=70
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    handler = Recorder(lab)
    lab.create_function("f", handler, duration=0, init_duration=0)
    lab.run(until=10)
    stream.put_record(json.dumps({"n": 0}), partition_key="k")
    lab.run(until=70)
    lab.create_event_source_mapping(
        event_source_arn=stream,
        function_name="f",
        starting_position="TRIM_HORIZON",
        maximum_record_age_in_seconds=60,
    )
    # WHEN the lab runs
    lab.run()
    # THEN the record, exactly 60 s old, was delivered, and nothing was discarded
    assert [numbers(e) for e in handler.events] == [[0]]
    assert lab.trace.filter("stream_batch_discarded") == []
    # AND its iterator age is the 60 s it waited
    assert lab.trace.filter("batch")[0]["iterator_age"] == 60.0


def test_old_records_are_dropped_from_a_batch_and_the_rest_is_retried():
    # GIVEN a record put at t=0 and one at t=100, a maximum age of 60 s and one retry
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    failures = lab.create_queue("failures")
    handler = Recorder(lab, fail)
    lab.create_function("f", handler, duration=0, init_duration=0)
    stream.put_record(json.dumps({"n": 0}), partition_key="k")
    lab.run(until=100)
    stream.put_record(json.dumps({"n": 1}), partition_key="k")
    lab.run(until=101)
    # WHEN a mapping reads them both at t=101
    lab.create_event_source_mapping(
        event_source_arn=stream,
        function_name="f",
        starting_position="TRIM_HORIZON",
        maximum_record_age_in_seconds=60,
        maximum_retry_attempts=1,
        destination_config={"on_failure": failures},
    )
    lab.run()
    # THEN the old one was reported alone, never invoked, and the young one was tried twice
    assert [numbers(e) for e in handler.events] == [[1], [1]]
    assert handler.times == [101, 102]
    conditions = [
        (r["requestContext"]["condition"], r["requestContext"]["approximateInvokeCount"])
        for r in failures.bodies
    ]
    assert conditions == [("RecordAgeExceeded", 0), ("RetryAttemptsExhausted", 2)]
    assert [r["KinesisBatchInfo"]["batchSize"] for r in failures.bodies] == [1, 1]
    # AND the checkpoint ends past both
    assert lab.trace.filter("checkpoint")[-1]["position"] == 2


def test_a_batch_all_too_old_is_dropped_and_reading_goes_on_after_it():
    # GIVEN three records put at t=0, read by a mapping made at t=100 with a maximum age of 60 s
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    failures = lab.create_queue("failures")
    handler = Recorder(lab)
    lab.create_function("f", handler, duration=0, init_duration=0)
    for n in range(3):
        stream.put_record(json.dumps({"n": n}), partition_key="k")
    lab.run(until=100)
    lab.create_event_source_mapping(
        event_source_arn=stream,
        function_name="f",
        starting_position="TRIM_HORIZON",
        maximum_record_age_in_seconds=60,
        destination_config={"on_failure": failures},
    )
    lab.run()
    # WHEN a fourth record arrives
    stream.put_record(json.dumps({"n": 3}), partition_key="k")
    lab.run()
    # THEN the three were reported one by one, and only the fourth was delivered
    assert [r["requestContext"]["condition"] for r in failures.bodies] == ["RecordAgeExceeded"] * 3
    assert [numbers(e) for e in handler.events] == [[3]]
    assert [c["position"] for c in lab.trace.filter("checkpoint")] == [3, 4]


def test_the_backoff_and_the_attempts_start_afresh_for_each_batch():
    # GIVEN batches of one, one retry, record 0 always failing and record 1 failing once
    def answer(event, n):
        if numbers(event) == [0] or n == 3:
            raise ValueError("fails")

    lab, _, failures, handler, _ = kinesis(
        answer,
        put=[0, 1, 2],
        batch_size=1,
        maximum_retry_attempts=1,
        destination_config={"on_failure": FAILURES},
    )
    # WHEN the lab runs
    lab.run()
    # THEN record 0 was tried twice and given up; record 1 failed once, was retried 1 s later
    assert [numbers(e) for e in handler.events] == [[0], [0], [1], [1], [2]]
    assert handler.times == [0, 1, 1, 2, 2]
    (record,) = failures.bodies
    assert record["requestContext"]["approximateInvokeCount"] == 2


def test_after_a_success_the_next_failure_waits_one_second_again():
    # GIVEN record 0 failing twice, then record 1 failing once
    def answer(event, n):
        if n in (1, 2, 4):
            raise ValueError("fails")

    lab, _, _, handler, _ = kinesis(answer, put=[0, 1], batch_size=1)
    # WHEN the lab runs
    lab.run()
    # THEN record 0's retries waited 1 then 2 s, and record 1's retry 1 s only
    assert [numbers(e) for e in handler.events] == [[0], [0], [0], [1], [1]]
    assert handler.times == [0, 1, 3, 3, 4]


# -- throttles -------------------------------------------------------------------------------
def lanes_lab(handler_answer=None, duration=0.5, reserved=1, **mapping):
    """One shard, two lanes (keys "a" and "d" fall in lanes 1 and 0), reserved concurrency."""
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    handler = Recorder(lab, handler_answer)
    lab.create_function(
        "f", handler, duration=duration, init_duration=0, reserved_concurrency=reserved
    )
    answer = lab.create_event_source_mapping(
        event_source_arn=stream,
        function_name="f",
        starting_position="TRIM_HORIZON",
        parallelization_factor=2,
        **mapping,
    )
    return lab, stream, handler, answer["UUID"]


def test_a_throttled_batch_is_retried_without_spending_an_attempt():
    # GIVEN two lanes, a reserved concurrency of 1, and no retries at all
    lab, stream, handler, _ = lanes_lab(maximum_retry_attempts=0)
    stream.put_record(json.dumps({"n": 0}), partition_key="a")
    stream.put_record(json.dumps({"n": 1}), partition_key="d")
    # WHEN both lanes invoke at once
    lab.run()
    # THEN one was throttled, recorded with its records, and retried a second later
    batches = lab.trace.filter("batch")
    (throttled,) = lab.trace.filter("batch_failed")
    assert throttled["reason"] == "throttle"
    assert throttled["request_id"] == batches[1]["request_id"]
    assert throttled["failed"] == [batches[1]["first_sequence_number"]]
    assert [(b["t"], b["trigger"]) for b in batches] == [(0, "drained"), (0, "drained"),
                                                         (1, "retry")]  # fmt: skip
    # AND both records were delivered, none given up
    assert sorted(n for e in handler.events for n in numbers(e)) == [0, 1]
    assert lab.trace.filter("stream_batch_discarded") == []


def test_a_throttled_final_invoke_is_retried():
    # GIVEN two lanes with 60 s windows and a reserved concurrency of 1
    def answer(event, n):
        return {"state": {"n": n}}

    lab, stream, handler, _uuid = lanes_lab(answer, tumbling_window_in_seconds=60)
    stream.put_record(json.dumps({"n": 0}), partition_key="a")
    lab.run(until=5)
    stream.put_record(json.dumps({"n": 1}), partition_key="d")
    # WHEN both windows end at t=60
    lab.run()
    # THEN one final invoke was throttled and went again a second later
    (throttled,) = lab.trace.filter("batch_failed")
    finals = [b for b in lab.trace.filter("batch") if b.get("final")]
    assert throttled["reason"] == "throttle" and throttled["failed"] == []
    assert throttled["request_id"] == finals[1]["request_id"]
    assert [b["t"] for b in finals] == [60, 60, 61]
    # AND each lane's window closed once
    assert [c["outcome"] for c in lab.trace.filter("window_closed")] == ["closed", "closed"]
    assert sum(e["isFinalInvokeForWindow"] for e in handler.events) == 2


# -- on-failure records ---------------------------------------------------------------------------
def test_the_on_failure_record_is_aws_s_in_full():
    # GIVEN a record that always fails, no retries, and an on-failure queue
    lab, stream, failures, _handler, _ = kinesis(
        fail, put=[0], maximum_retry_attempts=0, destination_config={"on_failure": FAILURES}
    )
    # WHEN the lab runs
    lab.run()
    # THEN the queue holds AWS's record, with the function's unqualified ARN
    (record,) = failures.bodies
    context = record["requestContext"]
    assert list(context) == ["requestId", "functionArn", "condition", "approximateInvokeCount"]
    assert isinstance(context["requestId"], str) and len(context["requestId"]) == 36
    assert context["functionArn"] == FUNCTION_ARN
    assert (context["condition"], context["approximateInvokeCount"]) == (
        "RetryAttemptsExhausted",
        1,
    )
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["version"] == "1.0"
    assert record["timestamp"] == "2026-01-01T00:00:00.000Z"
    first = stream.records[0]
    assert record["KinesisBatchInfo"]["startSequenceNumber"] == first.sequence_number
    # AND the trace says where it went, without trouble
    (discarded,) = lab.trace.filter("stream_batch_discarded")
    assert discarded["target"] == failures.arn and discarded["delivery_error"] is None
    assert discarded["first_sequence_number"] == discarded["last_sequence_number"]
    assert discarded["shard"] == stream.shards[0].id


def test_a_batch_given_up_without_a_destination_is_only_traced():
    # GIVEN a record that always fails, no retries, and no destination
    lab, _, failures, _, _ = kinesis(fail, put=[0, 1], maximum_retry_attempts=0, batch_size=1)
    # WHEN the lab runs
    lab.run()
    # THEN each batch is discarded with no target and no delivery error, and the queue is empty
    discarded = lab.trace.filter("stream_batch_discarded")
    assert [(d["target"], d["delivery_error"]) for d in discarded] == [(None, None)] * 2
    assert failures.bodies == []


def test_a_fifo_destination_cannot_take_the_record_and_the_trace_says_why():
    # GIVEN a FIFO queue as the on-failure destination
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    fifo = lab.create_queue("failures.fifo")
    lab.create_function("f", lambda e, c: 1 / 0, duration=0)
    lab.create_event_source_mapping(
        event_source_arn=stream,
        function_name="f",
        starting_position="TRIM_HORIZON",
        maximum_retry_attempts=0,
        destination_config={"on_failure": fifo},
    )
    stream.put_record(json.dumps({"n": 0}), partition_key="k")
    # WHEN the batch is given up
    lab.run()
    # THEN nothing reached the queue and the trace names the problem
    (discarded,) = lab.trace.filter("stream_batch_discarded")
    assert discarded["delivery_error"] and "FIFO" in discarded["delivery_error"].upper()
    assert fifo.bodies == []


def test_an_sns_destination_gets_the_record_without_the_payload():
    # GIVEN an SNS topic as the on-failure destination, with a queue subscribed
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    topic = lab.create_topic("failures")
    lab.create_function("f", lambda e, c: 1 / 0, duration=0)
    lab.create_event_source_mapping(
        event_source_arn=stream,
        function_name="f",
        starting_position="TRIM_HORIZON",
        maximum_retry_attempts=0,
        destination_config={"OnFailure": {"Destination": topic.arn}},
    )
    stream.put_record(json.dumps({"n": 0}), partition_key="k")
    # WHEN the batch is given up
    lab.run()
    # THEN the topic was the target, without trouble
    (discarded,) = lab.trace.filter("stream_batch_discarded")
    assert discarded["target"] == topic.arn and discarded["delivery_error"] is None


# -- partial batch responses and bisecting ---------------------------------------------------------
def test_partial_failures_checkpoint_at_the_numerically_lowest_sequence_number():
    # GIVEN 12 records (sequence numbers grow in length order, not text order) and a handler
    # reporting the last and the tenth failed once
    def answer(event, n):
        records = event["Records"]
        if n == 1:
            ids = [
                records[11]["kinesis"]["sequenceNumber"],
                records[9]["kinesis"]["sequenceNumber"],
            ]
            return {"batchItemFailures": [{"itemIdentifier": i} for i in ids]}
        return {"batchItemFailures": []}

    lab, _stream, _, handler, _ = kinesis(
        answer, put=range(12), batch_size=12, function_response_types=["ReportBatchItemFailures"]
    )
    # WHEN the lab runs
    lab.run()
    # THEN the retry starts at the tenth record and the checkpoint moved there, then past all
    assert [numbers(e) for e in handler.events] == [list(range(12)), [9, 10, 11]]
    assert [c["position"] for c in lab.trace.filter("checkpoint")] == [9, 12]
    (failed,) = lab.trace.filter("batch_failed")
    assert failed["reason"] == "partial_response" and len(failed["failed"]) == 2


#: Batches of 4 with bisecting and partial responses on, no retries, failures to a queue.
BISECT_PARTIAL_NO_RETRY = {
    "batch_size": 4,
    "bisect_batch_on_function_error": True,
    "function_response_types": ["ReportBatchItemFailures"],
    "maximum_retry_attempts": 0,
    "destination_config": {"on_failure": FAILURES},
}


def test_partial_failures_with_bisect_split_at_the_sequence_number_without_an_attempt():
    # GIVEN bisecting on, no retries allowed, and a handler reporting record 2 of 0-3
    # failed while in a batch of 4
    def answer(event, n):
        records = event["Records"]
        if len(records) == 4:
            return {
                "batchItemFailures": [{"itemIdentifier": records[2]["kinesis"]["sequenceNumber"]}]
            }
        return {}

    lab, _, failures, handler, _ = kinesis(answer, put=range(4), **BISECT_PARTIAL_NO_RETRY)
    # WHEN the lab runs
    lab.run()
    # THEN the batch was split where record 2 starts and only 2-3 retried, not halved,
    # and the split spent no attempt: nothing was given up
    assert [numbers(e) for e in handler.events] == [[0, 1, 2, 3], [2, 3]]
    (bisect,) = lab.trace.filter("batch_bisected")
    check(bisect)
    sequence = handler.events[0]["Records"][2]["kinesis"]["sequenceNumber"]
    assert bisect["sizes"] == [2, 2] and bisect["at_sequence_number"] == sequence
    assert failures.bodies == [] and lab.trace.filter("stream_batch_discarded") == []
    assert lab.trace.filter("checkpoint")[-1]["position"] == 4


def test_a_partial_failure_at_the_first_record_with_bisect_spends_an_attempt():
    # GIVEN bisecting on, no retries allowed, and a handler reporting its first record failed
    def answer(event, n):
        return {
            "batchItemFailures": [
                {"itemIdentifier": event["Records"][0]["kinesis"]["sequenceNumber"]}
            ]
        }

    lab, _, failures, handler, _ = kinesis(answer, put=range(4), **BISECT_PARTIAL_NO_RETRY)
    # WHEN the lab runs
    lab.run()
    # THEN nothing split off, so the batch was neither bisected nor retried: given up whole
    assert [numbers(e) for e in handler.events] == [[0, 1, 2, 3]]
    assert lab.trace.filter("batch_bisected") == []
    (record,) = failures.bodies
    assert record["KinesisBatchInfo"]["batchSize"] == 4


def test_bisected_halves_are_tried_in_order_then_reading_goes_on():
    # GIVEN bisecting on, batches of 4, and record 1 failing once
    def answer(event, n):
        if n == 1:
            raise ValueError("once")

    lab, _, _, handler, _ = kinesis(
        answer, put=range(6), batch_size=4, bisect_batch_on_function_error=True
    )
    # WHEN the lab runs
    lab.run()
    # THEN the batch was split into [0, 1] and [2, 3], then 4-5 were read
    assert [numbers(e) for e in handler.events] == [[0, 1, 2, 3], [0, 1], [2, 3], [4, 5]]
    assert [c["position"] for c in lab.trace.filter("checkpoint")][-1] == 6


def test_a_batch_whose_records_expired_during_its_retries_is_dropped():
    # GIVEN a Kafka topic keeping records 36 s, and a record failing for ever
    lab = ll.Lab(seed=1, echo_logs=False)
    cluster = lab.create_kafka_cluster("events")
    cluster.create_topic("orders", retention_hours=0.01)
    handler = Recorder(lab, fail)
    lab.create_function("f", handler, duration=0, init_duration=0)
    lab.create_event_source_mapping(
        event_source_arn=cluster,
        function_name="f",
        topics=["orders"],
        starting_position="TRIM_HORIZON",
        maximum_batching_window_in_seconds=0,
    )
    cluster.produce("orders", json.dumps({"n": 0}))
    lab.run(until=1)
    # WHEN the record expires while the batch waits for its next retry
    lab.run(until=100)
    cluster.produce("orders", json.dumps({"n": 1}))
    lab.run(until=200)
    # THEN it was tried until it expired, dropped without a record, and the next one came
    values = [
        [json.loads(base64.b64decode(r["value"]))["n"] for rs in e["records"].values() for r in rs]
        for e in handler.events
    ]
    assert values[:6] == [[0]] * 6
    assert handler.times[:6] == [0, 1, 3, 7, 15, 31]
    assert [1] in values and values.index([1]) == 6
    assert handler.times[6] == 100
    assert lab.trace.filter("stream_batch_discarded") == []
    assert [c["position"] for c in lab.trace.filter("checkpoint")][:1] == [1]


# -- batching windows ----------------------------------------------------------------------------
def test_a_batching_window_cuts_what_it_gathered_and_says_why():
    # GIVEN a 5 s batching window and batches of 2
    lab, stream, _, _handler, _ = kinesis(batch_size=2, maximum_batching_window_in_seconds=5)
    # WHEN one record arrives, then another at t=1, then one at t=10
    stream.put_record(json.dumps({"n": 0}), partition_key="k")
    lab.run(until=1)
    stream.put_record(json.dumps({"n": 1}), partition_key="k")
    lab.run(until=10)
    stream.put_record(json.dumps({"n": 2}), partition_key="k")
    lab.run()
    # THEN the first window ended full at t=5, the second with one record at t=15
    batches = lab.trace.filter("batch")
    assert [(b["t"], b["size"], b["trigger"]) for b in batches] == [
        (5, 2, "batch_size"),
        (15, 1, "window"),
    ]


def test_a_full_batch_leaves_at_once_despite_the_window():
    # GIVEN two records already there, batches of 2, and a 5 s window
    lab, _, _, _, _ = kinesis(put=[0, 1], batch_size=2, maximum_batching_window_in_seconds=5)
    # WHEN the lab runs THEN the batch left at t=0 as full
    lab.run()
    assert [(b["t"], b["trigger"]) for b in lab.trace.filter("batch")] == [(0, "batch_size")]


def test_an_update_during_a_batching_window_does_not_cut_a_second_batch():
    # GIVEN a 5 s window gathering one record, and a handler taking 4 s
    lab, stream, _, handler, uuid = kinesis(
        duration=4.0, timeout=10, batch_size=10, maximum_batching_window_in_seconds=5
    )
    stream.put_record(json.dumps({"n": 0}), partition_key="k")
    lab.run(until=2)
    # WHEN the mapping is updated meanwhile
    lab.update_event_source_mapping(uuid, batch_size=9)
    lab.run()
    # THEN the record was delivered once
    assert [numbers(e) for e in handler.events] == [[0]]


def test_a_waiting_shard_hears_every_later_record():
    # GIVEN a mapping that read everything
    lab, stream, _, handler, _ = kinesis(put=[0])
    lab.run()
    # WHEN records arrive one at a time, the lab running in between
    for n in (1, 2, 3):
        stream.put_record(json.dumps({"n": n}), partition_key="k")
        lab.run()
    # THEN each was delivered
    assert [numbers(e) for e in handler.events] == [[0], [1], [2], [3]]


def test_a_kafka_window_that_finds_its_records_expired_waits_for_new_ones():
    # GIVEN a Kafka topic keeping records 36 s and a 40 s batching window
    lab = ll.Lab(seed=1, echo_logs=False)
    cluster = lab.create_kafka_cluster("events")
    cluster.create_topic("orders", retention_hours=0.01)
    handler = Recorder(lab)
    lab.create_function("f", handler, duration=0, init_duration=0)
    uuid = lab.create_event_source_mapping(
        event_source_arn=cluster,
        function_name="f",
        topics=["orders"],
        starting_position="TRIM_HORIZON",
        maximum_batching_window_in_seconds=40,
    )["UUID"]
    cluster.produce("orders", json.dumps({"n": 0}))
    # WHEN the record expires before the window ends
    lab.run(until=50)
    # THEN nothing was invoked
    assert handler.events == []
    assert [r["t"] for r in lab.trace.filter("stream_records_expired")] == [40]
    # WHEN the window is shortened to 1 s and another record comes at t=100
    lab.update_event_source_mapping(uuid, maximum_batching_window_in_seconds=1)
    lab.run(until=100)
    cluster.produce("orders", json.dumps({"n": 1}))
    lab.run()
    # THEN it was delivered when its own window ended
    assert [kafka_values(e) for e in handler.events] == [[1]]
    assert handler.times == [101]


# -- Kafka -------------------------------------------------------------------------------------
def kafka_lab(answer=None, **mapping):
    lab = ll.Lab(seed=1, echo_logs=False)
    cluster = lab.create_kafka_cluster("events")
    cluster.create_topic("orders")
    failures = lab.create_queue("failures")
    handler = Recorder(lab, answer)
    lab.create_function("f", handler, duration=0, init_duration=0)
    mapping.setdefault("starting_position", "TRIM_HORIZON")
    lab.create_event_source_mapping(
        event_source_arn=cluster, function_name="f", topics=["orders"], **mapping
    )
    return lab, cluster, failures, handler


def kafka_values(event):
    return [
        json.loads(base64.b64decode(r["value"]))["n"]
        for records in event["records"].values()
        for r in records
    ]


def test_kafka_records_are_named_by_their_offsets():
    # GIVEN a Kafka topic, a failing function with no retries, and an on-failure queue
    lab, cluster, failures, _ = kafka_lab(
        fail, maximum_retry_attempts=0, destination_config={"on_failure": FAILURES}
    )
    for n in range(3):
        cluster.produce("orders", json.dumps({"n": n}))
    # WHEN the batch is given up
    lab.run()
    # THEN the trace names it by offsets, and the record gives both ends with timestamps
    (batch,) = lab.trace.filter("batch")
    assert (batch["first_sequence_number"], batch["last_sequence_number"]) == ("0", "2")
    assert batch["offset_lag"] == 0
    (discarded,) = lab.trace.filter("stream_batch_discarded")
    assert (discarded["first_sequence_number"], discarded["last_sequence_number"]) == ("0", "2")
    (record,) = failures.bodies
    (where,) = record["KafkaBatchInfo"]["recordsInfo"].values()
    assert where == {
        "firstRecordOffset": "0",
        "lastRecordOffset": "2",
        "firstRecordTimestamp": "2026-01-01T00:00:00.000Z",
        "lastRecordTimestamp": "2026-01-01T00:00:00.000Z",
    }


def test_a_kafka_partial_response_names_records_by_offset():
    # GIVEN a handler reporting offset 1 failed once
    def answer(event, n):
        return {"batchItemFailures": [{"itemIdentifier": "1"}] if n == 1 else []}

    lab, cluster, _, handler = kafka_lab(
        answer, function_response_types=["ReportBatchItemFailures"]
    )
    for n in range(3):
        cluster.produce("orders", json.dumps({"n": n}))
    # WHEN the lab runs
    lab.run()
    # THEN the retry started at offset 1
    assert [kafka_values(e) for e in handler.events] == [[0, 1, 2], [1, 2]]
    assert lab.trace.filter("batch_failed")[0]["failed"] == ["1"]


def test_kafka_filters_match_the_decoded_value():
    # GIVEN a Kafka mapping taking even numbers only
    pattern = json.dumps({"value": {"n": [0, 2]}})
    lab, cluster, _, handler = kafka_lab(filter_criteria={"Filters": [{"Pattern": pattern}]})
    # WHEN records 0-3 are produced, and one whose value is not UTF-8
    for n in range(4):
        cluster.produce("orders", json.dumps({"n": n}))
    cluster.produce("orders", b"\xff\xfe")
    lab.run()
    # THEN only the matching ones were delivered
    assert [n for e in handler.events for n in kafka_values(e)] == [0, 2]


def test_kinesis_filters_skip_data_that_is_not_utf8():
    # GIVEN a Kinesis mapping filtering on the data
    pattern = json.dumps({"data": {"n": [1]}})
    lab, stream, _, handler, _ = kinesis(filter_criteria={"Filters": [{"Pattern": pattern}]})
    # WHEN a record that is not UTF-8 is put, then a matching one
    stream.put_record(b"\xff\xfe", partition_key="k")
    stream.put_record(json.dumps({"n": 1}), partition_key="k")
    lab.run()
    # THEN only the matching one was delivered, and the shard is checkpointed past both
    assert [numbers(e) for e in handler.events] == [[1]]
    assert lab.trace.filter("checkpoint")[-1]["position"] == 2


# -- lanes and checkpoints ---------------------------------------------------------------
def test_a_string_partition_key_picks_its_lane_by_crc32():
    # GIVEN factor 2 and records under keys a-h
    lab, stream, _handler, _ = lanes_lab(reserved=None, batch_size=1)
    keys = "abcdefgh"
    for n, key in enumerate(keys):
        stream.put_record(json.dumps({"n": n}), partition_key=key)
    # WHEN the lab runs
    lab.run()
    # THEN each record went to the lane of the CRC-32 of its key, modulo 2
    for batch in lab.trace.filter("batch"):
        (record,) = [
            r for r in stream.records if r.sequence_number == batch["first_sequence_number"]
        ]
        assert batch["lane"] == zlib.crc32(record.partition_key.encode()) % 2
    assert {b["lane"] for b in lab.trace.filter("batch")} == {0, 1}


def test_a_dynamodb_record_picks_its_lane_by_its_key_attributes():
    # GIVEN a table stream, factor 2, and items a-h
    lab = ll.Lab(seed=1, echo_logs=False)
    table = lab.create_table(
        "accounts",
        key_schema=[{"AttributeName": "id", "KeyType": "HASH"}],
        stream_specification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )
    handler = Recorder(lab)
    lab.create_function("f", handler, duration=0.5, init_duration=0)
    lab.create_event_source_mapping(
        event_source_arn=table.latest_stream_arn,
        function_name="f",
        starting_position="TRIM_HORIZON",
        parallelization_factor=2,
        batch_size=10,
    )
    for key in "abcdefgh":
        table.put_item({"id": {"S": key}})
    # WHEN the lab runs
    lab.run()
    # THEN each batch holds the items whose key attributes' CRC-32 is its lane, modulo 2
    by_lane = {}
    for batch, event in zip(lab.trace.filter("batch"), handler.events, strict=True):
        by_lane[batch["lane"]] = sorted(r["dynamodb"]["Keys"]["id"]["S"] for r in event["Records"])
    expected = {}
    for key in "abcdefgh":
        lane = zlib.crc32(dumps({"id": {"S": key}}).encode()) % 2
        expected.setdefault(lane, []).append(key)
    assert by_lane == expected and len(by_lane) == 2


def test_with_lanes_the_checkpoint_is_recorded_once_per_move():
    # GIVEN factor 2, and records 0-1 in lane 1 ("a") then 2-3 in lane 0 ("d")
    lab, stream, _handler, _ = lanes_lab(reserved=None, duration=1.0, batch_size=10)
    for key in ("a", "a", "d", "d"):
        stream.put_record(json.dumps({"n": 0}), partition_key=key)
    # WHEN the lab runs
    lab.run()
    # THEN each lane ran one batch at once
    assert sorted((b["t"], b["lane"], b["size"]) for b in lab.trace.filter("batch")) == [
        (0, 0, 2),
        (0, 1, 2),
    ]
    # AND the checkpoints are the lowest position still to do, each recorded when it moved
    positions = [c["position"] for c in lab.trace.filter("checkpoint")]
    assert positions == sorted(set(positions))
    assert positions[-1] == 4


def test_with_lanes_a_lane_that_reads_past_others_records_moves_the_checkpoint():
    # GIVEN factor 2, lane 1's record (key "a") already done, and lane 0 idle
    lab, stream, _handler, _ = lanes_lab(reserved=None, duration=0.0)
    stream.put_record(json.dumps({"n": 0}), partition_key="a")
    lab.run()
    first = [c["position"] for c in lab.trace.filter("checkpoint")]
    # WHEN another record of lane 1 arrives
    stream.put_record(json.dumps({"n": 1}), partition_key="a")
    lab.run()
    # THEN the checkpoint moved past it, recorded once per position
    positions = [c["position"] for c in lab.trace.filter("checkpoint")]
    assert first[-1] == 1 and positions[-1] == 2
    assert positions == sorted(set(positions))


# -- tumbling windows ---------------------------------------------------------------------
def kind(event):
    return "final" if event["isFinalInvokeForWindow"] else len(event["Records"])


def window_answer(event, n):
    return {"state": {"count": event["state"].get("count", 0) + len(event["Records"])}}


def test_window_events_name_the_stream_and_invocations_name_the_mapping():
    # GIVEN a 60 s window and one record
    lab, stream, _, handler, uuid = kinesis(window_answer, put=[0], tumbling_window_in_seconds=60)
    # WHEN the lab runs
    lab.run()
    # THEN each event names the stream, and each invocation (the final too) comes from the mapping
    assert [e["eventSourceARN"] for e in handler.events] == [stream.arn, stream.arn]
    invokes = {i["request_id"]: i for i in lab.trace.filter("invoke")}
    batches = lab.trace.filter("batch")
    assert [b.get("final") for b in batches] == [False, True]
    for batch in batches:
        assert invokes[batch["request_id"]]["source"] == uuid
        assert (batch["window_start"], batch["window_end"]) == (0, 60)
    assert [r for _, r, _ in handler.calls] == [b["request_id"] for b in batches]
    assert handler.times == [0, 60]
    assert describe(lab, uuid)["LastProcessingResult"] == "OK"


def test_a_final_invoke_alone_is_a_success():
    # GIVEN a record too old for the mapping's maximum age, and a tumbling window
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    handler = Recorder(lab, window_answer)
    lab.create_function("f", handler, duration=0, init_duration=0)
    stream.put_record(json.dumps({"n": 0}), partition_key="k")
    lab.run(until=100)
    answer = lab.create_event_source_mapping(
        event_source_arn=stream,
        function_name="f",
        starting_position="TRIM_HORIZON",
        maximum_record_age_in_seconds=60,
        tumbling_window_in_seconds=60,
    )
    # WHEN the lab runs
    lab.run()
    # THEN the record was dropped, the window's final invoke alone ran, and it was a success
    assert [(len(e["Records"]), e["isFinalInvokeForWindow"]) for e in handler.events] == [(0, True)]
    assert describe(lab, answer["UUID"])["LastProcessingResult"] == "OK"


def test_a_final_invoke_without_state_fails_and_is_retried():
    # GIVEN a window whose first final invoke answers without state
    finals = []

    def answer(event, n):
        if event["isFinalInvokeForWindow"]:
            finals.append(n)
            if len(finals) == 1:
                return {"batchItemFailures": []}
        return window_answer(event, n)

    lab, _, _, _handler, _ = kinesis(answer, put=[0], tumbling_window_in_seconds=60)
    # WHEN the lab runs
    lab.run()
    # THEN the first final failed for want of state, under its request id, and went again 1 s later
    (failed,) = lab.trace.filter("batch_failed")
    finals_batches = [b for b in lab.trace.filter("batch") if b.get("final")]
    assert (failed["reason"], failed["failed"]) == ("missing_state", [])
    assert failed["request_id"] == finals_batches[0]["request_id"]
    assert [b["t"] for b in finals_batches] == [60, 61]
    assert [c["outcome"] for c in lab.trace.filter("window_closed")] == ["closed"]


def test_a_final_invoke_is_given_up_once_the_window_is_older_than_the_maximum_age():
    # GIVEN a 60 s window, a maximum age of 60 s, retries for ever, a handler taking 9 s
    # whose final invokes always fail
    def answer(event, n):
        if event["isFinalInvokeForWindow"]:
            raise RuntimeError("cannot flush")
        return window_answer(event, n)

    lab, _, _, handler, _ = kinesis(
        answer,
        duration=9.0,
        timeout=30,
        put=[0],
        tumbling_window_in_seconds=60,
        maximum_record_age_in_seconds=60,
    )
    # WHEN the lab runs
    lab.run()
    # THEN the final invokes ended at 69, 79, 90, 103, 120 (60 s past the end: not over it) and 145
    finals = [t for t, _, e in handler.calls if e["isFinalInvokeForWindow"]]
    assert finals == [60, 70, 81, 94, 111, 136]
    # AND then the window was given up
    (closed,) = lab.trace.filter("window_closed")
    assert closed["outcome"] == "given_up" and closed["t"] == 145


def test_a_window_over_the_state_limit_at_its_last_batch_goes_on_afresh_to_its_end():
    # GIVEN a 60 s window and one record whose answer's state is over 1 MB
    def answer(event, n):
        if event["isFinalInvokeForWindow"]:
            return {"state": {}}
        return {"state": {"blob": "x" * MAX_STATE_BYTES}}

    lab, _, _, handler, _ = kinesis(answer, put=[0], tumbling_window_in_seconds=60)
    # WHEN the lab runs
    lab.run()
    # THEN the window ended early at once, then went on with a fresh state to its end
    summary = [
        (
            t,
            len(e["Records"]),
            e["state"],
            e["isFinalInvokeForWindow"],
            e["isWindowTerminatedEarly"],
        )
        for t, _, e in handler.calls
    ]
    assert [s[1:] for s in summary[1:]] == [(0, {"blob": "x" * MAX_STATE_BYTES}, True, True),
                                            (0, {}, True, False)]  # fmt: skip
    assert [s[0] for s in summary] == [0, 0, 60]
    assert [c["outcome"] for c in lab.trace.filter("window_closed")] == [
        "terminated_early",
        "closed",
    ]


def test_after_a_window_closes_the_next_failure_waits_one_second_again():
    # GIVEN a window whose final invoke fails once, and a next-window record failing once
    def answer(event, n):
        if n in (2, 4):
            raise RuntimeError("once")
        return window_answer(event, n)

    lab, stream, _, handler, _ = kinesis(answer, put=[0], tumbling_window_in_seconds=60)
    lab.run(until=70)
    stream.put_record(json.dumps({"n": 1}), partition_key="k")
    # WHEN the lab runs
    lab.run()
    # THEN the final went again 1 s later, and so did the next window's first batch
    kinds = [kind(e) for e in handler.events]
    assert kinds == [1, "final", "final", 1, 1, "final"]
    assert handler.times == [0, 60, 61, 70, 71, 120]


def test_a_final_invoke_runs_once_even_if_records_arrive_meanwhile():
    # GIVEN a 60 s window and a handler taking 5 s
    lab, stream, _, handler, _ = kinesis(
        window_answer, duration=5.0, timeout=10, put=[0], tumbling_window_in_seconds=60
    )
    lab.run(until=61)
    # WHEN a record of the next window arrives while the final invoke runs
    stream.put_record(json.dumps({"n": 1}), partition_key="k")
    lab.run()
    # THEN there was one final invoke per window, and the new record came after the first
    kinds = [kind(e) for e in handler.events]
    assert kinds == [1, "final", 1, "final"]
    assert handler.times == [0, 60, 65, 120]


# -- more edges: batch bytes, filters, updates, bisect, starting positions -------------------------
def test_a_batch_event_stays_within_six_megabytes():
    # GIVEN seven records of exactly 1 MiB of data, and batches of up to 10
    lab, stream, _, handler, _ = kinesis(batch_size=10)
    for _ in range(7):
        stream.put_record(b"x" * (1024 * 1024), partition_key="k")
    # WHEN the lab runs
    lab.run()
    # THEN base64 makes each record 1.33 MiB in the event: four fit in 6 MB, five would not
    assert [(b["size"], b["bytes"]) for b in lab.trace.filter("batch")] == [
        (4, 4 * 1024 * 1024),
        (3, 3 * 1024 * 1024),
    ]
    assert [len(e["Records"]) for e in handler.events] == [4, 3]
    # AND every event the function got is within the invoke limit of 6 MB
    assert all(len(json.dumps(e)) <= 6 * 1024 * 1024 for e in handler.events)


def test_a_filtered_record_in_the_middle_does_not_cut_the_batch():
    # GIVEN a filter taking n = 0 and 2, and records 0, 1, 2 in the stream
    pattern = json.dumps({"data": {"n": [0, 2]}})
    lab, _, _, handler, _ = kinesis(
        put=[0, 1, 2], batch_size=10, filter_criteria={"Filters": [{"Pattern": pattern}]}
    )
    # WHEN the lab runs
    lab.run()
    # THEN one batch held 0 and 2, and the shard is checkpointed past all three
    assert [numbers(e) for e in handler.events] == [[0, 2]]
    assert lab.trace.filter("checkpoint")[-1]["position"] == 3


def test_an_update_while_a_batch_runs_does_not_send_it_again():
    # GIVEN a batch taking 4 s
    lab, _, _, handler, uuid = kinesis(duration=4.0, timeout=10, put=[0])
    lab.run(until=2)
    # WHEN the mapping is updated while the batch runs
    lab.update_event_source_mapping(uuid, batch_size=50)
    lab.run()
    # THEN the batch was invoked once
    assert [numbers(e) for e in handler.events] == [[0]]
    assert len(lab.trace.filter("batch")) == 1


def test_a_kafka_partial_response_checkpoints_at_the_numerically_lowest_offset():
    # GIVEN 12 records and a handler reporting offsets 11 and 9 failed once
    def answer(event, n):
        failed = [{"itemIdentifier": "11"}, {"itemIdentifier": "9"}] if n == 1 else []
        return {"batchItemFailures": failed}

    lab, cluster, _, handler = kafka_lab(
        answer, function_response_types=["ReportBatchItemFailures"]
    )
    for n in range(12):
        cluster.produce("orders", json.dumps({"n": n}))
    # WHEN the lab runs
    lab.run()
    # THEN the retry started at offset 9, not at "11" (the lowest as text)
    assert [kafka_values(e) for e in handler.events] == [list(range(12)), [9, 10, 11]]


def test_a_nested_bisect_keeps_the_later_halves_waiting_in_order():
    # GIVEN ten records, batches of 8, bisecting, no retries, and record 0 a poison
    def answer(event, n):
        if 0 in numbers(event):
            raise ValueError("poison")

    lab, _, failures, handler, _ = kinesis(
        answer,
        put=range(10),
        batch_size=8,
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=0,
        destination_config={"on_failure": FAILURES},
    )
    # WHEN the lab runs
    lab.run()
    # THEN the halves were tried in order, the later ones as they were cut, then 8-9 were read
    assert [numbers(e) for e in handler.events] == [
        [0, 1, 2, 3, 4, 5, 6, 7],
        [0, 1, 2, 3],
        [0, 1],
        [0],
        [1],
        [2, 3],
        [4, 5, 6, 7],
        [8, 9],
    ]
    assert [r["KinesisBatchInfo"]["batchSize"] for r in failures.bodies] == [1]


def test_at_timestamp_without_a_timestamp_starts_at_the_beginning():
    # GIVEN a record put at t=0 and one at t=5
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    handler = Recorder(lab)
    lab.create_function("f", handler, duration=0, init_duration=0)
    stream.put_record(json.dumps({"n": 0}), partition_key="k")
    lab.run(until=5)
    stream.put_record(json.dumps({"n": 1}), partition_key="k")
    # WHEN a mapping starts AT_TIMESTAMP with no timestamp
    lab.create_event_source_mapping(
        event_source_arn=stream, function_name="f", starting_position="AT_TIMESTAMP"
    )
    lab.run()
    # THEN it read both
    assert [numbers(e) for e in handler.events] == [[0, 1]]


def test_a_batching_window_inside_a_tumbling_window_keeps_to_its_window():
    # GIVEN a 60 s tumbling window, a 5 s batching window, and records at t=0, 10 and 58
    lab, stream, _, handler, _ = kinesis(
        window_answer, tumbling_window_in_seconds=60, maximum_batching_window_in_seconds=5
    )
    for t in (0, 10, 58):
        lab.run(until=t)
        stream.put_record(json.dumps({"n": t}), partition_key="k")
    # WHEN the lab runs
    lab.run()
    # THEN each gathered batch left when its batching window ended, all in the first window,
    # and the final invoke came after the last one
    summary = [(t, numbers(e), e["state"], kind(e) == "final") for t, _, e in handler.calls]
    assert summary == [
        (5, [0], {}, False),
        (15, [10], {"count": 1}, False),
        (63, [58], {"count": 2}, False),
        (63, [], {"count": 3}, True),
    ]


def test_with_lanes_skipping_filtered_records_moves_the_checkpoint():
    # GIVEN factor 2, a filter taking n = 1 only, and lanes waiting for records
    pattern = json.dumps({"data": {"n": [1]}})
    lab, stream, handler, _ = lanes_lab(
        reserved=None, duration=0.0, filter_criteria={"Filters": [{"Pattern": pattern}]}
    )
    lab.run()
    # WHEN a record that matches no filter arrives
    stream.put_record(json.dumps({"n": 0}), partition_key="a")
    lab.run()
    # THEN no lane invoked; the first lane past it recorded the checkpoint where the other
    # lane still was, the second past it moved it on
    assert handler.events == []
    assert [c["position"] for c in lab.trace.filter("checkpoint")] == [0, 1]
    # WHEN a matching record arrives
    stream.put_record(json.dumps({"n": 1}), partition_key="a")
    lab.run()
    # THEN it was delivered, and the checkpoint moved past it, each position recorded once
    assert [numbers(e) for e in handler.events] == [[1]]
    positions = [c["position"] for c in lab.trace.filter("checkpoint")]
    assert positions == sorted(set(positions)) and positions[-1] == 2


def test_a_window_ended_early_by_a_partial_answer_retries_its_failed_records_afresh():
    # GIVEN a 60 s window; the first answer reports record 1 failed with a state over 1 MB;
    # the retry of record 1 then fails once
    def answer(event, n):
        if event["isFinalInvokeForWindow"]:
            return {"state": {}}
        if n == 1:
            failed = event["Records"][1]["kinesis"]["sequenceNumber"]
            return {
                "state": {"blob": "x" * MAX_STATE_BYTES},
                "batchItemFailures": [{"itemIdentifier": failed}],
            }
        if n == 3:
            raise RuntimeError("once")
        return {"state": {"done": numbers(event)}}

    lab, _, _, handler, _ = kinesis(
        answer,
        put=[0, 1],
        batch_size=2,
        tumbling_window_in_seconds=60,
        function_response_types=["ReportBatchItemFailures"],
    )
    # WHEN the lab runs
    lab.run()
    # THEN the window ended early before the retry, and record 1 was retried in a fresh
    # state; its second failure backed off 2 s, the second step of the batch's backoff
    summary = [(t, kind(e), numbers(e), e["state"]) for t, _, e in handler.calls]
    assert [s[:3] for s in summary] == [
        (0, 2, [0, 1]),
        (1, "final", []),
        (1, 1, [1]),
        (3, 1, [1]),
        (60, "final", []),
    ]
    assert summary[2][3] == {} and summary[4][3] == {"done": [1]}
    outcomes = [c["outcome"] for c in lab.trace.filter("window_closed")]
    assert outcomes == ["terminated_early", "closed"]
