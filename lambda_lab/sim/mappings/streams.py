"""The stream poller: Kinesis and DynamoDB Streams, one batch per shard at a time.

How a shard is read (fact sheet 3.3, 7.5):

* Each shard has a position (from ``starting_position``) and at most one
  batch in flight, so records are delivered in order and an error **blocks
  the shard**: nothing after a failing batch is read until it succeeds or
  is given up.
* A batch holds up to ``BatchSize`` records of one shard (6 MB at most);
  with a batching window the poller waits that long for more before it
  invokes.  Records matching no filter are skipped.
* A function error retries the batch (``maximum_retry_attempts``, -1 for
  ever) while its records are younger than ``maximum_record_age_in_seconds``
  (-1 for ever) and still in the stream.  Each retry waits 1 s, doubling up
  to 60 s: AWS documents no delay, and without one a handler of zero
  duration would spin at one instant (our choice).
* ``bisect_batch_on_function_error`` splits a failing batch in two and
  tries the halves in order, without spending attempts.
* With ``ReportBatchItemFailures``, the lowest reported sequence number is
  the checkpoint: records before it are done, the batch is retried from it.
  An invalid response fails the whole batch (``functionError`` null).
* Throttles are retried without counting as attempts.
* A batch given up goes, as metadata only (``KinesisBatchInfo`` /
  ``DDBStreamBatchInfo``), to the on-failure destination, and the shard
  moves on.  Records already older than the maximum age are dropped before
  an invocation and reported alone.
* ``parallelization_factor`` above 1 and tumbling windows are not simulated
  yet; the rules refuse them rather than pretend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..fastjson import dumps
from ..invoke.destinations import deliver_record
from ..invoke.sync import request_response
from ..resources.base import decode
from .base import INVALID, Mapping, MappingConfig, batch_item_failures

if TYPE_CHECKING:
    from ..compute.functions import Function
    from ..invoke.sync import InvocationResponse
    from ..world import World

__all__ = ["RETRY_BACKOFF_FIRST", "RETRY_BACKOFF_MAX", "KafkaMapping", "StreamMapping"]

MAX_BATCH_BYTES = 6 * 1024 * 1024
RETRY_BACKOFF_FIRST = 1.0
RETRY_BACKOFF_MAX = 60.0
#: ``BatchInfo`` key of the on-failure record, per source kind.
BATCH_INFO_KEY = {"kinesis": "KinesisBatchInfo", "dynamodb-stream": "DDBStreamBatchInfo"}


class _ShardState:
    """Where one shard is, and the batch it is working on."""

    __slots__ = ("attempts", "failures", "in_flight", "pending", "position", "shard", "waiting")

    def __init__(self, shard: Any, position: int) -> None:
        self.shard = shard
        self.position = position
        self.in_flight = False
        self.waiting = False
        #: Batches still to try before reading on: a retry, or the halves of a bisect.
        self.pending: list[list[Any]] = []
        self.attempts = 0
        self.failures = 0


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
        self.shards = [_ShardState(s, self._start_position(s)) for s in self._shards_of(source)]
        self.last_processing_result = "No records processed"

    # -- what differs per source (Kafka overrides these) -----------------------------
    def _shards_of(self, source: Any) -> list[Any]:
        return list(source.shards)

    def _sequence(self, record: Any) -> str:
        """The record's id in partial batch responses and batch records."""
        return record.sequence_number

    def _event(self, batch: list[Any]) -> dict[str, Any]:
        return {"Records": [self.source.event_record(r) for r in batch]}

    def _lag(self, state: _ShardState, batch: list[Any]) -> dict[str, Any]:
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
        for state in self.shards:
            self._poll(state)

    def stop(self) -> None:
        return  # in-flight batches finish; _poll reads nothing while disabled

    def _poll(self, state: _ShardState) -> None:
        if not self.enabled or state.in_flight:
            return
        if state.pending:
            self._invoke(state, state.pending[0], "retry")
            return
        batch = self._read(state)
        if not batch:
            if not state.waiting:
                state.waiting = True
                state.shard.wait(lambda _: self._woken(state))
            return
        window = self.config.maximum_batching_window_in_seconds
        if window and len(batch) < self.config.batch_size:
            # Wait out the window for more records, then cut the batch.
            state.in_flight = True
            self.world.engine.schedule(window, self._window_ends, state)
            return
        self._cut(state, batch, "batch_size" if len(batch) >= self.config.batch_size else "drained")

    def _woken(self, state: _ShardState) -> None:
        state.waiting = False
        self._poll(state)

    def _window_ends(self, state: _ShardState) -> None:
        state.in_flight = False
        batch = self._read(state)
        if batch:
            full = len(batch) >= self.config.batch_size
            self._cut(state, batch, "batch_size" if full else "window")
        else:
            self._poll(state)

    def _read(self, state: _ShardState) -> list[Any]:
        """Records from the shard's position: filtered ones skipped, at most 6 MB."""
        limit = self.config.batch_size
        records = state.shard.records_from(state.position, limit)
        if records and records[0].position > state.position:
            state.position = records[0].position  # the ones before expired
        out, size = [], 0
        matcher = self.matcher
        for record in records:
            if size + record.size > MAX_BATCH_BYTES:
                break
            if matcher is not None and not matcher.matches(self._filter_view(record)):
                if not out:  # skipped for good: the iterator moves past it
                    state.position = record.position + 1
                continue  # later ones are skipped again when read again
            out.append(record)
            size += record.size
        return out

    def _filter_view(self, record: Any) -> Any:
        # Kinesis filters match the decoded JSON of ``data`` (7.5); DynamoDB ones
        # the record as sent, under ``dynamodb``.
        event = self.source.event_record(record)
        if self.source_kind == "kinesis":
            event["data"] = decode(record.data.decode("utf-8", "replace"))
        return event

    def _cut(self, state: _ShardState, batch: list[Any], trigger: str) -> None:
        state.pending = [batch]
        state.attempts = 0
        self._invoke(state, batch, trigger)

    # -- invoking --------------------------------------------------------------------
    def _invoke(self, state: _ShardState, batch: list[Any], trigger: str) -> None:
        world = self.world
        now = world.engine.now
        config = self.config
        if config.maximum_record_age_in_seconds != -1:
            old = [r for r in batch if now - r.arrival > config.maximum_record_age_in_seconds]
            for record in old:  # dropped before the invocation, each reported alone
                self._give_up(state, [record], "RecordAgeExceeded", None)
            batch = [r for r in batch if r not in old]
            state.pending[0] = batch
            if not batch:
                self._done_with(state, old[-1].position + 1 if old else state.position)
                return
        body = dumps(self._event(batch))
        request_id = world.service.new_request_id()
        state.in_flight = True
        world.trace.append(
            {
                "t": now,
                "kind": "batch",
                "mapping": self.uuid,
                "function": self.function.name,
                "request_id": request_id,
                "source": self.source.name,
                "size": len(batch),
                "bytes": sum(r.size for r in batch),
                "trigger": trigger,
                "shard": state.shard.id,
                "first_sequence_number": self._sequence(batch[0]),
                "last_sequence_number": self._sequence(batch[-1]),
                "iterator_age": now - batch[-1].arrival,
                **self._lag(state, batch),
            }
        )

        def answered(response: InvocationResponse | None, reason: str | None, _: Any) -> None:
            self._answered(state, batch, request_id, response)

        request_response(
            world.service,
            self.function,
            body,
            answered,
            source=self.uuid,
            request_id=request_id,
        )

    def _answered(
        self,
        state: _ShardState,
        batch: list[Any],
        request_id: str,
        response: InvocationResponse | None,
    ) -> None:
        state.in_flight = False
        ids = [self._sequence(r) for r in batch]
        if response is None:  # throttled: again after a backoff, no attempt spent
            self._record_failed(request_id, "throttle", ids)
            self._retry_later(state)
            return
        function_error = response.function_error
        failed: Any = ids if function_error is not None else []
        reason = "function_error"
        if function_error is None and self.config.report_batch_item_failures:
            failed = batch_item_failures(response.payload, set(ids))
            reason = "partial_response"
            if failed is INVALID:
                failed, reason = ids, "invalid_partial_response"
        if not failed:
            self.last_processing_result = "OK"
            self._done_with(state, batch[-1].position + 1)
            return
        self._record_failed(request_id, reason, list(failed))
        if reason == "partial_response":
            # Checkpoint at the lowest failed sequence number; retry from there on.
            lowest = min(failed, key=int)
            keep = [r for r in batch if int(self._sequence(r)) >= int(lowest)]
            self._checkpoint(state, keep[0].position)
            state.pending[0] = keep
            batch = keep
        if self.config.bisect_batch_on_function_error and len(batch) > 1:
            half = len(batch) // 2
            state.pending[0:1] = [batch[:half], batch[half:]]
            self._record_bisect(state, half, len(batch) - half)
            self.world.engine.soon(lambda _: self._poll(state), None)
            return
        state.attempts += 1
        retries = self.config.maximum_retry_attempts
        if retries != -1 and state.attempts > retries:
            self._give_up(state, batch, "RetryAttemptsExhausted", function_error)
            state.pending.pop(0)
            self._after_batch(state, batch[-1].position + 1)
            return
        self._retry_later(state)

    def _retry_later(self, state: _ShardState) -> None:
        state.failures += 1
        delay = min(RETRY_BACKOFF_FIRST * 2.0 ** (state.failures - 1), RETRY_BACKOFF_MAX)
        state.in_flight = True  # the shard stays blocked while it waits
        self.world.engine.schedule(delay, self._retry, state)

    def _retry(self, state: _ShardState) -> None:
        state.in_flight = False
        if not self.enabled:
            return  # disabled meanwhile: the batch waits in ``pending`` for a re-enable
        batch = state.pending[0]
        live = state.shard.trim_horizon()
        kept = [r for r in batch if r.position >= live]  # the stream may have expired some
        if not kept:
            state.pending.pop(0)
            self._after_batch(state, batch[-1].position + 1)
            return
        state.pending[0] = kept
        self._invoke(state, kept, "retry")

    def _done_with(self, state: _ShardState, position: int) -> None:
        if state.pending:
            state.pending.pop(0)
        state.attempts = 0
        state.failures = 0
        self._after_batch(state, position)

    def _after_batch(self, state: _ShardState, position: int) -> None:
        if not state.pending:
            state.position = max(state.position, position)
            self._checkpoint(state, state.position)
        self._poll(state)

    # -- giving up ---------------------------------------------------------------------
    def _give_up(
        self, state: _ShardState, batch: list[Any], condition: str, function_error: str | None
    ) -> None:
        world = self.world
        target = self.config.on_failure
        record: dict[str, Any] = {
            "requestContext": {
                "requestId": world.new_id(),
                "functionArn": self.function.arn,
                "condition": condition,
                "approximateInvokeCount": state.attempts,
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
        record[BATCH_INFO_KEY[self.source_kind]] = self._batch_info(state, batch)
        problem = None
        if target is not None:
            problem = deliver_record(target, record, False, self.function, world.events.submit)
        world.trace.append(
            {
                "t": world.engine.now,
                "kind": "stream_batch_discarded",
                "mapping": self.uuid,
                "function": self.function.name,
                "shard": state.shard.id,
                "condition": condition,
                "size": len(batch),
                "first_sequence_number": self._sequence(batch[0]),
                "last_sequence_number": self._sequence(batch[-1]),
                "target": target.arn if target is not None else None,
                "delivery_error": problem,
            }
        )
        state.attempts = 0
        state.failures = 0

    def _batch_info(self, state: _ShardState, batch: list[Any]) -> dict[str, Any]:
        return self.source.batch_info(state.shard.id, batch)

    # -- records -----------------------------------------------------------------------
    def _checkpoint(self, state: _ShardState, position: int) -> None:
        self.world.trace.append(
            {
                "t": self.world.engine.now,
                "kind": "checkpoint",
                "mapping": self.uuid,
                "shard": state.shard.id,
                "position": position,
            }
        )

    def _record_bisect(self, state: _ShardState, first: int, second: int) -> None:
        self.world.trace.append(
            {
                "t": self.world.engine.now,
                "kind": "batch_bisected",
                "mapping": self.uuid,
                "shard": state.shard.id,
                "sizes": [first, second],
            }
        )


class KafkaMapping(StreamMapping):
    """An event source mapping on one topic of a Kafka cluster (MSK or self-managed).

    Partitions are its shards and offsets its sequence numbers; the event
    groups records by ``topic-partition`` (fact sheet 3.4).  The batching
    window defaults to 500 ms.  On-failure destinations are not simulated
    for Kafka yet (AWS documents no record shape in the sheet); the rules
    refuse them.
    """

    transition_reason = "USER_INITIATED"

    def _shards_of(self, source: Any) -> list[Any]:
        return source.partitions(self.config.topics[0])

    def _sequence(self, record: Any) -> str:
        return str(record.position)

    def _event(self, batch: list[Any]) -> dict[str, Any]:
        return self.source.event(batch)

    def _lag(self, state: _ShardState, batch: list[Any]) -> dict[str, Any]:
        # OffsetLag: records in the partition after this batch's last one.
        return {"offset_lag": state.shard.next_position - batch[-1].position - 1}

    def _filter_view(self, record: Any) -> Any:
        # Kafka filters match the decoded ``value`` (and ``key``) of a record.
        event = self.source.event_record(record)
        event["value"] = decode(record.data.decode("utf-8", "replace"))
        return event

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
