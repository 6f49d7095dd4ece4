"""Simulated load: arrival patterns and a generator that turns them into invokes.

A pattern says *when* requests arrive, as offsets in seconds from the
generator's start: :class:`Poisson` (random, exponential gaps),
:class:`Constant` (evenly spaced), :class:`Burst` (many at once) and
:class:`Schedule` (an explicit list).  A :class:`TrafficGenerator` says *what*
arrives and *how*: each arrival invokes a function synchronously (straight
into the service, through an :class:`SdkClient` with its retries, or through
an :class:`ApiGateway`) or asynchronously (``Event``).

The generator keeps one entry on the engine's heap at a time: each arrival
schedules the next, so a million arrivals cost no memory up front.  Random
patterns draw from a stream of their own, seeded from the lab's generator
when the traffic is created, so the arrival times repeat exactly for a seed
and do not move when other parts of the world draw more or fewer numbers
(e.g. a function with another duration or a client with retries).

Trace: arrivals appear as the records of the path they take (``invoke`` with
``source`` set to the generator's id, or the client's and API's records).  A
request the API refuses before it reaches the service (payload too large,
not JSON) is recorded as ``request_rejected`` (declared in
:mod:`lambda_lab.sim.trace.kinds`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator
from itertools import count as counter
from typing import TYPE_CHECKING, Any, ClassVar

from ...config import TrafficSettings, validate
from ...errors import InvalidParameterValueException, ServiceError
from ..compute.durations import ValueObject
from ..ids import check_name
from ..invoke.payloads import MAX_ASYNC_REQUEST_BYTES, MAX_SYNC_REQUEST_BYTES, encode_payload
from ..invoke.sync import SyncSender
from .apigateway import ApiGateway
from .clients import SdkClient

if TYPE_CHECKING:  # annotations only: parts receive the world, never import it
    from ..world import World

__all__ = ["Burst", "Constant", "Pattern", "Poisson", "Schedule", "TrafficGenerator"]


class Pattern(ValueObject):
    """Base class: ``offsets(rng)`` yields non-decreasing seconds after the start."""

    #: False for patterns that never end on their own (they need ``stop`` or ``count``).
    finite: ClassVar[bool] = True

    def offsets(self, rng: random.Random) -> Iterator[float]:  # pragma: no cover
        raise NotImplementedError


class Poisson(Pattern):
    """Random arrivals at ``rate`` per second on average (exponential gaps)."""

    finite = False

    def __init__(self, rate: float) -> None:
        self.rate = validate(TrafficSettings, rate=rate).rate

    def offsets(self, rng: random.Random) -> Iterator[float]:
        draw, rate, t = rng.expovariate, self.rate, 0.0
        while True:
            t += draw(rate)
            yield t


class Constant(Pattern):
    """One arrival every ``1 / rate`` seconds, the first at the start."""

    finite = False

    def __init__(self, rate: float) -> None:
        self.rate = validate(TrafficSettings, rate=rate).rate

    def offsets(self, rng: random.Random) -> Iterator[float]:
        rate = self.rate
        # i / rate rather than a running sum: no drift after millions of arrivals
        return (i / rate for i in counter())


class Burst(Pattern):
    """``count`` arrivals at ``at`` seconds, evenly spaced over ``spread`` seconds."""

    def __init__(self, count: int, at: float = 0.0, spread: float = 0.0) -> None:
        settings = validate(TrafficSettings, count=count, at=at, spread=spread)
        self.count, self.at, self.spread = settings.count, settings.at, settings.spread

    def offsets(self, rng: random.Random) -> Iterator[float]:
        step = self.spread / self.count
        return (self.at + i * step for i in range(self.count))


class Schedule(Pattern):
    """Arrivals at the given offsets in seconds (any order; repeats allowed)."""

    def __init__(self, times: Iterable[float]) -> None:
        if isinstance(times, (str, bytes)) or not isinstance(times, Iterable):
            raise InvalidParameterValueException(f"times must be a list of seconds, got {times!r}")
        times = list(times)
        for i, t in enumerate(times):
            if isinstance(t, bool) or not isinstance(t, (int, float)) or not t >= 0:
                raise InvalidParameterValueException(
                    f"times[{i}] must be a number of seconds >= 0, got {t!r}"
                )
            if math.isinf(t):
                raise InvalidParameterValueException(f"times[{i}] must be finite, got {t!r}")
        self.times = sorted(float(t) for t in times)

    def offsets(self, rng: random.Random) -> Iterator[float]:
        return iter(self.times)


class TrafficGenerator:
    """Requests to ``function_name`` arriving as ``pattern`` says, from ``start`` on.

    ``payload`` is the request body, or a callable of the arrival index
    (0, 1, ...) returning it.  ``invocation_type`` is ``"RequestResponse"``
    or ``"Event"``.  ``start`` is the virtual time offsets count from
    (default: now); no arrival happens at or after ``stop``, nor after
    ``count`` arrivals.  ``client`` routes synchronous arrivals through an
    :class:`SdkClient` or an :class:`ApiGateway` in front of the same
    function.  ``name`` appears as ``source`` in the trace.
    """

    def __init__(
        self,
        world: World,
        function_name: str,
        pattern: Pattern,
        payload: Any = None,
        invocation_type: str = "RequestResponse",
        start: float | None = None,
        stop: float | None = None,
        count: int | None = None,
        client: SdkClient | ApiGateway | None = None,
        *,
        name: str | None = None,
    ) -> None:
        settings = validate(
            TrafficSettings, invocation_type=invocation_type, start=start, stop=stop, count=count
        )
        if not isinstance(pattern, Pattern):
            raise InvalidParameterValueException(
                f"pattern must be Poisson, Constant, Burst or Schedule, got {pattern!r}"
            )
        check_name(name)
        fn = world.registry.function(function_name)
        now = world.engine.now
        begin = now if settings.start is None else settings.start
        if begin < now:
            raise InvalidParameterValueException(
                f"start must be at least the current time {now:g}, got {start!r}"
            )
        if stop is not None and settings.stop <= begin:
            raise InvalidParameterValueException(
                f"stop must be later than start {begin:g}, got {stop!r}"
            )
        if not pattern.finite and stop is None and count is None:
            raise InvalidParameterValueException(
                f"{pattern!r} never ends: give stop (a virtual time) or count"
            )
        is_event = settings.invocation_type == "Event"
        self.world = world
        self.function = fn
        self.pattern = pattern
        self.invocation_type = settings.invocation_type
        self.start = begin
        self.stop = settings.stop
        self.count = settings.count
        self.client = client
        self.id = name or world.names.next("traffic")
        self.sent = 0
        self.rejected = 0
        self._engine = world.engine
        self._send = self._sender(client, is_event)
        self._prepare = self._preparer(payload, is_event)
        self._arrive_cb = self._arrive_event if client is None and is_event else self._arrive
        rng = random.Random(world.engine.rng.getrandbits(64))
        self._offsets: Iterator[float] | None = pattern.offsets(rng)
        self._schedule_next()

    @property
    def done(self) -> bool:
        """True once no further arrival is scheduled."""
        return self._offsets is None

    def cancel(self) -> None:
        """Send nothing more (requests already sent carry on)."""
        self._offsets = None

    # -- set-up: pick the path once, so an arrival is two plain calls ----------
    def _sender(self, client: Any, is_event: bool) -> Callable[[Any], Any]:
        fn = self.function
        if client is None:
            if is_event:
                # Dispatched at once, not queued: see _arrive_event.
                submit_now = self.world.events.submit_now
                return lambda body: submit_now(fn, body, self.id)
            return SyncSender(self.world.service, fn, self.id).send
        if is_event:
            raise InvalidParameterValueException(
                f"client applies to invocation_type='RequestResponse' only, got {client!r}"
            )
        if isinstance(client, SdkClient):
            if client.world is not self.world:
                raise InvalidParameterValueException(f"client belongs to another lab: {client!r}")
            return lambda body: client.send(fn, body)
        if isinstance(client, ApiGateway):
            if client.function is not fn:
                raise InvalidParameterValueException(
                    f"client must front function {fn.name!r}, got {client!r}"
                )
            return lambda body: client.send(body)
        raise InvalidParameterValueException(
            f"client must be an SdkClient or an ApiGateway, got {client!r}"
        )

    def _preparer(self, payload: Any, is_event: bool) -> Callable[[int], str]:
        """The request body of arrival ``index``, checked against its quota."""
        limit = MAX_ASYNC_REQUEST_BYTES if is_event else MAX_SYNC_REQUEST_BYTES
        if callable(payload):
            return lambda index: encode_payload(payload(index), limit)
        # One fixed payload: encoded (and checked) once, so a bad one fails here,
        # not mid-run, and no arrival pays for serialising it again.
        body = encode_payload(payload, limit)
        return lambda index: body

    # -- the hot path ------------------------------------------------------
    def _schedule_next(self) -> None:
        offsets = self._offsets
        if offsets is None:
            return
        if self.count is not None and self.sent >= self.count:
            self._offsets = None
            return
        offset = next(offsets, None)
        if offset is None or (self.stop is not None and self.start + offset >= self.stop):
            self._offsets = None
            return
        self._engine.at(self.start + offset, self._arrive_cb)

    def _arrive(self, _: Any) -> None:
        if self._offsets is None:
            return  # cancelled after this arrival was scheduled
        index = self.sent
        self.sent += 1
        try:
            self._send(self._prepare(index))
        except ServiceError as exc:  # refused before reaching the service: a 4xx to the caller
            self._reject(index, exc)
        self._schedule_next()

    def _arrive_event(self, _: Any) -> None:
        """``_arrive`` of ``Event`` traffic without a client, the event dispatched at once.

        ``submit`` would queue the dispatch with ``engine.soon``, to run right
        after this callback.  Scheduling the next arrival first and then
        dispatching here (``submit_now``) keeps that order, and with it the
        engine's sequence numbers, so the trace is the same, one engine step less.
        """
        if self._offsets is None:
            return  # cancelled after this arrival was scheduled
        index = self.sent
        self.sent += 1
        try:
            body = self._prepare(index)
        except ServiceError as exc:
            self._reject(index, exc)
            self._schedule_next()
            return
        self._schedule_next()
        self._send(body)

    def _reject(self, index: int, exc: ServiceError) -> None:
        self.rejected += 1
        self.world.trace.append(
            {
                "t": self._engine.now,
                "kind": "request_rejected",
                "function": self.function.name,
                "source": self.id,
                "index": index,
                "error_code": exc.code,
                "status_code": exc.status_code,
                "message": exc.message,
            }
        )

    def __repr__(self) -> str:
        state = "done" if self.done else "running"
        return (
            f"<TrafficGenerator {self.id} -> {self.function.name}: {self.pattern!r}, "
            f"{self.invocation_type}, sent={self.sent}, {state}>"
        )
