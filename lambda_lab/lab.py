"""``Lab``: one virtual AWS account, with boto3's operation names in snake_case.

A lab owns a virtual clock, a seeded random generator, the trace, and every
resource in it.  Nothing happens until time moves: ``invoke`` (synchronous)
runs the world until its response exists; ``run(until=...)`` advances it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .config import FunctionSettings, LabConfig, validate
from .errors import (
    InvalidParameterValueException,
    LambdaLabError,
    ResourceConflictException,
    ResourceNotFoundException,
    ServiceException,
    TooManyRequestsException,
    ValidationException,
)
from .lab_async import AsyncApi
from .sim.apigateway import ApiGateway
from .sim.clients import SdkClient
from .sim.clock import SimClock
from .sim.durations import as_sampler
from .sim.engine import Engine
from .sim.functions import Function
from .sim.payloads import MAX_SYNC_REQUEST_BYTES, encode_payload
from .sim.runtime import Runtime
from .sim.service import SERVICE_ERROR, Service
from .sim.sync import InvocationResponse, request_response
from .sim.trace import Trace, function_metrics
from .sim.traffic import Pattern, TrafficGenerator

__all__ = ["Lab"]

#: Defaults of our own (AWS has none): simulated seconds of each phase.
DEFAULT_DURATION = 0.1
DEFAULT_INIT_DURATION = 0.25
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
RESERVED_MINIMUM_UNRESERVED = 100


class Lab(AsyncApi):
    """A virtual AWS account in one Region.  ``Lab(seed=7)``; see ``LabConfig``."""

    def __init__(self, seed: int = 0, **settings: Any) -> None:
        self.config = validate(LabConfig, seed=seed, **settings)
        cfg = self.config
        self.clock = SimClock(cfg.start_time)
        self.engine = Engine(cfg.seed)
        self.trace = Trace(self.clock)
        self.runtime = Runtime(self.clock, cfg.region, cfg.hang_guard_seconds)
        self.service = Service(
            self.engine,
            self.trace,
            self.runtime,
            concurrent_executions=cfg.concurrent_executions,
            scaling_rate=cfg.scaling_rate,
            keep_alive=cfg.keep_alive_seconds,
            init_timeout=cfg.init_timeout_seconds,
            service_error_probability=cfg.service_error_probability,
            log_date=lambda t: self.clock.datetime(t).strftime("%Y/%m/%d"),
        )
        self._init_async()

    # -- time ----------------------------------------------------------------
    @property
    def now(self) -> float:
        """Virtual seconds since the lab started."""
        return self.engine.now

    def run(self, until: float | None = None) -> Lab:
        """Advance virtual time until nothing is left to do, or until ``until``."""
        self._not_from_a_handler("run")
        if until is not None and until < self.engine.now:
            raise InvalidParameterValueException(
                f"until must be at least the current time {self.engine.now:g}, got {until!r}"
            )
        with self.runtime:
            self.engine.run(until)
        return self

    def _not_from_a_handler(self, what: str) -> None:
        # A handler runs at one instant of the world; moving the whole world's clock
        # from inside it would run the world past the handler's own end.
        if self.runtime.in_handler():
            raise LambdaLabError(
                f"lab.{what}() cannot be called from inside a handler; a handler may "
                "invoke other functions with lab.invoke()"
            )

    def _run_while(self, pending: Callable[[], bool]) -> None:
        """Advance time while ``pending()`` holds (used by blocking helpers)."""
        with self.runtime:
            self.engine.run_while(pending)

    def settle(self) -> Lab:
        """Advance virtual time until every accepted invocation has settled.

        Synchronous requests have their response and asynchronous events their
        final outcome (retries included); unlike ``run()``, idle environments
        are not waited out, so the clock stops right after the last outcome.
        Traffic still to arrive keeps arriving while anything is unsettled.
        """
        self._not_from_a_handler("settle")
        service = self.service
        self._run_while(lambda: service.outstanding > 0)
        return self

    # -- naming ----------------------------------------------------------------
    def function_arn(self, function_name: str) -> str:
        cfg = self.config
        return f"arn:aws:lambda:{cfg.region}:{cfg.account_id}:function:{function_name}"

    def get_function(self, function_name: str) -> Function:
        """The function with this name or ARN (``$LATEST`` is the only version)."""
        name, qualifier = _split_function_name(function_name)
        fn = self.service.functions.get(name)
        if fn is None or qualifier not in (None, "$LATEST"):
            target = self.function_arn(name) + f":{qualifier or '$LATEST'}"
            raise ResourceNotFoundException(f"Function not found: {target}", Type="User")
        return fn

    @property
    def functions(self) -> dict[str, Function]:
        """Every function, by name."""
        return dict(self.service.functions)

    # -- functions -------------------------------------------------------------
    def create_function(
        self,
        function_name: str,
        handler: Callable[[Any, Any], Any] | str,
        *,
        code: str | None = None,
        timeout: int = 3,
        memory_size: int = 128,
        reserved_concurrency: int | None = None,
        duration: Any = DEFAULT_DURATION,
        init_duration: Any = DEFAULT_INIT_DURATION,
        environment: dict[str, Any] | None = None,
        dead_letter_config: Any = None,
    ) -> Function:
        """Create a function whose handler is real Python code.

        ``handler`` is a callable ``(event, context)``.  Or give ``code`` (the
        source of ``lambda_function.py``) and ``handler`` as the name of its
        handler (``"lambda_function.lambda_handler"``): every execution
        environment then runs that module on its own, so module-level state
        lives per environment and is lost on a timeout, as on AWS.

        ``duration`` and ``init_duration`` are the simulated seconds of the
        invoke and Init phases: a number, a ``Distribution``, or a callable of
        the event.  Defaults (0.1 s and 0.25 s) are ours.
        """
        settings = validate(
            FunctionSettings,
            function_name=function_name,
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrency=reserved_concurrency,
        )
        if function_name in self.service.functions:
            raise ResourceConflictException(f"Function already exist: {function_name}")
        _check_handler(handler, code)
        samplers = as_sampler("duration", duration), as_sampler("init_duration", init_duration)
        variables = _environment_variables(environment)
        if reserved_concurrency is not None:
            self._check_reservation(reserved_concurrency, previous=0)
        dlq = self._dead_letter_target(dead_letter_config) if dead_letter_config else None
        if code is not None:
            try:
                compile(code, "/var/task/lambda_function.py", "exec")
            except SyntaxError as exc:
                raise InvalidParameterValueException(
                    f"code does not compile: {exc.msg} (line {exc.lineno})"
                ) from None
        fn = Function(
            name=settings.function_name,
            arn=self.function_arn(function_name),
            handler=handler,
            code=code,
            timeout=settings.timeout,
            memory_size=settings.memory_size,
            reserved_concurrency=settings.reserved_concurrency,
            duration=samplers[0],
            init_duration=samplers[1],
            environment=variables,
        )
        fn.dead_letter_target = dlq
        fn.invoke_async = self.world.invoke_async
        if reserved_concurrency is not None:
            self.service.reserved_total += reserved_concurrency
        self.service.functions[function_name] = fn
        self.resources[fn.arn] = fn
        return fn

    def _check_reservation(self, value: int, previous: int) -> None:
        available = self.config.concurrent_executions - self.service.reserved_total + previous
        if value > available - RESERVED_MINIMUM_UNRESERVED:
            raise InvalidParameterValueException(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                "UnreservedConcurrentExecution below its minimum value of "
                f"[{RESERVED_MINIMUM_UNRESERVED}]. (reserved_concurrent_executions must be "
                f"between 0 and {available - RESERVED_MINIMUM_UNRESERVED}, got {value})"
            )

    def put_function_concurrency(
        self, function_name: str, reserved_concurrent_executions: int
    ) -> dict[str, int]:
        """Reserve concurrency: a floor no other function can take and a hard ceiling."""
        fn = self.get_function(function_name)
        validate(
            FunctionSettings,
            function_name=fn.name,
            reserved_concurrency=reserved_concurrent_executions,
        )
        previous = fn.reserved_concurrency or 0
        self._check_reservation(reserved_concurrent_executions, previous)
        self._set_reservation(fn, reserved_concurrent_executions)
        return {"ReservedConcurrentExecutions": reserved_concurrent_executions}

    def delete_function_concurrency(self, function_name: str) -> None:
        """Remove the reservation: the function shares the unreserved pool again."""
        self._set_reservation(self.get_function(function_name), None)

    def get_function_concurrency(self, function_name: str) -> dict[str, int]:
        fn = self.get_function(function_name)
        if fn.reserved_concurrency is None:
            return {}
        return {"ReservedConcurrentExecutions": fn.reserved_concurrency}

    def _set_reservation(self, fn: Function, value: int | None) -> None:
        service = self.service
        # Move the function's running invocations between the pools they count against.
        if fn.reserved_concurrency is None and value is not None:
            service.unreserved_busy -= fn.busy
        elif fn.reserved_concurrency is not None and value is None:
            service.unreserved_busy += fn.busy
        service.reserved_total += (value or 0) - (fn.reserved_concurrency or 0)
        fn.reserved_concurrency = value

    def get_account_settings(self) -> dict[str, Any]:
        """``AccountLimit`` and ``AccountUsage`` as ``GetAccountSettings`` returns them."""
        return {
            "AccountLimit": {
                "ConcurrentExecutions": self.config.concurrent_executions,
                "UnreservedConcurrentExecutions": self.service.unreserved_limit,
            },
            "AccountUsage": {"FunctionCount": len(self.service.functions)},
        }

    # -- invoking --------------------------------------------------------------
    def invoke(
        self,
        function_name: str,
        payload: Any = None,
        invocation_type: str = "RequestResponse",
    ) -> InvocationResponse:
        """Invoke a function, as ``lambda.invoke`` does.

        ``RequestResponse`` runs the world until the response exists and
        returns it (a function error is still status 200).  ``Event`` queues
        the event and returns 202 at once.  ``DryRun`` checks and returns 204.
        Errors that stop the function from running are raised:
        ``ResourceNotFoundException``, ``TooManyRequestsException``,
        ``RequestTooLargeException``, ``InvalidRequestContentException``.
        """
        if invocation_type not in INVOCATION_TYPES:
            raise ValidationException(
                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' "
                "failed to satisfy constraint: Member must satisfy enum value set: "
                f"[Event, RequestResponse, DryRun] (invocation_type must be one of "
                f"{', '.join(INVOCATION_TYPES)}, got {invocation_type!r})"
            )
        fn = self.get_function(function_name)
        if invocation_type == "Event":
            return self._invoke_event(fn, payload)
        body = encode_payload(payload, MAX_SYNC_REQUEST_BYTES)
        if invocation_type == "DryRun":
            return InvocationResponse(status_code=204, request_id="", function_name=fn.name)
        box: list = []
        runtime = self.runtime
        with runtime:
            nested = runtime.in_handler()
            if nested:
                # Called from a running handler: the world first catches up with the
                # handler's own clock, and the handler then waits for the response.
                called_at = runtime.now()
                self.engine.run(until=called_at)
            request_response(self.service, fn, body, lambda *result: box.append(result))
            self.engine.run_while(lambda: not box)
            if nested:
                runtime.advance(self.engine.now - called_at)
        response, reason, _ = box[0]
        if reason == SERVICE_ERROR:
            raise ServiceException("An error occurred (ServiceException) when calling Invoke.")
        if reason is not None:
            raise TooManyRequestsException("Rate Exceeded.", reason=reason)
        return response

    # -- callers -----------------------------------------------------------------
    def create_client(self, name: str | None = None, **config: Any) -> SdkClient:
        """A simulated SDK client: ``mode`` (legacy, standard, none), ``max_attempts``
        (retries, botocore's meaning), ``total_max_attempts``, ``read_timeout`` (60 s)."""
        return SdkClient(self, config, name=name)

    def create_api_gateway(
        self, function_name: str, integration_timeout: float = 29.0, **kwargs: Any
    ) -> ApiGateway:
        """An API Gateway REST API (Lambda proxy) in front of a function: 504 after
        ``integration_timeout`` while the function runs on."""
        return ApiGateway(self, function_name, integration_timeout, **kwargs)

    def add_traffic(
        self,
        function_name: str,
        pattern: Pattern,
        payload: Any = None,
        invocation_type: str = "RequestResponse",
        **kwargs: Any,
    ) -> TrafficGenerator:
        """Requests arriving as ``pattern`` says (``Poisson``, ``Constant``, ``Burst``,
        ``Schedule``), from ``start`` (default now) until ``stop`` or ``count``;
        ``client=`` routes them through an SDK client or an API Gateway."""
        return TrafficGenerator(self, function_name, pattern, payload, invocation_type, **kwargs)

    # -- observing -------------------------------------------------------------
    def metrics(self, function_name: str) -> dict[str, Any]:
        """CloudWatch-named metrics of a function, derived from the trace."""
        fn = self.get_function(function_name)
        return function_metrics(self.trace, fn.name, self.engine.now)

    def __repr__(self) -> str:
        return (
            f"<Lab seed={self.config.seed} t={self.engine.now:g}s "
            f"functions={len(self.service.functions)} trace={len(self.trace)} records>"
        )


def _split_function_name(value: str) -> tuple[str, str | None]:
    """Name and qualifier from a name, ``name:qualifier``, or a full or partial ARN."""
    if not isinstance(value, str) or not value:
        raise InvalidParameterValueException(f"function_name must be a name or ARN, got {value!r}")
    parts = value.split(":")
    if value.startswith("arn:"):
        # arn:aws:lambda:region:account:function:name[:qualifier]
        if len(parts) < 7 or parts[5] != "function":
            raise InvalidParameterValueException(f"function_name is not a function ARN: {value}")
        return parts[6], (parts[7] if len(parts) > 7 else None)
    if len(parts) >= 3 and parts[1] == "function":  # account:function:name[:qualifier]
        return parts[2], (parts[3] if len(parts) > 3 else None)
    if len(parts) == 2:
        return parts[0], parts[1]
    return value, None


def _check_handler(handler: Any, code: str | None) -> None:
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


def _environment_variables(environment: dict[str, Any] | None) -> dict[str, str]:
    if environment is None:
        return {}
    variables = environment.get("Variables", environment)
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
    ):
        raise InvalidParameterValueException(
            f"environment must map variable names to strings, got {environment!r}"
        )
    return dict(variables)
