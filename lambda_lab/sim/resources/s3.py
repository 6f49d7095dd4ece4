"""S3 buckets: objects by key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import ResourceNotFoundException
from .base import Resource, decode

if TYPE_CHECKING:
    from ..world import World

__all__ = ["Bucket"]


class Bucket(Resource):
    """An S3 bucket: objects by key."""

    kind = "s3"

    def __init__(self, name: str, world: World) -> None:
        super().__init__(name, f"arn:aws:s3:::{name}", world)
        self.objects: dict[str, str] = {}

    def put_object(self, key: str, body: str) -> None:
        self.objects[key] = body

    def get_object(self, key: str) -> Any:
        """The object at ``key``, decoded from JSON where it is JSON."""
        if key not in self.objects:
            raise ResourceNotFoundException(f"The specified key does not exist: {key}")
        return decode(self.objects[key])

    def __repr__(self) -> str:
        return f"<Bucket {self.name}: {len(self.objects)} objects>"
