"""DynamoDB tables and their streams, against surviving mutants: typed values, keys,
item sizes, update expressions, stream records and the exact words of each refusal.

Scenarios in GIVEN / WHEN / THEN form, on boto3-shaped answers and stream records.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from support import refused

import lambda_lab as ll
from lambda_lab.errors import ResourceNotFoundException, ValidationException

SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"}]
SCHEMA2 = [
    {"AttributeName": "pk", "KeyType": "HASH"},
    {"AttributeName": "sk", "KeyType": "RANGE"},
]
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
LIMIT = 400 * 1024
TYPES = "S, N, B, BOOL, NULL, M, L, SS, NS, BS"
VIEWS = "NEW_AND_OLD_IMAGES, NEW_IMAGE, OLD_IMAGE, KEYS_ONLY"
VALUE_HELP = (
    "(S and B take a string, N a number as a string, BOOL a bool, NULL true, M a dict, "
    "L a list, SS/NS/BS a non-empty list of distinct strings)"
)


def compact(value) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


@pytest.fixture
def lab() -> ll.Lab:
    return ll.Lab(seed=3)


@pytest.fixture
def table(lab):
    return lab.create_table("orders", SCHEMA, stream_specification=STREAM)


def pk(value: str = "a") -> dict:
    return {"pk": {"S": value}}


# -- typed attribute values --------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        {"B": "aGVsbG8="},
        {"NULL": True},
        {"NS": ["1", "2.5"]},
        {"M": {"a": {"S": "x"}}},
        {"L": [{"S": "x"}, {"N": "1"}]},
        {"BOOL": False},
        {"SS": ["a", "b"]},
        {"BS": ["aGk="]},
    ],
)
def test_every_valid_typed_value_is_stored_and_read_back(table, value):
    # GIVEN a valid typed value WHEN an item holds it
    table.put_item({**pk(), "v": value})
    # THEN it is read back as it was written
    assert table.get_item(pk()) == {"Item": {**pk(), "v": value}}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "x",
            "item.v must be a typed attribute value with exactly one of "
            f"{TYPES} (e.g. {{'S': 'x'}}), got 'x'",
        ),
        (
            5,
            "item.v must be a typed attribute value with exactly one of "
            f"{TYPES} (e.g. {{'S': 'x'}}), got 5",
        ),
        (
            {"X": 1},
            f"item.v has unknown attribute type 'X' (allowed: {TYPES})",
        ),
        (
            {"NULL": False},
            f"item.v is not a valid NULL attribute value, got {{'NULL': False}} {VALUE_HELP}",
        ),
        (
            {"M": "x"},
            f"item.v is not a valid M attribute value, got {{'M': 'x'}} {VALUE_HELP}",
        ),
        (
            {"NS": ["x"]},
            f"item.v is not a valid NS attribute value, got {{'NS': ['x']}} {VALUE_HELP}",
        ),
        (
            {"M": {"a": {"X": 1}}},
            f"item.v.a has unknown attribute type 'X' (allowed: {TYPES})",
        ),
        (
            {"L": [{"S": "ok"}, {"X": 1}]},
            f"item.v[1] has unknown attribute type 'X' (allowed: {TYPES})",
        ),
    ],
)
def test_a_bad_typed_value_is_refused_in_these_words(table, value, message):
    # GIVEN an item with one bad value WHEN it is put THEN the refusal names the value
    refused(ValidationException, message, table.put_item, {**pk(), "v": value})
    # AND nothing was written
    assert len(table) == 0 and table.writes == 0


# -- keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "got"),
    [
        ({"pk": {"S": ""}}, "{'S': ''}"),
        ({"pk": {"S": 5}}, "{'S': 5}"),
        ({"pk": {"BOOL": "x"}}, "{'BOOL': 'x'}"),
        ({"pk": {"S": "a", "N": "1"}}, "{'S': 'a', 'N': '1'}"),
        ({}, "None"),
    ],
)
def test_a_bad_key_is_refused_naming_the_key_field(table, key, got):
    # GIVEN a key that is not one non-empty S, N or B value WHEN it is read THEN refused
    refused(
        ValidationException,
        "One or more parameter values were invalid: Missing the key pk in the item "
        f"(key.pk must be a non-empty S, N or B value, got {got})",
        table.get_item,
        key,
    )


def test_a_numeric_key_is_checked_as_a_number(lab):
    # GIVEN a table keyed by a number
    table = lab.create_table("nums", [{"AttributeName": "id", "KeyType": "HASH"}])
    # WHEN a key is not a number THEN it is refused as an N value of the key
    refused(
        ValidationException,
        f"key.id is not a valid N attribute value, got {{'N': 'abc'}} {VALUE_HELP}",
        table.get_item,
        {"id": {"N": "abc"}},
    )
    # AND a numeric key works
    table.put_item({"id": {"N": "7"}, "v": {"S": "x"}})
    assert table.get_item({"id": {"N": "7"}}) == {"Item": {"id": {"N": "7"}, "v": {"S": "x"}}}


def test_a_key_that_is_not_a_dict_or_has_extra_attributes_is_refused(table):
    # GIVEN keys of the wrong shape WHEN read THEN AWS's words with our hint
    refused(ValidationException, "key must be a dict of key attributes, got 5", table.get_item, 5)
    refused(
        ValidationException,
        "The provided key element does not match the schema (key has attributes "
        "['x'] outside the key schema ['pk'])",
        table.delete_item,
        {**pk(), "x": {"S": "y"}},
    )


def test_an_item_without_its_key_names_the_item_field(table):
    # GIVEN an item lacking the hash key WHEN put THEN the item field is named
    refused(
        ValidationException,
        "One or more parameter values were invalid: Missing the key pk in the item "
        "(item.pk must be a non-empty S, N or B value, got None)",
        table.put_item,
        {"other": {"S": "x"}},
    )


def test_items_of_different_keys_are_different_items(lab):
    # GIVEN a table with a hash and a range key
    table = lab.create_table("pairs", SCHEMA2)
    # WHEN three items differing in one key part are put
    for p, s in (("a", "1"), ("a", "2"), ("b", "1")):
        table.put_item({"pk": {"S": p}, "sk": {"S": s}})
    # THEN each is its own item
    assert len(table) == 3
    assert table.get_item({"pk": {"S": "a"}, "sk": {"S": "2"}}) == {
        "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}}
    }


# -- items -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (5, "item must be a dict of attribute name -> typed value, got 5"),
        (
            {"pk": {"S": "a"}, 1: {"S": "x"}},
            "item must be a dict of attribute name -> typed value, got "
            "{'pk': {'S': 'a'}, 1: {'S': 'x'}}",
        ),
    ],
)
def test_an_item_that_is_not_a_dict_of_names_is_refused(table, item, message):
    refused(ValidationException, message, table.put_item, item)


def test_an_item_of_exactly_400_kb_is_stored_and_one_byte_more_is_refused(table):
    # GIVEN an item whose compact JSON is exactly 400 KB
    frame = compact({**pk(), "big": {"S": ""}})
    item = {**pk(), "big": {"S": "x" * (LIMIT - frame)}}
    assert compact(item) == LIMIT
    # WHEN it is put THEN it is stored
    table.put_item(item)
    assert len(table) == 1
    # AND one byte more is refused, with both sizes named
    bigger = {**pk("b"), "big": {"S": "x" * (LIMIT - frame + 1)}}
    refused(
        ValidationException,
        "Item size has exceeded the maximum allowed size "
        f"(item is {LIMIT + 1} bytes; the limit is {LIMIT} bytes)",
        table.put_item,
        bigger,
    )


def test_writes_count_only_the_changes(table):
    # GIVEN a put, the same put again, an update, a delete and a delete of a missing key
    table.put_item({**pk(), "v": {"N": "1"}})
    table.put_item({**pk(), "v": {"N": "1"}})
    table.update_item(pk(), {"v": {"N": "2"}})
    table.delete_item(pk())
    table.delete_item(pk("missing"))
    # THEN three writes changed the table, and the stream holds exactly those three
    assert table.writes == 3
    assert [r.event_name for r in table.stream.records] == ["INSERT", "MODIFY", "REMOVE"]


def test_list_values_are_copied_whole(table):
    # GIVEN an item with a list WHEN it is read back and changed
    table.put_item({**pk(), "l": {"L": [{"S": "x"}, {"N": "1"}]}})
    read = table.get_item(pk())["Item"]
    read["l"]["L"].append({"S": "y"})
    # THEN the list came whole, and the stored one is unchanged
    assert table.get_item(pk())["Item"]["l"] == {"L": [{"S": "x"}, {"N": "1"}]}
    assert table.items == [{**pk(), "l": {"L": [{"S": "x"}, {"N": "1"}]}}]


# -- update_item ---------------------------------------------------------------------------


def test_update_keeps_other_attributes_and_removing_a_missing_one_is_fine(table):
    # GIVEN an item with two attributes
    table.put_item({**pk(), "a": {"S": "1"}, "b": {"S": "2"}})
    # WHEN one is set, and a missing one removed
    table.update_item(pk(), {"a": {"S": "9"}, "gone": None})
    # THEN the other attribute stays
    assert table.get_item(pk()) == {"Item": {**pk(), "a": {"S": "9"}, "b": {"S": "2"}}}


def test_update_expression_sets_and_removes_in_one_call(table):
    # GIVEN an item WHEN a lowercase expression sets two attributes and removes one
    table.put_item({**pk(), "Old": {"S": "x"}, "keep": {"S": "k"}})
    table.update_item(
        pk(),
        update_expression="set a = :a, b = :b remove Old",
        expression_attribute_values={":a": {"S": "1"}, ":b": {"N": "2"}},
    )
    # THEN both are set and the capitalised one is gone
    assert table.get_item(pk())["Item"] == {
        **pk(),
        "keep": {"S": "k"},
        "a": {"S": "1"},
        "b": {"N": "2"},
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {},
            "update_item takes exactly one of updates or update_expression "
            "(got updates=None, update_expression=None)",
        ),
        (
            {"updates": 5},
            "updates must be a dict of attribute name -> typed value or None, got 5",
        ),
        (
            {"updates": {1: {"S": "x"}}},
            "updates must be a dict of attribute name -> typed value or None, got {1: {'S': 'x'}}",
        ),
        (
            {"updates": {"v": {"X": 1}}},
            f"updates.v has unknown attribute type 'X' (allowed: {TYPES})",
        ),
        (
            {"update_expression": 5},
            "update_expression must be a non-empty string, got 5",
        ),
        (
            {"update_expression": "SET a = :a", "expression_attribute_values": 5},
            "expression_attribute_values must be a dict of ':name' -> typed value, got 5",
        ),
        (
            {"update_expression": "ADD a :a", "expression_attribute_values": {}},
            "Invalid UpdateExpression: 'ADD a :a' (only SET a = :v and REMOVE a clauses "
            "are supported here)",
        ),
        (
            {"update_expression": "SET a := :a", "expression_attribute_values": {":a": {"S": "x"}}},
            "Invalid UpdateExpression: 'SET a := :a' (a SET clause must read "
            "'name = :value', got 'a := :a')",
        ),
        (
            {"update_expression": "SET a = :zz", "expression_attribute_values": {}},
            "Invalid UpdateExpression: An expression attribute value used in "
            "expression is not defined; attribute value: :zz",
        ),
        (
            {"update_expression": "REMOVE 1x"},
            "Invalid UpdateExpression: 'REMOVE 1x' (a REMOVE clause names an attribute, got '1x')",
        ),
        (
            {
                "update_expression": "SET a = :a",
                "expression_attribute_values": {
                    ":a": {"S": "x"},
                    ":q": {"S": "1"},
                    ":p": {"S": "2"},
                },
            },
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:p, :q}",
        ),
    ],
)
def test_bad_updates_are_refused_in_these_words(table, kwargs, message):
    # GIVEN an item WHEN a bad update is asked for THEN these words refuse it
    table.put_item({**pk(), "v": {"S": "1"}})
    refused(ValidationException, message, table.update_item, pk(), **kwargs)
    # AND the item is unchanged
    assert table.get_item(pk()) == {"Item": {**pk(), "v": {"S": "1"}}}


def test_an_update_that_would_pass_400_kb_is_refused_and_exactly_400_kb_is_not(table):
    # GIVEN an item holding only its key
    table.put_item(pk())
    frame = compact({**pk(), "big": {"S": ""}})
    # WHEN an update makes it exactly 400 KB THEN it is written
    table.update_item(pk(), {"big": {"S": "x" * (LIMIT - frame)}})
    assert compact(table.get_item(pk())["Item"]) == LIMIT
    # AND one byte more is refused, naming the size it would have
    refused(
        ValidationException,
        "Item size to update has exceeded the maximum allowed size "
        f"(the item would be {LIMIT + 1} bytes; the limit is {LIMIT} bytes)",
        table.update_item,
        pk(),
        {"big": {"S": "x" * (LIMIT - frame + 1)}},
    )


# -- the table and its stream ------------------------------------------------------------


def test_the_table_keeps_copies_of_its_schema_and_stream_specification(lab):
    # GIVEN a schema and a stream specification
    schema = [dict(e) for e in SCHEMA]
    spec = dict(STREAM)
    table = lab.create_table("orders", schema, stream_specification=spec)
    schema[0]["AttributeName"] = "changed"
    spec["StreamViewType"] = "KEYS_ONLY"
    # THEN the table kept what it was given, not the caller's objects
    assert table.key_schema == SCHEMA
    assert table.stream_specification == STREAM
    assert table.stream.table is table
    # AND a table without a stream keeps None
    plain = lab.create_table("plain", SCHEMA)
    assert plain.stream_specification is None and plain.stream is None


def test_the_stream_shard_id_and_sequence_numbers_follow_the_documented_shape(lab):
    # GIVEN a table created at 5 s, and two writes at 10 s
    lab.run(until=5)
    table = lab.create_table("orders", SCHEMA, stream_specification=STREAM)
    stream = table.stream
    assert stream.created_at == 5
    tag = hashlib.md5(stream.arn.encode("utf-8")).hexdigest()[:8]
    assert stream.shard.id == f"shardId-{lab.clock.unix_millis(5):020d}-{tag}"
    lab.run(until=10)
    table.put_item(pk("a"))
    table.put_item(pk("b"))
    # THEN sequence numbers are 10**27 + epoch ms * 10**12 + a counter from 1
    base = 10**27 + lab.clock.unix_millis(10) * 10**12
    assert [r.sequence_number for r in stream.records] == [str(base + 1), str(base + 2)]


def test_size_bytes_counts_the_keys_and_both_images(table):
    # GIVEN an item that is modified
    table.put_item({**pk(), "v": {"S": "old"}})
    table.put_item({**pk(), "v": {"S": "newer"}})
    modify = table.stream.records[1]
    # THEN SizeBytes is the compact JSON of Keys, NewImage and OldImage
    record = table.stream.event_record(modify)["dynamodb"]
    expected = compact(
        {
            "Keys": pk(),
            "NewImage": {**pk(), "v": {"S": "newer"}},
            "OldImage": {**pk(), "v": {"S": "old"}},
        }
    )
    assert record["SizeBytes"] == expected
    assert record["OldImage"] == {**pk(), "v": {"S": "old"}}


def test_batch_info_wants_a_non_empty_list_of_records(table):
    # GIVEN a stream with one record
    table.put_item(pk())
    stream = table.stream
    records = stream.records
    # WHEN batch info is asked for with a tuple, or for another shard THEN refused
    refused(
        ValidationException,
        f"records must be a non-empty list of records of {stream.shard.id}, got {tuple(records)!r}",
        stream.batch_info,
        stream.shard.id,
        tuple(records),
    )
    refused(
        ResourceNotFoundException,
        "Requested resource not found: Shard 'nope' does not exist "
        f"(shard_id must be {stream.shard.id!r})",
        stream.batch_info,
        "nope",
        records,
    )
    # AND with the list it describes the batch
    assert stream.batch_info(stream.shard.id, records)["batchSize"] == 1


# -- creating tables ---------------------------------------------------------------------------


def test_table_names_are_checked_in_these_words(lab):
    # GIVEN a mixed-case name THEN it is fine
    assert lab.create_table("Orders-2024.v1_X", SCHEMA).name == "Orders-2024.v1_X"
    # AND a non-string or short name is refused
    for name in (5, "ab"):
        refused(
            ValidationException,
            f"1 validation error detected: Value {name!r} at 'tableName' failed to satisfy "
            "constraint (name must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '-', '.')",
            lab.create_table,
            name,
            SCHEMA,
        )


def schema_words(schema, detail):
    return (
        f"1 validation error detected: Value {schema!r} at 'keySchema' failed to "
        f"satisfy constraint ({detail}; key_schema must be 1 or 2 elements "
        "[{'AttributeName': ..., 'KeyType': 'HASH'}, {'AttributeName': ..., "
        "'KeyType': 'RANGE'}])"
    )


@pytest.mark.parametrize(
    ("schema", "detail"),
    [
        ([], "Member must have length between 1 and 2"),
        (
            [*SCHEMA2, {"AttributeName": "c", "KeyType": "RANGE"}],
            "Member must have length between 1 and 2",
        ),
        (
            [{"AttributeName": "pk", "KeyType": "BAD"}],
            "element {'AttributeName': 'pk', 'KeyType': 'BAD'} is not an AttributeName of "
            "1-255 chars and a KeyType",
        ),
        (
            [{"AttributeName": 5, "KeyType": "HASH"}],
            "element {'AttributeName': 5, 'KeyType': 'HASH'} is not an AttributeName of "
            "1-255 chars and a KeyType",
        ),
        (
            [{"AttributeName": "", "KeyType": "HASH"}],
            "element {'AttributeName': '', 'KeyType': 'HASH'} is not an AttributeName of "
            "1-255 chars and a KeyType",
        ),
        (
            [{"AttributeName": "x" * 256, "KeyType": "HASH"}],
            f"element {{'AttributeName': '{'x' * 256}', 'KeyType': 'HASH'}} is not an "
            "AttributeName of 1-255 chars and a KeyType",
        ),
    ],
)
def test_bad_key_schemas_are_refused_in_these_words(lab, schema, detail):
    refused(ValidationException, schema_words(schema, detail), lab.create_table, "t1x", schema)


def test_attribute_names_of_1_and_255_characters_are_accepted(lab):
    # GIVEN key names at both ends of 1-255 WHEN tables are made THEN both work
    one = lab.create_table("t-one", [{"AttributeName": "k", "KeyType": "HASH"}])
    long = lab.create_table("t-long", [{"AttributeName": "k" * 255, "KeyType": "HASH"}])
    one.put_item({"k": {"S": "x"}})
    long.put_item({"k" * 255: {"S": "x"}})
    assert len(one) == len(long) == 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"StreamViewType": "KEYS_ONLY"},
            "stream_specification must be a dict with StreamEnabled (a bool) and, when "
            f"enabled, StreamViewType (one of {VIEWS}), got {{'StreamViewType': 'KEYS_ONLY'}}",
        ),
        (
            {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY", "X": 1},
            "stream_specification has unknown keys ['X'] (allowed: StreamEnabled, StreamViewType)",
        ),
        (
            {"StreamEnabled": True, "StreamViewType": "ALL"},
            "1 validation error detected: Value 'ALL' at 'streamSpecification."
            "streamViewType' failed to satisfy constraint: Member must satisfy enum value set: "
            f"[{VIEWS}]",
        ),
    ],
)
def test_bad_stream_specifications_are_refused_in_these_words(lab, spec, message):
    refused(
        ValidationException, message, lab.create_table, "t1x", SCHEMA, stream_specification=spec
    )


def test_update_expression_takes_clauses_in_any_order_and_number(table):
    # GIVEN an item WHEN SET, REMOVE and SET again come in one expression
    table.put_item({**pk(), "Old": {"S": "x"}})
    table.update_item(
        pk(),
        update_expression="SET a = :a REMOVE Old SET b = :b",
        expression_attribute_values={":a": {"S": "1"}, ":b": {"S": "2"}},
    )
    # THEN every clause applied
    assert table.get_item(pk())["Item"] == {**pk(), "a": {"S": "1"}, "b": {"S": "2"}}
