"""Simulated SDK clients: botocore's retry modes and read timeout, in virtual time.

An :class:`SdkClient` calls ``Invoke`` synchronously the way boto3 does:

* ``legacy`` (boto3's default): 5 attempts in all, the delay before retry
  ``n + 1`` is ``rand * 2 ** (n - 1)`` seconds (``rand`` uniform in [0, 1)),
  as botocore's ``delay_exponential`` computes it;
* ``standard`` (AWS CLI v2's default): 3 attempts, ``min(rand * 2 ** (n - 1), 20)``;
  botocore's client-wide retry quota (a token bucket) is not simulated;
* ``none`` (ours, for contrast): 1 attempt.

It retries throttles (429), service errors (500) and read timeouts, never
function errors: those
are HTTP 200 with ``FunctionError``.  The read timeout (botocore's default is
60 s) is the trap: when no response is back in time the client abandons that
attempt and sends a new ``Invoke`` with a new request id, while the first
invocation keeps running in the service.  One ``invoke()`` of a function that
runs for two minutes therefore runs it up to five times.

Its trace records (``client_request``, ``client_timeout``, ``client_retry``,
``client_done``) are declared, with their fields, in
:mod:`lambda_lab.sim.trace.kinds`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...config import ClientConfig, validate
from ...errors import (
    InvalidParameterValueException,
    LambdaLabError,
    ServiceException,
    TooManyRequestsException,
)
from ..compute.functions import Function
from ..compute.service import SERVICE_ERROR
from ..ids import check_name
from ..invoke.payloads import MAX_SYNC_REQUEST_BYTES, encode_payload
from ..invoke.sync import InvocationResponse
from .deadline import Pending, send

if TYPE_CHECKING:  # annotations only: parts receive the world, never import it
    from ..world import World

__all__ = ["STANDARD_MAX_BACKOFF", "ClientCall", "ClientResult", "ReadTimeoutError", "SdkClient"]

#: botocore's standard mode caps each delay at 20 s.
STANDARD_MAX_BACKOFF = 20.0


class ReadTimeoutError(LambdaLabError, TimeoutError):
    """botocore's ``ReadTimeoutError``: no response within ``read_timeout``.

    A client-side error, so it has no HTTP status.
    """

    code = "ReadTimeoutError"

    def __init__(self, endpoint_url: str) -> None:
        super().__init__(f'Read timeout on endpoint URL: "{endpoint_url}"')
        self.endpoint_url = endpoint_url

    def __reduce__(self):  # pickle by the constructor's argument, not the message
        return (type(self), (self.endpoint_url,))


@dataclass(frozen=True)
class ClientResult:
    """The final outcome of one ``invoke()`` through an :class:`SdkClient`.

    ``outcome`` is ``"response"`` (``response`` is set; a function error is a
    response too), ``"throttled"`` (``error`` is the last
    ``TooManyRequestsException``), ``"service_error"`` (a ``ServiceException``)
    or ``"gave_up"`` (``error`` is a
    :class:`ReadTimeoutError`).  ``request_ids`` holds every attempt's id, in
    order; times are virtual seconds.
    """

    outcome: str
    response: InvocationResponse | None
    error: LambdaLabError | None
    attempts: int
    request_ids: tuple[str, ...]
    client: str
    function_name: str
    start: float
    end: float

    @property
    def ok(self) -> bool:
        """True when the function ran and returned without error."""
        return self.response is not None and self.response.ok

    @property
    def latency(self) -> float:
        """Virtual seconds from ``invoke()`` to the final outcome, backoff included."""
        return self.end - self.start


class ClientCall:
    """One ``invoke()`` in flight: its attempts so far and, once known, its ``result``."""

    __slots__ = (
        "attempt",
        "body",
        "function",
        "on_done",
        "pending",
        "request_ids",
        "result",
        "start",
    )

    def __init__(
        self, function: Function, body: str, on_done: Callable | None, start: float
    ) -> None:
        self.function = function
        self.body = body
        self.on_done = on_done
        self.start = start
        self.attempt = 0
        self.request_ids: list[str] = []
        self.result: ClientResult | None = None
        #: The current attempt, waiting for its answer until the read timeout.
        self.pending: Pending | None = None

    @property
    def done(self) -> bool:
        """True once the final outcome is known."""
        return self.result is not None

    def __repr__(self) -> str:
        state = self.result.outcome if self.result else f"attempt {self.attempt}"
        return f"<ClientCall {self.function.name}: {state}>"


class SdkClient:
    """A boto3 Lambda client inside the simulation; see the module docstring.

    ``config`` is a :class:`~lambda_lab.config.ClientConfig` or a mapping of
    its fields (``{"mode": "standard", "read_timeout": 900}``).  ``name``
    appears as ``client`` in trace records (default ``client-1``, ...).
    """

    def __init__(
        self,
        world: World,
        config: ClientConfig | Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
    ) -> None:
        if config is None:
            config = ClientConfig()
        elif isinstance(config, Mapping):
            config = validate(ClientConfig, **config)
        elif not isinstance(config, ClientConfig):
            raise InvalidParameterValueException(
                f"config must be a ClientConfig or a mapping of its fields, got {config!r}"
            )
        attempts = config.total_attempts
        if config.mode == "none" and attempts != 1:
            raise InvalidParameterValueException(
                f"mode 'none' makes exactly 1 attempt, got total attempts {attempts!r}"
            )
        check_name(name)
        self.world = world
        self.config = config
        self.max_attempts = attempts
        self.read_timeout = config.read_timeout
        self.id = name or world.names.next("client")
        self._engine = world.engine
        self._service = world.service
        self._trace = world.trace
        # A stream of its own, seeded from the world's: the jitter is reproducible
        # and does not shift when other parts of the world draw more or fewer numbers.
        self._rng = random.Random(world.engine.rng.getrandbits(64))
        self._endpoint = f"https://lambda.{world.region}.amazonaws.com/2015-03-31/functions"

    # -- the public calls --------------------------------------------------
    def invoke(
        self,
        function_name: str,
        payload: Any = None,
        on_done: Callable[[ClientResult], Any] | None = None,
    ) -> ClientCall:
        """Start a ``RequestResponse`` invoke now; ``on_done(result)`` when it is final.

        Use it inside the simulation (from a handler, a callback, a traffic
        generator); the lab must then run for anything to happen.  Bad
        requests (unknown function, payload too large) raise at once and are
        not retried, as botocore does with 4xx errors.
        """
        fn = self.world.registry.function(function_name)
        body = encode_payload(payload, MAX_SYNC_REQUEST_BYTES)
        with self.world.runtime:  # a warm environment runs the handler right away
            return self.send(fn, body, on_done)

    def call(self, function_name: str, payload: Any = None) -> ClientResult:
        """Invoke and run the lab until the final outcome exists; return it.

        Like ``lab.invoke`` this moves the whole world forward, so other
        traffic runs meanwhile.  Throttles and read timeouts that exhaust the
        attempts are returned (``outcome``, ``error``), not raised.
        """
        handle = self.invoke(function_name, payload)
        self.world.run_while(lambda: handle.result is None)
        return handle.result

    def send(self, fn: Function, body: str, on_done: Callable | None = None) -> ClientCall:
        """Begin a call whose function is resolved and body encoded (traffic uses it)."""
        call = ClientCall(fn, body, on_done, self._engine.now)
        self._attempt(call)
        return call

    # -- attempts ----------------------------------------------------------
    def _attempt(self, call: ClientCall) -> None:
        now = self._engine.now
        call.attempt += 1
        attempt = call.attempt
        request_id = self._service.new_request_id()
        call.request_ids.append(request_id)
        self._trace.append(  # before the service's records of this attempt
            {
                "t": now,
                "kind": "client_request",
                "client": self.id,
                "function": call.function.name,
                "attempt": attempt,
                "request_id": request_id,
            }
        )
        call.pending = pending = send(
            self._service,
            call.function,
            call.body,
            request_id,
            now + self.read_timeout,
            lambda response: self._finish(call, "response", response, None),
            lambda: self._timed_out(call, attempt, request_id),
            self.id,
        )
        if pending.refusal is not None:
            refusal = "service_error" if pending.refusal == SERVICE_ERROR else "throttle"
            self._failed(call, refusal, request_id)

    def _timed_out(self, call: ClientCall, attempt: int, request_id: str) -> None:
        self._trace.append(
            {
                "t": self._engine.now,
                "kind": "client_timeout",
                "client": self.id,
                "function": call.function.name,
                "attempt": attempt,
                "request_id": request_id,
                "read_timeout": self.read_timeout,
            }
        )
        self._failed(call, "read_timeout", request_id)

    def _failed(self, call: ClientCall, reason: str, request_id: str) -> None:
        attempt = call.attempt
        if attempt < self.max_attempts:
            growth = self._rng.random() * 2 ** (attempt - 1)
            delay = min(growth, STANDARD_MAX_BACKOFF) if self.config.mode == "standard" else growth
            self._trace.append(
                {
                    "t": self._engine.now,
                    "kind": "client_retry",
                    "client": self.id,
                    "function": call.function.name,
                    "attempt": attempt,
                    "request_id": request_id,
                    "reason": reason,
                    "delay": delay,
                }
            )
            self._engine.schedule(delay, self._attempt, call)
        elif reason == "throttle":
            error = TooManyRequestsException("Rate Exceeded.", reason=call.pending.refusal)
            self._finish(call, "throttled", None, error)
        elif reason == "service_error":
            error = ServiceException("An error occurred (ServiceException) when calling Invoke.")
            self._finish(call, "service_error", None, error)
        else:
            error = ReadTimeoutError(f"{self._endpoint}/{call.function.name}/invocations")
            self._finish(call, "gave_up", None, error)

    def _finish(
        self,
        call: ClientCall,
        outcome: str,
        response: InvocationResponse | None,
        error: LambdaLabError | None,
    ) -> None:
        now = self._engine.now
        fn = call.function
        call.result = result = ClientResult(
            outcome=outcome,
            response=response,
            error=error,
            attempts=call.attempt,
            request_ids=tuple(call.request_ids),
            client=self.id,
            function_name=fn.name,
            start=call.start,
            end=now,
        )
        record = {
            "t": now,
            "kind": "client_done",
            "client": self.id,
            "function": fn.name,
            "outcome": outcome,
            "attempts": call.attempt,
            "request_ids": list(call.request_ids),
            "latency": now - call.start,
        }
        if response is not None:
            record["status_code"] = response.status_code
            record["function_error"] = response.function_error
        else:
            record["status_code"] = getattr(error, "status_code", None)
            record["error_code"] = error.code
        self._trace.append(record)
        if call.on_done is not None:
            call.on_done(result)

    def __repr__(self) -> str:
        return (
            f"<SdkClient {self.id}: mode={self.config.mode} max_attempts={self.max_attempts} "
            f"read_timeout={self.read_timeout:g}s>"
        )
