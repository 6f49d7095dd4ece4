"""Event traffic dispatches each event at its arrival, in the order ``submit`` would.

``TrafficGenerator`` hands an ``Event`` arrival straight to the asynchronous
invoker (``submit_now``) instead of queueing the dispatch with ``engine.soon``;
these tests pin the order that must keep the trace the same.
"""

from __future__ import annotations

import lambda_lab as ll


def attempts(lab: ll.Lab) -> list[tuple[float, str, bool]]:
    return [(r["t"], r["env"], r["cold"]) for r in lab.trace.filter("attempt_started")]


def test_an_arrival_due_when_an_attempt_ends_comes_before_that_end():
    # GIVEN a warm environment (one synchronous call, 0.1 s long, ending at 0.1 s)
    lab = ll.Lab(seed=1)
    lab.create_function("fn", lambda e, c: None, duration=0.1, init_duration=0.0)
    lab.invoke("fn", {})
    # WHEN Event traffic arrives every 0.1 s from then on, each attempt 0.1 s long
    lab.add_traffic("fn", ll.Constant(10), payload={}, invocation_type="Event", count=2)
    lab.run()
    # THEN the second arrival (at 0.2 s, the instant the first attempt ends) was
    # scheduled before that end, so it runs first and finds env-1 still busy:
    # it starts cold in env-2, exactly as a queued dispatch would have
    assert attempts(lab) == [(0.0, "env-1", True), (0.1, "env-1", False), (0.2, "env-2", True)]
    # AND each event was dispatched at its arrival, with no age
    assert [r["age"] for r in lab.trace.filter("dequeued")] == [0.0, 0.0]


def test_event_traffic_writes_the_records_of_submit_in_its_order():
    # GIVEN a function whose handler fails, retried once
    lab = ll.Lab(seed=2)
    lab.create_function("fn", lambda e, c: 1 / 0, duration=0.1)
    lab.put_function_event_invoke_config("fn", maximum_retry_attempts=1)
    # WHEN one event arrives from traffic
    traffic = lab.add_traffic("fn", ll.Burst(1), payload={"a": 1}, invocation_type="Event")
    lab.run()
    # THEN its records are those of an accepted, queued, dispatched and retried event
    kinds = [r["kind"] for r in lab.trace if r.get("request_id")]
    assert kinds == [
        "accepted", "queued", "dequeued", "attempt_started", "attempt_ended",
        "retry_scheduled", "dequeued", "attempt_started", "attempt_ended", "dropped",
    ]  # fmt: skip
    assert lab.trace.filter("accepted")[0]["source"] == traffic.id


def test_a_handler_cancelling_its_traffic_stops_the_next_arrival():
    # GIVEN Event traffic whose handler cancels the traffic on its first call
    lab = ll.Lab(seed=3)
    box = []
    lab.create_function("fn", lambda e, c: box[0].cancel(), duration=0.1)
    box.append(lab.add_traffic("fn", ll.Constant(1), invocation_type="Event", count=5))
    # WHEN the lab runs
    lab.run()
    # THEN only the first event was sent, although the next arrival was already due
    assert len(lab.trace.filter("accepted")) == 1
    assert box[0].sent == 1 and box[0].done
