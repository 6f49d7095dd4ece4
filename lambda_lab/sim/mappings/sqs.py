"""The SQS poller: batches from a queue, invoked synchronously, deleted on success.

How a batch lives (fact sheet 3.2, 7.4):

* The poller receives up to ``BatchSize`` messages, at most 6 MB of bodies;
  they are hidden for the queue's visibility timeout.  With a batching
  window the batch stays open until it is full, 6 MB, or the window ends.
  The window opens at the first message received after the previous
  invocation completed (an empty queue opens no window, so an idle mapping
  schedules nothing).
* Messages that match no filter are deleted before batching.
* The batch goes through the synchronous path: concurrency, cold starts and
  throttles apply.  A throttled batch is invoked again after a backoff
  (1 s, doubling), without counting as a receive, while its messages are
  still hidden; then they simply reappear.
* Success deletes every message.  A function error or timeout deletes
  none: every message reappears after the visibility timeout, its receive
  count raised at the next receive, and after ``maxReceiveCount`` receives
  the queue redrives it to its dead-letter queue.  With
  ``ReportBatchItemFailures`` only the listed messages stay; an invalid
  response fails the whole batch.
* Scaling: 5 batches in flight at first; while messages wait and every
  slot is busy, 300 more per minute, up to 1,250 or ``MaximumConcurrency``.
  A function error (without partial responses) or a throttle lowers it by
  one, never below 5 (our reading of "gradually"; AWS gives no rate).  When
  the queue is empty at a minute's check it falls back to 5.
* FIFO: a group with a message in flight gives nothing, so order holds per
  group and concurrency is bounded by the active groups.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import TYPE_CHECKING, Any

from ..invoke.sync import request_response
from ..resources.base import decode
from ..resources.sqs import Message, Queue
from .base import INVALID, Mapping, MappingConfig, batch_item_failures

if TYPE_CHECKING:
    from ..compute.functions import Function
    from ..invoke.sync import InvocationResponse
    from ..world import World

__all__ = [
    "MAX_BATCH_BYTES",
    "SCALE_INTERVAL",
    "SCALE_STEP",
    "START_CONCURRENCY",
    "SqsMapping",
    "md5_of_message_attributes",
    "sqs_record",
]

#: A batch's payload never passes 6 MB (fact sheet 3.1).
MAX_BATCH_BYTES = 6 * 1024 * 1024
START_CONCURRENCY = 5
SCALE_STEP = 300
SCALE_INTERVAL = 60.0
THROTTLE_BACKOFF_FIRST = 1.0


def md5_of_message_attributes(attributes: dict[str, dict[str, Any]]) -> str | None:
    """SQS's MD5 of message attributes (names sorted; lengths big-endian), or None."""
    if not attributes:
        return None
    digest = hashlib.md5()

    def put(data: bytes) -> None:
        digest.update(struct.pack(">I", len(data)) + data)

    for name in sorted(attributes):
        value = attributes[name]
        data_type = value.get("DataType", "String")
        put(name.encode("utf-8"))
        put(data_type.encode("utf-8"))
        if "BinaryValue" in value:
            digest.update(b"\x02")
            binary = value["BinaryValue"]
            put(binary if isinstance(binary, bytes) else str(binary).encode("utf-8"))
        else:
            digest.update(b"\x01")
            put(str(value.get("StringValue", "")).encode("utf-8"))
    return digest.hexdigest()


def _record_attributes(attributes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for name, value in attributes.items():
        entry: dict[str, Any] = {}
        if "BinaryValue" in value:
            binary = value["BinaryValue"]
            # The event is JSON: binary values travel base64-encoded, as AWS sends them.
            entry["binaryValue"] = (
                base64.b64encode(binary).decode("ascii") if isinstance(binary, bytes) else binary
            )
        else:
            entry["stringValue"] = value.get("StringValue")
        entry["stringListValues"] = []
        entry["binaryListValues"] = []
        entry["dataType"] = value.get("DataType", "String")
        out[name] = entry
    return out


def sqs_record(message: Message, queue: Queue, region: str) -> dict[str, Any]:
    """The event record of one message, in the key order AWS sends (fact sheet 7.4)."""
    attributes = message.message_attributes
    if not attributes:  # the common case, in one literal
        return {
            "messageId": message.message_id,
            "receiptHandle": message.receipt_handle,
            "body": message.body,
            "attributes": message.attributes,
            "messageAttributes": {},
            "md5OfBody": message.md5_of_body,
            "eventSource": "aws:sqs",
            "eventSourceARN": queue.arn,
            "awsRegion": region,
        }
    return {
        "messageId": message.message_id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": message.attributes,
        "messageAttributes": _record_attributes(attributes),
        "md5OfMessageAttributes": md5_of_message_attributes(attributes),
        "md5OfBody": message.md5_of_body,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.arn,
        "awsRegion": region,
    }


class _Batch:
    """Messages received together, with the receipt handles they were received with."""

    __slots__ = ("bytes", "handles", "messages", "opened_at", "throttles", "trigger")

    def __init__(self, now: float) -> None:
        self.messages: list[Message] = []
        self.handles: list[str] = []
        self.bytes = 0
        self.opened_at = now
        self.throttles = 0
        self.trigger = "drained"

    def add(self, messages: list[Message]) -> None:
        for message in messages:
            self.messages.append(message)
            self.handles.append(message.receipt_handle or "")
            self.bytes += message.size


class SqsMapping(Mapping):
    """An event source mapping on an SQS queue: see the module docstring."""

    source_kind = "sqs"
    transition_reason = "USER_INITIATED"

    def __init__(
        self,
        world: World,
        uuid: str,
        function: Function,
        source: Queue,
        config: MappingConfig,
        matcher: Any,
        enabled: bool,
    ) -> None:
        super().__init__(world, uuid, function, source, config, matcher, enabled)
        self.queue = source
        self.in_flight = 0
        self.concurrency = self._cap(START_CONCURRENCY)
        self._open: _Batch | None = None
        self._waiting = False
        self._scale_pending = False
        self._woken_cb = self._woken
        self.batches = 0

    def _cap(self, value: int) -> int:
        cap = self.config.maximum_concurrency or 1250
        return max(1, min(value, cap))

    # -- polling -------------------------------------------------------------------
    def start(self) -> None:
        self._pump()

    def stop(self) -> None:
        # In-flight batches finish; an open window is invoked at its end as usual
        # (its messages were received), and nothing new is received.
        return

    def _receive(self, limit: int, max_bytes: int) -> list[Message]:
        matcher = self.matcher
        filtered: list[str] = []
        keep = None
        if matcher is not None:

            def keep(message: Message) -> bool:
                if matcher.matches(self._filter_view(message)):
                    return True
                filtered.append(message.message_id)
                return False

        messages = self.queue.receive(limit, max_bytes=max_bytes, keep=keep)
        if filtered:
            self._record_deleted(filtered, "filtered")
        return messages

    def _filter_view(self, message: Message) -> dict[str, Any]:
        # Filters see the record with a JSON body decoded: a plain-string body is
        # matched as a string, so a pattern on body fields never matches it.  The
        # queue asks before it marks the message received, so the attributes are
        # those of the receive under way: the values the handler would get.
        attributes = message.attributes
        attributes["ApproximateReceiveCount"] = str(message.receive_count + 1)
        if not attributes["ApproximateFirstReceiveTimestamp"]:
            now = self.world.engine.now
            attributes["ApproximateFirstReceiveTimestamp"] = str(self.world.unix_millis(now))
        return {
            "body": decode(message.body),
            "attributes": attributes,
            "messageAttributes": _record_attributes(message.message_attributes),
        }

    def _woken(self, _: Any) -> None:
        self._waiting = False
        self._pump()

    def _pump(self, _: Any = None) -> None:
        """Receive and invoke while slots are free (and wait when the queue is empty)."""
        config = self.config
        while self.enabled and self.in_flight < self.concurrency:
            batch = self._open
            if batch is None:
                batch = _Batch(self.world.engine.now)
            room = config.batch_size - len(batch.messages)
            messages = self._receive(room, MAX_BATCH_BYTES - batch.bytes)
            batch.add(messages)
            if not batch.messages:
                self._wait()
                return
            full = len(batch.messages) >= config.batch_size
            limit_hit = not full and self.queue.stopped_at_bytes
            window = config.maximum_batching_window_in_seconds
            if full or limit_hit or window == 0:
                batch.trigger = "batch_size" if full else (
                    "payload_limit" if limit_hit else "drained"
                )  # fmt: skip
                self._open = None
                self._invoke(batch)
                continue
            # An open window: more messages may join until it ends.
            if self._open is None:
                self._open = batch
                self.world.engine.schedule(window, self._window_ends, batch)
            self._wait()
            return
        self._arm_scaling()

    def _wait(self) -> None:
        if not self._waiting:
            self._waiting = True
            self.queue.wait(self._woken_cb)

    def _window_ends(self, batch: _Batch) -> None:
        if self._open is not batch:
            return
        self._open = None
        batch.trigger = "window"
        self._invoke(batch)
        self._pump()

    # -- invoking --------------------------------------------------------------------
    def _invoke(self, batch: _Batch) -> None:
        world = self.world
        now = world.engine.now
        region = world.region
        queue = self.queue
        # Built afresh for this invocation (no dict shared with the queue), so it is
        # handed to the handler as is: no encoding to JSON only to decode it again.
        event = {"Records": [sqs_record(m, queue, region) for m in batch.messages]}
        request_id = world.service.new_request_id()
        self.in_flight += 1
        self.batches += 1
        world.trace.append(
            {
                "t": now,
                "kind": "batch",
                "mapping": self.uuid,
                "function": self.function.name,
                "request_id": request_id,
                "source": queue.name,
                "size": len(batch.messages),
                "bytes": batch.bytes,
                "trigger": batch.trigger,
                "message_ids": [m.message_id for m in batch.messages],
                # the queue's depth as this batch leaves: the series of its metrics
                "queue_visible": queue.counts["visible"],
                "queue_in_flight": queue.counts["in flight"],
            }
        )

        def answered(response: InvocationResponse | None, reason: str | None, _: Any) -> None:
            self._answered(batch, request_id, response)

        request_response(
            world.service,
            self.function,
            None,
            answered,
            source=self.uuid,
            request_id=request_id,
            event=event,
        )

    def _answered(
        self,
        batch: _Batch,
        request_id: str,
        response: InvocationResponse | None,
    ) -> None:
        self.in_flight -= 1
        ids = [m.message_id for m in batch.messages]
        if response is None:  # throttled (or a service error): the batch never ran
            self._throttled(batch, request_id, ids)
            return
        failed: list[str] | object
        if response.function_error is not None:
            failed, why = ids, "function_error"
            if not self.config.report_batch_item_failures:
                self._back_off()  # with partial responses on, AWS does not scale down
        elif self.config.report_batch_item_failures:
            failed = batch_item_failures(response.payload, set(ids))
            if failed is INVALID:
                failed, why = ids, "invalid_partial_response"
            else:
                why = "partial_response"
        else:
            failed, why = [], ""
        failed_set = set(failed)  # type: ignore[arg-type]
        deleted = self.queue.delete_received(
            [
                (message, handle)
                for message, handle in zip(batch.messages, batch.handles, strict=True)
                if message.message_id not in failed_set
            ]
        )
        if deleted:
            self._record_deleted(deleted, "processed")
        if failed_set:
            self._record_failed(request_id, why, [i for i in ids if i in failed_set])
        self._pump()

    def _throttled(self, batch: _Batch, request_id: str, ids: list[str]) -> None:
        self._record_failed(request_id, "throttle", ids)
        self._back_off()
        batch.throttles += 1
        delay = THROTTLE_BACKOFF_FIRST * 2.0 ** (batch.throttles - 1)
        now = self.world.engine.now
        # Invoke again while the messages are still hidden; after that they reappear.
        if all(m.visible_at > now + delay and m.receipt_handle == h
               for m, h in zip(batch.messages, batch.handles, strict=True)):  # fmt: skip
            batch.trigger = "retry"
            self.in_flight += 1  # the slot stays taken while the retry waits
            self.world.engine.schedule(delay, self._retry, batch)
        self._pump()

    def _retry(self, batch: _Batch) -> None:
        self.in_flight -= 1
        self._invoke(batch)

    # -- scaling ---------------------------------------------------------------------
    def _back_off(self) -> None:
        lowest = self._cap(START_CONCURRENCY)
        if self.concurrency > lowest:
            self._scale(self.concurrency - 1, "backoff")

    def _arm_scaling(self) -> None:
        # Only while there is a backlog and every slot is busy: an idle mapping
        # keeps nothing scheduled.
        if self._scale_pending or not self.enabled:
            return
        if self.concurrency >= self._cap(1250) or not self.queue.counts["visible"]:
            return
        self._scale_pending = True
        self.world.engine.schedule(SCALE_INTERVAL, self._scale_tick)

    def _scale_tick(self, _: Any) -> None:
        self._scale_pending = False
        if not self.enabled:
            return
        if self.queue.counts["visible"] and self.in_flight >= self.concurrency:
            self._scale(self._cap(self.concurrency + SCALE_STEP), "scale_up")
            self._pump()
        elif not self.queue.counts["visible"]:  # the backlog is gone: low traffic again
            start = self._cap(START_CONCURRENCY)
            if self.concurrency != start:
                self._scale(start, "idle")
        self._arm_scaling()

    def _scale(self, concurrency: int, reason: str) -> None:
        if concurrency == self.concurrency:
            return
        self.concurrency = concurrency
        self.world.trace.append(
            {
                "t": self.world.engine.now,
                "kind": "mapping_scaled",
                "mapping": self.uuid,
                "function": self.function.name,
                "concurrency": concurrency,
                "reason": reason,
            }
        )

    # -- records -----------------------------------------------------------------------
    def _record_deleted(self, ids: list[str], reason: str) -> None:
        self.world.trace.append(
            {
                "t": self.world.engine.now,
                "kind": "messages_deleted",
                "mapping": self.uuid,
                "queue": self.queue.name,
                "message_ids": ids,
                "reason": reason,
            }
        )
