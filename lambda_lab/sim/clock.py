"""Simulated wall-clock time: virtual seconds since a fixed epoch.

Virtual time starts at 0 s.  Records that AWS stamps with a wall-clock time
(destination records, SQS attributes, log stream names) use ``epoch + t``,
formatted like AWS (ISO-8601 with milliseconds and a ``Z``), so the same
seed gives the same strings on every machine.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["SimClock"]

_UTC = dt.timezone.utc


class SimClock:
    """Converts virtual seconds to simulated wall-clock instants."""

    __slots__ = ("epoch", "epoch_seconds")

    def __init__(self, epoch: dt.datetime) -> None:
        if epoch.tzinfo is None:
            raise ValueError(f"start_time must be timezone-aware, got {epoch!r}")
        self.epoch = epoch.astimezone(_UTC)
        self.epoch_seconds = self.epoch.timestamp()

    def unix(self, t: float) -> float:
        """Simulated Unix time (seconds) at virtual time ``t``."""
        return self.epoch_seconds + t

    def unix_millis(self, t: float) -> int:
        """Simulated Unix time in whole milliseconds, as SQS attributes carry it."""
        return round((self.epoch_seconds + t) * 1000)

    def datetime(self, t: float) -> dt.datetime:
        """Simulated UTC datetime at virtual time ``t``."""
        return self.epoch + dt.timedelta(seconds=t)

    def iso(self, t: float) -> str:
        """``YYYY-MM-DDTHH:MM:SS.mmmZ``, AWS's timestamp format."""
        return self.datetime(t).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def iso_seconds(self, t: float) -> str:
        """``YYYY-MM-DDTHH:MM:SSZ`` (EventBridge's ``time``)."""
        return self.datetime(t).isoformat(timespec="seconds").replace("+00:00", "Z")
