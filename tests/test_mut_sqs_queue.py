"""SQS queues, against surviving mutants: batch sends, the exact words of each
refusal, FIFO sequence numbers, groups and deduplication, delays, waiters, retention,
redrive counters and ``get_queue_attributes`` in SQS's shape.

Scenarios in GIVEN / WHEN / THEN form, on boto3-shaped answers, the trace and counters.
"""

from __future__ import annotations

import pytest
from support import refused

import lambda_lab as ll
from lambda_lab.errors import InvalidParameterValueException
from lambda_lab.sim.resources.sqs import Queue

WRONG_TYPE = "The request include parameter that is not valid for this queue type. "


@pytest.fixture
def lab() -> ll.Lab:
    return ll.Lab(seed=11)


def fifo(lab, name="q.fifo", **kwargs):
    return lab.create_queue(name, content_based_deduplication=True, **kwargs)


# -- sending one message ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delay", "message"),
    [
        (901, "delay_seconds must be an integer between 0 and 900, got 901"),
        (-1, "delay_seconds must be an integer between 0 and 900, got -1"),
        (True, "delay_seconds must be an integer between 0 and 900, got True"),
        ("5", "delay_seconds must be an integer between 0 and 900, got '5'"),
    ],
)
def test_a_bad_delay_is_refused_in_these_words(lab, delay, message):
    queue = lab.create_queue("q")
    refused(InvalidParameterValueException, message, queue.send_message, "x", delay_seconds=delay)
    assert queue.sent == 0


def test_delays_of_0_1_and_900_seconds_are_honoured(lab):
    # GIVEN a queue that delays by 5 s, and messages sent with delays 0, 1 and 900
    queue = lab.create_queue("q", delay_seconds=5, visibility_timeout=43200)
    queue.send_message("now", delay_seconds=0)
    queue.send_message("one", delay_seconds=1)
    queue.send_message("late", delay_seconds=900)
    # THEN only the first is visible at once, the counts say so without a read
    assert queue.counts == {"delayed": 2, "visible": 1, "in flight": 0}
    assert [m.body for m in queue.receive_message(10)] == ["now"]
    # AND the next appears after 1 s, the last after 900 s
    lab.run(until=1)
    assert [m.body for m in queue.receive_message(10)] == ["one"]
    lab.run(until=899.5)
    assert queue.receive_message(10) == []
    lab.run(until=900)
    assert [m.body for m in queue.receive_message(10)] == ["late"]


def test_a_fifo_queue_refuses_a_per_message_delay(lab):
    queue = fifo(lab)
    refused(
        InvalidParameterValueException,
        WRONG_TYPE + "(delay_seconds applies to standard queues only, got 0)",
        queue.send_message,
        "x",
        delay_seconds=0,
        message_group_id="g",
    )


@pytest.mark.parametrize("kwargs", [{"message_group_id": "g"}, {"message_deduplication_id": "d"}])
def test_a_standard_queue_refuses_either_fifo_parameter(lab, kwargs):
    queue = lab.create_queue("q")
    refused(
        InvalidParameterValueException,
        WRONG_TYPE + "(message_group_id and message_deduplication_id apply to FIFO queues only)",
        queue.send_message,
        "x",
        **kwargs,
    )


@pytest.mark.parametrize("group", [None, 5, "", "g" * 129])
def test_a_fifo_queue_wants_a_group_id_of_1_to_128_characters(lab, group):
    queue = fifo(lab)
    refused(
        InvalidParameterValueException,
        "The request must contain the parameter MessageGroupId. (message_group_id "
        f"must be a string of 1 to 128 characters, got {group!r})",
        queue.send_message,
        "x",
        message_group_id=group,
    )


@pytest.mark.parametrize("dedup", [5, "", "d" * 129])
def test_a_deduplication_id_must_be_1_to_128_characters(lab, dedup):
    queue = fifo(lab)
    refused(
        InvalidParameterValueException,
        f"message_deduplication_id must be a string of 1 to 128 characters, got {dedup!r}",
        queue.send_message,
        "x",
        message_group_id="g",
        message_deduplication_id=dedup,
    )


def test_without_content_based_deduplication_an_id_is_required(lab):
    queue = lab.create_queue("q.fifo")
    refused(
        InvalidParameterValueException,
        "The queue should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly",
        queue.send_message,
        "x",
        message_group_id="g",
    )


def test_ids_of_128_characters_are_accepted_and_kept(lab):
    # GIVEN a FIFO message with a group and a deduplication id of 128 characters
    queue = lab.create_queue("q.fifo")
    queue.send_message("x", message_group_id="g" * 128, message_deduplication_id="d" * 128)
    # WHEN it is received THEN both ids are in its attributes
    (message,) = queue.receive_message()
    assert message.attributes["MessageGroupId"] == "g" * 128
    assert message.attributes["MessageDeduplicationId"] == "d" * 128


def test_fifo_sequence_numbers_are_20_digits_counting_from_10_to_the_19(lab):
    # GIVEN two messages on a FIFO queue
    queue = fifo(lab)
    first = queue.send_message("a", message_group_id="g")
    second = queue.send_message("b", message_group_id="g")
    # THEN their sequence numbers count from 10**19 + 1, one by one
    assert first["SequenceNumber"] == "10000000000000000001"
    assert second["SequenceNumber"] == "10000000000000000002"
    # AND a standard message has no FIFO fields at all
    plain = lab.create_queue("plain")
    plain.send_message("x")
    (message,) = plain.messages
    assert (message.group_id, message.deduplication_id, message.sequence_number) == (
        None,
        None,
        None,
    )


def test_deduplication_lasts_exactly_five_minutes(lab):
    # GIVEN a message sent at 0 with a deduplication id
    queue = lab.create_queue("q.fifo")
    first = queue.send_message("a", message_group_id="g", message_deduplication_id="d")
    # WHEN the same id is sent just before 300 s THEN it is accepted and not added
    lab.run(until=299.5)
    again = queue.send_message("a", message_group_id="g", message_deduplication_id="d")
    assert again == first and len(queue) == 1
    # AND at exactly 300 s it is a new message
    lab.run(until=300)
    later = queue.send_message("a", message_group_id="g", message_deduplication_id="d")
    assert later["MessageId"] != first["MessageId"] and len(queue) == 2


def test_the_size_of_a_message_counts_utf8_bytes(lab):
    queue = lab.create_queue("q")
    queue.send_message("é€")
    (message,) = queue.messages
    assert message.size == 5


# -- sending a batch -------------------------------------------------------------------------


@pytest.mark.parametrize(("entries", "got"), [(5, "5"), ([], "0"), (11, "11")])
def test_a_batch_of_other_than_1_to_10_entries_is_refused(lab, entries, got):
    queue = lab.create_queue("q")
    if entries == 11:
        entries = [{"Id": str(i), "MessageBody": "x"} for i in range(11)]
    refused(
        InvalidParameterValueException,
        f"entries must be a list of 1 to 10 entries, got {got}",
        queue.send_message_batch,
        entries,
    )


@pytest.mark.parametrize("count", [1, 10])
def test_batches_of_1_and_10_entries_are_sent(lab, count):
    queue = lab.create_queue("q")
    answer = queue.send_message_batch([{"Id": str(i), "MessageBody": "x"} for i in range(count)])
    assert [e["Id"] for e in answer["Successful"]] == [str(i) for i in range(count)]
    assert answer["Failed"] == [] and len(queue) == count


@pytest.mark.parametrize(
    ("entries", "ids"),
    [
        (["x"], "[None]"),
        ([{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}], "['a', 'a']"),
        ([{"Id": 5, "MessageBody": "x"}], "[5]"),
        ([{"Id": "", "MessageBody": "x"}], "['']"),
    ],
)
def test_batch_ids_must_be_distinct_non_empty_strings(lab, entries, ids):
    queue = lab.create_queue("q")
    refused(
        InvalidParameterValueException,
        f"entries must each have a distinct, non-empty Id, got {ids}",
        queue.send_message_batch,
        entries,
    )
    assert queue.sent == 0


def test_a_batch_entry_carries_its_delay_and_attributes(lab):
    # GIVEN a batch whose first entry is delayed and whose second has attributes
    queue = lab.create_queue("q")
    attributes = {"k": {"DataType": "String", "StringValue": "v"}}
    answer = queue.send_message_batch(
        [
            {"Id": "late", "MessageBody": "late", "DelaySeconds": 10},
            {"Id": "now", "MessageBody": "now", "MessageAttributes": attributes},
        ]
    )
    # THEN both are sent; only the second is visible, with its attributes
    assert [e["Id"] for e in answer["Successful"]] == ["late", "now"]
    (message,) = queue.receive_message(10)
    assert message.body == "now" and message.message_attributes == attributes
    lab.run(until=10)
    assert [m.body for m in queue.receive_message(10)] == ["late"]


def test_a_fifo_batch_entry_carries_its_group_and_deduplication_id(lab):
    queue = lab.create_queue("q.fifo")
    answer = queue.send_message_batch(
        [{"Id": "1", "MessageBody": "x", "MessageGroupId": "g7", "MessageDeduplicationId": "d7"}]
    )
    assert answer["Failed"] == []
    (message,) = queue.receive_message()
    assert (message.group_id, message.deduplication_id) == ("g7", "d7")


def test_a_bad_entry_fails_alone_in_sqss_words_and_the_rest_are_sent(lab):
    # GIVEN a batch: an entry with an unknown key, one with a bad delay, then a good one
    queue = lab.create_queue("q")
    answer = queue.send_message_batch(
        [
            {"Id": "odd", "MessageBody": "x", "Colour": "red", "Bogus": 1},
            {"Id": "slow", "MessageBody": "x", "DelaySeconds": 901},
            {"Id": "ok", "MessageBody": "fine"},
        ]
    )
    # THEN the two bad ones fail with SQS's code and our words; the good one is sent
    assert answer["Failed"] == [
        {
            "Id": "odd",
            "SenderFault": True,
            "Code": "InvalidParameterValue",
            "Message": "entries['odd'] has unknown keys ['Bogus', 'Colour']",
        },
        {
            "Id": "slow",
            "SenderFault": True,
            "Code": "InvalidParameterValue",
            "Message": "delay_seconds must be an integer between 0 and 900, got 901",
        },
    ]
    assert [e["Id"] for e in answer["Successful"]] == ["ok"]
    assert queue.bodies == ["fine"]


# -- waiting -------------------------------------------------------------------------------


def test_a_waiter_is_called_with_the_queue_when_a_message_arrives(lab):
    # GIVEN a waiter on an empty queue
    queue = lab.create_queue("q")
    heard = []
    queue.wait(lambda arg: heard.append((lab.now, arg)))
    # WHEN a message is sent at 4 s
    lab.engine.at(4, lambda _: queue.send_message("x"))
    lab.run()
    # THEN the waiter hears it then, with the queue
    assert heard == [(4, queue)]


def test_a_waiter_hears_a_delayed_message_when_it_appears_and_a_stale_wake_is_harmless(lab):
    # GIVEN a waiter, then a message delayed 10 s and another delayed 5 s
    queue = lab.create_queue("q")
    heard = []
    queue.wait(lambda arg: heard.append((lab.now, arg)))
    queue.send_message("ten", delay_seconds=10)
    queue.send_message("five", delay_seconds=5)
    # WHEN the lab runs past both
    lab.run()
    # THEN the waiter heard once, at 5 s, and the superseded wake at 10 s did nothing
    assert heard == [(5, queue)]
    assert queue.counts == {"delayed": 0, "visible": 2, "in flight": 0}


def test_deleting_the_head_of_a_fifo_group_wakes_a_waiter_at_once(lab):
    # GIVEN a FIFO group of two, its head in flight, and a waiter
    queue = fifo(lab)
    queue.send_message("a", message_group_id="g")
    queue.send_message("b", message_group_id="g")
    (head,) = queue.receive_message()
    heard = []
    lab.run(until=2)
    queue.wait(lambda arg: heard.append(lab.now))
    # WHEN the head is deleted at 2 s
    queue.delete_message(head.receipt_handle)
    lab.run(until=3)
    # THEN the waiter hears at once that the group's next message can go
    assert heard == [2]


# -- receiving --------------------------------------------------------------------------------


def test_receive_message_refuses_a_bool(lab):
    queue = lab.create_queue("q")
    refused(
        InvalidParameterValueException,
        "max_number_of_messages must be between 1 and 10, got True",
        queue.receive_message,
        True,
    )


def test_a_receive_takes_bodies_up_to_exactly_max_bytes(lab):
    # GIVEN three messages of 5 bytes
    queue = lab.create_queue("q")
    assert queue.stopped_at_bytes is False
    for body in ("aaaaa", "bbbbb", "ccccc"):
        queue.send_message(body)
    # WHEN a receive allows exactly 10 bytes THEN two come and the third stopped it
    assert [m.body for m in queue.receive(10, max_bytes=10)] == ["aaaaa", "bbbbb"]
    assert queue.stopped_at_bytes is True
    # AND a receive that fits stops for another reason
    assert [m.body for m in queue.receive(10, max_bytes=5)] == ["ccccc"]
    assert queue.stopped_at_bytes is False


def test_messages_a_keep_test_refuses_are_deleted_and_counted(lab):
    # GIVEN three messages, two of which a filter refuses
    queue = lab.create_queue("q")
    for body in ("keep", "drop", "drop"):
        queue.send_message(body)
    # WHEN they are received through it
    got = queue.receive(10, keep=lambda m: m.body == "keep")
    # THEN one is received and two deleted unseen
    assert [m.body for m in got] == ["keep"]
    assert queue.deleted == 2 and len(queue) == 1


def test_a_fifo_group_gives_all_its_visible_messages_and_a_blocked_group_stops_only_itself(lab):
    # GIVEN group A with one message in flight and another waiting, and group B of three
    queue = fifo(lab)
    queue.send_message("a1", message_group_id="A")
    queue.send_message("a2", message_group_id="A")
    assert [m.body for m in queue.receive_message()] == ["a1"]
    for n in (1, 2, 3):
        queue.send_message(f"b{n}", message_group_id="B")
    # WHEN ten are asked for THEN group B's three come in order, A stays blocked
    assert [m.body for m in queue.receive_message(10)] == ["b1", "b2", "b3"]


def test_a_fifo_message_filtered_out_leaves_its_group_cleanly(lab):
    # GIVEN a FIFO queue with a single message WHEN a receive filters it out
    queue = fifo(lab)
    queue.send_message("x", message_group_id="g")
    # THEN nothing is received and the queue is empty
    assert queue.receive(10, keep=lambda m: False) == []
    assert len(queue) == 0 and queue.deleted == 1


def test_a_stale_entry_does_not_hide_a_message_due_at_the_same_instant(lab):
    # GIVEN two messages received for 10 s, the first deleted while in flight
    queue = lab.create_queue("q")
    queue.send_message("a")
    queue.send_message("b")
    first, _ = queue.receive_message(2, visibility_timeout=10)
    queue.delete_message(first.receipt_handle)
    # WHEN 10 s pass THEN the second is visible again
    lab.run(until=10)
    assert queue.get_queue_attributes(["ApproximateNumberOfMessages"]) == {
        "Attributes": {"ApproximateNumberOfMessages": "1"}
    }


# -- deleting -----------------------------------------------------------------------------------


def counts(queue):
    """(visible, in flight) as get_queue_attributes answers them."""
    attributes = queue.get_queue_attributes()["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def standard_or_fifo(lab, kind, **kwargs):
    if kind == "fifo":
        return fifo(lab, **kwargs)
    return lab.create_queue("q", **kwargs)


def send(queue, body):
    queue.send_message(body, **({"message_group_id": body} if queue.fifo else {}))


@pytest.mark.parametrize("kind", ["standard", "fifo"])
def test_delete_received_answers_whether_it_deleted(lab, kind):
    # GIVEN a message received twice (the first handle is stale)
    queue = standard_or_fifo(lab, kind, visibility_timeout=5)
    send(queue, "x")
    (message,) = queue.receive_message()
    old = message.receipt_handle
    lab.run(until=5)
    queue.receive_message()
    new = message.receipt_handle
    # WHEN a poller deletes with the old handle THEN nothing is deleted
    assert queue.delete_received([(message, old)]) == []
    assert len(queue) == 1
    assert counts(queue) == (0, 1)
    # AND with the new one it is deleted, and then never again
    assert queue.delete_received([(message, new)]) == [message.message_id]
    assert counts(queue) == (0, 0)
    assert queue.delete_received([(message, new)]) == []
    assert queue.deleted == 1


@pytest.mark.parametrize("kind", ["standard", "fifo"])
def test_delete_received_deletes_the_current_handles_of_a_batch_only(lab, kind):
    # GIVEN three received messages, the second received again since
    queue = standard_or_fifo(lab, kind)
    for body in "abc":
        send(queue, body)
    (first,) = queue.receive_message(visibility_timeout=100)
    (second,) = queue.receive_message(visibility_timeout=5)
    (third,) = queue.receive_message(visibility_timeout=100)
    handles = [m.receipt_handle for m in (first, second, third)]
    lab.run(until=5)
    assert queue.receive_message() == [second]
    assert counts(queue) == (0, 3)
    # WHEN the poller deletes the batch with the handles it received
    deleted = queue.delete_received(list(zip((first, second, third), handles, strict=True)))
    # THEN the first and third are deleted, in order, and the second stays, in flight
    assert deleted == [first.message_id, third.message_id]
    assert queue.deleted == 2
    assert [m.body for m in queue.messages] == ["b"]
    assert counts(queue) == (0, 1)
    # AND it reappears when its visibility timeout ends, once
    lab.run(until=5 + 30)
    assert counts(queue) == (1, 0)


def test_a_message_deleted_by_handle_cannot_be_deleted_again_by_a_poller(lab):
    queue = lab.create_queue("q")
    queue.send_message("x")
    (message,) = queue.receive_message()
    handle = message.receipt_handle
    queue.delete_message(handle)
    assert queue.delete_received([(message, handle)]) == []
    assert queue.deleted == 1


# -- retention and redrive -----------------------------------------------------------------------


def test_expired_messages_are_counted_and_recorded_with_their_queue(lab):
    # GIVEN two messages in a queue keeping them 60 s
    queue = lab.create_queue("q", message_retention_period=60)
    assert queue.expired == 0
    queue.send_message("a")
    queue.send_message("b")
    # WHEN the queue is read at 61 s
    lab.run(until=61)
    assert len(queue) == 0
    # THEN both expired, each recorded once at the read with the instant it expired
    assert queue.expired == 2
    records = lab.trace.filter("message_expired")
    assert [(r["t"], r["queue"], r["expired_at"]) for r in records] == [
        (61, "q", 60),
        (61, "q", 60),
    ]


def test_redrives_are_counted_and_the_moved_message_is_visible_in_the_dlq_from_then(lab):
    # GIVEN a queue redriving after one receive, and two messages received once
    dlq = lab.create_queue("dlq")
    queue = lab.create_queue(
        "q", visibility_timeout=5, redrive_policy={"deadLetterTargetArn": dlq, "maxReceiveCount": 1}
    )
    assert queue.redriven == 0
    queue.send_message("a")
    queue.send_message("b")
    queue.receive_message(10)
    # WHEN they reappear and are received again at 7 s
    lab.run(until=7)
    assert queue.receive_message(10) == []
    # THEN both moved, counted, and visible in the DLQ since 7 s
    assert queue.redriven == 2
    assert [(m.body, m.visible_at) for m in dlq.messages] == [("a", 7), ("b", 7)]


# -- attributes -----------------------------------------------------------------------------------


def test_a_queue_built_directly_has_sqss_defaults_in_its_attributes(lab):
    # GIVEN a standard and a FIFO queue built with the defaults, at 2.5 s
    lab.run(until=2.5)
    queue = Queue("plain", lab.world)
    fifo_queue = Queue("plain.fifo", lab.world)
    created = str(lab.clock.unix_millis(2.5) // 1000)
    # THEN get_queue_attributes answers with every attribute, as strings
    assert queue.get_queue_attributes() == {
        "Attributes": {
            "QueueArn": queue.arn,
            "ApproximateNumberOfMessages": "0",
            "ApproximateNumberOfMessagesNotVisible": "0",
            "ApproximateNumberOfMessagesDelayed": "0",
            "CreatedTimestamp": created,
            "VisibilityTimeout": "30",
            "MaximumMessageSize": "1048576",
            "MessageRetentionPeriod": "345600",
            "DelaySeconds": "0",
            "ReceiveMessageWaitTimeSeconds": "0",
        }
    }
    assert fifo_queue.get_queue_attributes(["FifoQueue", "ContentBasedDeduplication"]) == {
        "Attributes": {"FifoQueue": "true", "ContentBasedDeduplication": "false"}
    }
    assert queue.stopped_at_bytes is False


def test_every_setting_shows_in_the_attributes(lab):
    # GIVEN a FIFO queue with every setting changed and a redrive policy, at 1 s
    lab.run(until=1.25)
    dlq = lab.create_queue("dlq.fifo")
    queue = lab.create_queue(
        "q.fifo",
        visibility_timeout=45,
        message_retention_period=120,
        redrive_policy={"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 3},
        receive_message_wait_time_seconds=20,
        maximum_message_size=2048,
        content_based_deduplication=True,
    )
    queue.send_message("a", message_group_id="g")
    queue.send_message("b", message_group_id="h")
    queue.receive_message()
    # THEN every attribute shows it
    assert queue.get_queue_attributes(["All"]) == {
        "Attributes": {
            "QueueArn": queue.arn,
            "ApproximateNumberOfMessages": "1",
            "ApproximateNumberOfMessagesNotVisible": "1",
            "ApproximateNumberOfMessagesDelayed": "0",
            "CreatedTimestamp": str(lab.clock.unix_millis(1.25) // 1000),
            "VisibilityTimeout": "45",
            "MaximumMessageSize": "2048",
            "MessageRetentionPeriod": "120",
            "DelaySeconds": "0",
            "ReceiveMessageWaitTimeSeconds": "20",
            "RedrivePolicy": f'{{"deadLetterTargetArn":"{dlq.arn}","maxReceiveCount":3}}',
            "FifoQueue": "true",
            "ContentBasedDeduplication": "true",
        }
    }


def test_a_queue_built_with_a_redrive_policy_shows_it(lab):
    policy = {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:d", "maxReceiveCount": 2}
    queue = Queue("q", lab.world, redrive_policy=policy, receive_message_wait_time_seconds=7)
    attributes = queue.get_queue_attributes(["RedrivePolicy", "ReceiveMessageWaitTimeSeconds"])
    assert attributes == {
        "Attributes": {
            "RedrivePolicy": f'{{"deadLetterTargetArn":"{policy["deadLetterTargetArn"]}",'
            '"maxReceiveCount":2}',
            "ReceiveMessageWaitTimeSeconds": "7",
        }
    }


def test_attribute_names_are_checked_in_these_words(lab):
    queue = lab.create_queue("q")
    refused(
        InvalidParameterValueException,
        "attribute_names must be a list of attribute names, got 'All'",
        queue.get_queue_attributes,
        "All",
    )
    refused(
        InvalidParameterValueException,
        "Unknown Attribute Colour. (attribute_names must be among All, QueueArn, "
        "ApproximateNumberOfMessages, ApproximateNumberOfMessagesNotVisible, "
        "ApproximateNumberOfMessagesDelayed, CreatedTimestamp, VisibilityTimeout, "
        "MaximumMessageSize, MessageRetentionPeriod, DelaySeconds, "
        "ReceiveMessageWaitTimeSeconds)",
        queue.get_queue_attributes,
        ["VisibilityTimeout", "Colour"],
    )


def test_waiters_share_one_pending_wake_at_the_next_reappearance(lab):
    # GIVEN a queue whose only message is in flight until t=30
    queue = lab.create_queue("q", visibility_timeout=30)
    queue.send_message("x")
    queue.receive_message()
    woken = []
    # WHEN two pollers wait on it, one after the other
    queue.wait(woken.append)
    before = len(lab.world.engine)
    queue.wait(woken.append)
    # THEN the second adds no wake of its own: one is pending, at t=30, for both
    assert before == 1 and len(lab.world.engine) == 1
    lab.run()
    assert woken == [queue, queue]
    assert lab.now == 30
