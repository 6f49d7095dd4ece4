"""What Lambda reports when a handler fails: error objects and their payloads.

Shapes are the Python runtime's as recorded on AWS (the fact sheet's 7.3):
``{"errorMessage", "errorType", "requestId", "stackTrace"}`` for an exception,
``{"errorType", "errorMessage"}`` for a timeout or a process exit.
"""

from __future__ import annotations

import linecache
import traceback
from typing import Any

__all__ = [
    "EXIT_ERROR",
    "EXIT_MESSAGE",
    "MODULE_PATH",
    "ErrorInfo",
    "exit_payload",
    "timeout_payload",
]

#: Where a ``code=`` module lives, as on AWS.
MODULE_PATH = "/var/task/lambda_function.py"
EXIT_ERROR = "Runtime.ExitError"
EXIT_MESSAGE = "Runtime exited without providing a reason"


class ErrorInfo:
    """A failed invocation as the Python runtime reports it.

    The stack is captured without reading source lines; they are looked up
    only if the payload is asked for.
    """

    __slots__ = (
        "_frames",
        "_stack",
        "error_message",
        "error_type",
        "request_id_in_payload",
        "source",
    )

    def __init__(
        self,
        error_type: str,
        error_message: str,
        frames: list[tuple[str, int, str]] | None = None,
        request_id_in_payload: bool = True,
    ) -> None:
        self.error_type = error_type
        self.error_message = error_message
        self.request_id_in_payload = request_id_in_payload
        # Only (file, line, function) are kept: holding the traceback itself would
        # keep every frame, event and context of a failed attempt alive in a cycle.
        # Source lines are read only when a payload is asked for.
        self._frames = frames
        self._stack: list[str] | None = None
        #: Source of a ``code=`` module, so its frames show their lines.
        self.source: str | None = None

    def stack_trace(self) -> list[str]:
        """``stackTrace``: one ``  File "...", line N, in name\n    source\n`` per frame."""
        if self._stack is None:
            if self.source is not None:
                # Module code is compiled from a string: give linecache its lines.
                lines = self.source.splitlines(True)
                linecache.cache[MODULE_PATH] = (len(self.source), None, lines, MODULE_PATH)
            # (file, line, name, source) tuples: no column carets, as AWS's runtime prints.
            frames = [
                (filename, lineno, name, linecache.getline(filename, lineno).strip())
                for filename, lineno, name in self._frames or ()
            ]
            self._stack = traceback.format_list(frames)
        return self._stack

    def payload(self, request_id: str) -> dict[str, Any]:
        """``{"errorMessage", "errorType", "requestId", "stackTrace"}`` in AWS's order."""
        if self.error_type == EXIT_ERROR:
            return exit_payload(request_id)
        return {
            "errorMessage": self.error_message,
            "errorType": self.error_type,
            "requestId": request_id if self.request_id_in_payload else "",
            "stackTrace": self.stack_trace(),
        }

    @classmethod
    def from_exception(cls, exc: BaseException, skip: int = 1, in_init: bool = False):
        """The error of ``exc``, without the runtime's own ``skip`` outer frames."""
        tb = exc.__traceback__
        for _ in range(skip):
            if tb is not None:
                tb = tb.tb_next
        frames = [(f.f_code.co_filename, n, f.f_code.co_name) for f, n in traceback.walk_tb(tb)]
        return cls(type(exc).__name__, str(exc), frames, request_id_in_payload=not in_init)


def timeout_payload(request_id: str, timeout: float) -> dict[str, str]:
    """The payload of a timed-out invocation, as recorded on AWS."""
    return {
        "errorType": "Sandbox.Timedout",
        "errorMessage": (
            f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
        ),
    }


def exit_payload(request_id: str) -> dict[str, str]:
    """The payload of an invocation whose handler exited the process."""
    return {
        "errorType": EXIT_ERROR,
        "errorMessage": f"RequestId: {request_id} Error: {EXIT_MESSAGE}",
    }
