"""Invocation records, and their delivery to destinations and dead-letter queues.

Shapes are AWS's, key order included (the fact sheet's section 7.1 and 7.2,
recorded on real AWS): ``version``, ``timestamp``, ``requestContext``,
``requestPayload``, ``responseContext``, ``responsePayload``.  An event that
never ran (reserved concurrency 0, or throttled until it aged out) has no
``responseContext`` and no ``responsePayload`` and an ``approximateInvokeCount``
of 0.

A FIFO queue or topic is accepted as a target but, as on AWS, every delivery
to it fails: the caller records ``delivery_failed``, which counts in
``DestinationDeliveryFailures`` (``DeadLetterErrors`` for a DLQ).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..compute.functions import Function, Invocation
from ..resources.base import Resource
from ..resources.eventbridge import EventBus
from ..resources.s3 import Bucket
from ..resources.sns import Topic
from ..resources.sqs import Queue

__all__ = ["deliver_dead_letter", "deliver_record", "invocation_record"]

SUCCESS_DETAIL = "Lambda Function Invocation Result - Success"
FAILURE_DETAIL = "Lambda Function Invocation Result - Failure"
#: EventBridge ``source`` as recorded on AWS; the current docs say "aws.lambda".
EVENTBRIDGE_SOURCE = "lambda"
#: Why a delivery to a FIFO queue or topic fails (our words: AWS records no message).
FIFO_PROBLEM = "FIFO queues and topics are not supported as {what}: {arn}"


def invocation_record(inv: Invocation, condition: str, timestamp: str) -> dict[str, Any]:
    """The invocation record sent to a destination."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": timestamp,
        "requestContext": {
            "requestId": inv.request_id,
            "functionArn": inv.function.qualified_arn,
            "condition": condition,
            "approximateInvokeCount": inv.attempt,
        },
        "requestPayload": json.loads(inv.body),
    }
    if inv.attempt:
        context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if inv.status != "ok":
            context["functionError"] = "Unhandled"
        record["responseContext"] = context
        record["responsePayload"] = inv.response_payload()
    return record


def deliver_record(
    target: Resource | Function,
    record: dict[str, Any],
    success: bool,
    function: Function,
    submit_event: Callable[[Function, str, str], Any],
    s3_prefix: str | None = None,
) -> str | None:
    """Send ``record`` to ``target``; returns None, or why delivery failed.

    ``submit_event(function, body, source)`` queues an asynchronous event, for
    a function destination.  An S3 target gets one object under
    ``<s3_prefix>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>``; the prefix is
    ``aws/lambda/async/<function-name>`` for asynchronous invocations (fact
    sheet 2.4) and ``aws/lambda/<mapping UUID>/<shardId>`` for a mapping's
    (7.5).
    """
    if target.fifo:
        return FIFO_PROBLEM.format(what="destinations", arn=target.arn)
    body = json.dumps(record)
    limit = getattr(target, "max_message_bytes", None)
    if limit is not None and len(body.encode("utf-8")) > limit:
        return f"record of {len(body.encode('utf-8'))} bytes exceeds the {limit}-byte limit"
    if isinstance(target, Queue):
        target.send_message(body)
    elif isinstance(target, Topic):
        target.publish(body)
    elif isinstance(target, EventBus):
        target.put_event(
            EVENTBRIDGE_SOURCE,
            SUCCESS_DETAIL if success else FAILURE_DETAIL,
            record,
            [target.arn, function.qualified_arn],
        )
    elif isinstance(target, Bucket):
        world = target.world
        when = world.iso(world.engine.now)  # 2026-01-01T00:01:02.345Z
        day = when[:10].replace("-", "/")
        stamp = when[:19].replace(":", ".")
        prefix = s3_prefix if s3_prefix is not None else f"aws/lambda/async/{function.name}"
        key = f"{prefix}/{day}/{stamp}-{world.new_id()}"
        target.put_object(key, body)
    else:  # a function: invoked asynchronously with the record as its event
        try:
            submit_event(target, body, function.arn)
        except Exception as exc:  # e.g. the record is over the async payload quota
            return str(exc)
    return None


def deliver_dead_letter(target: Resource, inv: Invocation, error_message: str) -> str | None:
    """Send the original event to a DLQ (queue or topic); returns None or why it failed."""
    if target.fifo:
        return FIFO_PROBLEM.format(what="dead-letter targets", arn=target.arn)
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": inv.request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200" if inv.attempt else "429"},
        "ErrorMessage": {"DataType": "String", "StringValue": error_message[:1024]},
    }
    size = len(inv.body.encode("utf-8"))
    if target.max_message_bytes is not None and size > target.max_message_bytes:
        return f"event of {size} bytes exceeds the {target.max_message_bytes}-byte limit"
    if isinstance(target, Queue):
        target.send_message(inv.body, attributes)
    else:
        target.publish(inv.body, message_attributes=attributes)
    return None
