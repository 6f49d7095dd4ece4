"""``fastjson``: exactly ``json.dumps``/``json.loads``, on any JSON value, failures included."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_lab.sim import fastjson

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.text()
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


def has_nan(value) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, list):
        return any(has_nan(v) for v in value)
    if isinstance(value, dict):
        return any(has_nan(v) for v in value.values())
    return False


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_dumps_is_json_dumps(value):
    # GIVEN any JSON value (NaN and infinities included) WHEN encoded
    # THEN the text is json.dumps's, character for character
    assert fastjson.dumps(value) == json.dumps(value)


@settings(max_examples=300, deadline=None)
@given(VALUES.filter(lambda v: not has_nan(v)))
def test_loads_reads_back_what_json_dumps_wrote(value):
    # GIVEN any JSON value WHEN json.dumps's text (default or compact) is decoded
    # THEN the value comes back, as json.loads gives it
    for text in (json.dumps(value), json.dumps(value, separators=(",", ":"))):
        assert fastjson.loads(text) == value == json.loads(text)


@settings(max_examples=100, deadline=None)
@given(VALUES.filter(lambda v: not has_nan(v)))
def test_loads_falls_back_to_json_for_surrounding_whitespace(value):
    # GIVEN valid JSON with whitespace before or after it THEN it still decodes
    text = json.dumps(value)
    assert fastjson.loads(f" {text}") == value
    assert fastjson.loads(f"{text}\n") == value


@pytest.mark.parametrize("text", ["", "   ", "{", '{"a": 1} x', "[1,]", "nul"])
def test_loads_refuses_invalid_json_as_json_does(text):
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        fastjson.loads(text)
    assert str(got.value) == str(expected.value)


def test_strings_are_ascii_escaped_like_json_dumps():
    for text in ["", "plain", 'quote " and \\', "café", "\u2028", "😀", "\x00\n\t"]:
        assert fastjson.dumps(text) == json.dumps(text)
        assert fastjson.dumps([text]) == json.dumps([text])


def test_non_string_keys_are_converted_as_json_dumps_does():
    value = {1: "a", 2.5: "b", False: "c", None: "d"}
    assert (
        fastjson.dumps(value)
        == json.dumps(value)
        == ('{"1": "a", "2.5": "b", "false": "c", "null": "d"}')
    )


def test_decimal_is_encoded_as_a_number():
    # GIVEN Decimals, as DynamoDB hands them back
    value = {"price": Decimal("10.50"), "items": [Decimal("3"), Decimal("-0.25")]}
    # THEN they are numbers, as AWS's Python runtime writes them
    assert fastjson.dumps(value) == '{"price": 10.5, "items": [3.0, -0.25]}'
    assert fastjson.dumps(Decimal("1e3")) == "1000.0"


@pytest.mark.parametrize(
    "bad", [object(), {1, 2}, b"bytes", complex(1, 2)], ids=["object", "set", "bytes", "complex"]
)
def test_an_unserializable_object_fails_like_json_dumps(bad):
    with pytest.raises(TypeError) as expected:
        json.dumps(bad)
    with pytest.raises(TypeError) as got:
        fastjson.dumps(bad)
    assert str(got.value) == str(expected.value)
    assert str(got.value) == f"Object of type {type(bad).__name__} is not JSON serializable"


def test_a_failure_deep_inside_containers_leaves_later_calls_correct():
    # GIVEN a call that fails inside nested containers
    shared = [1, 2]
    with pytest.raises(TypeError):
        fastjson.dumps({"a": [shared, {"b": object()}]})
    # WHEN the same containers are encoded again, nested the same way
    again = {"a": [shared, {"b": shared}]}
    # THEN no stale marker makes them look circular
    assert fastjson.dumps(again) == json.dumps(again)
    assert fastjson.dumps(shared) == "[1, 2]"


def test_a_circular_reference_is_refused_and_later_calls_are_correct():
    # GIVEN a list containing itself
    loop: list = [1]
    loop.append(loop)
    # WHEN encoded THEN it is refused as json.dumps refuses it
    with pytest.raises(ValueError, match="Circular reference detected"):
        fastjson.dumps(loop)
    # THEN the lists it went through encode fine afterwards
    loop.pop()
    assert fastjson.dumps([loop, loop]) == "[[1], [1]]"


def test_the_same_object_twice_is_not_a_cycle():
    inner = {"x": [1]}
    assert fastjson.dumps([inner, inner, [inner]]) == json.dumps([inner, inner, [inner]])
