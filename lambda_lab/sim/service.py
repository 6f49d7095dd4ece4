"""Functions, execution environments and concurrency: Lambda's compute layer.

:meth:`Service.start` is the one way into a handler, for every invocation
model.  It applies the concurrency rules (reserved concurrency as floor and
ceiling, the account quota shared by unreserved functions, the per-function
scaling rate), picks an environment (the most recently used idle one, else a
cold start), runs the handler and schedules the end of the attempt.

Timing of a handler's side effects.  The handler's Python code runs at the
instant its invoke phase starts; the simulated ``duration`` then elapses.  If
the duration passes the function timeout, Lambda reports ``Sandbox.Timedout``
*although the handler's writes have already happened*: the classic
double-credit bug, when an asynchronous retry then runs the write again.
``time.sleep`` inside a handler is virtual and stops the handler at the
deadline, so writes placed after a long sleep never happen.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from .context import LambdaContext
from .engine import Engine
from .runtime import ERROR, OK, TIMEOUT, ErrorInfo, Runtime, timeout_payload
from .trace import Trace

__all__ = ["Environment", "Function", "Invocation", "Service"]

RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"
#: AWS names no ThrottleReason for the scaling rate; this one is our plausible choice.
SCALING_LIMIT = "FunctionInvocationRateLimitExceeded"


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
        self._compiled = compile(code, "/var/task/lambda_function.py", "exec") if code else None
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
        self.environments: dict[str, Environment] = {}
        self.busy = 0
        self.tokens = math.inf  # scaling allowance, filled on first use
        self.tokens_at = 0.0
        # asynchronous invocation (see asynchronous.py); effective values, AWS's defaults
        self.event_invoke_config: Any = None
        self.maximum_retry_attempts = 2
        self.maximum_event_age_in_seconds = 21600
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

    def handler_for(self, env: Environment) -> Callable[..., Any]:
        return env.handler if self.code else self.handler

    def __repr__(self) -> str:
        return f"<Function {self.name}: timeout={self.timeout}s memory={self.memory_size}MB>"


class Invocation:
    """One request to run a function, and the state of its current attempt."""

    __slots__ = (
        "accepted_at",
        "attempt",
        "body",
        "duplicate",
        "duration",
        "env",
        "error_attempts",
        "function",
        "init_duration",
        "invocation_type",
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
        body: str,
        request_id: str,
        invocation_type: str,
        on_end: Callable[[Invocation], Any],
        now: float,
    ) -> None:
        self.function = function
        self.body = body
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
            return json.loads(self.value)
        return self.error_payload()

    @property
    def error_type(self) -> str | None:
        if self.status == TIMEOUT:
            return "Sandbox.Timedout"
        return self.value.error_type if self.status == ERROR else None

    @property
    def billed_duration_ms(self) -> int:
        return math.ceil(round((self.duration + self.init_duration) * 1000, 6))


class Service:
    """The compute layer of one lab: see the module docstring."""

    def __init__(
        self,
        engine: Engine,
        trace: Trace,
        runtime: Runtime,
        *,
        concurrent_executions: int,
        scaling_rate: int,
        keep_alive: float,
        init_timeout: float,
        log_date: Callable[[float], str],
    ) -> None:
        self.engine = engine
        self.trace = trace
        self.runtime = runtime
        self.functions: dict[str, Function] = {}
        self.concurrent_executions = concurrent_executions
        self.reserved_total = 0
        self.unreserved_busy = 0
        self.scaling_cap = float(scaling_rate)
        self.scaling_per_second = scaling_rate / 10.0
        self.keep_alive = keep_alive
        self.init_timeout = init_timeout
        self._log_date = log_date
        self._env_seq = 0

    # -- ids ---------------------------------------------------------------
    def new_request_id(self) -> str:
        return str(uuid.UUID(int=self.engine.rng.getrandbits(128), version=4))

    @property
    def unreserved_limit(self) -> int:
        return self.concurrent_executions - self.reserved_total

    # -- the way into a handler -------------------------------------------
    def start(self, inv: Invocation) -> str | None:
        """Start the next attempt of ``inv`` now, or return the throttle reason."""
        fn = inv.function
        engine = self.engine
        now = engine.now
        if fn.reserved_concurrency is not None:
            if fn.busy >= fn.reserved_concurrency:
                return RESERVED_LIMIT
        elif self.unreserved_busy >= self.concurrent_executions - self.reserved_total:
            return ACCOUNT_LIMIT
        idle = fn.idle
        trace = self.trace.append
        if idle:
            env = idle.pop()
            env.busy = True
            cold = False
        else:
            tokens = fn.tokens + (now - fn.tokens_at) * self.scaling_per_second
            if tokens > self.scaling_cap:
                tokens = self.scaling_cap
            fn.tokens_at = now
            if tokens < 1.0:
                fn.tokens = tokens
                return SCALING_LIMIT
            fn.tokens = tokens - 1.0
            env = self._new_environment(fn, now)
            cold = True
        fn.busy += 1
        if fn.reserved_concurrency is None:
            self.unreserved_busy += 1
        inv.attempt += 1
        inv.env = env
        inv.started_at = now
        env.invocations += 1
        if env.initialized:
            inv.init_duration = 0.0
            trace(
                {
                    "t": now,
                    "kind": "attempt_started",
                    "function": fn.name,
                    "request_id": inv.request_id,
                    "attempt": inv.attempt,
                    "env": env.id,
                    "cold": cold,
                    "init_duration": 0.0,
                }
            )
            self._invoke_phase(inv)
        else:
            self._init_phase(inv, env, cold, now)
        return None

    def _new_environment(self, fn: Function, now: float) -> Environment:
        self._env_seq += 1
        stream = f"{self._log_date(now)}/[$LATEST]{self.engine.rng.getrandbits(128):032x}"
        env = Environment(f"env-{self._env_seq}", fn, now, stream)
        fn.environments[env.id] = env
        self.trace.append({"t": now, "kind": "env_created", "function": fn.name, "env": env.id})
        return env

    def _init_phase(self, inv: Invocation, env: Environment, cold: bool, now: float) -> None:
        fn = inv.function
        init = fn.fixed_init if fn.fixed_init is not None else fn.sample_init(self.engine.rng, None)
        record = {
            "t": now,
            "kind": "attempt_started",
            "function": fn.name,
            "request_id": inv.request_id,
            "attempt": inv.attempt,
            "env": env.id,
            "cold": cold,
            "init_duration": min(init, self.init_timeout),
        }
        error = None
        if fn.code:
            namespace: dict[str, Any] = {"__name__": "lambda_function"}
            error = self.runtime.run_init(
                lambda: exec(fn._compiled, namespace), now, fn.env_vars
            )
            if error is None:
                env.handler = namespace.get(fn.handler.rpartition(".")[2])
                if not callable(env.handler):
                    error = ErrorInfo(
                        "Runtime.HandlerNotFound",
                        f"Handler '{fn.handler}' missing on module 'lambda_function'",
                        request_id_in_payload=False,
                    )
        if init > self.init_timeout:
            # AWS retries a timed-out Init inside the first invoke, under the function timeout.
            record["init_timed_out"] = True
            inv.init_duration = self.init_timeout
        else:
            inv.init_duration = init
        self.trace.append(record)
        if error is not None:
            inv.status, inv.value, inv.duration = ERROR, error, 0.0
            self.engine.schedule(inv.init_duration, self._end, inv)
            return
        env.initialized = True
        extra = init if init > self.init_timeout else 0.0
        self.engine.schedule(inv.init_duration, self._invoke_after_init, (inv, extra))

    def _invoke_after_init(self, arg: tuple[Invocation, float]) -> None:
        self._invoke_phase(arg[0], arg[1])

    def _invoke_phase(self, inv: Invocation, extra: float = 0.0) -> None:
        fn = inv.function
        env = inv.env
        now = self.engine.now
        event = json.loads(inv.body)
        if fn.fixed_duration is not None:
            duration = fn.fixed_duration
        else:
            duration = fn.sample_duration(self.engine.rng, event)
        budget = fn.timeout - extra
        context = LambdaContext(
            aws_request_id=inv.request_id,
            function_name=fn.name,
            invoked_function_arn=fn.arn,
            memory_limit_in_mb=fn.memory_size,
            log_stream_name=env.log_stream_name,
            deadline=now + budget,
            now=self.runtime.now,
        )
        if budget <= 0:
            status, value, slept, restart = TIMEOUT, None, 0.0, True
        else:
            status, value, slept, restart = self.runtime.call(
                fn.handler_for(env), event, context, now, budget, fn.env_vars
            )
        duration += slept + extra
        if status == TIMEOUT or duration >= fn.timeout:
            status, value, duration, restart = TIMEOUT, None, float(fn.timeout), True
        inv.status = status
        inv.value = value
        inv.duration = duration
        if restart:
            env.initialized = False
        self.engine.schedule(duration, self._end, inv)

    def _end(self, inv: Invocation) -> None:
        fn = inv.function
        env = inv.env
        now = self.engine.now
        fn.busy -= 1
        if fn.reserved_concurrency is None:
            self.unreserved_busy -= 1
        status = inv.status
        record = {
            "t": now,
            "kind": "attempt_ended",
            "function": fn.name,
            "request_id": inv.request_id,
            "attempt": inv.attempt,
            "env": env.id,
            "status": status,
            "duration": inv.duration,
            "billed_duration_ms": inv.billed_duration_ms,
        }
        if status != OK:
            record["error_type"] = inv.error_type
            record["error_message"] = (
                inv.value.error_message if status == ERROR else "Task timed out"
            )
        append = self.trace.append
        append(record)
        if not env.initialized:
            env.handler = None
            if status != OK:
                append({"t": now, "kind": "env_reset", "function": fn.name, "env": env.id})
        env.busy = False
        env.expires_at = now + self.keep_alive
        fn.idle.append(env)
        self.engine.schedule(self.keep_alive, self._expire, env)
        inv.on_end(inv)

    def _expire(self, env: Environment) -> None:
        if env.busy or env.expires_at > self.engine.now:
            return  # reused since it became idle; a later entry will look again
        fn = env.function
        if fn.idle and fn.idle[0] is env:
            fn.idle.popleft()
        else:
            fn.idle.remove(env)
        del fn.environments[env.id]
        self.trace.append(
            {"t": self.engine.now, "kind": "env_expired", "function": fn.name, "env": env.id}
        )
