"""Asynchronous settings of a function: event invoke configs, destinations, DLQs.

``PutFunctionEventInvokeConfig`` replaces the whole config; ``Update...``
changes only the fields given.  Destinations and dead-letter targets are
given as resource objects or ARNs and resolved through the registry; the
function then holds the effective values the asynchronous path reads
(``maximum_retry_attempts``, ``maximum_event_age_in_seconds``,
``on_success``, ``on_failure``, ``dead_letter_target``).

A FIFO queue or topic is accepted here, as AWS accepts it; AWS does not
support one as a target, so each delivery to it fails at run time (counted
in ``DestinationDeliveryFailures`` or ``DeadLetterErrors``, see
:mod:`.destinations`).
"""

from __future__ import annotations

from typing import Any

from ...config import (
    DEFAULT_MAXIMUM_EVENT_AGE,
    DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
    EventInvokeConfig,
    validate,
)
from ...errors import InvalidParameterValueException, ResourceNotFoundException
from ..compute.functions import Function
from ..registry import Registry

__all__ = [
    "DESTINATION_KINDS",
    "DLQ_KINDS",
    "apply_event_invoke_config",
    "build_event_invoke_config",
    "dead_letter_target",
    "describe_event_invoke_config",
    "existing_event_invoke_config",
]

#: What each destination accepts, by resource kind.
DESTINATION_KINDS = {
    "on_success": ("sqs", "sns", "events", "lambda"),
    "on_failure": ("sqs", "sns", "events", "lambda", "s3"),
}
DLQ_KINDS = ("sqs", "sns")


def build_event_invoke_config(
    registry: Registry,
    fn: Function,
    retries: int | None,
    age: int | None,
    destinations: dict | None,
    current: EventInvokeConfig | None,
) -> EventInvokeConfig:
    """The validated config; ``destinations`` None keeps ``current``'s destinations."""
    on_success = current.on_success if current else None
    on_failure = current.on_failure if current else None
    if destinations is not None:
        on_success, on_failure = _destination_arns(registry, fn, destinations)
    if retries is None and age is None and on_success is None and on_failure is None:
        raise InvalidParameterValueException(
            "You must specify at least one of error handling or destination setting."
        )
    return validate(
        EventInvokeConfig,
        maximum_retry_attempts=retries,
        maximum_event_age_in_seconds=age,
        on_success=on_success,
        on_failure=on_failure,
    )


def _destination_arns(
    registry: Registry, fn: Function, config: Any
) -> tuple[str | None, str | None]:
    if not isinstance(config, dict):
        raise InvalidParameterValueException(
            f"destination_config must be a dict such as {{'on_failure': queue}}, got {config!r}"
        )
    out: dict[str, str | None] = {"on_success": None, "on_failure": None}
    for key, value in config.items():
        field = {"OnSuccess": "on_success", "OnFailure": "on_failure"}.get(key, key)
        if field not in out:
            raise InvalidParameterValueException(
                f"destination_config keys must be on_success or on_failure, got {key!r}"
            )
        if isinstance(value, dict):
            value = value.get("Destination")
        if value is None:
            continue
        target = registry.resolve(value, f"destination_config.{field}")
        if target is fn:
            raise InvalidParameterValueException(
                "You can't specify the function as a destination for itself."
            )
        if target.kind not in DESTINATION_KINDS[field]:
            raise InvalidParameterValueException(
                f"The destination ARN {target.arn} is invalid: {field} accepts "
                f"{', '.join(DESTINATION_KINDS[field])} targets, got {target.kind}"
            )
        out[field] = target.arn
    return out["on_success"], out["on_failure"]


def apply_event_invoke_config(
    registry: Registry, fn: Function, config: EventInvokeConfig | None
) -> dict[str, Any]:
    """Give ``fn`` the effective settings of ``config`` (None: AWS's defaults)."""
    fn.event_invoke_config = config
    fn.maximum_retry_attempts = (
        config.effective_retry_attempts if config else DEFAULT_MAXIMUM_RETRY_ATTEMPTS
    )
    fn.maximum_event_age_in_seconds = (
        config.effective_event_age if config else DEFAULT_MAXIMUM_EVENT_AGE
    )
    resources = registry.resources
    fn.on_success = resources[config.on_success] if config and config.on_success else None
    fn.on_failure = resources[config.on_failure] if config and config.on_failure else None
    return describe_event_invoke_config(fn, config) if config else {}


def existing_event_invoke_config(fn: Function) -> EventInvokeConfig:
    """The function's config, or ``ResourceNotFoundException`` as AWS answers."""
    if fn.event_invoke_config is None:
        raise ResourceNotFoundException(f"The function {fn.arn} doesn't have an EventInvokeConfig")
    return fn.event_invoke_config


def dead_letter_target(registry: Registry, config: Any) -> Any:
    """The DLQ that ``{"TargetArn": arn}``, a resource or an ARN names."""
    value = (
        config.get("TargetArn", config.get("target_arn")) if isinstance(config, dict) else config
    )
    target = registry.resolve(value, "dead_letter_config.TargetArn")
    if target.kind not in DLQ_KINDS:
        raise InvalidParameterValueException(
            f"The dead-letter target {target.arn} is invalid: a DLQ must be an SQS queue "
            f"or an SNS topic, got {target.kind}"
        )
    return target


def describe_event_invoke_config(fn: Function, config: EventInvokeConfig) -> dict[str, Any]:
    """The config as ``GetFunctionEventInvokeConfig`` returns it: only fields that are set."""
    out: dict[str, Any] = {"FunctionArn": fn.qualified_arn}
    if config.maximum_retry_attempts is not None:
        out["MaximumRetryAttempts"] = config.maximum_retry_attempts
    if config.maximum_event_age_in_seconds is not None:
        out["MaximumEventAgeInSeconds"] = config.maximum_event_age_in_seconds
    destinations = {}
    if config.on_success:
        destinations["OnSuccess"] = {"Destination": config.on_success}
    if config.on_failure:
        destinations["OnFailure"] = {"Destination": config.on_failure}
    out["DestinationConfig"] = destinations
    return out
