"""Labs: ready composites for a lesson — knobs, a flow, a timeline and key numbers.

A lab runs a *scenario* (a fresh :class:`~lambda_lab.Lab`, a handler, a
workload) with the values of its knobs, and draws what happened.  Turning a
knob reruns the scenario and redraws; a combination AWS would refuse shows
AWS's error in the lab instead of a traceback, and the pictures keep the
last good run.  A course author replaces the handler (``handler=``, called
as ``handler(event, context)``) or the workload (``workload=``, called as
``workload(lab, function_name)`` to send the events) and keeps the rest.

Every lab also answers :meth:`ScenarioLab.key_numbers` with the figures its
pictures show, so a notebook can print them and nbval can check them.
Randomness (which attempts fail) comes from a generator seeded with the
lab's ``seed``: the same knobs give the same trace.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from html import escape
from typing import Any, ClassVar

import ipywidgets

from ..config import (
    EventInvokeConfig,
    EventSourceMappingSettings,
    FunctionConfigurationSettings,
    FunctionSettings,
    QueueSettings,
    RedrivePolicy,
    ScenarioSettings,
)
from ..errors import LambdaLabError
from ..lab import Lab
from ..sim.callers.traffic import Constant
from .knobs import knob
from .svg import stack_svg
from .views import FlowDiagram, MetricsChart, Timeline, TraceView

__all__ = ["AsyncLab", "IdempotencyLab", "QueueLab", "ScenarioLab", "StreamLab", "SyncLab"]

#: One knob: (its name in the lab, the model, the model's field, label, options for knob()).
KnobSpec = tuple[str, type, str, str, dict[str, Any]]


class ScenarioLab(ipywidgets.VBox):
    """Knobs, views and key numbers around one scenario (see the module docstring)."""

    title: ClassVar[str] = "Lab"
    knob_specs: ClassVar[list[KnobSpec]] = []

    def __init__(
        self,
        *,
        handler: Callable[[Any, Any], Any] | None = None,
        workload: Callable[[Lab, str], Any] | None = None,
        seed: int = 1,
        **values: Any,
    ) -> None:
        names = [spec[0] for spec in self.knob_specs]
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ValueError(f"{type(self).__name__} has no knob {unknown[0]!r} (knobs: {names})")
        self.seed = seed
        self.handler = handler
        self.workload = workload
        self.knobs: dict[str, ipywidgets.Widget] = {
            name: knob(model, field, description=label, value=values.get(name, options.get(
                "value")), **{k: v for k, v in options.items() if k != "value"})
            for name, model, field, label, options in self.knob_specs
        }  # fmt: skip
        #: The message of the last refused run, or None.
        self.last_error: str | None = None
        self.error = ipywidgets.HTML()
        self.lab = self.scenario(**self.values())
        self.views = self.make_views(self.lab)
        self.numbers = ipywidgets.HTML(self._numbers_html())
        controls = ipywidgets.Box(
            list(self.knobs.values()),
            layout=ipywidgets.Layout(flex_flow="row wrap"),
        )
        super().__init__(
            [ipywidgets.HTML(f"<b>{escape(self.title)}</b>"), controls, self.error,
             *self.views, self.numbers]
        )  # fmt: skip
        self.add_class("ll-lab")  # how a page (and the browser tests) finds a lab
        for widget in self.knobs.values():
            widget.observe(self._changed, names="value")

    # -- what a lab defines ---------------------------------------------------------
    def scenario(self, **values: Any) -> Lab:  # pragma: no cover - every lab defines it
        """A fresh Lab, run with the knobs' ``values``."""
        raise NotImplementedError

    def make_views(self, lab: Lab) -> list[TraceView]:
        """The views of a run: a flow and a timeline unless a lab says otherwise."""
        return [FlowDiagram(lab), Timeline(lab)]

    def key_numbers(self) -> dict[str, Any]:  # pragma: no cover - every lab defines it
        """The figures the pictures show, for printing."""
        raise NotImplementedError

    # -- running --------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """Every knob's current value, by knob name."""
        return {name: widget.value for name, widget in self.knobs.items()}

    def set(self, **values: Any) -> ScenarioLab:
        """Turn knobs (each turn reruns, as in the browser)."""
        for name, value in values.items():
            if name not in self.knobs:
                raise ValueError(f"{type(self).__name__} has no knob {name!r}")
            self.knobs[name].value = value
        return self

    def _changed(self, change: dict[str, Any]) -> None:
        self.rerun()

    def rerun(self) -> None:
        """Run the scenario with the knobs' values; on a refusal show AWS's words."""
        try:
            lab = self.scenario(**self.values())
        except LambdaLabError as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.error.value = (
                f'<div class="ll-refused" role="alert" style="color:#D55E00">'
                f"<b>{escape(type(exc).__name__)}</b>: {escape(str(exc))}</div>"
            )
            return
        self.last_error = None
        self.error.value = ""
        self.lab = lab
        self.refresh_views(lab)
        self.numbers.value = self._numbers_html()

    def refresh_views(self, lab: Lab) -> None:
        """Redraw every view from a new run."""
        for view in self.views:
            view.refresh(lab)

    def _rng(self) -> random.Random:
        return random.Random(self.seed)

    # -- showing --------------------------------------------------------------------
    def _numbers_html(self) -> str:
        rows = "".join(
            f"<tr><td>{escape(str(k))}</td><td style='text-align:right'>{escape(str(v))}</td></tr>"
            for k, v in self.key_numbers().items()
        )
        return f'<table class="ll-numbers" aria-label="key numbers">{rows}</table>'

    def to_svg(self) -> str:
        """The static picture: every view's scene, then the key numbers."""
        numbers = {
            "view": "numbers", "width": 760, "height": 0, "title": "Key numbers", "note": "",
            "marks": [], "summary": [[k, v] for k, v in self.key_numbers().items()],
        }  # fmt: skip
        return stack_svg([view.scene for view in self.views] + [numbers], self.title)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle or {}, {})
        return {**data, "text/plain": repr(self), "image/svg+xml": self.to_svg()}, metadata

    def __repr__(self) -> str:
        knobs = ", ".join(f"{k}={v!r}" for k, v in self.values().items())
        numbers = ", ".join(f"{k} {v}" for k, v in self.key_numbers().items())
        return f"<{type(self).__name__} {knobs}: {numbers}>"


def _flaky(
    rng: random.Random, rate: float, error: Exception, answer: Callable[[Any], Any]
) -> Callable[[Any, Any], Any]:
    """A handler that raises ``error`` with probability ``rate``, else answers."""

    def handler(event: Any, context: Any) -> Any:
        if rng.random() < rate:
            raise type(error)(*error.args)  # a fresh exception: each has its own traceback
        return answer(event)

    return handler


def _count(lab: Lab, kind: str, **fields: Any) -> int:
    return len(lab.trace.filter(kind, **fields))


# -- synchronous -----------------------------------------------------------------------
class SyncLab(ScenarioLab):
    """RequestResponse: the caller waits; errors come back to it, throttles are 429s."""

    title = "Synchronous invocation"
    knob_specs: ClassVar[list[KnobSpec]] = [
        ("timeout", FunctionSettings, "timeout", "timeout (s)", {"value": 3}),
        ("reserved_concurrency", FunctionSettings, "reserved_concurrency",
         "reserved concurrency", {"value": 2, "high": 20}),
        ("duration", ScenarioSettings, "duration", "duration (s)", {"value": 1.0, "step": 0.1}),
        ("failure_rate", ScenarioSettings, "failure_rate", "failure rate", {"value": 0.2}),
        ("requests", ScenarioSettings, "requests", "requests", {"value": 12, "high": 1000}),
    ]  # fmt: skip

    def scenario(self, **values: Any) -> Lab:
        lab = Lab(seed=self.seed, echo_logs=False)
        handler = _flaky(
            self._rng(), values["failure_rate"], RuntimeError("the downstream service failed"),
            lambda event: {"statusCode": 200, "body": "ok"},
        )  # fmt: skip

        lab.create_function(
            "api", self.handler or handler, timeout=values["timeout"],
            duration=values["duration"], reserved_concurrency=values["reserved_concurrency"],
        )  # fmt: skip
        if self.workload is not None:
            self.workload(lab, "api")
        else:
            # A caller every 250 ms, each waiting for its answer.
            lab.add_traffic("api", Constant(4), {"path": "/orders"}, count=values["requests"])
        lab.run()
        return lab

    def key_numbers(self) -> dict[str, Any]:
        lab = self.lab
        responses = lab.trace.filter("response")
        return {
            "requests": len(responses) + _count(lab, "throttle"),
            "succeeded": sum(1 for r in responses if r["function_error"] is None),
            "function errors": _count(lab, "attempt_ended", status="error"),
            "timeouts": _count(lab, "attempt_ended", status="timeout"),
            "throttled (429)": _count(lab, "throttle"),
            "cold starts": _count(lab, "env_created"),
        }


# -- asynchronous ----------------------------------------------------------------------
class AsyncLab(ScenarioLab):
    """Event: 202 at once, then Lambda's queue, retries, the maximum age and duplicates."""

    title = "Asynchronous invocation"
    knob_specs: ClassVar[list[KnobSpec]] = [
        ("maximum_retry_attempts", EventInvokeConfig, "maximum_retry_attempts", "retries",
         {"value": 2}),
        ("maximum_event_age_in_seconds", EventInvokeConfig, "maximum_event_age_in_seconds",
         "maximum event age (s)", {"value": 21600, "step": 60}),
        ("failure_rate", ScenarioSettings, "failure_rate", "failure rate", {"value": 0.5}),
        ("duplicate_delivery_probability", FunctionConfigurationSettings,
         "duplicate_delivery_probability", "duplicate probability", {"value": 0.0, "high": 1}),
        ("requests", ScenarioSettings, "requests", "events", {"value": 4}),
    ]  # fmt: skip

    def scenario(self, **values: Any) -> Lab:
        lab = Lab(seed=self.seed, echo_logs=False)
        handler = _flaky(
            self._rng(), values["failure_rate"], ConnectionError("payment API unavailable"),
            lambda event: {"order": event.get("order"), "status": "paid"},
        )  # fmt: skip

        failures = lab.create_queue("failed-events")
        lab.create_function("worker", self.handler or handler)
        lab.put_function_event_invoke_config(
            "worker",
            maximum_retry_attempts=values["maximum_retry_attempts"],
            maximum_event_age_in_seconds=values["maximum_event_age_in_seconds"],
            destination_config={"on_failure": failures},
        )
        lab.update_function_configuration(
            "worker", duplicate_delivery_probability=values["duplicate_delivery_probability"]
        )
        if self.workload is not None:
            self.workload(lab, "worker")
        else:
            for n in range(values["requests"]):
                lab.invoke("worker", {"order": n}, invocation_type="Event")
        lab.settle()
        return lab

    def key_numbers(self) -> dict[str, Any]:
        lab = self.lab
        return {
            "events": _count(lab, "accepted"),
            "attempts": _count(lab, "attempt_started"),
            "retries": _count(lab, "retry_scheduled"),
            "duplicates": _count(lab, "duplicate"),
            "succeeded": _count(lab, "succeeded"),
            "dropped": _count(lab, "dropped"),
            "on-failure records": _count(lab, "destination"),
        }


# -- idempotency -----------------------------------------------------------------------
class IdempotencyLab(ScenarioLab):
    """A $20 account and a $10 credit: "add 10" against "set to 30", retried and duplicated.

    The handler writes the balance, then fails with the failure rate (the
    write happened, the answer was lost), so a retry writes again.  With
    ``idempotent`` off it adds 10 each time; on, it sets the balance to 30,
    which any number of runs leaves right.
    """

    title = "Idempotency: a $20 account and a $10 credit"
    knob_specs: ClassVar[list[KnobSpec]] = [
        ("idempotent", ScenarioSettings, "idempotent", 'idempotent ("set to 30")',
         {"value": False}),
        ("maximum_retry_attempts", EventInvokeConfig, "maximum_retry_attempts", "retries",
         {"value": 2}),
        ("failure_rate", ScenarioSettings, "failure_rate", "failure after the write",
         {"value": 0.5}),
        ("duplicate_delivery_probability", FunctionConfigurationSettings,
         "duplicate_delivery_probability", "duplicate probability", {"value": 0.0, "high": 1}),
    ]  # fmt: skip

    START, CREDIT = 20, 10

    def scenario(self, **values: Any) -> Lab:
        lab = Lab(seed=self.seed, echo_logs=False)
        rng = self._rng()
        rate = values["failure_rate"]
        self._balances: list[int] = []
        account = {"balance": self.START}

        def credit(event: Any, context: Any) -> Any:
            if values["idempotent"]:
                account["balance"] = event["set_to"]  # the same result however often it runs
            else:
                account["balance"] += event["credit"]
            self._balances.append(account["balance"])
            if rng.random() < rate:
                raise TimeoutError("the ledger wrote the balance, but its answer was lost")
            return {"balance": account["balance"]}

        lab.create_function("credit", self.handler or credit)
        lab.put_function_event_invoke_config(
            "credit", maximum_retry_attempts=values["maximum_retry_attempts"]
        )
        lab.update_function_configuration(
            "credit", duplicate_delivery_probability=values["duplicate_delivery_probability"]
        )
        event = {"account": "acct-1", "credit": self.CREDIT, "set_to": self.START + self.CREDIT}
        if self.workload is not None:
            self.workload(lab, "credit")
        else:
            lab.invoke("credit", event, invocation_type="Event")
        lab.settle()
        self._final = account["balance"]
        return lab

    def make_views(self, lab: Lab) -> list[TraceView]:
        balance = MetricsChart(lab, series=(), extra=self._balance_series(lab))
        return [FlowDiagram(lab), Timeline(lab), balance]

    def _balance_series(self, lab: Lab) -> dict[str, list[tuple[float, float]]]:
        ends = lab.trace.filter("attempt_ended")
        points = [(0.0, float(self.START))]
        points += [(end["t"], float(b)) for end, b in zip(ends, self._balances, strict=False)]
        return {"balance ($)": points, "expected ($)": [(0.0, 30.0), (lab.now, 30.0)]}

    def refresh_views(self, lab: Lab) -> None:
        flow, timeline, chart = self.views
        flow.refresh(lab)
        timeline.refresh(lab)
        chart.refresh(lab, extra=self._balance_series(lab))

    def key_numbers(self) -> dict[str, Any]:
        lab = self.lab
        return {
            "handler": "set to 30" if self.knobs["idempotent"].value else "add 10",
            "expected balance": self.START + self.CREDIT,
            "actual balance": self._final,
            "handler runs": _count(lab, "attempt_started"),
            "duplicates": _count(lab, "duplicate"),
        }


# -- event source mappings -------------------------------------------------------------
def _failing_records(rng: random.Random, rate: float, ids: list[str]) -> list[str]:
    return [i for i in ids if rng.random() < rate]


class QueueLab(ScenarioLab):
    """An SQS queue drained by a mapping: batches, visibility timeout, partial responses, DLQ."""

    title = "SQS event source mapping"
    knob_specs: ClassVar[list[KnobSpec]] = [
        ("batch_size", EventSourceMappingSettings, "batch_size", "batch size", {"value": 10}),
        ("maximum_batching_window_in_seconds", EventSourceMappingSettings,
         "maximum_batching_window_in_seconds", "batching window (s)", {"value": 0}),
        ("visibility_timeout", QueueSettings, "visibility_timeout", "visibility timeout (s)",
         {"value": 30}),
        ("max_receive_count", RedrivePolicy, "max_receive_count", "max receive count",
         {"value": 3}),
        ("partial_batch_response", ScenarioSettings, "partial_batch_response",
         "partial batch responses", {"value": False}),
        ("failure_rate", ScenarioSettings, "failure_rate", "failure rate per message",
         {"value": 0.1}),
        ("duration_per_record", ScenarioSettings, "duration_per_record",
         "duration per message (s)", {"value": 0.05, "step": 0.01}),
        ("timeout", FunctionSettings, "timeout", "function timeout (s)", {"value": 10}),
        ("requests", ScenarioSettings, "requests", "messages", {"value": 30}),
    ]  # fmt: skip

    def scenario(self, **values: Any) -> Lab:
        lab = Lab(seed=self.seed, echo_logs=False)
        rng = self._rng()
        partial = values["partial_batch_response"]
        rate = values["failure_rate"]

        def handler(event: Any, context: Any) -> Any:
            ids = [r["messageId"] for r in event["Records"]]
            failed = _failing_records(rng, rate, ids)
            if partial:
                return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}
            if failed:
                raise ValueError(f"{len(failed)} message(s) could not be processed")
            return None

        dlq = lab.create_queue("orders-dlq")
        queue = lab.create_queue(
            "orders", visibility_timeout=values["visibility_timeout"],
            redrive_policy={"deadLetterTargetArn": dlq.arn,
                            "maxReceiveCount": values["max_receive_count"]},
        )  # fmt: skip
        per_record = values["duration_per_record"]
        lab.create_function(
            "orders", self.handler or handler, timeout=values["timeout"],
            duration=lambda event: 0.05 + per_record * len(event["Records"]),
        )  # fmt: skip
        self.mapping = lab.create_event_source_mapping(
            event_source_arn=queue, function_name="orders", batch_size=values["batch_size"],
            maximum_batching_window_in_seconds=values["maximum_batching_window_in_seconds"],
            function_response_types=["ReportBatchItemFailures"] if partial else None,
        )["UUID"]  # fmt: skip
        if self.workload is not None:
            self.workload(lab, "orders")
        else:
            for n in range(values["requests"]):
                queue.send_message(json.dumps({"order": n}))
        lab.run()
        self._dlq = dlq
        return lab

    def make_views(self, lab: Lab) -> list[TraceView]:
        return [FlowDiagram(lab), Timeline(lab)]

    def key_numbers(self) -> dict[str, Any]:
        lab = self.lab
        deleted = sum(
            len(r["message_ids"]) for r in lab.trace.filter("messages_deleted", reason="processed")
        )
        return {
            "messages": self.values()["requests"] if self.workload is None else "custom",
            "batches": _count(lab, "batch"),
            "failed batches": _count(lab, "batch_failed"),
            "deleted after success": deleted,
            "redriven to the DLQ": _count(lab, "message_redriven"),
            "visibility expiries": _count(lab, "visibility_expired"),
        }


class StreamLab(ScenarioLab):
    """A Kinesis stream read by a mapping: order per shard, a poison record, bisecting."""

    title = "Kinesis event source mapping"
    knob_specs: ClassVar[list[KnobSpec]] = [
        ("batch_size", EventSourceMappingSettings, "batch_size", "batch size", {"value": 10}),
        ("parallelization_factor", EventSourceMappingSettings, "parallelization_factor",
         "parallelization factor", {"value": 1}),
        ("bisect_batch_on_function_error", EventSourceMappingSettings,
         "bisect_batch_on_function_error", "bisect on error", {"value": False}),
        ("maximum_retry_attempts", EventSourceMappingSettings, "maximum_retry_attempts",
         "retries", {"value": 2}),
        ("poison_record", ScenarioSettings, "poison_record", "a poison record", {"value": True}),
        ("duration_per_record", ScenarioSettings, "duration_per_record",
         "duration per record (s)", {"value": 0.01, "step": 0.01}),
        ("requests", ScenarioSettings, "requests", "records", {"value": 30}),
    ]  # fmt: skip

    POISON = 7

    def scenario(self, **values: Any) -> Lab:
        lab = Lab(seed=self.seed, echo_logs=False)
        poison = values["poison_record"]

        def handler(event: Any, context: Any) -> Any:
            for record in event["Records"]:
                body = json.loads(base64.b64decode(record["kinesis"]["data"]))
                if poison and body["n"] == self.POISON:
                    raise ValueError(f"record {self.POISON} cannot be parsed")
            return None

        stream = lab.create_stream("clicks")
        failures = lab.create_queue("click-failures")
        per_record = values["duration_per_record"]
        lab.create_function(
            "clicks", self.handler or handler,
            duration=lambda event: 0.05 + per_record * len(event["Records"]),
        )  # fmt: skip
        self.mapping = lab.create_event_source_mapping(
            event_source_arn=stream, function_name="clicks", starting_position="TRIM_HORIZON",
            batch_size=values["batch_size"],
            parallelization_factor=values["parallelization_factor"],
            bisect_batch_on_function_error=values["bisect_batch_on_function_error"],
            maximum_retry_attempts=values["maximum_retry_attempts"],
            destination_config={"OnFailure": {"Destination": failures.arn}},
        )["UUID"]  # fmt: skip
        if self.workload is not None:
            self.workload(lab, "clicks")
        else:
            for n in range(values["requests"]):
                stream.put_record(json.dumps({"n": n}), partition_key=f"user-{n % 4}")
        lab.run()
        return lab

    def make_views(self, lab: Lab) -> list[TraceView]:
        return [FlowDiagram(lab), Timeline(lab), MetricsChart(lab, series=("iterator_age",))]

    def key_numbers(self) -> dict[str, Any]:
        lab = self.lab
        batches = lab.trace.filter("batch")
        return {
            "batches": len(batches),
            "failed batches": _count(lab, "batch_failed"),
            "bisects": _count(lab, "batch_bisected"),
            "records given up": sum(r["size"] for r in lab.trace.filter("stream_batch_discarded")),
            "max iterator age (s)": round(max((b["iterator_age"] for b in batches), default=0), 3),
        }
