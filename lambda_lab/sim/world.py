"""The world: what every part of the simulation receives instead of the ``Lab``.

A :class:`World` assembles one virtual AWS account: the engine (virtual time
and the seeded generator), the simulated wall clock, the trace, the runtime
that runs handlers, the registry of names and ARNs, the compute service and
the asynchronous invoker.  Parts (resources, callers, mappings) are given the
world and use its public attributes; none of them knows the ``Lab`` facade,
which sits above and only validates and delegates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..config import LabConfig
from .clock import SimClock
from .compute.functions import Function
from .compute.logs import LogStore
from .compute.runtime import Runtime
from .compute.service import Service
from .engine import Engine
from .ids import Names, new_uuid
from .invoke.asynchronous import AsyncInvoker
from .registry import Registry
from .resources.base import Resource
from .trace.trace import Trace

__all__ = ["World"]


class World:
    """One virtual account in one Region, built from a validated :class:`LabConfig`."""

    def __init__(self, config: LabConfig) -> None:
        self.config = config
        self.region = config.region
        self.account_id = config.account_id
        self.clock = clock = SimClock(config.start_time)
        self.engine = engine = Engine(config.seed)
        self.trace = trace = Trace(clock)
        self.logs = logs = LogStore(clock, echo=config.echo_logs)
        self.runtime = runtime = Runtime(clock, config.region, config.hang_guard_seconds, logs)
        self.registry = Registry(config.region, config.account_id)
        self.names = Names()
        self.service = Service(
            engine,
            trace,
            runtime,
            concurrent_executions=config.concurrent_executions,
            scaling_rate=config.scaling_rate,
            keep_alive=config.keep_alive_seconds,
            init_timeout=config.init_timeout_seconds,
            service_error_probability=config.service_error_probability,
            log_date=lambda t: clock.datetime(t).strftime("%Y/%m/%d"),
        )
        self.events = AsyncInvoker(self.service, clock, config.duplicate_delivery_probability)
        #: Event source mappings by UUID (see :mod:`lambda_lab.sim.mappings`).
        self.mappings: dict[str, Any] = {}
        # the clock's formatters, bound once: resources stamp records with them
        self.iso = clock.iso
        self.iso_seconds = clock.iso_seconds
        self.unix_millis = clock.unix_millis

    @property
    def now(self) -> float:
        """Virtual seconds since the world started."""
        return self.engine.now

    def new_id(self) -> str:
        """A UUID drawn from the seeded generator (message ids, object keys, ...)."""
        return new_uuid(self.engine.rng)

    def sweep(self) -> None:
        """Let every resource record what time did to it by now (see ``Resource.sweep``)."""
        now = self.engine.now
        for resource in self.registry.resources.values():
            if isinstance(resource, Resource):  # functions are registered by ARN too
                resource.sweep(now)

    def run_while(self, pending: Callable[[], bool]) -> None:
        """Advance time while ``pending()`` holds (blocking helpers use it)."""
        with self.runtime:
            self.engine.run_while(pending)

    def submit_event(
        self, function: Function | str, payload: Any, source: str | None = None
    ) -> str:
        """Queue an asynchronous event, checked against the 1 MB quota; its request id."""
        fn = function if isinstance(function, Function) else self.registry.function(function)
        return self.events.submit_payload(fn, payload, source)
