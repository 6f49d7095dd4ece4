"""EventBridge event buses that keep the events put on them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Resource

if TYPE_CHECKING:
    from ..world import World

__all__ = ["EVENTBRIDGE_MAX_BYTES", "EventBus"]

#: Largest EventBridge entry (1 MiB since 2025).
EVENTBRIDGE_MAX_BYTES = 1024 * 1024


class EventBus(Resource):
    """An EventBridge event bus that keeps the events put on it."""

    kind = "events"
    max_message_bytes = EVENTBRIDGE_MAX_BYTES

    def __init__(self, name: str, world: World) -> None:
        arn = f"arn:aws:events:{world.region}:{world.account_id}:event-bus/{name}"
        super().__init__(name, arn, world)
        self.events: list[dict[str, Any]] = []

    def put_event(self, source: str, detail_type: str, detail: Any, resources: list[str]) -> str:
        """Add one event, shaped as EventBridge delivers it; returns its id."""
        world = self.world
        event = {
            "version": "0",
            "id": world.new_id(),
            "detail-type": detail_type,
            "source": source,
            "account": world.account_id,
            "time": world.iso_seconds(world.engine.now),
            "region": world.region,
            "resources": resources,
            "detail": detail,
        }
        self.events.append(event)
        return event["id"]

    def __repr__(self) -> str:
        return f"<EventBus {self.name}: {len(self.events)} events>"
