"""Kafka clusters as event sources: topics, partitions, offsets, the default
partitioner, retention, and the MSK / self-managed event Lambda receives."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_lab.config import LabConfig
from lambda_lab.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from lambda_lab.sim.resources.kafka import KAFKA_MAX_RECORD_BYTES, KafkaCluster, murmur2
from lambda_lab.sim.trace.kinds import check
from lambda_lab.sim.world import World

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture
def world() -> World:
    return World(LabConfig(seed=1))


@pytest.fixture
def cluster(world: World) -> KafkaCluster:
    return KafkaCluster("demo", world)


def signed(value: int) -> int:
    return value - 2**32 if value >= 2**31 else value


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"21", -973932308),
        (b"foobar", -790332482),
        (b"a-little-bit-long-string", -985981536),
        (b"a-little-bit-longer-string", -1486304829),
        (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
        (b"abc", 479470107),
    ],
)
def test_murmur2_matches_kafkas_own_test_vectors(data, expected):
    # THEN the hash is the Java client's Utils.murmur2 (UtilsTest.testMurmur2)
    assert signed(murmur2(data)) == expected


def test_a_cluster_has_an_arn_and_bootstrap_brokers(world, cluster):
    # THEN the ARN ends in a UUID from the seeded generator, and three brokers listen on 9092
    assert re.fullmatch(rf"arn:aws:kafka:us-east-1:123456789012:cluster/demo/{UUID}", cluster.arn)
    servers = cluster.bootstrap_servers.split(",")
    assert len(servers) == 3
    assert all(
        re.fullmatch(r"b-\d\.demo\.[0-9a-f]{6}\.c2\.kafka\.us-east-1\.amazonaws\.com:9092", s)
        for s in servers
    )
    assert KafkaCluster("demo", World(LabConfig(seed=1))).arn == cluster.arn


def test_keys_pick_partitions_with_kafkas_default_partitioner(cluster):
    # GIVEN a topic of 6 partitions
    cluster.create_topic("orders", partitions=6)
    for key in ("a", "user-42", "ключ", "21"):
        # WHEN a keyed record is produced
        answer = cluster.produce("orders", b"v", key=key)
        # THEN its partition is (murmur2(key) & 0x7fffffff) % 6, every time
        assert answer["partition"] == (murmur2(key.encode()) & 0x7FFFFFFF) % 6
        assert cluster.produce("orders", b"v", key=key)["partition"] == answer["partition"]
        assert cluster.partition_for("orders", key) == answer["partition"]


def test_offsets_count_from_zero_per_partition_and_unkeyed_go_round_robin(cluster):
    # GIVEN a topic of 3 partitions
    partitions = cluster.create_topic("t", partitions=3)
    assert [p.id for p in partitions] == ["t-0", "t-1", "t-2"]
    # WHEN seven records without a key are produced
    answers = [cluster.produce("t", f"v{i}") for i in range(7)]
    # THEN they go round robin, and offsets count per partition from 0
    assert [a["partition"] for a in answers] == [0, 1, 2, 0, 1, 2, 0]
    assert [a["offset"] for a in answers] == [0, 0, 0, 1, 1, 1, 2]
    assert list(answers[0]) == ["topic", "partition", "offset"]
    assert [r.offset for r in partitions[0].records_from(0, 10)] == [0, 1, 2]


@settings(max_examples=30, deadline=None)
@given(keys=st.lists(st.one_of(st.none(), st.binary(max_size=6)), min_size=1, max_size=40))
def test_property_offsets_increase_by_one_per_partition(keys):
    # GIVEN a topic of 4 partitions and random keyed / unkeyed produces
    cluster = KafkaCluster("c", World(LabConfig(seed=1)))
    cluster.create_topic("t", partitions=4)
    seen: dict[int, list[int]] = {}
    for key in keys:
        answer = cluster.produce("t", b"v", key=key)
        seen.setdefault(answer["partition"], []).append(answer["offset"])
    # THEN each partition's offsets are 0, 1, 2, ...
    for offsets in seen.values():
        assert offsets == list(range(len(offsets)))


def test_the_event_record_encodes_key_value_and_headers(world, cluster):
    # GIVEN a record produced at t = 1.5 with a key and headers (one non-ASCII)
    cluster.create_topic("t")
    world.engine.run(until=1.5)
    cluster.produce("t", '{"n": 1}', key=b"\x00k", headers={"h1": "ab", "h2": "ë"})
    (stored,) = cluster.shards[0].records_from(0, 10)
    # WHEN it is turned into an event record
    record = cluster.event_record(stored)
    # THEN its keys are MSK's, key and value base64, headers Java's signed bytes
    assert list(record) == [
        "topic", "partition", "offset", "timestamp", "timestampType", "key", "value", "headers",
    ]  # fmt: skip
    assert record["timestamp"] == world.unix_millis(1.5)
    assert record["timestampType"] == "CREATE_TIME"
    assert base64.b64decode(record["key"]) == b"\x00k"
    assert base64.b64decode(record["value"]) == b'{"n": 1}'
    assert record["headers"] == [{"h1": [97, 98]}, {"h2": [-61, -85]}]
    assert bytes(b % 256 for b in record["headers"][1]["h2"]).decode() == "ë"


def test_an_unkeyed_record_has_a_null_key_and_headers_may_repeat(cluster):
    # GIVEN a record without a key, with a repeated header name
    cluster.create_topic("t")
    cluster.produce("t", b"v", headers=[("h", b"1"), ("h", b"2")])
    record = cluster.event_record(cluster.shards[0].records[0])
    # THEN key is null and both headers are there, in order
    assert record["key"] is None
    assert record["headers"] == [{"h": [49]}, {"h": [50]}]


def test_the_whole_event_groups_records_by_topic_partition(cluster):
    # GIVEN records in two partitions
    cluster.create_topic("t", partitions=2)
    for i in range(3):
        cluster.produce("t", f"v{i}")
    records = [r for shard in cluster.shards for r in shard.records]
    # WHEN the MSK event is built
    event = cluster.event(records)
    # THEN it has MSK's keys and records keyed by "<topic>-<partition>"
    assert list(event) == ["eventSource", "eventSourceArn", "bootstrapServers", "records"]
    assert event["eventSource"] == "aws:kafka" and event["eventSourceArn"] == cluster.arn
    assert event["bootstrapServers"] == cluster.bootstrap_servers
    assert list(event["records"]) == ["t-0", "t-1"]
    assert [r["offset"] for r in event["records"]["t-0"]] == [0, 1]
    # AND the self-managed event names its source and carries no ARN
    managed = cluster.event(records, self_managed=True)
    assert list(managed) == ["eventSource", "bootstrapServers", "records"]
    assert managed["eventSource"] == "SelfManagedKafka"


def test_partitions_read_by_offset_time_and_expire_after_retention(world, cluster):
    # GIVEN a topic kept 1 hour, with records produced at t = 0, 600, 1200
    (partition,) = cluster.create_topic("t", retention_hours=1)
    for t in (0, 600, 1200):
        world.engine.run(until=t)
        cluster.produce("t", f"v{t}")
    # THEN positions are offsets, and AT_TIMESTAMP finds the first at or after t
    assert partition.trim_horizon() == 0 and partition.latest() == 3
    assert partition.position_at(600) == 1 and partition.position_at(601) == 2
    # WHEN an hour passes since the first
    world.engine.run(until=3600)
    # THEN the first is gone, the others keep their offsets, and the expiry is recorded
    assert partition.trim_horizon() == 1
    assert [r.offset for r in partition.records_from(0, 10)] == [1, 2]
    (record,) = world.trace.filter("stream_records_expired")
    check(record)
    assert record["source"] == "demo" and record["shard"] == "t-0" and record["count"] == 1


def test_a_waiting_poller_hears_the_next_record(world, cluster):
    # GIVEN a poller waiting on a partition
    (partition,) = cluster.create_topic("t")
    heard = []
    partition.wait(lambda p: heard.append(p.id))
    # WHEN two records are produced THEN it is called once
    cluster.produce("t", b"a")
    cluster.produce("t", b"b")
    world.engine.run()
    assert heard == ["t-0"]


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda c: c.create_topic("bad topic"), InvalidParameterValueException, "topic must be"),
        (lambda c: c.create_topic("t", partitions=0), InvalidParameterValueException,
         "partitions must be an integer between 1 and 1000, got 0"),
        (lambda c: c.create_topic("t", retention_hours=0), InvalidParameterValueException,
         "retention_hours must be a positive number"),
        (lambda c: c.produce("missing", b"v"), ResourceNotFoundException, "create it first"),
        (lambda c: c.produce("t", 5), InvalidParameterValueException,
         "value must be bytes or str, got int"),
        (lambda c: c.produce("t", b"v", key=1), InvalidParameterValueException,
         "key must be bytes, str or None, got int"),
        (lambda c: c.produce("t", b"v", headers="h"), InvalidParameterValueException,
         "headers must be a dict or a list"),
        (lambda c: c.produce("t", b"v", headers={"": b"x"}), InvalidParameterValueException,
         "header name must be a non-empty string"),
        (lambda c: c.produce("t", b"v", headers={"h": 1}), InvalidParameterValueException,
         r"headers\['h'\] must be bytes or str"),
        (lambda c: c.produce("t", b"x" * (KAFKA_MAX_RECORD_BYTES + 1)),
         InvalidParameterValueException, "value is 1048577 bytes; the limit is 1048576"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_before_anything_changes(cluster, call, error, words):
    # GIVEN a cluster with one topic
    cluster.create_topic("t")
    # WHEN a bad call is made THEN it is refused, naming the field, and nothing is stored
    with pytest.raises(error, match=words):
        call(cluster)
    assert list(cluster.topics) == ["t"] and len(cluster.shards[0]) == 0
    assert cluster.produced == 0


def test_topics_cannot_be_created_twice_and_names_are_checked(world, cluster):
    cluster.create_topic("t")
    with pytest.raises(ResourceConflictException, match=r"Topic 't' already exists\."):
        cluster.create_topic("t", partitions=3)
    assert len(cluster.partitions("t")) == 1
    with pytest.raises(InvalidParameterValueException, match="ClusterName"):
        KafkaCluster("1bad", world)
