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

import math
from collections import deque
from collections.abc import Callable
from typing import Any

from .context import LambdaContext
from .engine import Engine
from .fastjson import loads
from .runtime import ERROR, INIT_HUNG, OK, TIMEOUT, ErrorInfo, Runtime, timeout_payload
from .trace import Trace

__all__ = ["Environment", "Function", "Invocation", "Service", "new_uuid"]

RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"
#: AWS names no ThrottleReason for the scaling rate; this one is our plausible choice.
SCALING_LIMIT = "FunctionInvocationRateLimitExceeded"


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def new_uuid(rng) -> str:
    """A version-4 UUID string drawn from ``rng`` (seeded, so runs repeat)."""
    h = "%032x" % ((rng.getrandbits(128) & _UUID_CLEAR) | _UUID_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _billed_ms(seconds: float) -> int:
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
    #: Set by the lab: ``invoke_async(function_name, body, source)``, for destinations.
    invoke_async: Callable[[str, str, str], Any]

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
        self.sweep_pending = False
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
        "cold",
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
        return _billed_ms(self.duration + self.init_duration)


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
        #: Invocations accepted and not yet settled (responded, succeeded or dropped).
        self.outstanding = 0

    # -- ids ---------------------------------------------------------------
    def new_request_id(self) -> str:
        return new_uuid(self.engine.rng)

    @property
    def unreserved_limit(self) -> int:
        return self.concurrent_executions - self.reserved_total

    # -- the way into a handler -------------------------------------------
    # start -> (init phase) -> invoke phase -> end is the simulator's hot path:
    # locals are cached and records built inline on purpose.
    def start(self, inv: Invocation) -> str | None:
        """Start the next attempt of ``inv`` now, or return the throttle reason."""
        fn = inv.function
        engine = self.engine
        now = engine.now
        reserved = fn.reserved_concurrency
        if reserved is not None:
            if fn.busy >= reserved:
                return RESERVED_LIMIT
        elif self.unreserved_busy >= self.concurrent_executions - self.reserved_total:
            return ACCOUNT_LIMIT
        idle = fn.idle
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
        if reserved is None:
            self.unreserved_busy += 1
        attempt = inv.attempt = inv.attempt + 1
        inv.env = env
        inv.cold = cold
        inv.started_at = now
        env.invocations += 1
        if not env.initialized:
            self._init_phase(inv, env, cold, now)
            return None
        inv.init_duration = 0.0
        record = {
            "t": now,
            "kind": "attempt_started",
            "function": fn.name,
            "request_id": inv.request_id,
            "attempt": attempt,
            "env": env.id,
            "cold": False,
            "init_duration": 0.0,
        }
        if inv.duplicate:
            record["duplicate"] = True
        self.trace.append(record)
        self._invoke_phase(inv)
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
        if inv.duplicate:
            record["duplicate"] = True
        error = None
        if fn.code:
            namespace: dict[str, Any] = {"__name__": "lambda_function"}
            error = self.runtime.run_init(lambda: exec(fn._compiled, namespace), now, fn.env_vars)
            if error == INIT_HUNG:
                # Module code that never finishes: Init is retried inside the invoke
                # and runs into the function timeout.
                inv.init_duration = self.init_timeout
                record["init_timed_out"] = True
                record["init_duration"] = self.init_timeout
                self.trace.append(record)
                inv.status, inv.value, inv.duration = TIMEOUT, None, float(fn.timeout)
                self.engine.schedule(self.init_timeout + fn.timeout, self._end, inv)
                return
            if error is None:
                env.handler = namespace.get(fn.handler.rpartition(".")[2])
                if not callable(env.handler):
                    error = ErrorInfo(
                        "Runtime.HandlerNotFound",
                        f"Handler '{fn.handler.rpartition('.')[2]}' missing on module "
                        "'lambda_function'",
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
        engine = self.engine
        now = engine.now
        event = loads(inv.body)
        duration = fn.fixed_duration
        if duration is None:
            try:
                duration = fn.sample_duration(engine.rng, event)
            except Exception as exc:
                # A broken duration setting is the course author's error: end the
                # attempt at once (slot, environment and trace stay consistent),
                # then let the error reach whoever is running the lab.
                inv.status, inv.duration = ERROR, 0.0
                inv.value = ErrorInfo("LambdaLab.DurationError", str(exc))
                self._end(inv)
                raise
        timeout = fn.timeout
        budget = timeout - extra
        runtime = self.runtime
        context = LambdaContext(
            inv.request_id,
            fn.name,
            fn.arn,
            fn.memory_size,
            env.log_stream_name,
            now + budget,
            runtime.now,
        )
        if budget > 0:
            status, value, slept, restart = runtime.call(
                env.handler if fn.code else fn.handler, event, context, now, budget, fn.env_vars
            )
            duration += slept + extra
            if status == ERROR and fn.code:
                value.source = fn.code
        else:
            status = TIMEOUT
        if status == TIMEOUT or duration >= timeout:
            status, value, duration, restart = TIMEOUT, None, float(timeout), True
        inv.status = status
        inv.value = value
        inv.duration = duration
        if restart:
            env.initialized = False
        # at(), not schedule(): a handler that invoked another function moved the
        # engine's clock while it waited; its attempt still ends at now + duration.
        engine.at(now + duration, self._end, inv)

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
            "billed_duration_ms": _billed_ms(inv.duration + inv.init_duration),
        }
        append = self.trace.append
        if status != OK:
            if status == ERROR:
                record["error_type"] = inv.value.error_type
                record["error_message"] = inv.value.error_message
            else:
                record["error_type"] = "Sandbox.Timedout"
                record["error_message"] = f"Task timed out after {fn.timeout:.2f} seconds"
        if inv.duplicate:
            record["duplicate"] = True
        append(record)
        if not env.initialized:
            env.handler = None
            if status != OK:
                append({"t": now, "kind": "env_reset", "function": fn.name, "env": env.id})
        env.busy = False
        # Computed exactly as the engine computes the sweep's time (now + delay), so
        # the sweep finds it due; a differently rounded value could sit later forever.
        env.expires_at = now + self.keep_alive
        fn.idle.append(env)
        if not fn.sweep_pending:
            fn.sweep_pending = True
            self.engine.schedule(self.keep_alive, self._sweep, fn)
        inv.on_end(inv)

    def _sweep(self, fn: Function) -> None:
        """Reclaim environments idle for the keep-alive.

        ``fn.idle`` is ordered by the time each environment became idle (reuse
        pops the newest), so expiries come off its left end in time order and
        one pending heap entry per function is enough.
        """
        now = self.engine.now
        idle = fn.idle
        append = self.trace.append
        while idle and idle[0].expires_at <= now:
            env = idle.popleft()
            del fn.environments[env.id]
            append({"t": now, "kind": "env_expired", "function": fn.name, "env": env.id})
        if idle:
            self.engine.at(idle[0].expires_at, self._sweep, fn)
        else:
            fn.sweep_pending = False
