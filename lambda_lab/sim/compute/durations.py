"""How long things take in simulated time: fixed values and seeded distributions.

A duration setting (``duration=``, ``init_duration=``) may be a number, one of
these distributions, or a callable of the event (so a batch of 100 records can
take longer than a batch of 1).  Every draw uses the lab's seeded generator,
so the same seed gives the same durations.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from ...errors import InvalidParameterValueException

__all__ = [
    "Distribution",
    "Exponential",
    "Fixed",
    "LogNormal",
    "Normal",
    "Uniform",
    "ValueObject",
    "as_sampler",
]

Sampler = Callable[[random.Random, Any], float]


class ValueObject:
    """Equal when of one type with equal settings; ``Name(setting=value, ...)`` as repr.

    Settings are instance attributes; a leading underscore is dropped in the repr.
    """

    def __repr__(self) -> str:
        args = ", ".join(f"{k.lstrip('_')}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self), repr(self)))


class Distribution(ValueObject):
    """Base class: ``sample(rng, event)`` returns seconds (>= 0)."""

    def sample(self, rng: random.Random, event: Any = None) -> float:  # pragma: no cover
        raise NotImplementedError

    @property
    def mean(self) -> float:  # pragma: no cover
        raise NotImplementedError


def _check(name: str, value: float, low: float = 0.0) -> float:
    if not isinstance(value, (int, float)) or math.isnan(value) or value < low:
        raise InvalidParameterValueException(f"{name} must be a number >= {low:g}, got {value!r}")
    return float(value)


class Fixed(Distribution):
    """Always ``value`` seconds."""

    def __init__(self, value: float) -> None:
        self.value = _check("value", value)

    def sample(self, rng: random.Random, event: Any = None) -> float:
        return self.value

    @property
    def mean(self) -> float:
        return self.value


class Uniform(Distribution):
    """Uniform between ``low`` and ``high`` seconds."""

    def __init__(self, low: float, high: float) -> None:
        self.low = _check("low", low)
        self.high = _check("high", high, self.low)

    def sample(self, rng: random.Random, event: Any = None) -> float:
        return rng.uniform(self.low, self.high)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2


class Exponential(Distribution):
    """Exponential with the given ``mean`` seconds."""

    def __init__(self, mean: float) -> None:
        self._mean = _check("mean", mean)
        if self._mean == 0:
            raise InvalidParameterValueException("mean must be a number > 0, got 0")

    def sample(self, rng: random.Random, event: Any = None) -> float:
        return rng.expovariate(1.0 / self._mean)

    @property
    def mean(self) -> float:
        return self._mean


class Normal(Distribution):
    """Normal with ``mean`` and ``stddev``, truncated at 0 (redrawn until >= 0)."""

    def __init__(self, mean: float, stddev: float) -> None:
        self._mean = _check("mean", mean)
        self.stddev = _check("stddev", stddev)

    def sample(self, rng: random.Random, event: Any = None) -> float:
        while True:
            value = rng.gauss(self._mean, self.stddev)
            if value >= 0:
                return value

    @property
    def mean(self) -> float:
        return self._mean


class LogNormal(Distribution):
    """Log-normal with the given ``median`` seconds and shape ``sigma``: long tails."""

    def __init__(self, median: float, sigma: float) -> None:
        self.median = _check("median", median)
        self.sigma = _check("sigma", sigma)

    def sample(self, rng: random.Random, event: Any = None) -> float:
        return rng.lognormvariate(math.log(self.median), self.sigma) if self.median else 0.0

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)


def as_sampler(name: str, spec: Any) -> tuple[Sampler, float | None]:
    """Turn a duration setting into ``(sampler, fixed_value_or_None)``.

    The fixed value lets the hot path skip a call when the duration is a
    constant.  A callable is called with the event and must return seconds.
    """
    if isinstance(spec, bool):
        raise InvalidParameterValueException(f"{name} must be seconds, got {spec!r}")
    if isinstance(spec, (int, float)):
        value = _check(name, spec)
        return (lambda rng, event: value), value
    if isinstance(spec, Fixed):
        return spec.sample, spec.value
    if isinstance(spec, Distribution):
        return spec.sample, None
    if callable(spec):

        def from_event(rng: random.Random, event: Any) -> float:
            value = spec(event)
            if isinstance(value, Distribution):
                value = value.sample(rng, event)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise InvalidParameterValueException(
                    f"{name} callable must return seconds >= 0, got {value!r}"
                )
            return float(value)

        return from_event, None
    raise InvalidParameterValueException(
        f"{name} must be seconds, a Distribution or a callable of the event, got {spec!r}"
    )
