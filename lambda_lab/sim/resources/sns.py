"""SNS topics: fan-out to queue and function subscriptions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...errors import InvalidParameterValueException
from .base import Resource, decode

if TYPE_CHECKING:
    from ..world import World

__all__ = ["SNS_MAX_BYTES", "UNKNOWN_ENDPOINT", "Topic"]

#: Largest SNS message: still 256 KiB.
SNS_MAX_BYTES = 256 * 1024
#: How a subscription to an ARN that names nothing in the lab is refused.  SNS
#: itself accepts such a subscription and then fails every delivery; refusing it
#: at once is our choice, since a subscription here holds the endpoint itself.
UNKNOWN_ENDPOINT = (
    "Invalid parameter: Endpoint ({field} {arn} names no queue or function of this lab)"
)


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
        """Subscribe a queue or a function, given as the object or its ARN.

        Returns the subscription ARN.
        """
        if isinstance(endpoint, str) or hasattr(endpoint, "arn"):
            endpoint = self.world.registry.resolve(endpoint, "endpoint", UNKNOWN_ENDPOINT)
        if getattr(endpoint, "kind", None) not in ("sqs", "lambda"):
            raise InvalidParameterValueException(
                f"endpoint must be a Queue or a Function of this lab (or its ARN), got {endpoint!r}"
            )
        arn = f"{self.arn}:{self.world.new_id()}"
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
        world = self.world
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
                world.submit_event(endpoint, json.dumps(event), self.arn)
        return {"MessageId": message_id}

    @property
    def messages(self) -> list[Any]:
        """The published messages, decoded from JSON where they are JSON."""
        return [decode(n["Message"]) for n in self.published]

    def __repr__(self) -> str:
        return f"<Topic {self.name}: {len(self.published)} published>"
