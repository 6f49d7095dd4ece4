"""Resources that receive records: SNS topics, EventBridge buses, S3 buckets.

They are small but real: a topic fans out to queue and function
subscriptions; a bus keeps the events put on it; a bucket keeps objects by
key.  Every one is inspectable from a notebook.  SQS queues live in
``sqs.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..errors import InvalidParameterValueException, ResourceNotFoundException
from .clock import SimClock
from .engine import Engine
from .functions import new_uuid

__all__ = ["Bucket", "EventBus", "Resource", "Topic", "World", "decode"]

#: Largest EventBridge entry (1 MiB since 2025).
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
        clock: SimClock,
        invoke_async: Callable[[str, str, str], Any],
        region: str,
        account_id: str,
    ) -> None:
        self.engine = engine
        self.iso = clock.iso
        self.iso_seconds = clock.iso_seconds
        self.unix_millis = clock.unix_millis
        self.invoke_async = invoke_async
        self.region = region
        self.account_id = account_id

    def new_id(self) -> str:
        return new_uuid(self.engine.rng)


def decode(text: str) -> Any:
    """``text`` decoded from JSON where it is JSON, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


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
        return [decode(n["Message"]) for n in self.published]

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
            "time": world.iso_seconds(world.engine.now),
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
        return decode(self.objects[key])

    def __repr__(self) -> str:
        return f"<Bucket {self.name}: {len(self.objects)} objects>"
