"""Running a student's handler: simulated clock, virtual sleep, hang guard, outcomes.

A :class:`Runtime` session (``with runtime:``) is entered once per
``lab.run()``; inside it

* ``time.time()``, ``datetime.now()`` and friends return the simulated instant
  (time-machine's patch, :mod:`.clockpatch`, is started once per session and
  only *moved* before each handler call, which keeps its cost off the hot path);
* ``time.sleep(s)`` inside a handler advances virtual time by ``s`` instead of
  blocking; crossing the function timeout stops the handler right there, as
  Lambda would, so writes made before the sleep have happened and writes after
  it never do;
* a handler that loops for real is interrupted after ``hang_guard_seconds`` of
  wall-clock time (the :mod:`.watchdog` thread asks :meth:`Runtime.check`,
  which signals the running thread) and reported as a timeout, so the kernel
  stays usable.

* ``sys.stdout`` / ``sys.stderr`` and the root logger are captured (once per
  session, as the clock): what a handler prints or logs goes to its log stream
  with its virtual time (see :mod:`.logs`), and through to the notebook when
  the lab echoes; output outside handlers passes through untouched.

``time.monotonic()`` and ``time.perf_counter()`` stay real.

One difference from AWS remains: the handler runs in this process, so a
handler stopped at its deadline (or by the guard) still runs its ``finally:``
blocks and ``with`` exits on the way out, where Lambda would kill the process
and run nothing more.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import math
import os
import signal
import sys
import threading
import time
from typing import Any

from ..clock import SimClock
from ..fastjson import dumps
from .clockpatch import ClockPatch
from .logs import LogCapture, LogHandler, LogStore
from .records import EXIT_ERROR, EXIT_MESSAGE, ErrorInfo
from .watchdog import Watchdog
from .watchdog import watchdog as shared_watchdog

__all__ = ["ERROR", "INIT_HUNG", "MAX_RESPONSE_BYTES", "OK", "TIMEOUT", "Runtime"]

#: AWS's limit on a synchronous response, in the words of its error message.
MAX_RESPONSE_BYTES = 6291556

OK, ERROR, TIMEOUT = "ok", "error", "timeout"
#: What ``run_init`` returns when module code hung: the attempt ends as a timeout.
INIT_HUNG = "init-hung"


class _Hang(BaseException):
    """Raised inside a handler that ran past the real-time guard."""


class _Deadline(BaseException):
    """Raised inside a handler whose virtual sleep crossed the function timeout."""


class Runtime:
    """Executes handlers for one lab; see the module docstring."""

    # Set when a session's patches go on (``_activate``) and read only while
    # they are on, so they have no value before.
    _old_sleep: Any
    _alarm: bool
    _thread_id: int
    _gc_threshold: tuple[int, int, int]
    _streams: tuple[Any, Any]
    # Set by each call before anything reads them.
    _context: Any
    _budget: float
    # The running call's number (the guard tells calls apart by it; a nested
    # call gives the outer one its number back), read only while a call runs.
    _call: int
    # The guard's notes, read only once the call they name has been noted.
    _fired_at: float
    _seen_at: float

    def __init__(
        self,
        clock: SimClock,
        region: str,
        guard: float,
        logs: LogStore | None = None,
        watchdog: Watchdog | None = None,
    ) -> None:
        self._clock = clock
        #: Where handler output goes (see :mod:`.logs`); ``_context`` says who writes.
        self.logs = logs if logs is not None else LogStore(clock)
        #: The output stand-ins and the log handler, made at the first session.
        self._captures: tuple[LogCapture, LogCapture, LogHandler] | None = None
        self._region = region
        #: Real seconds a handler may run before the watchdog stops it.
        self.guard = guard
        self._depth = 0
        self._patch = ClockPatch(clock)
        self._active = False
        # What each key this session wrote was before it (None: absent), given
        # back at its end.
        self._saved_env: dict[str, str | None] = {}
        self._env_function: dict[str, str] | None = None
        self._in_call = False
        #: The thread that calls ``check`` while a session is on (default: the
        #: process's one; a test may pass one that never calls).
        self._watchdog = watchdog if watchdog is not None else shared_watchdog()
        #: Handler calls and module loads started so far.
        self.calls = 0
        # The guard's notes name the call they saw by its number; 0 is none.
        self._fired_id = 0
        # The watchdog's view: which call it saw running (and since when, real time).
        self._seen_id = 0
        # Where the running handler's time started (``now()`` reads 0 before any).
        self._t0 = 0.0
        #: Virtual seconds the running handler spent asleep or waiting.
        self.slept = 0.0
        #: Handlers (and module loads) the guard interrupted.
        self.hangs = 0

    # -- the session -------------------------------------------------------
    # ``with runtime:`` only counts; the patches go on when the first handler of
    # the session runs (``_activate``) and come off when the outermost session
    # ends.  A ``run()`` that runs no handler then costs a counter, not the
    # microseconds of patching the clock, streams and signals.
    def __enter__(self) -> Runtime:
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if not self._depth and self._active:
            self._deactivate()

    @property
    def active(self) -> bool:
        """True while the session's patches (clock, sleep, streams) are on."""
        return self._active

    def _activate(self) -> None:
        if not self._depth:
            raise RuntimeError("handlers run inside a runtime session: `with runtime:`")
        self._active = True
        self._patch.start()
        self._old_sleep = time.sleep
        time.sleep = self._sleep
        self._thread_id = threading.get_ident()
        # Full (generation 2) collections walk every in-flight invocation and
        # find nothing: the simulator makes no reference cycles.  Run them less
        # often while time moves; young generations are collected as usual.
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(*self._gc_threshold[:2], max(self._gc_threshold[2], 1000))
        # A signal interrupts even a blocking C call; it needs the main thread (and a
        # platform with SIGALRM).  Elsewhere the guard raises asynchronously instead.
        self._alarm = _HAS_ALARM and threading.current_thread() is threading.main_thread()
        if self._alarm:
            _install_alarm()
        self._capture_output()
        _ACTIVE.add(self)
        self._watchdog.watch(self)

    def _capture_output(self) -> None:
        # Once per session, as the clock: handler output goes to the log store.
        # The stand-ins are made once per runtime and pointed at today's streams.
        logs = self.logs
        out, err = sys.stdout, sys.stderr
        if self._captures is None:
            stdout, stderr = LogCapture(logs, self, out), LogCapture(logs, self, err)
            handler = LogHandler(logs, self, self._clock, err)
            self._captures = (stdout, stderr, handler)
        else:
            stdout, stderr, handler = self._captures
            stdout.original, stderr.original, handler.stderr = out, err, err
        self._streams = (out, err)
        logs.captures[:] = (stdout, stderr)
        sys.stdout, sys.stderr = stdout, stderr
        logging.getLogger().addHandler(handler)

    def _release_output(self) -> None:
        out, err = self._streams
        stdout, stderr, handler = self._captures  # type: ignore[misc]
        logging.getLogger().removeHandler(handler)
        stdout.flush_pending()
        stderr.flush_pending()
        self.logs.captures[:] = []
        # Give the streams back unless someone replaced them in the meantime.
        if sys.stdout is stdout:
            sys.stdout = out
        if sys.stderr is stderr:
            sys.stderr = err

    def _deactivate(self) -> None:
        self._active = False
        self._release_output()
        self._watchdog.unwatch(self)
        _ACTIVE.discard(self)
        gc.set_threshold(*self._gc_threshold)
        # The SIGALRM handler stays installed: it passes signals that are not the
        # guard's on to the handler it replaced, and reinstalling it per session
        # would cost more than the rest of the session together.
        time.sleep = self._old_sleep
        self._patch.stop()
        self._restore_env()

    # -- one handler call ----------------------------------------------------
    def call(
        self, handler: Any, event: Any, context: Any, t0: float, budget: float, env: dict
    ) -> tuple[str, Any, float, bool]:
        """Run ``handler(event, context)`` at virtual time ``t0``.

        Returns ``(status, value, slept, restart)``: status ``ok`` with the
        JSON response body, ``error`` with an :class:`ErrorInfo`, or
        ``timeout`` (``value`` None); ``slept`` is the virtual time the handler
        spent in ``time.sleep`` or waiting on nested invocations; ``restart``
        says the runtime process ended (timeout or exit), so module state is
        lost.  Calls nest: a handler may invoke another function synchronously.
        """
        if self._in_call:
            return self._nested(self.call, handler, event, context, t0, budget, env)
        if not self._active:
            self._activate()
        if env is not self._env_function:
            self._switch_env(env)
        self._context = context
        self._patch.move(t0)
        self._t0 = t0
        self._budget = budget
        self.slept = 0.0
        self.calls += 1
        self._call = self.calls
        self._in_call = True
        try:
            result = handler(event, context)
        except BaseException as exc:
            self._in_call = False
            return self._failed(exc, t0, context)
        if result is None:  # most handlers return nothing: no encoder needed for "null"
            self._in_call = False
            return OK, "null", self.slept, False
        try:
            body = dumps(result)
        except (TypeError, ValueError, RecursionError, OverflowError) as exc:
            self._in_call = False
            info = ErrorInfo("Runtime.MarshalError", f"Unable to marshal response: {exc}")
            self.logs.add_error(t0 + self.slept, context, info)  # the runtime's [ERROR] line
            return ERROR, info, self.slept, False
        except BaseException as exc:  # the guard stopped the encoding of a huge answer
            self._in_call = False
            return self._failed(exc, t0, context)
        self._in_call = False
        if len(body) > MAX_RESPONSE_BYTES:  # json.dumps escapes to ASCII: chars == bytes
            message = (
                "Response payload size exceeded maximum allowed payload size "
                f"({MAX_RESPONSE_BYTES} bytes)."
            )
            return ERROR, ErrorInfo("Function.ResponseSizeTooLarge", message), self.slept, False
        return OK, body, self.slept, False

    def _failed(self, exc: BaseException, t0: float, context: Any) -> tuple[str, Any, float, bool]:
        """The outcome of a handler call that raised ``exc`` (``call``'s answer)."""
        if isinstance(exc, _Hang):
            self.hangs += 1
            return TIMEOUT, None, self.slept, True
        if isinstance(exc, _Deadline):
            return TIMEOUT, None, self.slept, True
        if isinstance(exc, KeyboardInterrupt):
            raise exc  # the student's Ctrl-C stops the lab, not just the handler
        if isinstance(exc, SystemExit):
            return ERROR, ErrorInfo(EXIT_ERROR, EXIT_MESSAGE), self.slept, True
        info = ErrorInfo.from_exception(exc)
        self.logs.add_error(t0 + self.slept, context, info)  # the runtime's [ERROR] line
        return ERROR, info, self.slept, False

    def run_init(
        self, init: Any, t0: float, env: dict, context: Any = None
    ) -> ErrorInfo | str | None:
        """Run module-level code of a new environment.

        Returns None, an :class:`ErrorInfo` for an exception (an init error), or
        ``INIT_HUNG`` when the code ran past the hang guard.  ``context`` (an
        :class:`~.logs.InitContext`) names the log stream its output goes to.
        """
        if self._in_call:
            return self._nested(self.run_init, init, t0, env, context)
        if not self._active:
            self._activate()
        if env is not self._env_function:
            self._switch_env(env)
        self._context = context
        self._patch.move(t0)
        self._t0, self._budget, self.slept = t0, math.inf, 0.0
        self.calls += 1
        self._call = self.calls
        self._in_call = True
        try:
            init()
        except KeyboardInterrupt:
            raise
        except _Hang:
            self.hangs += 1
            return INIT_HUNG
        except ImportError as exc:
            # The Python runtime reports a failed import as its own error, with no stack.
            message = f"Unable to import module 'lambda_function': {exc}"
            info = ErrorInfo("Runtime.ImportModuleError", message, request_id_in_payload=False)
            self._log_init_error(info)
            return info
        except BaseException as exc:
            info = ErrorInfo.from_exception(exc, in_init=True)
            self._log_init_error(info)
            return info
        finally:
            self._in_call = False
        return None

    def _log_init_error(self, info: ErrorInfo) -> None:
        if self._context is not None:
            self.logs.add_error(self._t0 + self.slept, self._context, info)

    def _nested(self, method: Any, *args: Any) -> Any:
        """Run ``method`` inside a running handler, then give the outer call its state back."""
        saved = (
            self._t0,
            self._budget,
            self.slept,
            self._call,
            self._env_function,
            self._context,
        )
        self._in_call = False
        try:
            return method(*args)
        finally:
            self._t0, self._budget, self.slept, self._call, env, self._context = saved
            if env is not self._env_function:
                self._switch_env(env)
            self._in_call = True
            self._patch.move(self._t0 + self.slept)

    def in_handler(self) -> bool:
        """True while a handler (or module code) is running."""
        return self._in_call

    def writer(self) -> Any:
        """The context of the handler (or module code) running in this thread, else None.

        Output capture asks it on each write: who is writing, and whether to capture.
        """
        if self._in_call and threading.get_ident() == self._thread_id:
            return self._context
        return None

    def advance(self, seconds: float) -> None:
        """Let the running handler's virtual time pass (a sleep, a wait on a call).

        Crossing the function timeout stops the handler right there.
        """
        if self.slept + seconds >= self._budget:
            self.slept = self._budget
            raise _Deadline()
        self.slept += seconds
        self._patch.move(self._t0 + self.slept)

    def _switch_env(self, env: dict[str, str]) -> None:
        """Give the process this function's environment variables, and only its.

        ``os.environ`` is slow to touch (each write is a ``putenv``), so only
        values that differ are written: the first call of a session sets the
        region and the function's variables, later calls of the same function
        do not come here, and the end of the session gives back what was there.
        Values are compared with ``os.environ`` itself, not with what was last
        written: a handler may have changed one, and the next function must
        not see its change (calls of the same function do, as a process would).
        """
        saved = self._saved_env
        environ = os.environ
        region = self._region
        # Each key is read once: what it was before the session when first
        # applied (kept to give back), what it is now otherwise.
        for key in _SESSION_KEYS:
            current = environ.get(key)
            if key not in saved:
                saved[key] = current
            if current != region:
                environ[key] = region
        # A function's own variables never name a session key (AWS reserves
        # them; see RESERVED_VARIABLES), so the previous function's are its own.
        # They stay among the saved keys: the session's end gives them back
        # again, in case a later handler set one itself.
        for key in self._env_function or ():
            if key not in env:
                _put(environ, key, saved[key])
        for key, value in env.items():
            current = environ.get(key)
            if key not in saved:
                saved[key] = current
            if current != value:
                environ[key] = value
        self._env_function = env

    def _restore_env(self) -> None:
        saved = self._saved_env
        environ = os.environ
        for key, value in saved.items():
            _put(environ, key, value)
        self._saved_env = {}
        self._env_function = None

    def now(self) -> float:
        """Virtual time as the running handler sees it."""
        return self._t0 + self.slept

    # -- patches and the guard ---------------------------------------------
    def _sleep(self, seconds: float) -> None:
        if not self._in_call or threading.get_ident() != self._thread_id:
            self._old_sleep(seconds)
            return
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        self.advance(seconds)

    def check(self, now: float) -> None:
        """Interrupt the running handler if it has run ``guard`` real seconds.

        Called by the watchdog thread with the real time (``perf_counter``).
        The hot path only numbers its calls; this notes when it first saw each
        call running, so no clock is read per call.  A handler still running
        one guard after being interrupted (it swallowed the interruption) is
        interrupted again.
        """
        if not self._in_call:
            return
        if self._seen_id != self._call:
            self._seen_id, self._seen_at = self._call, now
            return
        if now - self._seen_at < self.guard:
            return
        if self._fired_id == self._call and now - self._fired_at < self.guard:
            return
        self._fired_id, self._fired_at = self._call, now
        if self._alarm:
            signal.pthread_kill(self._thread_id, signal.SIGALRM)
        else:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self._thread_id), ctypes.py_object(_Hang)
            )

    def _on_signal(self) -> None:
        """Stop the running handler if this runtime's guard sent the signal."""
        in_guarded_call = self._in_call and self._fired_id == self._call
        if in_guarded_call and threading.get_ident() == self._thread_id:
            raise _Hang()


def _put(environ: Any, key: str, value: str | None) -> None:
    if value is not None:
        environ[key] = value
        return
    try:  # ``del`` is cheaper than ``pop(key, None)``; the handler may have deleted it
        del environ[key]
    except KeyError:
        return


#: Runtimes whose session is active (patches on); the alarm handler asks them.
_ACTIVE: set[Runtime] = set()
_previous_alarm: Any = None


def _on_alarm(signum: int, frame: Any) -> None:
    for runtime in list(_ACTIVE):
        runtime._on_signal()
    previous = _previous_alarm
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:
        # Not the guard's signal, and nobody else handles it: die as the process
        # would have without us.
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)


def _install_alarm() -> None:
    """Install the guard's SIGALRM handler once (again if someone replaced it)."""
    global _previous_alarm
    current = signal.getsignal(signal.SIGALRM)
    if current is not _on_alarm:
        _previous_alarm = current
        signal.signal(signal.SIGALRM, _on_alarm)


_HAS_ALARM = hasattr(signal, "SIGALRM") and hasattr(signal, "pthread_kill")
_SESSION_KEYS = ("AWS_REGION", "AWS_DEFAULT_REGION")
