"""Event source mapping settings: ``CreateEventSourceMapping``'s parameters and ranges.

The model checks each parameter on its own (types, the API's raw ranges);
the rules that depend on the source (batch size maxima, FIFO, stream-only
settings, the queue's visibility timeout) need the resolved source and live
with the pollers, in :mod:`lambda_lab.sim.mappings.rules`.  A parameter left
out is ``None`` here, so those rules can tell "not given" from a default and
fill in the source's own default.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_pascal

from ..errors import InvalidParameterValueException, ServiceError
from .base import Settings

__all__ = [
    "BATCH_SIZE_DEFAULTS",
    "SQS_MAXIMUM_CONCURRENCY_DEFAULT",
    "EventSourceMappingSettings",
    "ScalingConfig",
]

#: ``BatchSize`` defaults per source kind (fact sheet 3.1).
BATCH_SIZE_DEFAULTS = {"sqs": 10, "kinesis": 100, "dynamodb": 100, "kafka": 100}
#: Pollers of one SQS mapping keep at most this many batches in flight (fact sheet 3.2).
SQS_MAXIMUM_CONCURRENCY_DEFAULT = 1250


class ScalingConfig(Settings):
    """``ScalingConfig``: ``{"MaximumConcurrency": 2..1000}`` (SQS only)."""

    # AWS spells this one's key in PascalCase: {"MaximumConcurrency": 5}.
    model_config = ConfigDict(**{**Settings.model_config, "alias_generator": to_pascal})
    refusal: ClassVar[type[ServiceError]] = InvalidParameterValueException

    maximum_concurrency: int = Field(ge=2, le=1000)


class EventSourceMappingSettings(Settings):
    """The parameters of ``create_event_source_mapping`` in their raw API ranges."""

    refusal: ClassVar[type[ServiceError]] = InvalidParameterValueException

    event_source_arn: Any = Field(description="The source, or its ARN.")
    function_name: str = Field(min_length=1)
    enabled: bool = True
    batch_size: int | None = Field(None, ge=1, le=10000)
    maximum_batching_window_in_seconds: int | None = Field(None, ge=0, le=300)
    function_response_types: list[Literal["ReportBatchItemFailures"]] | None = Field(
        None, max_length=1
    )
    scaling_config: ScalingConfig | None = None
    filter_criteria: dict[str, Any] | None = None
    starting_position: Literal["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"] | None = None
    starting_position_timestamp: float | None = None
    parallelization_factor: int | None = Field(None, ge=1, le=10)
    maximum_retry_attempts: int | None = Field(None, ge=-1, le=10000)
    maximum_record_age_in_seconds: int | None = Field(None, ge=-1, le=604800)
    bisect_batch_on_function_error: bool | None = None
    destination_config: Any = None
    tumbling_window_in_seconds: int | None = Field(None, ge=0, le=900)
    topics: list[str] | None = Field(None, min_length=1, max_length=1)
