"""Resource settings: SQS queues and their redrive policy, SNS topics, event buses, buckets.

SQS, SNS and S3 answer a bad name or attribute with an ``InvalidParameter...``
error, so these models refuse with
:class:`~lambda_lab.errors.InvalidParameterValueException` and the plain
form (field, value, allowed range); EventBridge answers ``ValidationException``
as Lambda does.  A type error is botocore's ``ParamValidationError`` everywhere.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from ..errors import InvalidParameterValueException, ServiceError
from .base import Settings

__all__ = [
    "DEFAULT_EVENT_BUS_NAME",
    "DEFAULT_MESSAGE_RETENTION_PERIOD",
    "DEFAULT_VISIBILITY_TIMEOUT",
    "BucketSettings",
    "EventBusSettings",
    "QueueSettings",
    "RedrivePolicy",
    "TopicSettings",
]

#: ``CreateQueue``'s defaults: 30 s visibility timeout, messages kept 4 days.
DEFAULT_VISIBILITY_TIMEOUT = 30
DEFAULT_MESSAGE_RETENTION_PERIOD = 345600
#: The event bus every account has.
DEFAULT_EVENT_BUS_NAME = "default"

_NAME = r"^[A-Za-z0-9_-]+(\.fifo)?$"


class RedrivePolicy(Settings):
    """A queue's ``RedrivePolicy``: after ``maxReceiveCount`` receives, move to the DLQ.

    ``deadLetterTargetArn`` is a queue of the lab or its ARN (the lab resolves
    it); ``maxReceiveCount`` is 1 to 1,000.  Keys may be given in AWS's
    camelCase or in snake_case.
    """

    refusal: ClassVar[type[ServiceError]] = InvalidParameterValueException

    dead_letter_target_arn: Any = Field(description="The dead-letter queue, or its ARN.")
    max_receive_count: int = Field(ge=1, le=1000)


class QueueSettings(Settings):
    """``CreateQueue``: the name and the attributes the lab simulates."""

    refusal: ClassVar[type[ServiceError]] = InvalidParameterValueException

    queue_name: str = Field(
        min_length=1,
        max_length=80,
        pattern=_NAME,
        json_schema_extra={
            "allowed": "1 to 80 letters, digits, hyphens or underscores, "
            "a FIFO queue's ending in .fifo"
        },
    )
    visibility_timeout: int = Field(DEFAULT_VISIBILITY_TIMEOUT, ge=0, le=43200)
    message_retention_period: int = Field(DEFAULT_MESSAGE_RETENTION_PERIOD, ge=60, le=1209600)
    redrive_policy: RedrivePolicy | None = None
    delay_seconds: int = Field(0, ge=0, le=900)
    receive_message_wait_time_seconds: int = Field(0, ge=0, le=20)
    maximum_message_size: int = Field(1048576, ge=1024, le=1048576)
    content_based_deduplication: bool = False

    @property
    def fifo(self) -> bool:
        """True for a FIFO queue (its name ends in ``.fifo``)."""
        return self.queue_name.endswith(".fifo")


class TopicSettings(Settings):
    """``CreateTopic``: the topic's name."""

    refusal: ClassVar[type[ServiceError]] = InvalidParameterValueException

    name: str = Field(
        min_length=1,
        max_length=256,
        pattern=_NAME,
        json_schema_extra={
            "allowed": "1 to 256 letters, digits, hyphens or underscores, "
            "a FIFO topic's ending in .fifo"
        },
    )


class EventBusSettings(Settings):
    """``CreateEventBus``: the bus's name."""

    name: str = Field(
        DEFAULT_EVENT_BUS_NAME,
        min_length=1,
        max_length=256,
        pattern=r"^[/\.\-_A-Za-z0-9]+$",
        json_schema_extra={"allowed": "1 to 256 letters, digits, '.', '-', '_' or '/'"},
    )


class BucketSettings(Settings):
    """``CreateBucket``: the bucket's name (general purpose bucket rules)."""

    refusal: ClassVar[type[ServiceError]] = InvalidParameterValueException

    bucket: str = Field(
        min_length=3,
        max_length=63,
        pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
        json_schema_extra={
            "allowed": "3 to 63 lowercase letters, digits, dots or hyphens, "
            "beginning and ending with a letter or digit"
        },
    )
