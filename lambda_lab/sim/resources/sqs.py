"""SQS queues: messages with SQS's attributes, visibility timeouts and redrive.

A queue receives destination records and dead-lettered events today, and is
shaped to feed an event source mapping later: receive counts, receipt
handles, hiding for the visibility timeout, and redrive to a dead-letter
queue after ``maxReceiveCount`` receives.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ...config import DEFAULT_MESSAGE_RETENTION_PERIOD, DEFAULT_VISIBILITY_TIMEOUT
from ...errors import InvalidParameterValueException, ResourceNotFoundException
from .base import Resource, decode

if TYPE_CHECKING:
    from ..world import World

__all__ = ["SQS_MAX_BYTES", "Message", "Queue"]

#: Largest SQS message (1 MiB since 2025).
SQS_MAX_BYTES = 1024 * 1024


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class Message:
    """One SQS message, with the attributes an SQS event record carries."""

    __slots__ = (
        "attributes",
        "body",
        "first_received_at",
        "md5_of_body",
        "message_attributes",
        "message_id",
        "receipt_handle",
        "receive_count",
        "sent_at",
        "visible_at",
    )

    def __init__(self, message_id: str, body: str, attributes: dict, sent_at: float) -> None:
        self.message_id = message_id
        self.body = body
        self.md5_of_body = _md5(body)
        self.message_attributes = attributes
        self.attributes: dict[str, str] = {}
        self.sent_at = sent_at
        self.first_received_at: float | None = None
        self.receive_count = 0
        self.visible_at = sent_at
        self.receipt_handle: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The message as ``ReceiveMessage`` returns it (boto3's keys)."""
        out = {
            "MessageId": self.message_id,
            "ReceiptHandle": self.receipt_handle,
            "MD5OfBody": self.md5_of_body,
            "Body": self.body,
            "Attributes": dict(self.attributes),
        }
        if self.message_attributes:
            out["MessageAttributes"] = self.message_attributes
        return out

    def __repr__(self) -> str:
        body = self.body if len(self.body) <= 40 else self.body[:37] + "..."
        return f"<Message {self.message_id[:8]} receive_count={self.receive_count} body={body!r}>"


class Queue(Resource):
    """An SQS queue: messages, visibility timeout, redrive to a dead-letter queue."""

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
    ) -> None:
        arn = f"arn:aws:sqs:{world.region}:{world.account_id}:{name}"
        super().__init__(name, arn, world)
        self.fifo = name.endswith(".fifo")
        self.url = f"https://sqs.{world.region}.amazonaws.com/{world.account_id}/{name}"
        self.visibility_timeout = visibility_timeout
        self.message_retention_period = message_retention_period
        self.redrive_policy = redrive_policy
        self.dead_letter_queue: Queue | None = None
        self.max_receive_count: int | None = None
        self._messages: dict[str, Message] = {}
        self._by_handle: dict[str, Message] = {}
        self.sent = 0
        self.deleted = 0

    def send_message(
        self, message_body: str, message_attributes: dict | None = None, **_: Any
    ) -> dict[str, str]:
        """Add a message; returns ``{"MessageId", "MD5OfMessageBody"}``."""
        if not isinstance(message_body, str) or not message_body:
            raise InvalidParameterValueException(
                f"message_body must be a non-empty string, got {message_body!r}"
            )
        size = len(message_body.encode("utf-8"))
        if size > SQS_MAX_BYTES:
            raise InvalidParameterValueException(
                f"One or more parameters are invalid. Reason: Message must be shorter than "
                f"{SQS_MAX_BYTES} bytes. (message_body is {size} bytes)"
            )
        world = self.world
        now = world.engine.now
        message = Message(world.new_id(), message_body, dict(message_attributes or {}), now)
        message.attributes = {
            "ApproximateReceiveCount": "0",
            "SentTimestamp": str(world.unix_millis(now)),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "",
        }
        self._messages[message.message_id] = message
        self.sent += 1
        return {"MessageId": message.message_id, "MD5OfMessageBody": message.md5_of_body}

    def receive_message(
        self, max_number_of_messages: int = 1, visibility_timeout: int | None = None
    ) -> list[Message]:
        """Take up to ``max_number_of_messages`` visible messages and hide them."""
        if not 1 <= max_number_of_messages <= 10:
            raise InvalidParameterValueException(
                f"max_number_of_messages must be between 1 and 10, got {max_number_of_messages!r}"
            )
        world = self.world
        now = world.engine.now
        self._expire()
        hide = self.visibility_timeout if visibility_timeout is None else visibility_timeout
        out = []
        for message in list(self._messages.values()):
            if len(out) == max_number_of_messages:
                break
            if message.visible_at > now:
                continue
            if (
                self.dead_letter_queue is not None
                and self.max_receive_count is not None
                and message.receive_count >= self.max_receive_count
            ):
                self._redrive(message)
                continue
            message.receive_count += 1
            if message.first_received_at is None:
                message.first_received_at = now
                message.attributes["ApproximateFirstReceiveTimestamp"] = str(world.unix_millis(now))
            message.attributes["ApproximateReceiveCount"] = str(message.receive_count)
            if message.receipt_handle:
                self._by_handle.pop(message.receipt_handle, None)
            message.receipt_handle = world.new_id().replace("-", "") + "=="
            self._by_handle[message.receipt_handle] = message
            message.visible_at = now + hide
            out.append(message)
        return out

    def _redrive(self, message: Message) -> None:
        del self._messages[message.message_id]
        dlq = self.dead_letter_queue
        assert dlq is not None
        # the handle of the last receive is this queue's: it must not delete anything now
        self._by_handle.pop(message.receipt_handle or "", None)
        message.receipt_handle = None
        message.visible_at = self.world.engine.now
        dlq._messages[message.message_id] = message  # keeps MessageId and body, adds nothing

    def _expire(self) -> None:
        # SQS deletes a message once it is ``message_retention_period`` seconds old
        # (counted from its first send, also in a dead-letter queue).
        now = self.world.engine.now
        period = self.message_retention_period
        for message in [m for m in self._messages.values() if now >= m.sent_at + period]:
            del self._messages[message.message_id]
            self._by_handle.pop(message.receipt_handle or "", None)

    def delete_message(self, receipt_handle: str) -> None:
        """Delete a received message by its receipt handle."""
        self._expire()
        message = self._by_handle.pop(receipt_handle, None)
        if message is None:
            raise ResourceNotFoundException(f"The receipt handle {receipt_handle!r} is not valid.")
        self._messages.pop(message.message_id, None)
        self.deleted += 1

    def purge(self) -> None:
        """Delete every message."""
        self._messages.clear()
        self._by_handle.clear()

    @property
    def messages(self) -> list[Message]:
        """Every message in the queue, visible or in flight, oldest first."""
        self._expire()
        return list(self._messages.values())

    @property
    def bodies(self) -> list[Any]:
        """The message bodies, decoded from JSON where they are JSON."""
        self._expire()
        return [decode(message.body) for message in self._messages.values()]

    @property
    def approximate_number_of_messages(self) -> int:
        self._expire()
        now = self.world.engine.now
        return sum(1 for m in self._messages.values() if m.visible_at <= now)

    @property
    def approximate_number_of_messages_not_visible(self) -> int:
        self._expire()
        now = self.world.engine.now
        return sum(1 for m in self._messages.values() if m.visible_at > now)

    def __len__(self) -> int:
        self._expire()
        return len(self._messages)

    def __repr__(self) -> str:
        return f"<Queue {self.name}: {len(self._messages)} messages>"
