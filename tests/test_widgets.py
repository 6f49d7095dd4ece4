"""Views, scenes and labs on the Python side: scenes derived from traces, golden SVGs,
knob ranges equal to the models', deterministic reprs, and labs that rerun.

GIVEN / WHEN / THEN scenarios.  The golden pictures live in ``tests/golden/``;
``LAMBDA_LAB_UPDATE_GOLDEN=1 pytest tests/test_widgets.py`` rewrites them
(look at the diff before committing one).
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Annotated

import nbformat
import pytest
from IPython.core.formatters import format_display_data
from pydantic import TypeAdapter

import lambda_lab as ll
from lambda_lab.config import ScenarioSettings
from lambda_lab.widgets import (
    AsyncLab,
    FlowDiagram,
    IdempotencyLab,
    LogView,
    MetricsChart,
    QueueLab,
    StreamLab,
    SyncLab,
    Timeline,
    knob,
    publish,
)
from lambda_lab.widgets.knobs import bounds
from lambda_lab.widgets.scene import OUTCOMES, SHAPES
from lambda_lab.widgets.svg import scene_svg, symbol_path
from lambda_lab.widgets.timeline import MAX_ATTEMPTS
from lambda_lab.widgets.timescale import TimeScale, human_time, nice_ticks

GOLDEN = Path(__file__).parent / "golden"
LABS = (SyncLab, AsyncLab, IdempotencyLab, QueueLab, StreamLab)


def retried_lab(events=3, seed=7):
    """Events whose first two attempts fail, an on-success queue: the async lesson."""
    lab = ll.Lab(seed=seed, echo_logs=False)
    calls: dict[str, int] = {}

    def charge(event, context):
        print("charging order", event["order"])
        calls[context.aws_request_id] = calls.get(context.aws_request_id, 0) + 1
        if calls[context.aws_request_id] < 3:
            raise ConnectionError("payment API unavailable")
        return "paid"

    lab.create_function("charge", charge, duration=0.2)
    paid = lab.create_queue("paid")
    lab.put_function_event_invoke_config("charge", destination_config={"on_success": paid})
    for n in range(events):
        lab.invoke("charge", {"order": n}, invocation_type="Event")
    lab.settle()
    return lab


def golden(name: str, svg: str) -> None:
    path = GOLDEN / name
    if os.environ.get("LAMBDA_LAB_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(svg, encoding="utf-8")
    assert path.exists(), f"no golden picture {path.name}: run with LAMBDA_LAB_UPDATE_GOLDEN=1"
    assert svg == path.read_text(encoding="utf-8"), f"{name} differs from its golden picture"


def marks(scene, kind=None, cls=None):
    return [
        m for m in scene["marks"]
        if (kind is None or m["type"] == kind) and (cls is None or m["cls"] == cls)
    ]  # fmt: skip


# -- timeline -------------------------------------------------------------------------
def test_the_timeline_shows_each_attempt_its_cold_start_and_the_retry_arrows():
    # GIVEN three events, each failing twice before it succeeds
    lab = retried_lab()
    # WHEN the timeline is drawn
    view = Timeline(lab)
    scene = view.scene
    # THEN there is a bar per attempt, by outcome, and an init segment per cold start
    assert len(marks(scene, "rect", "error")) == 6
    assert len(marks(scene, "rect", "success")) == 3
    assert len(marks(scene, "rect", "init")) == len(lab.trace.filter("env_created")) == 3
    # AND each outcome has its own symbol shape at the bar's end
    assert {m["shape"] for m in marks(scene, "symbol", "error")} == {OUTCOMES["error"][1]}
    assert {m["shape"] for m in marks(scene, "symbol", "success")} == {OUTCOMES["success"][1]}
    # AND an arrow joins each failed attempt to its retry, with the delay in human units
    arrows = marks(scene, "line", "retry")
    assert len(arrows) == 6 and all(a["arrow"] for a in arrows)
    assert sorted({a["label"] for a in arrows}) == ["retry after 2 min", "retry after 60 s"]
    # AND the two idle minutes are compressed, and the scene says so
    assert scene["note"] == "2 idle stretches (3 min) compressed"
    assert len(marks(scene, "path", "gap")) == 2
    assert dict(scene["summary"])["retries"] == 6
    # AND a bar's record is the attempt it stands for
    bar = marks(scene, "rect", "success")[0]
    assert scene["records"][bar["record"]]["status"] == "ok"
    golden("timeline_async_retries.svg", view.to_svg())


def test_a_timeline_filtered_to_one_request_shows_only_its_attempts():
    # GIVEN the three events, and the request id of the first
    lab = retried_lab()
    first = lab.trace.filter("accepted")[0]["request_id"]
    # WHEN the timeline is filtered to it, and to a time window
    one = Timeline(lab, request_id=first).scene
    early = Timeline(lab, window=(0.0, 1.0)).scene
    # THEN it holds that request's three attempts only; the window holds first attempts
    assert len(marks(one, "rect", "error")) + len(marks(one, "rect", "success")) == 3
    assert {r["request_id"] for r in one["records"]} == {first}
    assert {r["attempt"] for r in early["records"]} == {1}


def test_batches_of_a_mapping_carry_their_size_and_throttles_have_a_row():
    # GIVEN a queue mapping with batches of 4, and a function with reserved concurrency 1
    lab = ll.Lab(seed=1, echo_logs=False)
    queue = lab.create_queue("jobs")
    lab.create_function("jobs", lambda e, c: None, reserved_concurrency=1)
    lab.create_event_source_mapping(event_source_arn=queue, function_name="jobs", batch_size=4)
    for n in range(8):
        queue.send_message(str(n))
    lab.create_function("api", lambda e, c: None, reserved_concurrency=0)
    lab.run(until=1)
    with pytest.raises(ll.TooManyRequestsException):
        lab.invoke("api")
    lab.run()
    # WHEN the timeline is drawn
    scene = Timeline(lab).scene
    # THEN batch bars are labelled with their size, and the throttle sits on its own row
    sizes = [m["text"] for m in marks(scene, "text", "bar-label")]
    assert sizes and set(sizes) <= {"4"}
    assert any("batch of 4" in m.get("label", "") for m in marks(scene, "rect", "success"))
    assert [m["text"] for m in marks(scene, "text", "actor-label")][-1] == "api throttled"
    assert len(marks(scene, "symbol", "throttle")) == len(lab.trace.filter("throttle")) >= 1


def test_a_large_trace_is_aggregated_into_a_bounded_scene():
    # GIVEN far more attempts than the timeline draws one by one
    lab = ll.Lab(seed=2, echo_logs=False)
    lab.create_function("busy", lambda e, c: None, duration=0.05)
    lab.add_traffic("busy", ll.Poisson(200), invocation_type="Event", count=MAX_ATTEMPTS * 3)
    lab.run()
    # WHEN the timeline and the flow are drawn
    timeline = Timeline(lab).scene
    flow = FlowDiagram(lab).scene
    # THEN both stay bounded and say what they aggregated
    assert len(timeline["marks"]) <= 5000
    assert timeline["note"].startswith(f"aggregated: {MAX_ATTEMPTS * 3:,} attempts in ")
    assert sum(v for k, v in timeline["summary"] if k == "attempts") == MAX_ATTEMPTS * 3
    assert len(flow["tokens"]) <= 1500 and flow["note"].startswith("showing the first 1,500")


# -- flow ------------------------------------------------------------------------------
def test_the_flow_has_the_scenarios_actors_and_tokens_that_follow_the_trace():
    # GIVEN three events, retried, and an on-success queue
    lab = retried_lab()
    # WHEN the flow is drawn
    view = FlowDiagram(lab)
    scene = view.scene
    # THEN the actors are the caller, the service, the async queue, three envs, the queue
    labels = [m["text"] for m in marks(scene, "text", "actor-label")]
    assert labels == [
        "caller", "Lambda service", "async queue", "env 1", "env 2", "env 3", "on-success paid"
    ]  # fmt: skip
    # AND a token per attempt and per destination record, by outcome
    classes = sorted(t["cls"] for t in scene["tokens"])
    assert classes == ["error"] * 3 + ["retry"] * 6 + ["success"] * 3
    # AND every token moves forward in flow time, inside the play range
    for token in scene["tokens"]:
        assert token["times"] == sorted(token["times"])
        assert len(token["times"]) == len(token["path"])
        assert scene["t_range"][0] <= token["times"][0] <= token["times"][-1] < scene["t_range"][1]
        assert token["shape"] in SHAPES
    # AND a token's record is its trace record
    destination = next(t for t in scene["tokens"] if t["cls"] == "success")
    assert scene["records"][destination["record"]]["kind"] == "destination"
    golden("flow_async_retries.svg", view.to_svg())


def test_the_flow_of_a_queue_mapping_shows_the_poller_and_the_dlq():
    # GIVEN a queue whose poison message is redriven to a DLQ after 2 receives
    lab = ll.Lab(seed=3, echo_logs=False)
    dlq = lab.create_queue("dlq")
    queue = lab.create_queue(
        "orders", visibility_timeout=5,
        redrive_policy={"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 2},
    )  # fmt: skip
    lab.create_function("orders", lambda e, c: 1 / 0)
    lab.create_event_source_mapping(event_source_arn=queue, function_name="orders")
    queue.send_message("poison")
    lab.run()
    # WHEN the flow is drawn
    scene = FlowDiagram(lab).scene
    # THEN the source queue, the poller and the DLQ are actors, and the redrive is a token
    labels = [m["text"] for m in marks(scene, "text", "actor-label")]
    assert labels[0] == "orders" and "poller" in labels and "DLQ dlq" in labels
    assert [t["cls"] for t in scene["tokens"]].count("redriven") == 1
    assert [t["cls"] for t in scene["tokens"]].count("error") == 2


# -- metrics and logs ------------------------------------------------------------------
def test_the_metrics_chart_draws_concurrency_and_extra_series():
    # GIVEN three events retried
    lab = retried_lab()
    # WHEN concurrency and a made-up balance are charted
    chart = MetricsChart(lab, extra={"balance": [(0, 20), (60, 30)]})
    scene = chart.scene
    # THEN each series is a path with a legend, and the numbers say its max and last
    assert [m["label"] for m in marks(scene, "path")] == ["concurrency", "balance"]
    summary = dict(scene["summary"])
    assert summary["concurrency max"] == 3.0 and summary["concurrency last"] == 0.0
    assert summary["balance last"] == 30.0
    assert [m["orient"] for m in marks(scene, "axis")] == ["bottom", "left"]
    # AND an unknown series is refused with the names it could be
    with pytest.raises(ValueError, match="series must be one of concurrency"):
        MetricsChart(lab, series=("depth",))


def test_a_long_series_is_thinned_and_the_chart_says_so():
    # GIVEN a series of 10,000 points
    points = [(float(t), float(t % 7)) for t in range(10_000)]
    # WHEN it is charted
    scene = MetricsChart([], series=(), extra={"noise": points}).scene
    # THEN the path holds far fewer points, the extremes survive, and the note says so
    (path,) = marks(scene, "path")
    assert path["d"].count("H") < 3000
    assert dict(scene["summary"])["noise max"] == 6.0
    assert scene["note"].startswith("series over 2,000 points thinned")


def test_the_log_view_lists_the_log_lines_and_the_report_figures():
    # GIVEN three events retried, which print a line each time
    lab = retried_lab()
    # WHEN the log view is drawn
    view = LogView(lab, "charge")
    scene = view.scene
    # THEN it has every CloudWatch line, classified, and the REPORT lines' figures
    events = lab.logs("charge")
    assert [line["text"] for line in scene["lines"]] == [e["message"].rstrip("\n") for e in events]
    kinds = {line["cls"] for line in scene["lines"]}
    assert {"start", "end", "report", "log", "error"} <= kinds
    summary = dict(scene["summary"])
    assert summary["invocations"] == 9 and summary["cold starts"] == 3
    assert summary["mean duration (ms)"] == 200.0
    # AND a filter pattern narrows it, as lab.logs does
    assert len(LogView(lab, "charge", filter_pattern="REPORT").scene["lines"]) == 9
    golden("logs_async_retries.svg", view.to_svg())


# -- the static picture ------------------------------------------------------------------
def test_every_view_adds_its_svg_to_the_mime_bundle_and_has_a_short_repr():
    # GIVEN a lab and each kind of view
    lab = retried_lab()
    for view in (Timeline(lab), FlowDiagram(lab), MetricsChart(lab), LogView(lab, "charge")):
        # WHEN the notebook asks for its representations
        data, _ = format_display_data(view)
        # THEN it offers the live view, the SVG picture and a deterministic text
        assert set(data) == {
            "text/plain", "application/vnd.jupyter.widget-view+json", "image/svg+xml"
        }  # fmt: skip
        assert data["image/svg+xml"].startswith("<svg xmlns=")
        assert "0x" not in repr(view) and repr(view) == data["text/plain"]
    # AND the same trace gives the same repr and the same bytes again
    assert repr(Timeline(retried_lab())) == repr(Timeline(retried_lab()))
    assert Timeline(retried_lab()).to_svg() == Timeline(retried_lab()).to_svg()


def test_every_symbol_shape_has_a_path_and_an_unknown_one_is_refused():
    # GIVEN every shape the scene format names THEN each has a distinct closed or stroked path
    paths = {shape: symbol_path(shape, 64) for shape in SHAPES}
    assert len(set(paths.values())) == len(SHAPES)
    assert all(p.startswith("M") for p in paths.values())
    # AND every outcome has its own shape and its own label
    assert len({shape for _, shape in OUTCOMES.values()}) == len(OUTCOMES)
    assert len({label for label, _ in OUTCOMES.values()}) == len(OUTCOMES)
    with pytest.raises(ValueError, match="shape must be one of"):
        symbol_path("hexagon", 10)


def test_an_unknown_mark_type_is_refused():
    scene = {"view": "x", "width": 10, "height": 10, "title": "", "marks": [{"type": "blob",
             "cls": "text"}]}  # fmt: skip
    with pytest.raises(ValueError, match="mark type must be"):
        scene_svg(scene)


def test_time_is_written_in_human_units_and_idle_gaps_compressed():
    assert [human_time(t) for t in (0, 0.25, 1.5, 90, 150, 7200)] == [
        "0 s", "250 ms", "1.5 s", "90 s", "2.5 min", "2 h"
    ]  # fmt: skip
    assert nice_ticks(0, 10, 5) == [0, 2, 4, 6, 8, 10]
    # GIVEN busy stretches 0-1 s and 100-101 s on 1,000 px
    scale = TimeScale([(0, 1), (100, 101)], 0, 1000)
    # THEN the 99 s between them take one gap's width, and both busy seconds stay wide
    assert scale.gaps == [(1, 100)]
    assert scale(1) - scale(0) > 400 and scale(101) - scale(100) > 400
    assert scale(0) < scale(50) < scale(100)


def test_publish_exports_html_that_shows_the_svg(tmp_path):
    # GIVEN a notebook whose output is a view, with its widget view and its SVG
    data, _ = format_display_data(Timeline(retried_lab()))
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("Timeline(lab)")
    cell.outputs = [nbformat.v4.new_output("display_data", data=data)]
    notebook.cells = [cell]
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    path = tmp_path / "course.ipynb"
    nbformat.write(notebook, path)
    # WHEN it is published
    (html,) = publish(path, tmp_path / "html")
    text = html.read_text()
    # THEN the page holds the picture itself, not a widget placeholder
    (encoded,) = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', text)
    assert "ll-success" in base64.b64decode(encoded).decode()
    assert "application/vnd.jupyter.widget-view+json" not in text


# -- knobs and labs ----------------------------------------------------------------------
@pytest.mark.parametrize("lab_class", LABS, ids=lambda c: c.__name__)
def test_every_knob_has_its_models_range_and_starts_valid(lab_class):
    # GIVEN a lab
    lab = lab_class()
    for name, model, field, _, options in lab_class.knob_specs:
        widget = lab.knobs[name]
        low, high = bounds(model, field)
        # THEN a slider spans exactly the model's range (or the stated bound where it has none)
        if hasattr(widget, "min"):
            assert widget.min == low, name
            assert widget.max == (high if high is not None else options["high"]), name
        # AND its value validates against the model's field
        info = model.model_fields[field]
        kind = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        TypeAdapter(kind).validate_python(widget.value)
    assert lab.last_error is None


def test_a_knob_is_built_from_the_model_field():
    retries = knob(ll.EventInvokeConfig, "maximum_retry_attempts", value=2)
    assert (retries.min, retries.max, retries.value) == (0, 2, 2)
    assert retries.continuous_update is False
    assert type(knob(ScenarioSettings, "idempotent")).__name__ == "Checkbox"
    with pytest.raises(ValueError, match="has no field"):
        knob(ScenarioSettings, "colour")
    with pytest.raises(ValueError, match="above"):
        knob(ll.EventInvokeConfig, "maximum_retry_attempts", high=5)


def test_turning_retries_from_two_to_zero_removes_the_retry_attempts():
    # GIVEN an async lab whose handler fails half the time
    lab = AsyncLab(failure_rate=1.0, requests=2)
    before = lab.key_numbers()
    bars_before = len(marks(lab.views[1].scene, "line", "retry"))
    # WHEN the retries knob goes to 0
    lab.set(maximum_retry_attempts=0)
    # THEN each event ran once, no retry arrows remain, and both were dropped
    after = lab.key_numbers()
    assert (before["attempts"], after["attempts"]) == (6, 2)
    assert bars_before == 4 and marks(lab.views[1].scene, "line", "retry") == []
    assert after["dropped"] == 2


def test_an_invalid_combination_shows_awss_error_and_keeps_the_last_run():
    # GIVEN a queue lab
    lab = QueueLab()
    batches = lab.key_numbers()["batches"]
    # WHEN the batch size goes over 10 with no batching window
    lab.set(batch_size=50)
    # THEN AWS's words are shown, not a traceback, and the pictures keep the last good run
    assert lab.last_error.startswith("InvalidParameterValueException: Maximum batch window")
    assert "Maximum batch window in seconds" in lab.error.value
    assert lab.key_numbers()["batches"] == batches
    # WHEN a window makes it valid THEN the error goes and the run uses batches of 50
    lab.set(maximum_batching_window_in_seconds=1)
    assert lab.last_error is None and lab.error.value == ""
    assert lab.key_numbers()["batches"] < batches


def test_the_idempotency_lab_compares_add_10_with_set_to_30():
    # GIVEN the $20 account, a $10 credit, and a handler that fails after writing
    lab = IdempotencyLab(failure_rate=1.0)
    # THEN "add 10" credits once per attempt: three attempts leave $50
    numbers = lab.key_numbers()
    assert (numbers["handler"], numbers["expected balance"]) == ("add 10", 30)
    assert (numbers["actual balance"], numbers["handler runs"]) == (50, 3)
    # WHEN the handler is made idempotent THEN any number of runs leaves $30
    lab.set(idempotent=True)
    assert lab.key_numbers()["actual balance"] == 30
    # AND the chart's balance ends where the numbers say
    assert dict(lab.views[2].scene["summary"])["balance ($) last"] == 30.0


def test_a_course_author_can_replace_the_handler_and_the_workload():
    # GIVEN a stream lab with the author's own handler and two records
    seen = []

    def workload(lab, function_name):
        stream = lab.resources["arn:aws:kinesis:us-east-1:123456789012:stream/clicks"]
        for n in range(2):
            stream.put_record(json.dumps({"n": n}), partition_key="k")

    lab = StreamLab(handler=lambda e, c: seen.append(len(e["Records"])), workload=workload)
    # THEN the lab ran their handler on their records
    assert seen == [2] and lab.key_numbers()["batches"] == 1
    # AND, like every lab, it shows a flow, a timeline and its key numbers
    assert [v.scene["view"] for v in lab.views][:2] == ["flow", "timeline"]
    with pytest.raises(ValueError, match="has no knob 'colour'"):
        StreamLab(colour=1)


@pytest.mark.parametrize("lab_class", LABS, ids=lambda c: c.__name__)
def test_every_lab_has_a_flow_a_timeline_and_key_numbers(lab_class):
    # GIVEN a lab THEN its views include a flow and a timeline, and it has key numbers
    lab = lab_class()
    assert {"flow", "timeline"} <= {view.scene["view"] for view in lab.views}
    assert lab.key_numbers() and "Key numbers" in lab.to_svg()


def test_a_stream_batch_given_up_travels_to_its_on_failure_destination():
    # GIVEN the stream lab's poison record, given up after its retries
    lab = StreamLab()
    scene = lab.views[0].scene
    # THEN the flow has a dropped token per discarded batch, to the on-failure queue
    dropped = [t for t in scene["tokens"] if t["cls"] == "dropped"]
    assert len(dropped) == len(lab.lab.trace.filter("stream_batch_discarded")) >= 1
    assert "on-failure click-failures" in [m["label"] for m in marks(scene, "rect", "actor")]


@pytest.mark.parametrize("lab_class", LABS, ids=lambda c: c.__name__)
def test_every_lab_has_a_deterministic_repr_and_picture(lab_class):
    # GIVEN two labs built alike THEN their reprs and pictures are equal and address-free
    first, second = lab_class(), lab_class()
    assert repr(first) == repr(second) and not re.search(r"0x[0-9a-f]{6,}", repr(first))
    data, _ = format_display_data(first)
    assert data["image/svg+xml"] == second.to_svg()
    assert data["text/plain"] == repr(first)
