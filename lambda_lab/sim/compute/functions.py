"""Functions, their execution environments, and invocations in flight."""

from __future__ import annotations

import inspect
import math
from collections import deque
from collections.abc import Callable
from typing import Any

from ...config import DEFAULT_MAXIMUM_EVENT_AGE, DEFAULT_MAXIMUM_RETRY_ATTEMPTS
from ...errors import InvalidParameterValueException
from ..fastjson import loads
from .records import MODULE_PATH, timeout_payload
from .runtime import ERROR, OK, TIMEOUT

__all__ = [
    "RESERVED_VARIABLES",
    "Environment",
    "Function",
    "Invocation",
    "billed_ms",
    "check_code",
    "check_handler",
    "environment_variables",
]


def billed_ms(seconds: float) -> int:
    """Billed milliseconds: rounded up to the next 1 ms (a 1e-6 ms slack absorbs float
    noise such as 0.2 * 1000 == 200.00000000000003)."""
    return math.ceil(seconds * 1000.0 - 1e-6)


class Environment:
    """One execution environment (a sandbox with its own runtime process)."""

    __slots__ = (
        "busy",
        "created_at",
        "expires_at",
        "function",
        "handler",
        "id",
        "initialized",
        "invocations",
        "log_stream_name",
    )

    def __init__(self, env_id: str, function: Function, created_at: float, stream: str) -> None:
        self.id = env_id
        self.function = function
        self.created_at = created_at
        self.expires_at = math.inf
        self.busy = True
        self.initialized = False
        self.handler: Callable[..., Any] | None = None
        self.invocations = 0
        self.log_stream_name = stream

    def __repr__(self) -> str:
        state = "busy" if self.busy else "idle"
        return f"<Environment {self.id} of {self.function.name}: {state}>"


class Function:
    """A Lambda function: its code, its settings and its environments.

    ``handler`` is a callable ``(event, context)``; or, when ``code`` is given,
    the name of the handler in that module source (``"lambda_handler"`` or
    ``"lambda_function.lambda_handler"``), which each environment executes on
    its own, so module-level state is per environment as on AWS.
    """

    kind = "lambda"
    fifo = False

    def __init__(
        self,
        *,
        name: str,
        arn: str,
        handler: Any,
        code: str | None,
        timeout: int,
        memory_size: int,
        reserved_concurrency: int | None,
        duration: tuple[Callable, float | None],
        init_duration: tuple[Callable, float | None],
        environment: dict[str, str],
    ) -> None:
        self.name = name
        self.arn = arn
        self.qualified_arn = arn + ":$LATEST"
        self.handler = handler
        self.code = code
        self.compiled = compile(code, MODULE_PATH, "exec") if code else None
        self.timeout = timeout
        self.memory_size = memory_size
        self.reserved_concurrency = reserved_concurrency
        self.sample_duration, self.fixed_duration = duration
        self.sample_init, self.fixed_init = init_duration
        self.env_vars = {
            **environment,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + name,
        }
        self.idle: deque[Environment] = deque()
        self.sweep_pending = False
        self.environments: dict[str, Environment] = {}
        self.busy = 0
        self.tokens = math.inf  # scaling allowance, filled on first use
        self.tokens_at = 0.0
        # asynchronous invocation (see asynchronous.py); effective values, AWS's defaults
        self.event_invoke_config: Any = None
        self.maximum_retry_attempts = DEFAULT_MAXIMUM_RETRY_ATTEMPTS
        self.maximum_event_age_in_seconds = DEFAULT_MAXIMUM_EVENT_AGE
        self.on_success: Any = None
        self.on_failure: Any = None
        self.dead_letter_target: Any = None
        self.duplicate_probability: float | None = None

    @property
    def function_name(self) -> str:
        return self.name

    @property
    def function_arn(self) -> str:
        return self.arn

    def __repr__(self) -> str:
        return f"<Function {self.name}: timeout={self.timeout}s memory={self.memory_size}MB>"


class Invocation:
    """One request to run a function, and the state of its current attempt."""

    __slots__ = (
        "accepted_at",
        "attempt",
        "body",
        "cold",
        "duplicate",
        "duration",
        "env",
        "error_attempts",
        "event",
        "function",
        "init_duration",
        "invocation_type",
        "invoked_arn",
        "on_end",
        "request_id",
        "started_at",
        "status",
        "throttles",
        "value",
    )

    def __init__(
        self,
        function: Function,
        body: str | None,
        request_id: str,
        invocation_type: str,
        on_end: Callable[[Invocation], Any],
        now: float,
        invoked_arn: str | None = None,
    ) -> None:
        self.function = function
        #: The request payload, JSON text (None when ``event`` was handed over instead).
        self.body = body
        #: A decoded event built for this invocation alone, given to the handler as
        #: is (a poller's batch: encoding it only to decode it again cost a fifth
        #: of a mapping's time); None means the handler gets ``body`` decoded.
        self.event: Any = None
        #: The ARN as the caller named the function (``context.invoked_function_arn``).
        self.invoked_arn = invoked_arn or function.arn
        self.request_id = request_id
        self.invocation_type = invocation_type
        self.on_end = on_end
        self.accepted_at = now
        self.attempt = 0
        self.error_attempts = 0
        self.throttles = 0
        self.duplicate = False
        self.env: Environment | None = None
        self.status: str | None = None
        self.value: Any = None
        self.started_at = 0.0
        self.duration = 0.0
        self.init_duration = 0.0
        self.cold = False

    def error_payload(self) -> dict[str, Any] | None:
        """The payload Lambda returns for the last attempt's failure, or None."""
        if self.status == TIMEOUT:
            return timeout_payload(self.request_id, self.function.timeout)
        if self.status == ERROR:
            return self.value.payload(self.request_id)
        return None

    def response_payload(self) -> Any:
        """The last attempt's result (decoded JSON) or its error payload."""
        if self.status == OK:
            return loads(self.value)
        return self.error_payload()

    @property
    def error_type(self) -> str | None:
        if self.status == TIMEOUT:
            return "Sandbox.Timedout"
        return self.value.error_type if self.status == ERROR else None

    @property
    def billed_duration_ms(self) -> int:
        return billed_ms(self.duration + self.init_duration)


def check_handler(handler: Any, code: str | None) -> None:
    """Refuse a handler Lambda could not call: ``(event, context)``, or a name with code."""
    if code is not None:
        if not isinstance(handler, str) or not handler:
            raise InvalidParameterValueException(
                f"with code, handler must name the handler function, got {handler!r}"
            )
        return
    if not callable(handler):
        raise InvalidParameterValueException(
            f"handler must be a callable taking (event, context), got {handler!r}"
        )
    try:
        inspect.signature(handler).bind(None, None)
    except TypeError:
        raise InvalidParameterValueException(
            f"handler must accept two arguments (event, context), got {handler!r}"
        ) from None
    except ValueError:  # some builtins have no signature: let them be
        pass


def environment_variables(environment: dict[str, Any] | None) -> dict[str, str]:
    """``{"Variables": {...}}`` or a plain mapping of names to strings, checked."""
    if environment is None:
        return {}
    variables = environment.get("Variables", environment)
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
    ):
        raise InvalidParameterValueException(
            f"environment must map variable names to strings, got {environment!r}"
        )
    reserved = sorted(k for k in variables if k in RESERVED_VARIABLES)
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided contains reserved keys that are "
            f"currently not supported for modification. Reserved keys used in this request: "
            f"{', '.join(reserved)} (environment may not set {', '.join(reserved)}: Lambda "
            "sets them itself)"
        )
    return dict(variables)


#: Variables Lambda sets itself and refuses in a function's configuration (AWS's
#: list of reserved runtime variables; PATH, LANG, TZ and the like stay settable).
RESERVED_VARIABLES = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})  # fmt: skip


def check_code(code: str | None) -> None:
    """Refuse module source that does not compile, naming the line."""
    if code is None:
        return
    try:
        compile(code, MODULE_PATH, "exec")
    except SyntaxError as exc:
        raise InvalidParameterValueException(
            f"code does not compile: {exc.msg} (line {exc.lineno})"
        ) from None
