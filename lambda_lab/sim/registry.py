"""Names and ARNs: every function and resource of one world, and how to find them.

The registry answers the questions every part asks: which function does
``"credit"``, ``"credit:$LATEST"`` or an ARN name, and which resource does an
object or an ARN given as a target stand for.  ``$LATEST`` is the only
version; any other qualifier is not found, as for a version never published.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)

__all__ = ["Registry"]


class Registry:
    """Functions by name and every resource by ARN, in one account and Region."""

    def __init__(self, region: str, account_id: str) -> None:
        self.region = region
        self.account_id = account_id
        self.functions: dict[str, Any] = {}
        self.resources: dict[str, Any] = {}

    # -- functions ---------------------------------------------------------
    def function_arn(self, function_name: str) -> str:
        """The unqualified ARN of a function of this account."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{function_name}"

    def lookup(self, function_name: str) -> tuple[Any, str]:
        """The function a name or ARN stands for, and the ARN as the caller gave it.

        The second value is what the handler's ``context.invoked_function_arn``
        shows: qualified when the caller named a qualifier, else unqualified.
        """
        name, qualifier = _split_function_name(function_name)
        fn = self.functions.get(name)
        if fn is None or qualifier not in (None, "$LATEST"):
            target = self.function_arn(name) + f":{qualifier or '$LATEST'}"
            raise ResourceNotFoundException(f"Function not found: {target}", Type="User")
        invoked = fn.arn if qualifier is None else f"{fn.arn}:{qualifier}"
        return fn, invoked

    def function(self, function_name: str) -> Any:
        """The function a name or ARN stands for (``ResourceNotFoundException`` if none)."""
        return self.lookup(function_name)[0]

    def check_new_function(self, function_name: str) -> None:
        """Refuse, before anything is built, a function name that is taken."""
        if function_name in self.functions:
            raise ResourceConflictException(f"Function already exist: {function_name}")

    def add_function(self, fn: Any) -> None:
        """Register a new function (``ResourceConflictException`` if its name is taken)."""
        self.check_new_function(fn.name)
        self.functions[fn.name] = fn
        self.resources[fn.arn] = fn

    # -- resources -----------------------------------------------------------
    def add(self, resource: Any) -> Any:
        """Register a resource by its ARN; returns it."""
        if resource.arn in self.resources:
            raise ResourceConflictException(f"{resource.arn} already exists")
        self.resources[resource.arn] = resource
        return resource

    def check_new(self, arn: str) -> None:
        """Refuse, before anything is built, a resource whose ARN is taken."""
        if arn in self.resources:
            raise ResourceConflictException(f"{arn} already exists")

    def resolve(
        self, value: Any, field: str, unknown: str = "The destination ARN {arn} is invalid."
    ) -> Any:
        """The resource (or function) that an object or an ARN names.

        An object of another world, an unknown ARN and anything that is
        neither are refused with ``InvalidParameterValueException`` naming
        ``field``; ``unknown`` words the refusal of an ARN that names nothing
        here (``{arn}`` and ``{field}`` are filled in), by default as Lambda
        words an unknown destination.
        """
        arn = getattr(value, "arn", value)
        if not isinstance(arn, str):
            raise InvalidParameterValueException(
                f"{field} must be a resource of this lab or its ARN, got {value!r}"
            )
        target = self.resources.get(arn)
        if target is None or (not isinstance(value, str) and target is not value):
            raise InvalidParameterValueException(unknown.format(arn=arn, field=field))
        return target


def _split_function_name(value: str) -> tuple[str, str | None]:
    """Name and qualifier from a name, ``name:qualifier``, or a full or partial ARN."""
    if not isinstance(value, str) or not value:
        raise InvalidParameterValueException(f"function_name must be a name or ARN, got {value!r}")
    parts = value.split(":")
    if value.startswith("arn:"):
        # arn:aws:lambda:region:account:function:name[:qualifier]
        if len(parts) < 7 or parts[5] != "function":
            raise InvalidParameterValueException(f"function_name is not a function ARN: {value}")
        return parts[6], (parts[7] if len(parts) > 7 else None)
    if len(parts) >= 3 and parts[1] == "function":  # account:function:name[:qualifier]
        return parts[2], (parts[3] if len(parts) > 3 else None)
    if len(parts) == 2:
        return parts[0], parts[1]
    return value, None
