"""What Lambda reports when a handler fails: error objects and their payloads.

Shapes are the Python runtime's as recorded on AWS (the fact sheet's 7.3):
``{"errorMessage", "errorType", "requestId", "stackTrace"}`` for an exception,
``{"errorType", "errorMessage"}`` for a timeout or a process exit.
"""

from __future__ import annotations

import linecache
import os
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
#: lambda_lab's own files: their frames are the runtime's, never shown in a stack.
_OWN_FILES = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep


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
        #: Source of the ``code=`` module of this error's function: its frames'
        #: lines are read from it (set before the payload is first asked for).
        self.source: str | None = None

    @property
    def frames(self) -> list[tuple[str, int, str]]:
        """``(file, line, function)`` of each frame, innermost last."""
        return self._frames or []

    def stack_trace(self) -> list[str]:
        """``stackTrace``: one ``  File "...", line N, in name\n    source\n`` per frame."""
        if self._stack is None:
            # A ``code=`` module is compiled from a string, and every function's module is
            # MODULE_PATH: its lines come from this error's own source, never from the
            # process-wide linecache, where another function's module could be found.
            module = self.source.splitlines() if self.source is not None else []
            # (file, line, name, source) tuples: no column carets, as AWS's runtime prints.
            frames = [
                (
                    filename,
                    lineno,
                    name,
                    (module[lineno - 1] if 0 < lineno <= len(module) else "").strip()
                    if filename == MODULE_PATH
                    else linecache.getline(filename, lineno).strip(),
                )
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
    def from_exception(
        cls,
        exc: BaseException,
        skip: int = 1,
        in_init: bool = False,
        source: str | None = None,
    ):
        """The error of ``exc``, with the user's frames only, as AWS shows them.

        The runtime's own ``skip`` outer frames go, and so does every frame of
        lambda_lab's files (the code that runs a module, a nested invoke).
        ``source`` is the ``code=`` module's text, for its frames' lines.
        """
        tb = exc.__traceback__
        for _ in range(skip):
            if tb is not None:
                tb = tb.tb_next
        # A plain walk down the traceback: a third of handlers raise, and
        # ``traceback.walk_tb``'s generator cost twice as much per error.
        frames = []
        while tb is not None:
            code = tb.tb_frame.f_code
            filename = code.co_filename
            if not filename.startswith(_OWN_FILES):
                frames.append((filename, tb.tb_lineno, code.co_name))
            tb = tb.tb_next
        error = cls(type(exc).__name__, str(exc), frames, not in_init)
        error.source = source
        return error


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
