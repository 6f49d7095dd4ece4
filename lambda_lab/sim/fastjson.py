"""JSON on the hot path: the standard library's C encoder and scanner, called directly.

``json.dumps``/``json.loads`` build a new C encoder on every call and wrap
the C scanner in Python; per invocation that overhead is larger than the
encoding itself.  These helpers produce exactly ``json.dumps``'s default
output (ASCII, ``", "`` and ``": "`` separators, NaN allowed) and fall back
to ``json`` where the C accelerators are missing.
"""

from __future__ import annotations

import json
from decimal import Decimal
from json import decoder as _decoder
from json import encoder as _encoder
from json import scanner as _scanner
from typing import Any

__all__ = ["dumps", "loads"]


def _default(obj: Any) -> Any:
    # AWS's Python runtime encodes Decimal (what DynamoDB hands back) as a number.
    if isinstance(obj, Decimal):
        return float(obj)
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")


if _encoder.c_make_encoder is not None:  # pragma: no branch - CPython has it
    _markers: dict[int, Any] = {}
    _c_encode = _encoder.c_make_encoder(
        _markers,  # detects circular references, as json.dumps does
        _default,
        _encoder.encode_basestring_ascii,
        None,
        ": ",
        ", ",
        False,
        False,
        True,
    )

    def dumps(obj: Any) -> str:
        """``json.dumps(obj)``, faster."""
        if isinstance(obj, str):
            return _encoder.encode_basestring_ascii(obj)
        try:
            return "".join(_c_encode(obj, 0))
        except BaseException:
            # The C encoder leaves the ids of the containers it was inside in the
            # markers when it fails; a stale id would later read as a cycle.
            _markers.clear()
            raise

else:  # pragma: no cover

    def dumps(obj: Any) -> str:
        return json.dumps(obj, default=_default)


_scan_once = _scanner.make_scanner(_decoder.JSONDecoder())


def loads(text: str) -> Any:
    """``json.loads(text)`` for a document known to be valid, compact JSON."""
    try:
        value, end = _scan_once(text, 0)
    except StopIteration:
        return json.loads(text)
    if end != len(text):
        return json.loads(text)
    return value
