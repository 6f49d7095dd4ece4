"""The synchronous path (``RequestResponse``): the caller waits for the result.

A function error is still HTTP 200: the payload is the error object and
``FunctionError`` says ``Unhandled``.  Only when the function cannot run at all
does the caller get an error status: 429 ``TooManyRequestsException`` when
throttled, 500 ``ServiceException`` when the service itself fails (injected
with ``Lab(service_error_probability=...)``).  Retrying is the client's
business (see ``clients.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...errors import ServiceException, TooManyRequestsException
from ..compute.functions import Function, Invocation
from ..compute.runtime import OK, Runtime
from ..compute.service import SERVICE_ERROR, Service, refusal_record
from ..ids import new_uuid

__all__ = [
    "InvocationResponse",
    "SyncSender",
    "invoke_and_wait",
    "invoke_record",
    "request_response",
    "response_record",
]

#: Response keys boto3 leaves out when their header is not sent.
_ABSENT_WHEN_NONE = ("FunctionError", "ExecutedVersion")


@dataclass(frozen=True)
class InvocationResponse:
    """What ``Invoke`` returns, with boto3's field names in snake_case.

    ``payload`` is the decoded JSON the function returned, or Lambda's error
    object when ``function_error`` is set.  Times are virtual seconds;
    ``billed_duration_ms`` includes the Init phase (billed since Aug 2025).
    ``cold_start`` says a new execution environment was created; an
    environment whose runtime restarted after a timeout also runs Init again
    (``init_duration`` > 0) without being a cold start.
    """

    status_code: int
    request_id: str
    payload: Any = None
    function_error: str | None = None
    executed_version: str | None = "$LATEST"
    function_name: str = ""
    start: float = 0.0
    end: float = 0.0
    duration: float = 0.0
    init_duration: float = 0.0
    billed_duration_ms: int = 0
    cold_start: bool = False
    extra: dict = field(default_factory=dict, repr=False)
    #: ``invoke(..., log_type="Tail")``: the last 4 KB of the invocation's log, base64.
    log_result: str | None = None

    def __getitem__(self, key: str) -> Any:
        """boto3's keys: ``StatusCode``, ``FunctionError``, ``ExecutedVersion``, ``Payload``.

        As in boto3's response, ``FunctionError`` is absent without an error and
        ``ExecutedVersion`` is absent when nothing ran (202 ``Event``, 204 ``DryRun``).
        """
        mapping = {
            "StatusCode": self.status_code,
            "FunctionError": self.function_error,
            "ExecutedVersion": self.executed_version,
            "Payload": self.payload,
            "LogResult": self.log_result,
        }
        if key == "LogResult" and self.log_result is None:
            raise KeyError(key)  # boto3 sends it only for log_type="Tail"
        if key not in mapping or (key in _ABSENT_WHEN_NONE and mapping[key] is None):
            raise KeyError(key)
        return mapping[key]

    @property
    def ok(self) -> bool:
        """True when the function ran and returned without error."""
        return self.status_code == 200 and self.function_error is None


def response_from(inv: Invocation, now: float) -> InvocationResponse:
    """The 200 response of a finished attempt."""
    return InvocationResponse(
        status_code=200,
        request_id=inv.request_id,
        payload=inv.response_payload(),
        function_error=None if inv.status == OK else "Unhandled",
        function_name=inv.function.name,
        start=inv.started_at,
        end=now,
        duration=inv.duration,
        init_duration=inv.init_duration,
        billed_duration_ms=inv.billed_duration_ms,
        cold_start=inv.cold,
    )


def invoke_record(now: float, fn: Function, request_id: str, source: str | None) -> dict:
    """The ``invoke`` record of a synchronous request (``source``: who sent it)."""
    if source is None:
        return {
            "t": now,
            "kind": "invoke",
            "function": fn.name,
            "request_id": request_id,
            "invocation_type": "RequestResponse",
        }
    return {
        "t": now,
        "kind": "invoke",
        "function": fn.name,
        "request_id": request_id,
        "invocation_type": "RequestResponse",
        "source": source,
    }


def response_record(now: float, inv: Invocation) -> dict:
    """The ``response`` record of a synchronous request whose attempt ended."""
    return {
        "t": now,
        "kind": "response",
        "function": inv.function.name,
        "request_id": inv.request_id,
        "status_code": 200,
        "function_error": None if inv.status == OK else "Unhandled",
    }


def request_response(
    service: Service,
    fn: Function,
    body: str | None,
    on_response: Callable[[InvocationResponse | None, str | None, Invocation], Any] | None,
    *,
    source: str | None = None,
    request_id: str | None = None,
    invoked_arn: str | None = None,
    event: Any = None,
) -> Invocation:
    """Invoke ``fn`` synchronously now; ``on_response(response, throttle_reason, inv)``.

    Exactly one of ``response`` / ``throttle_reason`` is set; the reason is
    ``SERVICE_ERROR`` when the service failed with 500 rather than throttling.
    The callback runs when the attempt ends (or at once when refused).  With
    ``on_response=None`` nobody waits (traffic that keeps no answers), and no
    response object is built: the trace has the outcome.
    ``request_id`` is the id to use, when the caller drew it beforehand to
    name it in a record of its own.  ``invoked_arn`` is the ARN as the caller
    named the function (``context.invoked_function_arn``; default unqualified).
    ``event`` (with ``body`` None): the decoded event itself, built by the caller
    for this call alone and given to the handler unchanged, so a poller's
    batch is not encoded only to be decoded again; it must hold JSON values
    only (what decoding the body would have given).  A synchronous invocation
    runs once, so nothing needs the text.  :class:`SyncSender` does the same
    for traffic, with the same records.
    """
    engine = service.engine
    now = engine.now
    append = service.trace.append

    def ended(inv: Invocation) -> None:
        service.outstanding -= 1
        append(response_record(engine.now, inv))
        if on_response is not None:
            on_response(response_from(inv, engine.now), None, inv)

    if request_id is None:
        request_id = service.new_request_id()
    inv = Invocation(fn, body, request_id, "RequestResponse", ended, now, invoked_arn)
    inv.event = event
    append(invoke_record(now, fn, request_id, source))
    service.outstanding += 1
    reason = service.start(inv)
    if reason is not None:
        service.outstanding -= 1
        append(refusal_record(now, fn, inv.request_id, reason))
        if on_response is not None:
            on_response(None, reason, inv)
    return inv


class SyncSender:
    """Synchronous requests to ``fn`` from ``source`` that nobody waits for.

    ``send(body)`` does what ``request_response(service, fn, body, None,
    source=source)`` does, with what is the same for every request made once:
    traffic sends through one per generator, so an arrival builds no callback
    of its own.  The trace has each outcome.
    """

    __slots__ = ("_append", "_ended_cb", "_engine", "_service", "function", "source")

    def __init__(self, service: Service, fn: Function, source: str) -> None:
        self._service = service
        self._engine = service.engine
        self._append = service.trace.append
        #: The function every request invokes, and the ``source`` of their records.
        self.function = fn
        self.source = source
        # Bound once: a bound method is a new object on every attribute access.
        self._ended_cb = self._ended

    def send(self, body: str) -> None:
        """Invoke the function now with ``body`` (JSON text)."""
        service = self._service
        engine = self._engine
        fn = self.function
        now = engine.now
        request_id = new_uuid(engine.rng)
        inv = Invocation(fn, body, request_id, "RequestResponse", self._ended_cb, now)
        append = self._append
        append(invoke_record(now, fn, request_id, self.source))
        service.outstanding += 1
        reason = service.start(inv)
        if reason is not None:
            service.outstanding -= 1
            append(refusal_record(now, fn, request_id, reason))

    def _ended(self, inv: Invocation) -> None:
        self._service.outstanding -= 1
        self._append(response_record(self._engine.now, inv))


def invoke_and_wait(
    service: Service,
    runtime: Runtime,
    fn: Function,
    body: str,
    invoked_arn: str | None = None,
) -> InvocationResponse:
    """Invoke ``fn`` synchronously and run the world until the response exists.

    Called from a running handler (a nested invoke), the world first catches
    up with the handler's own clock, and the handler then waits, in virtual
    time, for the response: the wait counts in its duration.  A throttle
    raises ``TooManyRequestsException`` (429), a service error
    ``ServiceException`` (500).  ``invoked_arn``: as for :func:`request_response`.
    """
    engine = service.engine
    box: list = []
    with runtime:
        nested = runtime.in_handler()
        if nested:
            called_at = runtime.now()
            engine.run(until=called_at)
        request_response(
            service, fn, body, lambda *result: box.append(result), invoked_arn=invoked_arn
        )
        engine.run_while(lambda: not box)
        if nested:
            runtime.advance(engine.now - called_at)
    response, reason, _ = box[0]
    if reason == SERVICE_ERROR:
        raise ServiceException("An error occurred (ServiceException) when calling Invoke.")
    if reason is not None:
        raise TooManyRequestsException("Rate Exceeded.", reason=reason)
    return response
