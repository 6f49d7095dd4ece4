"""Kinesis streams and DynamoDB table streams as event sources: shards, sequence
numbers, retention in virtual time, and the records Lambda receives (7.5)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_lab.config import LabConfig
from lambda_lab.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
    ValidationException,
)
from lambda_lab.sim.resources.dynamodb import Table
from lambda_lab.sim.resources.kinesis import HASH_KEY_LIMIT, KINESIS_MAX_RECORD_BYTES, Stream
from lambda_lab.sim.trace.kinds import check
from lambda_lab.sim.world import World

KEY_SCHEMA = [
    {"AttributeName": "pk", "KeyType": "HASH"},
    {"AttributeName": "sk", "KeyType": "RANGE"},
]
DAY = 24 * 3600


@pytest.fixture
def world() -> World:
    return World(LabConfig(seed=1))


def md5_int(key: str) -> int:
    return int.from_bytes(hashlib.md5(key.encode("utf-8")).digest(), "big")


def table(world: World, view: str | None = "NEW_AND_OLD_IMAGES", schema=KEY_SCHEMA) -> Table:
    spec = None if view is None else {"StreamEnabled": True, "StreamViewType": view}
    return Table("orders", world, schema, stream_specification=spec)


def key(pk: str = "a", sk: str = "1") -> dict:
    return {"pk": {"S": pk}, "sk": {"N": sk}}


# -- Kinesis: shards and hash keys ------------------------------------------------------


def test_shards_split_the_hash_key_range_equally(world):
    # GIVEN a stream of 3 shards
    stream = Stream("s", world, shard_count=3)
    # THEN shard i owns [i * 2**128 // 3, (i + 1) * 2**128 // 3 - 1], covering the range
    ids = [shard.id for shard in stream.shards]
    assert ids == ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]
    for i, shard in enumerate(stream.shards):
        assert shard.starting_hash_key == i * HASH_KEY_LIMIT // 3
        assert shard.ending_hash_key == (i + 1) * HASH_KEY_LIMIT // 3 - 1
    assert stream.shards[-1].ending_hash_key == HASH_KEY_LIMIT - 1
    listed = stream.list_shards()["Shards"][1]
    assert listed["ShardId"] == "shardId-000000000001"
    assert listed["HashKeyRange"]["StartingHashKey"] == str(HASH_KEY_LIMIT // 3)
    assert stream.arn == "arn:aws:kinesis:us-east-1:123456789012:stream/s"


@pytest.mark.parametrize("partition_key", ["alpha", "beta", "gamma", "delta", "ünïcode"])
def test_a_partition_keys_md5_picks_its_shard(world, partition_key):
    # GIVEN a stream of 4 shards
    stream = Stream("s", world, shard_count=4)
    # WHEN a record is put
    answer = stream.put_record(b"x", partition_key)
    # THEN its shard is the one whose range holds the key's MD5 (as a big-endian int)
    expected = md5_int(partition_key) * 4 // HASH_KEY_LIMIT
    assert answer["ShardId"] == f"shardId-{expected:012d}"
    assert list(answer) == ["ShardId", "SequenceNumber"]
    assert stream.shard_for(partition_key).id == answer["ShardId"]


def test_an_explicit_hash_key_overrides_the_partition_key(world):
    # GIVEN a stream of 2 shards and a key hashing to the first
    stream = Stream("s", world, shard_count=2)
    low = next(k for k in (f"k{i}" for i in range(100)) if md5_int(k) < HASH_KEY_LIMIT // 2)
    # WHEN it is put with an explicit hash key in the second half
    answer = stream.put_record(b"x", low, explicit_hash_key=str(HASH_KEY_LIMIT - 1))
    # THEN the record lands in the second shard
    assert answer["ShardId"] == "shardId-000000000001"
    assert stream.put_record(b"x", low, explicit_hash_key="0")["ShardId"] == "shardId-000000000000"


def test_sequence_numbers_are_long_and_increase_per_shard(world):
    # GIVEN a stream of one shard
    stream = Stream("s", world)
    # WHEN records are put over time
    numbers = []
    for t in (0, 0, 1.5, 3):
        world.engine.run(until=t)
        numbers.append(stream.put_record(b"x", "k")["SequenceNumber"])
    # THEN they are 56-digit strings, strictly increasing, and repeat with the seed
    assert all(n.isdigit() and len(n) == 56 for n in numbers)
    assert [int(n) for n in numbers] == sorted({int(n) for n in numbers})
    again = Stream("s", World(LabConfig(seed=1)))
    assert again.put_record(b"x", "k")["SequenceNumber"] == numbers[0]


@settings(max_examples=30, deadline=None)
@given(
    puts=st.lists(
        st.tuples(st.text(min_size=1, max_size=8), st.floats(0, 100)), min_size=1, max_size=40
    ),
    shards=st.integers(1, 5),
)
def test_property_sequence_numbers_strictly_increase_per_shard(puts, shards):
    # GIVEN a stream and random puts at random (growing) instants
    world = World(LabConfig(seed=1))
    stream = Stream("s", world, shard_count=shards)
    seen: dict[str, list[int]] = {}
    t = 0.0
    for partition_key, gap in puts:
        t += gap
        world.engine.run(until=t)
        # WHEN each record is put
        answer = stream.put_record(b"d", partition_key)
        seen.setdefault(answer["ShardId"], []).append(int(answer["SequenceNumber"]))
    # THEN within each shard the sequence numbers strictly increase
    for numbers in seen.values():
        assert all(a < b for a, b in itertools.pairwise(numbers))
    # AND a shard reads them back in that order
    for shard in stream.shards:
        read = [int(r.sequence_number) for r in shard.records_from(shard.trim_horizon(), 1000)]
        assert read == seen.get(shard.id, [])


def test_put_records_answers_in_order_with_no_failures(world):
    # GIVEN a stream of 2 shards
    stream = Stream("s", world, shard_count=2)
    entries = [{"Data": f"d{i}", "PartitionKey": f"k{i}"} for i in range(5)]
    entries.append({"Data": b"x", "PartitionKey": "k", "ExplicitHashKey": "0"})
    # WHEN they are put in one call
    answer = stream.put_records(entries)
    # THEN every record is stored, answered in order, in boto3's key order
    assert answer["FailedRecordCount"] == 0 and len(answer["Records"]) == 6
    assert list(answer["Records"][0]) == ["SequenceNumber", "ShardId"]
    assert answer["Records"][-1]["ShardId"] == "shardId-000000000000"
    for entry, result in zip(entries, answer["Records"], strict=True):
        expected = md5_int(entry["PartitionKey"]) * 2 // HASH_KEY_LIMIT
        if "ExplicitHashKey" not in entry:
            assert result["ShardId"] == f"shardId-{expected:012d}"
    assert sorted(r.data for r in stream.records) == sorted(
        [f"d{i}".encode() for i in range(5)] + [b"x"]
    )


def test_put_records_checks_every_entry_before_storing_any(world):
    # GIVEN a stream, and a batch whose last entry is too large
    stream = Stream("s", world)
    entries = [{"Data": b"ok", "PartitionKey": "k"}] * 3
    entries.append({"Data": b"x" * (KINESIS_MAX_RECORD_BYTES + 1), "PartitionKey": "k"})
    # WHEN it is put THEN it is refused, naming the entry, and nothing is stored
    with pytest.raises(ValidationException, match=r"records\[3\]\.data is 1048577 bytes"):
        stream.put_records(entries)
    assert stream.records == [] and stream.put == 0
    with pytest.raises(ValidationException, match="between 1 and 500"):
        stream.put_records([{"Data": b"x", "PartitionKey": "k"}] * 501)
    with pytest.raises(ValidationException, match="between 1 and 500"):
        stream.put_records([])
    with pytest.raises(InvalidParameterValueException, match="unknown keys"):
        stream.put_records([{"Data": b"x", "PartitionKey": "k", "Foo": 1}])


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ((123, "k"), InvalidParameterValueException, "data must be bytes or str, got int"),
        ((b"x" * (KINESIS_MAX_RECORD_BYTES + 1), "k"), ValidationException, "limit is 1048576"),
        ((b"x", ""), ValidationException, "partition_key must be a string of 1 to 256"),
        ((b"x", "k" * 257), ValidationException, "partition_key must be a string of 1 to 256"),
        ((b"x", "k", "-1"), InvalidParameterValueException, r"range: \[0, 2\^128-1\]"),
        ((b"x", "k", str(HASH_KEY_LIMIT)), InvalidParameterValueException, "ExplicitHashKey"),
        ((b"x", "k", "abc"), InvalidParameterValueException, "explicit_hash_key must be"),
    ],
)
def test_put_record_refuses_bad_input_before_storing(world, args, error, words):
    # GIVEN a stream
    stream = Stream("s", world)
    # WHEN a bad record is put THEN it is refused with the field and limit, nothing stored
    with pytest.raises(error, match=words):
        stream.put_record(*args)
    assert stream.records == []


def test_data_of_exactly_one_mib_and_str_data_are_accepted(world):
    # GIVEN a stream
    stream = Stream("s", world)
    # WHEN 1 MiB of bytes and a str are put THEN both are stored (str as UTF-8)
    stream.put_record(b"x" * KINESIS_MAX_RECORD_BYTES, "k")
    stream.put_record("héllo", "k")
    assert stream.records[-1].data == "héllo".encode()
    assert stream.records[0].size == KINESIS_MAX_RECORD_BYTES


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"shard_count": 0}, "shard_count must be an integer between 1 and 500, got 0"),
        ({"shard_count": True}, "shard_count must be an integer"),
        ({"retention_period_hours": 23}, "between 24 and 8760, got 23"),
        ({"retention_period_hours": 8761}, "between 24 and 8760, got 8761"),
    ],
)
def test_stream_settings_are_checked(world, kwargs, words):
    with pytest.raises(InvalidParameterValueException, match=words):
        Stream("s", world, **kwargs)


# -- Kinesis: reading positions and retention ----------------------------------------


def test_a_shard_reads_from_positions_and_sequence_numbers(world):
    # GIVEN a shard with records put at t = 0, 10, 20, 30
    stream = Stream("s", world)
    shard = stream.shards[0]
    for t in (0, 10, 20, 30):
        world.engine.run(until=t)
        stream.put_record(f"r{t}", "k")
    # THEN positions count from 0, and reads go from a position, a limit at a time
    assert shard.trim_horizon() == 0 and shard.latest() == 4
    batch = shard.records_from(1, 2)
    assert [r.data for r in batch] == [b"r10", b"r20"] and [r.position for r in batch] == [1, 2]
    assert shard.records_from(shard.latest(), 10) == []
    # AND a sequence number reads from that record on
    assert [r.data for r in shard.records_from(batch[1].sequence_number, 10)] == [b"r20", b"r30"]
    # AND AT_TIMESTAMP finds the first record at or after the instant
    assert shard.position_at(10) == 1 and shard.position_at(15) == 2
    assert shard.position_at(31) == 4 and shard.position_at(-1) == 0
    with pytest.raises(InvalidParameterValueException, match="limit must be an integer"):
        shard.records_from(0, 0)
    with pytest.raises(InvalidParameterValueException, match="position must be"):
        shard.records_from(-1, 1)


def test_records_expire_after_the_retention_period_in_virtual_time(world):
    # GIVEN a 24-hour stream with records put at t = 0 and t = 1 h
    stream = Stream("s", world)
    shard = stream.shards[0]
    stream.put_record(b"old", "k")
    world.engine.run(until=3600)
    stream.put_record(b"new", "k")
    # WHEN 24 hours pass since the first
    world.engine.run(until=DAY)
    # THEN a read finds only the second, at its own position; the first is counted and recorded
    assert shard.trim_horizon() == 1
    assert [r.data for r in shard.records_from(0, 10)] == [b"new"]
    assert shard.records_from(0, 10)[0].position == 1
    assert shard.expired == 1 and shard.latest() == 2
    (record,) = world.trace.filter("stream_records_expired")
    check(record)
    assert record["shard"] == shard.id and record["count"] == 1
    assert (record["first_position"], record["last_position"]) == (0, 0)
    # AND later the second one goes too, and nothing is recorded twice
    world.engine.run(until=DAY + 3600)
    assert len(shard) == 0 and shard.expire(world.engine.now) == 0
    assert len(world.trace.filter("stream_records_expired")) == 2


def test_records_that_expire_unread_are_in_the_trace_when_run_returns(lab):
    # GIVEN a Kinesis stream, a table's stream and a Kafka topic, one record each,
    # and no mapping reading any of them
    stream = lab.create_stream("s")
    stream.put_record(b"x", "k")
    table = lab.create_table(
        "accounts",
        key_schema=[{"AttributeName": "id", "KeyType": "HASH"}],
        stream_specification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )
    table.put_item({"id": {"S": "a"}})
    cluster = lab.create_kafka_cluster("c")
    cluster.create_topic("orders")
    cluster.produce("orders", "v")
    # WHEN the lab runs past every retention (Kafka's default is a week)
    lab.run(until=DAY + 1)
    # THEN the two 24-hour streams' expiries are recorded already, at the run's end
    expired = lab.trace.filter("stream_records_expired")
    assert sorted((r["source"], r["t"], r["count"]) for r in expired) == [
        ("accounts", DAY + 1, 1),
        ("s", DAY + 1, 1),
    ]
    lab.run(until=8 * DAY)
    assert [r["source"] for r in lab.trace.filter("stream_records_expired")][2:] == ["c"]


def test_a_longer_retention_keeps_records_longer(world):
    # GIVEN a 48-hour stream
    stream = Stream("s", world, retention_period_hours=48)
    stream.put_record(b"x", "k")
    # WHEN 24 hours pass THEN the record is still there; after 48 it is gone
    world.engine.run(until=DAY)
    assert len(stream.shards[0]) == 1
    world.engine.run(until=2 * DAY)
    assert len(stream.shards[0]) == 0


def test_a_waiting_poller_is_called_when_a_record_arrives(world):
    # GIVEN a poller waiting on an empty shard
    stream = Stream("s", world)
    heard = []
    stream.shards[0].wait(lambda shard: heard.append((world.engine.now, shard.id)))
    # WHEN a record is put at t = 5
    world.engine.at(5, lambda _: stream.put_record(b"x", "k"))
    world.engine.run()
    # THEN it is called once, at that instant
    assert heard == [(5, "shardId-000000000000")]


# -- Kinesis: what Lambda receives ------------------------------------------------------


def test_the_kinesis_event_record_has_the_recorded_key_order(world):
    # GIVEN a record put at t = 1.25
    stream = Stream("s", world)
    world.engine.run(until=1.25)
    answer = stream.put_record(b'{"a": 1}', "pk-1")
    (stored,) = stream.shards[0].records_from(0, 1)
    # WHEN it is turned into an event record
    record = stream.event_record(stored)
    # THEN keys, nesting and values are those of 7.5
    assert list(record) == [
        "kinesis", "eventSource", "eventVersion", "eventID", "eventName",
        "invokeIdentityArn", "awsRegion", "eventSourceARN",
    ]  # fmt: skip
    assert list(record["kinesis"]) == [
        "kinesisSchemaVersion", "partitionKey", "sequenceNumber", "data",
        "approximateArrivalTimestamp",
    ]  # fmt: skip
    seq = answer["SequenceNumber"]
    assert record["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert record["kinesis"]["partitionKey"] == "pk-1"
    assert record["kinesis"]["sequenceNumber"] == seq
    assert base64.b64decode(record["kinesis"]["data"]) == b'{"a": 1}'
    assert record["kinesis"]["approximateArrivalTimestamp"] == world.unix_millis(1.25) / 1000
    assert record["eventSource"] == "aws:kinesis" and record["eventVersion"] == "1.0"
    assert record["eventID"] == f"shardId-000000000000:{seq}"
    assert record["eventName"] == "aws:kinesis:record"
    assert record["invokeIdentityArn"] == "arn:aws:iam::123456789012:role/lambda-role"
    assert record["awsRegion"] == "us-east-1" and record["eventSourceARN"] == stream.arn
    role = "arn:aws:iam::123456789012:role/other"
    assert stream.event_record(stored, invoke_identity_arn=role)["invokeIdentityArn"] == role


def test_kinesis_batch_info_has_the_recorded_keys_with_milliseconds(world):
    # GIVEN two records of one shard, put at t = 0.5 and t = 2
    stream = Stream("s", world)
    world.engine.run(until=0.5)
    stream.put_record(b"a", "k")
    world.engine.run(until=2)
    stream.put_record(b"b", "k")
    records = stream.shards[0].records
    # WHEN the on-failure batch info is built
    info = stream.batch_info("shardId-000000000000", records)
    # THEN it follows 7.5, ISO timestamps with milliseconds
    assert list(info) == [
        "shardId", "startSequenceNumber", "endSequenceNumber",
        "approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord",
        "batchSize", "streamArn",
    ]  # fmt: skip
    assert info["startSequenceNumber"] == records[0].sequence_number
    assert info["endSequenceNumber"] == records[1].sequence_number
    assert info["approximateArrivalOfFirstRecord"] == "2026-01-01T00:00:00.500Z"
    assert info["approximateArrivalOfLastRecord"] == "2026-01-01T00:00:02.000Z"
    assert info["batchSize"] == 2 and info["streamArn"] == stream.arn
    with pytest.raises(ResourceNotFoundException, match="shardId-000000000009"):
        stream.batch_info("shardId-000000000009", records)
    with pytest.raises(InvalidParameterValueException, match="non-empty list"):
        stream.batch_info("shardId-000000000000", [])


# -- DynamoDB: tables and their streams --------------------------------------------------


def test_a_table_stream_has_its_own_arn_from_the_simulated_clock(world):
    # GIVEN a table created at t = 90 with a stream
    world.engine.run(until=90)
    orders = table(world)
    # THEN the stream's ARN is the table's plus the creation timestamp
    assert orders.arn == "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
    assert orders.latest_stream_arn == f"{orders.arn}/stream/2026-01-01T00:01:30.000"
    assert orders.stream.arn == orders.latest_stream_arn
    assert orders.latest_stream_label == "2026-01-01T00:01:30.000"
    assert len(orders.stream.shards) == 1
    # AND a table without a stream has none
    plain = Table("plain", world, KEY_SCHEMA)
    assert plain.stream is None and plain.latest_stream_arn is None
    off = Table("off", world, KEY_SCHEMA, {"StreamEnabled": False})
    assert off.stream is None


def test_insert_modify_and_remove_are_streamed_with_both_images(world):
    # GIVEN a table streaming NEW_AND_OLD_IMAGES
    orders = table(world)
    # WHEN an item is put, updated, put unchanged, deleted, and a missing key deleted
    orders.put_item({**key(), "n": {"N": "1"}})
    orders.update_item(key(), {"n": {"N": "2"}})
    orders.put_item({**key(), "n": {"N": "2"}})  # no change: no record
    orders.delete_item(key())
    orders.delete_item(key("missing"))  # nothing there: no record
    # THEN the stream holds INSERT, MODIFY, REMOVE with the images of each
    records = [orders.stream.event_record(r) for r in orders.stream.records]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = (r["dynamodb"] for r in records)
    assert insert["Keys"] == key() and "OldImage" not in insert
    assert insert["NewImage"] == {**key(), "n": {"N": "1"}}
    assert modify["OldImage"]["n"] == {"N": "1"} and modify["NewImage"]["n"] == {"N": "2"}
    assert remove["OldImage"]["n"] == {"N": "2"} and "NewImage" not in remove
    numbers = [int(r["SequenceNumber"]) for r in (insert, modify, remove)]
    assert numbers == sorted(set(numbers))
    assert orders.get_item(key()) == {} and len(orders) == 0


@pytest.mark.parametrize(
    ("view", "insert", "modify", "remove"),
    [
        ("NEW_AND_OLD_IMAGES", ["NewImage"], ["NewImage", "OldImage"], ["OldImage"]),
        ("NEW_IMAGE", ["NewImage"], ["NewImage"], []),
        ("OLD_IMAGE", [], ["OldImage"], ["OldImage"]),
        ("KEYS_ONLY", [], [], []),
    ],
)
def test_the_stream_view_type_chooses_the_images(world, view, insert, modify, remove):
    # GIVEN a table streaming ``view``
    orders = table(world, view)
    # WHEN an item is inserted, modified and removed
    orders.put_item({**key(), "n": {"N": "1"}})
    orders.put_item({**key(), "n": {"N": "2"}})
    orders.delete_item(key())
    # THEN each record carries exactly the images the view type asks for, in 7.5's order
    got = [orders.stream.event_record(r)["dynamodb"] for r in orders.stream.records]
    for body, images in zip(got, (insert, modify, remove), strict=True):
        assert list(body) == [
            "ApproximateCreationDateTime", "Keys", *images,
            "SequenceNumber", "SizeBytes", "StreamViewType",
        ]  # fmt: skip
        assert body["StreamViewType"] == view


def test_the_dynamodb_event_record_has_the_recorded_key_order(world):
    # GIVEN an item put at t = 2.7
    orders = table(world)
    world.engine.run(until=2.7)
    orders.put_item({**key(), "tags": {"SS": ["a", "b"]}, "m": {"M": {"x": {"BOOL": True}}}})
    (stored,) = orders.stream.shard.records_from(0, 10)
    # WHEN it is turned into an event record
    record = orders.stream.event_record(stored)
    # THEN keys and values are those of 7.5
    assert list(record) == [
        "eventID", "eventName", "eventVersion", "eventSource", "awsRegion",
        "dynamodb", "eventSourceARN",
    ]  # fmt: skip
    assert len(record["eventID"]) == 32 and record["eventName"] == "INSERT"
    assert record["eventVersion"] == "1.1" and record["eventSource"] == "aws:dynamodb"
    assert record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == orders.latest_stream_arn
    body = record["dynamodb"]
    assert body["ApproximateCreationDateTime"] == world.unix_millis(2.7) // 1000
    assert isinstance(body["SequenceNumber"], str) and body["SequenceNumber"].isdigit()
    # AND SizeBytes is the compact JSON of Keys and images
    compact = json.dumps(
        {"Keys": body["Keys"], "NewImage": body["NewImage"]}, separators=(",", ":")
    )
    assert body["SizeBytes"] == len(compact.encode())


def test_update_item_upserts_and_takes_a_set_expression(world):
    # GIVEN a table
    orders = table(world)
    # WHEN a missing item is updated THEN it is inserted
    orders.update_item(key(), {"a": {"S": "x"}})
    assert orders.get_item(key())["Item"] == {**key(), "a": {"S": "x"}}
    # WHEN an UpdateExpression sets one attribute and removes another
    orders.update_item(
        key(),
        update_expression="SET b = :b REMOVE a",
        expression_attribute_values={":b": {"N": "5"}},
    )
    # THEN the item is merged accordingly, and None removes too
    assert orders.get_item(key())["Item"] == {**key(), "b": {"N": "5"}}
    orders.update_item(key(), {"b": None})
    assert orders.get_item(key())["Item"] == key()
    names = [r.event_name for r in orders.stream.records]
    assert names == ["INSERT", "MODIFY", "MODIFY"]


def test_stream_records_expire_after_24_hours(world):
    # GIVEN a streamed insert at t = 0 and another at t = 1 h
    orders = table(world)
    orders.put_item(key("a"))
    world.engine.run(until=3600)
    orders.put_item(key("b"))
    # WHEN 24 h pass since the first
    world.engine.run(until=DAY)
    # THEN only the second is left, and the expiry is recorded
    shard = orders.stream.shard
    assert [r.keys["pk"]["S"] for r in shard.records] == ["b"]
    assert shard.trim_horizon() == 1 and shard.expired == 1
    (record,) = world.trace.filter("stream_records_expired")
    check(record)
    assert record["source"] == "orders" and record["shard"] == shard.id


def test_ddb_batch_info_uses_iso_without_milliseconds(world):
    # GIVEN two streamed changes at t = 0.5 and t = 3.25
    orders = table(world)
    world.engine.run(until=0.5)
    orders.put_item(key("a"))
    world.engine.run(until=3.25)
    orders.put_item(key("b"))
    records = orders.stream.records
    # WHEN the on-failure batch info is built
    info = orders.stream.batch_info(orders.stream.shard.id, records)
    # THEN it follows 7.5 with whole-second ISO timestamps
    assert list(info) == [
        "shardId", "startSequenceNumber", "endSequenceNumber",
        "approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord",
        "batchSize", "streamArn",
    ]  # fmt: skip
    assert info["approximateArrivalOfFirstRecord"] == "2026-01-01T00:00:00Z"
    assert info["approximateArrivalOfLastRecord"] == "2026-01-01T00:00:03Z"
    assert info["batchSize"] == 2 and info["streamArn"] == orders.latest_stream_arn
    assert info["shardId"].startswith("shardId-")
    with pytest.raises(ResourceNotFoundException, match="shardId-x"):
        orders.stream.batch_info("shardId-x", records)


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        ([], "between 1 and 2"),
        ([{"AttributeName": "pk", "KeyType": "RANGE"}], "first must be HASH"),
        ([{"AttributeName": "pk", "KeyType": "HASH"}] * 2, "first must be HASH, a second RANGE"),
        ([{"AttributeName": "pk"}], "is not an AttributeName"),
        (
            [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "pk", "KeyType": "RANGE"},
            ],
            "repeat",
        ),
    ],
)
def test_key_schemas_are_checked(world, schema, words):
    with pytest.raises(ValidationException, match=words):
        Table("orders", world, schema)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"StreamEnabled": True}, "enum value set"),
        ({"StreamEnabled": True, "StreamViewType": "ALL"}, "NEW_AND_OLD_IMAGES"),
        ({"StreamViewType": "KEYS_ONLY"}, "StreamEnabled"),
        ({"StreamEnabled": True, "StreamViewType": "KEYS_ONLY", "X": 1}, "unknown keys"),
    ],
)
def test_stream_specifications_are_checked(world, spec, words):
    with pytest.raises(ValidationException, match=words):
        Table("orders", world, KEY_SCHEMA, spec)


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ({"pk": {"S": "a"}}, "Missing the key sk"),
        ({"pk": {"BOOL": True}, "sk": {"N": "1"}}, "Missing the key pk"),
        ({**key(), "x": "plain"}, "item.x must be a typed attribute value"),
        ({**key(), "x": {"Q": "1"}}, "unknown attribute type 'Q'"),
        ({**key(), "x": {"N": "one"}}, "not a valid N attribute value"),
        ({**key(), "x": {"SS": []}}, "not a valid SS attribute value"),
        ({**key(), "x": {"L": [{"S": 1}]}}, r"item.x\[0\] is not a valid S"),
        ({"pk": {"S": "a"}, "sk": {"N": "x"}}, "item.sk is not a valid N"),
        ({**key(), "big": {"S": "x" * 410_000}}, "maximum allowed size"),
    ],
)
def test_items_are_checked_before_anything_changes(world, item, words):
    # GIVEN a streamed table
    orders = table(world)
    # WHEN a bad item is put THEN it is refused and nothing is written or streamed
    with pytest.raises(ValidationException, match=words):
        orders.put_item(item)
    assert len(orders) == 0 and orders.stream.records == []


def test_updates_are_checked_before_anything_changes(world):
    # GIVEN a table with one item
    orders = table(world)
    orders.put_item(key())
    before = orders.stream.shard.latest()
    # THEN key attributes cannot be updated, and bad expressions are refused
    with pytest.raises(ValidationException, match="Cannot update attribute pk"):
        orders.update_item(key(), {"pk": {"S": "b"}})
    with pytest.raises(ValidationException, match="not defined; attribute value: :v"):
        orders.update_item(key(), update_expression="SET a = :v")
    with pytest.raises(ValidationException, match="unused in expressions"):
        orders.update_item(
            key(),
            update_expression="SET a = :v",
            expression_attribute_values={":v": {"S": "x"}, ":w": {"S": "y"}},
        )
    with pytest.raises(ValidationException, match="only SET"):
        orders.update_item(key(), update_expression="ADD a :v", expression_attribute_values={})
    with pytest.raises(ValidationException, match="exactly one of updates or update_expression"):
        orders.update_item(key())
    with pytest.raises(ValidationException, match="outside the key schema"):
        orders.get_item({**key(), "other": {"S": "x"}})
    assert orders.stream.shard.latest() == before
    assert orders.get_item(key())["Item"] == key()
