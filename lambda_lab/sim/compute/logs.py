"""CloudWatch Logs of functions: what each invocation writes to its log stream.

Every execution environment writes to its own log stream (the name the
context gives, ``context.log_stream_name``) in the function's log group
``/aws/lambda/<name>``.  Only the handler's own output is captured while the
simulation runs: lines written to ``sys.stdout`` / ``sys.stderr`` and records
of the ``logging`` module, each with the handler's virtual time, plus the
runtime's ``[ERROR]`` line for an unhandled exception.  The platform's lines
(``START``, ``END``, ``REPORT``, ``Task timed out ...``) are derived from the
trace only when they are asked for (:meth:`LogStore.events`), so the hot path
formats nothing.

The text follows AWS:

* ``START RequestId: <id> Version: $LATEST``, ``END RequestId: <id>`` and
  ``REPORT RequestId: <id>\\tDuration: 102.25 ms\\tBilled Duration: 103 ms\\t
  Memory Size: 128 MB\\tMax Memory Used: 40 MB`` with ``\\tInit Duration:
  250.00 ms`` on a cold start (AWS's Python logging page shows these lines);
* ``logging`` records as the Python runtime formats them,
  ``[INFO]\\t2026-01-01T00:00:00.123Z\\t<request id>\\t<message>`` (the format
  string of ``awslambdaric/bootstrap.py``, ``_setup_logging``); a multi-line
  message stays one event;
* an unhandled exception as the runtime's ``log_error`` writes it, one event:
  ``[ERROR] KeyError: 'amount'`` then ``Traceback (most recent call last):``
  and the frames, lines joined by ``\\n`` and their leading spaces replaced by
  NO-BREAK SPACEs (U+00A0), as ``bootstrap.py`` does;
* a timeout as ``<ISO time> <request id> Task timed out after 3.00 seconds``,
  then ``END``, then ``REPORT`` ending in ``\\tStatus: timeout`` (seen in
  recent Lambda logs); a process exit as
  ``RequestId: <id> Error: Runtime exited without providing a reason\\n
  Runtime.ExitError`` and a REPORT ending in ``\\tStatus: error\\tError Type:
  Runtime.ExitError``.

Our choices where AWS documents nothing: where the timeout line sits (before
``END``); messages carry no trailing newline (CloudWatch keeps the ``\\n``
each line ended with); empty lines are dropped (a CloudWatch event needs a
character); output of module code (Init) carries no request id and is not part
of ``LogResult``; ``ingestionTime`` equals ``timestamp``; ``eventId`` is the
event's position in its log group, so it is deterministic; ``Max Memory
Used`` is simulated: ``min(memory size, memory_baseline_mb)`` (40 MB by
default, about what a small Python function reports).  Records removed by
``trace.clear()`` take their START/END/REPORT lines with them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any

from ..clock import SimClock
from .records import EXIT_ERROR, ErrorInfo

__all__ = ["InitContext", "LogCapture", "LogHandler", "LogStore", "filter_terms", "matches"]

#: How many bytes of the log ``LogResult`` holds (``invoke(log_type="Tail")``).
TAIL_BYTES = 4096
#: Leading spaces of traceback lines become this, as the Python runtime writes them.
NBSP = "\u00a0"

# Lines that share one instant sort by attempt, then: module code's output, START,
# handler output, the platform's error line, END, REPORT.
_INIT, _START, _OUTPUT, _PLATFORM, _END, _REPORT = range(6)


class InitContext:
    """Who is writing while module code (the Init phase) runs: no request id yet."""

    __slots__ = ("aws_request_id", "function_name", "log_stream_name")

    def __init__(self, function_name: str, log_stream_name: str) -> None:
        self.function_name = function_name
        self.log_stream_name = log_stream_name
        self.aws_request_id = None


class LogStore:
    """The captured output of one world, and the log events derived from it.

    ``echo`` (the lab's ``echo_logs``) also writes handler output through to the
    notebook; set it on ``lab.world.logs`` to change it while the lab runs.
    """

    def __init__(self, clock: SimClock, echo: bool = True, memory_baseline_mb: int = 40) -> None:
        self._clock = clock
        self._epoch_ms = round(clock.epoch_seconds * 1000)
        self.echo = echo
        self.memory_baseline_mb = memory_baseline_mb
        #: ``(t, context, message)`` per line of output, and per unhandled error
        #: ``(t, function, stream, request id, error type, error message, frames)``:
        #: strings the trace holds anyway and shared frames, so that a run with many
        #: errors keeps little (no context, no ErrorInfo).
        self.lines: list[tuple] = []
        self.add = self.lines.append
        self._frames: dict[tuple, tuple] = {}
        #: Environment id -> log stream name (environments are forgotten on expiry).
        self.streams: dict[str, str] = {}
        #: The session's stdout and stderr stand-ins (their unfinished lines are flushed).
        self.captures: list[LogCapture] = []

    def add_error(self, t: float, context: Any, info: ErrorInfo) -> None:
        """Note the runtime's ``[ERROR]`` line for ``info``, raised at ``t`` by ``context``."""
        frames = tuple(info.frames)
        frames = self._frames.setdefault(frames, frames)
        self.add(
            (
                t,
                context.function_name,
                context.log_stream_name,
                context.aws_request_id,
                info.error_type,
                info.error_message,
                frames,
            )
        )

    def millis(self, t: float) -> int:
        """Epoch milliseconds of virtual time ``t`` (truncated, as the ISO text is)."""
        return self._epoch_ms + math.floor(t * 1000 + 1e-6)

    def flush(self) -> None:
        """Record lines still waiting for their newline."""
        for capture in self.captures:
            capture.flush_pending()

    # -- reading ------------------------------------------------------------
    def events(
        self,
        records: Iterable[dict[str, Any]],
        function: str,
        memory_size: int,
        request_id: str | None = None,
        code: str | None = None,
    ) -> list[dict[str, Any]]:
        """FilterLogEvents-shaped events of ``function``'s log group, in time order.

        With ``request_id``, only that invocation's events (what ``LogResult`` holds).
        ``code`` is the function's ``code=`` module, for the lines of its tracebacks.
        """
        self.flush()
        rows, blocks = self._derived(records, function, memory_size, request_id)
        for seq, entry in enumerate(self.lines):
            if len(entry) == 3:  # a line of output
                t, context, message = entry
                name, stream = context.function_name, context.log_stream_name
                rid = context.aws_request_id
            else:  # an unhandled error (see add_error)
                t, name, stream, rid, error_type, error_message, frames = entry
                message = None
            if name != function:
                continue
            if request_id is not None and rid != request_id:
                continue
            if message is None:
                info = ErrorInfo(error_type, error_message, list(frames))
                info.source = code
                message = error_text(info)
            # The attempt it belongs to: the last one started in this stream by then.
            starts = blocks.get((rid, stream), ())
            block = 0
            for start_t, number in reversed(starts):
                if start_t <= t:
                    block = number
                    break
            rows.append((t, block, _OUTPUT if rid is not None else _INIT, seq, stream, message))
        rows.sort(key=lambda row: row[:4])
        millis = self.millis
        return [
            {
                "logStreamName": stream,
                "timestamp": (ms := millis(t)),
                "message": message,
                "ingestionTime": ms,
                "eventId": f"{index:056d}",
            }
            for index, (t, _, _, _, stream, message) in enumerate(rows)
        ]

    def tail(
        self,
        records: list[dict[str, Any]],
        function: str,
        memory_size: int,
        rid: str,
        code: str | None = None,
    ) -> bytes:
        """``LogResult`` of one synchronous invocation: its last 4 KB of log, as bytes."""
        # The invocation just ended: its records are near the end of the trace.
        start = len(records)
        for index in range(len(records) - 1, -1, -1):
            record = records[index]
            if record["kind"] == "attempt_started" and record["request_id"] == rid:
                start = index
                break
        events = self.events(records[start:], function, memory_size, rid, code)
        text = "".join(event["message"] + "\n" for event in events)
        return text.encode("utf-8")[-TAIL_BYTES:]

    def _derived(
        self,
        records: Iterable[dict[str, Any]],
        function: str,
        memory_size: int,
        request_id: str | None,
    ) -> tuple[list[tuple], dict[tuple, list[tuple[float, int]]]]:
        """START / END / REPORT (and the platform's error lines) from the trace.

        Also returns, per ``(request id, stream)`` and ``(None, stream)``, when
        each attempt started and its number, to place the captured lines.
        """
        rows: list[tuple] = []
        blocks: dict[tuple, list[tuple[float, int]]] = {}
        streams = self.streams
        started: dict[tuple, tuple[dict[str, Any], int]] = {}
        memory_used = min(memory_size, self.memory_baseline_mb)
        number = 0
        for record in records:
            kind = record["kind"]
            if kind != "attempt_started" and kind != "attempt_ended":
                continue
            if record["function"] != function:
                continue
            rid = record["request_id"]
            if request_id is not None and rid != request_id:
                continue
            stream = streams.get(record["env"], record["env"])
            key = (rid, record["attempt"], record["env"])
            if kind == "attempt_started":
                number += 1
                started[key] = (record, number)
                blocks.setdefault((rid, stream), []).append((record["t"], number))
                blocks.setdefault((None, stream), []).append((record["t"], number))
                t = record["t"] + record["init_duration"]
                message = f"START RequestId: {rid} Version: $LATEST"
                rows.append((t, number, _START, 0, stream, message))
                continue
            t = record["t"]
            start, block = started.pop(key, (None, 0))
            status = record["status"]
            tail = ""
            if status == "timeout":
                message = f"{self._clock.iso(t)} {rid} {record['error_message']}"
                rows.append((t, block, _PLATFORM, 0, stream, message))
                tail = "\tStatus: timeout"
            elif record.get("error_type") == EXIT_ERROR:
                message = f"RequestId: {rid} Error: {record['error_message']}\n{EXIT_ERROR}"
                rows.append((t, block, _PLATFORM, 0, stream, message))
                tail = f"\tStatus: error\tError Type: {EXIT_ERROR}"
            rows.append((t, block, _END, 0, stream, f"END RequestId: {rid}"))
            report = (
                f"REPORT RequestId: {rid}\tDuration: {record['duration'] * 1000:.2f} ms\t"
                f"Billed Duration: {record['billed_duration_ms']} ms\t"
                f"Memory Size: {memory_size} MB\tMax Memory Used: {memory_used} MB"
            )
            if start is not None and start["cold"]:
                report += f"\tInit Duration: {start['init_duration'] * 1000:.2f} ms"
            rows.append((t, block, _REPORT, 0, stream, report + tail))
        return rows, blocks


def error_text(info: ErrorInfo) -> str:
    """The Python runtime's ``[ERROR]`` event for an unhandled exception."""
    description = "[ERROR]"
    if info.error_type:
        description += " " + info.error_type
    if info.error_message:
        if info.error_type:
            description += ":"
        description += " " + info.error_message
    lines = [description, "Traceback (most recent call last):"]
    for element in info.stack_trace():
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append(NBSP * (len(line) - len(stripped)) + stripped)
    return "\n".join(lines)


def filter_terms(pattern: Any) -> list[str]:
    """The terms of a filter pattern: words, or ``"quoted phrases"``.

    Only CloudWatch's simplest syntax (every term must appear); ``?term``,
    ``-term`` and JSON patterns are not supported and are refused.
    """
    from ...errors import InvalidParameterValueException

    if pattern is None:
        return []
    if not isinstance(pattern, str):
        raise InvalidParameterValueException(f"filter_pattern must be a string, got {pattern!r}")
    terms: list[str] = []
    rest = pattern.strip()
    while rest:
        if rest[0] == '"':
            end = rest.find('"', 1)
            if end < 0:
                raise InvalidParameterValueException(
                    f"filter_pattern has an unclosed quote: {pattern!r}"
                )
            terms.append(rest[1:end])
            rest = rest[end + 1 :].lstrip()
            continue
        word, _, rest = rest.partition(" ")
        if word[0] in "?-{[":
            raise InvalidParameterValueException(
                f'filter_pattern supports plain terms and "quoted phrases" only, got {pattern!r}'
            )
        terms.append(word)
        rest = rest.lstrip()
    return [term for term in terms if term]


def matches(message: str, terms: list[str]) -> bool:
    """CloudWatch's simplest filter pattern: every term appears (case-sensitive)."""
    return all(term in message for term in terms)


class LogCapture:
    """Stands in for ``sys.stdout`` / ``sys.stderr`` during a runtime session.

    While a handler runs (in the simulation's thread) each line it writes is
    recorded with the handler's virtual time and its context, and echoed to the
    original stream when the store says so; anything else passes through.
    """

    def __init__(self, store: LogStore, runtime: Any, original: Any) -> None:
        self._store = store
        self._runtime = runtime
        self.original = original
        self._pending = ""
        self._pending_context: Any = None
        self._pending_t = 0.0

    def write(self, text: str) -> int:
        runtime = self._runtime
        context = runtime.writer()
        if context is None:
            return self.original.write(text)
        store = self._store
        if store.echo:
            self.original.write(text)
        if self._pending and self._pending_context is not context:
            self.flush_pending()
        if not self._pending:
            self._pending_t, self._pending_context = runtime.now(), context
        *lines, rest = (self._pending + text).split("\n")
        if lines:
            add, t = store.add, self._pending_t
            for line in lines:
                if line:
                    add((t, context, line))
            self._pending_t = runtime.now()
        self._pending = rest
        return len(text)

    def flush_pending(self) -> None:
        if self._pending:
            self._store.add((self._pending_t, self._pending_context, self._pending))
        self._pending, self._pending_context = "", None

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


class LogHandler(logging.Handler):
    """The root logger's handler during a session, formatting like the Python runtime.

    Outside handlers it only stands in for ``logging.lastResort`` (which no
    longer fires once the root logger has a handler), so nothing changes there.
    """

    def __init__(self, store: LogStore, runtime: Any, clock: SimClock, stderr: Any) -> None:
        super().__init__()
        self._store = store
        self._runtime = runtime
        self._iso = clock.iso
        #: Where records go that no other handler shows (``logging.lastResort``'s stream).
        self.stderr = stderr
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        runtime = self._runtime
        context = runtime.writer()
        inside = context is not None
        if inside:
            t = runtime.now()
            rid = context.aws_request_id or ""
            message = f"[{record.levelname}]\t{self._iso(t)}\t{rid}\t{self.format(record)}"
            self._store.add((t, context, message))
        if (not inside or self._store.echo) and not self._others(record):
            last = logging.lastResort
            if last is not None and record.levelno >= last.level:
                self.stderr.write(last.format(record) + "\n")

    def _others(self, record: logging.LogRecord) -> bool:
        """Whether a handler other than this one sees the record."""
        logger: Any = logging.getLogger(record.name) if record.name != "root" else None
        logger = logger or logging.getLogger()
        while logger is not None:
            if any(handler is not self for handler in logger.handlers):
                return True
            if not logger.propagate:
                break
            logger = logger.parent
        return False
