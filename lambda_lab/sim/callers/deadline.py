"""The protocol SDK clients and API Gateway share: a request with a deadline.

Both send a synchronous ``Invoke`` and stop waiting at a deadline (the
client's read timeout, API Gateway's integration timeout) while the
invocation runs on in the service.  :func:`send` does the sending once for
both: a refusal (throttle or service error) is known as soon as ``send``
returns; an answer before the deadline calls ``on_answer(response)``; else
``on_expire()`` runs at the deadline.  An answer at the deadline's very
instant counts as late, since the timer fires at that same instant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..compute.functions import Function, Invocation
from ..compute.service import Service
from ..invoke.sync import InvocationResponse, request_response

__all__ = ["Pending", "send"]


class Pending:
    """One request in flight and whether its sender still waits for it."""

    __slots__ = ("_engine", "_on_answer", "_on_expire", "deadline", "open", "refusal")

    def __init__(
        self,
        engine: Any,
        deadline: float,
        on_answer: Callable[[InvocationResponse], Any],
        on_expire: Callable[[], Any],
    ) -> None:
        self._engine = engine
        self._on_answer = on_answer
        self._on_expire = on_expire
        self.deadline = deadline
        #: True while the sender waits; False once answered, refused or expired.
        self.open = True
        #: The throttle reason (or ``SERVICE_ERROR``) when the service refused it.
        self.refusal: str | None = None

    def _answered(
        self, response: InvocationResponse | None, reason: str | None, inv: Invocation
    ) -> None:
        if not self.open:
            return  # the sender gave up; the invocation ran on regardless
        if reason is not None:
            self.refusal = reason  # answered inside send(); the sender reads it there
            self.open = False
            return
        if self._engine.now >= self.deadline:
            return  # late by a hair: the deadline fires at this same instant
        self.open = False
        self._on_answer(response)

    def _expired(self, _: Any) -> None:
        if self.open:
            self.open = False
            self._on_expire()


def send(
    service: Service,
    fn: Function,
    body: str,
    request_id: str,
    deadline: float,
    on_answer: Callable[[InvocationResponse], Any],
    on_expire: Callable[[], Any],
    source: str,
) -> Pending:
    """Invoke ``fn`` with ``request_id`` now and wait for it until ``deadline``."""
    engine = service.engine
    pending = Pending(engine, deadline, on_answer, on_expire)
    request_response(service, fn, body, pending._answered, source=source, request_id=request_id)
    if pending.refusal is None:
        engine.at(deadline, pending._expired)
    return pending
