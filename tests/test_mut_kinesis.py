"""Kinesis streams, against surviving mutants: sequence numbers built as documented,
ListShards' shape, the exact words of each refusal, and counts of puts.

Scenarios in GIVEN / WHEN / THEN form, on boto3-shaped answers and stored records.
"""

from __future__ import annotations

import hashlib

import pytest
from support import refused

import lambda_lab as ll
from lambda_lab.errors import InvalidParameterValueException, ValidationException

LIMIT = 2**128


@pytest.fixture
def lab() -> ll.Lab:
    return ll.Lab(seed=5)


def prefix(stream, index: int) -> int:
    salt = int(hashlib.md5(stream.arn.encode("utf-8")).hexdigest(), 16) % 10**10
    return (49 * 10**10 + salt) * 10**44 + index * 10**40


def test_sequence_numbers_are_built_from_the_arn_the_shard_the_time_and_a_counter(lab):
    # GIVEN a stream of two shards, and two records put on the second at t = 2.5
    stream = lab.create_stream("events", shard_count=2)
    second = stream.shards[1]
    key = str(second.starting_hash_key)
    lab.run(until=2.5)
    first = stream.put_record(b"a", "k", explicit_hash_key=key)
    then = stream.put_record(b"b", "k", explicit_hash_key=key)
    # THEN each is 49, the ARN's salt, the shard index, epoch ms and a counter from 1
    millis = lab.clock.unix_millis(2.5)
    base = prefix(stream, 1) + millis * 10**25
    assert first == {"ShardId": "shardId-000000000001", "SequenceNumber": str(base + 1)}
    assert then["SequenceNumber"] == str(base + 2)
    assert len(first["SequenceNumber"]) == 56
    # AND the shards' own starting numbers are the lab's start with counter 0
    assert second.index == 1 and stream.shards[0].index == 0
    start = prefix(stream, 1) + lab.clock.unix_millis(0) * 10**25
    assert second.starting_sequence_number == str(start)


def test_list_shards_describes_every_range_in_boto3s_keys(lab):
    # GIVEN a stream of two shards WHEN its shards are listed
    stream = lab.create_stream("events", shard_count=2)
    half = LIMIT // 2
    # THEN both ranges and starting numbers come in ListShards' shape
    assert stream.list_shards() == {
        "Shards": [
            {
                "ShardId": f"shardId-00000000000{i}",
                "HashKeyRange": {
                    "StartingHashKey": str(i * half),
                    "EndingHashKey": str((i + 1) * half - 1),
                },
                "SequenceNumberRange": {
                    "StartingSequenceNumber": stream.shards[i].starting_sequence_number
                },
            }
            for i in range(2)
        ]
    }


def test_stream_names_and_retention_are_checked_at_their_bounds(lab):
    # GIVEN names of 128 characters and a retention of 8760 hours THEN they are fine
    assert lab.create_stream("s" * 128).name == "s" * 128
    assert lab.create_stream("long", retention_period_hours=8760).retention_period_hours == 8760
    # AND 129 characters, a non-string name or a short retention are refused in these words
    for name in ("s" * 129, 5):
        refused(
            InvalidParameterValueException,
            f"name must be a string of 1 to 128 characters, got {name!r}",
            lab.create_stream,
            name,
        )
    refused(
        InvalidParameterValueException,
        "retention_period_hours must be an integer between 24 and 8760, got 23",
        lab.create_stream,
        "short",
        retention_period_hours=23,
    )


def test_a_stream_remembers_when_it_was_created_and_counts_its_puts(lab):
    # GIVEN a stream created at t = 3
    lab.run(until=3)
    stream = lab.create_stream("events")
    assert stream.created_at == 3
    # WHEN one record and then three more are put THEN four puts are counted
    stream.put_record("x", "k")
    stream.put_records([{"Data": b"y", "PartitionKey": "k"}] * 3)
    assert stream.put == 4


def test_put_record_refusals_name_the_field_without_a_prefix(lab):
    # GIVEN a stream WHEN bad single puts are made THEN the fields are named bare
    stream = lab.create_stream("events")
    refused(
        InvalidParameterValueException,
        "data must be bytes or str, got int",
        stream.put_record,
        5,
        "k",
    )
    refused(
        ValidationException,
        "1 validation error detected: Value '' at 'partitionKey' failed to satisfy "
        "constraint: Member must have length between 1 and 256 (partition_key must be a "
        "string of 1 to 256 characters)",
        stream.put_record,
        b"x",
        "",
    )
    refused(
        InvalidParameterValueException,
        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
        f"Specified value was {str(LIMIT)!r} (explicit_hash_key must be a decimal string "
        f"between 0 and {LIMIT - 1})",
        stream.put_record,
        b"x",
        "k",
        explicit_hash_key=str(LIMIT),
    )
    # AND a partition key of 256 characters is fine
    assert stream.put_record(b"x", "k" * 256)["ShardId"] == "shardId-000000000000"


@pytest.mark.parametrize(
    ("records", "got"),
    [(5, "5"), ([], "0"), ([{"Data": b"x", "PartitionKey": "k"}] * 501, "501")],
)
def test_put_records_refuses_a_bad_count_in_these_words(lab, records, got):
    stream = lab.create_stream("events")
    refused(
        ValidationException,
        "1 validation error detected: Value at 'records' failed to satisfy constraint: "
        "Member must have length between 1 and 500 "
        f"(records must be a list of 1 to 500 entries, got {got})",
        stream.put_records,
        records,
    )
    assert stream.put == 0


def test_put_records_takes_500_entries_and_keeps_their_partition_keys(lab):
    # GIVEN 500 entries with their own partition keys WHEN put together
    stream = lab.create_stream("events")
    answer = stream.put_records([{"Data": b"x", "PartitionKey": f"k{i}"} for i in range(500)])
    # THEN all are stored, each with its key
    assert answer["FailedRecordCount"] == 0 and len(answer["Records"]) == 500
    assert [r.partition_key for r in stream.records] == [f"k{i}" for i in range(500)]


def test_put_records_refuses_bad_entries_in_these_words(lab):
    stream = lab.create_stream("events")
    refused(
        InvalidParameterValueException,
        "records[0] must be a dict with Data and PartitionKey, got 'x'",
        stream.put_records,
        ["x"],
    )
    refused(
        InvalidParameterValueException,
        "records[1] has unknown keys ['Foo'] (allowed: Data, PartitionKey, ExplicitHashKey)",
        stream.put_records,
        [{"Data": b"x", "PartitionKey": "k"}, {"Data": b"x", "PartitionKey": "k", "Foo": 1}],
    )
    assert stream.put == 0


def test_batch_info_names_the_shard(lab):
    # GIVEN a record WHEN its batch info is built THEN it names the shard
    stream = lab.create_stream("events")
    stream.put_record(b"x", "k")
    info = stream.batch_info("shardId-000000000000", stream.records)
    assert info["shardId"] == "shardId-000000000000"
    assert info["streamArn"] == stream.arn


@pytest.mark.parametrize("name", ["events", "clicks"])
def test_the_arn_salt_is_ten_digits_of_its_md5(lab, name):
    # GIVEN a stream WHEN its shard's starting number is read
    stream = lab.create_stream(name)
    salt = int(hashlib.md5(stream.arn.encode("utf-8")).hexdigest(), 16) % 10**10
    start = ((49 * 10**10 + salt) * 10**44) + lab.clock.unix_millis(0) * 10**25
    # THEN it is 49, ten digits of the ARN's MD5, shard 0, the start time and counter 0
    assert stream.shards[0].starting_sequence_number == str(start)
    assert stream.shards[0].starting_sequence_number.startswith("49")
