"""Request payloads: what the Invoke API accepts, and its size quotas."""

from __future__ import annotations

import json
from typing import Any

from ...errors import InvalidRequestContentException, RequestTooLargeException
from ..fastjson import dumps

__all__ = ["MAX_ASYNC_REQUEST_BYTES", "MAX_SYNC_REQUEST_BYTES", "encode_payload"]

#: Synchronous request quota: 6 MB.
MAX_SYNC_REQUEST_BYTES = 6 * 1024 * 1024
#: Asynchronous request quota: 1 MB since October 2025 (it was 256 KB).
MAX_ASYNC_REQUEST_BYTES = 1024 * 1024


def encode_payload(payload: Any, limit: int) -> str:
    """The JSON body of an Invoke request, checked as the API checks it.

    ``str`` and ``bytes`` are taken as the raw JSON document, as boto3's
    ``Payload`` is (so ``json.dumps(event)`` works); any other Python value is
    serialised with ``json.dumps``.  ``None`` means an empty body, which the
    function receives as ``{}``, like the AWS CLI's default.
    """
    if payload is None:
        body = "{}"
    elif isinstance(payload, (bytes, bytearray, memoryview)):
        try:
            text = bytes(payload).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: payload is not UTF-8 ({exc.reason})"
            ) from None
        body = _check_json(text)
    elif isinstance(payload, str):
        body = _check_json(payload)
    else:
        try:
            body = dumps(payload)
        except (TypeError, ValueError) as exc:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: {exc}"
            ) from None
    size = len(body) if body.isascii() else len(body.encode("utf-8"))
    if size > limit:
        raise RequestTooLargeException(
            f"Request must be smaller than {limit} bytes for the InvokeFunction operation "
            f"(payload is {size} bytes)"
        )
    return body


def _check_json(text: str) -> str:
    try:
        json.loads(text)
    except ValueError as exc:  # JSONDecodeError
        raise InvalidRequestContentException(
            f"Could not parse request body into json: {exc.msg} at position {exc.pos} "
            f"of {text[:40]!r}"
        ) from None
    return text.strip()
