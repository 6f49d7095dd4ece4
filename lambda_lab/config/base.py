"""The strict base of every settings model, and AWS-worded refusals.

Every model is strict: ``"3"`` is not an integer, ``2.5`` and ``3.0`` are
not integers, ``True`` is not a number (ints stay welcome where a float is
wanted).  :func:`validate` builds a model and turns pydantic's failure into
one exception with one message:

* a wrong **type** raises :class:`~lambda_lab.errors.ParamValidationError`
  worded as botocore's client-side check words it, followed by our plain form:
  ``Parameter validation failed:\\nInvalid type for parameter Timeout, value:
  3, type: <class 'str'>, valid types: <class 'int'> (timeout must be an
  integer between 1 and 900, got '3')``;
* a value outside its **range** (or pattern, or enum) raises the model's
  ``refusal``: AWS's :class:`~lambda_lab.errors.ValidationException` text
  (``1 validation error detected: Value '3' at 'maximumRetryAttempts' failed
  to satisfy constraint: Member must have value less than or equal to 2
  (maximum_retry_attempts must be between 0 and 2, got 3)``), or, for models
  whose service answers :class:`~lambda_lab.errors.InvalidParameterValueException`
  (SQS, SNS, S3 and our own knobs), the plain form alone.

Validation happens before anything is built, so a refused call changes nothing.
"""

from __future__ import annotations

import types
import typing
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from ..errors import LambdaLabError, ParamValidationError, ServiceError, ValidationException

__all__ = ["Settings", "validate"]

M = TypeVar("M", bound=BaseModel)


class Settings(BaseModel):
    """Base of every settings model: strict types, no unknown keys, frozen.

    Field names are boto3's parameter names in snake_case; aliases are the
    API's camelCase names (accepted too), used in AWS-style messages.  A
    field may give ``json_schema_extra={"allowed": "..."}`` to describe in
    prose what a pattern allows.
    """

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
    )

    #: The exception a value outside its range raises (type errors always
    #: raise ParamValidationError).
    refusal: ClassVar[type[ServiceError]] = ValidationException


def validate(model: type[M], /, **values: Any) -> M:
    """Build ``model`` from snake_case (or camelCase) ``values``, or raise one refusal.

    See the module docstring for the three message forms.
    """
    try:
        return model(**values)
    except ValidationError as exc:
        raise _translate(model, exc) from None


# -- what a field allows ------------------------------------------------------------

#: pydantic's type errors: (botocore's valid types, our words for the type).
_TYPES = {
    "int_type": ("<class 'int'>", "an integer"),
    "float_type": ("<class 'float'>, <class 'int'>", "a number"),
    "string_type": ("<class 'str'>", "a string"),
    "bool_type": ("<class 'bool'>", "a boolean"),
    "datetime_type": ("<class 'datetime.datetime'>", "a timezone-aware datetime"),
    "model_type": ("<class 'dict'>", "a dict"),
    "dict_type": ("<class 'dict'>", "a dict"),
}

_CONSTRAINT = {
    "less_than_equal": "Member must have value less than or equal to {le}",
    "greater_than_equal": "Member must have value greater than or equal to {ge}",
    "less_than": "Member must have value less than {lt}",
    "greater_than": "Member must have value greater than {gt}",
    "string_too_long": "Member must have length less than or equal to {max_length}",
    "string_too_short": "Member must have length greater than or equal to {min_length}",
    "string_pattern_mismatch": "Member must satisfy regular expression pattern: {pattern}",
}


def _num(value: Any) -> str:
    """A bound as it was declared: 1000000 not 1e+06, 0 not 0.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _bounds(field: Any, names: tuple[str, str, str, str]) -> str | None:
    """The bounds a field declares for ``names`` (ge, gt, le, lt or their length kin)."""
    lo = hi = None
    lo_open = hi_open = False
    for meta in getattr(field, "metadata", ()):
        for i, name in enumerate(names):
            value = getattr(meta, name, None)
            if value is None:
                continue
            if i < 2:
                lo, lo_open = value, i == 1
            else:
                hi, hi_open = value, i == 3
    if lo is not None and hi is not None and not (lo_open or hi_open):
        return f"between {_num(lo)} and {_num(hi)}"
    parts = []
    if lo is not None:
        parts.append(f"{'greater than' if lo_open else 'at least'} {_num(lo)}")
    if hi is not None:
        parts.append(f"{'less than' if hi_open else 'at most'} {_num(hi)}")
    return " and ".join(parts) or None


def _allowed(field: Any) -> str | None:
    """The allowed range of a numeric field, as prose, from its constraints."""
    return _bounds(field, ("ge", "gt", "le", "lt"))


def _described(field: Any) -> str | None:
    """The prose a field gives for what it allows (``json_schema_extra["allowed"]``)."""
    extra = getattr(field, "json_schema_extra", None)
    return extra.get("allowed") if isinstance(extra, dict) else None


def _length(field: Any) -> str | None:
    """``of 1 to 80 characters`` from a string field's length constraints."""
    lo = hi = None
    for meta in getattr(field, "metadata", ()):
        lo = getattr(meta, "min_length", None) if lo is None else lo
        hi = getattr(meta, "max_length", None) if hi is None else hi
    if lo == 1 and hi is None:
        return "non-empty"
    if lo is not None and hi is not None:
        return f"of {lo} to {hi} characters"
    if hi is not None:
        return f"of at most {hi} characters"
    if lo is not None:
        return f"of at least {lo} characters"
    return None


# -- where an error is ----------------------------------------------------------------


def _nested_model(field: Any) -> type[BaseModel] | None:
    """The settings model a field holds (``RedrivePolicy | None`` -> RedrivePolicy)."""
    annotation = getattr(field, "annotation", None)
    candidates = [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        candidates = list(typing.get_args(annotation))
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _locate(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, str, str, str]:
    """The field at ``loc``, and its names: plain, AWS camelCase, botocore PascalCase.

    The top-level name is the field's own (``redrive_policy``); nested names
    are their aliases, as the nested dict spells them (``maxReceiveCount``).
    """
    field = None
    plain: list[str] = []
    camel: list[str] = []
    current: type[BaseModel] | None = model
    for depth, part in enumerate(loc):
        key = str(part)
        field = None
        if current is not None:
            fields = current.model_fields
            name = (
                key
                if key in fields
                else next((n for n, f in fields.items() if f.alias == key), None)
            )
            field = fields.get(name) if name else None
            if field is not None:
                alias = field.alias or to_camel(name)
                plain.append(name if depth == 0 else alias)
                camel.append(alias)
                current = _nested_model(field)
                continue
        plain.append(key)
        camel.append(to_camel(key))
        current = None
    if not plain:
        plain, camel = ["input"], ["input"]
    pascal = [camel[0][:1].upper() + camel[0][1:], *camel[1:]]
    return field, ".".join(plain), ".".join(camel), ".".join(pascal)


def _owner(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel]:
    """The model whose field the last part of ``loc`` names (for nested settings)."""
    for part in loc[:-1]:
        fields = model.model_fields
        field = fields.get(str(part)) or next(
            (f for f in fields.values() if f.alias == str(part)), None
        )
        nested = _nested_model(field) if field is not None else None
        if nested is None:
            break
        model = nested
    return model


# -- the refusal -------------------------------------------------------------------------


def _translate(model: type[Settings], exc: ValidationError) -> LambdaLabError:
    errors = exc.errors(include_url=False)
    typed = [e for e in errors if e["type"] in _TYPES]
    if typed:
        return ParamValidationError("\n".join(_type_line(model, e) for e in typed))
    aws, plain = [], []
    for err in errors:
        field, name, alias, _ = _locate(model, tuple(err["loc"]))
        value = err.get("input")
        aws.append(_aws(err, alias, value))
        plain.append(_plain(model, err, field, name, value))
    refusal = getattr(model, "refusal", ValidationException)
    if refusal is not ValidationException:
        return refusal("; ".join(plain))
    count = len(aws)
    head = f"{count} validation error{'s' if count > 1 else ''} detected: "
    return ValidationException(head + "; ".join(aws) + " (" + "; ".join(plain) + ")")


def _choices(err: dict) -> list[str]:
    """The values a ``Literal`` field allows, from pydantic's ``expected`` text."""
    expected = (err.get("ctx") or {}).get("expected", "")
    return [part.strip(" '") for part in expected.replace(" or ", ", ").split(", ") if part]


def _aws(err: dict, alias: str, value: Any) -> str:
    """One constraint failure as AWS words it."""
    kind = err["type"]
    if kind == "missing":
        return f"Value null at '{alias}' failed to satisfy constraint: Member must not be null"
    template = _CONSTRAINT.get(kind)
    ctx = {k: _num(v) for k, v in (err.get("ctx") or {}).items()}
    if template:
        constraint = template.format(**ctx)
    elif kind == "literal_error":
        constraint = f"Member must satisfy enum value set: [{', '.join(_choices(err))}]"
    elif kind == "value_error":
        constraint = f"Member {err['ctx']['error']}"
    else:
        constraint = err["msg"]
    return f"Value '{value}' at '{alias}' failed to satisfy constraint: {constraint}"


def _plain(model: type[BaseModel], err: dict, field: Any, name: str, value: Any) -> str:
    """One failure in plain words: the field, what it allows, the value given."""
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{name} is not a known setting of {_owner(model, tuple(err['loc'])).__name__}"
    if kind == "missing":
        return f"{name} is required"
    described = _described(field)
    if described and kind.startswith("string_"):
        return f"{name} must be {described}, got {value!r}"
    allowed = _allowed(field) if field is not None else None
    if allowed and kind in _CONSTRAINT:
        return f"{name} must be {allowed}, got {value!r}"
    if kind == "literal_error":
        return f"{name} must be one of {', '.join(_choices(err))}, got {value!r}"
    if kind == "value_error":
        return f"{name} {err['ctx']['error']}, got {value!r}"
    return f"{name}: {err['msg']}, got {value!r}"


def _type_line(model: type[BaseModel], err: dict) -> str:
    field, name, _, pascal = _locate(model, tuple(err["loc"]))
    value = err.get("input")
    valid, words = _TYPES[err["type"]]
    if err["type"] in ("model_type", "dict_type") and field is not None:
        nested = _nested_model(field)
        if nested is not None:
            words = f"a dict of {', '.join(f.alias or n for n, f in nested.model_fields.items())}"
    rule = _allowed(field) if err["type"] in ("int_type", "float_type") else None
    expected = f"{words} {rule}" if rule else words
    if err["type"] == "string_type" and _length(field):
        rule = _length(field)
        expected = f"a {rule} string" if rule == "non-empty" else f"{words} {rule}"
    if err["type"] == "string_type" and _described(field):
        expected = _described(field)
    return (
        f"Invalid type for parameter {pascal}, value: {value}, type: {type(value)}, "
        f"valid types: {valid} ({name} must be {expected}, got {value!r})"
    )
