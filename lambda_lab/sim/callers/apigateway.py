"""An API Gateway REST API in front of one function (Lambda proxy integration).

API Gateway invokes the function synchronously, never retries, and answers
its own client with:

* **504** ``{"message": "Endpoint request timed out"}`` when the integration
  timeout (29 s by default) passes first.  The function is not stopped: its
  attempt runs on to its own end or timeout, later in the trace.
* **502** ``{"message": "Internal server error"}`` when the function returns
  an error (``FunctionError: Unhandled``) or a malformed proxy response.
* **500** ``{"message": "Internal server error"}`` when Lambda rejects the
  invoke, e.g. a throttle: AWS documents that API Gateway turns every
  invocation error into a 500 (``services-apigateway-errors``), so a Lambda
  429 never reaches the client as a 429.
* otherwise the function's proxy response: a dict with ``statusCode`` sets the
  status, ``headers`` and ``body``; any other value is returned as the body
  with 200 (the HTTP API rule; a REST API would answer 502 to it).

Simplification: the event the handler receives is the request payload as
given, not a full proxy event (``httpMethod``, ``requestContext``, ...).

Integration timeout: 50 ms to 29 s by default.  Since 4 June 2024 Regional
and private REST APIs may raise the ceiling with a Service Quotas request;
pass that quota as ``max_integration_timeout``.

Its trace records (``apigw_request``, ``apigw_response``) are declared, with
their fields, in :mod:`lambda_lab.sim.trace.kinds`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...config import DEFAULT_INTEGRATION_TIMEOUT, ApiGatewaySettings, validate
from ...errors import ValidationException
from ..compute.service import SERVICE_ERROR
from ..ids import check_name
from ..invoke.payloads import MAX_SYNC_REQUEST_BYTES, encode_payload
from ..invoke.sync import InvocationResponse
from .deadline import send

if TYPE_CHECKING:  # annotations only: parts receive the world, never import it
    from ..world import World

__all__ = ["ApiGateway", "ApiRequest", "ApiResponse"]

INTERNAL_ERROR = "Internal server error"
TIMED_OUT = "Endpoint request timed out"


@dataclass(frozen=True)
class ApiResponse:
    """What the API's caller receives; times are virtual seconds."""

    status_code: int
    body: Any
    request_id: str
    start: float
    end: float
    headers: dict = field(default_factory=dict)

    @property
    def latency(self) -> float:
        """Virtual seconds from the request to the answer."""
        return self.end - self.start


class ApiRequest:
    """One request in flight through the API, and its ``result`` once answered."""

    __slots__ = ("deadline", "on_response", "request_id", "result", "start")

    def __init__(
        self, start: float, deadline: float, on_response: Callable | None, request_id: str
    ) -> None:
        self.start = start
        self.deadline = deadline
        self.on_response = on_response
        self.request_id = request_id
        self.result: ApiResponse | None = None

    @property
    def done(self) -> bool:
        """True once API Gateway has answered."""
        return self.result is not None


class ApiGateway:
    """A REST API whose one route invokes ``function_name``; see the module docstring.

    ``request(payload)`` inside the simulation, ``call(payload)`` to run the
    lab until the answer exists.  ``name`` appears as ``api`` in the trace.
    """

    def __init__(
        self,
        world: World,
        function_name: str,
        integration_timeout: float = DEFAULT_INTEGRATION_TIMEOUT,
        *,
        max_integration_timeout: float = DEFAULT_INTEGRATION_TIMEOUT,
        name: str | None = None,
    ) -> None:
        settings = validate(
            ApiGatewaySettings,
            integration_timeout=integration_timeout,
            max_integration_timeout=max_integration_timeout,
        )
        ceiling = settings.max_integration_timeout
        if settings.integration_timeout > ceiling:
            raise ValidationException(
                f"1 validation error detected: Value '{integration_timeout}' at "
                "'integrationTimeout' failed to satisfy constraint: Member must have value "
                f"less than or equal to {ceiling:g} (integration_timeout must be between "
                f"0.05 and {ceiling:g}, got {integration_timeout!r}; since June 2024 a "
                "Regional REST API may raise max_integration_timeout through Service Quotas)"
            )
        check_name(name)
        self.world = world
        self.function = world.registry.function(function_name)
        self.integration_timeout = settings.integration_timeout
        self.max_integration_timeout = ceiling
        self.id = name or world.names.next("api")
        self._engine = world.engine
        self._service = world.service
        self._trace = world.trace

    def request(
        self, payload: Any = None, on_response: Callable[[ApiResponse], Any] | None = None
    ) -> ApiRequest:
        """Send a request now; ``on_response(response)`` when API Gateway answers.

        A payload Lambda would refuse (too large, not JSON) raises at once.
        """
        body = encode_payload(payload, MAX_SYNC_REQUEST_BYTES)
        with self.world.runtime:  # a warm environment runs the handler right away
            return self.send(body, on_response)

    def call(self, payload: Any = None) -> ApiResponse:
        """Send a request and run the lab until API Gateway answers; return the answer."""
        handle = self.request(payload)
        self.world.run_while(lambda: handle.result is None)
        return handle.result

    def send(self, body: str, on_response: Callable | None = None) -> ApiRequest:
        """Send an encoded request now (traffic generators use it)."""
        now = self._engine.now
        request_id = self._service.new_request_id()
        req = ApiRequest(now, now + self.integration_timeout, on_response, request_id)
        self._trace.append(  # before the service's records of this request
            {
                "t": now,
                "kind": "apigw_request",
                "api": self.id,
                "function": self.function.name,
                "request_id": request_id,
                "integration_timeout": self.integration_timeout,
            }
        )
        pending = send(
            self._service,
            self.function,
            body,
            request_id,
            req.deadline,
            lambda response: self._respond(req, *_proxy_response(response)),
            lambda: self._respond(req, 504, {"message": TIMED_OUT}, {}, "integration_timeout"),
            self.id,
        )
        if pending.refusal is not None:
            why = "service_error" if pending.refusal == SERVICE_ERROR else "throttle"
            self._respond(req, 500, {"message": INTERNAL_ERROR}, {}, why)
        return req

    def _respond(
        self, req: ApiRequest, status: int, body: Any, headers: dict, reason: str | None
    ) -> None:
        now = self._engine.now
        req.result = result = ApiResponse(status, body, req.request_id, req.start, now, headers)
        record = {
            "t": now,
            "kind": "apigw_response",
            "api": self.id,
            "function": self.function.name,
            "request_id": req.request_id,
            "status_code": status,
            "latency": now - req.start,
        }
        if reason is not None:
            record["reason"] = reason
        self._trace.append(record)
        if req.on_response is not None:
            req.on_response(result)

    def __repr__(self) -> str:
        return (
            f"<ApiGateway {self.id} -> {self.function.name}: "
            f"integration_timeout={self.integration_timeout:g}s>"
        )


def _proxy_response(response: InvocationResponse) -> tuple[int, Any, dict, str | None]:
    """Status, body, headers and API Gateway's reason, from the function's response."""
    if response.function_error is not None:
        return 502, {"message": INTERNAL_ERROR}, {}, "function_error"
    payload = response.payload
    if not (isinstance(payload, dict) and "statusCode" in payload):
        return 200, payload, {}, None
    status = payload["statusCode"]
    headers = payload.get("headers") or {}
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        return 502, {"message": INTERNAL_ERROR}, {}, "malformed_response"
    if not isinstance(headers, dict):
        return 502, {"message": INTERNAL_ERROR}, {}, "malformed_response"
    return status, payload.get("body"), dict(headers), None
