"""The asynchronous half of ``Lab``: event invoke configs, DLQs and the resources
that receive records (queues, topics, event buses, buckets)."""

from __future__ import annotations

from typing import Any

from .config import EventInvokeConfig, validate
from .errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from .sim.asynchronous import AsyncInvoker
from .sim.functions import Function
from .sim.payloads import MAX_ASYNC_REQUEST_BYTES, encode_payload
from .sim.sqs import Queue
from .sim.sync import InvocationResponse
from .sim.targets import Bucket, EventBus, Resource, Topic, World

__all__ = ["AsyncApi"]

_UNSET: Any = object()
_DESTINATION_KINDS = {
    "on_success": ("sqs", "sns", "events", "lambda"),
    "on_failure": ("sqs", "sns", "events", "lambda", "s3"),
}
_DLQ_KINDS = ("sqs", "sns")


class AsyncApi:
    """Mixed into ``Lab``: everything asynchronous invocation needs."""

    def _init_async(self) -> None:
        cfg = self.config
        self.resources: dict[str, Any] = {}
        self.world = World(
            self.engine,
            self.clock,
            lambda name, body, source: self._submit_event(self.get_function(name), body, source),
            cfg.region,
            cfg.account_id,
        )
        self._async = AsyncInvoker(self.service, self.clock, cfg.duplicate_delivery_probability)

    # -- invoking ----------------------------------------------------------------
    def _submit_event(self, fn: Function | str, payload: Any, source: str | None = None) -> str:
        """Queue an asynchronous event (checked against the 1 MB quota); its request id."""
        if isinstance(fn, str):
            fn = self.get_function(fn)
        body = encode_payload(payload, MAX_ASYNC_REQUEST_BYTES)
        return self._async.submit(fn, body, source)

    def _invoke_event(self, fn: Function, payload: Any) -> InvocationResponse:
        request_id = self._submit_event(fn, payload)
        return InvocationResponse(
            status_code=202,
            request_id=request_id,
            payload=None,
            executed_version=None,
            function_name=fn.name,
            start=self.engine.now,
            end=self.engine.now,
        )

    # -- event invoke config -------------------------------------------------------
    def put_function_event_invoke_config(
        self,
        function_name: str,
        maximum_retry_attempts: int | None = None,
        maximum_event_age_in_seconds: int | None = None,
        destination_config: dict | None = None,
    ) -> dict[str, Any]:
        """Replace the function's asynchronous settings: fields left out are removed."""
        fn = self.get_function(function_name)
        config = self._event_invoke_config(
            fn, maximum_retry_attempts, maximum_event_age_in_seconds, destination_config, None
        )
        return self._apply_event_invoke_config(fn, config)

    def update_function_event_invoke_config(
        self,
        function_name: str,
        maximum_retry_attempts: int | None = _UNSET,
        maximum_event_age_in_seconds: int | None = _UNSET,
        destination_config: dict | None = _UNSET,
    ) -> dict[str, Any]:
        """Change only the given fields of the function's asynchronous settings."""
        fn = self.get_function(function_name)
        current = fn.event_invoke_config or EventInvokeConfig()
        retries = current.maximum_retry_attempts
        age = current.maximum_event_age_in_seconds
        if maximum_retry_attempts is not _UNSET:
            retries = maximum_retry_attempts
        if maximum_event_age_in_seconds is not _UNSET:
            age = maximum_event_age_in_seconds
        destinations = None if destination_config is _UNSET else destination_config
        config = self._event_invoke_config(fn, retries, age, destinations, current)
        return self._apply_event_invoke_config(fn, config)

    def get_function_event_invoke_config(self, function_name: str) -> dict[str, Any]:
        fn = self.get_function(function_name)
        if fn.event_invoke_config is None:
            raise ResourceNotFoundException(
                f"The function {fn.arn} doesn't have an EventInvokeConfig"
            )
        return _describe(fn, fn.event_invoke_config)

    def delete_function_event_invoke_config(self, function_name: str) -> None:
        fn = self.get_function(function_name)
        if fn.event_invoke_config is None:
            raise ResourceNotFoundException(
                f"The function {fn.arn} doesn't have an EventInvokeConfig"
            )
        self._apply_event_invoke_config(fn, None)

    def _event_invoke_config(
        self,
        fn: Function,
        retries: int | None,
        age: int | None,
        destinations: dict | None,
        current: EventInvokeConfig | None,
    ) -> EventInvokeConfig:
        on_success = current.on_success if current else None
        on_failure = current.on_failure if current else None
        if destinations is not None:
            on_success, on_failure = self._destination_arns(fn, destinations)
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

    def _destination_arns(self, fn: Function, config: dict) -> tuple[str | None, str | None]:
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
            target = self._resolve_target(value, f"destination_config.{field}")
            if target is fn:
                raise InvalidParameterValueException(
                    "You can't specify the function as a destination for itself."
                )
            if target.kind not in _DESTINATION_KINDS[field]:
                raise InvalidParameterValueException(
                    f"The destination ARN {target.arn} is invalid: {field} accepts "
                    f"{', '.join(_DESTINATION_KINDS[field])} targets, got {target.kind}"
                )
            _refuse_fifo(target, f"destination_config.{field}")
            out[field] = target.arn
        return out["on_success"], out["on_failure"]

    def _apply_event_invoke_config(
        self, fn: Function, config: EventInvokeConfig | None
    ) -> dict[str, Any]:
        fn.event_invoke_config = config
        fn.maximum_retry_attempts = config.effective_retry_attempts if config else 2
        fn.maximum_event_age_in_seconds = config.effective_event_age if config else 21600
        fn.on_success = self.resources[config.on_success] if config and config.on_success else None
        fn.on_failure = self.resources[config.on_failure] if config and config.on_failure else None
        return _describe(fn, config) if config else {}

    def _resolve_target(self, value: Any, field: str) -> Any:
        arn = getattr(value, "arn", value)
        if not isinstance(arn, str):
            raise InvalidParameterValueException(
                f"{field} must be a resource of this lab or its ARN, got {value!r}"
            )
        target = self.resources.get(arn)
        if target is None:
            raise InvalidParameterValueException(f"The destination ARN {arn} is invalid.")
        return target

    def _dead_letter_target(self, config: Any) -> Any:
        value = (
            config.get("TargetArn", config.get("target_arn"))
            if isinstance(config, dict)
            else config
        )
        target = self._resolve_target(value, "dead_letter_config.TargetArn")
        if target.kind not in _DLQ_KINDS:
            raise InvalidParameterValueException(
                f"The dead-letter target {target.arn} is invalid: a DLQ must be an SQS queue "
                f"or an SNS topic, got {target.kind}"
            )
        _refuse_fifo(target, "dead_letter_config.TargetArn")
        return target

    def update_function_configuration(
        self,
        function_name: str,
        *,
        dead_letter_config: Any = _UNSET,
        duplicate_delivery_probability: float | None = _UNSET,
    ) -> Function:
        """Change the function's DLQ (``{"TargetArn": arn}``, a resource, or None) and
        its own duplicate-delivery probability (None: the lab's)."""
        fn = self.get_function(function_name)
        dlq = fn.dead_letter_target
        if dead_letter_config is not _UNSET:
            dlq = self._dead_letter_target(dead_letter_config) if dead_letter_config else None
        probability = fn.duplicate_probability
        if duplicate_delivery_probability is not _UNSET:
            if duplicate_delivery_probability is not None and not (
                0 <= duplicate_delivery_probability <= 1
            ):
                raise InvalidParameterValueException(
                    "duplicate_delivery_probability must be between 0 and 1, "
                    f"got {duplicate_delivery_probability!r}"
                )
            probability = duplicate_delivery_probability
        fn.dead_letter_target, fn.duplicate_probability = dlq, probability
        return fn

    # -- resources -----------------------------------------------------------------
    def _register(self, resource: Resource) -> Any:
        if resource.arn in self.resources:
            raise ResourceConflictException(f"{resource.arn} already exists")
        self.resources[resource.arn] = resource
        return resource

    def create_queue(
        self,
        queue_name: str,
        *,
        visibility_timeout: int = 30,
        message_retention_period: int = 345600,
        redrive_policy: dict | None = None,
    ) -> Queue:
        """An SQS queue (a name ending in ``.fifo`` makes a FIFO queue).

        ``redrive_policy={"deadLetterTargetArn": dlq, "maxReceiveCount": 5}``
        moves a message to ``dlq`` once it has been received that many times.
        """
        _check_name("queue_name", queue_name, 80)
        if not 0 <= visibility_timeout <= 43200:
            raise InvalidParameterValueException(
                f"visibility_timeout must be between 0 and 43200, got {visibility_timeout!r}"
            )
        if not 60 <= message_retention_period <= 1209600:
            raise InvalidParameterValueException(
                "message_retention_period must be between 60 and 1209600, "
                f"got {message_retention_period!r}"
            )
        queue = Queue(
            queue_name,
            self.world,
            visibility_timeout=visibility_timeout,
            message_retention_period=message_retention_period,
            redrive_policy=redrive_policy,
        )
        if redrive_policy is not None:
            dlq = self._resolve_target(
                redrive_policy.get("deadLetterTargetArn"), "redrive_policy.deadLetterTargetArn"
            )
            count = redrive_policy.get("maxReceiveCount")
            if not isinstance(dlq, Queue) or dlq.fifo != queue.fifo:
                raise InvalidParameterValueException(
                    "redrive_policy.deadLetterTargetArn must be a queue of the same type"
                )
            if not isinstance(count, int) or not 1 <= count <= 1000:
                raise InvalidParameterValueException(
                    f"redrive_policy.maxReceiveCount must be between 1 and 1000, got {count!r}"
                )
            queue.dead_letter_queue, queue.max_receive_count = dlq, count
        return self._register(queue)

    def create_topic(self, name: str) -> Topic:
        """An SNS topic (a name ending in ``.fifo`` makes a FIFO topic)."""
        _check_name("name", name, 256)
        return self._register(Topic(name, self.world))

    def create_event_bus(self, name: str = "default") -> EventBus:
        """An EventBridge event bus that keeps every event put on it."""
        _check_name("name", name, 256)
        return self._register(EventBus(name, self.world))

    def create_bucket(self, bucket: str) -> Bucket:
        """An S3 bucket."""
        _check_name("bucket", bucket, 63)
        return self._register(Bucket(bucket, self.world))


def _check_name(field: str, value: Any, longest: int) -> None:
    if not isinstance(value, str) or not 1 <= len(value) <= longest:
        raise InvalidParameterValueException(
            f"{field} must be a string of 1 to {longest} characters, got {value!r}"
        )


def _refuse_fifo(target: Any, field: str) -> None:
    if getattr(target, "fifo", False):
        raise InvalidParameterValueException(
            f"{field}: FIFO queues and topics are not supported as destinations or "
            f"dead-letter targets, got {target.arn}"
        )


def _describe(fn: Function, config: EventInvokeConfig) -> dict[str, Any]:
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
