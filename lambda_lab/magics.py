"""IPython magics over the public ``Lab`` API: ``%load_ext lambda_lab``.

- ``%%lambda NAME [options]``: the cell defines ``handler(event, context)``;
  it becomes the function ``NAME`` of the notebook's lab.
- ``%invoke NAME [options]``: invoke it, run the world, print the responses.
- ``%lab [reset] [--seed N]``: what the lab holds, or a fresh lab.
- ``%logs NAME [--filter PATTERN]``: the function's log lines.

The notebook's lab is the user's variable ``lab`` when it is a
:class:`~lambda_lab.Lab`; otherwise one is created on first use and put there.
Bad arguments raise IPython's ``UsageError`` (one line, no traceback); errors
of lambda_lab itself are shown as one line ``ErrorName: message``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import linecache
import shlex
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from IPython.display import display

from .config import DEFAULT_MEMORY_SIZE, DEFAULT_TIMEOUT, EventInvokeConfig, validate
from .errors import InvalidParameterValueException, LambdaLabError, ResourceNotFoundException
from .lab import DEFAULT_DURATION, INVOCATION_TYPES, Lab

__all__ = ["CellHandler", "LabMagicError", "LambdaLabMagics", "register", "unregister"]

#: The usage line of each magic, as UsageError messages and ``--help`` show it.
USAGE = {
    "lambda": (
        "%%lambda NAME [--timeout S] [--memory MB] [--duration S] [--reserved N] "
        "[--retries N] [--max-age S]"
    ),
    "invoke": (
        "%invoke NAME [--type RequestResponse|Event|DryRun] [--payload JSON] "
        "[--count N] [--until T]"
    ),
    "lab": "%lab [reset] [--seed N]",
    "logs": "%logs NAME [--filter PATTERN]",
}


class LabMagicError(Exception):
    """A lambda_lab error raised by a magic, shown as one line ``ErrorName: message``.

    The original exception is ``__cause__``.  IPython calls
    ``_render_traceback_`` instead of printing a traceback, so the notebook shows
    the error's own name and message only, and the cell still fails (so "Run
    All" stops there, as for any error).
    """

    def __init__(self, error: LambdaLabError, note: str = "") -> None:
        self.line = f"{type(error).__name__}: {_one_line(str(error))}{note}"
        super().__init__(self.line)

    def _render_traceback_(self) -> list[str]:
        return [self.line]


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _CellError(Exception):
    """The cell's own code failed: its traceback starts at the cell, not in the magic."""

    def __init__(self, error: Exception, filename: str, shell: Any) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.error, self.shell = error, shell
        tb = error.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != filename:
            tb = tb.tb_next  # the frames of this module and of exec() go
        self.tb = tb

    def _render_traceback_(self) -> list[str]:
        error, shell = self.error, self.shell
        formatter = shell.SyntaxTB if isinstance(error, SyntaxError) else shell.InteractiveTB
        return formatter.structured_traceback(type(error), error, self.tb)


class _HelpRequested(Exception):
    """``--help`` was given: argparse wants to exit after printing; we return instead."""


class _Parser(argparse.ArgumentParser):
    """argparse that never calls ``sys.exit``: errors become one-line UsageErrors.

    ``exit_on_error=False`` alone is not enough on Python 3.11: unknown and
    missing arguments still go through ``error()``, which exits.
    """

    def __init__(self, magic: str, description: str) -> None:
        super().__init__(
            prog=f"%{magic}",
            usage=USAGE[magic].replace("%", "%%"),  # argparse %-formats the usage
            description=description,
            exit_on_error=False,
            allow_abbrev=False,  # `--time` must not silently mean `--timeout`
        )
        self.magic = magic

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (usage: {USAGE[self.magic]})")

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        raise _HelpRequested

    def parse_line(self, line: str) -> argparse.Namespace | None:
        """The parsed line, or None when ``--help`` was shown."""
        try:
            words = _split(line)
        except ValueError as exc:  # an unclosed quote
            self.error(f"cannot split the arguments: {exc}")
        try:
            return self.parse_args(words)
        except _HelpRequested:
            return None
        except argparse.ArgumentError as exc:
            self.error(str(exc))
        return None  # pragma: no cover - error() raises


def _split(line: str) -> list[str]:
    """Words as a shell splits them, except that double quotes stay.

    JSON payloads and CloudWatch phrases are written with double quotes, which
    a POSIX split would remove: ``--payload {"a":1}`` and ``--filter "hi Ada"``
    keep them, and single quotes group words (``--payload '{"a": 1}'``).
    """
    words = shlex.split(line, posix=False)
    return [w[1:-1] if len(w) >= 2 and w[0] == w[-1] == "'" else w for w in words]


def _at_least(minimum: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum}, got {value}")
        return value

    parse.__name__ = "int"  # argparse names the type in "invalid int value"
    return parse


def _lambda_parser() -> _Parser:
    parser = _Parser("lambda", "Define (or update) function NAME from the cell's handler.")
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help="seconds (1-900)")
    parser.add_argument("--memory", type=int, default=DEFAULT_MEMORY_SIZE, help="MB")
    parser.add_argument(
        "--duration", type=float, default=DEFAULT_DURATION, help="simulated seconds per invoke"
    )
    parser.add_argument("--reserved", type=int, help="reserved concurrency")
    parser.add_argument("--retries", type=int, help="asynchronous retry attempts (0-2)")
    parser.add_argument("--max-age", type=int, help="maximum event age, seconds (60-21600)")
    return parser


def _invoke_parser() -> _Parser:
    parser = _Parser("invoke", "Invoke function NAME, run the world, print the responses.")
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("--type", choices=INVOCATION_TYPES, default="RequestResponse")
    parser.add_argument("--payload", help="the event, as JSON")
    parser.add_argument("--count", type=_at_least(1, "--count"), default=1)
    parser.add_argument("--until", type=float, help="then run the world until this time")
    return parser


def _lab_parser() -> _Parser:
    parser = _Parser("lab", "Show the lab; `reset` (or --seed) starts a fresh one.")
    parser.add_argument("action", nargs="?", choices=("reset",))
    parser.add_argument("--seed", type=int)
    return parser


def _logs_parser() -> _Parser:
    parser = _Parser("logs", "Print the function's CloudWatch log lines.")
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("--filter", help="CloudWatch filter pattern")
    return parser


class CellHandler:
    """What the lab calls for a ``%%lambda`` function: the cell's latest ``handler``.

    ``Lab`` has no public way to replace a function's handler (nor to delete a
    function), so the lab is given this object once and re-running the cell
    swaps the code inside it.  Its frames are in lambda_lab's own files, so the
    lab leaves them out of stack traces, which show the cell's lines only.
    ``settings`` are the cell's options the lab cannot change after creation
    (timeout, memory, duration); ``reserved`` and ``event_config`` say what the
    cell set, so a re-run without them removes only what the cell put there.
    """

    def __init__(self, name: str, settings: dict[str, Any]) -> None:
        self.name = name
        self.settings = settings
        self.handler: Callable[[Any, Any], Any] | None = None
        self.source = ""
        self.revision = 0
        self.reserved: int | None = None
        self.event_config = False

    def replace(self, handler: Callable[[Any, Any], Any], source: str) -> None:
        """Run ``handler`` from the next invocation on (warm environments included)."""
        self.handler, self.source = handler, source
        self.revision += 1
        # inspect.signature() follows __wrapped__: the lab then sees the cell's
        # handler, and so does help(); the names help a repr or a traceback.
        self.__wrapped__ = handler
        self.__name__ = getattr(handler, "__name__", "handler")
        self.__qualname__ = getattr(handler, "__qualname__", "handler")

    def __call__(self, event: Any, context: Any) -> Any:
        return self.handler(event, context)

    def __repr__(self) -> str:
        return f"<CellHandler {self.name} revision {self.revision}>"


def _compile_cell(shell: Any, name: str, revision: int, cell: str) -> Callable:
    """Run the cell in a fresh namespace and return its ``handler``."""
    # A filename per revision, registered in linecache as IPython does for its
    # cells: stack traces and log lines are read lazily, so an error of an
    # earlier revision must still find its own lines.  The name is the same on
    # every run of the notebook, so saved outputs do not change.
    filename = f"<%%lambda {name} #{revision}>"
    # mtime None: linecache.checkcache() keeps the entry (there is no file).
    linecache.cache[filename] = (len(cell), None, cell.splitlines(keepends=True), filename)
    # The notebook's names are a starting point only: the cell's own
    # definitions stay in its namespace, and `handler` must be the cell's.
    namespace = dict(shell.user_ns)
    namespace.pop("handler", None)
    try:
        exec(compile(cell, filename, "exec", dont_inherit=True), namespace)
    except Exception as exc:
        raise _CellError(exc, filename, shell) from exc
    handler = namespace.get("handler")
    if handler is None:
        raise UsageError(f"the cell must define handler(event, context) (usage: {USAGE['lambda']})")
    # The lab's own checks, made here because a re-run never reaches
    # create_function; messages without a repr, so no memory address appears.
    if not callable(handler):
        raise LabMagicError(
            InvalidParameterValueException(
                f"handler must be a callable taking (event, context), got {type(handler).__name__}"
            )
        )
    try:
        signature = inspect.signature(handler)
        signature.bind(None, None)
    except TypeError:
        raise LabMagicError(
            InvalidParameterValueException(
                f"handler must accept two arguments (event, context), got handler{signature}"
            )
        ) from None
    except ValueError:  # no signature to read (some builtins): let the lab call it
        pass
    return handler


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


@magics_class
class LambdaLabMagics(Magics):
    """``%%lambda``, ``%invoke``, ``%lab`` and ``%logs``: the notebook's lab, by magic."""

    def __init__(self, shell: Any = None) -> None:
        super().__init__(shell)
        self._lab: Lab | None = None
        self._parsers = {
            "lambda": _lambda_parser(),
            "invoke": _invoke_parser(),
            "lab": _lab_parser(),
            "logs": _logs_parser(),
        }

    # -- the notebook's lab -----------------------------------------------------------
    @property
    def lab(self) -> Lab:
        """The user's ``lab`` if it is a Lab; else ours, created on first use."""
        user_ns = self.shell.user_ns
        current = user_ns.get("lab")
        if isinstance(current, Lab):
            self._lab = current
            return current
        if self._lab is None:
            self._lab = Lab()
        if "lab" not in user_ns:  # never overwrite a user's own `lab` of another type
            user_ns["lab"] = self._lab
        return self._lab

    def _fresh_lab(self, seed: int | None) -> Lab:
        # Same settings as the lab it replaces (seed included, unless given).
        settings = self.lab.config.model_dump()
        if seed is not None:
            settings["seed"] = seed
        try:
            lab = Lab(**settings)
        except LambdaLabError as exc:
            raise LabMagicError(exc) from exc
        self._lab = lab
        user_ns = self.shell.user_ns
        if "lab" not in user_ns or isinstance(user_ns["lab"], Lab):
            user_ns["lab"] = lab
        return lab

    def _parse(self, magic: str, line: str) -> argparse.Namespace | None:
        parser = self._parsers[magic]
        return parser.parse_line(line)  # None after --help (argparse printed it)

    # -- %%lambda ------------------------------------------------------------------
    @cell_magic("lambda")
    def lambda_cell(self, line: str, cell: str) -> None:
        """Define function NAME from the cell: the cell must define ``handler(event, context)``.

        Usage: ``%%lambda NAME [--timeout S] [--memory MB] [--duration S]
        [--reserved N] [--retries N] [--max-age S]``.  Re-running the cell
        replaces the code (from the next invocation on); ``--reserved``,
        ``--retries`` and ``--max-age`` may change too, while timeout, memory
        and duration are fixed once the function exists (the lab has no public
        way to change them: use a new name, or ``%lab reset``).
        """
        args = self._parse("lambda", line)
        if args is None:
            return
        try:
            self._define(args, cell)
        except LambdaLabError as exc:
            raise LabMagicError(exc) from exc

    def _define(self, args: argparse.Namespace, cell: str) -> None:
        lab = self.lab
        name = args.name
        settings = {"timeout": args.timeout, "memory": args.memory, "duration": args.duration}
        wants_config = args.retries is not None or args.max_age is not None
        if wants_config:  # checked before anything changes, with the lab's own message
            validate(
                EventInvokeConfig,
                maximum_retry_attempts=args.retries,
                maximum_event_age_in_seconds=args.max_age,
            )
        existing = lab.functions.get(name)
        if existing is None or not isinstance(existing.handler, CellHandler):
            # A new function; or one made by lab.create_function(), which the lab
            # then refuses with its own ResourceConflictException.
            holder = CellHandler(name, settings)
            holder.replace(_compile_cell(self.shell, name, 1, cell), cell)
            lab.create_function(
                name,
                holder,
                timeout=args.timeout,
                memory_size=args.memory,
                duration=args.duration,
                reserved_concurrency=args.reserved,
            )
            holder.reserved = args.reserved
            if wants_config:
                lab.put_function_event_invoke_config(
                    name,
                    maximum_retry_attempts=args.retries,
                    maximum_event_age_in_seconds=args.max_age,
                )
                holder.event_config = True
            print(f"{name}: created (timeout {args.timeout} s, memory {args.memory} MB)")
            return
        holder = existing.handler
        changed = [
            f"--{key} {value:g} (it has {holder.settings[key]:g})"
            for key, value in settings.items()
            if value != holder.settings[key]
        ]
        if changed:
            raise UsageError(
                f"{name} exists and lambda_lab has no public way to change its timeout, "
                f"memory or duration: {', '.join(changed)}; use a new name or %lab reset "
                f"(usage: {USAGE['lambda']})"
            )
        handler = _compile_cell(self.shell, name, holder.revision + 1, cell)
        # put_function_concurrency checks before it changes anything, the event
        # config was validated above, and the code is swapped last: a refused
        # option leaves the function as it was.
        if args.reserved is not None:
            lab.put_function_concurrency(name, args.reserved)
        elif holder.reserved is not None:
            lab.delete_function_concurrency(name)
        holder.reserved = args.reserved
        self._apply_event_config(lab, holder, args)
        holder.replace(handler, cell)
        print(f"{name}: code updated (revision {holder.revision})")

    @staticmethod
    def _apply_event_config(lab: Lab, holder: CellHandler, args: argparse.Namespace) -> None:
        name = holder.name
        try:
            current = lab.get_function_event_invoke_config(name)
        except ResourceNotFoundException:
            current = None
        if args.retries is not None or args.max_age is not None:
            if current is None:
                lab.put_function_event_invoke_config(
                    name,
                    maximum_retry_attempts=args.retries,
                    maximum_event_age_in_seconds=args.max_age,
                )
            else:  # update keeps destinations set elsewhere (put would remove them)
                lab.update_function_event_invoke_config(
                    name,
                    maximum_retry_attempts=args.retries,
                    maximum_event_age_in_seconds=args.max_age,
                )
            holder.event_config = True
        elif holder.event_config and current is not None:
            # The cell no longer sets them: back to AWS's defaults.
            if current.get("DestinationConfig"):
                lab.update_function_event_invoke_config(
                    name, maximum_retry_attempts=None, maximum_event_age_in_seconds=None
                )
            else:
                lab.delete_function_event_invoke_config(name)
            holder.event_config = False

    # -- %invoke ------------------------------------------------------------------
    @no_var_expand  # a JSON payload's braces are not Python expressions to expand
    @line_magic("invoke")
    def invoke_line(self, line: str) -> None:
        """Invoke function NAME, run the world, print each response, show the flow.

        Usage: ``%invoke NAME [--type RequestResponse|Event|DryRun]
        [--payload JSON] [--count N] [--until T]``.  ``RequestResponse`` runs
        the world until each response exists; ``Event`` then settles (every
        event reaches its outcome, retries included); ``--until T`` instead runs
        the world until virtual time T.
        """
        args = self._parse("invoke", line)
        if args is None:
            return
        payload = None
        if args.payload is not None:
            try:
                payload = json.loads(args.payload)
            except ValueError as exc:
                raise UsageError(
                    f"--payload is not JSON: {exc} (usage: {USAGE['invoke']})"
                ) from None
        lab = self.lab
        if args.until is not None and args.until < lab.now:
            raise UsageError(
                f"--until {args.until:g} is before the lab's time {lab.now:g} s "
                f"(usage: {USAGE['invoke']})"
            )
        try:
            request_id = self._invoke(lab, args, payload)
        except LambdaLabError as exc:
            raise LabMagicError(exc) from exc
        if request_id:
            self._show_flow(lab, request_id)

    def _invoke(self, lab: Lab, args: argparse.Namespace, payload: Any) -> str:
        responses = []
        for number in range(1, args.count + 1):
            try:
                response = lab.invoke(args.name, payload, invocation_type=args.type)
            except LambdaLabError as exc:
                # What was answered before the refusal is still worth seeing.
                for done in responses:
                    print(self._response_line(lab, done))
                note = f" (request {number} of {args.count})" if args.count > 1 else ""
                raise LabMagicError(exc, note) from exc
            responses.append((number, response))
        if args.until is not None:
            if args.until >= lab.now:  # synchronous calls may have run past it already
                lab.run(until=args.until)
        elif args.type == "Event":
            lab.settle()
        for done in responses:
            print(self._response_line(lab, done))
        print(f"t = {lab.now:g} s")
        return responses[-1][1].request_id

    @staticmethod
    def _response_line(lab: Lab, numbered: tuple[int, Any]) -> str:
        number, r = numbered
        head = f"[{number}] {r.status_code}"
        if r.status_code == 204:
            return f"{head} DryRun: the request would be accepted"
        if r.function_error:
            head += f" FunctionError={r.function_error}"
        head += f" request {r.request_id}"
        if r.status_code == 202:
            outcome = lab.trace.filter(kind=("succeeded", "dropped"), request_id=r.request_id)
            if not outcome:
                return f"{head}: no outcome yet"
            final = outcome[-1]
            reason = f" ({final['reason']})" if final["kind"] == "dropped" else ""
            attempts = final["approximate_invoke_count"]
            return (
                f"{head}: {final['kind']}{reason} after {attempts} "
                f"attempt{'s' if attempts != 1 else ''}, t={final['t']:g} s"
            )
        cold = ", cold start" if r.cold_start else ""
        return f"{head}{cold}, t={r.start:g}-{r.end:g} s: {_json(r.payload)}"

    @staticmethod
    def _show_flow(lab: Lab, request_id: str) -> None:
        # Imported here, not at the top: loading the extension stays cheap, and
        # the widgets (anywidget, ipywidgets) load only when a picture is shown.
        from .widgets import FlowDiagram

        display(FlowDiagram(lab, request_id=request_id))

    # -- %lab ------------------------------------------------------------------------
    @line_magic("lab")
    def lab_line(self, line: str) -> None:
        """Show the lab: functions, resources, mappings and the trace, as plain text.

        Usage: ``%lab [reset] [--seed N]``.  ``reset`` starts a fresh lab with
        the same settings (``--seed N`` a fresh lab with seed N) and puts it in
        the variable ``lab``.
        """
        args = self._parse("lab", line)
        if args is None:
            return
        lab = self._fresh_lab(args.seed) if args.action or args.seed is not None else self.lab
        print(self.describe(lab))

    @staticmethod
    def describe(lab: Lab) -> str:
        """The text ``%lab`` prints: no wall-clock times, no memory addresses."""
        lines = [f"Lab seed={lab.config.seed}, t={lab.now:g} s"]
        functions = lab.functions
        lines.append(f"functions ({len(functions)}):")
        for name, fn in functions.items():
            reserved = lab.get_function_concurrency(name).get("ReservedConcurrentExecutions")
            parts = [
                f"timeout={fn.timeout}s",
                f"memory={fn.memory_size}MB",
                f"reserved={'-' if reserved is None else reserved}",
            ]
            try:
                config = lab.get_function_event_invoke_config(name)
            except ResourceNotFoundException:
                config = {}
            if "MaximumRetryAttempts" in config:
                parts.append(f"retries={config['MaximumRetryAttempts']}")
            if "MaximumEventAgeInSeconds" in config:
                parts.append(f"max-age={config['MaximumEventAgeInSeconds']}s")
            lines.append(f"  {name}  {' '.join(parts)}")
        resources = lab.resources
        others = [r for r in resources.values() if r not in functions.values()]
        lines.append(f"resources ({len(others)}):")
        lines.extend(
            f"  {getattr(r, 'kind', type(r).__name__)}  {getattr(r, 'name', '?')}" for r in others
        )

        def name_of(arn: str) -> str:
            return getattr(resources.get(arn), "name", arn)

        mappings = lab.list_event_source_mappings()["EventSourceMappings"]
        lines.append(f"event source mappings ({len(mappings)}):")
        lines.extend(
            f"  {m['UUID']}  {name_of(m['EventSourceArn'])} -> {name_of(m['FunctionArn'])}"
            f"  {m['State']}  batch={m['BatchSize']}"
            for m in mappings
        )
        kinds = lab.trace.kinds()
        counts = ", ".join(f"{kind}={count}" for kind, count in kinds.items())
        lines.append(f"trace ({len(lab.trace)} records){': ' + counts if counts else ''}")
        return "\n".join(lines)

    # -- %logs ------------------------------------------------------------------------
    @no_var_expand  # filter patterns quote phrases with "...": keep them as typed
    @line_magic("logs")
    def logs_line(self, line: str) -> None:
        """Print the function's log lines (each event's ``message``), in time order.

        Usage: ``%logs NAME [--filter PATTERN]`` (CloudWatch's terms, all of
        which must appear; ``'"a phrase"'`` for a phrase).
        """
        args = self._parse("logs", line)
        if args is None:
            return
        try:
            events = self.lab.logs(args.name, filter_pattern=args.filter)
        except LambdaLabError as exc:
            raise LabMagicError(exc) from exc
        for event in events:
            print(event["message"])


def register(ipython: Any) -> LambdaLabMagics:
    """Register the magics with ``ipython``; returns the instance registered."""
    magics = LambdaLabMagics(ipython)
    ipython.register_magics(magics)
    return magics


def unregister(ipython: Any) -> None:
    """Remove the magics ``register`` added (IPython has no public call for it)."""
    manager = ipython.magics_manager
    instance = manager.registry.get(LambdaLabMagics.__name__)
    if instance is None:
        return
    for kind, names in instance.magics.items():
        table = manager.magics[kind]
        for name in names:
            # Only our own entries: another extension may have taken a name since.
            if getattr(table.get(name), "__self__", None) is instance:
                del table[name]
    del manager.registry[LambdaLabMagics.__name__]
