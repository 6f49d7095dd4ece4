"""lambda_lab: learn how AWS Lambda is invoked, by simulation in virtual time."""

from __future__ import annotations

from .config import ClientConfig, EventInvokeConfig, LabConfig
from .errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    LambdaLabError,
    ParamValidationError,
    RequestTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    ServiceError,
    ServiceException,
    TooManyRequestsException,
    ValidationException,
)
from .lab import Lab
from .sim.callers.apigateway import ApiGateway, ApiResponse
from .sim.callers.clients import ClientResult, ReadTimeoutError, SdkClient
from .sim.callers.traffic import Burst, Constant, Poisson, Schedule, TrafficGenerator
from .sim.compute.context import LambdaContext
from .sim.compute.durations import Distribution, Exponential, Fixed, LogNormal, Normal, Uniform
from .sim.compute.functions import Function
from .sim.invoke.sync import InvocationResponse
from .sim.mappings.sizing import largest_batch
from .sim.resources.eventbridge import EventBus
from .sim.resources.s3 import Bucket
from .sim.resources.sns import Topic
from .sim.resources.sqs import Queue
from .sim.trace.trace import Trace
from .sim.world import World

__version__ = "0.1.0"


# IPython's extension hooks (``%load_ext lambda_lab``).  They are not in
# ``__all__``: IPython finds them by name.  ``.magics`` is imported only here, so
# ``import lambda_lab`` never loads IPython's magic machinery.
def load_ipython_extension(ipython):
    """Register the magics ``%%lambda``, ``%invoke``, ``%lab`` and ``%logs``."""
    from .magics import register

    register(ipython)


def unload_ipython_extension(ipython):
    """Remove the magics ``load_ipython_extension`` registered (for ``%unload_ext``
    and ``%reload_ext``); the lab in the variable ``lab`` stays."""
    from .magics import unregister

    unregister(ipython)


def publish(notebooks, output_dir="build/html"):
    """Export course notebooks to HTML that shows each view's static SVG, offline.

    ``notebooks`` is a path or a list of paths; returns the HTML files written
    (see :mod:`lambda_lab.widgets.publish`).  ``make html`` does this for the course.
    """
    from .widgets.publish import publish as export

    return export(notebooks, output_dir)


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
    "ParamValidationError",
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
    "World",
    "__version__",
    "largest_batch",
    "publish",
]
