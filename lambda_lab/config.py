"""Every setting of the simulated world, as pydantic models with AWS's ranges.

Field names are boto3's parameter names in snake_case; aliases are the API's
camelCase names, used in AWS-style error messages.  Defaults are AWS's
defaults (see ``shared/spec/aws-lambda-facts.md``); settings AWS does not
document (keep-alive, the real-time hang guard) are ours and say so.

:func:`validate` turns a pydantic failure into a :class:`ValidationException`
whose message reads like AWS's and also names the field, the value and the
allowed range, e.g. ``... (maximum_retry_attempts must be between 0 and 2,
got 3)``.  Validation always happens before any state changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from .errors import ValidationException

__all__ = [
    "ClientConfig",
    "EventInvokeConfig",
    "FunctionSettings",
    "LabConfig",
    "validate",
]

M = TypeVar("M", bound=BaseModel)

DEFAULT_START_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
#: API Gateway's default (and, without a quota increase, largest) integration timeout.
DEFAULT_INTEGRATION_TIMEOUT = 29.0


class _Settings(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, value: Any, info: Any) -> Any:
        # pydantic's lax mode reads True as 1: a timeout of True is a mistake, not 1 s.
        if isinstance(value, bool):
            annotation = cls.model_fields[info.field_name].annotation
            if annotation is not bool:
                raise ValueError("Input should be a number, not a boolean")
        return value


class LabConfig(_Settings):
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
            raise ValueError("start_time must be timezone-aware (e.g. tzinfo=timezone.utc)")
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


class FunctionSettings(_Settings):
    """The numeric settings of ``CreateFunction`` that AWS constrains."""

    function_name: str = Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")
    timeout: int = Field(3, ge=1, le=900)
    memory_size: int = Field(128, ge=128, le=10240)
    reserved_concurrency: int | None = Field(None, ge=0, alias="reservedConcurrentExecutions")


class EventInvokeConfig(_Settings):
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
        return 2 if self.maximum_retry_attempts is None else self.maximum_retry_attempts

    @property
    def effective_event_age(self) -> int:
        return (
            21600
            if self.maximum_event_age_in_seconds is None
            else self.maximum_event_age_in_seconds
        )


class ClientConfig(_Settings):
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
    read_timeout: float = Field(60.0, gt=0, le=3600, description="botocore default: 60 s.")

    @property
    def total_attempts(self) -> int:
        """How many calls the client makes at most."""
        if self.total_max_attempts is not None:
            return self.total_max_attempts
        if self.max_attempts is not None:
            return self.max_attempts + 1
        return {"legacy": 5, "standard": 3, "none": 1}[self.mode]


def _num(value: Any) -> str:
    """A bound as it was declared: 1000000 not 1e+06, 0 not 0.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _allowed(field: Any) -> str | None:
    """The allowed range of a pydantic field, as prose, from its constraints."""
    lo = hi = None
    lo_open = hi_open = False
    for meta in getattr(field, "metadata", ()):
        for name in ("ge", "gt", "le", "lt"):
            value = getattr(meta, name, None)
            if value is None:
                continue
            if name in ("ge", "gt"):
                lo, lo_open = value, name == "gt"
            else:
                hi, hi_open = value, name == "lt"
    if lo is not None and hi is not None and not (lo_open or hi_open):
        return f"between {_num(lo)} and {_num(hi)}"
    parts = []
    if lo is not None:
        parts.append(f"{'greater than' if lo_open else 'at least'} {_num(lo)}")
    if hi is not None:
        parts.append(f"{'less than' if hi_open else 'at most'} {_num(hi)}")
    return " and ".join(parts) or None


_CONSTRAINT = {
    "less_than_equal": "Member must have value less than or equal to {le}",
    "greater_than_equal": "Member must have value greater than or equal to {ge}",
    "less_than": "Member must have value less than {lt}",
    "greater_than": "Member must have value greater than {gt}",
    "string_too_long": "Member must have length less than or equal to {max_length}",
    "string_too_short": "Member must have length greater than or equal to {min_length}",
    "string_pattern_mismatch": "Member must satisfy regular expression pattern: {pattern}",
}


def validate(model: type[M], /, **values: Any) -> M:
    """Build ``model`` from snake_case ``values`` or raise AWS's ValidationException.

    The message starts as AWS's does (``1 validation error detected: Value '3'
    at 'maximumRetryAttempts' failed to satisfy constraint: ...``) and ends
    with the plain form ``(maximum_retry_attempts must be between 0 and 2,
    got 3)``.
    """
    try:
        return model(**values)
    except ValidationError as exc:
        raise _translate(model, exc) from None


def _translate(model: type[BaseModel], exc: ValidationError) -> ValidationException:
    aws, plain = [], []
    for err in exc.errors(include_url=False):
        name = str(err["loc"][0]) if err["loc"] else "?"
        field = model.model_fields.get(name)
        alias = (field.alias if field and field.alias else to_camel(name)) if field else name
        value = err.get("input")
        template = _CONSTRAINT.get(err["type"])
        ctx = {k: _num(v) for k, v in (err.get("ctx") or {}).items()}
        constraint = template.format(**ctx) if template else err["msg"]
        aws.append(f"Value '{value}' at '{alias}' failed to satisfy constraint: {constraint}")
        allowed = _allowed(field) if field else None
        if err["type"] == "extra_forbidden":
            plain.append(f"{name} is not a known setting of {model.__name__}")
        elif allowed and err["type"] in _CONSTRAINT:
            plain.append(f"{name} must be {allowed}, got {value!r}")
        else:
            plain.append(f"{name}: {err['msg']}, got {value!r}")
    count = len(aws)
    head = f"{count} validation error{'s' if count > 1 else ''} detected: "
    return ValidationException(head + "; ".join(aws) + " (" + "; ".join(plain) + ")")


class TrafficSettings(_Settings):
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


class ApiGatewaySettings(_Settings):
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
