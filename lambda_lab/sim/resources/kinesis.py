"""Kinesis data streams: shards by hash key range, sequence numbers, retention.

What it models: a provisioned stream of ``shard_count`` shards, each owning
an equal split of the 128-bit hash key range (shard ``i`` of ``n`` owns
``[i * 2**128 // n, (i + 1) * 2**128 // n - 1]``, as ``CreateStream`` splits
it); ``put_record`` / ``put_records`` in boto3's shapes, the partition key
MD5-hashed (the digest read as a big-endian integer) into a shard's range,
or an ``ExplicitHashKey`` used instead; sequence numbers that increase per
shard; the retention period (24-8760 hours), applied lazily when a shard is
read; the Lambda event record and the ``KinesisBatchInfo`` of on-failure
records in the key order AWS sends (facts sheet 7.5).

What it simplifies: no throughput limits (1 MiB/s or 1,000 records/s per
shard), so ``FailedRecordCount`` is always 0; no resharding; no aggregation,
encryption or enhanced fan-out; ``SequenceNumberForOrdering`` is not taken.

Sequence numbers: 56 decimal digits, like Kinesis's, built as ``49``, ten
digits of the MD5 of the stream's ARN, the shard index (4 digits), the
simulated arrival time in epoch milliseconds (15 digits) and a per-shard
counter (25 digits).  They strictly increase per shard, in arrival order, and
the same script gives the same numbers.

The reading interface (see :mod:`.shards`): ``Stream.shards`` holds
:class:`Shard` objects with ``id``, ``records_from(position, limit)``,
``trim_horizon()``, ``latest()``, ``position_at(t)``, ``expire(now)`` and
``wait(callback)``; ``Stream.event_record(stored)`` builds a record of the
Lambda event.  A position is an absolute index in the shard; a sequence
number string is accepted by ``records_from`` too.

Trace records: ``stream_records_expired`` (one per expiry sweep of a shard).
Puts are counted (``Stream.put``), not recorded.
"""

from __future__ import annotations

import base64
import hashlib
from bisect import bisect_right
from typing import TYPE_CHECKING, Any

from ...errors import InvalidParameterValueException, ResourceNotFoundException, ValidationException
from .base import Resource
from .shards import ShardLog, batch_info, check_int

if TYPE_CHECKING:
    from ..world import World

__all__ = [
    "DEFAULT_INVOKE_IDENTITY_ROLE",
    "HASH_KEY_LIMIT",
    "KINESIS_MAX_RECORD_BYTES",
    "KinesisRecord",
    "Shard",
    "Stream",
]

#: Largest data blob of one record (``PutRecord``'s ``Data``: 1 MiB).
KINESIS_MAX_RECORD_BYTES = 1024 * 1024
#: Hash keys are 128-bit: ``0 <= key < HASH_KEY_LIMIT``.
HASH_KEY_LIMIT = 2**128
#: Most records of one ``PutRecords`` call.
MAX_PUT_RECORDS = 500
#: Most shards of one stream here (Kinesis's default shard quota per account).
MAX_SHARDS = 500
#: The role name in ``invokeIdentityArn`` when the caller names none.  Lambda puts
#: the function's execution role there; functions here have no role, so a fixed
#: ``arn:aws:iam::<account>:role/lambda-role`` stands in (override per call).
DEFAULT_INVOKE_IDENTITY_ROLE = "lambda-role"


class KinesisRecord:
    """One stored record of a shard."""

    __slots__ = ("arrival", "data", "partition_key", "position", "sequence_number", "shard_id")

    def __init__(
        self,
        shard_id: str,
        sequence_number: str,
        partition_key: str,
        data: bytes,
        arrival: float,
    ) -> None:
        self.shard_id = shard_id
        self.sequence_number = sequence_number
        self.partition_key = partition_key
        self.data = data
        #: Virtual seconds of the record's approximate arrival.
        self.arrival = arrival
        #: The record's absolute index in its shard (set when it is stored).
        self.position = -1

    @property
    def size(self) -> int:
        """Bytes of the data blob (before base64)."""
        return len(self.data)

    def __repr__(self) -> str:
        return f"<KinesisRecord {self.shard_id}:{self.sequence_number} key={self.partition_key!r}>"


class Shard(ShardLog):
    """One shard: its hash key range and its records (see :mod:`.shards`)."""

    def __init__(self, stream: Stream, index: int, count: int) -> None:
        super().__init__(f"shardId-{index:012d}", stream, stream.retention_period_hours * 3600)
        self.index = index
        self.starting_hash_key = index * HASH_KEY_LIMIT // count
        self.ending_hash_key = (index + 1) * HASH_KEY_LIMIT // count - 1
        salt = int(hashlib.md5(stream.arn.encode("utf-8")).hexdigest(), 16) % 10**10
        self._prefix = (49 * 10**10 + salt) * 10**44 + index * 10**40
        self._counter = 0
        self.starting_sequence_number = self._sequence_number(stream.world.unix_millis(0), 0)

    def _sequence_number(self, millis: int, counter: int) -> str:
        return str(self._prefix + millis * 10**25 + counter)

    def next_sequence_number(self, millis: int) -> str:
        """A new sequence number, greater than every earlier one of this shard."""
        self._counter += 1
        return self._sequence_number(millis, self._counter)

    def to_dict(self) -> dict[str, Any]:
        """The shard as ``ListShards`` describes it (boto3's keys)."""
        return {
            "ShardId": self.id,
            "HashKeyRange": {
                "StartingHashKey": str(self.starting_hash_key),
                "EndingHashKey": str(self.ending_hash_key),
            },
            "SequenceNumberRange": {"StartingSequenceNumber": self.starting_sequence_number},
        }


class Stream(Resource):
    """A Kinesis data stream: see the module docstring."""

    kind = "kinesis"
    max_message_bytes = KINESIS_MAX_RECORD_BYTES

    def __init__(
        self,
        name: str,
        world: World,
        shard_count: int = 1,
        retention_period_hours: int = 24,
    ) -> None:
        if not isinstance(name, str) or not 1 <= len(name) <= 128:
            raise InvalidParameterValueException(
                f"name must be a string of 1 to 128 characters, got {name!r}"
            )
        check_int(shard_count, "shard_count", 1, MAX_SHARDS)
        check_int(retention_period_hours, "retention_period_hours", 24, 8760)
        arn = f"arn:aws:kinesis:{world.region}:{world.account_id}:stream/{name}"
        super().__init__(name, arn, world)
        self.retention_period_hours = retention_period_hours
        self.created_at = world.engine.now
        self.shards: list[Shard] = [Shard(self, i, shard_count) for i in range(shard_count)]
        self._starts = [shard.starting_hash_key for shard in self.shards]
        #: Records put so far.
        self.put = 0

    # -- writing -------------------------------------------------------------------
    def put_record(
        self,
        data: bytes | str,
        partition_key: str,
        explicit_hash_key: str | None = None,
    ) -> dict[str, str]:
        """Store one record; ``{"ShardId", "SequenceNumber"}`` as boto3 answers."""
        blob, shard = self._check_put(data, partition_key, explicit_hash_key, "")
        record = self._store(shard, blob, partition_key)
        return {"ShardId": shard.id, "SequenceNumber": record.sequence_number}

    def put_records(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Store up to 500 records (boto3's ``Data``, ``PartitionKey``, ``ExplicitHashKey``).

        Every entry is checked before any is stored.  Returns
        ``{"FailedRecordCount": 0, "Records": [{"SequenceNumber", "ShardId"}, ...]}``
        in the order of the entries.
        """
        if not isinstance(records, list) or not 1 <= len(records) <= MAX_PUT_RECORDS:
            size = len(records) if isinstance(records, list) else records
            raise ValidationException(
                "1 validation error detected: Value at 'records' failed to satisfy constraint: "
                f"Member must have length between 1 and {MAX_PUT_RECORDS} "
                f"(records must be a list of 1 to {MAX_PUT_RECORDS} entries, got {size!r})"
            )
        checked = []
        for i, entry in enumerate(records):
            where = f"records[{i}]."
            if not isinstance(entry, dict):
                raise InvalidParameterValueException(
                    f"records[{i}] must be a dict with Data and PartitionKey, got {entry!r}"
                )
            unknown = set(entry) - {"Data", "PartitionKey", "ExplicitHashKey"}
            if unknown:
                raise InvalidParameterValueException(
                    f"records[{i}] has unknown keys {sorted(unknown)} "
                    "(allowed: Data, PartitionKey, ExplicitHashKey)"
                )
            key = entry.get("PartitionKey")
            blob, shard = self._check_put(
                entry.get("Data"), key, entry.get("ExplicitHashKey"), where
            )
            checked.append((shard, blob, key))
        out = []
        for shard, blob, key in checked:
            record = self._store(shard, blob, key)
            out.append({"SequenceNumber": record.sequence_number, "ShardId": shard.id})
        return {"FailedRecordCount": 0, "Records": out}

    def _check_put(
        self, data: Any, partition_key: Any, explicit_hash_key: Any, where: str
    ) -> tuple[bytes, Shard]:
        if isinstance(data, str):
            blob = data.encode("utf-8")
        elif isinstance(data, (bytes, bytearray, memoryview)):
            blob = bytes(data)
        else:
            raise InvalidParameterValueException(
                f"{where}data must be bytes or str, got {type(data).__name__}"
            )
        if len(blob) > KINESIS_MAX_RECORD_BYTES:
            raise ValidationException(
                f"1 validation error detected: Value at '{where}data' failed to satisfy "
                f"constraint: Member must have length less than or equal to "
                f"{KINESIS_MAX_RECORD_BYTES} ({where}data is {len(blob)} bytes; the limit is "
                f"{KINESIS_MAX_RECORD_BYTES} bytes)"
            )
        if not isinstance(partition_key, str) or not 1 <= len(partition_key) <= 256:
            raise ValidationException(
                f"1 validation error detected: Value {partition_key!r} at "
                f"'{where}partitionKey' failed to satisfy constraint: Member must have length "
                f"between 1 and 256 ({where}partition_key must be a string of 1 to 256 "
                "characters)"
            )
        if explicit_hash_key is None:
            digest = hashlib.md5(partition_key.encode("utf-8")).digest()
            hash_key = int.from_bytes(digest, "big")
        else:
            if (
                not isinstance(explicit_hash_key, str)
                or not explicit_hash_key.isdigit()
                or not explicit_hash_key.isascii()
                or int(explicit_hash_key) >= HASH_KEY_LIMIT
            ):
                raise InvalidParameterValueException(
                    f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                    f"Specified value was {explicit_hash_key!r} ({where}explicit_hash_key must "
                    f"be a decimal string between 0 and {HASH_KEY_LIMIT - 1})"
                )
            hash_key = int(explicit_hash_key)
        return blob, self.shard_for_hash_key(hash_key)

    def _store(self, shard: Shard, blob: bytes, partition_key: str) -> KinesisRecord:
        now = self.world.engine.now
        sequence_number = shard.next_sequence_number(self.world.unix_millis(now))
        record = KinesisRecord(shard.id, sequence_number, partition_key, blob, now)
        shard.append(record)
        self.put += 1
        return record

    # -- shards --------------------------------------------------------------------
    def shard_for_hash_key(self, hash_key: int) -> Shard:
        """The shard whose hash key range holds ``hash_key``."""
        return self.shards[bisect_right(self._starts, hash_key) - 1]

    def shard_for(self, partition_key: str) -> Shard:
        """The shard a partition key's MD5 falls in."""
        digest = hashlib.md5(partition_key.encode("utf-8")).digest()
        return self.shard_for_hash_key(int.from_bytes(digest, "big"))

    def shard(self, shard_id: str) -> Shard:
        """The shard with this id (``ResourceNotFoundException`` if none)."""
        for shard in self.shards:
            if shard.id == shard_id:
                return shard
        raise ResourceNotFoundException(
            f"Shard {shard_id} in stream {self.name} under account {self.world.account_id} "
            f"does not exist (shard_id must be one of {[s.id for s in self.shards]})"
        )

    def list_shards(self) -> dict[str, list[dict[str, Any]]]:
        """``{"Shards": [...]}`` as ``ListShards`` answers."""
        return {"Shards": [shard.to_dict() for shard in self.shards]}

    @property
    def records(self) -> list[KinesisRecord]:
        """Every kept record, shard by shard."""
        return [record for shard in self.shards for record in shard.records]

    # -- what Lambda sees ------------------------------------------------------------
    def event_record(
        self, record: KinesisRecord, invoke_identity_arn: str | None = None
    ) -> dict[str, Any]:
        """The record as an entry of a Lambda event's ``Records`` (7.5's key order)."""
        world = self.world
        if invoke_identity_arn is None:
            invoke_identity_arn = (
                f"arn:aws:iam::{world.account_id}:role/{DEFAULT_INVOKE_IDENTITY_ROLE}"
            )
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": record.partition_key,
                "sequenceNumber": record.sequence_number,
                "data": base64.b64encode(record.data).decode("ascii"),
                "approximateArrivalTimestamp": world.unix_millis(record.arrival) / 1000,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{record.shard_id}:{record.sequence_number}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": invoke_identity_arn,
            "awsRegion": world.region,
            "eventSourceARN": self.arn,
        }

    def batch_info(self, shard_id: str, records: list[KinesisRecord]) -> dict[str, Any]:
        """The ``KinesisBatchInfo`` of an on-failure record for ``records`` (oldest first)."""
        self.shard(shard_id)
        if not isinstance(records, list) or not records:
            raise InvalidParameterValueException(
                f"records must be a non-empty list of records of {shard_id}, got {records!r}"
            )
        return batch_info(shard_id, records, self.arn, self.world.iso)

    def __repr__(self) -> str:
        return f"<Stream {self.name}: {len(self.shards)} shards>"
