"""Sizing a batch to the function timeout: the 15-minute lesson.

A mapping invokes once per batch, so a batch's work must fit the function's
timeout (at most 900 s).  A batch that does not fit times out every time:
on SQS it reappears whole after the visibility timeout until the queue
redrives it; on a stream it blocks the shard.
"""

from __future__ import annotations

import math

from ...errors import InvalidParameterValueException

__all__ = ["largest_batch"]


def largest_batch(
    timeout: float, per_record: float, margin: float = 0.2, overhead: float = 0.0
) -> int:
    """The largest batch whose records, at ``per_record`` seconds each, finish
    within ``timeout`` while leaving ``margin`` (a share, 0 to <1) of it spare,
    after a fixed ``overhead`` per batch.

    >>> largest_batch(900, 1.0)          # 15 minutes, 1 s a record, 20% spare
    720
    """
    for name, value in (("timeout", timeout), ("per_record", per_record)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise InvalidParameterValueException(f"{name} must be a positive number, got {value!r}")
    if timeout > 900:
        raise InvalidParameterValueException(
            f"timeout must be between 1 and 900 seconds, got {timeout!r}"
        )
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 <= margin < 1:
        raise InvalidParameterValueException(
            f"margin must be a share between 0 and 1 (exclusive), got {margin!r}"
        )
    if isinstance(overhead, bool) or not isinstance(overhead, (int, float)) or overhead < 0:
        raise InvalidParameterValueException(
            f"overhead must be a non-negative number, got {overhead!r}"
        )
    budget = timeout * (1 - margin) - overhead
    # A hair under the exact quotient, so a float like 719.9999 stays 719 and 720.0 stays 720.
    size = math.floor(budget / per_record + 1e-9)
    if size < 1:
        raise InvalidParameterValueException(
            f"no batch fits: {per_record} s per record with {overhead} s overhead leaves "
            f"no room in {timeout} s with a {margin:.0%} margin"
        )
    return min(size, 10000)
