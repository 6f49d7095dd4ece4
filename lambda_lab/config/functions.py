"""Function settings: ``CreateFunction``, concurrency, asynchronous configuration."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ..errors import InvalidParameterValueException, ServiceError
from .base import Settings

__all__ = [
    "DEFAULT_MAXIMUM_EVENT_AGE",
    "DEFAULT_MAXIMUM_RETRY_ATTEMPTS",
    "DEFAULT_MEMORY_SIZE",
    "DEFAULT_TIMEOUT",
    "ConcurrencySettings",
    "EventInvokeConfig",
    "FunctionConfigurationSettings",
    "FunctionSettings",
]

#: ``CreateFunction``'s defaults: 3 s and 128 MB.
DEFAULT_TIMEOUT = 3
DEFAULT_MEMORY_SIZE = 128
#: Asynchronous invocation without an event invoke config: 2 retries, events kept 6 h.
DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 2
DEFAULT_MAXIMUM_EVENT_AGE = 21600


class FunctionSettings(Settings):
    """The settings of ``CreateFunction`` that AWS constrains."""

    function_name: str = Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")
    timeout: int = Field(DEFAULT_TIMEOUT, ge=1, le=900, description="Seconds (default 3).")
    memory_size: int = Field(DEFAULT_MEMORY_SIZE, ge=128, le=10240, description="MB (128).")
    reserved_concurrency: int | None = Field(None, ge=0, alias="reservedConcurrentExecutions")


class ConcurrencySettings(Settings):
    """``PutFunctionConcurrency``: the function's reserved concurrency."""

    reserved_concurrent_executions: int = Field(ge=0)


class FunctionConfigurationSettings(Settings):
    """Our own per-function knobs of ``update_function_configuration`` (not AWS's).

    ``duplicate_delivery_probability`` None means: use the lab's.
    """

    refusal: ClassVar[type[ServiceError]] = InvalidParameterValueException

    duplicate_delivery_probability: float | None = Field(None, ge=0, le=1)


class EventInvokeConfig(Settings):
    """``PutFunctionEventInvokeConfig``: retries and age of asynchronous events.

    A field left as ``None`` is not set: Lambda then uses its default (2
    retries, 21,600 s).  ``on_success`` / ``on_failure`` hold destination ARNs.
    """

    maximum_retry_attempts: int | None = Field(None, ge=0, le=2)
    maximum_event_age_in_seconds: int | None = Field(None, ge=60, le=21600)
    on_success: str | None = Field(None, max_length=350)
    on_failure: str | None = Field(None, max_length=350)

    @property
    def effective_retry_attempts(self) -> int:
        """The retries Lambda makes: the setting, or AWS's default 2."""
        if self.maximum_retry_attempts is None:
            return DEFAULT_MAXIMUM_RETRY_ATTEMPTS
        return self.maximum_retry_attempts

    @property
    def effective_event_age(self) -> int:
        """The age after which an event is dropped: the setting, or 21,600 s."""
        if self.maximum_event_age_in_seconds is None:
            return DEFAULT_MAXIMUM_EVENT_AGE
        return self.maximum_event_age_in_seconds
