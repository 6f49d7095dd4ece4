"""Errors, named after the AWS error codes a real Lambda client would see.

Every exception the simulator raises at its caller derives from
:class:`LambdaLabError`.  Errors that AWS itself would return are
:class:`ServiceError` subclasses named exactly like AWS's error codes
(``TooManyRequestsException``, ``ResourceNotFoundException`` ...), carry
AWS's HTTP status code and message, and expose a botocore-like ``response``
dict so code written against boto3's ``ClientError`` reads the same way.
Each also subclasses the built-in exception it behaves like (``ValueError``
for bad input, ``LookupError`` for missing resources).
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "LambdaLabError",
    "ParamValidationError",
    "RequestTooLargeException",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "ServiceError",
    "ServiceException",
    "TooManyRequestsException",
    "ValidationException",
]


class LambdaLabError(Exception):
    """Base class of every error lambda_lab raises on purpose."""


class ParamValidationError(LambdaLabError, ValueError):
    """botocore's ``ParamValidationError``: a parameter of the wrong type.

    boto3 checks types on the client, before any request is sent, so this
    error has no HTTP status and no ``response``.  ``report`` holds one line
    per bad parameter, as botocore writes it, each followed by our plain form
    (field, value and allowed range).
    """

    code = "ParamValidationError"

    def __init__(self, report: str) -> None:
        super().__init__(f"Parameter validation failed:\n{report}")
        self.report = report
        self.message = str(self)

    def __reduce__(self):  # pickle by the constructor's argument, not the message
        return (type(self), (self.report,))


class ServiceError(LambdaLabError):
    """An error the Lambda API itself returns, with AWS's code and status."""

    code: ClassVar[str] = "ServiceException"
    status_code: ClassVar[int] = 500

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    @property
    def response(self) -> dict[str, Any]:
        """The error as botocore's ``ClientError.response`` would hold it."""
        error = {"Code": self.code, "Message": self.message}
        return {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": self.status_code},
            **self.fields,
        }

    def __reduce__(self):  # keep pickling (used by multiprocessing tools) working
        return (_rebuild, (type(self), self.message, self.fields))


def _rebuild(cls: type[ServiceError], message: str, fields: dict[str, Any]) -> ServiceError:
    return cls(message, **fields)


class ValidationException(ServiceError, ValueError):
    """A parameter broke a constraint of the API model (HTTP 400)."""

    code = "ValidationException"
    status_code = 400


class InvalidParameterValueException(ServiceError, ValueError):
    """A parameter value is not valid for this request (HTTP 400)."""

    code = "InvalidParameterValueException"
    status_code = 400


class InvalidRequestContentException(ServiceError, ValueError):
    """The request body could not be parsed as JSON (HTTP 400)."""

    code = "InvalidRequestContentException"
    status_code = 400


class ResourceNotFoundException(ServiceError, LookupError):
    """The function or resource does not exist (HTTP 404)."""

    code = "ResourceNotFoundException"
    status_code = 404


class ResourceConflictException(ServiceError):
    """The resource already exists or is in use (HTTP 409)."""

    code = "ResourceConflictException"
    status_code = 409


class RequestTooLargeException(ServiceError, ValueError):
    """The request payload exceeds the invocation quota (HTTP 413)."""

    code = "RequestTooLargeException"
    status_code = 413


class TooManyRequestsException(ServiceError):
    """The request was throttled (HTTP 429).

    ``reason`` is AWS's ``Reason`` (a ``ThrottleReason`` such as
    ``ReservedFunctionConcurrentInvocationLimitExceeded``); ``type`` is
    ``"User"`` as AWS reports it.
    """

    code = "TooManyRequestsException"
    status_code = 429

    def __init__(
        self,
        message: str = "Rate Exceeded.",
        *,
        reason: str,
        retry_after_seconds: int | None = None,
    ) -> None:
        super().__init__(message, Reason=reason, Type="User")
        self.reason = reason
        self.type = "User"
        self.retry_after_seconds = retry_after_seconds

    def __reduce__(self):
        return (_rebuild_throttle, (self.message, self.reason, self.retry_after_seconds))


def _rebuild_throttle(message: str, reason: str, retry: int | None) -> TooManyRequestsException:
    return TooManyRequestsException(message, reason=reason, retry_after_seconds=retry)


class ServiceException(ServiceError):
    """The Lambda service had an internal error (HTTP 500)."""

    code = "ServiceException"
    status_code = 500
