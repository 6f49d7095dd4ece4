"""``LabConfig``: the settings of one virtual world (an AWS account in one Region)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from .base import Settings

__all__ = ["DEFAULT_START_TIME", "LabConfig"]

#: Simulated wall-clock instant of virtual time 0.
DEFAULT_START_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


class LabConfig(Settings):
    """Settings of one virtual world (an AWS account in one Region)."""

    seed: int = Field(0, description="Seed of every random draw; same seed, same trace.")
    region: str = Field("us-east-1", min_length=1)
    account_id: str = Field("123456789012", pattern=r"^\d{12}$")
    start_time: dt.datetime = Field(
        DEFAULT_START_TIME,
        description="Simulated wall-clock instant of virtual time 0 (timezone-aware).",
    )

    @field_validator("start_time")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("must be timezone-aware (e.g. tzinfo=timezone.utc)")
        return value

    concurrent_executions: int = Field(
        1000, ge=100, le=1_000_000, description="Account concurrency quota (AWS default 1,000)."
    )
    scaling_rate: int = Field(
        1000,
        ge=1,
        le=1_000_000,
        description="New execution environments a function may add per 10 s (AWS: 1,000).",
    )
    keep_alive_seconds: float = Field(
        600.0,
        ge=0,
        le=86_400,
        description=(
            "How long an idle execution environment is kept before it is reclaimed. "
            "AWS does not document this; 600 s is a plausible, configurable choice."
        ),
    )
    init_timeout_seconds: float = Field(
        10.0, gt=0, le=900, description="Limit of the Init phase (AWS: 10 s)."
    )
    hang_guard_seconds: float = Field(
        3.0,
        gt=0,
        le=600,
        description=(
            "Real (wall-clock) seconds a handler may run before it is interrupted and "
            "reported as a timeout; keeps the kernel usable when a handler loops forever."
        ),
    )
    service_error_probability: float = Field(
        0.0,
        ge=0,
        le=1,
        description=(
            "Chance that the Lambda service itself fails a request with 500 ServiceException "
            "before the function runs (a system error: clients retry it, the asynchronous "
            "queue backs off as for a throttle)."
        ),
    )
    duplicate_delivery_probability: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Chance that an asynchronous event is delivered once more with no error.",
    )
    echo_logs: bool = Field(
        True,
        description=(
            "Also show handler output (print, logging) in the notebook; it always goes to "
            "the function's log stream (lab.logs())."
        ),
    )
