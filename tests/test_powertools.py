"""Handlers written with Powertools for AWS Lambda run unchanged against the mappings.

Powertools' batch utility reads the events lambda_lab delivers and answers with
partial batch responses that the pollers honour; its parser models (pydantic)
validate every event shape the simulator sends.
"""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities import batch
from aws_lambda_powertools.utilities.parser import models as parser

BatchProcessor = batch.BatchProcessor
EventType = batch.EventType
process_partial_response = batch.process_partial_response


def test_an_sqs_batch_processor_handler_gets_its_failures_retried_alone(lab):
    # GIVEN a Powertools handler whose record handler fails on odd orders, once each
    processor = BatchProcessor(event_type=EventType.SQS)
    tried: list[int] = []

    def record_handler(record):
        order = json.loads(record.body)["order"]
        tried.append(order)
        if order % 2 and tried.count(order) == 1:
            raise ValueError(f"order {order} failed")

    def handler(event, context):
        parser.SqsModel.model_validate(event)  # the event is a valid SQS event
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    queue = lab.create_queue("orders", visibility_timeout=10)
    lab.create_function("f", handler, duration=0.1)
    lab.create_event_source_mapping(
        event_source_arn=queue,
        function_name="f",
        function_response_types=["ReportBatchItemFailures"],
    )
    for order in range(6):
        queue.send_message(json.dumps({"order": order}))
    # WHEN the lab runs
    lab.run()
    # THEN the odd orders were retried alone, and the queue is empty
    assert sorted(tried) == [0, 1, 1, 2, 3, 3, 4, 5, 5]
    assert lab.trace.filter("batch_failed")[0]["reason"] == "partial_response"
    assert len(queue) == 0
    assert {r["status"] for r in lab.trace.filter("attempt_ended")} == {"ok"}


def test_a_kinesis_batch_processor_handler_checkpoints_at_its_failure(lab):
    # GIVEN a Powertools Kinesis handler failing once on record 2
    processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
    tried: list[int] = []

    def record_handler(record):
        n = json.loads(record.kinesis.data_as_text())["n"]
        tried.append(n)
        if n == 2 and tried.count(2) == 1:
            raise ValueError("record 2 failed")

    def handler(event, context):
        parser.KinesisDataStreamModel.model_validate(event)
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    stream = lab.create_stream("clicks")
    lab.create_function("f", handler, duration=0.1)
    lab.create_event_source_mapping(
        event_source_arn=stream,
        function_name="f",
        starting_position="TRIM_HORIZON",
        function_response_types=["ReportBatchItemFailures"],
    )
    for n in range(5):
        stream.put_record(json.dumps({"n": n}), partition_key="k")
    # WHEN the lab runs
    lab.run()
    # THEN everything from record 2 on was delivered again, in order
    assert tried == [0, 1, 2, 3, 4, 2, 3, 4]


def test_dynamodb_stream_events_validate_against_powertools_models(lab):
    # GIVEN a table with a stream, and a handler validating each event
    seen = []

    def handler(event, context):
        model = parser.DynamoDBStreamModel.model_validate(event)
        seen.extend(r.eventName for r in model.Records)

    table = lab.create_table(
        "accounts",
        key_schema=[{"AttributeName": "id", "KeyType": "HASH"}],
        stream_specification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    lab.create_function("f", handler)
    lab.create_event_source_mapping(
        event_source_arn=table.latest_stream_arn,
        function_name="f",
        starting_position="TRIM_HORIZON",
    )
    # WHEN items change
    table.put_item({"id": {"S": "a"}, "balance": {"N": "20"}})
    table.update_item({"id": {"S": "a"}}, {"balance": {"N": "30"}})
    table.delete_item({"id": {"S": "a"}})
    lab.run()
    # THEN every event validated, and the handler saw the three changes
    assert [str(name.value if hasattr(name, "value") else name) for name in seen] == [
        "INSERT",
        "MODIFY",
        "REMOVE",
    ]
    assert {r["status"] for r in lab.trace.filter("attempt_ended")} == {"ok"}


def test_kafka_events_validate_against_powertools_models(lab):
    # GIVEN a topic and a handler validating each event as an MSK event
    validated = []

    def handler(event, context):
        validated.append(parser.KafkaMskEventModel.model_validate(event))

    cluster = lab.create_kafka_cluster("payments")
    cluster.create_topic("orders")
    lab.create_function("f", handler)
    lab.create_event_source_mapping(
        event_source_arn=cluster,
        function_name="f",
        topics=["orders"],
        starting_position="TRIM_HORIZON",
    )
    cluster.produce("orders", json.dumps({"n": 1}), key="k", headers={"trace": "abc"})
    # WHEN the lab runs THEN the event validated and the value decodes
    lab.run()
    (model,) = validated
    (records,) = model.records.values()
    assert json.loads(records[0].value) == {"n": 1}


def test_a_fifo_partial_processor_keeps_group_order_after_a_failure(lab):
    # GIVEN a FIFO queue and Powertools' FIFO processor failing once on message b1
    processor = batch.SqsFifoPartialProcessor()
    tried: list[str] = []

    def record_handler(record):
        tried.append(record.body)
        if record.body == "b1" and tried.count("b1") == 1:
            raise ValueError("b1 failed")

    def handler(event, context):
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    queue = lab.create_queue("orders.fifo", content_based_deduplication=True, visibility_timeout=10)
    lab.create_function("f", handler, duration=0.1)
    lab.create_event_source_mapping(
        event_source_arn=queue,
        function_name="f",
        function_response_types=["ReportBatchItemFailures"],
    )
    for body in ("b0", "b1", "b2", "b3"):
        queue.send_message(body, message_group_id="b")
    # WHEN the lab runs
    lab.run()
    # THEN b1 and everything after it came again, in order: no message overtook b1
    assert tried == ["b0", "b1", "b1", "b2", "b3"]
    assert len(queue) == 0
