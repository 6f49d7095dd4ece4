"""DynamoDB tables and their streams: typed items, INSERT / MODIFY / REMOVE records.

What it models: a table with boto3's ``KeySchema`` (a ``HASH`` key and an
optional ``RANGE`` key) holding items of typed attribute values (``S``,
``N``, ``B``, ``BOOL``, ``NULL``, ``M``, ``L``, ``SS``, ``NS``, ``BS``);
``put_item``, ``update_item``, ``delete_item`` and ``get_item``; and, when
``StreamSpecification`` enables it, a :class:`TableStream` that records each
change as DynamoDB Streams does: ``INSERT`` for a new key, ``MODIFY`` for an
existing key whose item changed (a write that changes nothing emits
nothing), ``REMOVE`` for a deleted item (deleting a missing key emits
nothing), with ``Keys`` and the images the ``StreamViewType`` asks for.
Stream records expire after 24 hours.  The event record and the
``DDBStreamBatchInfo`` follow 7.5's key order.

What it simplifies: the stream has **one shard** (real streams split into
shards as the table's partitions grow and roll shards over every few hours);
no capacity, indexes, conditions, transactions, TTL or queries.
``update_item`` takes a dict of attribute -> typed value (``None`` removes the
attribute) or an ``UpdateExpression`` made of ``SET a = :v, ...`` and
``REMOVE a, ...`` clauses only, on top-level attributes.  Items are limited to
400 KB, measured as the compact JSON of the item (real DynamoDB counts names
and values in its own way).

Choices where AWS is silent or varies:

* ``SizeBytes`` is the length in bytes of the compact JSON of the record's
  ``Keys``, ``NewImage`` and ``OldImage`` (those it carries);
* ``ApproximateCreationDateTime`` is whole epoch seconds (DynamoDB's default
  precision) of the simulated clock;
* ``SequenceNumber`` is 28 digits: ``10**27`` plus the epoch milliseconds of the
  change times ``10**12`` plus a counter, so it strictly increases;
* ``eventID`` is 32 hex digits drawn from the world's seeded generator;
* the shard id is ``shardId-<20-digit epoch ms of the stream's creation>-<8 hex
  of the MD5 of its ARN>``, shaped like DynamoDB's.

The reading interface (see :mod:`.shards`): ``TableStream.shards`` holds one
:class:`StreamShard` with ``id``, ``records_from(position, limit)``,
``trim_horizon()``, ``latest()``, ``position_at(t)``, ``expire(now)`` and
``wait(callback)``; ``TableStream.event_record(stored)`` builds a record of
the Lambda event.

Trace records: ``stream_records_expired``.  Writes are counted, not recorded.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

from ...errors import ResourceNotFoundException, ValidationException
from .base import Resource
from .shards import ShardLog, batch_info

if TYPE_CHECKING:
    from ..world import World

__all__ = [
    "DYNAMODB_MAX_ITEM_BYTES",
    "STREAM_RETENTION_SECONDS",
    "STREAM_VIEW_TYPES",
    "StreamRecord",
    "StreamShard",
    "Table",
    "TableStream",
]

#: Largest item (400 KB).
DYNAMODB_MAX_ITEM_BYTES = 400 * 1024
#: Stream records are kept for 24 hours.
STREAM_RETENTION_SECONDS = 24 * 3600
STREAM_VIEW_TYPES = ("NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY")
#: The attribute value types, and the key types among them.
ATTRIBUTE_TYPES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
KEY_TYPES = ("S", "N", "B")
_NUMBER = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_SET_CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.-]*)\s*=\s*(:\w+)\s*$")


def _json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def check_attribute_value(value: Any, field: str) -> None:
    """Raise ``ValidationException`` unless ``value`` is one typed attribute value."""
    if not isinstance(value, dict) or len(value) != 1:
        raise ValidationException(
            f"{field} must be a typed attribute value with exactly one of "
            f"{', '.join(ATTRIBUTE_TYPES)} (e.g. {{'S': 'x'}}), got {value!r}"
        )
    ((kind, inner),) = value.items()
    if kind not in ATTRIBUTE_TYPES:
        raise ValidationException(
            f"{field} has unknown attribute type {kind!r} (allowed: {', '.join(ATTRIBUTE_TYPES)})"
        )
    ok = True
    if kind in ("S", "B"):
        ok = isinstance(inner, str)
    elif kind == "N":
        ok = isinstance(inner, str) and bool(_NUMBER.match(inner))
    elif kind == "BOOL":
        ok = isinstance(inner, bool)
    elif kind == "NULL":
        ok = inner is True
    elif kind == "M":
        ok = isinstance(inner, dict) and all(isinstance(k, str) for k in inner)
        if ok:
            for name, sub in inner.items():
                check_attribute_value(sub, f"{field}.{name}")
    elif kind == "L":
        ok = isinstance(inner, list)
        if ok:
            for i, sub in enumerate(inner):
                check_attribute_value(sub, f"{field}[{i}]")
    else:  # SS, NS, BS: non-empty sets of distinct strings
        ok = (
            isinstance(inner, list)
            and bool(inner)
            and all(isinstance(v, str) for v in inner)
            and len(set(inner)) == len(inner)
            and (kind != "NS" or all(_NUMBER.match(v) for v in inner))
        )
    if not ok:
        raise ValidationException(
            f"{field} is not a valid {kind} attribute value, got {value!r} (S and B take a "
            "string, N a number as a string, BOOL a bool, NULL true, M a dict, L a list, "
            "SS/NS/BS a non-empty list of distinct strings)"
        )


class StreamRecord:
    """One stored change of a table's stream."""

    __slots__ = (
        "arrival",
        "event_id",
        "event_name",
        "keys",
        "new_image",
        "old_image",
        "position",
        "sequence_number",
        "size",
    )

    def __init__(
        self,
        event_id: str,
        event_name: str,
        sequence_number: str,
        keys: dict,
        new_image: dict | None,
        old_image: dict | None,
        arrival: float,
    ) -> None:
        self.event_id = event_id
        self.event_name = event_name
        self.sequence_number = sequence_number
        self.keys = keys
        self.new_image = new_image
        self.old_image = old_image
        #: Virtual seconds of the change.
        self.arrival = arrival
        self.position = -1
        body: dict[str, Any] = {"Keys": keys}
        if new_image is not None:
            body["NewImage"] = new_image
        if old_image is not None:
            body["OldImage"] = old_image
        #: ``SizeBytes``: the compact JSON of the keys and images (see the module docstring).
        self.size = _json_size(body)

    @property
    def partition_key(self) -> dict:
        """The record's key attributes (the uniform name of a record's key)."""
        return self.keys

    def __repr__(self) -> str:
        return f"<StreamRecord {self.event_name} {self.sequence_number}>"


class StreamShard(ShardLog):
    """The one shard of a table's stream (see :mod:`.shards`)."""


class TableStream(Resource):
    """A table's stream: its own ARN, one shard; built by :class:`Table`."""

    kind = "dynamodb-stream"

    def __init__(self, table: Table, view_type: str) -> None:
        world = table.world
        now = world.engine.now
        self.label = world.iso(now).removesuffix("Z")
        super().__init__(table.name, f"{table.arn}/stream/{self.label}", world)
        self.table = table
        self.view_type = view_type
        self.created_at = now
        tag = hashlib.md5(self.arn.encode("utf-8")).hexdigest()[:8]
        shard_id = f"shardId-{world.unix_millis(now):020d}-{tag}"
        self.shards: list[StreamShard] = [StreamShard(shard_id, self, STREAM_RETENTION_SECONDS)]
        self._counter = 0

    @property
    def shard(self) -> StreamShard:
        """The stream's only shard."""
        return self.shards[0]

    def record_change(self, event_name: str, keys: dict, new: dict | None, old: dict | None):
        """Store one change (called by the table); the stored record."""
        world = self.world
        now = world.engine.now
        self._counter += 1
        sequence_number = str(10**27 + world.unix_millis(now) * 10**12 + self._counter)
        view = self.view_type
        keep_new = view in ("NEW_AND_OLD_IMAGES", "NEW_IMAGE")
        keep_old = view in ("NEW_AND_OLD_IMAGES", "OLD_IMAGE")
        record = StreamRecord(
            world.new_id().replace("-", ""),
            event_name,
            sequence_number,
            keys,
            new if keep_new else None,
            old if keep_old else None,
            now,
        )
        self.shard.append(record)
        return record

    @property
    def records(self) -> list[StreamRecord]:
        """Every kept record, oldest first."""
        return self.shard.records

    def event_record(self, record: StreamRecord) -> dict[str, Any]:
        """The record as an entry of a Lambda event's ``Records`` (7.5's key order)."""
        world = self.world
        dynamodb: dict[str, Any] = {
            "ApproximateCreationDateTime": world.unix_millis(record.arrival) // 1000,
            "Keys": record.keys,
        }
        if record.new_image is not None:
            dynamodb["NewImage"] = record.new_image
        if record.old_image is not None:
            dynamodb["OldImage"] = record.old_image
        dynamodb["SequenceNumber"] = record.sequence_number
        dynamodb["SizeBytes"] = record.size
        dynamodb["StreamViewType"] = self.view_type
        return {
            "eventID": record.event_id,
            "eventName": record.event_name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": world.region,
            "dynamodb": dynamodb,
            "eventSourceARN": self.arn,
        }

    def batch_info(self, shard_id: str, records: list[StreamRecord]) -> dict[str, Any]:
        """The ``DDBStreamBatchInfo`` of an on-failure record (ISO, whole seconds)."""
        if shard_id != self.shard.id:
            raise ResourceNotFoundException(
                f"Requested resource not found: Shard {shard_id!r} does not exist "
                f"(shard_id must be {self.shard.id!r})"
            )
        if not isinstance(records, list) or not records:
            raise ValidationException(
                f"records must be a non-empty list of records of {shard_id}, got {records!r}"
            )
        return batch_info(shard_id, records, self.arn, self.world.iso_seconds)

    def __repr__(self) -> str:
        return f"<TableStream {self.name} {self.label}>"


class Table(Resource):
    """A DynamoDB table: see the module docstring."""

    kind = "dynamodb"

    def __init__(
        self,
        name: str,
        world: World,
        key_schema: list[dict[str, str]],
        stream_specification: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", name):
            raise ValidationException(
                f"1 validation error detected: Value {name!r} at 'tableName' failed to satisfy "
                "constraint (name must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '-', '.')"
            )
        self.hash_key, self.range_key = _check_key_schema(key_schema)
        view_type = _check_stream_specification(stream_specification)
        arn = f"arn:aws:dynamodb:{world.region}:{world.account_id}:table/{name}"
        super().__init__(name, arn, world)
        self.key_schema = [dict(element) for element in key_schema]
        self.stream_specification = (
            dict(stream_specification) if stream_specification is not None else None
        )
        #: The table's stream, or ``None`` when streams are off.
        self.stream: TableStream | None = (
            TableStream(self, view_type) if view_type is not None else None
        )
        self._items: dict[tuple, dict] = {}
        #: Writes that changed the table (puts, updates, deletes).
        self.writes = 0

    @property
    def latest_stream_arn(self) -> str | None:
        """``LatestStreamArn``: the stream's ARN, or ``None`` without a stream."""
        return self.stream.arn if self.stream is not None else None

    @property
    def latest_stream_label(self) -> str | None:
        """``LatestStreamLabel``: the timestamp that ends the stream's ARN."""
        return self.stream.label if self.stream is not None else None

    # -- keys ----------------------------------------------------------------------
    def _key_of(self, item: dict, field: str) -> tuple[tuple, dict]:
        names = [self.hash_key] + ([self.range_key] if self.range_key else [])
        keys = {}
        for name in names:
            value = item.get(name)
            if (
                not isinstance(value, dict)
                or len(value) != 1
                or next(iter(value)) not in KEY_TYPES
                or not isinstance(next(iter(value.values())), str)
                or not next(iter(value.values()))
            ):
                raise ValidationException(
                    "One or more parameter values were invalid: Missing the key "
                    f"{name} in the item ({field}.{name} must be a non-empty S, N or B value, "
                    f"got {value!r})"
                )
            if "N" in value:
                check_attribute_value(value, f"{field}.{name}")
            keys[name] = value
        identity = tuple((name, *next(iter(keys[name].items()))) for name in names)
        return identity, keys

    def _check_key(self, key: Any) -> tuple[tuple, dict]:
        if not isinstance(key, dict):
            raise ValidationException(f"key must be a dict of key attributes, got {key!r}")
        identity, keys = self._key_of(key, "key")
        extra = set(key) - set(keys)
        if extra:
            raise ValidationException(
                "The provided key element does not match the schema (key has attributes "
                f"{sorted(extra)} outside the key schema {list(keys)})"
            )
        return identity, keys

    def _check_item(self, item: Any, field: str) -> None:
        if not isinstance(item, dict) or not all(isinstance(k, str) and k for k in item):
            raise ValidationException(
                f"{field} must be a dict of attribute name -> typed value, got {item!r}"
            )
        for name, value in item.items():
            check_attribute_value(value, f"{field}.{name}")
        size = _json_size(item)
        if size > DYNAMODB_MAX_ITEM_BYTES:
            raise ValidationException(
                "Item size has exceeded the maximum allowed size "
                f"({field} is {size} bytes; the limit is {DYNAMODB_MAX_ITEM_BYTES} bytes)"
            )

    # -- writing -------------------------------------------------------------------
    def put_item(self, item: dict[str, Any]) -> dict:
        """Create or replace an item; ``{}`` as boto3 answers without ``ReturnValues``."""
        self._check_item(item, "item")
        identity, keys = self._key_of(item, "item")
        self._write(identity, keys, _copy(item))
        return {}

    def update_item(
        self,
        key: dict[str, Any],
        updates: dict[str, Any] | None = None,
        *,
        update_expression: str | None = None,
        expression_attribute_values: dict[str, Any] | None = None,
    ) -> dict:
        """Merge attributes into an item, creating it if missing (DynamoDB's upsert).

        ``updates`` maps attribute names to typed values (``None`` removes the
        attribute); or ``update_expression`` holds ``SET a = :v, b = :w`` and
        ``REMOVE c, d`` clauses with ``expression_attribute_values``.
        """
        identity, keys = self._check_key(key)
        if (updates is None) == (update_expression is None):
            raise ValidationException(
                "update_item takes exactly one of updates or update_expression "
                f"(got updates={updates!r}, update_expression={update_expression!r})"
            )
        if update_expression is not None:
            updates = _parse_update(update_expression, expression_attribute_values)
        elif not isinstance(updates, dict) or not all(isinstance(k, str) and k for k in updates):
            raise ValidationException(
                f"updates must be a dict of attribute name -> typed value or None, got {updates!r}"
            )
        for name, value in updates.items():
            if name in keys:
                raise ValidationException(
                    "One or more parameter values were invalid: Cannot update attribute "
                    f"{name}. This attribute is part of the key"
                )
            if value is not None:
                check_attribute_value(value, f"updates.{name}")
        old = self._items.get(identity)
        new = _copy(old) if old is not None else _copy(keys)
        for name, value in updates.items():
            if value is None:
                new.pop(name, None)
            else:
                new[name] = _copy(value)
        size = _json_size(new)
        if size > DYNAMODB_MAX_ITEM_BYTES:
            raise ValidationException(
                "Item size to update has exceeded the maximum allowed size "
                f"(the item would be {size} bytes; the limit is {DYNAMODB_MAX_ITEM_BYTES} bytes)"
            )
        self._write(identity, keys, new)
        return {}

    def delete_item(self, key: dict[str, Any]) -> dict:
        """Delete an item (nothing happens, and nothing is streamed, if it is missing)."""
        identity, keys = self._check_key(key)
        old = self._items.pop(identity, None)
        if old is not None:
            self.writes += 1
            if self.stream is not None:
                self.stream.record_change("REMOVE", _copy(keys), None, old)
        return {}

    def _write(self, identity: tuple, keys: dict, new: dict) -> None:
        old = self._items.get(identity)
        if old == new:
            return  # nothing changed: DynamoDB streams no MODIFY
        self._items[identity] = new
        self.writes += 1
        if self.stream is not None:
            name = "INSERT" if old is None else "MODIFY"
            self.stream.record_change(name, _copy(keys), _copy(new), old)

    # -- reading -------------------------------------------------------------------
    def get_item(self, key: dict[str, Any]) -> dict:
        """``{"Item": item}`` as boto3 answers, or ``{}`` when there is none."""
        identity, _ = self._check_key(key)
        item = self._items.get(identity)
        return {"Item": _copy(item)} if item is not None else {}

    @property
    def items(self) -> list[dict]:
        """Every item, in the order they were first written."""
        return [_copy(item) for item in self._items.values()]

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<Table {self.name}: {len(self._items)} items>"


def _copy(value: Any) -> Any:
    """A deep copy of plain JSON-like data (what items are made of)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _check_key_schema(key_schema: Any) -> tuple[str, str | None]:
    def bad(detail: str) -> ValidationException:
        return ValidationException(
            f"1 validation error detected: Value {key_schema!r} at 'keySchema' failed to "
            f"satisfy constraint ({detail}; key_schema must be 1 or 2 elements "
            "[{'AttributeName': ..., 'KeyType': 'HASH'}, {'AttributeName': ..., "
            "'KeyType': 'RANGE'}])"
        )

    if not isinstance(key_schema, list) or not 1 <= len(key_schema) <= 2:
        raise bad("Member must have length between 1 and 2")
    for element in key_schema:
        if (
            not isinstance(element, dict)
            or set(element) != {"AttributeName", "KeyType"}
            or not isinstance(element["AttributeName"], str)
            or not 1 <= len(element["AttributeName"]) <= 255
            or element["KeyType"] not in ("HASH", "RANGE")
        ):
            raise bad(f"element {element!r} is not an AttributeName of 1-255 chars and a KeyType")
    types = [element["KeyType"] for element in key_schema]
    if types not in (["HASH"], ["HASH", "RANGE"]):
        raise bad(f"the key types are {types}: the first must be HASH, a second RANGE")
    names = [element["AttributeName"] for element in key_schema]
    if len(set(names)) != len(names):
        raise bad(f"the attribute names {names} repeat")
    return names[0], names[1] if len(names) == 2 else None


def _check_stream_specification(spec: Any) -> str | None:
    if spec is None:
        return None
    if not isinstance(spec, dict) or not isinstance(spec.get("StreamEnabled"), bool):
        raise ValidationException(
            "stream_specification must be a dict with StreamEnabled (a bool) and, when "
            f"enabled, StreamViewType (one of {', '.join(STREAM_VIEW_TYPES)}), got {spec!r}"
        )
    unknown = set(spec) - {"StreamEnabled", "StreamViewType"}
    if unknown:
        raise ValidationException(
            f"stream_specification has unknown keys {sorted(unknown)} "
            "(allowed: StreamEnabled, StreamViewType)"
        )
    if not spec["StreamEnabled"]:
        return None
    view = spec.get("StreamViewType")
    if view not in STREAM_VIEW_TYPES:
        raise ValidationException(
            f"1 validation error detected: Value {view!r} at 'streamSpecification."
            "streamViewType' failed to satisfy constraint: Member must satisfy enum value set: "
            f"[{', '.join(STREAM_VIEW_TYPES)}]"
        )
    return view


def _parse_update(expression: Any, values: Any) -> dict[str, Any]:
    """``SET a = :v, ...`` and ``REMOVE a, ...`` clauses -> attribute -> value or None."""
    if not isinstance(expression, str) or not expression.strip():
        raise ValidationException(
            f"update_expression must be a non-empty string, got {expression!r}"
        )
    if values is not None and not isinstance(values, dict):
        raise ValidationException(
            f"expression_attribute_values must be a dict of ':name' -> typed value, got {values!r}"
        )
    values = values or {}
    updates: dict[str, Any] = {}
    used: set[str] = set()
    parts = re.split(r"\b(SET|REMOVE)\b", expression.strip(), flags=re.IGNORECASE)
    if parts[0].strip():
        raise ValidationException(
            f"Invalid UpdateExpression: {expression!r} (only SET a = :v and REMOVE a clauses "
            "are supported here)"
        )
    for action, body in zip(parts[1::2], parts[2::2], strict=True):
        for clause in body.split(","):
            if action.upper() == "SET":
                match = _SET_CLAUSE.match(clause)
                if match is None:
                    raise ValidationException(
                        f"Invalid UpdateExpression: {expression!r} (a SET clause must read "
                        f"'name = :value', got {clause.strip()!r})"
                    )
                name, placeholder = match.groups()
                if placeholder not in values:
                    raise ValidationException(
                        "Invalid UpdateExpression: An expression attribute value used in "
                        f"expression is not defined; attribute value: {placeholder}"
                    )
                used.add(placeholder)
                updates[name] = values[placeholder]
            else:
                name = clause.strip()
                if not re.fullmatch(r"[A-Za-z_][\w.-]*", name):
                    raise ValidationException(
                        f"Invalid UpdateExpression: {expression!r} (a REMOVE clause names an "
                        f"attribute, got {name!r})"
                    )
                updates[name] = None
    unused = sorted(set(values) - used)
    if unused:
        raise ValidationException(
            "Value provided in ExpressionAttributeValues unused in expressions: "
            f"keys: {{{', '.join(unused)}}}"
        )
    return updates
