"""The SQS poller, against surviving mutants: batch bytes, windows that fill to the
batch size or 6 MB, filters on attributes, throttle retries and the slots they hold,
scaling records, and the MD5 of message attributes.

Scenarios in GIVEN / WHEN / THEN form, on the trace and the events the handler got.
"""

from __future__ import annotations

import hashlib
import json
import struct

import pytest

import lambda_lab as ll
from lambda_lab.sim.mappings.sqs import md5_of_message_attributes

MIB = 1024 * 1024


@pytest.fixture
def lab() -> ll.Lab:
    return ll.Lab(seed=17)


def batches(lab):
    return lab.trace.filter("batch")


# -- the MD5 of message attributes --------------------------------------------------------------


def reference_md5(attributes):
    """The fact sheet's algorithm (7.4), written out for string values."""
    digest = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        for part in (name, value["DataType"]):
            data = part.encode()
            digest.update(struct.pack(">I", len(data)) + data)
        data = value["StringValue"].encode()
        digest.update(b"\x01" + struct.pack(">I", len(data)) + data)
    return digest.hexdigest()


def test_the_md5_fills_in_a_missing_data_type_and_string_value():
    # GIVEN attributes without a DataType, and one without a StringValue
    assert md5_of_message_attributes({"k": {"StringValue": "v"}}) == reference_md5(
        {"k": {"DataType": "String", "StringValue": "v"}}
    )
    assert md5_of_message_attributes({"k": {"DataType": "String"}}) == reference_md5(
        {"k": {"DataType": "String", "StringValue": ""}}
    )


def test_the_md5_of_a_binary_value_given_as_text_is_that_of_its_bytes():
    as_text = md5_of_message_attributes({"b": {"DataType": "Binary", "BinaryValue": "abc"}})
    as_bytes = md5_of_message_attributes({"b": {"DataType": "Binary", "BinaryValue": b"abc"}})
    assert as_text == as_bytes


def test_an_attribute_without_a_data_type_reaches_the_handler_as_a_string(lab):
    # GIVEN a message whose attribute names no DataType
    queue = lab.create_queue("q")
    events = []
    lab.create_function("f", lambda e, c: events.append(e))
    queue.send_message("x", message_attributes={"k": {"StringValue": "v"}})
    lab.create_event_source_mapping(queue, "f")
    # WHEN the mapping delivers it
    lab.run()
    (record,) = events[0]["Records"]
    # THEN the record says String, as SQS fills it in
    assert record["messageAttributes"] == {
        "k": {
            "stringValue": "v",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert record["md5OfMessageAttributes"] == reference_md5(
        {"k": {"DataType": "String", "StringValue": "v"}}
    )


# -- batches ---------------------------------------------------------------------------------


def test_a_batch_record_counts_its_bytes_and_the_mapping_counts_its_batches(lab):
    # GIVEN messages of 3 and 2 bytes, then one of 4, in batches of 2
    queue = lab.create_queue("q")
    lab.create_function("f", lambda e, c: None)
    for body in ("abc", "de", "fghi"):
        queue.send_message(body)
    uuid = lab.create_event_source_mapping(queue, "f", batch_size=2)["UUID"]
    # WHEN the mapping drains the queue
    lab.run()
    # THEN each batch record carries the bytes of its bodies
    assert [(r["size"], r["bytes"]) for r in batches(lab)] == [(2, 5), (1, 4)]
    assert lab.world.mappings[uuid].batches == 2


def test_a_window_fills_up_to_the_batch_size_and_the_rest_waits_for_a_new_window(lab):
    # GIVEN a mapping of batches of 5 with a 10 s window; 3 messages at 0 and 4 at 1 s
    queue = lab.create_queue("q")
    lab.create_function("f", lambda e, c: None)
    for n in range(3):
        queue.send_message(f"a{n}")
    lab.create_event_source_mapping(queue, "f", batch_size=5, maximum_batching_window_in_seconds=10)
    lab.engine.at(1, lambda _: [queue.send_message(f"b{n}") for n in range(4)])
    # WHEN the lab runs
    lab.run()
    # THEN the window closed full at 1 s with 5, and the other 2 went at the next window's end
    assert [(r["t"], r["size"], r["trigger"]) for r in batches(lab)] == [
        (1, 5, "batch_size"),
        (11, 2, "window"),
    ]


def test_a_window_stops_at_six_megabytes(lab):
    # GIVEN a window of 5 s; four 1 MiB messages at 0 and three more at 1 s
    queue = lab.create_queue("q")
    lab.create_function("f", lambda e, c: None)
    for n in range(4):
        queue.send_message(str(n) * MIB)
    lab.create_event_source_mapping(queue, "f", batch_size=10, maximum_batching_window_in_seconds=5)
    lab.engine.at(1, lambda _: [queue.send_message(str(n) * MIB) for n in range(4, 7)])
    # WHEN the lab runs
    lab.run()
    # THEN the first batch took exactly 6 MB and the seventh message went alone
    first, second = batches(lab)
    assert (first["t"], first["size"], first["bytes"], first["trigger"]) == (
        1,
        6,
        6 * MIB,
        "payload_limit",
    )
    assert (second["t"], second["size"], second["trigger"]) == (6, 1, "window")


# -- filters ------------------------------------------------------------------------------------


def test_filters_see_the_attributes_and_the_message_attributes(lab):
    # GIVEN a filter on a message attribute and on the sender
    queue = lab.create_queue("q")
    events = []
    lab.create_function("f", lambda e, c: events.append(e))
    pattern = {
        "messageAttributes": {"colour": {"stringValue": ["red"]}},
        "attributes": {"SenderId": ["AIDAIENQZJOLO23YVJ4VO"]},
    }
    red = queue.send_message(
        "r", message_attributes={"colour": {"DataType": "String", "StringValue": "red"}}
    )
    blue = queue.send_message(
        "b", message_attributes={"colour": {"DataType": "String", "StringValue": "blue"}}
    )
    plain = queue.send_message("p")
    lab.create_event_source_mapping(
        queue, "f", filter_criteria={"Filters": [{"Pattern": json.dumps(pattern)}]}
    )
    # WHEN the mapping polls
    lab.run()
    # THEN only the red message reached the handler; the others were deleted as filtered
    assert [r["body"] for e in events for r in e["Records"]] == ["r"]
    (filtered,) = lab.trace.filter("messages_deleted", reason="filtered")
    assert filtered["message_ids"] == [blue["MessageId"], plain["MessageId"]]
    assert (
        red["MessageId"]
        in lab.trace.filter("messages_deleted", reason="processed")[0]["message_ids"]
    )


# -- invoking --------------------------------------------------------------------------------------


def test_the_invocation_carries_the_batchs_request_id_and_the_mapping_as_source(lab):
    queue = lab.create_queue("q")
    lab.create_function("f", lambda e, c: None)
    queue.send_message("x")
    uuid = lab.create_event_source_mapping(queue, "f")["UUID"]
    lab.run()
    (batch,) = batches(lab)
    (invoke,) = lab.trace.filter("invoke")
    assert invoke["request_id"] == batch["request_id"]
    assert invoke["source"] == uuid


def throttled_setup(lab, bodies, **mapping):
    dlq = lab.create_queue("dlq")
    queue = lab.create_queue(
        "q",
        visibility_timeout=15,
        redrive_policy={"deadLetterTargetArn": dlq, "maxReceiveCount": 1},
    )
    lab.create_function("f", lambda e, c: None, timeout=10, reserved_concurrency=0)
    ids = {queue.send_message(b)["MessageId"]: b for b in bodies}
    uuid = lab.create_event_source_mapping(queue, "f", batch_size=1, **mapping)["UUID"]
    return queue, ids, uuid


def test_a_throttled_batch_is_retried_while_its_messages_stay_hidden_then_dropped(lab):
    # GIVEN a function that is always throttled, a 15 s visibility timeout, redrive after 1
    _, _, uuid = throttled_setup(lab, ["a"])
    # WHEN the lab runs
    lab.run()
    # THEN the batch is retried after 1, 2 and 4 s; at 7 s a retry after 8 s would
    # land when the message reappears (15 s), so it is not retried again
    assert [(r["t"], r["trigger"]) for r in batches(lab)] == [
        (0, "batch_size"),
        (1, "retry"),
        (3, "retry"),
        (7, "retry"),
    ]
    # AND each throttle is recorded with its batch's request id and message
    failed = lab.trace.filter("batch_failed")
    assert [(r["request_id"], r["reason"], r["failed"]) for r in failed] == [
        (b["request_id"], "throttle", b["message_ids"]) for b in batches(lab)
    ]
    assert all(r["mapping"] == uuid and r["function"] == "f" for r in failed)
    (redriven,) = lab.trace.filter("message_redriven")
    assert redriven["t"] == 15


def test_a_retry_keeps_its_slot_so_a_third_message_waits(lab):
    # GIVEN two slots (MaximumConcurrency 2), an always-throttled function, three messages
    _, ids, _ = throttled_setup(lab, ["a", "b", "c"], scaling_config={"MaximumConcurrency": 2})
    # WHEN the lab runs
    lab.run()
    # THEN a and b hold both slots through their retries; c starts when a's retries end
    timeline = [(r["t"], r["trigger"], ids[r["message_ids"][0]]) for r in batches(lab)]
    assert timeline == [
        (0, "batch_size", "a"),
        (0, "batch_size", "b"),
        (1, "retry", "a"),
        (1, "retry", "b"),
        (3, "retry", "a"),
        (3, "retry", "b"),
        (7, "retry", "a"),
        (7, "batch_size", "c"),
        (7, "retry", "b"),
        (8, "retry", "c"),
        (10, "retry", "c"),
        (14, "retry", "c"),
    ]


# -- scaling ---------------------------------------------------------------------------------


def test_a_scale_up_is_recorded_in_full(lab):
    # GIVEN a backlog of 8 messages and a function busy 70 s a batch
    queue = lab.create_queue("q", visibility_timeout=600)
    lab.create_function("f", lambda e, c: None, duration=70, timeout=100)
    for n in range(8):
        queue.send_message(str(n))
    uuid = lab.create_event_source_mapping(queue, "f", batch_size=1)["UUID"]
    # WHEN a minute passes with every slot busy
    lab.run(until=61)
    # THEN the mapping scales up by 300, recorded with its time, mapping and function
    assert lab.trace.filter("mapping_scaled") == [
        {
            "t": 60,
            "kind": "mapping_scaled",
            "mapping": uuid,
            "function": "f",
            "concurrency": 305,
            "reason": "scale_up",
        }
    ]
    assert len(batches(lab)) == 8


def test_no_scale_up_while_a_slot_is_free_even_with_a_backlog(lab):
    # GIVEN a FIFO queue: five groups of one message and group A of many more
    queue = lab.create_queue("q.fifo", content_based_deduplication=True, visibility_timeout=600)
    lab.create_function("f", lambda e, c: None, duration=10, timeout=100)
    for n in range(12):
        queue.send_message(f"a{n}", message_group_id="A")
    for group in "BCDE":
        queue.send_message(group, message_group_id=group)
    lab.create_event_source_mapping(queue, "f", batch_size=1)
    # WHEN a minute passes: all five slots were busy at first, only group A's is now
    lab.run(until=65)
    # THEN A's backlog is visible but blocked by its group, and nothing scaled
    assert queue.counts["visible"] > 0
    assert lab.trace.filter("mapping_scaled") == []


def test_scaling_stops_at_1250_concurrent_batches(lab):
    # GIVEN an account allowing 2,000 and a backlog of 1,300 messages of 400 s work each
    lab = ll.Lab(seed=17, concurrent_executions=2000)
    queue = lab.create_queue("q", visibility_timeout=3600)
    lab.create_function("f", lambda e, c: None, duration=400, timeout=400)
    for n in range(1300):
        queue.send_message(str(n))
    lab.create_event_source_mapping(queue, "f", batch_size=1)
    # WHEN five minutes pass with every slot busy
    lab.run(until=310)
    # THEN 300 more are added each minute, up to 1,250 and no more
    scaled = [(r["t"], r["concurrency"]) for r in lab.trace.filter("mapping_scaled")]
    assert scaled == [(60, 305), (120, 605), (180, 905), (240, 1205), (300, 1250)]
    assert len(batches(lab)) == 1250


def test_three_retrying_batches_hold_all_three_slots(lab):
    # GIVEN three slots, an always-throttled function and four messages
    _, ids, _ = throttled_setup(lab, ["a", "b", "c", "d"], scaling_config={"MaximumConcurrency": 3})
    # WHEN the lab runs
    lab.run()
    # THEN d is first polled only when the first retries give up, at 7 s
    firsts = {}
    for r in batches(lab):
        firsts.setdefault(ids[r["message_ids"][0]], r["t"])
    assert firsts == {"a": 0, "b": 0, "c": 0, "d": 7}
