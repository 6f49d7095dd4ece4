"""The reading interface shared by stream sources: an append-only log per shard.

Kinesis shards, the shard of a DynamoDB table's stream and Kafka partitions
are the same thing to a poller: records in order, each at a *position*, kept
for a retention period.  :class:`ShardLog` is that log; each source module
subclasses it (``kinesis.Shard``, ``dynamodb.StreamShard``,
``kafka.Partition``) and each source has ``shards`` (a list of them) and
``event_record(stored)``.

The interface a poller uses (every position is an ``int``):

* ``id``: the shard's id (``shardId-000000000000``, ``<topic>-<partition>``);
* ``records_from(position, limit)``: up to ``limit`` stored records from
  ``position`` on, oldest first; each carries its ``position``, so the next
  read starts at ``records[-1].position + 1``.  A position before the oldest
  kept record reads from the oldest (the records in between expired: the
  poller sees the gap in the positions); a sequence number (a decimal
  string, Kinesis and DynamoDB) reads from the first record at or after it;
* ``trim_horizon()``: the position of the oldest kept record;
* ``latest()``: the position the next record will take (nothing is there yet);
* ``position_at(t)``: the first record that arrived at or after virtual time
  ``t`` (``latest()`` if none did);
* ``expire(now)``: drop what is past retention (a record is expired once
  ``arrival + retention <= now``), count it, and record one
  ``stream_records_expired`` trace record per sweep; every read calls it
  first, and so does the source's ``sweep`` at the end of every ``run()``,
  so expiry is lazy and costs nothing while the world runs;
* ``wait(callback)``: call ``callback(shard)`` once, at the instant the next
  record is appended, so an idle poller schedules nothing.

Positions are absolute: they count every record ever appended to the shard
and never move when old records expire (a Kafka offset is its position).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...errors import InvalidParameterValueException

if TYPE_CHECKING:
    from .base import Resource

__all__ = ["ShardLog", "batch_info", "check_int"]

#: Keep a shard's list of expired slots until this many, then compact it.
_COMPACT_AT = 1024


def check_int(value: Any, field: str, low: int, high: int, exc: type | None = None) -> int:
    """``value`` if it is an int in ``[low, high]``; else raise naming the field."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise (exc or InvalidParameterValueException)(
            f"{field} must be an integer between {low} and {high}, got {value!r}"
        )
    return value


class ShardLog:
    """An append-only log of stored records: see the module docstring.

    Stored records are ``__slots__`` objects with at least ``position``,
    ``arrival`` (virtual seconds) and, for Kinesis and DynamoDB,
    ``sequence_number``.
    """

    def __init__(self, shard_id: str, source: Resource, retention_seconds: float) -> None:
        self.id = shard_id
        self.source = source
        self.retention_seconds = retention_seconds
        #: How many records expired from this shard so far.
        self.expired = 0
        self._engine = source.world.engine
        self._records: list[Any] = []
        self._start = 0  # index in _records of the oldest kept record
        self._base = 0  # position of _records[0]
        self._waiters: list[Callable[[Any], Any]] = []

    # -- writing (by the source) --------------------------------------------------
    def append(self, record: Any) -> None:
        """Store ``record`` at the next position (its ``position`` is set here)."""
        record.position = self._base + len(self._records)
        self._records.append(record)
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            soon = self._engine.soon
            for callback in waiters:
                soon(callback, self)

    @property
    def next_position(self) -> int:
        """The position the next record takes (no expiry sweep: a writer's view)."""
        return self._base + len(self._records)

    # -- reading -------------------------------------------------------------------
    def records_from(self, position: int | str, limit: int) -> list[Any]:
        """Up to ``limit`` records from ``position`` (or a sequence number) on."""
        check_int(limit, "limit", 1, 10**9)
        self.expire(self._engine.now)
        if isinstance(position, str):
            index = self._index_of_sequence(position)
        elif isinstance(position, bool) or not isinstance(position, int) or position < 0:
            raise InvalidParameterValueException(
                f"position must be a non-negative integer or a sequence number, got {position!r}"
            )
        else:
            index = max(position - self._base, self._start)
        return self._records[index : index + limit]

    def trim_horizon(self) -> int:
        """The position of the oldest record still kept."""
        self.expire(self._engine.now)
        return self._base + self._start

    def latest(self) -> int:
        """The position just after the newest record: where ``LATEST`` starts."""
        self.expire(self._engine.now)
        return self._base + len(self._records)

    def position_at(self, t: float) -> int:
        """The first record that arrived at or after virtual time ``t``."""
        if isinstance(t, bool) or not isinstance(t, (int, float)):
            raise InvalidParameterValueException(
                f"t must be a number of virtual seconds, got {t!r}"
            )
        self.expire(self._engine.now)
        index = bisect_left(self._records, t, lo=self._start, key=_arrival)
        return self._base + index

    def expire(self, now: float) -> int:
        """Drop the records past retention at ``now``; how many were dropped."""
        records = self._records
        start = self._start
        cutoff = now - self.retention_seconds
        if start >= len(records) or records[start].arrival > cutoff:
            return 0
        end = bisect_right(records, cutoff, lo=start, key=_arrival)
        count = end - start
        first, last = records[start].position, records[end - 1].position
        for i in range(start, end):
            records[i] = None  # let the data go now; the slots compact later
        self._start = end
        if end >= _COMPACT_AT and end * 2 >= len(records):
            del records[:end]
            self._base += end
            self._start = 0
        self.expired += count
        self.source.world.trace.append(
            {
                "t": now,
                "kind": "stream_records_expired",
                "source": self.source.name,
                "shard": self.id,
                "count": count,
                "first_position": first,
                "last_position": last,
            }
        )
        return count

    def wait(self, callback: Callable[[Any], Any]) -> None:
        """Call ``callback(self)`` once, at the instant the next record is appended."""
        self._waiters.append(callback)

    @property
    def records(self) -> list[Any]:
        """Every record still kept, oldest first."""
        self.expire(self._engine.now)
        return self._records[self._start :]

    def __len__(self) -> int:
        self.expire(self._engine.now)
        return len(self._records) - self._start

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}: {len(self._records) - self._start} records>"

    def _index_of_sequence(self, sequence_number: str) -> int:
        if not sequence_number.isdigit():
            raise InvalidParameterValueException(
                f"sequence_number must be a decimal string, got {sequence_number!r}"
            )
        wanted = int(sequence_number)
        return bisect_left(self._records, wanted, lo=self._start, key=_sequence)


def batch_info(
    shard_id: str, records: list[Any], stream_arn: str, iso: Callable[[float], str]
) -> dict[str, Any]:
    """The ``...BatchInfo`` of a stream's on-failure record, in 7.5's key order.

    Kinesis and DynamoDB share the shape and differ in how arrivals are
    written (``iso``: with milliseconds for Kinesis, without for DynamoDB).
    """
    first, last = records[0], records[-1]
    return {
        "shardId": shard_id,
        "startSequenceNumber": first.sequence_number,
        "endSequenceNumber": last.sequence_number,
        "approximateArrivalOfFirstRecord": iso(first.arrival),
        "approximateArrivalOfLastRecord": iso(last.arrival),
        "batchSize": len(records),
        "streamArn": stream_arn,
    }


def _arrival(record: Any) -> float:
    return record.arrival


def _sequence(record: Any) -> int:
    return int(record.sequence_number)
