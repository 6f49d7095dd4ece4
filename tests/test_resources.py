"""SNS topics, S3 buckets and EventBridge buses, as a subscriber or reader sees them."""

from __future__ import annotations

import json
import re

import pytest

import lambda_lab as ll

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
KIB = 1024
NOTIFICATION_KEYS = [
    "Type",
    "MessageId",
    "TopicArn",
    "Subject",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "MessageAttributes",
]


def keep(event, context):
    return event


# -- SNS ------------------------------------------------------------------------------


def test_a_topic_has_its_arn_and_starts_empty(lab):
    topic = lab.create_topic("alerts")
    assert topic.arn == "arn:aws:sns:us-east-1:123456789012:alerts"
    assert topic.kind == "sns" and not topic.fifo
    assert topic.max_message_bytes == 256 * KIB
    assert topic.published == [] and topic.messages == [] and topic.subscriptions == []
    assert repr(topic) == "<Topic alerts: 0 published>"
    assert lab.create_topic("alerts.fifo").fifo


def test_publish_keeps_the_notification_in_snss_shape(lab):
    # GIVEN a topic without subscriptions, at 2.5 s
    topic = lab.create_topic("alerts")
    lab.run(until=2.5)
    # WHEN a message with a subject and attributes is published
    out = topic.publish(
        '{"level": "high"}',
        subject="Alarm",
        message_attributes={
            "n": {"DataType": "Number", "StringValue": "3"},
            "plain": {"StringValue": "x"},
        },
    )
    # THEN the notification has SNS's keys, in order, and SNS's attribute shape
    (notification,) = topic.published
    assert list(notification) == NOTIFICATION_KEYS
    assert out == {"MessageId": notification["MessageId"]}
    assert re.fullmatch(UUID, out["MessageId"])
    assert notification["Type"] == "Notification"
    assert notification["TopicArn"] == topic.arn
    assert notification["Subject"] == "Alarm"
    assert notification["Message"] == '{"level": "high"}'
    assert notification["Timestamp"] == lab.clock.iso(2.5)
    assert notification["SignatureVersion"] == "1"
    assert notification["MessageAttributes"] == {
        "n": {"Type": "Number", "Value": "3"},
        "plain": {"Type": "String", "Value": "x"},
    }
    assert topic.messages == [{"level": "high"}]
    assert repr(topic) == "<Topic alerts: 1 published>"


def test_publish_without_subject_or_attributes(lab):
    topic = lab.create_topic("alerts")
    topic.publish("plain")
    (notification,) = topic.published
    assert notification["Subject"] is None and notification["MessageAttributes"] == {}
    assert topic.messages == ["plain"]


def test_a_256_kib_message_is_published_and_one_byte_more_is_refused(lab):
    topic = lab.create_topic("alerts")
    queue = lab.create_queue("q")
    topic.subscribe(queue, raw_message_delivery=True)
    topic.publish("a" * (256 * KIB))
    with pytest.raises(ll.InvalidParameterValueException, match=f"is {256 * KIB + 1} bytes"):
        topic.publish("é" * (128 * KIB) + "a")
    assert len(topic.published) == 1 and len(queue) == 1


def test_a_queue_subscription_gets_the_notification_as_its_body(lab):
    # GIVEN a queue subscribed with the SNS envelope
    topic = lab.create_topic("alerts")
    queue = lab.create_queue("q")
    sub = topic.subscribe(queue)
    assert re.fullmatch(re.escape(topic.arn) + ":" + UUID, sub)
    # WHEN a message with attributes is published
    topic.publish("hi", message_attributes={"k": {"DataType": "String", "StringValue": "v"}})
    # THEN the queue holds the whole notification as JSON, without SQS message attributes
    (message,) = queue.messages
    assert json.loads(message.body) == topic.published[0]
    assert message.message_attributes == {}


def test_a_raw_queue_subscription_gets_the_message_and_its_attributes(lab):
    topic = lab.create_topic("alerts")
    queue = lab.create_queue("q")
    topic.subscribe(queue, raw_message_delivery=True)
    attributes = {"k": {"DataType": "String", "StringValue": "v"}}
    topic.publish("hi", message_attributes=attributes)
    (message,) = queue.messages
    assert message.body == "hi"
    assert message.message_attributes == attributes


def test_every_subscription_receives_each_message(lab):
    topic = lab.create_topic("alerts")
    a, b = lab.create_queue("a"), lab.create_queue("b")
    topic.subscribe(a)
    topic.subscribe(b, raw_message_delivery=True)
    for text in ("one", "two"):
        topic.publish(text)
    assert [json.loads(body)["Message"] for body in (m.body for m in a.messages)] == [
        "one",
        "two",
    ]
    assert b.bodies == ["one", "two"]
    assert len(topic.subscriptions) == 2


def test_a_function_subscription_is_invoked_asynchronously_with_an_sns_event(lab):
    # GIVEN a function subscribed to a topic
    topic = lab.create_topic("alerts")
    fn = lab.create_function("f", keep)
    sub = topic.subscribe(fn)
    # WHEN a message is published
    topic.publish("hello", subject="S")
    lab.run()
    # THEN the function was invoked asynchronously, the topic as the source
    (accepted,) = lab.trace.filter(kind="accepted")
    assert accepted["source"] == topic.arn
    (ended,) = lab.trace.filter(kind="attempt_ended")
    assert ended["status"] == "ok"
    # AND its event is SNS's Records envelope around the notification
    (started,) = lab.trace.filter(kind="attempt_started")
    assert started["request_id"] == accepted["request_id"]
    (record,) = lab.trace.filter(kind="succeeded")
    assert record["request_id"] == accepted["request_id"]
    assert len(topic.published) == 1
    assert sub.startswith(topic.arn + ":")


def test_the_event_a_subscribed_function_gets(lab):
    seen = []

    def handler(event, context):
        seen.append(event)

    topic = lab.create_topic("alerts")
    sub = topic.subscribe(lab.create_function("f", handler))
    topic.publish("hello")
    lab.run()
    (event,) = seen
    assert event == {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": sub,
                "Sns": topic.published[0],
            }
        ]
    }


@pytest.mark.parametrize("endpoint", [None, 3, object()])
def test_only_queues_and_functions_can_subscribe(lab, endpoint):
    topic = lab.create_topic("alerts")
    with pytest.raises(ll.InvalidParameterValueException, match="Queue or a Function"):
        topic.subscribe(endpoint)
    assert topic.subscriptions == []


def test_a_bucket_cannot_subscribe(lab):
    topic = lab.create_topic("alerts")
    with pytest.raises(ll.InvalidParameterValueException):
        topic.subscribe(lab.create_bucket("some-bucket"))


# -- S3 -------------------------------------------------------------------------------


def test_a_bucket_keeps_objects_by_key_and_decodes_json(lab):
    bucket = lab.create_bucket("logs")
    assert bucket.arn == "arn:aws:s3:::logs" and bucket.kind == "s3"
    bucket.put_object("a.json", '{"x": 1}')
    bucket.put_object("b.txt", "plain")
    bucket.put_object("a.json", '{"x": 2}')
    assert bucket.get_object("a.json") == {"x": 2}
    assert bucket.get_object("b.txt") == "plain"
    assert bucket.objects == {"a.json": '{"x": 2}', "b.txt": "plain"}
    assert repr(bucket) == "<Bucket logs: 2 objects>"


def test_a_missing_key_is_not_found(lab):
    bucket = lab.create_bucket("logs")
    with pytest.raises(ll.ResourceNotFoundException, match="does not exist: nope"):
        bucket.get_object("nope")


# -- EventBridge ----------------------------------------------------------------------


def test_an_event_bus_keeps_events_in_eventbridges_shape(lab):
    bus = lab.create_event_bus("orders")
    assert bus.arn == "arn:aws:events:us-east-1:123456789012:event-bus/orders"
    assert bus.kind == "events" and bus.max_message_bytes == 1024 * KIB
    lab.run(until=61.5)
    event_id = bus.put_event("my.app", "Order Placed", {"id": 1}, ["arn:x"])
    (event,) = bus.events
    assert event == {
        "version": "0",
        "id": event_id,
        "detail-type": "Order Placed",
        "source": "my.app",
        "account": "123456789012",
        "time": lab.clock.iso_seconds(61.5),
        "region": "us-east-1",
        "resources": ["arn:x"],
        "detail": {"id": 1},
    }
    assert re.fullmatch(UUID, event_id)
    assert repr(bus) == "<EventBus orders: 1 events>"


def test_the_default_event_bus_is_named_default(lab):
    assert lab.create_event_bus().name == "default"
