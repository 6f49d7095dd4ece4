"""Event patterns: the EventBridge content-filtering syntax, compiled once and matched often.

Lambda event source mappings filter records with these patterns
(``FilterCriteria``) before batching, and an EventBridge bus's rules use the
same syntax.  This module is pure matching, with no knowledge of Lambda or of
any event source.  It matches a pattern against a decoded JSON object and
nothing else.  The caller chooses what that object is.  An SQS mapping passes
the record with its ``body`` decoded when the body is JSON and left as a string
when it is not, so a pattern on body fields (``{"body": {"status": ["ok"]}}``)
never matches a plain-string body.  A Kinesis mapping passes ``data`` decoded
from base64 and JSON.

A pattern is compiled into a tree of small closures.  Matching walks that tree
only: it never parses JSON, builds no strings except for numbers, and checks
strict equality with one set lookup.

Semantics (those of EventBridge):

* The fields of one pattern are ANDed.  The values in one array are ORed.
  Nested objects recurse, and every leaf is an array.
* A field named in the pattern must be in the event.  The exception is
  ``{"exists": false}``, which matches when the field is absent.  Like
  EventBridge, a field "exists" when it holds at least one leaf value (a string,
  number, boolean or null).  An object or an empty array is not a leaf.
* Where the event holds an array, the field matches when any element does.
* Exact values: strings, booleans and ``null`` match themselves.  ``""`` matches
  the empty string.  Numbers match JSON numbers with the same text, so ``300``
  matches ``300`` but neither ``300.0`` nor ``"300"``.  Matching is
  case-sensitive.
* Operators, each an object with one key inside the array:
  ``{"prefix": s}``, ``{"suffix": s}``, ``{"equals-ignore-case": s}`` and
  ``{"wildcard": "a*b"}`` (strings only); ``{"numeric": [">", 0, "<=", 5]}``
  (JSON numbers only: never a string such as DynamoDB's ``{"N": "101"}``);
  ``{"exists": true | false}``; ``{"anything-but": v | [v, ...] | {"prefix": s}}``
  (``suffix``, ``equals-ignore-case`` and ``wildcard`` are also accepted inside
  it).
* ``"$or": [{...}, {...}]`` in an object ORs whole sub-patterns.

An invalid pattern raises :class:`~lambda_lab.errors.InvalidParameterValueException`
with AWS's words, "Invalid filter pattern definition.", followed by what is
wrong and where it is.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..errors import InvalidParameterValueException

__all__ = [
    "MAX_FILTERS",
    "MAX_PATTERN_LENGTH",
    "FilterSet",
    "Pattern",
    "compile_filter_criteria",
    "compile_pattern",
]

#: Filters per ``FilterCriteria``. AWS's default quota is 5, and a quota request
#: raises it to 10. The simulator accepts the raised limit.
MAX_FILTERS = 10
#: Characters per ``Filter.Pattern`` (the API model's limit).
MAX_PATTERN_LENGTH = 4096

Test = Callable[[Any], bool]

_MISSING = object()  # event.get's default: None is a real JSON value
_NUMBER_TYPES = (int, float, Decimal)
_STRING_OPERATORS = ("prefix", "suffix", "equals-ignore-case", "wildcard")
_OPERATORS = (*_STRING_OPERATORS, "anything-but", "numeric", "exists")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class _Invalid(Exception):
    """A problem found while compiling. It becomes AWS's error at the top."""

    def __init__(self, detail: str, path: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.path = path


def _refuse(where: str, detail: str, path: str = "") -> InvalidParameterValueException:
    at = f", at field {path}" if path else ""
    return InvalidParameterValueException(
        f"Invalid filter pattern definition. ({where}: {detail}{at})"
    )


def _is_number(value: Any) -> bool:
    # bool subclasses int, but JSON's true is not the number 1.
    return isinstance(value, _NUMBER_TYPES) and not isinstance(value, bool)


def _number_key(value: Any) -> tuple[str, str]:
    # Exact number matching compares the numbers' text (the facts sheet's
    # "300 != 300.0"). Python would call 300 == 300.0, so compare repr instead.
    return ("n", repr(value) if isinstance(value, float) else str(value))


def _key(value: Any) -> Any:
    """The set key of a scalar for exact matching.

    Strings, booleans and None are their own keys. Numbers are tagged, so no
    number can equal a string or a boolean (``True == 1`` in Python).
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if _is_number(value):
        return _number_key(value)
    return _MISSING  # not a JSON scalar: equal to nothing in a pattern


class Pattern:
    """One compiled pattern. :meth:`matches` tests a decoded JSON object.

    Build one with :func:`compile_pattern`. ``source`` is the decoded pattern.
    """

    __slots__ = ("_test", "source")

    def __init__(self, source: dict[str, Any], test: Test) -> None:
        self.source = source
        self._test = test

    def matches(self, event: Any) -> bool:
        """Whether ``event`` (a decoded JSON object) matches. Anything else never does."""
        return self._test(event)

    def __repr__(self) -> str:
        return f"Pattern({json.dumps(self.source)})"


class FilterSet:
    """Compiled ``FilterCriteria``: :meth:`matches` when any of its patterns does (ORed)."""

    __slots__ = ("_tests", "patterns")

    def __init__(self, patterns: list[Pattern]) -> None:
        self.patterns = tuple(patterns)
        self._tests = tuple(p.matches for p in patterns)

    def matches(self, event: Any) -> bool:
        """Whether any filter matches ``event``. The caller drops the record when none does."""
        return any(test(event) for test in self._tests)

    def __repr__(self) -> str:
        return f"FilterSet({list(self.patterns)!r})"


def _no_constants(name: str) -> Any:
    # json.loads accepts NaN and Infinity. JSON (and AWS) do not.
    raise ValueError(f"{name} is not JSON")


def compile_pattern(pattern: str | dict[str, Any], where: str = "pattern") -> Pattern:
    """Parse, check and compile one pattern.

    ``pattern`` is the JSON text of a ``Filter.Pattern`` or an already decoded
    object. ``where`` names the pattern in error messages, for example
    ``"filter_criteria.Filters[0].Pattern"``. With duplicate keys in the JSON,
    the last one wins, as at AWS.

    Raises :class:`~lambda_lab.errors.InvalidParameterValueException`
    ("Invalid filter pattern definition. (...)") if the pattern is not JSON,
    not a non-empty object, has a leaf that is not an array, or misuses an
    operator.
    """
    if isinstance(pattern, str):
        try:
            decoded = json.loads(pattern, parse_constant=_no_constants)
        except ValueError as exc:
            raise _refuse(where, f"not valid JSON ({exc}): {pattern[:60]!r}") from None
    else:
        decoded = pattern
    if not isinstance(decoded, dict):
        raise _refuse(where, f"a pattern must be a JSON object, got {decoded!r}")
    try:
        test = _object(decoded, "")
    except _Invalid as problem:
        raise _refuse(where, problem.detail, problem.path) from None
    return Pattern(decoded, test)


def compile_filter_criteria(filter_criteria: dict[str, Any] | None) -> FilterSet | None:
    """Compile ``{"Filters": [{"Pattern": "<json>"}, ...]}``. None means no filtering.

    Returns None when ``filter_criteria`` is None or holds no filters. Filters
    are ORed: a record is kept when any pattern matches it. ``Filters`` must be
    a list of at most :data:`MAX_FILTERS` (10) dicts, each with one ``Pattern``
    key whose value is a JSON string of at most :data:`MAX_PATTERN_LENGTH`
    (4,096) characters. AWS's default quota is 5 filters, raisable to 10 on
    request, and the simulator accepts 10.

    Every problem raises
    :class:`~lambda_lab.errors.InvalidParameterValueException`, with messages
    that start "Invalid filter pattern definition.".
    """
    if filter_criteria is None:
        return None
    where = "filter_criteria"
    if not isinstance(filter_criteria, dict) or set(filter_criteria) - {"Filters"}:
        raise _refuse(
            where, f'must be {{"Filters": [{{"Pattern": "<json>"}}]}}, got {filter_criteria!r}'
        )
    filters = filter_criteria.get("Filters")
    if filters is None:
        return None
    if not isinstance(filters, list):
        raise _refuse(f"{where}.Filters", f"must be a list, got {filters!r}")
    if len(filters) > MAX_FILTERS:
        raise _refuse(
            f"{where}.Filters",
            f"at most {MAX_FILTERS} filters (the default quota is 5, raisable to 10), "
            f"got {len(filters)}",
        )
    patterns = []
    for i, entry in enumerate(filters):
        here = f"{where}.Filters[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"Pattern"}:
            raise _refuse(here, f'each filter must be {{"Pattern": "<json>"}}, got {entry!r}')
        text = entry["Pattern"]
        here += ".Pattern"
        if not isinstance(text, str):
            raise _refuse(here, f"must be a JSON string, got {text!r}")
        if len(text) > MAX_PATTERN_LENGTH:
            raise _refuse(here, f"at most {MAX_PATTERN_LENGTH} characters, got {len(text)}")
        patterns.append(compile_pattern(text, here))
    return FilterSet(patterns) if patterns else None


# -- compiling: each function returns a closure over what it has checked ------------


def _object(pattern: dict[str, Any], path: str) -> Test:
    """The test of an object pattern: every field matches (AND), and every ``$or`` too."""
    if not pattern:
        raise _Invalid("an object pattern must name at least one field", path)
    fields: list[tuple[str, Test, bool]] = []
    alternatives: list[tuple[Test, ...]] = []
    for key, value in pattern.items():
        if not isinstance(key, str):
            raise _Invalid(f"field names must be strings, got {key!r}", path)
        here = f"{path}.{key}" if path else key
        if key == "$or":
            alternatives.append(_or(value, path or "$or"))
        elif isinstance(value, dict):
            nested = _object(value, here)
            # A missing object holds no leaves, just like an empty object, so
            # it matches exactly when the nested pattern matches {} (for
            # example when the pattern is only {"exists": false}).
            fields.append((key, _nested(nested), nested({})))
        elif isinstance(value, list):
            fields.append((key, *_leaf(value, here)))
        else:
            raise _Invalid(
                f"a field's value must be an array of values or an object, got {value!r}", here
            )
    fields_t = tuple(fields)
    alternatives_t = tuple(alternatives)

    def test(event: Any) -> bool:
        if type(event) is not dict:
            return False
        get = event.get
        for key, field_test, absent_ok in fields_t:
            value = get(key, _MISSING)
            if value is _MISSING:
                if not absent_ok:
                    return False
            elif not field_test(value):
                return False
        return not alternatives_t or all(
            any(choice(event) for choice in choices) for choices in alternatives_t
        )

    return test


def _or(value: Any, path: str) -> tuple[Test, ...]:
    if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, dict) for v in value):
        raise _Invalid(f"$or needs an array of at least two object patterns, got {value!r}", path)
    return tuple(_object(v, path) for v in value)


def _nested(test: Test) -> Test:
    empty = test({})

    def nested(value: Any) -> bool:
        kind = type(value)
        if kind is dict:
            return test(value)
        if kind is list:  # any element: one element's fields must match together
            return any(nested(item) for item in value) if value else empty
        return empty  # a scalar has no fields below it

    return nested


def _leaves(value: list[Any], out: list[Any]) -> list[Any]:
    # EventBridge flattens arrays (also nested ones). Objects inside are not
    # leaves at this path.
    for item in value:
        kind = type(item)
        if kind is list:
            _leaves(item, out)
        elif kind is not dict:
            out.append(item)
    return out


def _leaf(values: list[Any], path: str) -> tuple[Test, bool]:
    """The test of an array of alternatives, and whether a field without leaves passes."""
    if not values:
        raise _Invalid("an array of values must not be empty", path)
    exact: set[Any] = set()
    others: list[Test] = []
    exists_true = False
    absent_ok = False
    for value in values:
        if isinstance(value, dict):
            if len(value) == 1 and "exists" in value:
                flag = value["exists"]
                if not isinstance(flag, bool):
                    raise _Invalid(f"exists needs true or false, got {flag!r}", path)
                if flag:
                    exists_true = True
                else:
                    absent_ok = True
            else:
                others.append(_operator(value, path))
        else:
            exact.add(_scalar(value, path, "a value in an array"))
    exact_f = frozenset(exact)
    others_t = tuple(others)

    def scalar(value: Any) -> bool:
        if exists_true or _key(value) in exact_f:
            return True
        return any(other(value) for other in others_t)

    def test(value: Any) -> bool:
        kind = type(value)
        if kind is str:  # the common case, kept short
            if value in exact_f or exists_true:
                return True
            return any(other(value) for other in others_t)
        if kind is dict:
            return absent_ok  # an object is not a leaf: the field has no value here
        if kind is list:
            leaves = _leaves(value, [])
            if not leaves:
                return absent_ok
            return any(scalar(leaf) for leaf in leaves)
        return scalar(value)

    return test, absent_ok


def _scalar(value: Any, path: str, what: str) -> Any:
    """``value``'s exact-match key, once it is checked to be a JSON scalar."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if _is_number(value):
        if isinstance(value, float) and not math.isfinite(value):
            raise _Invalid(f"{what} must be a finite number, got {value!r}", path)
        return _number_key(value)
    raise _Invalid(
        f"{what} must be a string, number, boolean, null or operator object, got {value!r}",
        path,
    )


def _operator(spec: dict[str, Any], path: str, inside: str = "") -> Test:
    if len(spec) != 1:
        raise _Invalid(f"an operator object holds exactly one operator, got {spec!r}", path)
    ((name, arg),) = spec.items()
    if name in _STRING_OPERATORS:
        return _string_operator(name, arg, path)
    if inside:  # anything-but holds only string operators
        raise _Invalid(
            f"{inside} accepts only {', '.join(_STRING_OPERATORS)} inside it, got {name!r}", path
        )
    if name == "anything-but":
        return _anything_but(arg, path)
    if name == "numeric":
        return _numeric(arg, path)
    raise _Invalid(f"unknown operator {name!r}, expected one of {', '.join(_OPERATORS)}", path)


def _string_operator(name: str, arg: Any, path: str) -> Test:
    if not isinstance(arg, str):
        raise _Invalid(f"{name} needs a string, got {arg!r}", path)
    if name == "prefix":
        return lambda v: type(v) is str and v.startswith(arg)
    if name == "suffix":
        return lambda v: type(v) is str and v.endswith(arg)
    if name == "equals-ignore-case":
        folded = arg.casefold()
        return lambda v: type(v) is str and v.casefold() == folded
    fullmatch = _wildcard(arg, path).fullmatch
    return lambda v: type(v) is str and fullmatch(v) is not None


def _wildcard(text: str, path: str) -> re.Pattern[str]:
    """A regular expression for a wildcard: ``*`` is any run of characters, ``\\*`` a star."""
    parts: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 == len(text) or text[i + 1] not in "*\\":
                raise _Invalid(
                    f"wildcard escapes only * and \\ with a backslash, got {text!r}", path
                )
            parts.append(re.escape(text[i + 1]))
            i += 2
            continue
        if char == "*":
            if parts and parts[-1] == ".*":
                # EventBridge refuses "**": it means the same as "*" and only costs time.
                raise _Invalid(f"wildcard must not hold consecutive *, got {text!r}", path)
            parts.append(".*")
        else:
            parts.append(re.escape(char))
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def _anything_but(arg: Any, path: str) -> Test:
    if isinstance(arg, dict):
        inner = _operator(arg, path, inside="anything-but")
        # Like the operator inside it, this applies to strings only.
        return lambda v: type(v) is str and not inner(v)
    options = arg if isinstance(arg, list) else [arg]
    if not options:
        raise _Invalid("anything-but needs at least one value, got []", path)
    for option in options:
        if not isinstance(option, str) and not _is_number(option):
            raise _Invalid(
                f"anything-but accepts strings, numbers or one of {', '.join(_STRING_OPERATORS)}, "
                f"got {option!r}",
                path,
            )
    refused = frozenset(_scalar(o, path, "an anything-but value") for o in options)
    return lambda v: _key(v) not in refused


def _numeric(arg: Any, path: str) -> Test:
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        raise _Invalid(f"numeric needs [op, number] or [op, number, op, number], got {arg!r}", path)
    checks: list[tuple[str, Any]] = []
    for op, bound in zip(arg[::2], arg[1::2], strict=True):
        if not isinstance(op, str) or op not in _COMPARE:
            raise _Invalid(f"numeric needs an operator among =, <, <=, >, >=, got {op!r}", path)
        if not _is_number(bound) or (isinstance(bound, float) and not math.isfinite(bound)):
            raise _Invalid(f"numeric needs a number after {op!r}, got {bound!r}", path)
        checks.append((op, bound))
    if len(checks) == 2:
        (low_op, low), (high_op, high) = checks
        if low_op not in (">", ">=") or high_op not in ("<", "<="):
            raise _Invalid(
                "a numeric range is a lower bound (> or >=) then an upper bound (< or <=), "
                f"got {arg!r}",
                path,
            )
        if low > high or (low == high and (low_op, high_op) != (">=", "<=")):
            raise _Invalid(f"numeric range is empty, got {arg!r}", path)
        low_cmp, high_cmp = _COMPARE[low_op], _COMPARE[high_op]
        return lambda v: _is_number(v) and low_cmp(v, low) and high_cmp(v, high)
    ((op, bound),) = checks
    compare = _COMPARE[op]
    return lambda v: _is_number(v) and compare(v, bound)
