"""Resources that receive records: SQS queues, SNS topics, EventBridge buses, S3 buckets.

They are small but real: a queue keeps its messages with SQS's attributes,
receive counts, visibility timeouts and redrive to a dead-letter queue, so
it can later feed an event source mapping; a topic fans out to queue and
function subscriptions; a bus keeps the events put on it; a bucket keeps
objects by key.  Every one is inspectable from a notebook.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from ..errors import InvalidParameterValueException, ResourceNotFoundException
from .engine import Engine
from .service import new_uuid

__all__ = ["Bucket", "EventBus", "Message", "Queue", "Resource", "Topic"]

#: Largest SQS message and EventBridge entry (1 MiB since 2025).
SQS_MAX_BYTES = 1024 * 1024
EVENTBRIDGE_MAX_BYTES = 1024 * 1024
#: Largest SNS message: still 256 KiB.
SNS_MAX_BYTES = 256 * 1024


class Resource:
    """Something with an ARN in the lab's account."""

    kind = "resource"
    fifo = False
    max_message_bytes: int | None = None

    def __init__(self, name: str, arn: str, world: World) -> None:
        self.name = name
        self.arn = arn
        self._world = world

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class World:
    """What resources need from the lab: time, ids, the clock, async invoke."""

    def __init__(
        self,
        engine: Engine,
        iso: Callable[[float], str],
        unix_millis: Callable[[float], int],
        invoke_async: Callable[[str, str, str], Any],
        region: str,
        account_id: str,
    ) -> None:
        self.engine = engine
        self.iso = iso
        self.unix_millis = unix_millis
        self.invoke_async = invoke_async
        self.region = region
        self.account_id = account_id

    def new_id(self) -> str:
        return new_uuid(self.engine.rng)


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
        visibility_timeout: int = 30,
        message_retention_period: int = 345600,
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
        world = self._world
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
        world = self._world
        now = world.engine.now
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
        message.visible_at = self._world.engine.now
        dlq._messages[message.message_id] = message  # keeps MessageId and body, adds nothing

    def delete_message(self, receipt_handle: str) -> None:
        """Delete a received message by its receipt handle."""
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
        return list(self._messages.values())

    @property
    def bodies(self) -> list[Any]:
        """The message bodies, decoded from JSON where they are JSON."""
        out = []
        for message in self._messages.values():
            try:
                out.append(json.loads(message.body))
            except ValueError:
                out.append(message.body)
        return out

    @property
    def approximate_number_of_messages(self) -> int:
        now = self._world.engine.now
        return sum(1 for m in self._messages.values() if m.visible_at <= now)

    @property
    def approximate_number_of_messages_not_visible(self) -> int:
        now = self._world.engine.now
        return sum(1 for m in self._messages.values() if m.visible_at > now)

    def __len__(self) -> int:
        return len(self._messages)

    def __repr__(self) -> str:
        return f"<Queue {self.name}: {len(self._messages)} messages>"


class Topic(Resource):
    """An SNS topic; subscriptions are queues (SNS envelope or raw) and functions."""

    kind = "sns"
    max_message_bytes = SNS_MAX_BYTES

    def __init__(self, name: str, world: World) -> None:
        super().__init__(name, f"arn:aws:sns:{world.region}:{world.account_id}:{name}", world)
        self.fifo = name.endswith(".fifo")
        self.subscriptions: list[tuple[Resource, bool, str]] = []
        self.published: list[dict[str, Any]] = []

    def subscribe(self, endpoint: Any, raw_message_delivery: bool = False) -> str:
        """Subscribe a queue or a function; returns the subscription ARN."""
        if getattr(endpoint, "kind", None) not in ("sqs", "lambda"):
            raise InvalidParameterValueException(
                f"endpoint must be a Queue or a Function of this lab, got {endpoint!r}"
            )
        arn = f"{self.arn}:{self._world.new_id()}"
        self.subscriptions.append((endpoint, raw_message_delivery, arn))
        return arn

    def publish(
        self, message: str, subject: str | None = None, message_attributes: dict | None = None
    ) -> dict[str, str]:
        """Publish a message to every subscription; returns ``{"MessageId"}``."""
        size = len(message.encode("utf-8"))
        if size > SNS_MAX_BYTES:
            raise InvalidParameterValueException(
                f"Invalid parameter: Message too long (message is {size} bytes, "
                f"the limit is {SNS_MAX_BYTES})"
            )
        world = self._world
        now = world.engine.now
        message_id = world.new_id()
        attributes = {
            k: {"Type": v.get("DataType", "String"), "Value": v.get("StringValue")}
            for k, v in (message_attributes or {}).items()
        }
        notification = {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": self.arn,
            "Subject": subject,
            "Message": message,
            "Timestamp": world.iso(now),
            "SignatureVersion": "1",
            "MessageAttributes": attributes,
        }
        self.published.append(notification)
        for endpoint, raw, sub_arn in self.subscriptions:
            if endpoint.kind == "sqs":
                body = message if raw else json.dumps(notification)
                endpoint.send_message(body, message_attributes if raw else None)
            else:
                event = {
                    "Records": [
                        {
                            "EventSource": "aws:sns",
                            "EventVersion": "1.0",
                            "EventSubscriptionArn": sub_arn,
                            "Sns": notification,
                        }
                    ]
                }
                world.invoke_async(endpoint.name, json.dumps(event), self.arn)
        return {"MessageId": message_id}

    @property
    def messages(self) -> list[Any]:
        """The published messages, decoded from JSON where they are JSON."""
        out = []
        for n in self.published:
            try:
                out.append(json.loads(n["Message"]))
            except ValueError:
                out.append(n["Message"])
        return out

    def __repr__(self) -> str:
        return f"<Topic {self.name}: {len(self.published)} published>"


class EventBus(Resource):
    """An EventBridge event bus that keeps the events put on it."""

    kind = "events"
    max_message_bytes = EVENTBRIDGE_MAX_BYTES

    def __init__(self, name: str, world: World) -> None:
        arn = f"arn:aws:events:{world.region}:{world.account_id}:event-bus/{name}"
        super().__init__(name, arn, world)
        self.events: list[dict[str, Any]] = []

    def put_event(self, source: str, detail_type: str, detail: Any, resources: list[str]) -> str:
        """Add one event, shaped as EventBridge delivers it; returns its id."""
        world = self._world
        event = {
            "version": "0",
            "id": world.new_id(),
            "detail-type": detail_type,
            "source": source,
            "account": world.account_id,
            "time": world.iso(world.engine.now)[:-5] + "Z",
            "region": world.region,
            "resources": resources,
            "detail": detail,
        }
        self.events.append(event)
        return event["id"]

    def __repr__(self) -> str:
        return f"<EventBus {self.name}: {len(self.events)} events>"


class Bucket(Resource):
    """An S3 bucket: objects by key."""

    kind = "s3"

    def __init__(self, name: str, world: World) -> None:
        super().__init__(name, f"arn:aws:s3:::{name}", world)
        self.objects: dict[str, str] = {}

    def put_object(self, key: str, body: str) -> None:
        self.objects[key] = body

    def get_object(self, key: str) -> Any:
        """The object at ``key``, decoded from JSON where it is JSON."""
        if key not in self.objects:
            raise ResourceNotFoundException(f"The specified key does not exist: {key}")
        body = self.objects[key]
        try:
            return json.loads(body)
        except ValueError:
            return body

    def __repr__(self) -> str:
        return f"<Bucket {self.name}: {len(self.objects)} objects>"
