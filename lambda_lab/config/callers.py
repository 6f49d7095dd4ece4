"""Caller settings: simulated SDK clients, traffic, and API Gateway."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Settings

__all__ = [
    "DEFAULT_INTEGRATION_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "ApiGatewaySettings",
    "ClientConfig",
    "TrafficSettings",
]

#: API Gateway's default (and, without a quota increase, largest) integration timeout.
DEFAULT_INTEGRATION_TIMEOUT = 29.0
#: botocore's default read timeout.
DEFAULT_READ_TIMEOUT = 60.0


class ClientConfig(Settings):
    """A simulated SDK client: botocore's retry modes and read timeout.

    As in botocore's ``Config(retries={...})``, ``max_attempts`` counts
    *retries* after the first call (so ``max_attempts=0`` turns retrying off,
    the fact sheet's fix for the read-timeout trap) and ``total_max_attempts``
    counts every call; when both are given ``total_max_attempts`` wins.
    Without either, legacy makes 5 calls, standard 3 and none 1.
    """

    mode: Literal["legacy", "standard", "none"] = "legacy"
    max_attempts: int | None = Field(
        None, ge=0, le=99, description="Retries after the first call (botocore's meaning)."
    )
    total_max_attempts: int | None = Field(
        None, ge=1, le=100, description="Calls in all, the first included."
    )
    read_timeout: float = Field(
        DEFAULT_READ_TIMEOUT, gt=0, le=3600, description="botocore default: 60 s."
    )

    @property
    def total_attempts(self) -> int:
        """How many calls the client makes at most."""
        if self.total_max_attempts is not None:
            return self.total_max_attempts
        if self.max_attempts is not None:
            return self.max_attempts + 1
        return {"legacy": 5, "standard": 3, "none": 1}[self.mode]


class TrafficSettings(Settings):
    """Settings of simulated load: arrival patterns and ``TrafficGenerator``.

    Every field is optional so each pattern validates only what it takes.
    The rate ceiling is ours: it keeps a run's heap and trace within reach of
    a notebook, not an AWS quota.
    """

    rate: float | None = Field(None, gt=0, le=100_000, description="Arrivals per second.")
    count: int | None = Field(None, ge=1, le=1_000_000, description="Number of arrivals.")
    at: float | None = Field(None, ge=0, allow_inf_nan=False, description="Seconds after start.")
    spread: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="Seconds a burst is spread over."
    )
    start: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="Virtual time pattern offsets count from."
    )
    stop: float | None = Field(None, ge=0, description="No arrival at or after this time.")
    invocation_type: Literal["RequestResponse", "Event"] = "RequestResponse"


class ApiGatewaySettings(Settings):
    """An API Gateway REST API in front of one function (Lambda proxy integration).

    The integration timeout is 50 ms to 29 s by default.  Since 4 June 2024 a
    Regional or private REST API may raise the 29 s ceiling with a Service
    Quotas request (``max_integration_timeout``); 300 s is the highest value
    reported (unconfirmed in AWS's reference docs).
    """

    integration_timeout: float = Field(
        DEFAULT_INTEGRATION_TIMEOUT,
        ge=0.05,
        allow_inf_nan=False,
        description="Seconds (default 29).",
    )
    max_integration_timeout: float = Field(
        DEFAULT_INTEGRATION_TIMEOUT,
        ge=29,
        le=300,
        description="The account's quota for the integration timeout.",
    )
