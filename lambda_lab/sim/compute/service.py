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
from collections.abc import Callable
from typing import Any

from ...errors import InvalidParameterValueException
from ..engine import Engine
from ..fastjson import loads
from ..ids import new_uuid
from ..trace.trace import Trace
from .context import LambdaContext
from .functions import Environment, Function, Invocation, billed_ms
from .logs import InitContext
from .records import ErrorInfo
from .runtime import ERROR, INIT_HUNG, OK, TIMEOUT, Runtime

__all__ = ["RESERVED_MINIMUM_UNRESERVED", "SERVICE_ERROR", "Service", "refusal_record"]

RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"
#: AWS names no ThrottleReason for the scaling rate; this one is our plausible choice.
SCALING_LIMIT = "FunctionInvocationRateLimitExceeded"
#: What ``start`` returns when the service itself failed (HTTP 500), not a throttle.
SERVICE_ERROR = "ServiceException"
#: Reservations may never leave the account less unreserved concurrency than this.
RESERVED_MINIMUM_UNRESERVED = 100


def refusal_record(now: float, fn: Function, request_id: str, reason: str) -> dict[str, Any]:
    """The trace record of a request ``start`` refused: a throttle, or a 500 service error."""
    record = {"t": now, "kind": "throttle", "function": fn.name, "request_id": request_id}
    if reason == SERVICE_ERROR:
        record["kind"], record["status_code"] = "service_error", 500
    else:
        record["reason"] = reason
    return record


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
        service_error_probability: float = 0.0,
        log_date: Callable[[float], str],
    ) -> None:
        self.engine = engine
        self.trace = trace
        self.runtime = runtime
        self.concurrent_executions = concurrent_executions
        self.reserved_total = 0
        self.unreserved_busy = 0
        self.scaling_cap = float(scaling_rate)
        self.scaling_per_second = scaling_rate / 10.0
        self.keep_alive = keep_alive
        self.service_error_probability = service_error_probability
        self.init_timeout = init_timeout
        self._log_date = log_date
        self._env_seq = 0
        #: Invocations accepted and not yet settled (responded, succeeded or dropped).
        self.outstanding = 0
        # Bound once: a bound method is a new object on every attribute access.
        self._end_cb = self._end
        self._handler_now = runtime.now

    # -- ids ---------------------------------------------------------------
    def new_request_id(self) -> str:
        return new_uuid(self.engine.rng)

    @property
    def unreserved_limit(self) -> int:
        """Concurrency left to functions without a reservation."""
        return self.concurrent_executions - self.reserved_total

    # -- reserved concurrency ---------------------------------------------
    def check_reservation(self, value: int, previous: int) -> None:
        """Refuse a reservation that would leave under 100 unreserved (AWS's rule)."""
        available = self.concurrent_executions - self.reserved_total + previous
        if value > available - RESERVED_MINIMUM_UNRESERVED:
            raise InvalidParameterValueException(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                "UnreservedConcurrentExecution below its minimum value of "
                f"[{RESERVED_MINIMUM_UNRESERVED}]. (reserved_concurrent_executions must be "
                f"between 0 and {available - RESERVED_MINIMUM_UNRESERVED}, got {value})"
            )

    def set_reservation(self, fn: Function, value: int | None) -> None:
        """Reserve ``value`` for ``fn`` (None: share the unreserved pool again)."""
        # Move the function's running invocations between the pools they count against.
        if fn.reserved_concurrency is None and value is not None:
            self.unreserved_busy -= fn.busy
        elif fn.reserved_concurrency is not None and value is None:
            self.unreserved_busy += fn.busy
        self.reserved_total += (value or 0) - (fn.reserved_concurrency or 0)
        fn.reserved_concurrency = value

    # -- the way into a handler -------------------------------------------
    # start -> (init phase) -> invoke phase -> end is the simulator's hot path:
    # locals are cached and records built inline on purpose.
    def start(self, inv: Invocation) -> str | None:
        """Start the next attempt of ``inv`` now, or return why not.

        The answer is a throttle reason (429), or ``SERVICE_ERROR`` when the
        service failed the request itself (500); None means it started.
        """
        fn = inv.function
        engine = self.engine
        now = engine.now
        if self.service_error_probability and engine.rng.random() < self.service_error_probability:
            return SERVICE_ERROR
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
        self.runtime.logs.streams[env.id] = stream
        self.trace.append({"t": now, "kind": "env_created", "function": fn.name, "env": env.id})
        return env

    def _init_phase(self, inv: Invocation, env: Environment, cold: bool, now: float) -> None:
        fn = inv.function
        init = fn.fixed_init if fn.fixed_init is not None else fn.sample_init(self.engine.rng, None)
        error = None
        if fn.code:
            namespace: dict[str, Any] = {"__name__": "lambda_function"}
            error = self.runtime.run_init(
                lambda: exec(fn.compiled, namespace),
                now,
                fn.env_vars,
                InitContext(fn.name, env.log_stream_name),
            )
            if error == INIT_HUNG:
                # Module code that never finishes is an Init past its limit: retried
                # inside the invoke, it runs into the function timeout.
                init, error = math.inf, None
            elif error is not None:
                error.source = fn.code  # its frames' lines: this function's module
            elif error is None:
                env.handler = namespace.get(fn.handler.rpartition(".")[2])
                if not callable(env.handler):
                    error = ErrorInfo(
                        "Runtime.HandlerNotFound",
                        f"Handler '{fn.handler.rpartition('.')[2]}' missing on module "
                        "'lambda_function'",
                        request_id_in_payload=False,
                    )
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
        event = inv.event
        if event is None:
            event = loads(inv.body)
        else:
            inv.event = None  # the handler may change it: it is handed over once
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
            inv.invoked_arn,
            fn.memory_size,
            env.log_stream_name,
            now + budget,
            self._handler_now,
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
        if engine.now == now:
            engine.schedule(duration, self._end_cb, inv)
        else:  # the handler waited on another function: the engine's clock moved on
            engine.at(now + duration, self._end_cb, inv)

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
            "billed_duration_ms": billed_ms(inv.duration + inv.init_duration),
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
