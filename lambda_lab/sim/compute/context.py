"""The ``context`` object handed to a handler, as the Python runtime builds it."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["NO_IDENTITY", "CognitoIdentity", "LambdaContext"]


class CognitoIdentity:
    """``context.identity``: the Python runtime always gives one, and without a
    Cognito caller both ids are None.  Read-only, so one instance serves every call."""

    __slots__ = ()
    cognito_identity_id: str | None = None
    cognito_identity_pool_id: str | None = None

    def __repr__(self) -> str:
        return "CognitoIdentity(cognito_identity_id=None, cognito_identity_pool_id=None)"


#: The identity of every invocation (no Cognito in the lab).
NO_IDENTITY = CognitoIdentity()


class LambdaContext:
    """What ``context`` holds inside a handler, with the Python runtime's names.

    ``get_remaining_time_in_millis()`` reads the virtual clock, so a handler
    that sleeps (``time.sleep`` is virtual while a handler runs) sees its
    remaining time shrink.  ``memory_limit_in_mb`` is a string, as the real
    runtime reads it from ``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``; AWS does not
    document its type (the fact sheet marks it UNCONFIRMED).  ``identity`` is
    always an object (both Cognito ids None, one shared read-only instance);
    ``client_context`` is None unless given.
    """

    __slots__ = (
        "_deadline",
        "_now",
        "aws_request_id",
        "client_context",
        "function_name",
        "function_version",
        "identity",
        "invoked_function_arn",
        "log_group_name",
        "log_stream_name",
        "memory_limit_in_mb",
    )

    def __init__(
        self,
        aws_request_id: str,
        function_name: str,
        invoked_function_arn: str,
        memory_limit_in_mb: int,
        log_stream_name: str,
        deadline: float,
        now: Callable[[], float],
        function_version: str = "$LATEST",
        client_context: object | None = None,
    ) -> None:
        self.aws_request_id = aws_request_id
        self.function_name = function_name
        self.function_version = function_version
        self.invoked_function_arn = invoked_function_arn
        self.memory_limit_in_mb = str(memory_limit_in_mb)
        self.log_group_name = "/aws/lambda/" + function_name
        self.log_stream_name = log_stream_name
        self.identity = NO_IDENTITY
        self.client_context = client_context
        self._deadline = deadline
        self._now = now

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before this invocation times out (virtual time)."""
        return max(0, round((self._deadline - self._now()) * 1000))

    def __repr__(self) -> str:
        return (
            f"LambdaContext(aws_request_id={self.aws_request_id!r}, "
            f"function_name={self.function_name!r}, function_version={self.function_version!r})"
        )
