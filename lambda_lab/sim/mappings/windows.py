"""Tumbling windows of a stream mapping: state carried from batch to batch.

With ``tumbling_window_in_seconds`` set (1-900), a Kinesis or DynamoDB
mapping gives each shard fixed, back-to-back windows (fact sheet 3.3):

* Windows are aligned to multiples of their length on the simulated wall
  clock, as AWS's examples show (``07:04:00``-``07:06:00`` for 120 s).  A
  record belongs to the window of its arrival, and a batch holds records of
  one window only.
* Every invocation's event gains ``window`` {``start``, ``end``}, ``state``
  (what the previous invocation of this window returned; ``{}`` at first),
  ``shardId``, ``eventSourceARN``, ``isFinalInvokeForWindow`` and
  ``isWindowTerminatedEarly``, in that order after ``Records``.
* The function must answer ``{"state": ..., "batchItemFailures": [...]}``;
  an answer without ``state`` fails the batch (``batch_failed`` reason
  ``missing_state``).
* When the window is over (its end has passed and the shard holds no more of
  its records, or the next record is of a later window), Lambda invokes once
  more with ``Records`` empty, the final ``state`` and
  ``isFinalInvokeForWindow`` true.  The shard waits until that final
  invocation succeeds; it is retried like a batch.
* A ``state`` over 1 MB ends the window early: the final invocation follows
  at once with ``isWindowTerminatedEarly`` true, and the same window goes on
  with a fresh ``state``.

Our readings, where AWS documents no more (UNCONFIRMED): the final
invocation carries no records; a partial batch response's ``state`` is kept
(its failed records are retried in the same window); a final invocation that
keeps failing is given up, with the window's state, after
``maximum_retry_attempts`` or once the window's end is older than
``maximum_record_age_in_seconds`` or the stream's retention.  With a
``parallelization_factor`` above 1 each of a shard's lanes keeps its own
windows.
"""

from __future__ import annotations

import math
from typing import Any

from ..fastjson import dumps

__all__ = ["MAX_STATE_BYTES", "MISSING", "TumblingWindow", "read_state", "window_start"]

#: Largest ``state`` a window keeps (1 MB per shard); a larger one ends it early.
MAX_STATE_BYTES = 1024 * 1024


def window_start(t: float, length: int, epoch_seconds: float) -> float:
    """The virtual time at which the window holding virtual time ``t`` opens."""
    return math.floor((epoch_seconds + t) / length) * length - epoch_seconds


class TumblingWindow:
    """One open window of one shard (or lane): its bounds and its state so far."""

    __slots__ = ("attempts", "end", "start", "state", "terminated_early")

    def __init__(self, start: float, length: int) -> None:
        self.start = start
        self.end = start + length
        self.state: Any = {}
        #: The last answer's state was over :data:`MAX_STATE_BYTES`.
        self.terminated_early = False
        #: Failed final invocations so far: counted apart from the attempts of a
        #: batch the window's early end interrupted, which its retry still owns.
        self.attempts = 0

    def keep(self, state: Any) -> None:
        """Keep an answer's ``state``; one over the limit ends the window early."""
        self.state = state
        self.terminated_early = len(dumps(state).encode("utf-8")) > MAX_STATE_BYTES

    def event_fields(self, shard_id: str, source_arn: str, iso: Any, final: bool) -> dict[str, Any]:
        """The keys a tumbling window adds to the event, in AWS's order."""
        return {
            "window": {"start": iso(self.start), "end": iso(self.end)},
            "state": self.state,
            "shardId": shard_id,
            "eventSourceARN": source_arn,
            "isFinalInvokeForWindow": final,
            "isWindowTerminatedEarly": final and self.terminated_early,
        }

    def __repr__(self) -> str:
        return f"<TumblingWindow {self.start:g}-{self.end:g}>"


#: ``read_state`` found no ``state`` in the answer.
MISSING = object()


def read_state(payload: Any) -> Any:
    """The ``state`` of a tumbling-window answer, or :data:`MISSING`."""
    if isinstance(payload, dict) and "state" in payload:
        return payload["state"]
    return MISSING
