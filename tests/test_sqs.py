"""SQS queues: sending, receiving, visibility, receipt handles, retention and redrive.

Every scenario moves virtual time with ``lab.run(until=t)`` and asserts on what
``receive_message`` returns and on the queue's counts, as a consumer sees them.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lambda_lab as ll
from lambda_lab.sim.resources.sqs import SQS_MAX_BYTES, Message, Queue

MIB = 1024 * 1024
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def with_dlq(lab: ll.Lab, max_receive_count: int = 3, **settings_):
    dlq = lab.create_queue("dlq")
    queue = lab.create_queue(
        "q",
        redrive_policy={"deadLetterTargetArn": dlq.arn, "maxReceiveCount": max_receive_count},
        **settings_,
    )
    return queue, dlq


# -- sending --------------------------------------------------------------------------


def test_send_returns_the_message_id_and_the_md5_of_the_body(lab):
    # GIVEN a queue
    queue = lab.create_queue("q")
    # WHEN a message is sent
    sent = queue.send_message("hello")
    # THEN SQS's answer names the message and the MD5 of its body
    assert set(sent) == {"MessageId", "MD5OfMessageBody"}
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()
    (message,) = queue.messages
    assert message.message_id == sent["MessageId"]
    assert message.md5_of_body == sent["MD5OfMessageBody"]
    assert message.body == "hello"
    assert queue.sent == 1 and len(queue) == 1


def test_message_attributes_are_kept_and_copied(lab):
    # GIVEN a queue and message attributes the caller keeps using
    queue = lab.create_queue("q")
    attributes = {"colour": {"DataType": "String", "StringValue": "blue"}}
    queue.send_message("x", message_attributes=attributes)
    attributes["colour"] = "changed"
    attributes["extra"] = 1
    # WHEN the message is received
    (message,) = queue.receive_message()
    # THEN it carries the attributes as they were sent
    assert message.to_dict()["MessageAttributes"] == {
        "colour": {"DataType": "String", "StringValue": "blue"}
    }


@pytest.mark.parametrize("body", ["", None, 7, b"bytes"])
def test_an_empty_or_non_string_body_is_refused(lab, body):
    # GIVEN a queue
    queue = lab.create_queue("q")
    # WHEN the body is empty or not a string THEN the send is refused and nothing is queued
    with pytest.raises(ll.InvalidParameterValueException, match="non-empty string"):
        queue.send_message(body)
    assert len(queue) == 0 and queue.sent == 0


def test_a_one_mib_body_is_accepted_and_one_byte_more_is_refused(lab):
    # GIVEN a queue
    queue = lab.create_queue("q")
    assert SQS_MAX_BYTES == MIB
    # WHEN a body of exactly 1 MiB is sent THEN it is accepted
    queue.send_message("a" * MIB)
    # WHEN a body one byte longer is sent THEN it is refused, naming its size
    with pytest.raises(ll.InvalidParameterValueException, match=f"is {MIB + 1} bytes"):
        queue.send_message("a" * (MIB + 1))
    assert len(queue) == 1 and queue.sent == 1


def test_the_size_limit_counts_utf8_bytes_not_characters(lab):
    # GIVEN a body of 1 MiB in UTF-8 but fewer characters (é is two bytes)
    queue = lab.create_queue("q")
    queue.send_message("é" * (MIB // 2))
    # WHEN one more byte is added THEN it is refused though it has fewer than 1 Mi characters
    with pytest.raises(ll.InvalidParameterValueException, match=f"is {MIB + 1} bytes"):
        queue.send_message("é" * (MIB // 2) + "a")


def test_sent_timestamp_is_the_simulated_wall_clock_in_milliseconds(lab):
    # GIVEN a queue, and time moved to 12.5 s
    queue = lab.create_queue("q")
    lab.run(until=12.5)
    # WHEN a message is sent
    queue.send_message("x")
    (message,) = queue.messages
    # THEN its attributes are SQS's, before any receive
    assert message.attributes == {
        "ApproximateReceiveCount": "0",
        "SentTimestamp": str(lab.clock.unix_millis(12.5)),
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": "",
    }
    assert message.receive_count == 0 and message.receipt_handle is None


# -- receiving ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 11, -1])
def test_receiving_fewer_than_1_or_more_than_10_is_refused(lab, n):
    # GIVEN a queue with a message
    queue = lab.create_queue("q")
    queue.send_message("x")
    # WHEN 0 or 11 messages are asked for THEN the call is refused and nothing is hidden
    with pytest.raises(ll.InvalidParameterValueException, match="between 1 and 10"):
        queue.receive_message(max_number_of_messages=n)
    assert queue.approximate_number_of_messages == 1
    assert queue.messages[0].receive_count == 0


def test_receive_takes_one_message_by_default_and_up_to_10(lab):
    # GIVEN a queue with 12 messages
    queue = lab.create_queue("q")
    for i in range(12):
        queue.send_message(f"m{i}")
    # WHEN one is received without a count THEN the oldest one comes
    assert [m.body for m in queue.receive_message()] == ["m0"]
    # WHEN 1 is asked for THEN exactly one comes
    assert [m.body for m in queue.receive_message(max_number_of_messages=1)] == ["m1"]
    # WHEN 10 are asked for THEN the next 10 come, oldest first
    ten = queue.receive_message(max_number_of_messages=10)
    assert [m.body for m in ten] == [f"m{i}" for i in range(2, 12)]
    # THEN none is left visible, all 12 are in flight
    assert queue.receive_message(max_number_of_messages=10) == []
    assert queue.approximate_number_of_messages == 0
    assert queue.approximate_number_of_messages_not_visible == 12
    assert len(queue) == 12


def test_receive_returns_fewer_than_asked_when_fewer_are_visible(lab):
    # GIVEN a queue with 3 messages
    queue = lab.create_queue("q")
    for i in range(3):
        queue.send_message(f"m{i}")
    # WHEN 10 are asked for THEN the 3 come
    assert len(queue.receive_message(max_number_of_messages=10)) == 3


def test_an_empty_queue_returns_no_message(lab):
    assert lab.create_queue("q").receive_message(max_number_of_messages=10) == []


def test_a_receive_stamps_the_count_and_the_first_receive_time(lab):
    # GIVEN a message sent at 1 s, on a queue hiding for 10 s
    queue = lab.create_queue("q", visibility_timeout=10)
    lab.run(until=1)
    queue.send_message("x")
    # WHEN it is received at 2 s, and again at 20 s
    lab.run(until=2)
    (first,) = queue.receive_message()
    assert first.attributes["ApproximateReceiveCount"] == "1"
    assert first.attributes["ApproximateFirstReceiveTimestamp"] == str(lab.clock.unix_millis(2))
    lab.run(until=20)
    (second,) = queue.receive_message()
    # THEN the count grows and the first-receive time stays the first one
    assert second.receive_count == 2
    assert second.attributes["ApproximateReceiveCount"] == "2"
    assert second.attributes["ApproximateFirstReceiveTimestamp"] == str(lab.clock.unix_millis(2))
    assert second.attributes["SentTimestamp"] == str(lab.clock.unix_millis(1))


def test_to_dict_has_boto3s_keys(lab):
    # GIVEN a received message sent without message attributes
    queue = lab.create_queue("q")
    queue.send_message('{"a": 1}')
    (message,) = queue.receive_message()
    # WHEN it is turned into ReceiveMessage's shape
    out = message.to_dict()
    # THEN it has boto3's keys, in order, and no MessageAttributes
    assert list(out) == ["MessageId", "ReceiptHandle", "MD5OfBody", "Body", "Attributes"]
    assert out["MessageId"] == message.message_id
    assert out["ReceiptHandle"] == message.receipt_handle
    assert out["MD5OfBody"] == hashlib.md5(b'{"a": 1}').hexdigest()
    assert out["Body"] == '{"a": 1}'
    assert out["Attributes"]["ApproximateReceiveCount"] == "1"
    # THEN the attributes are a copy: changing them changes not the message
    out["Attributes"]["ApproximateReceiveCount"] = "99"
    assert message.attributes["ApproximateReceiveCount"] == "1"


def test_to_dict_adds_message_attributes_when_there_are_some(lab):
    queue = lab.create_queue("q")
    queue.send_message("x", message_attributes={"k": {"DataType": "Number", "StringValue": "1"}})
    out = queue.receive_message()[0].to_dict()
    assert list(out)[-1] == "MessageAttributes"
    assert out["MessageAttributes"] == {"k": {"DataType": "Number", "StringValue": "1"}}


def test_message_ids_are_uuids_and_distinct(lab):
    queue = lab.create_queue("q")
    ids = [queue.send_message(f"m{i}")["MessageId"] for i in range(5)]
    assert len(set(ids)) == 5
    assert all(re.fullmatch(UUID, i) for i in ids)


# -- visibility -----------------------------------------------------------------------


def test_a_received_message_is_hidden_until_exactly_now_plus_the_timeout(lab):
    # GIVEN a queue hiding messages for 30 s and a message received at 5 s
    queue = lab.create_queue("q", visibility_timeout=30)
    queue.send_message("x")
    lab.run(until=5)
    assert len(queue.receive_message()) == 1
    # WHEN the timeout has not quite passed THEN it stays hidden
    lab.run(until=34.999)
    assert queue.receive_message() == []
    assert queue.approximate_number_of_messages == 0
    assert queue.approximate_number_of_messages_not_visible == 1
    # WHEN exactly 5 + 30 s is reached THEN it is visible again
    lab.run(until=35)
    assert queue.approximate_number_of_messages == 1
    assert queue.approximate_number_of_messages_not_visible == 0
    (again,) = queue.receive_message()
    assert again.receive_count == 2


def test_the_receive_timeout_overrides_the_queues(lab):
    # GIVEN a queue hiding for 30 s, and a receive asking for 5 s
    queue = lab.create_queue("q", visibility_timeout=30)
    queue.send_message("x")
    queue.receive_message(visibility_timeout=5)
    # WHEN 5 s have passed THEN it is visible again
    lab.run(until=4.9)
    assert queue.receive_message() == []
    lab.run(until=5)
    assert len(queue.receive_message()) == 1


def test_a_zero_receive_timeout_leaves_the_message_visible(lab):
    # GIVEN a queue hiding for 30 s WHEN a message is received with a 0 s timeout
    queue = lab.create_queue("q", visibility_timeout=30)
    queue.send_message("x")
    queue.receive_message(visibility_timeout=0)
    # THEN the same instant can receive it again
    assert queue.approximate_number_of_messages == 1
    assert queue.receive_message()[0].receive_count == 2


def test_a_zero_visibility_queue_hands_a_message_out_at_every_receive(lab):
    queue = lab.create_queue("q", visibility_timeout=0)
    queue.send_message("x")
    counts = [queue.receive_message()[0].receive_count for _ in range(3)]
    assert counts == [1, 2, 3]


def test_hidden_messages_are_skipped_and_later_ones_received(lab):
    # GIVEN two messages, the first received and hidden
    queue = lab.create_queue("q")
    queue.send_message("first")
    queue.receive_message()
    queue.send_message("second")
    # WHEN a receive asks for up to 10 THEN only the visible second one comes
    assert [m.body for m in queue.receive_message(max_number_of_messages=10)] == ["second"]


# -- receipt handles and delete -------------------------------------------------------


def test_delete_by_receipt_handle_removes_the_message(lab):
    # GIVEN a received message
    queue = lab.create_queue("q")
    queue.send_message("x")
    queue.send_message("y")
    (message,) = queue.receive_message()
    # WHEN it is deleted by its receipt handle
    queue.delete_message(message.receipt_handle)
    # THEN it is gone, for good, and the other one stays
    assert [m.body for m in queue.messages] == ["y"]
    assert queue.deleted == 1 and len(queue) == 1
    lab.run(until=100)
    assert [m.body for m in queue.receive_message(max_number_of_messages=10)] == ["y"]


def test_every_delete_is_counted(lab):
    queue = lab.create_queue("q")
    for body in ("a", "b", "c"):
        queue.send_message(body)
    for message in queue.receive_message(max_number_of_messages=3):
        queue.delete_message(message.receipt_handle)
    assert queue.deleted == 3 and queue.sent == 3 and len(queue) == 0


def test_a_receipt_handle_can_delete_only_once(lab):
    queue = lab.create_queue("q")
    queue.send_message("x")
    handle = queue.receive_message()[0].receipt_handle
    queue.delete_message(handle)
    with pytest.raises(ll.ResourceNotFoundException, match="not valid"):
        queue.delete_message(handle)
    assert queue.deleted == 1


def test_an_unknown_receipt_handle_is_refused(lab):
    queue = lab.create_queue("q")
    queue.send_message("x")
    with pytest.raises(ll.ResourceNotFoundException, match="'nope' is not valid"):
        queue.delete_message("nope")
    assert len(queue) == 1 and queue.deleted == 0


def test_each_receive_gives_a_new_handle_and_the_old_one_is_refused(lab):
    # GIVEN a message received twice (the first visibility timeout expired)
    queue = lab.create_queue("q", visibility_timeout=10)
    queue.send_message("x")
    old = queue.receive_message()[0].receipt_handle
    lab.run(until=10)
    new = queue.receive_message()[0].receipt_handle
    # THEN the handles differ, look like SQS's, and the old one deletes nothing
    assert old != new
    assert re.fullmatch(r"[0-9a-f]{32}==", old) and re.fullmatch(r"[0-9a-f]{32}==", new)
    with pytest.raises(ll.ResourceNotFoundException):
        queue.delete_message(old)
    assert len(queue) == 1
    # WHEN the new one is used THEN the message is deleted
    queue.delete_message(new)
    assert len(queue) == 0


def test_an_in_flight_message_can_be_deleted_before_its_timeout(lab):
    queue = lab.create_queue("q", visibility_timeout=30)
    queue.send_message("x")
    handle = queue.receive_message()[0].receipt_handle
    lab.run(until=29)
    queue.delete_message(handle)
    assert queue.approximate_number_of_messages_not_visible == 0 and len(queue) == 0


def test_a_handle_of_one_queue_deletes_nothing_in_another(lab):
    a, b = lab.create_queue("a"), lab.create_queue("b")
    a.send_message("x")
    b.send_message("y")
    handle = a.receive_message()[0].receipt_handle
    with pytest.raises(ll.ResourceNotFoundException):
        b.delete_message(handle)
    assert len(a) == 1 and len(b) == 1


# -- purge, messages, bodies ----------------------------------------------------------


def test_purge_deletes_every_message_and_invalidates_handles(lab):
    # GIVEN a queue with a visible and an in-flight message
    queue = lab.create_queue("q")
    queue.send_message("x")
    handle = queue.receive_message()[0].receipt_handle
    queue.send_message("y")
    # WHEN it is purged
    queue.purge()
    # THEN nothing is left, and the handle deletes nothing
    assert queue.messages == [] and len(queue) == 0
    assert queue.approximate_number_of_messages == 0
    assert queue.approximate_number_of_messages_not_visible == 0
    with pytest.raises(ll.ResourceNotFoundException):
        queue.delete_message(handle)
    # THEN the queue still works
    queue.send_message("z")
    assert queue.bodies == ["z"]


def test_messages_lists_visible_and_in_flight_oldest_first(lab):
    queue = lab.create_queue("q")
    for body in ["a", "b", "c"]:
        queue.send_message(body)
    queue.receive_message()
    assert [m.body for m in queue.messages] == ["a", "b", "c"]
    # the list is a copy: changing it changes not the queue
    queue.messages.clear()
    assert len(queue.messages) == 3


def test_bodies_are_decoded_where_they_are_json(lab):
    queue = lab.create_queue("q")
    for body in ['{"a": [1, 2]}', "plain text", "3", '"quoted"', "{not json"]:
        queue.send_message(body)
    assert queue.bodies == [{"a": [1, 2]}, "plain text", 3, "quoted", "{not json"]


def test_repr_names_the_queue_and_counts(lab):
    queue = lab.create_queue("orders")
    queue.send_message("x" * 100)
    assert repr(queue) == "<Queue orders: 1 messages>"
    (message,) = queue.messages
    assert repr(message) == (
        f"<Message {message.message_id[:8]} receive_count=0 body={'x' * 37 + '...'!r}>"
    )
    queue.send_message("y" * 40)
    assert repr(queue.messages[1]).endswith(f"body={'y' * 40!r}>")
    queue.send_message("z" * 41)
    assert repr(queue.messages[2]).endswith(f"body={'z' * 37 + '...'!r}>")


def test_a_queue_made_by_the_world_has_sqss_defaults_and_no_redrive(lab):
    # GIVEN a queue made directly in the world, without settings
    queue = Queue("plain", lab.world)
    # THEN it has SQS's defaults: 30 s visibility, 4 days retention, no DLQ
    assert (queue.visibility_timeout, queue.message_retention_period) == (30, 345600)
    assert queue.redrive_policy is None
    assert queue.dead_letter_queue is None and queue.max_receive_count is None
    assert (queue.sent, queue.deleted) == (0, 0)


def test_a_queue_keeps_its_redrive_policy(lab):
    dlq = lab.create_queue("dlq")
    policy = {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 4}
    queue = lab.create_queue("q", redrive_policy=policy)
    assert queue.redrive_policy == policy
    assert (queue.dead_letter_queue, queue.max_receive_count) == (dlq, 4)


def test_a_message_no_queue_sent_has_no_timestamps_and_no_receives():
    # Attributes are derived from the message's state, so one never sent or
    # received shows a count of 0 and empty timestamps.
    message = Message("id-1", "body", {}, 0.0)
    assert message.to_dict() == {
        "MessageId": "id-1",
        "ReceiptHandle": None,
        "MD5OfBody": hashlib.md5(b"body").hexdigest(),
        "Body": "body",
        "Attributes": {
            "ApproximateReceiveCount": "0",
            "SentTimestamp": "",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "",
        },
    }


def test_the_queue_has_its_arn_and_url(lab):
    queue = lab.create_queue("orders")
    assert queue.arn == "arn:aws:sqs:us-east-1:123456789012:orders"
    assert queue.url == "https://sqs.us-east-1.amazonaws.com/123456789012/orders"
    assert queue.kind == "sqs" and not queue.fifo and queue.max_message_bytes == MIB
    assert lab.create_queue("orders.fifo").fifo


# -- retention ------------------------------------------------------------------------


def test_a_message_is_deleted_once_it_is_the_retention_period_old(lab):
    # GIVEN a queue retaining messages for 60 s, and a message sent at 10 s
    queue = lab.create_queue("q", message_retention_period=60)
    lab.run(until=10)
    queue.send_message("old")
    lab.run(until=30)
    queue.send_message("young")
    # WHEN time is just before 10 + 60 s THEN both are there
    lab.run(until=69.9)
    assert queue.bodies == ["old", "young"]
    # WHEN it is exactly 70 s THEN the old one is gone, the young one remains
    lab.run(until=70)
    assert queue.bodies == ["young"]
    assert [m.body for m in queue.messages] == ["young"]
    assert len(queue) == 1
    assert queue.approximate_number_of_messages == 1
    assert [m.body for m in queue.receive_message(max_number_of_messages=10)] == ["young"]


def test_messages_that_expire_unread_are_in_the_trace_when_run_returns(lab):
    # GIVEN a queue nobody reads, retaining messages for 60 s, and two messages
    queue = lab.create_queue("q", message_retention_period=60)
    queue.send_message("a")
    lab.run(until=5)
    queue.send_message("b")
    # WHEN the lab runs past the first expiry only, with no read of the queue
    lab.run(until=64)
    # THEN the trace already holds that expiry, with the instant it happened
    expired = lab.trace.filter("message_expired")
    assert [(r["t"], r["expired_at"]) for r in expired] == [(64, 60)]
    # WHEN it runs on (settle() too sweeps) THEN the second follows, once
    lab.run(until=100)
    lab.settle()
    expired = lab.trace.filter("message_expired")
    assert [(r["t"], r["expired_at"]) for r in expired] == [(64, 60), (100, 65)]
    assert queue.expired == 2 and len(queue) == 0


def test_a_receive_whose_visibility_lapsed_unread_is_in_the_trace_when_run_returns(lab):
    # GIVEN a message received by hand with a 30 s visibility timeout, never deleted
    queue = lab.create_queue("q", visibility_timeout=30)
    queue.send_message("x")
    queue.receive_message()
    # WHEN the lab runs past the timeout, with no read of the queue
    lab.run(until=40)
    # THEN the lapse is recorded, with the instant the message became visible again
    (record,) = lab.trace.filter("visibility_expired")
    assert (record["t"], record["visible_at"], record["receive_count"]) == (40, 30, 1)


def test_an_in_flight_message_expires_too_and_its_handle_is_refused(lab):
    # GIVEN a message in flight for longer than the retention period
    queue = lab.create_queue("q", message_retention_period=60, visibility_timeout=600)
    queue.send_message("x")
    handle = queue.receive_message()[0].receipt_handle
    # WHEN the retention period has passed
    lab.run(until=60)
    # THEN it is gone and its handle deletes nothing
    assert queue.approximate_number_of_messages_not_visible == 0
    with pytest.raises(ll.ResourceNotFoundException):
        queue.delete_message(handle)
    assert queue.deleted == 0


def test_the_default_retention_is_four_days(lab):
    queue = lab.create_queue("q")
    queue.send_message("x")
    lab.run(until=345599)
    assert len(queue) == 1
    lab.run(until=345600)
    assert len(queue) == 0


def test_a_dead_lettered_message_keeps_its_original_sent_time_for_retention(lab):
    # GIVEN a DLQ retaining for 100 s and a message redriven there at 50 s
    dlq = lab.create_queue("dlq", message_retention_period=100)
    queue = lab.create_queue(
        "q",
        visibility_timeout=50,
        redrive_policy={"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 1},
    )
    queue.send_message("x")
    queue.receive_message()
    lab.run(until=50)
    assert queue.receive_message() == []
    assert dlq.bodies == ["x"]
    # WHEN the message is 100 s old (counted from its first send) THEN the DLQ drops it
    lab.run(until=100)
    assert dlq.bodies == []


# -- redrive --------------------------------------------------------------------------


def test_after_max_receive_count_receives_the_message_moves_to_the_dlq(lab):
    # GIVEN a queue redriving after 3 receives, with a message received 3 times
    queue, dlq = with_dlq(lab, 3, visibility_timeout=10)
    sent = queue.send_message('{"order": 1}')
    for t in (0, 10, 20):
        lab.run(until=t)
        (message,) = queue.receive_message()
    assert message.receive_count == 3
    assert len(dlq) == 0
    # WHEN it becomes visible and is asked for a fourth time
    lab.run(until=30)
    # THEN no message is returned: it moved to the DLQ with its MessageId and body
    assert queue.receive_message() == []
    assert len(queue) == 0
    (moved,) = dlq.messages
    assert moved.message_id == sent["MessageId"]
    assert moved.body == '{"order": 1}'
    assert moved.md5_of_body == sent["MD5OfMessageBody"]
    assert dlq.bodies == [{"order": 1}]
    # THEN it is visible at once in the DLQ, with a fresh handle on its next receive
    assert dlq.approximate_number_of_messages == 1
    assert moved.receipt_handle is None
    (got,) = dlq.receive_message()
    assert got.message_id == sent["MessageId"]
    dlq.delete_message(got.receipt_handle)
    assert len(dlq) == 0


def test_the_last_handle_of_a_redriven_message_deletes_nothing(lab):
    # GIVEN a message received once on a queue redriving after 1 receive
    queue, dlq = with_dlq(lab, 1, visibility_timeout=10)
    queue.send_message("x")
    handle = queue.receive_message()[0].receipt_handle
    lab.run(until=10)
    assert queue.receive_message() == []  # redriven
    # WHEN the source queue's old handle is used THEN it is refused, the DLQ keeps the message
    with pytest.raises(ll.ResourceNotFoundException):
        queue.delete_message(handle)
    assert queue.deleted == 0
    with pytest.raises(ll.ResourceNotFoundException):
        dlq.delete_message(handle)
    assert dlq.bodies == ["x"]


def test_a_message_received_fewer_times_stays(lab):
    # GIVEN a queue redriving after 3 receives WHEN a message is received twice
    queue, dlq = with_dlq(lab, 3, visibility_timeout=0)
    queue.send_message("x")
    queue.receive_message()
    queue.receive_message()
    # THEN the third receive still hands it out
    (third,) = queue.receive_message()
    assert third.receive_count == 3 and len(dlq) == 0


def test_redrive_skips_the_moved_message_and_fills_the_receive_with_the_next(lab):
    # GIVEN two messages, the first received to the limit
    queue, dlq = with_dlq(lab, 1, visibility_timeout=0)
    queue.send_message("tired")
    queue.receive_message()
    queue.send_message("fresh")
    # WHEN one message is asked for THEN the tired one moves and the fresh one comes
    assert [m.body for m in queue.receive_message()] == ["fresh"]
    assert dlq.bodies == ["tired"]


def test_redrive_happens_only_when_the_message_is_visible(lab):
    # GIVEN a message received to the limit and still hidden
    queue, dlq = with_dlq(lab, 1, visibility_timeout=30)
    queue.send_message("x")
    queue.receive_message()
    # WHEN a receive comes before the timeout THEN it stays in the queue
    lab.run(until=29)
    assert queue.receive_message() == []
    assert len(queue) == 1 and len(dlq) == 0


def test_without_a_redrive_policy_a_message_is_received_for_ever(lab):
    queue = lab.create_queue("q", visibility_timeout=0)
    queue.send_message("x")
    for _ in range(5):
        queue.receive_message()
    assert queue.receive_message()[0].receive_count == 6


def test_max_receive_count_of_1_and_1000_are_accepted(lab):
    dlq = lab.create_queue("dlq")
    for i, count in enumerate((1, 1000)):
        queue = lab.create_queue(
            f"q{i}", redrive_policy={"deadLetterTargetArn": dlq.arn, "maxReceiveCount": count}
        )
        assert queue.max_receive_count == count and queue.dead_letter_queue is dlq


def test_queue_settings_at_sqss_bounds_are_accepted(lab):
    low = lab.create_queue("low", visibility_timeout=0, message_retention_period=60)
    high = lab.create_queue("high", visibility_timeout=43200, message_retention_period=1209600)
    assert (low.visibility_timeout, low.message_retention_period) == (0, 60)
    assert (high.visibility_timeout, high.message_retention_period) == (43200, 1209600)


# -- invariants -----------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("send"), st.text(min_size=1, max_size=5)),
            st.tuples(st.just("receive"), st.integers(1, 10)),
            st.tuples(st.just("delete"), st.integers(0, 20)),
            st.tuples(st.just("wait"), st.integers(0, 40)),
        ),
        max_size=40,
    )
)
def test_every_message_is_visible_in_flight_or_dead_lettered(ops):
    # GIVEN a queue redriving after 2 receives, driven by random sends, receives, deletes, waits
    lab = ll.Lab(seed=1)
    queue, dlq = with_dlq(lab, 2, visibility_timeout=15)
    handles: list[str] = []
    sent = deleted = 0
    for op, arg in ops:
        if op == "send":
            queue.send_message(arg)
            sent += 1
        elif op == "receive":
            got = queue.receive_message(max_number_of_messages=arg)
            assert len(got) <= arg
            assert all(m.receive_count <= 2 for m in got)
            assert len({m.receipt_handle for m in got}) == len(got)
            handles.extend(m.receipt_handle for m in got)
        elif op == "delete" and handles:
            handle = handles.pop(arg % len(handles))
            live = {m.receipt_handle for m in queue.messages}
            if handle in live:
                queue.delete_message(handle)
                deleted += 1
            else:
                with pytest.raises(ll.ResourceNotFoundException):
                    queue.delete_message(handle)
        elif op == "wait":
            lab.run(until=lab.now + arg)
        # THEN no message is lost or duplicated
        visible = queue.approximate_number_of_messages
        hidden = queue.approximate_number_of_messages_not_visible
        assert visible + hidden == len(queue)
        assert len(queue) + len(dlq) + deleted == sent
        ids = [m.message_id for m in queue.messages + dlq.messages]
        assert len(ids) == len(set(ids))
    assert queue.sent == sent and queue.deleted == deleted
