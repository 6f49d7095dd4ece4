"""Kafka clusters (Amazon MSK or self-managed): topics, partitions, offsets.

What it models: a cluster with an ARN and bootstrap brokers; topics created
with a number of partitions; ``produce`` in the shape of a producer's
metadata (``topic``, ``partition``, ``offset``).  A keyed record goes to
``murmur2(key) & 0x7fffffff % partitions``, exactly Kafka's default
partitioner (the Java client's ``Utils.murmur2``, checked against its test
vectors); a record without a key goes round robin over the topic's
partitions (the Java client has used a *sticky* partitioner since 2.4,
which fills a batch per partition; round robin is the simpler, older rule).
Offsets count from 0 per partition; timestamps are the simulated clock's
epoch milliseconds (``CREATE_TIME``).  Records are kept for the topic's
retention (Kafka's default ``retention.ms``: 168 hours).

The Lambda event (``event``) is the MSK one (``eventSource`` "aws:kafka",
``eventSourceArn``, ``bootstrapServers``, ``records`` by ``<topic>-<partition>``)
or, with ``self_managed=True``, the self-managed one (``eventSource``
"SelfManagedKafka", no ARN).  In a record, ``key`` and ``value`` are base64
(``key`` null when there is none) and ``headers`` a list of one-entry dicts,
header name -> the value's bytes as *signed* integers (-128..127): Lambda's
poller is Java, and AWS delivers non-ASCII header bytes negative (reported in
aws-powertools/powertools-lambda-python#6862 and aws-lambda-dotnet#1476).

What it simplifies: no brokers, replication, consumer groups or
compaction; one produce is one record (no batching or linger); values are
limited to 1 MiB (the broker's default ``message.max.bytes`` is about 1 MB);
topics must be created first (MSK's default ``auto.create.topics.enable`` is
false).

The reading interface (see :mod:`.shards`): ``KafkaCluster.shards`` holds
every :class:`Partition` (``id`` ``<topic>-<partition>``), with
``records_from(position, limit)``, ``trim_horizon()``, ``latest()``,
``position_at(t)``, ``expire(now)`` and ``wait(callback)``; a position is the
offset.  ``KafkaCluster.event_record(stored)`` builds one record of the event.

Trace records: ``stream_records_expired``.  Produces are counted, not recorded.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any

from ...errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from .base import Resource
from .shards import ShardLog, check_int

if TYPE_CHECKING:
    from ..world import World

__all__ = [
    "DEFAULT_RETENTION_HOURS",
    "KAFKA_MAX_RECORD_BYTES",
    "KafkaCluster",
    "KafkaRecord",
    "Partition",
    "murmur2",
]

#: Largest value of one record here (1 MiB).
KAFKA_MAX_RECORD_BYTES = 1024 * 1024
#: Kafka's default ``log.retention.hours``.
DEFAULT_RETENTION_HOURS = 168
#: Most partitions of one topic here (a choice: a classroom needs far fewer).
MAX_PARTITIONS = 1000
#: Brokers in ``bootstrap_servers`` (a three-AZ MSK cluster).
BROKERS = 3
_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's ``Utils.murmur2`` of ``data``, as an unsigned 32-bit integer."""
    m, length = 0x5BD1E995, len(data)
    h = (0x9747B28C ^ length) & _MASK
    end = length - length % 4
    for i in range(0, end, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * m) & _MASK
        k ^= k >> 24
        k = (k * m) & _MASK
        h = ((h * m) & _MASK) ^ k
    rest = length % 4
    if rest == 3:
        h ^= data[end + 2] << 16
    if rest >= 2:
        h ^= data[end + 1] << 8
    if rest >= 1:
        h ^= data[end]
        h = (h * m) & _MASK
    h ^= h >> 13
    h = (h * m) & _MASK
    h ^= h >> 15
    return h


def _signed(data: bytes) -> list[int]:
    return [b - 256 if b > 127 else b for b in data]


def _to_bytes(value: Any, field: str, allow_none: bool = False) -> bytes | None:
    if value is None and allow_none:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    allowed = "bytes, str or None" if allow_none else "bytes or str"
    raise InvalidParameterValueException(f"{field} must be {allowed}, got {type(value).__name__}")


class KafkaRecord:
    """One stored record of a partition (``position`` is its offset)."""

    __slots__ = ("arrival", "data", "headers", "key", "partition", "position", "timestamp", "topic")

    def __init__(
        self,
        topic: str,
        partition: int,
        key: bytes | None,
        data: bytes,
        headers: tuple[tuple[str, bytes], ...],
        arrival: float,
        timestamp: int,
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.key = key
        #: The record's value.
        self.data = data
        self.headers = headers
        #: Virtual seconds of the produce.
        self.arrival = arrival
        #: Epoch milliseconds of the simulated clock (``CREATE_TIME``).
        self.timestamp = timestamp
        self.position = -1

    @property
    def offset(self) -> int:
        """The record's offset in its partition."""
        return self.position

    @property
    def partition_key(self) -> bytes | None:
        """The record's key (the uniform name of a record's key)."""
        return self.key

    @property
    def size(self) -> int:
        """Bytes of key, value and headers."""
        key = len(self.key) if self.key is not None else 0
        return key + len(self.data) + sum(len(n) + len(v) for n, v in self.headers)

    def __repr__(self) -> str:
        return f"<KafkaRecord {self.topic}-{self.partition}@{self.position}>"


class Partition(ShardLog):
    """One partition of a topic (see :mod:`.shards`); ``id`` is ``<topic>-<n>``."""

    def __init__(self, cluster: KafkaCluster, topic: str, number: int, retention: float) -> None:
        super().__init__(f"{topic}-{number}", cluster, retention)
        self.topic = topic
        self.number = number


class KafkaCluster(Resource):
    """An MSK (or self-managed) Kafka cluster: see the module docstring."""

    kind = "kafka"
    max_message_bytes = KAFKA_MAX_RECORD_BYTES

    def __init__(self, name: str, world: World) -> None:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,63}", name):
            raise InvalidParameterValueException(
                "name must start with a letter and hold 1 to 64 letters, digits and hyphens "
                f"(MSK's ClusterName), got {name!r}"
            )
        uuid = world.new_id()
        arn = f"arn:aws:kafka:{world.region}:{world.account_id}:cluster/{name}/{uuid}"
        super().__init__(name, arn, world)
        tag = uuid.replace("-", "")[:6]
        #: The brokers, as ``GetBootstrapBrokers`` lists them (plaintext port 9092).
        self.bootstrap_servers = ",".join(
            f"b-{i}.{name.lower()}.{tag}.c2.kafka.{world.region}.amazonaws.com:9092"
            for i in range(1, BROKERS + 1)
        )
        #: Partitions by topic, in creation order.
        self.topics: dict[str, list[Partition]] = {}
        #: Every partition of every topic, topic by topic.
        self.shards: list[Partition] = []
        self._round_robin: dict[str, int] = {}
        #: Records produced so far.
        self.produced = 0

    # -- topics --------------------------------------------------------------------
    def create_topic(
        self, topic: str, partitions: int = 1, retention_hours: float = DEFAULT_RETENTION_HOURS
    ) -> list[Partition]:
        """Create a topic of ``partitions`` partitions; returns them."""
        if not isinstance(topic, str) or not _TOPIC.fullmatch(topic) or topic in (".", ".."):
            raise InvalidParameterValueException(
                "topic must be 1 to 249 characters of a-z, A-Z, 0-9, '.', '_', '-' "
                f"(Kafka's topic names), got {topic!r}"
            )
        check_int(partitions, "partitions", 1, MAX_PARTITIONS)
        if (
            isinstance(retention_hours, bool)
            or not isinstance(retention_hours, (int, float))
            or not retention_hours > 0
        ):
            raise InvalidParameterValueException(
                f"retention_hours must be a positive number of hours, got {retention_hours!r}"
            )
        if topic in self.topics:
            raise ResourceConflictException(f"Topic '{topic}' already exists.")
        made = [Partition(self, topic, n, retention_hours * 3600) for n in range(partitions)]
        self.topics[topic] = made
        self.shards.extend(made)
        self._round_robin[topic] = 0
        return made

    def partitions(self, topic: str) -> list[Partition]:
        """The partitions of ``topic`` (``ResourceNotFoundException`` if none)."""
        found = self.topics.get(topic)
        if found is None:
            raise ResourceNotFoundException(
                f"This server does not host this topic-partition: {topic!r} "
                f"(topic must be one of {sorted(self.topics)}; create it first)"
            )
        return found

    def partition_for(self, topic: str, key: bytes | str) -> int:
        """The partition a key goes to: ``(murmur2(key) & 0x7fffffff) % partitions``."""
        data = _to_bytes(key, "key")
        return (murmur2(data) & 0x7FFFFFFF) % len(self.partitions(topic))

    # -- producing -------------------------------------------------------------------
    def produce(
        self,
        topic: str,
        value: bytes | str,
        key: bytes | str | None = None,
        headers: dict[str, bytes | str] | list[tuple[str, bytes | str]] | None = None,
    ) -> dict[str, Any]:
        """Append one record; ``{"topic", "partition", "offset"}``.

        ``headers`` is a dict or a list of ``(name, value)`` pairs (a name may
        repeat in a list, as Kafka allows).
        """
        partitions = self.partitions(topic)
        data = _to_bytes(value, "value")
        if len(data) > KAFKA_MAX_RECORD_BYTES:
            raise InvalidParameterValueException(
                f"The message is {len(data)} bytes when serialized which is larger than "
                f"{KAFKA_MAX_RECORD_BYTES} (value is {len(data)} bytes; the limit is "
                f"{KAFKA_MAX_RECORD_BYTES} bytes)"
            )
        key_bytes = _to_bytes(key, "key", allow_none=True)
        pairs = _check_headers(headers)
        if key_bytes is not None:
            number = (murmur2(key_bytes) & 0x7FFFFFFF) % len(partitions)
        else:
            number = self._round_robin[topic]
            self._round_robin[topic] = (number + 1) % len(partitions)
        now = self.world.engine.now
        record = KafkaRecord(
            topic, number, key_bytes, data, pairs, now, self.world.unix_millis(now)
        )
        partitions[number].append(record)
        self.produced += 1
        return {"topic": topic, "partition": number, "offset": record.position}

    # -- what Lambda sees ------------------------------------------------------------
    def event_record(self, record: KafkaRecord) -> dict[str, Any]:
        """One record of the Lambda event, as AWS's MSK event shows it."""
        key = record.key
        return {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.position,
            "timestamp": record.timestamp,
            "timestampType": "CREATE_TIME",
            "key": base64.b64encode(key).decode("ascii") if key is not None else None,
            "value": base64.b64encode(record.data).decode("ascii"),
            "headers": [{name: _signed(value)} for name, value in record.headers],
        }

    def event(self, records: list[KafkaRecord], *, self_managed: bool = False) -> dict[str, Any]:
        """The whole Lambda event for ``records``, grouped by ``<topic>-<partition>``.

        MSK: ``eventSource`` "aws:kafka" with ``eventSourceArn``; self-managed
        Kafka: ``eventSource`` "SelfManagedKafka" and no ARN.
        """
        grouped: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            grouped.setdefault(f"{record.topic}-{record.partition}", []).append(
                self.event_record(record)
            )
        if self_managed:
            return {
                "eventSource": "SelfManagedKafka",
                "bootstrapServers": self.bootstrap_servers,
                "records": grouped,
            }
        return {
            "eventSource": "aws:kafka",
            "eventSourceArn": self.arn,
            "bootstrapServers": self.bootstrap_servers,
            "records": grouped,
        }

    def __repr__(self) -> str:
        return f"<KafkaCluster {self.name}: {len(self.topics)} topics>"


def _check_headers(headers: Any) -> tuple[tuple[str, bytes], ...]:
    if headers is None:
        return ()
    if isinstance(headers, dict):
        items = list(headers.items())
    elif isinstance(headers, list) and all(
        isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in headers
    ):
        items = [tuple(pair) for pair in headers]
    else:
        raise InvalidParameterValueException(
            f"headers must be a dict or a list of (name, value) pairs, got {headers!r}"
        )
    out = []
    for name, value in items:
        if not isinstance(name, str) or not name:
            raise InvalidParameterValueException(
                f"headers: a header name must be a non-empty string, got {name!r}"
            )
        out.append((name, _to_bytes(value, f"headers[{name!r}]")))
    return tuple(out)
