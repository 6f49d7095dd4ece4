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
from .sim.apigateway import ApiGateway, ApiResponse
from .sim.clients import ClientResult, ReadTimeoutError, SdkClient
from .sim.context import LambdaContext
from .sim.durations import Distribution, Exponential, Fixed, LogNormal, Normal, Uniform
from .sim.functions import Function
from .sim.sqs import Queue
from .sim.sync import InvocationResponse
from .sim.targets import Bucket, EventBus, Topic
from .sim.trace import Trace
from .sim.traffic import Burst, Constant, Poisson, Schedule, TrafficGenerator

__version__ = "0.1.0"

__all__ = [
    "ApiGateway",
    "ApiResponse",
    "Bucket",
    "Burst",
    "ClientConfig",
    "ClientResult",
    "Constant",
    "Distribution",
    "EventBus",
    "EventInvokeConfig",
    "Exponential",
    "Fixed",
    "Function",
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "InvocationResponse",
    "Lab",
    "LabConfig",
    "LambdaContext",
    "LambdaLabError",
    "LogNormal",
    "Normal",
    "Poisson",
    "Queue",
    "ReadTimeoutError",
    "RequestTooLargeException",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "Schedule",
    "SdkClient",
    "ServiceError",
    "ServiceException",
    "TooManyRequestsException",
    "Topic",
    "Trace",
    "TrafficGenerator",
    "Uniform",
    "ValidationException",
    "__version__",
]
