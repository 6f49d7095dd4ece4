"""What every event source mapping shares: identity, state, its boto3 description,
and the reading of a partial batch response.

A mapping is created ``Creating`` and becomes ``Enabled`` at the next step
of virtual time (AWS's own transition takes seconds; here it takes nothing,
and the record says when).  Disabling stops new polls; batches already in
flight finish.  Subclasses (one per source type) poll and invoke.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..compute.functions import Function
    from ..world import World

__all__ = ["INVALID", "Mapping", "MappingConfig", "batch_item_failures"]

#: ``batch_item_failures`` says the response fails the whole batch.
INVALID = object()


@dataclass
class MappingConfig:
    """The effective settings of one mapping, defaults of its source filled in."""

    batch_size: int
    maximum_batching_window_in_seconds: int
    report_batch_item_failures: bool
    filter_criteria: dict | None
    maximum_concurrency: int | None = None
    starting_position: str | None = None
    starting_position_timestamp: float | None = None
    parallelization_factor: int = 1
    maximum_retry_attempts: int = -1
    maximum_record_age_in_seconds: int = -1
    bisect_batch_on_function_error: bool = False
    on_failure: Any = None
    tumbling_window_in_seconds: int = 0
    topics: list[str] | None = None


class Mapping:
    """One event source mapping: see the module docstring."""

    #: ``StateTransitionReason`` as AWS words it for this kind of source.
    transition_reason = "USER_INITIATED"
    source_kind = "sqs"

    def __init__(
        self,
        world: World,
        uuid: str,
        function: Function,
        source: Any,
        config: MappingConfig,
        matcher: Any,
        enabled: bool,
    ) -> None:
        self.world = world
        self.uuid = uuid
        self.function = function
        self.source = source
        self.config = config
        self.matcher = matcher
        self.enabled = enabled
        self.state = "Creating"
        self.last_modified = world.engine.now
        self.arn = f"arn:aws:lambda:{world.region}:{world.account_id}:event-source-mapping:{uuid}"
        world.engine.soon(self._settle_state, None)

    # -- state -----------------------------------------------------------------
    def _settle_state(self, _: Any) -> None:
        if self.state == "Deleting":
            return
        self._set_state("Enabled" if self.enabled else "Disabled")
        if self.enabled:
            self.start()

    def _set_state(self, state: str) -> None:
        self.state = state
        self.world.trace.append(
            {
                "t": self.world.engine.now,
                "kind": "mapping_state",
                "mapping": self.uuid,
                "function": self.function.name,
                "state": state,
                "reason": self.transition_reason,
            }
        )

    def update(self, config: MappingConfig, matcher: Any, enabled: bool) -> None:
        """New settings; a change of ``enabled`` goes through Enabling / Disabling."""
        self.config, self.matcher = config, matcher
        self.last_modified = self.world.engine.now
        if enabled != self.enabled:
            self.enabled = enabled
            self._set_state("Enabling" if enabled else "Disabling")
            if not enabled:
                self.stop()
            self.world.engine.soon(self._settle_state, None)
        elif enabled:
            self.start()  # a larger batch or concurrency may allow more work now

    def delete(self) -> None:
        """Stop polling for good (in-flight batches finish)."""
        self.enabled = False
        self._set_state("Deleting")
        self.stop()

    def start(self) -> None:  # pragma: no cover - every source defines it
        raise NotImplementedError

    def stop(self) -> None:  # pragma: no cover - every source defines it
        raise NotImplementedError

    def _record_failed(self, request_id: str, reason: str, failed: list[str]) -> None:
        """A ``batch_failed`` record: ``failed`` are the ids that stay for a retry."""
        self.world.trace.append(
            {
                "t": self.world.engine.now,
                "kind": "batch_failed",
                "mapping": self.uuid,
                "function": self.function.name,
                "request_id": request_id,
                "reason": reason,
                "failed": failed,
            }
        )

    # -- boto3's description -----------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """The mapping as ``get_event_source_mapping`` returns it."""
        config = self.config
        out: dict[str, Any] = {
            "UUID": self.uuid,
            "BatchSize": config.batch_size,
            "MaximumBatchingWindowInSeconds": config.maximum_batching_window_in_seconds,
            "EventSourceArn": self.source.arn,
            "FunctionArn": self.function.arn,
            "LastModified": self.world.clock.datetime(self.last_modified),
            "State": self.state,
            "StateTransitionReason": self.transition_reason,
            "FunctionResponseTypes": (
                ["ReportBatchItemFailures"] if config.report_batch_item_failures else []
            ),
            "EventSourceMappingArn": self.arn,
        }
        if config.filter_criteria is not None:
            out["FilterCriteria"] = config.filter_criteria
        if config.maximum_concurrency is not None:
            out["ScalingConfig"] = {"MaximumConcurrency": config.maximum_concurrency}
        return out

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.uuid[:8]} {self.source.name} -> "
            f"{self.function.name}: {self.state}>"
        )


def batch_item_failures(payload: Any, ids: set[str]) -> list[str] | object:
    """The identifiers a partial batch response reports, or ``INVALID``.

    AWS's rules (fact sheet 3.2, 7.4, 7.5): ``None``, ``""``, ``[]``, ``{}``,
    ``{"batchItemFailures": []}`` and ``{"batchItemFailures": None}`` are
    complete success (an empty list).  An item that is not
    ``{"itemIdentifier": <id of this batch>}`` (another key, an empty or null
    id, an id not in the batch) fails the whole batch.  A response object
    without a ``batchItemFailures`` key (say ``{"statusCode": 200}``) reports
    nothing: our reading, as AWS documents only the cases above.
    """
    if not isinstance(payload, dict):
        return []
    failures = payload.get("batchItemFailures")
    if failures is None:
        return []
    if not isinstance(failures, list):
        return INVALID
    out = []
    for item in failures:
        if not isinstance(item, dict) or set(item) != {"itemIdentifier"}:
            return INVALID
        identifier = item["itemIdentifier"]
        if not isinstance(identifier, str) or identifier not in ids:
            return INVALID
        out.append(identifier)
    return out
