"""lambda_lab: learn how AWS Lambda is invoked, by simulation in virtual time."""

from __future__ import annotations

from .config import ClientConfig, EventInvokeConfig, LabConfig
from .errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    LambdaLabError,
    RequestTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    ServiceError,
    ServiceException,
    TooManyRequestsException,
    ValidationException,
)
from .lab import Lab
from .sim.context import LambdaContext
from .sim.durations import Distribution, Exponential, Fixed, LogNormal, Normal, Uniform
from .sim.sync import InvocationResponse

__version__ = "0.1.0"

__all__ = [
    "ClientConfig",
    "Distribution",
    "EventInvokeConfig",
    "Exponential",
    "Fixed",
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "InvocationResponse",
    "Lab",
    "LabConfig",
    "LambdaContext",
    "LambdaLabError",
    "LogNormal",
    "Normal",
    "RequestTooLargeException",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "ServiceError",
    "ServiceException",
    "TooManyRequestsException",
    "Uniform",
    "ValidationException",
    "__version__",
]
