"""Kafka clusters, against surviving mutants: murmur2 on every tail length, signed
header bytes, partitions' names, and the exact words of each refusal.

Scenarios in GIVEN / WHEN / THEN form, on producer answers and event records.
"""

from __future__ import annotations

import pytest
from support import refused

import lambda_lab as ll
from lambda_lab.errors import InvalidParameterValueException
from lambda_lab.sim.resources.kafka import KAFKA_MAX_RECORD_BYTES, murmur2


def java_murmur2(data: bytes) -> int:
    """Kafka's ``Utils.murmur2`` as the Java source reads (switch with fall-through)."""
    mask = 0xFFFFFFFF
    m, r = 0x5BD1E995, 24
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    for i in range(length // 4):
        k = int.from_bytes(data[4 * i : 4 * i + 4], "little")
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    tail = length & ~3
    rest = length % 4
    if rest == 3:
        h ^= data[tail + 2] << 16
    if rest in (2, 3):
        h ^= data[tail + 1] << 8
    if rest in (1, 2, 3):
        h ^= data[tail]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h


@pytest.mark.parametrize("data", [b"", b"a", b"ab", b"abc", b"abcd", b"abcde", b"\xff" * 9])
def test_murmur2_agrees_with_the_java_source_on_every_tail_length(data):
    assert murmur2(data) == java_murmur2(data)


@pytest.fixture
def lab() -> ll.Lab:
    return ll.Lab(seed=19)


@pytest.fixture
def cluster(lab):
    return lab.create_kafka_cluster("Demo-1")


def test_header_bytes_turn_negative_from_128(cluster):
    # GIVEN a record whose header holds the bytes 127 and 128
    cluster.create_topic("t")
    cluster.produce("t", b"v", headers={"h": b"\x7f\x80\xff"})
    (stored,) = cluster.topics["t"][0].records
    # THEN the event shows them as Java's signed bytes
    assert cluster.event_record(stored)["headers"] == [{"h": [127, -128, -1]}]


def test_partitions_know_their_topic_and_number(cluster):
    partitions = cluster.create_topic("orders", partitions=3)
    assert [(p.id, p.topic, p.number) for p in partitions] == [
        ("orders-0", "orders", 0),
        ("orders-1", "orders", 1),
        ("orders-2", "orders", 2),
    ]


def test_a_mixed_case_cluster_name_is_accepted_and_a_bad_one_refused(lab, cluster):
    assert cluster.name == "Demo-1"
    refused(
        InvalidParameterValueException,
        "name must start with a letter and hold 1 to 64 letters, digits and hyphens "
        "(MSK's ClusterName), got '1bad'",
        lab.create_kafka_cluster,
        "1bad",
    )


@pytest.mark.parametrize("topic", [".", ".."])
def test_dot_topics_are_refused(cluster, topic):
    refused(
        InvalidParameterValueException,
        "topic must be 1 to 249 characters of a-z, A-Z, 0-9, '.', '_', '-' "
        f"(Kafka's topic names), got {topic!r}",
        cluster.create_topic,
        topic,
    )
    assert cluster.topics == {}


def test_a_retention_that_is_not_a_number_is_refused(cluster):
    refused(
        InvalidParameterValueException,
        "retention_hours must be a positive number of hours, got 'x'",
        cluster.create_topic,
        "t",
        retention_hours="x",
    )


def test_partition_for_names_the_key_field(cluster):
    cluster.create_topic("t")
    refused(
        InvalidParameterValueException,
        "key must be bytes or str, got int",
        cluster.partition_for,
        "t",
        5,
    )


def test_a_value_of_exactly_one_mib_is_produced_and_counted(cluster):
    cluster.create_topic("t")
    cluster.produce("t", b"x" * KAFKA_MAX_RECORD_BYTES)
    cluster.produce("t", b"y")
    assert cluster.produced == 2


@pytest.mark.parametrize("headers", [5, [("a", "b", "c")]])
def test_headers_that_are_not_pairs_are_refused(cluster, headers):
    cluster.create_topic("t")
    refused(
        InvalidParameterValueException,
        f"headers must be a dict or a list of (name, value) pairs, got {headers!r}",
        cluster.produce,
        "t",
        b"v",
        headers=headers,
    )
    assert cluster.produced == 0
