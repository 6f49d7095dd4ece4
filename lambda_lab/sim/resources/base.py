"""What every resource shares: a name, an ARN, the world it lives in.

Resources are grouped by what they are (SQS, SNS, EventBridge, S3; streams
and tables next), not by who uses them: an SQS queue is a destination, a
dead-letter queue and an event source alike.  Each receives the
:class:`~lambda_lab.sim.world.World`, never the lab.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..world import World

__all__ = ["Resource", "decode"]


class Resource:
    """Something with an ARN in the lab's account."""

    kind = "resource"
    fifo = False
    max_message_bytes: int | None = None
    #: The shard logs of a stream source (see :mod:`.shards`); other resources have none.
    shards: Sequence[Any] = ()

    def __init__(self, name: str, arn: str, world: World) -> None:
        self.name = name
        self.arn = arn
        self.world = world

    def sweep(self, now: float) -> None:
        """Record what time alone did to this resource up to ``now``.

        Retention is applied lazily, when something reads; the lab sweeps every
        resource at the end of each ``run()``, so a message or record that
        expired unread is in the trace all the same.  A stream source drops the
        records past retention in each shard.
        """
        for shard in self.shards:
            shard.expire(now)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def decode(text: str) -> Any:
    """``text`` decoded from JSON where it is JSON, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text
