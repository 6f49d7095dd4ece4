"""The stream poller: Kinesis and DynamoDB Streams, one batch per shard lane at a time.

How a shard is read (fact sheet 3.3, 7.5):

* Each shard has ``parallelization_factor`` *lanes* (1 by default).  A
  record's lane is the CRC-32 of its partition key (a DynamoDB record's key
  attributes) modulo the factor, so records of one key always share a lane.
  Each lane has a position and at most one batch in flight: records of a key
  are delivered in order, and an error **blocks the lane** (the whole shard
  when the factor is 1) until the batch succeeds or is given up.  AWS
  documents order "at the shard level" and per partition key since 2019; how
  it splits a shard is not documented (UNCONFIRMED), the hash is our choice.
* A batch holds up to ``BatchSize`` records of one lane, and an event of at
  most 6 MB (data counted as base64, with room for each record's keys); with
  a batching window the poller waits that long for more before it invokes.
  Records matching no filter are skipped.
* A function error retries the batch (``maximum_retry_attempts``, -1 for
  ever) while its records are younger than ``maximum_record_age_in_seconds``
  (-1 for ever) and still in the stream.  Each retry waits 1 s, doubling up
  to 60 s: AWS documents no delay, and without one a handler of zero
  duration would spin at one instant (our choice).
* ``bisect_batch_on_function_error`` splits a failing batch in two and
  tries the halves in order, without spending attempts.  With a partial
  batch response it splits the batch at the returned sequence number
  instead, and retries only the rest, again without spending an attempt
  (AWS's Kinesis and DynamoDB guides); when the first record is the failed
  one nothing splits off, and the retry spends an attempt as without
  bisecting (our reading: AWS says no more).
* With ``ReportBatchItemFailures``, the lowest reported sequence number is
  the checkpoint: records before it are done, the batch is retried from it.
  An invalid response fails the whole batch (``functionError`` null).
* Throttles are retried without counting as attempts.
* A batch given up goes, as metadata (``KinesisBatchInfo``,
  ``DDBStreamBatchInfo``, ``KafkaBatchInfo``), to the on-failure
  destination, and the lane moves on; an S3 destination also gets the whole
  event as ``payload``, in an object under
  ``aws/lambda/<mapping UUID>/<shardId>/`` (fact sheet 7.5; for Kafka the
  shard is the ``topic-partition``, our reading).  Records already older
  than the maximum age are dropped before an invocation and reported alone.
* The shard's ``checkpoint`` is the lowest position any of its lanes still
  has to process.
* ``tumbling_window_in_seconds`` carries ``state`` between invocations: see
  :mod:`.windows`.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

from ..fastjson import dumps
from ..invoke.destinations import deliver_record
from ..invoke.sync import request_response
from ..resources.base import decode
from .base import INVALID, Mapping, MappingConfig, batch_item_failures
from .windows import MISSING, TumblingWindow, read_state, window_start

if TYPE_CHECKING:
    from ..compute.functions import Function
    from ..invoke.sync import InvocationResponse
    from ..world import World

__all__ = ["RETRY_BACKOFF_FIRST", "RETRY_BACKOFF_MAX", "KafkaMapping", "StreamMapping"]

MAX_BATCH_BYTES = 6 * 1024 * 1024
#: Bytes a record's own keys, ids and ARNs may take in the event, beyond its data.
RECORD_OVERHEAD = 1024
RETRY_BACKOFF_FIRST = 1.0
RETRY_BACKOFF_MAX = 60.0
#: ``BatchInfo`` key of the on-failure record, per source kind.
BATCH_INFO_KEY = {
    "kinesis": "KinesisBatchInfo",
    "dynamodb-stream": "DDBStreamBatchInfo",
    "kafka": "KafkaBatchInfo",
}


class _Lane:
    """Where one lane of a shard is, and the batch it is working on."""

    __slots__ = (
        "attempts",
        "closing",
        "failures",
        "in_flight",
        "index",
        "pending",
        "position",
        "shard",
        "timer",
        "waiting",
        "window",
    )

    def __init__(self, shard: Any, index: int, position: int) -> None:
        self.shard = shard
        self.index = index
        self.position = position
        self.in_flight = False
        self.waiting = False
        #: Batches still to try before reading on: a retry, or the halves of a bisect.
        self.pending: list[list[Any]] = []
        self.attempts = 0
        self.failures = 0
        #: The open tumbling window, a timer set for its end, a final invoke owed.
        self.window: TumblingWindow | None = None
        self.timer = False
        self.closing = False

    def todo(self) -> int:
        """The lowest position this lane has not finished with."""
        return self.pending[0][0].position if self.pending and self.pending[0] else self.position


class StreamMapping(Mapping):
    """An event source mapping on a Kinesis stream or a DynamoDB stream."""

    transition_reason = "User action"

    def __init__(
        self,
        world: World,
        uuid: str,
        function: Function,
        source: Any,
        config: MappingConfig,
        matcher: Any,
        enabled: bool,
    ) -> None:
        self.source_kind = source.kind
        super().__init__(world, uuid, function, source, config, matcher, enabled)
        lanes = config.parallelization_factor
        self.lanes = [
            _Lane(shard, index, start)
            for shard in self._shards_of(source)
            for start in (self._start_position(shard),)
            for index in range(lanes)
        ]
        self._lanes_of: dict[str, list[_Lane]] = {}
        self._checkpoints: dict[str, int] = {}  # the last one recorded, per shard
        for lane in self.lanes:
            self._lanes_of.setdefault(lane.shard.id, []).append(lane)
        self.last_processing_result = "No records processed"

    # -- what differs per source (Kafka overrides these) -----------------------------
    def _shards_of(self, source: Any) -> list[Any]:
        return list(source.shards)

    def _sequence(self, record: Any) -> str:
        """The record's id in partial batch responses and batch records."""
        return record.sequence_number

    def _event(self, batch: list[Any]) -> dict[str, Any]:
        return {"Records": [self.source.event_record(r) for r in batch]}

    def _lag(self, lane: _Lane, batch: list[Any]) -> dict[str, Any]:
        return {}

    def _start_position(self, shard: Any) -> int:
        config = self.config
        if config.starting_position == "TRIM_HORIZON":
            return shard.trim_horizon()
        if config.starting_position == "AT_TIMESTAMP":
            return shard.position_at(config.starting_position_timestamp or 0.0)
        return shard.latest()

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        config = self.config
        out.update(
            StartingPosition=config.starting_position,
            ParallelizationFactor=config.parallelization_factor,
            MaximumRecordAgeInSeconds=config.maximum_record_age_in_seconds,
            BisectBatchOnFunctionError=config.bisect_batch_on_function_error,
            MaximumRetryAttempts=config.maximum_retry_attempts,
            TumblingWindowInSeconds=config.tumbling_window_in_seconds,
            DestinationConfig={
                "OnFailure": (
                    {"Destination": config.on_failure.arn} if config.on_failure is not None else {}
                )
            },
            LastProcessingResult=self.last_processing_result,
        )
        return out

    # -- polling -------------------------------------------------------------------
    def start(self) -> None:
        for lane in self.lanes:
            self._poll(lane)

    def stop(self) -> None:
        return  # in-flight batches finish; _poll reads nothing while disabled

    def _poll(self, lane: _Lane) -> None:
        if not self.enabled or lane.in_flight:
            return
        if lane.closing:
            self._invoke_final(lane)
            return
        if lane.pending:
            self._invoke(lane, lane.pending[0], "retry")
            return
        batch = self._read(lane)
        if lane.window is not None and self._window_over(lane, batch):
            return
        if not batch:
            if not lane.waiting:
                lane.waiting = True
                lane.shard.wait(lambda _: self._woken(lane))
            return
        window = self.config.maximum_batching_window_in_seconds
        if window and len(batch) < self.config.batch_size:
            # Wait out the window for more records, then cut the batch.
            lane.in_flight = True
            self.world.engine.schedule(window, self._window_ends, lane)
            return
        self._cut(lane, batch, "batch_size" if len(batch) >= self.config.batch_size else "drained")

    def _woken(self, lane: _Lane) -> None:
        lane.waiting = False
        self._poll(lane)
        # Reading may have skipped records (filtered out, another lane's, or
        # expired) without cutting a batch: the shard's position moved all the same.
        self._checkpoint(lane, moved_only=True)

    def _window_ends(self, lane: _Lane) -> None:
        lane.in_flight = False
        batch = self._read(lane)
        if lane.window is not None and self._window_over(lane, batch):
            return
        if batch:
            full = len(batch) >= self.config.batch_size
            self._cut(lane, batch, "batch_size" if full else "window")
        else:
            self._poll(lane)

    def _read(self, lane: _Lane) -> list[Any]:
        """Records of the lane from its position: filtered ones skipped, at most 6 MB."""
        config = self.config
        limit = config.batch_size
        lanes = config.parallelization_factor
        length = config.tumbling_window_in_seconds
        matcher = self.matcher
        shard = lane.shard
        out: list[Any] = []
        size = 0
        first_window = None
        position = lane.position
        while True:
            # One read of ``limit`` records with one lane (filtered records shorten
            # the batch, as AWS's do); with lanes, read on until the lane has a batch.
            records = shard.records_from(position, limit * lanes)
            if not records:
                return out
            if not out and records[0].position > lane.position:
                lane.position = records[0].position  # the ones before expired
            for record in records:
                position = record.position + 1
                if lanes > 1 and self._lane_of(record) != lane.index:
                    if not out:
                        lane.position = position  # not this lane's: past it for good
                    continue
                cost = self._payload_bytes(record)
                if size + cost > MAX_BATCH_BYTES:
                    return out
                if matcher is not None and not matcher.matches(self._filter_view(record)):
                    if not out:  # skipped for good: the iterator moves past it
                        lane.position = position
                    continue  # later ones are skipped again when read again
                if length:
                    start = window_start(record.arrival, length, self.world.clock.epoch_seconds)
                    if first_window is None:
                        first_window = start
                    elif start != first_window:
                        return out  # a batch holds one window's records
                out.append(record)
                size += cost
                if len(out) >= limit:
                    return out
            if lanes == 1:
                return out

    def _payload_bytes(self, record: Any) -> int:
        """What ``record`` adds to the invoke payload, on the safe side.

        The 6 MB limit is the event's (fact sheet 3.1): data travels base64
        (4 bytes for 3) inside a record of fixed keys, ids and ARNs, which
        :data:`RECORD_OVERHEAD` covers; DynamoDB's images are already JSON.
        An estimate, not a measure: encoding every record to count it would
        cost more than the rest of the poll.
        """
        if self.source_kind == "dynamodb-stream":
            return record.size + RECORD_OVERHEAD
        return 4 * ((record.size + 2) // 3) + RECORD_OVERHEAD

    def _lane_of(self, record: Any) -> int:
        key = record.partition_key
        text = key if isinstance(key, str) else dumps(key)
        return zlib.crc32(text.encode("utf-8")) % self.config.parallelization_factor

    def _filter_view(self, record: Any) -> Any:
        # Kinesis filters match the decoded JSON of ``data`` (7.5); DynamoDB ones
        # the record as sent, under ``dynamodb``.
        event = self.source.event_record(record)
        if self.source_kind == "kinesis":
            event["data"] = decode(record.data.decode("utf-8", "replace"))
        return event

    def _cut(self, lane: _Lane, batch: list[Any], trigger: str) -> None:
        lane.pending = [batch]
        lane.attempts = 0
        length = self.config.tumbling_window_in_seconds
        if length and lane.window is None:
            start = window_start(batch[0].arrival, length, self.world.clock.epoch_seconds)
            lane.window = TumblingWindow(start, length)
        self._invoke(lane, batch, trigger)

    # -- invoking --------------------------------------------------------------------
    def _invoke(self, lane: _Lane, batch: list[Any], trigger: str) -> None:
        world = self.world
        now = world.engine.now
        config = self.config
        if config.maximum_record_age_in_seconds != -1:
            old = [r for r in batch if now - r.arrival > config.maximum_record_age_in_seconds]
            for record in old:  # dropped before the invocation, each reported alone
                self._give_up(lane, [record], "RecordAgeExceeded", None)
            batch = [r for r in batch if r not in old]
            lane.pending[0] = batch
            if not batch:
                self._done_with(lane, old[-1].position + 1 if old else lane.position)
                return
        event = self._event(batch)
        if lane.window is not None:
            event.update(self._window_fields(lane, final=False))
        request_id = world.service.new_request_id()
        lane.in_flight = True
        self._record_batch(lane, request_id, trigger, batch)
        self._send(event, request_id, lambda r: self._answered(lane, batch, request_id, r))

    def _send(self, event: dict[str, Any], request_id: str, then: Any) -> None:
        """Invoke synchronously with ``event``; ``then(response or None)`` on the answer."""

        def answered(response: InvocationResponse | None, reason: str | None, _: Any) -> None:
            then(response)

        request_response(
            self.world.service,
            self.function,
            dumps(event),
            answered,
            source=self.uuid,
            request_id=request_id,
        )

    def _answered(
        self,
        lane: _Lane,
        batch: list[Any],
        request_id: str,
        response: InvocationResponse | None,
    ) -> None:
        lane.in_flight = False
        ids = [self._sequence(r) for r in batch]
        if response is None:  # throttled: again after a backoff, no attempt spent
            self._record_failed(request_id, "throttle", ids)
            self._retry_later(lane)
            return
        function_error = response.function_error
        failed: Any = []
        reason = "function_error"
        state: Any = MISSING
        if function_error is not None:
            failed = ids
        elif lane.window is not None and (state := read_state(response.payload)) is MISSING:
            failed, reason = ids, "missing_state"
        elif self.config.report_batch_item_failures:
            failed = batch_item_failures(response.payload, set(ids))
            reason = "partial_response"
            if failed is INVALID:
                failed, reason, state = ids, "invalid_partial_response", MISSING
        if state is not MISSING:
            # A tumbling window keeps the answer's state, even a partial one's.
            window = lane.window
            assert window is not None
            window.keep(state)
            lane.closing = window.terminated_early
        if not failed:
            self.last_processing_result = "OK"
            self._done_with(lane, batch[-1].position + 1)
            return
        self._record_failed(request_id, reason, list(failed))
        bisect = self.config.bisect_batch_on_function_error
        if reason == "partial_response":
            # Checkpoint at the lowest failed sequence number; retry from there on.
            lowest = min(failed, key=int)
            keep = [r for r in batch if int(self._sequence(r)) >= int(lowest)]
            done = len(batch) - len(keep)
            lane.pending[0] = keep
            self._checkpoint(lane)
            batch = keep
            if bisect and done:
                # With bisecting on, the batch is split at the returned sequence
                # number and only the rest is retried: a bisect, so no attempt
                # is spent (and the rest is not halved).
                self._record_bisect(lane, done, len(keep), self._sequence(keep[0]))
                self.world.engine.soon(lambda _: self._poll(lane), None)
                return
        elif bisect and len(batch) > 1:
            half = len(batch) // 2
            lane.pending[0:1] = [batch[:half], batch[half:]]
            self._record_bisect(lane, half, len(batch) - half)
            self.world.engine.soon(lambda _: self._poll(lane), None)
            return
        lane.attempts += 1
        retries = self.config.maximum_retry_attempts
        if retries != -1 and lane.attempts > retries:
            self._give_up(lane, batch, "RetryAttemptsExhausted", function_error)
            lane.pending.pop(0)
            self._after_batch(lane, batch[-1].position + 1)
            return
        self._retry_later(lane)

    def _retry_later(self, lane: _Lane) -> None:
        lane.failures += 1
        # The exponent is capped too: 2.0 ** 1024 overflows long before a record
        # expires (a day of retries every 60 s is 1,440 of them).
        delay = min(RETRY_BACKOFF_FIRST * 2.0 ** min(lane.failures - 1, 16), RETRY_BACKOFF_MAX)
        lane.in_flight = True  # the lane stays blocked while it waits
        self.world.engine.schedule(delay, self._retry, lane)

    def _retry(self, lane: _Lane) -> None:
        lane.in_flight = False
        if not self.enabled:
            return  # disabled meanwhile: the batch waits in ``pending`` for a re-enable
        if lane.closing:
            self._invoke_final(lane)
            return
        batch = lane.pending[0]
        live = lane.shard.trim_horizon()
        kept = [r for r in batch if r.position >= live]  # the stream may have expired some
        if not kept:
            lane.pending.pop(0)
            self._after_batch(lane, batch[-1].position + 1)
            return
        lane.pending[0] = kept
        self._invoke(lane, kept, "retry")

    def _done_with(self, lane: _Lane, position: int) -> None:
        if lane.pending:
            lane.pending.pop(0)
        lane.attempts = 0
        lane.failures = 0
        self._after_batch(lane, position)

    def _after_batch(self, lane: _Lane, position: int) -> None:
        if not lane.pending:
            lane.position = max(lane.position, position)
            self._checkpoint(lane)
        self._poll(lane)
        self._checkpoint(lane, moved_only=True)  # as in _woken

    # -- tumbling windows ----------------------------------------------------------------
    def _window_fields(self, lane: _Lane, final: bool) -> dict[str, Any]:
        return lane.window.event_fields(  # type: ignore[union-attr]
            lane.shard.id, self.source.arn, self.world.clock.iso_seconds, final
        )

    def _window_over(self, lane: _Lane, batch: list[Any]) -> bool:
        """Start the window's final invocation if it is over; else maybe set a timer."""
        window = lane.window
        assert window is not None
        now = self.world.engine.now
        if batch:
            length = self.config.tumbling_window_in_seconds
            over = window_start(batch[0].arrival, length, self.world.clock.epoch_seconds) != (
                window.start
            )
        else:
            over = now >= window.end
            if not over and not lane.timer:
                lane.timer = True  # look again when the window ends
                self.world.engine.schedule(window.end - now, self._window_timer, lane)
        if over:
            lane.closing = True
            self._invoke_final(lane)
        return over

    def _window_timer(self, lane: _Lane) -> None:
        lane.timer = False
        self._poll(lane)

    def _invoke_final(self, lane: _Lane) -> None:
        world = self.world
        request_id = world.service.new_request_id()
        lane.in_flight = True
        self._record_batch(lane, request_id, "window_end", [])
        event = {"Records": [], **self._window_fields(lane, final=True)}
        self._send(event, request_id, lambda r: self._final_answered(lane, request_id, r))

    def _final_answered(
        self, lane: _Lane, request_id: str, response: InvocationResponse | None
    ) -> None:
        lane.in_flight = False
        window = lane.window
        assert window is not None
        if response is None:
            self._record_failed(request_id, "throttle", [])
            self._retry_later(lane)
            return
        if response.function_error is None and read_state(response.payload) is not MISSING:
            self.last_processing_result = "OK"
            self._close_window(lane, "terminated_early" if window.terminated_early else "closed")
            return
        reason = "function_error" if response.function_error is not None else "missing_state"
        self._record_failed(request_id, reason, [])
        window.attempts += 1
        config = self.config
        retries = config.maximum_retry_attempts
        age = self.world.engine.now - window.end
        if (
            (retries != -1 and window.attempts > retries)
            or (
                config.maximum_record_age_in_seconds != -1
                and age > config.maximum_record_age_in_seconds
            )
            or age >= lane.shard.retention_seconds
        ):
            self._close_window(lane, "given_up")
            return
        self._retry_later(lane)

    def _close_window(self, lane: _Lane, outcome: str) -> None:
        window = lane.window
        assert window is not None
        world = self.world
        world.trace.append(
            {
                "t": world.engine.now,
                "kind": "window_closed",
                "mapping": self.uuid,
                "function": self.function.name,
                "shard": lane.shard.id,
                "window_start": window.start,
                "window_end": window.end,
                "outcome": outcome,
            }
        )
        # Terminated early (or with a retry still owed), the same window goes on
        # with a fresh state.  A retry still owed keeps its batch's attempts and
        # backoff: resetting them here would let a batch that keeps ending its
        # window early be retried for ever.  (The next batch cut counts its
        # attempts afresh; its backoff starts afresh here.)
        lane.window = None
        if outcome == "terminated_early" or lane.pending:
            lane.window = TumblingWindow(window.start, self.config.tumbling_window_in_seconds)
        lane.closing = False
        if not lane.pending:
            lane.failures = 0
        self._poll(lane)

    # -- giving up ---------------------------------------------------------------------
    def _give_up(
        self, lane: _Lane, batch: list[Any], condition: str, function_error: str | None
    ) -> None:
        world = self.world
        target = self.config.on_failure
        record: dict[str, Any] = {
            "requestContext": {
                "requestId": world.new_id(),
                "functionArn": self.function.arn,
                "condition": condition,
                "approximateInvokeCount": lane.attempts,
            },
        }
        if condition != "RecordAgeExceeded":
            record["responseContext"] = {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": function_error,
            }
        record["version"] = "1.0"
        record["timestamp"] = world.iso(world.engine.now)
        record[BATCH_INFO_KEY[self.source_kind]] = self._batch_info(lane, batch)
        problem = None
        if target is not None:
            if target.kind == "s3":  # S3 also gets the whole event (fact sheet 3.3)
                record["payload"] = dumps(self._event(batch))
            problem = deliver_record(
                target,
                record,
                False,
                self.function,
                world.events.submit,
                s3_prefix=f"aws/lambda/{self.uuid}/{lane.shard.id}",
            )
        world.trace.append(
            {
                "t": world.engine.now,
                "kind": "stream_batch_discarded",
                "mapping": self.uuid,
                "function": self.function.name,
                "shard": lane.shard.id,
                "condition": condition,
                "size": len(batch),
                "first_sequence_number": self._sequence(batch[0]),
                "last_sequence_number": self._sequence(batch[-1]),
                "target": target.arn if target is not None else None,
                "delivery_error": problem,
            }
        )
        lane.attempts = 0
        lane.failures = 0

    def _batch_info(self, lane: _Lane, batch: list[Any]) -> dict[str, Any]:
        return self.source.batch_info(lane.shard.id, batch)

    # -- records -----------------------------------------------------------------------
    def _record_batch(self, lane: _Lane, request_id: str, trigger: str, batch: list[Any]) -> None:
        now = self.world.engine.now
        record: dict[str, Any] = {
            "t": now,
            "kind": "batch",
            "mapping": self.uuid,
            "function": self.function.name,
            "request_id": request_id,
            "source": self.source.name,
            "size": len(batch),
            "bytes": sum(r.size for r in batch),
            "trigger": trigger,
            "shard": lane.shard.id,
        }
        if batch:
            record["first_sequence_number"] = self._sequence(batch[0])
            record["last_sequence_number"] = self._sequence(batch[-1])
            record["iterator_age"] = now - batch[-1].arrival
            record.update(self._lag(lane, batch))
        if self.config.parallelization_factor > 1:
            record["lane"] = lane.index
        window = lane.window
        if window is not None:
            record["window_start"] = window.start
            record["window_end"] = window.end
            record["final"] = not batch
        self.world.trace.append(record)

    def _checkpoint(self, lane: _Lane, moved_only: bool = False) -> None:
        """The shard's checkpoint: the lowest position any of its lanes still has to do.

        ``moved_only``: record it only if it moved since the last one (with
        lanes, one lane reading past others' records moves it too).
        """
        shard_id = lane.shard.id
        position = min(other.todo() for other in self._lanes_of[shard_id])
        if moved_only and self._checkpoints.get(shard_id, -1) >= position:
            return
        self._checkpoints[shard_id] = position
        self.world.trace.append(
            {
                "t": self.world.engine.now,
                "kind": "checkpoint",
                "mapping": self.uuid,
                "shard": lane.shard.id,
                "position": position,
            }
        )

    def _record_bisect(
        self, lane: _Lane, first: int, second: int, at_sequence_number: str | None = None
    ) -> None:
        record: dict[str, Any] = {
            "t": self.world.engine.now,
            "kind": "batch_bisected",
            "mapping": self.uuid,
            "shard": lane.shard.id,
            "sizes": [first, second],
        }
        if at_sequence_number is not None:
            record["at_sequence_number"] = at_sequence_number
        self.world.trace.append(record)


class KafkaMapping(StreamMapping):
    """An event source mapping on one topic of a Kafka cluster (MSK or self-managed).

    Partitions are its shards and offsets its sequence numbers; the event
    groups records by ``topic-partition`` (fact sheet 3.4).  The batching
    window defaults to 500 ms.  A batch given up goes to an SQS, SNS or S3
    on-failure destination as a ``KafkaBatchInfo`` record (``batchSize``,
    ``eventSourceArn``, ``bootstrapServers``, ``payloadSize``, and
    ``recordsInfo`` by ``topic-partition``, as AWS's MSK guide shows); a
    Kafka topic as the destination (``kafka://``) is not simulated.
    """

    transition_reason = "USER_INITIATED"

    def _shards_of(self, source: Any) -> list[Any]:
        return source.partitions(self.config.topics[0])

    def _sequence(self, record: Any) -> str:
        return str(record.position)

    def _event(self, batch: list[Any]) -> dict[str, Any]:
        return self.source.event(batch)

    def _lag(self, lane: _Lane, batch: list[Any]) -> dict[str, Any]:
        # OffsetLag: records in the partition after this batch's last one.
        return {"offset_lag": lane.shard.next_position - batch[-1].position - 1}

    def _filter_view(self, record: Any) -> Any:
        # Kafka filters match the decoded ``value`` (and ``key``) of a record.
        event = self.source.event_record(record)
        event["value"] = decode(record.data.decode("utf-8", "replace"))
        return event

    def _batch_info(self, lane: _Lane, batch: list[Any]) -> dict[str, Any]:
        first, last = batch[0], batch[-1]
        iso = self.world.iso
        return {
            "batchSize": len(batch),
            "eventSourceArn": self.source.arn,
            "bootstrapServers": self.source.bootstrap_servers,
            "payloadSize": len(dumps(self._event(batch)).encode("utf-8")),
            "recordsInfo": {
                lane.shard.id: {
                    "firstRecordOffset": str(first.position),
                    "lastRecordOffset": str(last.position),
                    "firstRecordTimestamp": iso(first.arrival),
                    "lastRecordTimestamp": iso(last.arrival),
                }
            },
        }

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["Topics"] = list(self.config.topics or [])
        for key in (
            "ParallelizationFactor",
            "BisectBatchOnFunctionError",
            "TumblingWindowInSeconds",
        ):
            out.pop(key, None)
        return out
