"""Settings of the labs' ready-made scenarios: our own knobs, not AWS's.

A lab's knobs come from the models of what they set (a function's
``timeout`` from :class:`~.functions.FunctionSettings`, retries from
:class:`~.functions.EventInvokeConfig`, a batch size from
:class:`~.mappings.EventSourceMappingSettings`); what a scenario itself
varies — how often the handler fails, how long it runs, whether it is
idempotent — is validated here, so a knob and a call share one range.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ..errors import InvalidParameterValueException, ServiceError
from .base import Settings

__all__ = ["ScenarioSettings"]


class ScenarioSettings(Settings):
    """What a lab's scenario varies besides AWS's own settings."""

    refusal: ClassVar[type[ServiceError]] = InvalidParameterValueException

    failure_rate: float = Field(
        0.0, ge=0, le=1, description="Share of invocations (or records) whose handler raises."
    )
    duration: float = Field(0.1, ge=0, le=900, description="Seconds one invocation runs.")
    duration_per_record: float = Field(
        0.0, ge=0, le=900, description="Seconds a batch handler spends on each record."
    )
    idempotent: bool = Field(False, description="The handler sets a value instead of adding.")
    requests: int = Field(10, ge=1, le=1000, description="Requests, events or messages sent.")
    poison_record: bool = Field(False, description="One record always fails.")
    partial_batch_response: bool = Field(
        False, description="The handler reports failed records (ReportBatchItemFailures)."
    )
