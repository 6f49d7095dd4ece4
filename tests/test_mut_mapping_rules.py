"""CreateEventSourceMapping's rules per source: what each source refuses, in AWS's words,
and the defaults it fills in (fact sheet 3.1, 3.3, 3.4, 7.5, 7.6).

Scenarios in GIVEN / WHEN / THEN form on the boto3-shaped answers and the refusals.
"""

from __future__ import annotations

import json
import re

import pytest

import lambda_lab as ll
from lambda_lab.sim.mappings.rules import KAFKA_DEFAULT_WINDOW, STREAM_ONLY

ACCOUNT = "123456789012"


def sources():
    """A lab with one source of each kind, and a function ``f`` (timeout 3 s)."""
    lab = ll.Lab(seed=1, echo_logs=False)
    queue = lab.create_queue("jobs")
    fifo = lab.create_queue("jobs.fifo")
    stream = lab.create_stream("orders")
    table = lab.create_table(
        "accounts",
        key_schema=[{"AttributeName": "id", "KeyType": "HASH"}],
        stream_specification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )
    cluster = lab.create_kafka_cluster("payments")
    cluster.create_topic("orders")
    cluster.create_topic("refunds")
    lab.create_function("f", lambda e, c: None, timeout=3)
    return lab, {
        "queue": queue,
        "fifo": fifo,
        "stream": stream,
        "ddb": table.latest_stream_arn,
        "kafka": cluster,
    }


def refused(lab, source, **kwargs):
    """The message of the refusal of a mapping of ``f`` on ``source``; none was made."""
    with pytest.raises(ll.InvalidParameterValueException) as info:
        lab.create_event_source_mapping(event_source_arn=source, function_name="f", **kwargs)
    assert lab.list_event_source_mappings()["EventSourceMappings"] == []
    return str(info.value)


def created(lab, source, **kwargs):
    return lab.create_event_source_mapping(event_source_arn=source, function_name="f", **kwargs)


# -- what can be polled -----------------------------------------------------------------
def test_a_source_that_cannot_be_polled_is_refused_naming_its_arn():
    # GIVEN a bucket and an SNS topic
    lab, _ = sources()
    bucket = lab.create_bucket("uploads")
    topic = lab.create_topic("news")
    # WHEN either is the event source THEN it is refused, its ARN quoted
    for source in (bucket, topic):
        message = refused(lab, source, starting_position="LATEST")
        assert message == (
            "Unsupported event source type. (event_source_arn must be an SQS queue, a Kinesis "
            f"stream, a DynamoDB stream or a Kafka cluster, got {source.arn!r})"
        )


# -- SQS ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("starting_position", "LATEST"),
        ("starting_position_timestamp", 0.0),
        ("parallelization_factor", 2),
        ("maximum_retry_attempts", 1),
        ("maximum_record_age_in_seconds", 60),
        ("bisect_batch_on_function_error", False),
        ("tumbling_window_in_seconds", 0),
        ("topics", ["orders"]),
    ],
)
def test_each_stream_only_setting_is_refused_on_a_queue(field, value):
    # GIVEN a standard queue WHEN a mapping on it sets a stream-only parameter (even falsy)
    lab, src = sources()
    message = refused(lab, src["queue"], **{field: value})
    # THEN it is refused with the API's name of the parameter, ours, and the value
    assert message == (
        f"Unsupported {STREAM_ONLY[field]} parameter for given event source mapping type. "
        f"({field} applies to stream and Kafka sources only, got {value!r})"
    )


def test_the_stream_only_settings_are_named_as_the_api_names_them():
    # GIVEN the table of stream-only parameters THEN each has AWS's PascalCase name
    assert STREAM_ONLY == {
        "starting_position": "StartingPosition",
        "starting_position_timestamp": "StartingPositionTimestamp",
        "parallelization_factor": "ParallelizationFactor",
        "maximum_retry_attempts": "MaximumRetryAttempts",
        "maximum_record_age_in_seconds": "MaximumRecordAgeInSeconds",
        "bisect_batch_on_function_error": "BisectBatchOnFunctionError",
        "tumbling_window_in_seconds": "TumblingWindowInSeconds",
        "topics": "Topics",
    }


def test_a_destination_on_a_queue_mapping_is_refused_pointing_at_the_redrive_policy():
    # GIVEN a standard queue WHEN a mapping on it has an on-failure destination
    lab, src = sources()
    message = refused(lab, src["queue"], destination_config={"OnFailure": {}})
    # THEN AWS's words refuse it, and ours say where an SQS mapping's failures go
    assert message == (
        "Unsupported DestinationConfig parameter for given event source mapping type. "
        "(an SQS mapping's failures go to the queue's dead-letter queue: set the queue's "
        "redrive_policy)"
    )


def test_a_fifo_queue_takes_at_most_ten_and_no_window():
    # GIVEN a FIFO queue
    lab, src = sources()
    fifo = src["fifo"]
    # WHEN the batch size is 11 THEN it is refused
    assert refused(lab, fifo, batch_size=11) == (
        "BatchSize must be less than or equal to 10 for FIFO queues. "
        "(batch_size must be between 1 and 10 on a FIFO queue, got 11)"
    )
    # WHEN a batching window is set THEN it is refused
    assert refused(lab, fifo, maximum_batching_window_in_seconds=1) == (
        "Batching window is not supported for FIFO queues. "
        "(maximum_batching_window_in_seconds must be 0 on a FIFO queue, got 1)"
    )
    # WHEN the batch size is 10 and the window 0 THEN it is accepted
    answer = created(lab, fifo, batch_size=10, maximum_batching_window_in_seconds=0)
    assert answer["BatchSize"] == 10 and answer["MaximumBatchingWindowInSeconds"] == 0


def test_a_fifo_queue_mapping_defaults_to_ten_without_a_window():
    # GIVEN a FIFO queue WHEN a mapping sets nothing THEN batch size 10, window 0
    lab, src = sources()
    answer = created(lab, src["fifo"])
    assert answer["BatchSize"] == 10 and answer["MaximumBatchingWindowInSeconds"] == 0


def test_a_standard_queue_over_ten_needs_a_window_of_a_second():
    # GIVEN a standard queue
    lab, src = sources()
    # WHEN the batch size is 11 without a window THEN AWS's words refuse it
    assert refused(lab, src["queue"], batch_size=11) == (
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
        "greater than 10 (maximum_batching_window_in_seconds must be between 1 and 300 "
        "with batch_size 11, got 0)"
    )
    # WHEN it is 11 with a window of 1 s THEN it is accepted, as given
    answer = created(lab, src["queue"], batch_size=11, maximum_batching_window_in_seconds=1)
    assert answer["BatchSize"] == 11 and answer["MaximumBatchingWindowInSeconds"] == 1


def test_a_standard_queue_takes_ten_without_a_window():
    # GIVEN a standard queue WHEN the batch size is exactly 10 and no window THEN it is accepted
    lab, src = sources()
    answer = created(lab, src["queue"], batch_size=10)
    assert answer["BatchSize"] == 10 and answer["MaximumBatchingWindowInSeconds"] == 0


def test_a_function_timeout_over_the_visibility_timeout_is_refused():
    # GIVEN queues with visibility timeouts of 29 s and 30 s, and a function of timeout 30 s
    lab = ll.Lab(seed=1, echo_logs=False)
    short = lab.create_queue("short", visibility_timeout=29)
    exact = lab.create_queue("exact", visibility_timeout=30)
    lab.create_function("f", lambda e, c: None, timeout=30)
    # WHEN it maps the short queue THEN AWS's words refuse it
    assert refused(lab, short) == (
        "Queue visibility timeout: 29 seconds is less than Function timeout: 30 seconds (the "
        "function's timeout must be at most the queue's visibility timeout; AWS advises 6 x "
        "the timeout)"
    )
    # WHEN it maps the queue whose visibility timeout equals its timeout THEN it is accepted
    assert created(lab, exact)["State"] == "Creating"


def test_a_queue_mapping_keeps_its_settings_and_scaling():
    # GIVEN a standard queue WHEN a mapping sets partial responses, a filter and scaling
    lab, src = sources()
    pattern = {"Filters": [{"Pattern": json.dumps({"body": {"n": [1]}})}]}
    answer = created(
        lab,
        src["queue"],
        function_response_types=["ReportBatchItemFailures"],
        filter_criteria=pattern,
        scaling_config={"MaximumConcurrency": 5},
    )
    # THEN boto3's answer shows them, with SQS's default batch size of 10
    assert answer["BatchSize"] == 10
    assert answer["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert answer["FilterCriteria"] == pattern
    assert answer["ScalingConfig"] == {"MaximumConcurrency": 5}
    # AND without them, none is shown
    plain = lab.create_event_source_mapping(event_source_arn=src["fifo"], function_name="f")
    assert plain["FunctionResponseTypes"] == [] and "ScalingConfig" not in plain


# -- Kinesis and DynamoDB streams -------------------------------------------------------------
def test_a_stream_mapping_fills_in_the_stream_defaults():
    # GIVEN a Kinesis stream WHEN a mapping sets only its starting position
    lab, src = sources()
    answer = created(lab, src["stream"], starting_position="LATEST")
    # THEN the answer has the defaults recorded on AWS (7.5)
    expected = {
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 0,
        "FunctionResponseTypes": [],
        "StartingPosition": "LATEST",
        "ParallelizationFactor": 1,
        "MaximumRecordAgeInSeconds": -1,
        "BisectBatchOnFunctionError": False,
        "MaximumRetryAttempts": -1,
        "TumblingWindowInSeconds": 0,
        "DestinationConfig": {"OnFailure": {}},
        "StateTransitionReason": "User action",
        "LastProcessingResult": "No records processed",
    }
    assert {k: answer[k] for k in expected} == expected
    assert "FilterCriteria" not in answer


def test_a_stream_mapping_keeps_every_setting_it_is_given():
    # GIVEN a DynamoDB stream and an on-failure queue
    lab, src = sources()
    failures = lab.create_queue("failures")
    pattern = {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]}
    # WHEN a mapping sets every stream setting
    answer = created(
        lab,
        src["ddb"],
        starting_position="TRIM_HORIZON",
        batch_size=7,
        maximum_batching_window_in_seconds=3,
        function_response_types=["ReportBatchItemFailures"],
        filter_criteria=pattern,
        parallelization_factor=4,
        maximum_retry_attempts=0,
        maximum_record_age_in_seconds=60,
        bisect_batch_on_function_error=True,
        tumbling_window_in_seconds=30,
        destination_config={"OnFailure": {"Destination": failures.arn}},
    )
    # THEN each is in the answer as given
    expected = {
        "BatchSize": 7,
        "MaximumBatchingWindowInSeconds": 3,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "FilterCriteria": pattern,
        "StartingPosition": "TRIM_HORIZON",
        "ParallelizationFactor": 4,
        "MaximumRetryAttempts": 0,
        "MaximumRecordAgeInSeconds": 60,
        "BisectBatchOnFunctionError": True,
        "TumblingWindowInSeconds": 30,
        "DestinationConfig": {"OnFailure": {"Destination": failures.arn}},
    }
    assert {k: answer[k] for k in expected} == expected


def test_a_stream_mapping_accepts_minus_one_and_sixty_as_maximum_age():
    # GIVEN a Kinesis stream WHEN the maximum record age is -1 or 60 THEN each is accepted
    for age in (-1, 60):
        lab, src = sources()
        answer = created(
            lab, src["stream"], starting_position="LATEST", maximum_record_age_in_seconds=age
        )
        assert answer["MaximumRecordAgeInSeconds"] == age


@pytest.mark.parametrize("age", [0, 1, 59])
def test_a_maximum_age_under_a_minute_is_refused(age):
    # GIVEN a Kinesis stream WHEN the maximum record age is 0-59 THEN AWS's words refuse it
    lab, src = sources()
    message = refused(
        lab, src["stream"], starting_position="LATEST", maximum_record_age_in_seconds=age
    )
    assert message == (
        "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 "
        f"(inclusive) (maximum_record_age_in_seconds got {age})"
    )


def test_a_stream_needs_a_starting_position():
    # GIVEN a Kinesis stream WHEN no starting position is given THEN AWS's words refuse it
    lab, src = sources()
    assert refused(lab, src["stream"]) == (
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
        "constraint: Member must not be null. (starting_position must be TRIM_HORIZON, "
        "LATEST or AT_TIMESTAMP)"
    )


def test_at_timestamp_is_refused_on_dynamodb_naming_the_stream():
    # GIVEN a DynamoDB stream WHEN AT_TIMESTAMP is asked for THEN it is refused with its ARN
    lab, src = sources()
    message = refused(lab, src["ddb"], starting_position="AT_TIMESTAMP")
    assert message == (
        f"Unsupported starting position for arn type: {src['ddb']} (DynamoDB streams take "
        "TRIM_HORIZON or LATEST)"
    )


def test_at_timestamp_is_accepted_on_kinesis_and_kafka():
    # GIVEN a Kinesis stream and a Kafka topic WHEN AT_TIMESTAMP is asked for THEN it is accepted
    lab, src = sources()
    kinesis = created(
        lab, src["stream"], starting_position="AT_TIMESTAMP", starting_position_timestamp=5.0
    )
    kafka = created(
        lab,
        src["kafka"],
        topics=["orders"],
        starting_position="AT_TIMESTAMP",
        starting_position_timestamp=5.0,
    )
    assert kinesis["StartingPosition"] == kafka["StartingPosition"] == "AT_TIMESTAMP"


def test_at_timestamp_starts_at_the_first_record_from_that_time():
    # GIVEN records put at t=0, 10 and 20
    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    for n in range(3):
        stream.put_record(json.dumps({"n": n}), partition_key="k")
        lab.run(until=10.0 * (n + 1))
    seen = []
    lab.create_function("f", lambda e, c: seen.extend(r["kinesis"]["data"] for r in e["Records"]))
    # WHEN a mapping starts AT_TIMESTAMP 10 (virtual seconds)
    created(lab, stream, starting_position="AT_TIMESTAMP", starting_position_timestamp=10.0)
    lab.run()
    # THEN it reads from the record put at t=10 on
    assert len(seen) == 2


def test_scaling_config_is_refused_on_streams():
    # GIVEN a Kinesis stream WHEN scaling is asked for THEN it is refused, naming the source kind
    lab, src = sources()
    message = refused(
        lab, src["stream"], starting_position="LATEST", scaling_config={"MaximumConcurrency": 5}
    )
    assert message == (
        "Unsupported ScalingConfig parameter for given event source mapping type. "
        "(scaling_config does not apply to kinesis sources)"
    )


@pytest.mark.parametrize("kind", ["stream", "ddb"])
def test_topics_are_refused_on_streams(kind):
    # GIVEN a Kinesis or DynamoDB stream WHEN topics are given THEN they are refused
    lab, src = sources()
    message = refused(lab, src[kind], starting_position="LATEST", topics=["orders"])
    assert message == (
        "Unsupported Topics parameter for given event source mapping type. "
        "(topics applies to Kafka sources only, got ['orders'])"
    )


# -- on-failure destinations ------------------------------------------------------------------
def test_on_failure_takes_a_queue_a_topic_or_a_bucket_in_either_spelling():
    # GIVEN an SQS queue, an SNS topic and an S3 bucket
    lab, src = sources()
    queue = lab.create_queue("failures")
    topic = lab.create_topic("failures")
    bucket = lab.create_bucket("failures")
    configs = [
        ({"OnFailure": {"Destination": queue.arn}}, queue.arn),
        ({"on_failure": topic}, topic.arn),
        ({"on_failure": bucket.arn}, bucket.arn),
    ]
    for config, arn in configs:
        # WHEN each is a Kinesis mapping's on-failure destination THEN it is kept
        answer = created(lab, src["stream"], starting_position="LATEST", destination_config=config)
        assert answer["DestinationConfig"] == {"OnFailure": {"Destination": arn}}
        lab.delete_event_source_mapping(answer["UUID"])


@pytest.mark.parametrize(
    "config", [{"OnFailure": {}}, {"OnFailure": None}, {"on_failure": None}, {}]
)
def test_an_empty_on_failure_means_no_destination(config):
    # GIVEN a Kinesis stream WHEN the destination config names no destination
    lab, src = sources()
    answer = created(lab, src["stream"], starting_position="LATEST", destination_config=config)
    # THEN the mapping has none
    assert answer["DestinationConfig"] == {"OnFailure": {}}


@pytest.mark.parametrize("config", ["arn:aws:sqs:us-east-1:1:q", {"OnFailure": {}, "Other": 1}])
def test_a_destination_config_of_another_shape_is_refused(config):
    # GIVEN a Kinesis stream WHEN the destination config is not a dict of OnFailure
    lab, src = sources()
    message = refused(lab, src["stream"], starting_position="LATEST", destination_config=config)
    # THEN it is refused, showing what was given
    assert message == f"destination_config must be {{'on_failure': target}}, got {config!r}"


@pytest.mark.parametrize(
    "config",
    [
        {"OnSuccess": {"Destination": "x"}},
        {"on_success": "x"},
        {"OnFailure": {}, "OnSuccess": {"Destination": "x"}},
    ],
)
def test_on_success_is_refused_on_stream_mappings(config):
    # GIVEN a Kinesis stream WHEN an on-success destination is given THEN AWS's words refuse it
    lab, src = sources()
    message = refused(lab, src["stream"], starting_position="LATEST", destination_config=config)
    assert message == (
        "Unsupported DestinationConfig parameter for given event source mapping type. "
        "(OnSuccess is not supported on event source mappings)"
    )


def test_an_empty_on_success_is_no_on_success():
    # GIVEN a Kinesis stream and a queue WHEN OnSuccess is given empty, with an on-failure queue
    lab, src = sources()
    queue = lab.create_queue("failures")
    answer = created(
        lab,
        src["stream"],
        starting_position="LATEST",
        destination_config={"OnSuccess": {}, "on_success": None, "on_failure": queue},
    )
    # THEN it is accepted, with the on-failure queue
    assert answer["DestinationConfig"] == {"OnFailure": {"Destination": queue.arn}}


def test_a_kafka_topic_destination_is_refused_as_not_simulated():
    # GIVEN a Kinesis stream WHEN the destination is a kafka:// topic THEN it is refused plainly
    lab, src = sources()
    message = refused(
        lab,
        src["stream"],
        starting_position="LATEST",
        destination_config={"OnFailure": {"Destination": "kafka://dead"}},
    )
    assert message == (
        "destination_config.on_failure: a Kafka topic (kafka://) as the on-failure "
        "destination is valid on AWS but not simulated yet, got 'kafka://dead' (use an SQS "
        "queue, an SNS topic or an S3 bucket)"
    )


def test_a_destination_of_another_kind_is_refused():
    # GIVEN a Kinesis stream and another stream WHEN the other is the destination
    lab, src = sources()
    other = lab.create_stream("other")
    message = refused(
        lab, src["stream"], starting_position="LATEST", destination_config={"on_failure": other}
    )
    # THEN it is refused, naming its ARN and kind
    assert message == (
        f"The destination ARN {other.arn} is invalid: a stream or Kafka mapping's on_failure "
        "accepts sqs, sns or s3 targets, got kinesis"
    )


def test_an_unknown_destination_is_refused_naming_its_arn():
    # GIVEN a Kinesis stream WHEN the destination is a queue that does not exist
    lab, src = sources()
    missing = f"arn:aws:sqs:us-east-1:{ACCOUNT}:missing"
    with pytest.raises(ll.LambdaLabError, match=re.escape(f"The destination ARN {missing}")):
        created(
            lab,
            src["stream"],
            starting_position="LATEST",
            destination_config={"on_failure": missing},
        )
    # THEN no mapping was made
    assert lab.list_event_source_mappings()["EventSourceMappings"] == []


# -- Kafka ----------------------------------------------------------------------------------
def test_a_kafka_mapping_needs_topics():
    # GIVEN a Kafka cluster WHEN a mapping names no topic THEN AWS's words refuse it
    lab, src = sources()
    assert refused(lab, src["kafka"], starting_position="LATEST") == (
        "1 validation error detected: Value null at 'topics' failed to satisfy constraint: "
        "Member must not be null. (topics must name exactly one topic of the cluster)"
    )


def test_an_unknown_topic_is_refused_listing_the_clusters_topics():
    # GIVEN a cluster with topics orders and refunds, and one with none
    lab, src = sources()
    empty = lab.create_kafka_cluster("empty")
    # WHEN a mapping names a topic neither has THEN it is refused, listing the topics
    assert refused(lab, src["kafka"], starting_position="LATEST", topics=["nope"]) == (
        "topics names a topic the cluster does not have: 'nope' (topics: orders, refunds)"
    )
    assert refused(lab, empty, starting_position="LATEST", topics=["nope"]) == (
        "topics names a topic the cluster does not have: 'nope' (topics: none)"
    )


@pytest.mark.parametrize(
    ("field", "api_name", "value"),
    [
        ("parallelization_factor", "ParallelizationFactor", 1),
        ("bisect_batch_on_function_error", "BisectBatchOnFunctionError", False),
        ("tumbling_window_in_seconds", "TumblingWindowInSeconds", 0),
    ],
)
def test_kafka_refuses_the_kinesis_and_dynamodb_settings(field, api_name, value):
    # GIVEN a Kafka topic WHEN a mapping sets a Kinesis/DynamoDB-only parameter (even falsy)
    lab, src = sources()
    message = refused(
        lab, src["kafka"], starting_position="LATEST", topics=["orders"], **{field: value}
    )
    # THEN it is refused with the API's name
    assert message == (
        f"Unsupported {api_name} parameter for given event source mapping type. "
        f"({field} applies to Kinesis and DynamoDB sources only)"
    )


def test_kafka_refuses_scaling_config_as_streams_do():
    # GIVEN a Kafka topic WHEN scaling is asked for THEN it is refused, naming kafka
    lab, src = sources()
    message = refused(
        lab,
        src["kafka"],
        starting_position="LATEST",
        topics=["orders"],
        scaling_config={"MaximumConcurrency": 5},
    )
    assert message.endswith("(scaling_config does not apply to kafka sources)")


def test_a_kafka_mapping_defaults_to_a_half_second_window():
    # GIVEN a Kafka topic WHEN a mapping sets no window
    lab, src = sources()
    answer = created(lab, src["kafka"], starting_position="TRIM_HORIZON", topics=["refunds"])
    # THEN the window is 500 ms, the batch 100, and the topic and Kafka's fields are kept
    assert KAFKA_DEFAULT_WINDOW == 0.5
    assert answer["MaximumBatchingWindowInSeconds"] == 0.5
    assert answer["BatchSize"] == 100
    assert answer["Topics"] == ["refunds"]
    assert answer["StartingPosition"] == "TRIM_HORIZON"
    assert answer["MaximumRetryAttempts"] == -1
    assert answer["MaximumRecordAgeInSeconds"] == -1
    assert answer["StateTransitionReason"] == "USER_INITIATED"
    for key in ("ParallelizationFactor", "BisectBatchOnFunctionError", "TumblingWindowInSeconds"):
        assert key not in answer


@pytest.mark.parametrize("window", [0, 4])
def test_a_kafka_window_given_is_kept_even_zero(window):
    # GIVEN a Kafka topic WHEN a mapping sets a window of 0 or 4 s THEN that window is kept
    lab, src = sources()
    answer = created(
        lab,
        src["kafka"],
        starting_position="LATEST",
        topics=["orders"],
        maximum_batching_window_in_seconds=window,
    )
    assert answer["MaximumBatchingWindowInSeconds"] == window
    # AND an update of another setting keeps it
    updated = lab.update_event_source_mapping(answer["UUID"], batch_size=5)
    assert updated["MaximumBatchingWindowInSeconds"] == window and updated["BatchSize"] == 5


def test_a_kafka_mapping_keeps_its_error_settings():
    # GIVEN a Kafka topic and an on-failure queue WHEN a mapping sets the error settings
    lab, src = sources()
    queue = lab.create_queue("failures")
    answer = created(
        lab,
        src["kafka"],
        starting_position="LATEST",
        topics=["orders"],
        batch_size=3,
        maximum_retry_attempts=2,
        maximum_record_age_in_seconds=120,
        function_response_types=["ReportBatchItemFailures"],
        destination_config={"on_failure": queue},
    )
    # THEN they are in the answer
    assert answer["BatchSize"] == 3
    assert answer["MaximumRetryAttempts"] == 2
    assert answer["MaximumRecordAgeInSeconds"] == 120
    assert answer["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert answer["DestinationConfig"] == {"OnFailure": {"Destination": queue.arn}}


def test_updates_are_checked_by_the_same_rules():
    # GIVEN a Kinesis mapping
    lab, src = sources()
    answer = created(lab, src["stream"], starting_position="LATEST")
    # WHEN an update sets a maximum age of 30 s THEN it is refused, and the mapping is unchanged
    with pytest.raises(ll.InvalidParameterValueException, match="either -1"):
        lab.update_event_source_mapping(answer["UUID"], maximum_record_age_in_seconds=30)
    assert lab.get_event_source_mapping(answer["UUID"])["MaximumRecordAgeInSeconds"] == -1


def test_a_destination_that_is_neither_a_resource_nor_an_arn_is_refused_naming_the_field():
    # GIVEN a Kinesis stream WHEN the on-failure destination is a number
    lab, src = sources()
    message = refused(
        lab, src["stream"], starting_position="LATEST", destination_config={"on_failure": 42}
    )
    # THEN the refusal names the field and the value
    assert message == (
        "destination_config.on_failure must be a resource of this lab or its ARN, got 42"
    )
