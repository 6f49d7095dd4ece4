"""Tumbling windows: alignment, the state a window keeps, its 1 MB limit, and the event keys.

Scenarios in GIVEN / WHEN / THEN form on the module's public names and on the events a
handler receives (fact sheet 3.3).
"""

from __future__ import annotations

import base64
import json

import pytest

import lambda_lab as ll
from lambda_lab.sim.mappings.windows import (
    MAX_STATE_BYTES,
    MISSING,
    TumblingWindow,
    read_state,
    window_start,
)


def iso(t):
    return f"iso({t:g})"


# -- alignment --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("t", "length", "epoch", "start"),
    [
        (0.0, 60, 0.0, 0.0),
        (59.999, 60, 0.0, 0.0),
        (60.0, 60, 0.0, 60.0),
        (125.0, 60, 0.0, 120.0),
        (0.0, 120, 60.0, -60.0),
        (61.0, 120, 60.0, 60.0),
        (10.0, 7, 3.0, 4.0),
        (-1.0, 60, 0.0, -60.0),
    ],
)
def test_a_window_opens_at_a_multiple_of_its_length_on_the_wall_clock(t, length, epoch, start):
    # GIVEN a virtual time, a window length and the clock's epoch
    # WHEN the window holding that time is asked for THEN it opens at the aligned instant
    assert window_start(t, length, epoch) == start


# -- one window ------------------------------------------------------------------------
def test_a_new_window_spans_its_length_with_an_empty_state():
    # GIVEN a window opened at 120 s of length 60 s
    window = TumblingWindow(120.0, 60)
    # THEN it ends at 180 s, has an empty state, and did not end early
    assert (window.start, window.end) == (120.0, 180.0)
    assert window.state == {}
    assert window.terminated_early is False
    assert repr(window) == "<TumblingWindow 120-180>"


def test_a_window_keeps_the_state_it_is_given():
    # GIVEN a window WHEN it keeps a small state THEN that is its state, not over the limit
    window = TumblingWindow(0.0, 60)
    window.keep({"total": 3})
    assert window.state == {"total": 3} and window.terminated_early is False


def test_a_state_of_exactly_one_megabyte_is_kept_and_one_byte_more_ends_the_window():
    # GIVEN a string state whose JSON (with its two quotes) is exactly 1 MB
    window = TumblingWindow(0.0, 60)
    window.keep("x" * (MAX_STATE_BYTES - 2))
    # THEN the window goes on
    assert MAX_STATE_BYTES == 1024 * 1024
    assert window.terminated_early is False
    # WHEN the state is one byte longer THEN it ends the window early
    window.keep("x" * (MAX_STATE_BYTES - 1))
    assert window.terminated_early is True
    # AND a small state again clears the flag
    window.keep({})
    assert window.terminated_early is False


def test_the_limit_counts_the_bytes_of_the_json():
    # GIVEN a state of non-ASCII text: each character is 6 bytes of JSON ("\\u00e9")
    window = TumblingWindow(0.0, 60)
    chars = MAX_STATE_BYTES // 6 + 1
    # WHEN it keeps one whose JSON is just over 1 MB, though far fewer characters
    window.keep(["é" * chars])
    # THEN the window ends early
    assert window.terminated_early is True


def test_the_event_fields_come_in_aws_order():
    # GIVEN a window with a state
    window = TumblingWindow(60.0, 60)
    window.keep({"n": 1})
    # WHEN its event fields are asked for, not final
    fields = window.event_fields("shardId-000000000000", "arn:stream", iso, final=False)
    # THEN they are AWS's keys in AWS's order
    assert fields == {
        "window": {"start": "iso(60)", "end": "iso(120)"},
        "state": {"n": 1},
        "shardId": "shardId-000000000000",
        "eventSourceARN": "arn:stream",
        "isFinalInvokeForWindow": False,
        "isWindowTerminatedEarly": False,
    }
    assert list(fields) == [
        "window",
        "state",
        "shardId",
        "eventSourceARN",
        "isFinalInvokeForWindow",
        "isWindowTerminatedEarly",
    ]


def test_terminated_early_shows_only_on_the_final_invoke():
    # GIVEN a window whose state went over the limit
    window = TumblingWindow(0.0, 60)
    window.keep("x" * MAX_STATE_BYTES)
    # WHEN the fields of a batch and of the final invoke are asked for
    batch = window.event_fields("s", "a", iso, final=False)
    final = window.event_fields("s", "a", iso, final=True)
    # THEN only the final invoke says the window was terminated early
    assert (batch["isFinalInvokeForWindow"], batch["isWindowTerminatedEarly"]) == (False, False)
    assert (final["isFinalInvokeForWindow"], final["isWindowTerminatedEarly"]) == (True, True)
    # AND a final invoke of a window that did not end early says so
    calm = TumblingWindow(0.0, 60).event_fields("s", "a", iso, final=True)
    assert calm["isWindowTerminatedEarly"] is False


# -- answers -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("payload", "state"),
    [
        ({"state": {"a": 1}}, {"a": 1}),
        ({"state": None, "batchItemFailures": []}, None),
        ({"state": {}}, {}),
    ],
)
def test_an_answer_with_state_gives_its_state(payload, state):
    # GIVEN an answer with a ``state`` key WHEN it is read THEN its state comes back, even null
    assert read_state(payload) == state
    assert read_state(payload) is not MISSING


@pytest.mark.parametrize("payload", [None, {}, {"batchItemFailures": []}, ["state"], "state"])
def test_an_answer_without_state_is_missing(payload):
    # GIVEN an answer that is not an object with ``state`` WHEN it is read THEN state is missing
    assert read_state(payload) is MISSING


# -- through a mapping -------------------------------------------------------------------------
def test_a_null_state_is_a_state_and_is_passed_on():
    # GIVEN a 60 s window and a handler answering a null state for batches
    events = []

    def handler(event, context):
        events.append(event)
        return {"state": None}

    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    lab.create_function("f", handler, duration=0.1)
    lab.create_event_source_mapping(
        event_source_arn=stream,
        function_name="f",
        starting_position="TRIM_HORIZON",
        batch_size=1,
        tumbling_window_in_seconds=60,
    )
    for n in range(2):
        stream.put_record(json.dumps({"n": n}), partition_key="k")
    # WHEN the lab runs
    lab.run()
    # THEN no batch failed, the next invocations got the null state, and the window closed
    assert lab.trace.filter("batch_failed") == []
    assert [e["state"] for e in events] == [{}, None, None]
    assert [len(e["Records"]) for e in events] == [1, 1, 0]
    assert [c["outcome"] for c in lab.trace.filter("window_closed")] == ["closed"]


def test_records_of_the_next_window_wait_for_their_own_batch():
    # GIVEN a 10 s window, a batch size of 10, and records at t=0, 5, 12
    events = []

    def handler(event, context):
        events.append(event)
        data = [json.loads(base64.b64decode(r["kinesis"]["data"]))["n"] for r in event["Records"]]
        return {"state": {"seen": [*event["state"].get("seen", []), *data]}}

    lab = ll.Lab(seed=1, echo_logs=False)
    stream = lab.create_stream("orders")
    lab.create_function("f", handler, duration=0.1)
    for t, n in ((0.0, 0), (5.0, 1), (12.0, 2)):
        lab.run(until=t)
        stream.put_record(json.dumps({"n": n}), partition_key="k")
    # WHEN a mapping starts afterwards, with a 5 s batching window
    lab.create_event_source_mapping(
        event_source_arn=stream,
        function_name="f",
        starting_position="TRIM_HORIZON",
        batch_size=10,
        maximum_batching_window_in_seconds=5,
        tumbling_window_in_seconds=10,
    )
    lab.run()
    # THEN the first window's two records came together, then its final invoke, then the next
    summary = [
        (e["window"]["start"][11:19], len(e["Records"]), e["isFinalInvokeForWindow"])
        for e in events
    ]
    assert summary == [
        ("00:00:00", 2, False),
        ("00:00:00", 0, True),
        ("00:00:10", 1, False),
        ("00:00:10", 0, True),
    ]
    assert events[1]["state"] == {"seen": [0, 1]}
    assert events[3]["state"] == {"seen": [2]}
