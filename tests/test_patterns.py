"""Event patterns (EventBridge syntax, as used by Lambda FilterCriteria): matching and errors.

The matcher is pure. The caller passes the decoded record. An SQS mapping
decodes a JSON ``body`` and leaves a plain-string body as a string, so a
pattern on body fields fails on a body that is not JSON.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_lab.errors import InvalidParameterValueException
from lambda_lab.sim.patterns import (
    FilterSet,
    Pattern,
    compile_filter_criteria,
    compile_pattern,
)

PREFIX = "Invalid filter pattern definition."


def matches(pattern: dict, event: dict) -> bool:
    # Compile from JSON text, as FilterCriteria holds it.
    return compile_pattern(json.dumps(pattern)).matches(event)


def criteria(*patterns: dict) -> dict:
    return {"Filters": [{"Pattern": json.dumps(p)} for p in patterns]}


# -- exact values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        # strings: exact and case-sensitive
        ({"s": ["ok"]}, {"s": "ok"}, True),
        ({"s": ["ok"]}, {"s": "OK"}, False),
        ({"s": ["ok"]}, {"s": "ok "}, False),
        # numbers: JSON numbers with the same text; 300 is not 300.0 nor "300"
        ({"n": [300]}, {"n": 300}, True),
        ({"n": [300]}, {"n": 300.0}, False),
        ({"n": [300]}, {"n": "300"}, False),
        ({"n": [300.5]}, {"n": 300.5}, True),
        ({"s": ["300"]}, {"s": 300}, False),
        # booleans are not the numbers 1 and 0
        ({"b": [True]}, {"b": True}, True),
        ({"b": [True]}, {"b": 1}, False),
        ({"n": [1]}, {"n": True}, False),
        ({"b": [False]}, {"b": False}, True),
        ({"b": [False]}, {"b": 0}, False),
        # null matches a present null, and nothing else
        ({"x": [None]}, {"x": None}, True),
        ({"x": [None]}, {}, False),
        ({"x": [None]}, {"x": ""}, False),
        # "" matches the empty string only
        ({"x": [""]}, {"x": ""}, True),
        ({"x": [""]}, {"x": None}, False),
        ({"x": [""]}, {"x": " "}, False),
    ],
)
def test_exact_values(pattern, event, expected):
    # GIVEN a pattern of exact values WHEN an event is matched
    # THEN it matches only an equal JSON value of the same type
    assert matches(pattern, event) is expected


def test_values_of_one_array_are_ored():
    # GIVEN one field with three alternatives
    pattern = compile_pattern('{"state": ["a", "b", 3]}')
    # WHEN / THEN any alternative matches, and anything else does not
    assert pattern.matches({"state": "b"})
    assert pattern.matches({"state": 3})
    assert not pattern.matches({"state": "c"})


def test_fields_of_one_pattern_are_anded():
    # GIVEN two fields
    pattern = compile_pattern({"a": ["x"], "b": ["y"]})
    # THEN both must match
    assert pattern.matches({"a": "x", "b": "y", "c": "extra"})
    assert not pattern.matches({"a": "x", "b": "z"})
    assert not pattern.matches({"a": "x"})


def test_nested_objects_recurse():
    # GIVEN a pattern two levels deep
    pattern = compile_pattern({"detail": {"order": {"state": ["paid"]}}, "source": ["shop"]})
    # THEN the nested field must match, at that path
    assert pattern.matches({"source": "shop", "detail": {"order": {"state": "paid", "n": 1}}})
    assert not pattern.matches({"source": "shop", "detail": {"order": {"state": "new"}}})
    assert not pattern.matches({"source": "shop", "detail": {"state": "paid"}})
    # AND a scalar where an object is expected has no fields: no match
    assert not pattern.matches({"source": "shop", "detail": "paid"})


def test_an_absent_field_fails_the_match():
    # GIVEN a pattern naming a field
    # THEN an event without it never matches, whatever the operator
    for leaf in (["x"], [{"prefix": ""}], [{"anything-but": "x"}], [{"numeric": [">", 0]}]):
        assert not matches({"f": leaf}, {"other": "x"})
    assert not matches({"a": {"b": ["x"]}}, {})


def test_array_in_the_event_matches_when_any_element_does():
    # GIVEN an event whose field holds an array
    event = {"tags": ["red", "green"], "sizes": [1, 5, 10], "deep": [["x"], ["y"]]}
    # THEN each operator matches when any element matches
    assert matches({"tags": ["green"]}, event)
    assert not matches({"tags": ["blue"]}, event)
    assert matches({"sizes": [{"numeric": [">", 8]}]}, event)
    assert not matches({"sizes": [{"numeric": [">", 10]}]}, event)
    assert matches({"tags": [{"anything-but": "red"}]}, event)  # "green" is not red
    assert matches({"deep": ["y"]}, event)  # nested arrays are flattened


def test_array_of_objects_matches_one_element_at_a_time():
    # GIVEN records in an array of objects
    event = {"items": [{"k": "a", "v": 1}, {"k": "b", "v": 2}]}
    # THEN a nested pattern matches when one element matches all its fields
    assert matches({"items": {"k": ["b"], "v": [2]}}, event)
    assert not matches({"items": {"k": ["a"], "v": [2]}}, event)


def test_a_non_object_event_never_matches():
    # GIVEN a compiled pattern WHEN the event is not an object THEN no match
    pattern = compile_pattern({"a": ["x"]})
    for event in (None, "x", ["x"], 3):
        assert not pattern.matches(event)


# -- operators ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("leaf", "yes", "no"),
    [
        ({"prefix": "us-"}, "us-east-1", "eu-west-1"),
        ({"prefix": "us-"}, "us-", "US-east-1"),
        ({"suffix": ".png"}, "cat.png", "cat.jpg"),
        ({"equals-ignore-case": "Alice"}, "aLiCe", "alicia"),
        ({"wildcard": "img/*.png"}, "img/a/b.png", "img/a.jpg"),
        ({"wildcard": "a*b*c"}, "aXXbYc", "aXXc"),
        ({"wildcard": "lit\\*"}, "lit*", "litX"),
        ({"anything-but": "red"}, "blue", "red"),
        ({"anything-but": ["red", "green"]}, "blue", "green"),
        ({"anything-but": [5, "x"]}, 6, 5),
        ({"anything-but": {"prefix": "tmp-"}}, "keep", "tmp-1"),
        ({"anything-but": {"suffix": ".tmp"}}, "a.txt", "a.tmp"),
        ({"anything-but": {"equals-ignore-case": "x"}}, "y", "X"),
        ({"anything-but": {"wildcard": "*-dev"}}, "api-prod", "api-dev"),
        ({"numeric": ["=", 5]}, 5.0, 6),
        ({"numeric": ["<", 5]}, 4.5, 5),
        ({"numeric": ["<=", 5]}, 5, 5.01),
        ({"numeric": [">", 5]}, 6, 5),
        ({"numeric": [">=", 5]}, 5, 4),
        ({"numeric": [">", 10, "<=", 20]}, 20, 10),
        ({"exists": True}, "anything", None),  # "no" is replaced below: absent
    ],
)
def test_each_operator_matches_and_rejects(leaf, yes, no):
    # GIVEN a pattern with one operator
    pattern = compile_pattern({"f": [leaf]})
    # WHEN an event holds a matching value THEN it matches
    assert pattern.matches({"f": yes})
    # WHEN it holds a value outside the operator THEN it does not
    event = {} if leaf == {"exists": True} else {"f": no}
    assert not pattern.matches(event)


def test_string_operators_apply_to_strings_only():
    # GIVEN string operators WHEN the value is a number, bool or null THEN no match
    for leaf in ({"prefix": "1"}, {"suffix": "1"}, {"equals-ignore-case": "1"}, {"wildcard": "*"}):
        for value in (1, 10, True, None):
            assert not matches({"f": [leaf]}, {"f": value}), (leaf, value)
    # AND anything-but of a string operator needs a string too
    assert not matches({"f": [{"anything-but": {"prefix": "x"}}]}, {"f": 5})


def test_numeric_applies_to_json_numbers_only():
    # GIVEN a numeric filter
    pattern = compile_pattern({"n": [{"numeric": [">", 100]}]})
    # THEN strings holding numbers (DynamoDB's {"N": "101"}) and booleans never match
    assert pattern.matches({"n": 101})
    assert not pattern.matches({"n": "101"})
    assert not pattern.matches({"n": True})
    dynamo = compile_pattern({"dynamodb": {"NewImage": {"q": {"N": [{"numeric": [">", 100]}]}}}})
    assert not dynamo.matches({"dynamodb": {"NewImage": {"q": {"N": "101"}}}})


def test_facts_sheet_numeric_examples():
    # GIVEN the facts sheet's filters (section 7.4)
    above = compile_pattern('{"body": {"n": [{"numeric": [">", 100]}]}}')
    window = compile_pattern('{"body": {"n": [{"numeric": [">=", 100, "<", 200]}]}}')
    # THEN > 100 passes 101 and drops 100
    assert above.matches({"body": {"n": 101}})
    assert not above.matches({"body": {"n": 100}})
    # AND >= 100, < 200 passes 100 and drops 200
    assert window.matches({"body": {"n": 100}})
    assert window.matches({"body": {"n": 199.9}})
    assert not window.matches({"body": {"n": 200}})
    assert not window.matches({"body": {"n": 99}})


def test_numeric_compares_values_not_text():
    # GIVEN numeric equality THEN 300 equals 300.0 (unlike exact matching)
    assert matches({"n": [{"numeric": ["=", 300]}]}, {"n": 300.0})
    assert not matches({"n": [300]}, {"n": 300.0})


def test_exists():
    # GIVEN exists true and exists false
    present = compile_pattern({"f": [{"exists": True}]})
    absent = compile_pattern({"f": [{"exists": False}]})
    # THEN exists:true matches any leaf value, null included, and not an absent field
    for value in ("x", "", 0, False, None, ["x"]):
        assert present.matches({"f": value})
        assert not absent.matches({"f": value})
    assert not present.matches({})
    # AND exists:false matches an absent field
    assert absent.matches({"g": 1})
    # AND, as in EventBridge, an object or an empty array is not a leaf value
    for value in ({"x": 1}, []):
        assert not present.matches({"f": value})
        assert absent.matches({"f": value})


def test_exists_false_inside_a_nested_object_matches_a_missing_parent():
    # GIVEN exists:false one level down
    pattern = compile_pattern({"detail": {"error": [{"exists": False}]}})
    # THEN a missing parent has no error either
    assert pattern.matches({})
    assert pattern.matches({"detail": {"ok": True}})
    assert not pattern.matches({"detail": {"error": "boom"}})


def test_exists_false_or_a_value():
    # GIVEN "absent, or null" as alternatives
    pattern = compile_pattern({"f": [None, {"exists": False}]})
    # THEN both pass and any other value fails
    assert pattern.matches({})
    assert pattern.matches({"f": None})
    assert not pattern.matches({"f": "x"})


def test_anything_but_matches_other_types_and_null():
    # GIVEN anything-but of strings
    pattern = compile_pattern({"f": [{"anything-but": ["a", "b"]}]})
    # THEN any other present value matches (a number, null), but absence does not
    assert pattern.matches({"f": 5})
    assert pattern.matches({"f": None})
    assert not pattern.matches({"f": "a"})
    assert not pattern.matches({})
    # AND anything-but of 300 refuses 300 only, not 300.0 (numbers are compared as text)
    assert not matches({"f": [{"anything-but": 300}]}, {"f": 300})
    assert matches({"f": [{"anything-but": 300}]}, {"f": 300.0})


def test_or_of_sub_patterns():
    # GIVEN "$or" of two sub-patterns, ANDed with a plain field
    pattern = compile_pattern({"src": ["a"], "$or": [{"x": ["1"]}, {"y": [{"exists": True}]}]})
    # THEN the field and one alternative must match
    assert pattern.matches({"src": "a", "x": "1"})
    assert pattern.matches({"src": "a", "y": 0})
    assert not pattern.matches({"src": "a", "x": "2"})
    assert not pattern.matches({"src": "b", "x": "1"})


def test_duplicate_keys_the_last_one_wins():
    # GIVEN JSON text with a key twice THEN the last value is the pattern
    pattern = compile_pattern('{"a": ["first"], "a": ["second"]}')
    assert pattern.matches({"a": "second"})
    assert not pattern.matches({"a": "first"})


def test_a_pattern_compiles_once_and_matches_many_times():
    # GIVEN a compiled pattern THEN it keeps its source and is reusable
    pattern = compile_pattern('{"a": ["x"]}')
    assert isinstance(pattern, Pattern)
    assert pattern.source == {"a": ["x"]}
    assert "Pattern(" in repr(pattern)
    assert [pattern.matches({"a": v}) for v in "xyx"] == [True, False, True]


# -- sources, as their mappings pass them ---------------------------------------------


def test_dynamodb_filters_need_the_type_key():
    # GIVEN a DynamoDB filter on a new image's string attribute
    pattern = compile_pattern('{"dynamodb": {"NewImage": {"k": {"S": ["v"]}}}}')
    record = {"eventName": "INSERT", "dynamodb": {"NewImage": {"k": {"S": "v"}}}}
    # THEN it matches the typed value, and not an untyped one
    assert pattern.matches(record)
    assert not pattern.matches({"dynamodb": {"NewImage": {"k": "v"}}})
    assert not pattern.matches({"dynamodb": {"NewImage": {"k": {"S": "w"}}}})


def test_sqs_json_body_filter_never_matches_a_plain_string_body():
    # GIVEN a JSON-body filter (the caller passes the body decoded when it is JSON)
    pattern = compile_pattern('{"body": {"status": ["ok"]}}')
    # THEN a decoded JSON body matches
    assert pattern.matches({"body": {"status": "ok"}})
    # AND a plain-string body (passed as a string) never does, even one that reads "ok"
    assert not pattern.matches({"body": "ok"})
    assert not pattern.matches({"body": '{"status": "ok"}'})
    # AND a plain-string filter matches a plain-string body
    assert matches({"body": ["ok"]}, {"body": "ok"})


# -- FilterCriteria -------------------------------------------------------------------


def test_filters_are_ored():
    # GIVEN two filters
    filters = compile_filter_criteria(criteria({"a": ["x"]}, {"b": ["y"]}))
    assert isinstance(filters, FilterSet)
    assert len(filters.patterns) == 2
    # THEN a record passes when any one matches
    assert filters.matches({"a": "x"})
    assert filters.matches({"b": "y"})
    assert not filters.matches({"a": "y", "b": "x"})
    assert "FilterSet(" in repr(filters)


@pytest.mark.parametrize("value", [None, {}, {"Filters": []}, {"Filters": None}])
def test_no_filters_means_no_filtering(value):
    # GIVEN no criteria or no filters THEN nothing is compiled: every record passes
    assert compile_filter_criteria(value) is None


def test_ten_filters_are_accepted():
    # GIVEN 10 filters (the raised quota; the default is 5) THEN they compile
    filters = compile_filter_criteria(criteria(*({"n": [i]} for i in range(10))))
    assert filters is not None
    assert filters.matches({"n": 9})


def test_a_4096_character_pattern_is_accepted():
    # GIVEN a pattern of exactly 4,096 characters THEN it compiles
    text = '{"a": ["' + "x" * (4096 - 11) + '"]}'
    assert len(text) == 4096
    assert compile_filter_criteria({"Filters": [{"Pattern": text}]}) is not None


# -- errors ---------------------------------------------------------------------------

WHERE = "filter_criteria.Filters[0].Pattern"


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("not json", f"({WHERE}: not valid JSON (Expecting value: line 1 column 1 (char 0)): "),
        ('{"a": [NaN]}', f"({WHERE}: not valid JSON (NaN is not JSON)"),
        ('["a"]', f"({WHERE}: a pattern must be a JSON object, got ['a'])"),
        ('"a"', f"({WHERE}: a pattern must be a JSON object, got 'a')"),
        ("{}", f"({WHERE}: an object pattern must name at least one field)"),
        ('{"a": {}}', f"({WHERE}: an object pattern must name at least one field, at field a)"),
        (
            '{"a": "x"}',
            f"({WHERE}: a field's value must be an array of values or an object, got 'x', "
            "at field a)",
        ),
        ('{"a": {"b": 5}}', "got 5, at field a.b)"),
        ('{"a": []}', f"({WHERE}: an array of values must not be empty, at field a)"),
        (
            '{"a": [["x"]]}',
            f"({WHERE}: a value in an array must be a string, number, boolean, null or "
            "operator object, got ['x'], at field a)",
        ),
        (
            '{"a": [{"contains": "x"}]}',
            f"({WHERE}: unknown operator 'contains', expected one of prefix, suffix, "
            "equals-ignore-case, wildcard, anything-but, numeric, exists, at field a)",
        ),
        (
            '{"a": [{"prefix": "x", "suffix": "y"}]}',
            f"({WHERE}: an operator object holds exactly one operator, "
            "got {'prefix': 'x', 'suffix': 'y'}, at field a)",
        ),
        ('{"a": [{}]}', f"({WHERE}: an operator object holds exactly one operator, got {{}}"),
        ('{"a": [{"prefix": 5}]}', f"({WHERE}: prefix needs a string, got 5, at field a)"),
        ('{"a": [{"suffix": null}]}', f"({WHERE}: suffix needs a string, got None, at field a)"),
        ('{"a": [{"equals-ignore-case": ["x"]}]}', "equals-ignore-case needs a string, got ['x']"),
        ('{"a": [{"wildcard": 1}]}', "wildcard needs a string, got 1, at field a)"),
        ('{"a": [{"wildcard": "a**b"}]}', "wildcard must not hold consecutive *, got 'a**b'"),
        ('{"a": [{"wildcard": "a\\\\b"}]}', "wildcard escapes only * and \\ with a backslash"),
        ('{"a": [{"exists": "yes"}]}', f"({WHERE}: exists needs true or false, got 'yes'"),
        ('{"a": [{"exists": 1}]}', "exists needs true or false, got 1, at field a)"),
        (
            '{"a": [{"numeric": ["~", 1]}]}',
            f"({WHERE}: numeric needs an operator among =, <, <=, >, >=, got '~', at field a)",
        ),
        (
            '{"a": [{"numeric": [1, ">"]}]}',
            "numeric needs an operator among =, <, <=, >, >=, got 1,",
        ),
        ('{"a": [{"numeric": [">", "1"]}]}', "numeric needs a number after '>', got '1'"),
        ('{"a": [{"numeric": [">", true]}]}', "numeric needs a number after '>', got True"),
        ('{"a": [{"numeric": [">"]}]}', "numeric needs [op, number] or [op, number, op, number]"),
        ('{"a": [{"numeric": [">", 1, "<"]}]}', "numeric needs [op, number] or [op, number, op"),
        ('{"a": [{"numeric": ">"}]}', "numeric needs [op, number] or [op, number, op, number]"),
        (
            '{"a": [{"numeric": ["<", 20, ">", 10]}]}',
            "a numeric range is a lower bound (> or >=) then an upper bound (< or <=), "
            "got ['<', 20, '>', 10]",
        ),
        ('{"a": [{"numeric": ["=", 1, "<", 2]}]}', "a numeric range is a lower bound"),
        ('{"a": [{"numeric": [">", 20, "<", 10]}]}', "numeric range is empty, got ['>', 20, '<'"),
        ('{"a": [{"numeric": [">", 5, "<=", 5]}]}', "numeric range is empty"),
        (
            '{"a": [{"anything-but": []}]}',
            f"({WHERE}: anything-but needs at least one value, got [], at field a)",
        ),
        (
            '{"a": [{"anything-but": [null]}]}',
            f"({WHERE}: anything-but accepts strings, numbers or one of prefix, suffix, "
            "equals-ignore-case, wildcard, got None, at field a)",
        ),
        ('{"a": [{"anything-but": true}]}', "anything-but accepts strings, numbers or one of"),
        ('{"a": [{"anything-but": [["x"]]}]}', "got ['x'], at field a)"),
        (
            '{"a": [{"anything-but": {"numeric": [">", 1]}}]}',
            f"({WHERE}: anything-but accepts only prefix, suffix, equals-ignore-case, wildcard "
            "inside it, got 'numeric', at field a)",
        ),
        (
            '{"a": [{"exists": true, "prefix": "x"}]}',
            "an operator object holds exactly one operator",
        ),
        ('{"$or": [{"a": ["x"]}]}', "$or needs an array of at least two object patterns"),
        ('{"$or": {"a": ["x"]}}', "$or needs an array of at least two object patterns"),
        ('{"a": {"$or": [{"b": ["x"]}, 5]}}', "got [{'b': ['x']}, 5], at field a)"),
    ],
)
def test_invalid_patterns_name_what_is_wrong(text, detail):
    # GIVEN an invalid pattern in FilterCriteria
    # WHEN it is compiled
    with pytest.raises(InvalidParameterValueException) as caught:
        compile_filter_criteria({"Filters": [{"Pattern": text}]})
    # THEN the message starts with AWS's words and names the problem
    message = caught.value.message
    assert message.startswith(f"{PREFIX} (")
    assert detail in message
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_exists_inside_anything_but_is_refused():
    # GIVEN exists inside anything-but (negate it with exists:false instead)
    with pytest.raises(InvalidParameterValueException, match="got 'exists', at field a"):
        compile_pattern({"a": [{"anything-but": {"exists": True}}]})


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("x", '(filter_criteria: must be {"Filters": [{"Pattern": "<json>"}]}, got \'x\')'),
        ({"Filter": []}, '(filter_criteria: must be {"Filters": '),
        ({"Filters": "x"}, "(filter_criteria.Filters: must be a list, got 'x')"),
        (
            {"Filters": [{"Pattern": '{"a": ["x"]}'}] * 11},
            "(filter_criteria.Filters: at most 10 filters (the default quota is 5, "
            "raisable to 10), got 11)",
        ),
        (
            {"Filters": ["x"]},
            '(filter_criteria.Filters[0]: each filter must be {"Pattern": "<json>"}, got \'x\')',
        ),
        ({"Filters": [{"pattern": "{}"}]}, "(filter_criteria.Filters[0]: each filter must be"),
        ({"Filters": [{"Pattern": "{}", "X": 1}]}, "(filter_criteria.Filters[0]: each filter"),
        (
            {"Filters": [{"Pattern": {"a": ["x"]}}]},
            "(filter_criteria.Filters[0].Pattern: must be a JSON string, got {'a': ['x']})",
        ),
        (
            {"Filters": [{"Pattern": '{"a": ["x"]}'}, {"Pattern": " " * 4097}]},
            "(filter_criteria.Filters[1].Pattern: at most 4096 characters, got 4097)",
        ),
        (
            {"Filters": [{"Pattern": '{"a": ["x"]}'}, {"Pattern": '{"a": "x"}'}]},
            "(filter_criteria.Filters[1].Pattern: a field's value must be an array",
        ),
    ],
)
def test_invalid_filter_criteria_name_what_is_wrong(value, detail):
    # GIVEN malformed FilterCriteria WHEN compiled THEN AWS's words and the problem
    with pytest.raises(InvalidParameterValueException) as caught:
        compile_filter_criteria(value)
    assert caught.value.message.startswith(f"{PREFIX} (")
    assert detail in caught.value.message


def test_compile_pattern_names_its_location():
    # GIVEN a pattern compiled on its own, with and without a location
    with pytest.raises(InvalidParameterValueException) as caught:
        compile_pattern({"a": ["x"], "b": 1})
    assert caught.value.message == (
        f"{PREFIX} (pattern: a field's value must be an array of values or an object, "
        "got 1, at field b)"
    )
    with pytest.raises(InvalidParameterValueException, match=r"^Invalid filter pattern "):
        compile_pattern("[1]", where="rule.EventPattern")
    with pytest.raises(InvalidParameterValueException, match=r"\(rule\.EventPattern: "):
        compile_pattern("[1]", where="rule.EventPattern")


def test_non_finite_and_non_json_values_in_a_decoded_pattern_are_refused():
    # GIVEN an already-decoded pattern holding values JSON cannot hold
    for leaf in (math.inf, math.nan, (1, 2), {1, 2}):
        with pytest.raises(InvalidParameterValueException, match=r"^Invalid filter pattern"):
            compile_pattern({"a": [leaf]})
    with pytest.raises(InvalidParameterValueException, match="field names must be strings"):
        compile_pattern({1: ["x"]})


# -- properties -----------------------------------------------------------------------

_scalars = st.one_of(
    st.text(max_size=8),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.none(),
)
# "$or" is the pattern keyword, so an event field of that name cannot be filtered on.
_names = st.text(min_size=1, max_size=6).filter(lambda name: name != "$or")
_events = st.dictionaries(_names, _scalars, min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(event=_events, data=st.data())
def test_a_pattern_of_the_events_own_values_always_matches(event, data):
    # GIVEN a flat event and a pattern built from some of its fields and values,
    # round-tripped through JSON text as FilterCriteria would carry it
    keys = data.draw(st.lists(st.sampled_from(sorted(event)), min_size=1, unique=True))
    extra = data.draw(st.lists(_scalars, max_size=2))
    pattern = {k: [*extra, event[k]] for k in keys}
    # WHEN it is compiled and matched THEN the event matches its own values
    assert compile_pattern(json.dumps(pattern)).matches(event)
    assert compile_filter_criteria(criteria(pattern)).matches(event)


@settings(max_examples=200, deadline=None)
@given(event=_events, data=st.data())
def test_anything_but_the_events_own_values_never_matches(event, data):
    # GIVEN a flat event with at least one string or number value
    candidates = sorted(
        k for k, v in event.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)
    )
    if not candidates:
        return
    key = data.draw(st.sampled_from(candidates))
    others = data.draw(st.lists(st.one_of(st.text(max_size=4), st.integers()), max_size=2))
    # WHEN a pattern says anything-but that field's own value (among others)
    pattern = {key: [{"anything-but": [*others, event[key]]}]}
    # THEN the event never matches
    assert not compile_pattern(json.dumps(pattern)).matches(event)
