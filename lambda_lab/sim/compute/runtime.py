"""Running a student's handler: simulated clock, virtual sleep, hang guard, outcomes.

A :class:`Runtime` session (``with runtime:``) is entered once per
``lab.run()``; inside it

* ``time.time()``, ``datetime.now()`` and friends return the simulated instant
  (time-machine's patch is started once per session and only *moved* before
  each handler call, which keeps its cost off the hot path);
* ``time.sleep(s)`` inside a handler advances virtual time by ``s`` instead of
  blocking; crossing the function timeout stops the handler right there, as
  Lambda would, so writes made before the sleep have happened and writes after
  it never do;
* a handler that loops for real is interrupted after ``hang_guard_seconds`` of
  wall-clock time (a watchdog thread signals the running thread) and reported
  as a timeout, so the kernel stays usable.

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
from time import perf_counter
from typing import Any

import time_machine

from ..clock import SimClock
from ..fastjson import dumps
from .logs import LogCapture, LogHandler, LogStore
from .records import EXIT_ERROR, EXIT_MESSAGE, ErrorInfo

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


class _Watchdog:
    """One daemon thread that interrupts handlers running past their guard."""

    def __init__(self) -> None:
        self._runtimes: set[Runtime] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, runtime: Runtime) -> None:
        with self._lock:
            self._runtimes.add(runtime)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="lambda-lab-hang-guard", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def unwatch(self, runtime: Runtime) -> None:
        with self._lock:
            self._runtimes.discard(runtime)

    def _loop(self) -> None:
        while True:
            with self._lock:
                runtimes = list(self._runtimes)
            if not runtimes:
                self._wake.wait()
                self._wake.clear()
                continue
            if self._wake.wait(min(0.05, min(r.guard for r in runtimes) / 4)):
                self._wake.clear()  # a set event would make every wait return at once
            now = perf_counter()
            for runtime in runtimes:
                runtime._check(now)


_WATCHDOG: _Watchdog | None = None


def _watchdog() -> _Watchdog:
    """The process's one watchdog, made when a session first needs it (not at import:
    a lab that never runs a handler starts no thread and holds no lock)."""
    global _WATCHDOG
    if _WATCHDOG is None:
        _WATCHDOG = _Watchdog()
    return _WATCHDOG


class Runtime:
    """Executes handlers for one lab; see the module docstring."""

    def __init__(
        self, clock: SimClock, region: str, guard: float, logs: LogStore | None = None
    ) -> None:
        self._clock = clock
        #: Where handler output goes (see :mod:`.logs`); ``_context`` says who writes.
        self.logs = logs if logs is not None else LogStore(clock)
        self._context: Any = None
        self._streams: Any = None
        self._captures: Any = None
        self._log_handler: Any = None
        epoch = clock.epoch
        self._epoch_ns = int(epoch.replace(microsecond=0).timestamp()) * 10**9 + (
            epoch.microsecond * 1000
        )
        self._direct = False
        self._region = region
        self.guard = guard
        self._depth = 0
        # One traveller for the lab's life: its instant is set before each call.
        self._traveller = time_machine.travel(clock.epoch_seconds, tick=False)
        self._coords: Any = None
        self._active = False
        self._saved_env: dict[str, str | None] = {}
        self._applied_env: dict[str, str] = {}
        self._env_function: str | None = None
        self._old_sleep: Any = None
        self._alarm = False
        self._thread_id = 0
        self._in_call = False
        self._call_id = 0
        self._fired_id = -1
        self._fired_at = 0.0
        # The watchdog's view: which call it saw running, and since when (real time).
        self._seen_id = -1
        self._seen_at = 0.0
        self._t0 = 0.0
        self._budget = math.inf
        self.slept = 0.0
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
        self._coords = self._traveller.start()
        self._direct = isinstance(
            getattr(self._coords, "_destination_timestamp_ns", None), int
        ) and not getattr(self._coords, "_tick", True)
        self._old_sleep = time.sleep
        time.sleep = self._sleep
        self._env_function = None
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
        _watchdog().watch(self)

    def _capture_output(self) -> None:
        # Once per session, as the clock: handler output goes to the log store.
        # The stand-ins are made once per runtime and pointed at today's streams.
        logs = self.logs
        out, err = sys.stdout, sys.stderr
        if self._captures is None:
            self._log_handler = LogHandler(logs, self, self._clock, err)
            self._captures = (LogCapture(logs, self, out), LogCapture(logs, self, err))
        captures, handler = self._captures, self._log_handler
        captures[0].original, captures[1].original, handler.stderr = out, err, err
        self._streams = (out, err)
        logs.captures[:] = captures
        sys.stdout, sys.stderr = captures
        logging.getLogger().addHandler(handler)

    def _release_output(self) -> None:
        out, err = self._streams
        captures, handler = self._captures, self._log_handler
        self._streams = None
        logging.getLogger().removeHandler(handler)
        for capture in captures:
            capture.flush_pending()
        self.logs.captures[:] = []
        # Give the streams back unless someone replaced them in the meantime.
        if sys.stdout is captures[0]:
            sys.stdout = out
        if sys.stderr is captures[1]:
            sys.stderr = err

    def _deactivate(self) -> None:
        self._active = False
        self._release_output()
        _watchdog().unwatch(self)
        _ACTIVE.discard(self)
        gc.set_threshold(*self._gc_threshold)
        # The SIGALRM handler stays installed: it passes signals that are not the
        # guard's on to the handler it replaced, and reinstalling it per session
        # would cost more than the rest of the session together.
        self._alarm = False
        time.sleep = self._old_sleep
        self._traveller.stop()
        self._coords = None
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
        if self._direct:  # _move(), inlined: this runs once per attempt
            self._coords._destination_timestamp_ns = self._epoch_ns + round(t0 * 1e9)
        else:  # pragma: no cover - other time-machine versions
            self._move(t0)
        self._t0 = t0
        self._budget = budget
        self.slept = 0.0
        self._call_id += 1
        self._in_call = True
        returned = False
        try:
            result = handler(event, context)
            returned = True
            body = dumps(result)
        except _Hang:
            self._in_call = False
            self.hangs += 1
            return TIMEOUT, None, self.slept, True
        except _Deadline:
            self._in_call = False
            return TIMEOUT, None, self.slept, True
        except KeyboardInterrupt:
            self._in_call = False
            raise
        except SystemExit:
            self._in_call = False
            return ERROR, ErrorInfo(EXIT_ERROR, EXIT_MESSAGE), self.slept, True
        except (TypeError, ValueError, RecursionError, OverflowError) as exc:
            self._in_call = False
            if returned:
                message = f"Unable to marshal response: {exc}"
                info = ErrorInfo("Runtime.MarshalError", message)
            else:
                info = ErrorInfo.from_exception(exc)
            self.logs.add_error(t0 + self.slept, context, info)  # the runtime's [ERROR] line
            return ERROR, info, self.slept, False
        except BaseException as exc:
            self._in_call = False
            info = ErrorInfo.from_exception(exc)
            self.logs.add_error(t0 + self.slept, context, info)
            return ERROR, info, self.slept, False
        self._in_call = False
        if len(body) > MAX_RESPONSE_BYTES:  # json.dumps escapes to ASCII: chars == bytes
            message = (
                "Response payload size exceeded maximum allowed payload size "
                f"({MAX_RESPONSE_BYTES} bytes)."
            )
            return ERROR, ErrorInfo("Function.ResponseSizeTooLarge", message), self.slept, False
        return OK, body, self.slept, False

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
        self._move(t0)
        self._t0, self._budget, self.slept = t0, math.inf, 0.0
        self._call_id += 1
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
            info = ErrorInfo.from_exception(exc, skip=1, in_init=True)
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
            self._call_id,
            self._env_function,
            self._context,
        )
        self._in_call = False
        try:
            return method(*args)
        finally:
            self._t0, self._budget, self.slept, self._call_id, env, self._context = saved
            if env is not self._env_function:
                self._switch_env(env)
            self._in_call = True
            self._move(self._t0 + self.slept)

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
        self._move(self._t0 + self.slept)

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
        applied = self._applied_env
        environ = os.environ
        region = self._region
        for key in _SESSION_KEYS:
            if key not in applied:
                saved[key] = environ.get(key)
                applied[key] = region
            if environ.get(key) != region:
                environ[key] = region
        previous = self._env_function or {}
        for key in previous:
            if key not in env and key not in _SESSION_KEYS:
                _put(environ, key, saved[key])
                del applied[key]
        for key, value in env.items():
            if key not in saved:
                saved[key] = environ.get(key)
            if environ.get(key) != value:
                environ[key] = value
            applied[key] = value
        self._env_function = env

    def _restore_env(self) -> None:
        saved = self._saved_env
        environ = os.environ
        for key in self._applied_env:
            _put(environ, key, saved[key])
        self._applied_env = {}
        self._saved_env = {}
        self._env_function = None

    def now(self) -> float:
        """Virtual time as the running handler sees it."""
        return self._t0 + self.slept

    def _move(self, t: float) -> None:
        coords = self._coords
        if self._direct:
            # time-machine's move_to() parses its argument on every call; with
            # tick=False a traveller's instant is this one integer, so setting it
            # moves the clock for a fraction of the cost.
            coords._destination_timestamp_ns = self._epoch_ns + round(t * 1e9)
        else:  # pragma: no cover - other time-machine versions
            coords.move_to(self._clock.epoch_seconds + t)

    # -- patches and the guard ---------------------------------------------
    def _sleep(self, seconds: float) -> None:
        if not self._in_call or threading.get_ident() != self._thread_id:
            self._old_sleep(seconds)
            return
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        self.advance(seconds)

    def _check(self, now: float) -> None:
        # Runs in the watchdog thread.  The hot path only bumps _call_id; the
        # watchdog notes when it first saw each call, so no clock is read per call.
        if not self._in_call:
            return
        if self._seen_id != self._call_id:
            self._seen_id, self._seen_at = self._call_id, now
            return
        if now - self._seen_at < self.guard:
            return
        if self._fired_id == self._call_id and now - self._fired_at < self.guard:
            return
        self._fired_id, self._fired_at = self._call_id, now
        if self._alarm:
            signal.pthread_kill(self._thread_id, signal.SIGALRM)
        else:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self._thread_id), ctypes.py_object(_Hang)
            )

    def _on_signal(self) -> None:
        """Stop the running handler if this runtime's guard sent the signal."""
        in_guarded_call = self._in_call and self._fired_id == self._call_id
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
