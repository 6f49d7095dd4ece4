"""Every kind of trace record, with its fields and a one-line meaning.

This module is the one place the trace is documented.  Each kind is a
``TypedDict``: the fields every record of the kind carries are required, the
ones that appear only in some cases are ``NotRequired``.  Every record also
has ``t`` (virtual seconds) and ``kind``.  Consumers (views, notebooks,
tests) may rely on exactly these names; a new field or kind is added here
first, and :func:`check` (used by the property tests) refuses a record that
does not match its declaration.

Times are virtual seconds (``t``, ``duration``, ``delay``, ``age``,
``latency``); ``billed_duration_ms`` is milliseconds, as AWS bills.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union

from typing_extensions import NotRequired, TypedDict

__all__ = ["KINDS", "RecordError", "check", "describe"]


class Record(TypedDict):
    t: float
    kind: str


# -- the synchronous core and the compute layer -----------------------------------
class Invoke(Record):
    """A synchronous request reached the service."""

    function: str
    request_id: str
    invocation_type: Literal["RequestResponse"]
    source: NotRequired[str]


class Throttle(Record):
    """The service refused a request with 429 (``reason`` is AWS's ThrottleReason)."""

    function: str
    request_id: str
    reason: str


class ServiceError(Record):
    """The service itself failed a request with 500 before the function ran."""

    function: str
    request_id: str
    status_code: int


class EnvCreated(Record):
    """A new execution environment (a cold start begins)."""

    function: str
    env: str


class AttemptStarted(Record):
    """An attempt starts; Init runs first when ``init_duration`` > 0."""

    function: str
    request_id: str
    attempt: int
    env: str
    cold: bool
    init_duration: float
    duplicate: NotRequired[bool]
    init_timed_out: NotRequired[bool]


class AttemptEnded(Record):
    """An attempt ended ``ok``, with an ``error`` or in a ``timeout``."""

    function: str
    request_id: str
    attempt: int
    env: str
    status: Literal["ok", "error", "timeout"]
    duration: float
    billed_duration_ms: int
    error_type: NotRequired[str]
    error_message: NotRequired[str]
    duplicate: NotRequired[bool]


class EnvReset(Record):
    """The runtime restarted after a timeout or exit: module state is lost."""

    function: str
    env: str


class EnvExpired(Record):
    """An idle environment was reclaimed after the keep-alive."""

    function: str
    env: str


class Response(Record):
    """The synchronous response left the service (a function error is still 200)."""

    function: str
    request_id: str
    status_code: int
    function_error: str | None


# -- asynchronous invocation --------------------------------------------------------
class Accepted(Record):
    """An asynchronous event was accepted with 202."""

    function: str
    request_id: str
    status_code: int
    source: NotRequired[str]


class Queued(Record):
    """The event entered Lambda's internal queue."""

    function: str
    request_id: str


class Dequeued(Record):
    """The event left the queue for an attempt; ``age`` since it was accepted."""

    function: str
    request_id: str
    age: float
    duplicate: NotRequired[bool]


class RetryScheduled(Record):
    """The event goes back to the queue for ``delay`` seconds."""

    function: str
    request_id: str
    delay: float
    reason: Literal["function_error", "throttle", "service_error"]


class Duplicate(Record):
    """The event will be delivered once more (at-least-once delivery)."""

    function: str
    request_id: str


class Succeeded(Record):
    """The event's final outcome: processed without error."""

    function: str
    request_id: str
    approximate_invoke_count: int
    duplicate: NotRequired[bool]


class Dropped(Record):
    """The event's final outcome: given up, after any destination or DLQ delivery."""

    function: str
    request_id: str
    reason: Literal["RetriesExhausted", "EventAgeExceeded", "ZeroReservedConcurrency"]
    approximate_invoke_count: int
    duplicate: NotRequired[bool]


class Delivered(Record):
    """An invocation record reached a destination, or the event reached the DLQ."""

    function: str
    request_id: str
    condition: str
    target: str


class DeliveryFailed(Record):
    """A destination or DLQ delivery failed (``via``) for the reason ``error``."""

    function: str
    request_id: str
    condition: str
    target: str
    via: Literal["destination", "dlq"]
    error: str


# -- callers ----------------------------------------------------------------------------
class ClientRequest(Record):
    """An SDK client sent attempt ``attempt`` of one ``invoke()``."""

    client: str
    function: str
    attempt: int
    request_id: str


class ClientTimeout(Record):
    """No response within the client's read timeout; the invocation runs on."""

    client: str
    function: str
    attempt: int
    request_id: str
    read_timeout: float


class ClientRetry(Record):
    """The client retries after ``delay`` seconds."""

    client: str
    function: str
    attempt: int
    request_id: str
    reason: Literal["throttle", "service_error", "read_timeout"]
    delay: float


class ClientDone(Record):
    """The final outcome of one ``invoke()`` through an SDK client."""

    client: str
    function: str
    outcome: Literal["response", "throttled", "service_error", "gave_up"]
    attempts: int
    request_ids: list[str]
    latency: float
    status_code: int | None
    function_error: NotRequired[str | None]
    error_code: NotRequired[str]


class ApigwRequest(Record):
    """API Gateway invoked the function for a request."""

    api: str
    function: str
    request_id: str
    integration_timeout: float


class ApigwResponse(Record):
    """API Gateway answered its caller (``reason`` when it made the answer itself)."""

    api: str
    function: str
    request_id: str
    status_code: int
    latency: float
    reason: NotRequired[
        Literal[
            "integration_timeout",
            "function_error",
            "malformed_response",
            "throttle",
            "service_error",
        ]
    ]


class RequestRejected(Record):
    """A traffic arrival was refused before it reached the service (a 4xx)."""

    function: str
    source: str
    index: int
    error_code: str
    status_code: int
    message: str


# -- SQS queues and event source mappings -------------------------------------------
class MessageExpired(Record):
    """A message outlived the queue's retention period (``expired_at``) and is gone."""

    queue: str
    message_id: str
    expired_at: float


class MessageRedriven(Record):
    """A message received ``receive_count`` times moved to the dead-letter queue."""

    queue: str
    message_id: str
    dead_letter_queue: str
    receive_count: int


class VisibilityExpired(Record):
    """A received message was not deleted in time: visible again since ``visible_at``."""

    queue: str
    message_id: str
    receive_count: int
    visible_at: float


class StreamRecordsExpired(Record):
    """Records outlived a stream's retention: ``count`` gone from ``shard``, by position."""

    source: str
    shard: str
    count: int
    first_position: int
    last_position: int


class MappingState(Record):
    """An event source mapping changed state (``Enabled``, ``Disabled``, ``Deleting``...)."""

    mapping: str
    function: str
    state: str
    reason: str


class MappingScaled(Record):
    """A mapping's pollers changed how many batches they keep in flight."""

    mapping: str
    function: str
    concurrency: int
    reason: Literal["scale_up", "backoff", "idle"]


class Batch(Record):
    """A poller cut a batch and invokes the function with it (``trigger``: why now)."""

    mapping: str
    function: str
    request_id: str
    source: str
    size: int
    bytes: int
    trigger: Literal["batch_size", "window", "payload_limit", "drained", "retry", "window_end"]
    message_ids: NotRequired[list[str]]
    shard: NotRequired[str]
    first_sequence_number: NotRequired[str]
    last_sequence_number: NotRequired[str]
    iterator_age: NotRequired[float]
    offset_lag: NotRequired[int]
    lane: NotRequired[int]
    window_start: NotRequired[float]
    window_end: NotRequired[float]
    final: NotRequired[bool]
    queue_visible: NotRequired[int]
    queue_in_flight: NotRequired[int]


class BatchFailed(Record):
    """A batch failed, wholly or in part: ``failed`` records stay for a retry."""

    mapping: str
    function: str
    request_id: str
    reason: Literal[
        "function_error",
        "partial_response",
        "invalid_partial_response",
        "throttle",
        "missing_state",
    ]
    failed: list[str]


class MessagesDeleted(Record):
    """A mapping deleted messages from its queue: processed, or filtered out."""

    mapping: str
    queue: str
    message_ids: list[str]
    reason: Literal["processed", "filtered"]


class Checkpoint(Record):
    """A stream mapping committed its position in a shard (records before it are done)."""

    mapping: str
    shard: str
    position: int


class BatchBisected(Record):
    """A failing stream batch was split in two, to be tried half by half.

    With ``at_sequence_number`` (a partial batch response, with bisecting on)
    it was split where that record starts: ``sizes`` are the records done and
    the records retried, and only the second part is tried again.
    """

    mapping: str
    shard: str
    sizes: list[int]
    at_sequence_number: NotRequired[str]


class StreamBatchDiscarded(Record):
    """A stream batch was given up (``condition``); its metadata went to ``target``."""

    mapping: str
    function: str
    shard: str
    condition: Literal["RetryAttemptsExhausted", "RecordAgeExceeded"]
    size: int
    first_sequence_number: str
    last_sequence_number: str
    target: str | None
    delivery_error: str | None


class WindowClosed(Record):
    """A tumbling window's final invocation succeeded (or was given up): its state is dropped."""

    mapping: str
    function: str
    shard: str
    window_start: float
    window_end: float
    outcome: Literal["closed", "terminated_early", "given_up"]


#: Every record kind, by its ``kind`` value.
KINDS: dict[str, type] = {
    "invoke": Invoke,
    "throttle": Throttle,
    "service_error": ServiceError,
    "env_created": EnvCreated,
    "attempt_started": AttemptStarted,
    "attempt_ended": AttemptEnded,
    "env_reset": EnvReset,
    "env_expired": EnvExpired,
    "response": Response,
    "accepted": Accepted,
    "queued": Queued,
    "dequeued": Dequeued,
    "retry_scheduled": RetryScheduled,
    "duplicate": Duplicate,
    "succeeded": Succeeded,
    "dropped": Dropped,
    "destination": Delivered,
    "dlq": Delivered,
    "delivery_failed": DeliveryFailed,
    "client_request": ClientRequest,
    "client_timeout": ClientTimeout,
    "client_retry": ClientRetry,
    "client_done": ClientDone,
    "apigw_request": ApigwRequest,
    "apigw_response": ApigwResponse,
    "request_rejected": RequestRejected,
    "message_expired": MessageExpired,
    "message_redriven": MessageRedriven,
    "visibility_expired": VisibilityExpired,
    "stream_records_expired": StreamRecordsExpired,
    "mapping_state": MappingState,
    "mapping_scaled": MappingScaled,
    "batch": Batch,
    "batch_failed": BatchFailed,
    "messages_deleted": MessagesDeleted,
    "checkpoint": Checkpoint,
    "batch_bisected": BatchBisected,
    "stream_batch_discarded": StreamBatchDiscarded,
    "window_closed": WindowClosed,
}


class RecordError(ValueError):
    """A record that does not match its declared kind."""


def describe(kind: str) -> str:
    """The one-line meaning of a kind."""
    return _declaration(kind).__doc__.strip()


def check(record: dict[str, Any]) -> None:
    """Raise :class:`RecordError` unless ``record`` matches its declared kind exactly."""
    declaration = _declaration(record.get("kind"))
    hints = typing.get_type_hints(declaration, include_extras=True)
    # Computed from the hints: with postponed annotations, __required_keys__ misses
    # NotRequired on some Python versions.
    required = {k for k, v in hints.items() if typing.get_origin(v) is not NotRequired}
    missing = sorted(required - record.keys())
    unknown = sorted(record.keys() - hints.keys())
    if missing or unknown:
        raise RecordError(
            f"{record['kind']} record {record!r}: missing {missing}, unknown {unknown}"
        )
    for key, value in record.items():
        if not _matches(value, hints[key]):
            raise RecordError(
                f"{record['kind']} record: {key}={value!r} is not {_name(hints[key])}"
            )


def _declaration(kind: Any) -> type:
    try:
        return KINDS[kind]
    except (KeyError, TypeError):
        raise RecordError(f"undeclared record kind {kind!r}") from None


def _matches(value: Any, annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is NotRequired:
        return _matches(value, typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(annotation))
    if origin is Literal:
        return value in typing.get_args(annotation)
    if origin is list:
        (item,) = typing.get_args(annotation)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if annotation is type(None):
        return value is None
    if annotation is float:  # JSON numbers: an int is a float here, a bool is not
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, annotation)


def _name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation)
