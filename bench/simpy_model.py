"""The asynchronous invocation model of lambda_lab, written idiomatically in SimPy.

This is the reference implementation ``async_retries.py`` measures lambda_lab
against.  It models the same things lambda_lab models for one function with
reserved concurrency, and appends a trace record for the same steps:

* ``accepted`` and ``queued`` when an event arrives; one SimPy process per event
  then owns it, as Lambda's internal queue does;
* ``dequeued`` (with the event's ``age``) each time the event is taken off the
  queue; ``throttle`` when no concurrency is free at that moment: a throttle
  does not wait in line, it goes back to the queue with a backoff of 1 s
  doubling to 300 s (counted over the event's life, as lambda_lab counts it);
* execution environments: the most recently used idle one is reused, otherwise
  a cold start with an Init phase (``env_created``); an environment idle for
  the keep-alive is reclaimed (``env_expired``); a timeout restarts its runtime;
* ``attempt_started`` / ``attempt_ended``: the handler gets the payload after a
  JSON round trip and a small context object; its result is serialised;
* function errors are retried 60 s after the first failed attempt ends and
  120 s after the second (``retry_scheduled``); an event whose next try would
  start past the maximum event age is dropped with ``EventAgeExceeded``;
* exactly one terminal record per event: ``succeeded`` or ``dropped``.

Concurrency is a plain counter checked without blocking: a ``simpy.Resource``
would queue requests, which is not what a throttle does, and its extra events
would only make this reference slower.  lambda_lab's scaling-rate limit
(1,000 new environments per 10 s) cannot bind under a reservation of 20, so it
is left out.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Callable
from typing import Any

import simpy

__all__ = ["Context", "LambdaModel"]

FUNCTION_ERROR_DELAYS = (60.0, 120.0)
THROTTLE_BACKOFF_FIRST = 1.0
THROTTLE_BACKOFF_MAX = 300.0
RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"


class Context:
    """The few fields of Lambda's context object a handler usually reads."""

    __slots__ = ("_deadline", "_env", "aws_request_id", "function_name", "memory_limit_in_mb")

    def __init__(self, request_id: str, function_name: str, deadline: float, env: Any) -> None:
        self.aws_request_id = request_id
        self.function_name = function_name
        self.memory_limit_in_mb = "128"
        self._deadline = deadline
        self._env = env

    def get_remaining_time_in_millis(self) -> int:
        return max(0, round((self._deadline - self._env.now) * 1000))


class Sandbox:
    """One execution environment."""

    __slots__ = ("busy", "expires_at", "id", "initialized")

    def __init__(self, sandbox_id: str) -> None:
        self.id = sandbox_id
        self.busy = True
        self.initialized = False
        self.expires_at = math.inf


class LambdaModel:
    """One function with reserved concurrency, invoked asynchronously."""

    def __init__(
        self,
        env: simpy.Environment,
        handler: Callable[[Any, Any], Any],
        *,
        seed: int,
        reserved_concurrency: int,
        mean_duration: float,
        function_name: str = "f",
        init_duration: float = 0.25,
        timeout: float = 3.0,
        keep_alive: float = 600.0,
        maximum_retry_attempts: int = 2,
        maximum_event_age: float = 21600.0,
    ) -> None:
        self.env = env
        self.handler = handler
        self.rng = random.Random(seed)
        self.name = function_name
        self.limit = reserved_concurrency
        self.rate = 1.0 / mean_duration
        self.init_duration = init_duration
        self.timeout = timeout
        self.keep_alive = keep_alive
        self.max_retries = maximum_retry_attempts
        self.max_age = maximum_event_age
        self.busy = 0
        self.idle: list[Sandbox] = []
        self.sandboxes = 0
        self.trace: list[dict[str, Any]] = []

    def submit(self, payload: Any) -> str:
        """Accept an event (202), queue it and start the process that owns it."""
        now = self.env.now
        request_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        append = self.trace.append
        append(
            {
                "t": now,
                "kind": "accepted",
                "function": self.name,
                "request_id": request_id,
                "status_code": 202,
            }
        )
        append({"t": now, "kind": "queued", "function": self.name, "request_id": request_id})
        self.env.process(self._event(request_id, json.dumps(payload)))
        return request_id

    def _event(self, request_id: str, body: str):
        env = self.env
        append = self.trace.append
        name = self.name
        accepted = env.now
        attempt = errors = throttles = 0
        while True:
            now = env.now
            append(
                {
                    "t": now,
                    "kind": "dequeued",
                    "function": name,
                    "request_id": request_id,
                    "age": now - accepted,
                }
            )
            if self.busy >= self.limit:
                throttles += 1
                append(
                    {
                        "t": now,
                        "kind": "throttle",
                        "function": name,
                        "request_id": request_id,
                        "reason": RESERVED_LIMIT,
                    }
                )
                backoff = THROTTLE_BACKOFF_FIRST * 2.0 ** min(throttles - 1, 16)
                delay, reason = min(backoff, THROTTLE_BACKOFF_MAX), "throttle"
            else:
                attempt += 1
                status = yield from self._attempt(request_id, body, attempt)
                if status == "ok":
                    append(
                        {
                            "t": env.now,
                            "kind": "succeeded",
                            "function": name,
                            "request_id": request_id,
                            "approximate_invoke_count": attempt,
                        }
                    )
                    return
                errors += 1
                if errors > self.max_retries:
                    self._drop(request_id, "RetriesExhausted", attempt)
                    return
                delay, reason = FUNCTION_ERROR_DELAYS[min(errors, 2) - 1], "function_error"
            if env.now + delay - accepted > self.max_age:
                self._drop(request_id, "EventAgeExceeded", attempt)
                return
            append(
                {
                    "t": env.now,
                    "kind": "retry_scheduled",
                    "function": name,
                    "request_id": request_id,
                    "delay": delay,
                    "reason": reason,
                }
            )
            yield env.timeout(delay)

    def _attempt(self, request_id: str, body: str, attempt: int):
        """Run one attempt in an environment; returns its status (ok, error, timeout)."""
        env = self.env
        append = self.trace.append
        self.busy += 1
        if self.idle:
            sandbox = self.idle.pop()
            sandbox.busy = True
            cold = False
        else:
            self.sandboxes += 1
            sandbox = Sandbox(f"env-{self.sandboxes}")
            append({"t": env.now, "kind": "env_created", "function": self.name, "env": sandbox.id})
            cold = True
        init = 0.0 if sandbox.initialized else self.init_duration
        append(
            {
                "t": env.now,
                "kind": "attempt_started",
                "function": self.name,
                "request_id": request_id,
                "attempt": attempt,
                "env": sandbox.id,
                "cold": cold,
                "init_duration": init,
            }
        )
        if init:
            yield env.timeout(init)
            sandbox.initialized = True
        event = json.loads(body)
        duration = self.rng.expovariate(self.rate)
        context = Context(request_id, self.name, env.now + self.timeout, env)
        error = None
        try:
            json.dumps(self.handler(event, context))
            status = "ok"
        except Exception as exc:
            status, error = "error", (type(exc).__name__, str(exc))
        if duration >= self.timeout:
            status, duration = "timeout", self.timeout
            error = ("Sandbox.Timedout", "Task timed out")
            sandbox.initialized = False  # the runtime restarts: the next use runs Init again
        yield env.timeout(duration)
        self.busy -= 1
        record = {
            "t": env.now,
            "kind": "attempt_ended",
            "function": self.name,
            "request_id": request_id,
            "attempt": attempt,
            "env": sandbox.id,
            "status": status,
            "duration": duration,
            "billed_duration_ms": math.ceil(round((duration + init) * 1000, 6)),
        }
        if error is not None:
            record["error_type"], record["error_message"] = error
        append(record)
        if not sandbox.initialized and status != "ok":
            append({"t": env.now, "kind": "env_reset", "function": self.name, "env": sandbox.id})
        sandbox.busy = False
        sandbox.expires_at = env.now + self.keep_alive
        self.idle.append(sandbox)
        env.timeout(self.keep_alive, sandbox).callbacks.append(self._expire)
        return status

    def _expire(self, event: simpy.Event) -> None:
        sandbox = event.value
        if sandbox.busy or sandbox.expires_at > self.env.now:
            return  # reused since it became idle; a later timeout will look again
        self.idle.remove(sandbox)
        self.trace.append(
            {"t": self.env.now, "kind": "env_expired", "function": self.name, "env": sandbox.id}
        )

    def _drop(self, request_id: str, reason: str, attempts: int) -> None:
        self.trace.append(
            {
                "t": self.env.now,
                "kind": "dropped",
                "function": self.name,
                "request_id": request_id,
                "reason": reason,
                "approximate_invoke_count": attempts,
            }
        )
