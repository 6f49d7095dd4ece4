"""SQS queues: standard and FIFO, visibility timeouts, delays, retention and redrive.

A queue is a destination, a dead-letter queue and an event source alike.  It
keeps what SQS keeps per message (receive count, receipt handle, first
receive, group and deduplication ids) and answers in boto3's shapes.

How it is built, so a million messages stay cheap:

* every message has one state: ``delayed``, ``visible``, ``in flight`` or
  gone, and the queue counts each state as it changes, so
  ``get_queue_attributes`` costs nothing;
* visible messages of a standard queue wait by their order of sending,
  hidden ones (delayed or in flight) by the time they reappear (the
  messages of one receive share one entry: they reappear together), and every
  message by its expiry (retention is applied when the queue is next read,
  and by :meth:`Queue.sweep` at the end of every ``run()``; each expired
  message is recorded once, with the instant it expired).
  Each is a :class:`~.runheap.RunHeap`: entries mostly come in order, so
  they go on the end of a deque, and only the rest into a heap.  A hidden
  entry carries its messages' ``token`` at the time it was pushed: a later
  receive or a delete changes the token, so stale entries are skipped
  instead of searched for; a visible entry is taken off when its message is
  offered to a receive, so one left behind by a message that left the queue
  is known by the message's state;
* a FIFO queue keeps a deque per message group: a group whose head is in
  flight is blocked, which is SQS's per-group order;

Pollers (event source mappings) wait on a queue with :meth:`Queue.wait`: the
queue calls them back when a message becomes visible, so an idle mapping
schedules nothing and ``lab.run()`` still ends.

Trace records (declared in :mod:`lambda_lab.sim.trace.kinds`):
``message_expired``, ``message_redriven``, ``visibility_expired``.  Sends
are counted (``sent``), not recorded one by one: a million-message workload
would otherwise keep a million records of no interest.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from itertools import count
from typing import TYPE_CHECKING, Any

from ...config import DEFAULT_MESSAGE_RETENTION_PERIOD, DEFAULT_VISIBILITY_TIMEOUT
from ...errors import InvalidParameterValueException, ResourceNotFoundException
from .base import Resource, decode
from .runheap import RunHeap

if TYPE_CHECKING:
    from ..world import World

__all__ = [
    "DEDUPLICATION_INTERVAL",
    "SQS_MAX_BYTES",
    "UNKNOWN_DLQ",
    "Message",
    "Queue",
]

#: Largest SQS message (1 MiB since 2025).
SQS_MAX_BYTES = 1024 * 1024
#: FIFO queues drop a message whose deduplication id was seen this recently.
DEDUPLICATION_INTERVAL = 300.0
#: How a redrive policy whose dead-letter target does not exist is refused, for
#: ``Registry.resolve``: SQS's reason, with the ARN where SQS quotes the policy.
UNKNOWN_DLQ = (
    "Value {arn} for parameter RedrivePolicy is invalid. Reason: Dead letter target does "
    "not exist. ({field} names no queue of this lab)"
)
#: The SenderId an IAM user's sends carry (any fixed id would do).
SENDER_ID = "AIDAIENQZJOLO23YVJ4VO"

_NO_ATTRIBUTES: dict[str, Any] = {}

DELAYED, VISIBLE, IN_FLIGHT, GONE = "delayed", "visible", "in flight", "gone"


def _any_current(entry: tuple[Any, ...]) -> bool:
    """Whether a hidden entry ``(at, seq, messages, tokens)`` still holds a message
    whose token has not moved on (one not received again, and not gone)."""
    return any(message.token == token for message, token in zip(entry[2], entry[3], strict=True))


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class Message:
    """One SQS message, with the attributes an SQS event record carries."""

    __slots__ = (
        "body",
        "deduplication_id",
        "first_received_at",
        "first_received_ms",
        "group_id",
        "md5_of_body",
        "message_attributes",
        "message_id",
        "order",
        "receipt_handle",
        "receive_count",
        "sent_at",
        "sent_ms",
        "sequence_number",
        "size",
        "state",
        "token",
        "visible_at",
    )

    def __init__(self, message_id: str, body: str, attributes: dict, sent_at: float) -> None:
        self.message_id = message_id
        self.body = body
        self.size = len(body) if body.isascii() else len(body.encode("utf-8"))
        self.md5_of_body = _md5(body)
        self.message_attributes = attributes
        self.sent_at = sent_at
        #: ``SentTimestamp`` and ``ApproximateFirstReceiveTimestamp``, epoch-ms strings
        #: (the attributes dict is built when asked for: a million dicts are memory).
        self.sent_ms = ""
        self.first_received_ms = ""
        self.first_received_at: float | None = None
        self.receive_count = 0
        self.visible_at = sent_at
        self.receipt_handle: str | None = None
        self.group_id: str | None = None
        self.deduplication_id: str | None = None
        self.sequence_number: str | None = None
        self.state = VISIBLE
        #: The order of sending, in the world: receives hand out the oldest first.
        self.order = 0
        #: Changes whenever the message is received or leaves: see the module docstring.
        self.token = 0

    @property
    def attributes(self) -> dict[str, str]:
        """SQS's message attributes, in the order a mapping's record carries them."""
        out = {
            "ApproximateReceiveCount": str(self.receive_count),
            "SentTimestamp": self.sent_ms,
            "SenderId": SENDER_ID,
            "ApproximateFirstReceiveTimestamp": self.first_received_ms,
        }
        if self.group_id is not None:
            out["SequenceNumber"] = self.sequence_number
            out["MessageGroupId"] = self.group_id
            out["MessageDeduplicationId"] = self.deduplication_id
        return out

    def to_dict(self) -> dict[str, Any]:
        """The message as ``ReceiveMessage`` returns it (boto3's keys)."""
        out = {
            "MessageId": self.message_id,
            "ReceiptHandle": self.receipt_handle,
            "MD5OfBody": self.md5_of_body,
            "Body": self.body,
            "Attributes": self.attributes,
        }
        if self.message_attributes:
            out["MessageAttributes"] = self.message_attributes
        return out

    def __repr__(self) -> str:
        body = self.body if len(self.body) <= 40 else self.body[:37] + "..."
        return f"<Message {self.message_id[:8]} receive_count={self.receive_count} body={body!r}>"


class Queue(Resource):
    """An SQS queue: see the module docstring."""

    kind = "sqs"
    max_message_bytes = SQS_MAX_BYTES

    def __init__(
        self,
        name: str,
        world: World,
        *,
        visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT,
        message_retention_period: int = DEFAULT_MESSAGE_RETENTION_PERIOD,
        redrive_policy: dict | None = None,
        delay_seconds: int = 0,
        receive_message_wait_time_seconds: int = 0,
        maximum_message_size: int = SQS_MAX_BYTES,
        content_based_deduplication: bool = False,
    ) -> None:
        arn = f"arn:aws:sqs:{world.region}:{world.account_id}:{name}"
        super().__init__(name, arn, world)
        self.fifo = name.endswith(".fifo")
        self.url = f"https://sqs.{world.region}.amazonaws.com/{world.account_id}/{name}"
        self.visibility_timeout = visibility_timeout
        self.message_retention_period = message_retention_period
        self.redrive_policy = redrive_policy
        self.delay_seconds = delay_seconds
        self.receive_message_wait_time_seconds = receive_message_wait_time_seconds
        self.maximum_message_size = maximum_message_size
        self.content_based_deduplication = content_based_deduplication
        self.dead_letter_queue: Queue | None = None
        self.max_receive_count: int | None = None
        self.created_at = world.engine.now
        self._engine = world.engine
        self._rng = world.engine.rng
        self._messages: dict[str, Message] = {}
        self._by_handle: dict[str, Message] = {}
        # (order, message), (reappears at, seq, messages, their tokens) with
        # one entry per receive or delay, and (expires at, order, message): each
        # mostly pushed in order, hence run heaps.
        self._visible = RunHeap()
        self._hidden = RunHeap()
        self._expiry = RunHeap()
        self._groups: dict[str, deque[Message]] = {}
        self._dedup: dict[str, tuple[float, str]] = {}
        self._dedup_order: deque[tuple[float, str]] = deque()
        self._seq = count()
        self._sequence_number = 10**19
        self._waiters: list[Callable[[Any], Any]] = []
        self._wake_at: float | None = None
        self.counts = {DELAYED: 0, VISIBLE: 0, IN_FLIGHT: 0}
        #: Whether the last ``receive`` stopped because the next body passed ``max_bytes``.
        self.stopped_at_bytes = False
        self.sent = 0
        self.deleted = 0
        self.expired = 0
        self.redriven = 0

    # -- sending ---------------------------------------------------------------
    def send_message(
        self,
        message_body: str,
        message_attributes: dict | None = None,
        delay_seconds: int | None = None,
        message_group_id: str | None = None,
        message_deduplication_id: str | None = None,
    ) -> dict[str, str]:
        """Add a message; returns boto3's answer (``MessageId``, ``MD5OfMessageBody``,
        and ``SequenceNumber`` on a FIFO queue)."""
        self._check_send(message_body, delay_seconds, message_group_id, message_deduplication_id)
        return self._send(
            message_body, message_attributes, delay_seconds, message_group_id,
            message_deduplication_id,
        )  # fmt: skip

    def send_message_batch(self, entries: list[dict[str, Any]]) -> dict[str, list]:
        """Send up to 10 entries (boto3's ``Id``, ``MessageBody``, ``DelaySeconds``,
        ``MessageAttributes``, ``MessageGroupId``, ``MessageDeduplicationId``).

        Returns ``{"Successful": [...], "Failed": [...]}``: an entry SQS would
        refuse fails alone, with its ``Code`` and ``Message``, as SQS answers.
        """
        if not isinstance(entries, list) or not 1 <= len(entries) <= 10:
            size = len(entries) if isinstance(entries, list) else entries
            raise InvalidParameterValueException(
                f"entries must be a list of 1 to 10 entries, got {size!r}"
            )
        ids = [entry.get("Id") if isinstance(entry, dict) else None for entry in entries]
        if len(set(ids)) != len(ids) or not all(isinstance(i, str) and i for i in ids):
            raise InvalidParameterValueException(
                f"entries must each have a distinct, non-empty Id, got {ids!r}"
            )
        successful, failed = [], []
        for entry in entries:
            known = {"Id", "MessageBody", "DelaySeconds", "MessageAttributes"}
            known |= {"MessageGroupId", "MessageDeduplicationId"}
            unknown = set(entry) - known
            args = (
                entry.get("MessageBody"),
                entry.get("DelaySeconds"),
                entry.get("MessageGroupId"),
                entry.get("MessageDeduplicationId"),
            )
            try:
                if unknown:
                    raise InvalidParameterValueException(
                        f"entries[{entry['Id']!r}] has unknown keys {sorted(unknown)}"
                    )
                self._check_send(*args)
            except InvalidParameterValueException as exc:
                failed.append(
                    {
                        "Id": entry["Id"],
                        "SenderFault": True,
                        "Code": "InvalidParameterValue",
                        "Message": exc.message,
                    }
                )
                continue
            answer = self._send(args[0], entry.get("MessageAttributes"), *args[1:])
            successful.append({"Id": entry["Id"], **answer})
        return {"Successful": successful, "Failed": failed}

    def _check_send(
        self,
        body: Any,
        delay: Any,
        group_id: Any,
        deduplication_id: Any,
    ) -> None:
        if not isinstance(body, str) or not body:
            raise InvalidParameterValueException(
                f"message_body must be a non-empty string, got {body!r}"
            )
        size = len(body) if body.isascii() else len(body.encode("utf-8"))
        if size > self.maximum_message_size:
            raise InvalidParameterValueException(
                f"One or more parameters are invalid. Reason: Message must be shorter than "
                f"{self.maximum_message_size} bytes. (message_body is {size} bytes)"
            )
        if delay is not None:
            if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= 900:
                raise InvalidParameterValueException(
                    f"delay_seconds must be an integer between 0 and 900, got {delay!r}"
                )
            if self.fifo:
                raise InvalidParameterValueException(
                    "The request include parameter that is not valid for this queue type. "
                    f"(delay_seconds applies to standard queues only, got {delay!r})"
                )
        if not self.fifo:
            if group_id is not None or deduplication_id is not None:
                raise InvalidParameterValueException(
                    "The request include parameter that is not valid for this queue type. "
                    "(message_group_id and message_deduplication_id apply to FIFO queues only)"
                )
            return
        if not isinstance(group_id, str) or not 1 <= len(group_id) <= 128:
            raise InvalidParameterValueException(
                "The request must contain the parameter MessageGroupId. (message_group_id "
                f"must be a string of 1 to 128 characters, got {group_id!r})"
            )
        if deduplication_id is None and not self.content_based_deduplication:
            raise InvalidParameterValueException(
                "The queue should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly"
            )
        if deduplication_id is not None and (
            not isinstance(deduplication_id, str) or not 1 <= len(deduplication_id) <= 128
        ):
            raise InvalidParameterValueException(
                "message_deduplication_id must be a string of 1 to 128 characters, "
                f"got {deduplication_id!r}"
            )

    def _send(
        self,
        body: str,
        message_attributes: dict | None,
        delay: int | None,
        group_id: str | None,
        deduplication_id: str | None,
    ) -> dict[str, str]:
        world = self.world
        now = self._engine.now
        if self.fifo:
            if deduplication_id is None:
                deduplication_id = hashlib.sha256(body.encode("utf-8")).hexdigest()
            seen = self._deduplicated(deduplication_id, now)
            if seen is not None:  # accepted, and not added again: SQS's exactly-once send
                return seen
        # No attributes: one shared empty dict, never written to.
        attributes = dict(message_attributes) if message_attributes else _NO_ATTRIBUTES
        message = Message(world.new_id(), body, attributes, now)
        message.sent_ms = str(world.unix_millis(now))
        answer = {"MessageId": message.message_id, "MD5OfMessageBody": message.md5_of_body}
        if self.fifo:
            self._sequence_number += 1
            message.group_id, message.deduplication_id = group_id, deduplication_id
            message.sequence_number = answer["SequenceNumber"] = f"{self._sequence_number:020d}"
            self._remember(deduplication_id, now, answer)
        message.order = next(self._seq)
        self._messages[message.message_id] = message
        self._expiry.push((now + self.message_retention_period, message.order, message))
        self.sent += 1
        self._enqueue(message, self.delay_seconds if delay is None else delay, now)
        return answer

    def _deduplicated(self, deduplication_id: str, now: float) -> dict[str, str] | None:
        order, seen = self._dedup_order, self._dedup
        while order and order[0][0] <= now:
            _, old = order.popleft()
            if old in seen and seen[old][0] <= now:
                del seen[old]
        entry = seen.get(deduplication_id)
        if entry is None:
            return None
        return dict(entry[1])

    def _remember(self, deduplication_id: str, now: float, answer: dict[str, str]) -> None:
        until = now + DEDUPLICATION_INTERVAL
        self._dedup[deduplication_id] = (until, dict(answer))
        self._dedup_order.append((until, deduplication_id))

    def _enqueue(self, message: Message, delay: float, now: float) -> None:
        """Place a new (or redriven) message: delayed, or visible at once."""
        if self.fifo:
            group = self._groups.get(message.group_id)
            if group is None:
                group = self._groups[message.group_id] = deque()
            group.append(message)
        if delay > 0:
            message.state, message.visible_at = DELAYED, now + delay
            self.counts[DELAYED] += 1
            self._hidden.push((message.visible_at, next(self._seq), (message,), (message.token,)))
            self._schedule_wake()
        else:
            message.state, message.visible_at = VISIBLE, now
            self.counts[VISIBLE] += 1
            if not self.fifo:
                self._visible.push((message.order, message))
            self._notify()

    # -- waiting (pollers) -------------------------------------------------------
    def wait(self, callback: Callable[[Any], Any]) -> None:
        """Call ``callback(self)`` once, soon after a message may have become visible."""
        self._waiters.append(callback)
        self._schedule_wake()

    def _notify(self) -> None:
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            soon = self._engine.soon
            for callback in waiters:
                soon(callback, self)

    def _schedule_wake(self) -> None:
        # One pending wake, at the next instant a hidden message reappears, while
        # anyone waits: an idle queue with no waiters schedules nothing.
        if not self._waiters:
            return
        hidden = self._hidden
        entry = hidden.first()
        while entry is not None and not _any_current(entry):
            hidden.pop()  # stale: its messages were received again, or left
            entry = hidden.first()
        if entry is None:
            return
        at = entry[0]
        if self._wake_at is None or at < self._wake_at:
            self._wake_at = at
            self._engine.at(at, self._wake)

    def _wake(self, _: Any) -> None:
        if self._wake_at is not None and self._wake_at > self._engine.now:
            return  # a later wake superseded by an earlier one already ran
        self._wake_at = None
        self._refresh(self._engine.now)
        if self.counts[VISIBLE]:
            self._notify()
        self._schedule_wake()

    # -- the passing of time -------------------------------------------------------
    def sweep(self, now: float) -> None:
        """Expire what is past retention, and show what is no longer hidden, at ``now``."""
        self._refresh(now)

    def _refresh(self, now: float) -> None:
        """Expire what is past retention, and show what is no longer hidden."""
        pop_due = self._expiry.pop_due
        while (entry := pop_due(now)) is not None:
            at, _, message = entry
            if self._messages.get(message.message_id) is message:  # not deleted or redriven
                self._expire(message, at)
        pop_due = self._hidden.pop_due
        while (entry := pop_due(now)) is not None:
            for message, token in zip(entry[2], entry[3], strict=True):
                if message.token == token:  # else received again, or gone (leaving moves it too)
                    self._reappear(message, now)

    def _reappear(self, message: Message, now: float) -> None:
        if message.state is IN_FLIGHT:
            self.world.trace.append(
                {
                    "t": now,
                    "kind": "visibility_expired",
                    "queue": self.name,
                    "message_id": message.message_id,
                    "receive_count": message.receive_count,
                    "visible_at": message.visible_at,
                }
            )
        counts = self.counts
        counts[message.state] -= 1
        counts[VISIBLE] += 1
        message.state = VISIBLE
        if not self.fifo:
            self._visible.push((message.order, message))

    def _expire(self, message: Message, at: float) -> None:
        self._remove(message)
        self.expired += 1
        self.world.trace.append(
            {
                "t": self._engine.now,
                "kind": "message_expired",
                "queue": self.name,
                "message_id": message.message_id,
                "expired_at": at,
            }
        )

    def _remove(self, message: Message) -> None:
        """Take a message out of the queue for good (deleted, redriven, expired)."""
        if message.state is not GONE:
            self.counts[message.state] -= 1
        message.state = GONE
        message.token += 1
        del self._messages[message.message_id]
        if message.receipt_handle is not None:
            self._by_handle.pop(message.receipt_handle, None)
        if self.fifo:
            group = self._groups[message.group_id]
            group.remove(message)  # almost always the head: cheap
            if not group:
                del self._groups[message.group_id]
            elif group[0].state is VISIBLE:
                self._notify()  # the group is unblocked: its next message can go

    # -- receiving -------------------------------------------------------------
    def receive_message(
        self,
        max_number_of_messages: int = 1,
        visibility_timeout: int | None = None,
    ) -> list[Message]:
        """Take up to ``max_number_of_messages`` (1-10) visible messages and hide them."""
        if (
            isinstance(max_number_of_messages, bool)
            or not isinstance(max_number_of_messages, int)
            or not 1 <= max_number_of_messages <= 10
        ):
            raise InvalidParameterValueException(
                f"max_number_of_messages must be between 1 and 10, got {max_number_of_messages!r}"
            )
        return self.receive(max_number_of_messages, visibility_timeout)

    def receive(
        self,
        limit: int,
        visibility_timeout: float | None = None,
        max_bytes: int | None = None,
        keep: Callable[[Message], bool] | None = None,
    ) -> list[Message]:
        """Receive up to ``limit`` messages (any number: a poller's batch), at most
        ``max_bytes`` of bodies; ``keep(message)`` False deletes a message unseen
        (a mapping's filter), recorded by the caller."""
        now = self._engine.now
        self._refresh(now)
        hide = self.visibility_timeout if visibility_timeout is None else visibility_timeout
        out: list[Message] = []
        self.stopped_at_bytes = False
        if not self.counts[VISIBLE]:
            return out
        size = 0
        visible_at = now + hide
        # Hiding is inlined (it runs once per message received): each message
        # gets a new seeded receipt handle (shorter than SQS's: only its identity
        # matters), and the state counts move once for the whole receive.
        by_handle = self._by_handle
        getrandbits = self._rng.getrandbits
        max_receive_count = self.max_receive_count
        tokens: list[int] = []
        now_ms = ""  # this instant in epoch-ms, made once, for first receives
        for message in self._candidates():
            if max_bytes is not None and size + message.size > max_bytes:
                self.stopped_at_bytes = True
                if not self.fifo:  # offered, not taken: back to its place, still the first
                    self._visible.push((message.order, message))
                break
            if max_receive_count is not None and message.receive_count >= max_receive_count:
                self._redrive(message)
                continue
            if keep is not None and not keep(message):
                self._remove(message)
                self.deleted += 1
                continue
            message.receive_count += 1
            if message.first_received_at is None:
                message.first_received_at = now
                if not now_ms:
                    now_ms = str(self.world.unix_millis(now))
                message.first_received_ms = now_ms
            if message.receipt_handle is not None:
                del by_handle[message.receipt_handle]  # the last receive's, now stale
            # 32 hex digits, as f"{bits:032x}" writes them but a few times faster.
            handle = message.receipt_handle = getrandbits(128).to_bytes(16, "big").hex() + "=="
            by_handle[handle] = message
            message.state = IN_FLIGHT
            message.token += 1
            tokens.append(message.token)
            message.visible_at = visible_at
            size += message.size
            out.append(message)
            if len(out) >= limit:
                break
        if out:
            counts = self.counts
            counts[VISIBLE] -= len(out)
            counts[IN_FLIGHT] += len(out)
            # One entry for the whole receive: its messages reappear together.
            self._hidden.push((visible_at, next(self._seq), out.copy(), tokens))
            self._schedule_wake()  # whoever waits hears when these reappear
        return out

    def _candidates(self):
        """Visible messages in the order SQS hands them out; stops being read early."""
        if not self.fifo:
            # Oldest first, as SQS mostly does: a message that reappears goes back
            # to its place.  Each entry is taken off before its message is offered
            # (a receive that stops without taking it, at ``max_bytes``, puts it
            # back), so a message has an entry only while it is visible here, or
            # after it left the queue: then the entry is stale and skipped.
            pop = self._visible.pop
            while True:
                try:
                    _, message = pop()
                except IndexError:  # no entry left
                    return
                if message.state is VISIBLE:
                    yield message  # the receiver hides, redrives or deletes it
        # FIFO: a group's messages in order, a group at a time; a group with a
        # message in flight (or still delayed at its head) is blocked.
        for group in list(self._groups.values()):
            i = 0
            while i < len(group):
                message = group[i]
                if message.state is not VISIBLE:
                    break
                yield message
                if i < len(group) and group[i] is message:
                    i += 1  # still there (received); a redriven or filtered one left

    def _redrive(self, message: Message) -> None:
        dlq = self.dead_letter_queue
        assert dlq is not None
        self._remove(message)
        # the handle of the last receive is this queue's: it must not delete anything now
        message.receipt_handle = None
        self.redriven += 1
        self.world.trace.append(
            {
                "t": self._engine.now,
                "kind": "message_redriven",
                "queue": self.name,
                "message_id": message.message_id,
                "dead_letter_queue": dlq.name,
                "receive_count": message.receive_count,
            }
        )
        dlq.accept_redriven(message)

    def accept_redriven(self, message: Message) -> None:
        """Take a message redriven from a source queue: its id and body, nothing added.

        Its retention still counts from its first send, as SQS counts it for a
        standard queue's dead-letter queue.
        """
        now = self._engine.now
        message.order = next(self._seq)  # this queue's order: heap entries never tie
        self._messages[message.message_id] = message
        expires_at = message.sent_at + self.message_retention_period
        self._expiry.push((expires_at, message.order, message))
        self._enqueue(message, 0, now)

    # -- deleting --------------------------------------------------------------
    def delete_message(self, receipt_handle: str) -> None:
        """Delete a received message by its receipt handle."""
        self._refresh(self._engine.now)
        message = self._by_handle.get(receipt_handle)
        if message is None:
            raise ResourceNotFoundException(f"The receipt handle {receipt_handle!r} is not valid.")
        self._remove(message)
        self.deleted += 1

    def delete_received(self, received: list[tuple[Message, str]]) -> list[str]:
        """Delete each ``(message, receipt_handle)`` whose handle is still the message's
        latest (a poller's ``DeleteMessageBatch``); returns the ids deleted.

        With an older handle (the message reappeared and was received again)
        nothing is deleted, as SQS does.
        """
        deleted = []
        if self.fifo:
            for message, receipt_handle in received:
                if message.receipt_handle == receipt_handle and message.state is not GONE:
                    self._remove(message)
                    deleted.append(message.message_id)
        else:
            # _remove inlined for a standard queue: this runs once per message processed.
            counts, messages, by_handle = self.counts, self._messages, self._by_handle
            for message, receipt_handle in received:
                state = message.state
                if message.receipt_handle == receipt_handle and state is not GONE:
                    counts[state] -= 1
                    message.state = GONE
                    message.token += 1
                    message_id = message.message_id
                    del messages[message_id]
                    del by_handle[receipt_handle]
                    deleted.append(message_id)
        if deleted:
            self.deleted += len(deleted)
            self._schedule_wake()
        return deleted

    def purge(self) -> None:
        """Delete every message."""
        for message in list(self._messages.values()):
            self._remove(message)
        self._visible.clear()
        self._hidden.clear()

    # -- reading -------------------------------------------------------------------
    @property
    def messages(self) -> list[Message]:
        """Every message in the queue, visible, delayed or in flight, oldest first."""
        self._refresh(self._engine.now)
        return sorted(self._messages.values(), key=lambda m: m.sent_at)

    @property
    def bodies(self) -> list[Any]:
        """The message bodies, decoded from JSON where they are JSON."""
        return [decode(message.body) for message in self.messages]

    @property
    def approximate_number_of_messages(self) -> int:
        self._refresh(self._engine.now)
        return self.counts[VISIBLE]

    @property
    def approximate_number_of_messages_not_visible(self) -> int:
        self._refresh(self._engine.now)
        return self.counts[IN_FLIGHT]

    @property
    def approximate_number_of_messages_delayed(self) -> int:
        self._refresh(self._engine.now)
        return self.counts[DELAYED]

    def get_queue_attributes(self, attribute_names: list[str] | None = None) -> dict[str, Any]:
        """``{"Attributes": {...}}`` as SQS answers: every value a string."""
        self._refresh(self._engine.now)
        attributes = {
            "QueueArn": self.arn,
            "ApproximateNumberOfMessages": str(self.counts[VISIBLE]),
            "ApproximateNumberOfMessagesNotVisible": str(self.counts[IN_FLIGHT]),
            "ApproximateNumberOfMessagesDelayed": str(self.counts[DELAYED]),
            "CreatedTimestamp": str(self.world.unix_millis(self.created_at) // 1000),
            "VisibilityTimeout": str(self.visibility_timeout),
            "MaximumMessageSize": str(self.maximum_message_size),
            "MessageRetentionPeriod": str(self.message_retention_period),
            "DelaySeconds": str(self.delay_seconds),
            "ReceiveMessageWaitTimeSeconds": str(self.receive_message_wait_time_seconds),
        }
        if self.redrive_policy is not None:
            attributes["RedrivePolicy"] = (
                f'{{"deadLetterTargetArn":"{self.redrive_policy["deadLetterTargetArn"]}",'
                f'"maxReceiveCount":{self.redrive_policy["maxReceiveCount"]}}}'
            )
        if self.fifo:
            attributes["FifoQueue"] = "true"
            attributes["ContentBasedDeduplication"] = str(self.content_based_deduplication).lower()
        names = ["All"] if attribute_names is None else attribute_names
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InvalidParameterValueException(
                f"attribute_names must be a list of attribute names, got {attribute_names!r}"
            )
        if "All" in names:
            return {"Attributes": attributes}
        unknown = [n for n in names if n not in attributes]
        if unknown:
            raise InvalidParameterValueException(
                f"Unknown Attribute {unknown[0]}. (attribute_names must be among "
                f"{', '.join(['All', *attributes])})"
            )
        return {"Attributes": {n: attributes[n] for n in names}}

    def __len__(self) -> int:
        self._refresh(self._engine.now)
        return len(self._messages)

    def __repr__(self) -> str:
        return f"<Queue {self.name}: {len(self._messages)} messages>"
