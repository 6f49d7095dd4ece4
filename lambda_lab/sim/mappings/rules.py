"""The rules of ``CreateEventSourceMapping`` that depend on the source.

:func:`effective_config` takes the model-checked parameters (every one
``None`` when not given) and the resolved source and function, refuses what
AWS refuses for that source, in AWS's words (fact sheet 7.6) plus our plain
form, and fills in the source's defaults.  Nothing changes state here.
"""

from __future__ import annotations

from typing import Any

from ...config import BATCH_SIZE_DEFAULTS, EventSourceMappingSettings
from ...errors import InvalidParameterValueException
from .base import MappingConfig

__all__ = ["POLLED", "STREAM_ONLY", "UNKNOWN_SOURCE", "effective_config", "source_kind"]

#: How an ``event_source_arn`` that names nothing in the lab is refused, for
#: ``Registry.resolve``.  AWS words this per service and the fact sheet
#: records none of them (UNCONFIRMED), so the wording is ours.
UNKNOWN_SOURCE = (
    "The event source ARN {arn} is invalid: no queue, stream, table stream or Kafka "
    "cluster of this lab has it ({field})"
)

#: Parameters that apply to streams and Kafka only, with their API names.
STREAM_ONLY = {
    "starting_position": "StartingPosition",
    "starting_position_timestamp": "StartingPositionTimestamp",
    "parallelization_factor": "ParallelizationFactor",
    "maximum_retry_attempts": "MaximumRetryAttempts",
    "maximum_record_age_in_seconds": "MaximumRecordAgeInSeconds",
    "bisect_batch_on_function_error": "BisectBatchOnFunctionError",
    "tumbling_window_in_seconds": "TumblingWindowInSeconds",
    "topics": "Topics",
}


#: What a mapping can poll (a DynamoDB *table* is not one: its stream is).
POLLED = ("sqs", "kinesis", "dynamodb-stream", "kafka")


def source_kind(source: Any) -> str:
    """``sqs``, ``kinesis``, ``dynamodb-stream`` or ``kafka``: what a mapping can poll."""
    kind = getattr(source, "kind", None)
    if kind in POLLED:
        return kind
    raise InvalidParameterValueException(
        "Unsupported event source type. (event_source_arn must be an SQS queue, a Kinesis "
        f"stream, a DynamoDB stream or a Kafka cluster, got {getattr(source, 'arn', source)!r})"
    )


def effective_config(
    settings: EventSourceMappingSettings, source: Any, function: Any, registry: Any = None
) -> MappingConfig:
    """The mapping's settings, checked against its source; see the module docstring."""
    kind = source_kind(source)
    if kind == "sqs":
        return _sqs(settings, source, function)
    if kind in ("kinesis", "dynamodb-stream"):
        if settings.topics is not None:
            raise InvalidParameterValueException(
                "Unsupported Topics parameter for given event source mapping type. "
                f"(topics applies to Kafka sources only, got {settings.topics!r})"
            )
        return _stream(settings, source, function, registry)
    return _kafka(settings, source, function, registry)


def _kafka(
    settings: EventSourceMappingSettings, cluster: Any, function: Any, registry: Any
) -> MappingConfig:
    if settings.topics is None:
        raise InvalidParameterValueException(
            "1 validation error detected: Value null at 'topics' failed to satisfy constraint: "
            "Member must not be null. (topics must name exactly one topic of the cluster)"
        )
    (topic,) = settings.topics
    if topic not in cluster.topics:
        raise InvalidParameterValueException(
            f"topics names a topic the cluster does not have: {topic!r} (topics: "
            f"{', '.join(cluster.topics) or 'none'})"
        )
    for field, api_name in (
        ("parallelization_factor", "ParallelizationFactor"),
        ("bisect_batch_on_function_error", "BisectBatchOnFunctionError"),
        ("tumbling_window_in_seconds", "TumblingWindowInSeconds"),
    ):
        if getattr(settings, field) is not None:
            raise InvalidParameterValueException(
                f"Unsupported {api_name} parameter for given event source mapping type. "
                f"({field} applies to Kinesis and DynamoDB sources only)"
            )
    base = settings.model_copy(
        update={
            "topics": None,
            "maximum_batching_window_in_seconds": (
                settings.maximum_batching_window_in_seconds
                if settings.maximum_batching_window_in_seconds is not None
                else 0  # replaced below: Kafka's default is 500 ms
            ),
        }
    )
    config = _stream(base, cluster, function, registry, kafka=True)
    config.topics = [topic]
    if settings.maximum_batching_window_in_seconds is None:
        config.maximum_batching_window_in_seconds = KAFKA_DEFAULT_WINDOW
    return config


#: MSK and self-managed Kafka batch for 500 ms by default (fact sheet 3.1).
KAFKA_DEFAULT_WINDOW = 0.5


def _stream(
    settings: EventSourceMappingSettings,
    source: Any,
    function: Any,
    registry: Any,
    kafka: bool = False,
) -> MappingConfig:
    arn = source.arn
    if settings.starting_position is None:
        raise InvalidParameterValueException(
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
            "constraint: Member must not be null. (starting_position must be TRIM_HORIZON, "
            "LATEST or AT_TIMESTAMP)"
        )
    if settings.starting_position == "AT_TIMESTAMP" and source.kind == "dynamodb-stream":
        raise InvalidParameterValueException(
            f"Unsupported starting position for arn type: {arn} (DynamoDB streams take "
            "TRIM_HORIZON or LATEST)"
        )
    for field, api_name in (("scaling_config", "ScalingConfig"),):
        if getattr(settings, field) is not None:
            raise InvalidParameterValueException(
                f"Unsupported {api_name} parameter for given event source mapping type. "
                f"({field} does not apply to {source.kind} sources)"
            )
    age = settings.maximum_record_age_in_seconds
    if age is not None and 0 <= age < 60:
        raise InvalidParameterValueException(
            "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 "
            f"(inclusive) (maximum_record_age_in_seconds got {age})"
        )
    batch_size = settings.batch_size or BATCH_SIZE_DEFAULTS["kinesis"]
    window = settings.maximum_batching_window_in_seconds or 0
    # The "over 10 needs a window" rule is SQS's here: 7.5 records a stream mapping
    # created with BatchSize 100 and no window.
    return MappingConfig(
        batch_size=batch_size,
        maximum_batching_window_in_seconds=window,
        report_batch_item_failures=bool(settings.function_response_types),
        filter_criteria=settings.filter_criteria,
        starting_position=settings.starting_position,
        starting_position_timestamp=settings.starting_position_timestamp,
        maximum_retry_attempts=(
            -1 if settings.maximum_retry_attempts is None else settings.maximum_retry_attempts
        ),
        maximum_record_age_in_seconds=-1 if age is None else age,
        bisect_batch_on_function_error=bool(settings.bisect_batch_on_function_error),
        on_failure=_on_failure(settings.destination_config, registry),
        parallelization_factor=settings.parallelization_factor or 1,
        tumbling_window_in_seconds=settings.tumbling_window_in_seconds or 0,
    )


def _on_failure(config: Any, registry: Any) -> Any:
    """The on-failure target of ``{"OnFailure": {"Destination": arn}}`` or ``{"on_failure": x}``."""
    if config is None:
        return None
    if not isinstance(config, dict) or set(config) - {"OnFailure", "on_failure", "OnSuccess",
                                                      "on_success"}:  # fmt: skip
        raise InvalidParameterValueException(
            f"destination_config must be {{'on_failure': target}}, got {config!r}"
        )
    if config.get("OnSuccess") or config.get("on_success"):
        raise InvalidParameterValueException(
            "Unsupported DestinationConfig parameter for given event source mapping type. "
            "(OnSuccess is not supported on event source mappings)"
        )
    value = config.get("OnFailure", config.get("on_failure"))
    if isinstance(value, dict):
        value = value.get("Destination")
    if value is None:
        return None
    if isinstance(value, str) and value.startswith("kafka://"):
        raise InvalidParameterValueException(
            "destination_config.on_failure: a Kafka topic (kafka://) as the on-failure "
            f"destination is valid on AWS but not simulated yet, got {value!r} (use an SQS "
            "queue, an SNS topic or an S3 bucket)"
        )
    target = registry.resolve(value, "destination_config.on_failure")
    if target.kind not in ("sqs", "sns", "s3"):
        raise InvalidParameterValueException(
            f"The destination ARN {target.arn} is invalid: a stream or Kafka mapping's on_failure "
            f"accepts sqs, sns or s3 targets, got {target.kind}"
        )
    return target


def _sqs(settings: EventSourceMappingSettings, queue: Any, function: Any) -> MappingConfig:
    for field, api_name in STREAM_ONLY.items():
        if getattr(settings, field) is not None:
            raise InvalidParameterValueException(
                f"Unsupported {api_name} parameter for given event source mapping type. "
                f"({field} applies to stream and Kafka sources only, got "
                f"{getattr(settings, field)!r})"
            )
    if settings.destination_config is not None:
        raise InvalidParameterValueException(
            "Unsupported DestinationConfig parameter for given event source mapping type. "
            "(an SQS mapping's failures go to the queue's dead-letter queue: set the queue's "
            "redrive_policy)"
        )
    batch_size = settings.batch_size or BATCH_SIZE_DEFAULTS["sqs"]
    window = settings.maximum_batching_window_in_seconds or 0
    if queue.fifo:
        if batch_size > 10:
            raise InvalidParameterValueException(
                "BatchSize must be less than or equal to 10 for FIFO queues. "
                f"(batch_size must be between 1 and 10 on a FIFO queue, got {batch_size})"
            )
        if window:
            raise InvalidParameterValueException(
                "Batching window is not supported for FIFO queues. "
                f"(maximum_batching_window_in_seconds must be 0 on a FIFO queue, got {window})"
            )
    elif batch_size > 10 and window < 1:
        raise InvalidParameterValueException(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
            f"greater than 10 (maximum_batching_window_in_seconds must be between 1 and 300 "
            f"with batch_size {batch_size}, got {window})"
        )
    if function.timeout > queue.visibility_timeout:
        raise InvalidParameterValueException(
            f"Queue visibility timeout: {queue.visibility_timeout} seconds is less than "
            f"Function timeout: {function.timeout} seconds (the function's timeout must be at "
            f"most the queue's visibility timeout; AWS advises 6 x the timeout)"
        )
    scaling = settings.scaling_config
    return MappingConfig(
        batch_size=batch_size,
        maximum_batching_window_in_seconds=window,
        report_batch_item_failures=bool(settings.function_response_types),
        filter_criteria=settings.filter_criteria,
        maximum_concurrency=scaling.maximum_concurrency if scaling is not None else None,
    )
