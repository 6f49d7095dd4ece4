"""Helpers shared by the tests: synchronous calls scheduled inside the engine.

``lab.invoke`` waits for its response, so it cannot make two requests overlap.
Tests that need concurrency schedule ``request_response`` at virtual instants
with :class:`Caller`, then ``lab.run()``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

import lambda_lab as ll
from lambda_lab.sim.invoke.sync import InvocationResponse, request_response


@dataclass
class Outcome:
    """What one scheduled synchronous request ended with, and when."""

    t: float
    request_id: str
    response: InvocationResponse | None
    reason: str | None


class Caller:
    """Schedules synchronous invocations at virtual times and collects their outcomes."""

    def __init__(self, lab: ll.Lab) -> None:
        self.lab = lab
        self.outcomes: list[Outcome] = []

    def at(self, t: float, function_name: str, event: Any = None) -> None:
        lab = self.lab
        fn = lab.get_function(function_name)
        body = json.dumps({} if event is None else event)

        def done(response: Any, reason: Any, inv: Any) -> None:
            self.outcomes.append(Outcome(lab.engine.now, inv.request_id, response, reason))

        lab.engine.at(t, lambda _: request_response(lab.service, fn, body, done))

    @property
    def responses(self) -> list[InvocationResponse]:
        return [o.response for o in self.outcomes if o.response is not None]

    @property
    def throttles(self) -> list[str]:
        return [o.reason for o in self.outcomes if o.reason is not None]


def kinds(lab: ll.Lab, function: str | None = None) -> list[str]:
    """The kinds of the trace's records, in order (of one function if given)."""
    return [r["kind"] for r in lab.trace if function is None or r.get("function") == function]


def refused(exc_type: type[Exception], message: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` and check it raises ``exc_type`` with exactly ``message``; returns it."""
    with pytest.raises(exc_type) as info:
        fn(*args, **kwargs)
    assert info.value.message == message
    return info.value
