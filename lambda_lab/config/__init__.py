"""Every setting of the simulated world, as strict pydantic models with AWS's ranges.

Field names are boto3's parameter names in snake_case; aliases are the API's
camelCase names, used in AWS-style error messages.  Defaults are AWS's
defaults (see ``shared/spec/aws-lambda-facts.md``), each defined once here as
a ``DEFAULT_...`` constant that both the model and the ``Lab`` method
signatures use; settings AWS does not document (keep-alive, the real-time
hang guard) are ours and say so.

:func:`validate` builds a model or raises one exception with one message
that names the field, the value and the allowed range: botocore's
``ParamValidationError`` for a wrong type (``timeout="3"``, ``timeout=2.5``),
AWS's ``ValidationException`` (or ``InvalidParameterValueException``) for a
value out of range.  Validation always happens before any state changes.

The models live in :mod:`.base` (the strict base, ``validate``), :mod:`.lab`,
:mod:`.functions`, :mod:`.resources`, :mod:`.callers`, :mod:`.mappings` and
:mod:`.scenarios` (the labs' own knobs).
"""

from __future__ import annotations

from .base import Settings, validate
from .callers import (
    DEFAULT_INTEGRATION_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    ApiGatewaySettings,
    ClientConfig,
    TrafficSettings,
)
from .functions import (
    DEFAULT_MAXIMUM_EVENT_AGE,
    DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
    DEFAULT_MEMORY_SIZE,
    DEFAULT_TIMEOUT,
    ConcurrencySettings,
    EventInvokeConfig,
    FunctionConfigurationSettings,
    FunctionSettings,
)
from .lab import DEFAULT_START_TIME, LabConfig
from .mappings import (
    BATCH_SIZE_DEFAULTS,
    SQS_MAXIMUM_CONCURRENCY_DEFAULT,
    EventSourceMappingSettings,
    ScalingConfig,
)
from .resources import (
    DEFAULT_EVENT_BUS_NAME,
    DEFAULT_MESSAGE_RETENTION_PERIOD,
    DEFAULT_VISIBILITY_TIMEOUT,
    BucketSettings,
    EventBusSettings,
    QueueSettings,
    RedrivePolicy,
    TopicSettings,
)
from .scenarios import ScenarioSettings

__all__ = [
    "BATCH_SIZE_DEFAULTS",
    "DEFAULT_EVENT_BUS_NAME",
    "DEFAULT_INTEGRATION_TIMEOUT",
    "DEFAULT_MAXIMUM_EVENT_AGE",
    "DEFAULT_MAXIMUM_RETRY_ATTEMPTS",
    "DEFAULT_MEMORY_SIZE",
    "DEFAULT_MESSAGE_RETENTION_PERIOD",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_START_TIME",
    "DEFAULT_TIMEOUT",
    "DEFAULT_VISIBILITY_TIMEOUT",
    "SQS_MAXIMUM_CONCURRENCY_DEFAULT",
    "ApiGatewaySettings",
    "BucketSettings",
    "ClientConfig",
    "ConcurrencySettings",
    "EventBusSettings",
    "EventInvokeConfig",
    "EventSourceMappingSettings",
    "FunctionConfigurationSettings",
    "FunctionSettings",
    "LabConfig",
    "QueueSettings",
    "RedrivePolicy",
    "ScalingConfig",
    "ScenarioSettings",
    "Settings",
    "TopicSettings",
    "TrafficSettings",
    "validate",
]
