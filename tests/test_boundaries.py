"""Boundaries the scenario suites step over: event age, DLQ error codes, percentiles."""

from __future__ import annotations

import pytest

import lambda_lab as ll


def refuse(event, context):
    raise ValueError("insufficient funds")


def ok(event, context):
    return event


def takes(event):
    return event.get("d", 0.1)


def failing_event(lab: ll.Lab, duration: float, age: int = 60) -> str:
    lab.create_function("f", refuse, duration=duration, init_duration=0)
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=2, maximum_event_age_in_seconds=age
    )
    request_id = lab.invoke("f", {"n": 1}, invocation_type="Event").request_id
    lab.run()
    return request_id


def dropped(lab: ll.Lab, request_id: str) -> dict:
    (record,) = lab.trace.filter(kind="dropped", request_id=request_id)
    return record


# -- the maximum event age ------------------------------------------------------------


def test_a_retry_exactly_at_the_maximum_age_still_runs(lab):
    # GIVEN a 60 s maximum age and an attempt failing at once (t = 0)
    request_id = failing_event(lab, duration=0)
    # THEN the retry 60 s later, at age exactly 60 s, is scheduled and runs
    (retry,) = lab.trace.filter(kind="retry_scheduled")
    assert (retry["t"], retry["delay"]) == (0, 60)
    assert [r["t"] for r in lab.trace.filter(kind="attempt_started")] == [0, 60]
    (_, second) = lab.trace.filter(kind="dequeued")
    assert second["age"] == 60
    # AND only the third attempt (120 s) would be too old
    record = dropped(lab, request_id)
    assert (record["t"], record["reason"], record["approximate_invoke_count"]) == (
        60,
        "EventAgeExceeded",
        2,
    )


def test_a_retry_a_hair_past_the_maximum_age_is_event_age_exceeded(lab):
    # GIVEN a 60 s maximum age and an attempt failing after a microsecond
    request_id = failing_event(lab, duration=1e-6)
    # THEN its retry would start at 60.000001 s: the event fails at once, after one attempt
    assert lab.trace.filter(kind="retry_scheduled") == []
    assert len(lab.trace.filter(kind="attempt_started")) == 1
    record = dropped(lab, request_id)
    assert (record["t"], record["reason"], record["approximate_invoke_count"]) == (
        1e-6,
        "EventAgeExceeded",
        1,
    )


def test_a_longer_maximum_age_lets_every_retry_run(lab):
    # GIVEN a 180 s maximum age: retries at 60 s and 180 s (60 + 120) both fit exactly
    request_id = failing_event(lab, duration=0, age=180)
    assert [r["t"] for r in lab.trace.filter(kind="attempt_started")] == [0, 60, 180]
    assert dropped(lab, request_id)["reason"] == "RetriesExhausted"


@pytest.mark.parametrize(("age", "last"), [(63, 63), (62, 31)])
def test_a_throttle_retry_exactly_at_the_maximum_age_is_tried(lab, age, last):
    # GIVEN reserved concurrency 1 held for 200 s, and a second event throttled
    # with backoffs 1, 2, 4, 8, 16, 32 s: tries at 0, 1, 3, 7, 15, 31, 63 s
    lab.create_function(
        "f", ok, timeout=300, reserved_concurrency=1, duration=lambda e: e.get("d", 0.1)
    )
    lab.put_function_event_invoke_config("f", maximum_event_age_in_seconds=age)
    lab.invoke("f", {"d": 200.0}, invocation_type="Event")
    second = lab.invoke("f", {"n": 2}, invocation_type="Event").request_id
    lab.run()
    # THEN the try at 63 s happens when the age allows 63 s, not when it allows 62 s
    throttles = [r["t"] for r in lab.trace.filter(kind="throttle", request_id=second)]
    assert throttles[-1] == last
    record = dropped(lab, second)
    assert (record["t"], record["reason"]) == (last, "EventAgeExceeded")


# -- the DLQ's ErrorCode --------------------------------------------------------------


def test_the_dlq_error_code_is_200_after_attempts_ran(lab):
    dlq = lab.create_queue("dlq")
    lab.create_function("f", refuse, dead_letter_config={"TargetArn": dlq.arn})
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    lab.invoke("f", {"n": 1}, invocation_type="Event")
    lab.run()
    (message,) = dlq.messages
    attributes = message.message_attributes
    assert attributes["ErrorCode"] == {"DataType": "Number", "StringValue": "200"}
    assert attributes["ErrorMessage"]["StringValue"] == "insufficient funds"


def test_the_dlq_error_code_is_429_for_an_event_that_never_ran(lab):
    # GIVEN a function with reserved concurrency 0 and an SQS DLQ
    dlq = lab.create_queue("dlq")
    lab.create_function("f", ok, reserved_concurrency=0, dead_letter_config={"TargetArn": dlq.arn})
    # WHEN an event is sent
    request_id = lab.invoke("f", {"n": 1}, invocation_type="Event").request_id
    lab.run()
    # THEN it never ran, and the DLQ holds it with ErrorCode 429 and "Rate Exceeded."
    assert lab.trace.filter(kind="attempt_started") == []
    (message,) = dlq.messages
    assert message.body == '{"n": 1}'
    assert message.message_attributes == {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "429"},
        "ErrorMessage": {"DataType": "String", "StringValue": "Rate Exceeded."},
    }
    assert dropped(lab, request_id)["approximate_invoke_count"] == 0


def test_the_sns_dlq_error_code_is_429_for_an_event_that_never_ran(lab):
    topic = lab.create_topic("dead")
    lab.create_function(
        "f", ok, reserved_concurrency=0, dead_letter_config={"TargetArn": topic.arn}
    )
    lab.invoke("f", {"n": 1}, invocation_type="Event")
    lab.run()
    (notification,) = topic.published
    assert notification["MessageAttributes"]["ErrorCode"] == {"Type": "Number", "Value": "429"}


# -- Duration percentiles -------------------------------------------------------------


def durations_ms(lab: ll.Lab, ms: list[int]) -> dict:
    lab.create_function("f", ok, duration=takes, timeout=10)
    for d in ms:
        lab.invoke("f", {"d": d / 1000})
    return lab.metrics("f")["Duration"]


def test_p50_and_p99_of_101_known_durations(lab):
    # GIVEN durations of 1, 2, ..., 101 ms, invoked in a shuffled order
    ms = list(range(1, 102))
    ms = ms[50:] + ms[:50]
    duration = durations_ms(lab, ms)
    # THEN p50 is the 51st smallest and p99 the 100th
    assert duration["p50"] == 51.0
    assert duration["p99"] == 100.0
    assert (duration["Minimum"], duration["Maximum"], duration["Average"]) == (1.0, 101.0, 51.0)


def test_p99_of_ten_durations_is_the_largest(lab):
    duration = durations_ms(lab, [10, 20, 30, 40, 50, 60, 70, 80, 90, 1000])
    assert duration["p99"] == 1000.0
    assert duration["p50"] == 50.0


def test_one_duration_is_every_statistic(lab):
    duration = durations_ms(lab, [7])
    assert duration == {
        "Average": 7.0,
        "Minimum": 7.0,
        "Maximum": 7.0,
        "p50": 7.0,
        "p99": 7.0,
    }


def test_a_function_never_run_has_zero_statistics(lab):
    lab.create_function("f", ok)
    assert lab.metrics("f")["Duration"] == {
        "Average": 0.0,
        "Minimum": 0.0,
        "Maximum": 0.0,
        "p50": 0.0,
        "p99": 0.0,
    }


def test_durations_are_rounded_to_hundredths_of_a_millisecond(lab):
    lab.create_function("f", ok, duration=takes, timeout=10)
    lab.invoke("f", {"d": 0.0012345})
    duration = lab.metrics("f")["Duration"]
    assert duration["p50"] == duration["p99"] == duration["Average"] == 1.23


# -- event invoke config edges --------------------------------------------------------


def test_on_success_is_described_and_kept_by_an_update(lab):
    # GIVEN an OnSuccess destination and no OnFailure
    queue = lab.create_queue("successes")
    fn = lab.create_function("f", ok)
    lab.put_function_event_invoke_config(
        "f", destination_config={"OnSuccess": {"Destination": queue.arn}}
    )
    # WHEN only the retries are updated
    config = lab.update_function_event_invoke_config("f", maximum_retry_attempts=1)
    # THEN the destination is kept, described as AWS does
    assert config["DestinationConfig"] == {"OnSuccess": {"Destination": queue.arn}}
    assert fn.on_success is queue and fn.on_failure is None
    # AND a success reaches it
    lab.invoke("f", {"n": 1}, invocation_type="Event")
    lab.run()
    assert [b["requestContext"]["condition"] for b in queue.bodies] == ["Success"]


def test_a_destination_of_none_is_left_out(lab):
    queue = lab.create_queue("failures")
    lab.create_function("f", ok)
    config = lab.put_function_event_invoke_config(
        "f", destination_config={"OnSuccess": {"Destination": None}, "OnFailure": queue}
    )
    assert config["DestinationConfig"] == {"OnFailure": {"Destination": queue.arn}}


def test_without_a_config_the_defaults_are_2_retries_and_6_hours(lab):
    fn = lab.create_function("f", ok)
    assert (fn.maximum_retry_attempts, fn.maximum_event_age_in_seconds) == (2, 21600)
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    lab.delete_function_event_invoke_config("f")
    assert (fn.maximum_retry_attempts, fn.maximum_event_age_in_seconds) == (2, 21600)


def test_a_destination_config_that_is_not_a_dict_is_refused(lab):
    lab.create_function("f", ok)
    with pytest.raises(ll.InvalidParameterValueException, match="destination_config must be"):
        lab.put_function_event_invoke_config("f", destination_config=["q"])


def test_an_unknown_destination_key_is_refused_by_name(lab):
    queue = lab.create_queue("q")
    lab.create_function("f", ok)
    with pytest.raises(ll.InvalidParameterValueException, match="got 'OnTimeout'"):
        lab.put_function_event_invoke_config("f", destination_config={"OnTimeout": queue})


def test_a_bad_destination_is_refused_naming_its_field(lab):
    lab.create_function("f", ok)
    with pytest.raises(
        ll.InvalidParameterValueException, match=r"^destination_config\.on_failure must be"
    ):
        lab.put_function_event_invoke_config("f", destination_config={"OnFailure": 42})


def test_a_bucket_is_refused_as_an_on_success_destination_listing_what_is_accepted(lab):
    bucket = lab.create_bucket("some-bucket")
    lab.create_function("f", ok)
    with pytest.raises(ll.InvalidParameterValueException) as info:
        lab.put_function_event_invoke_config("f", destination_config={"OnSuccess": bucket})
    assert "on_success accepts sqs, sns, events, lambda targets, got s3" in str(info.value)


def test_a_dlq_can_be_named_with_target_arn_in_either_spelling(lab):
    queue = lab.create_queue("dlq")
    fn = lab.create_function("f", ok, dead_letter_config={"target_arn": queue.arn})
    assert fn.dead_letter_target is queue
    lab.update_function_configuration("f", dead_letter_config={"TargetArn": queue.arn})
    assert fn.dead_letter_target is queue
    lab.update_function_configuration("f", dead_letter_config=queue)
    assert fn.dead_letter_target is queue


def test_a_bad_dlq_is_refused_naming_the_field(lab):
    lab.create_function("f", ok)
    with pytest.raises(
        ll.InvalidParameterValueException, match=r"^dead_letter_config\.TargetArn must be"
    ):
        lab.update_function_configuration("f", dead_letter_config={"TargetArn": 42})


def test_a_bucket_is_refused_as_a_dlq(lab):
    bucket = lab.create_bucket("some-bucket")
    lab.create_function("f", ok)
    with pytest.raises(ll.InvalidParameterValueException) as info:
        lab.update_function_configuration("f", dead_letter_config={"TargetArn": bucket.arn})
    assert "a DLQ must be an SQS queue or an SNS topic, got s3" in str(info.value)


# -- the asynchronous path's records and counters -------------------------------------


def test_an_event_accepted_later_is_aged_from_its_acceptance(lab):
    # GIVEN an event accepted at 100 s failing at once, with a 60 s maximum age
    lab.create_function("f", refuse, duration=0, init_duration=0)
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=2, maximum_event_age_in_seconds=60
    )
    lab.run(until=100)
    request_id = lab.invoke("f", {"n": 1}, invocation_type="Event").request_id
    lab.run()
    # THEN its retry at 160 s (age exactly 60 s) runs, and only the next is too old
    assert [r["t"] for r in lab.trace.filter(kind="attempt_started")] == [100, 160]
    (_, second) = lab.trace.filter(kind="dequeued")
    assert second["age"] == 60
    assert dropped(lab, request_id)["t"] == 160
    assert lab.service.outstanding == 0


def test_the_records_of_an_event_that_succeeds(lab):
    lab.create_function("f", ok)
    request_id = lab.invoke("f", {"n": 1}, invocation_type="Event").request_id
    lab.run()
    queued, dequeued, succeeded = lab.trace.filter(["queued", "dequeued", "succeeded"])
    assert queued == {"t": 0, "kind": "queued", "function": "f", "request_id": request_id}
    assert dequeued == {
        "t": 0,
        "kind": "dequeued",
        "function": "f",
        "request_id": request_id,
        "age": 0,
    }
    assert succeeded["function"] == "f" and succeeded["request_id"] == request_id
    assert "duplicate" not in succeeded and "duplicate" not in dequeued
    assert lab.service.outstanding == 0


def test_a_duplicate_delivery_is_marked_and_settles(lab):
    # GIVEN a function that always gets its events twice
    lab.create_function("f", ok)
    lab.update_function_configuration("f", duplicate_delivery_probability=1.0)
    request_id = lab.invoke("f", {"n": 1}, invocation_type="Event").request_id
    lab.settle()
    # THEN the copy is dequeued and succeeds marked as a duplicate, and nothing is left
    dequeued = lab.trace.filter("dequeued", request_id=request_id)
    assert [r.get("duplicate") for r in dequeued] == [None, True]
    succeeded = lab.trace.filter("succeeded", request_id=request_id)
    assert [r.get("duplicate") for r in succeeded] == [None, True]
    assert len(lab.trace.filter("duplicate")) == 1
    assert lab.service.outstanding == 0


def test_a_success_exactly_at_the_maximum_age_is_still_redelivered(lab):
    # GIVEN an event failing once at 0 s, then succeeding on its retry at 60 s: age 60 s
    calls = []

    def second_time_lucky(event, context):
        calls.append(event)
        if len(calls) == 1:
            raise ValueError("first")
        return "ok"

    lab.create_function(
        "f",
        second_time_lucky,
        duration=0,
        init_duration=0,
    )
    lab.update_function_configuration("f", duplicate_delivery_probability=1.0)
    lab.put_function_event_invoke_config("f", maximum_event_age_in_seconds=60)
    lab.invoke("f", {"n": 1}, invocation_type="Event")
    lab.settle()
    # THEN the success at exactly the maximum age is delivered once more
    assert len(lab.trace.filter("duplicate")) == 1
    assert len(calls) == 3


def test_a_failed_event_settles_and_its_retry_record_names_the_function(lab):
    queue = lab.create_queue("failures")
    lab.create_function("f", refuse, duration=0, init_duration=0)
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=1, destination_config={"OnFailure": queue}
    )
    request_id = lab.invoke("f", {"n": 1}, invocation_type="Event").request_id
    lab.run()
    (retry,) = lab.trace.filter("retry_scheduled")
    assert retry == {
        "t": 0,
        "kind": "retry_scheduled",
        "function": "f",
        "request_id": request_id,
        "delay": 60,
        "reason": "function_error",
    }
    (delivered,) = lab.trace.filter("destination")
    assert delivered["request_id"] == request_id and delivered["function"] == "f"
    assert lab.service.outstanding == 0


def test_a_never_run_event_settles(lab):
    lab.create_function("f", ok, reserved_concurrency=0)
    lab.invoke("f", {"n": 1}, invocation_type="Event")
    lab.run()
    assert lab.service.outstanding == 0


# -- the synchronous path -------------------------------------------------------------


def test_a_sync_response_names_its_function_and_its_invoke_record_its_type(lab):
    lab.create_function("f", ok)
    response = lab.invoke("f", {"n": 1})
    assert response.function_name == "f"
    (invoke,) = lab.trace.filter("invoke")
    assert invoke["invocation_type"] == "RequestResponse"
    with pytest.raises(KeyError, match="FunctionError"):
        response["FunctionError"]
    with pytest.raises(KeyError, match="Nope"):
        response["Nope"]


def test_a_sync_service_error_raises_awss_message():
    lab = ll.Lab(seed=7, service_error_probability=1.0)
    lab.create_function("f", ok)
    with pytest.raises(ll.ServiceException) as info:
        lab.invoke("f")
    assert info.value.message == "An error occurred (ServiceException) when calling Invoke."


# -- dead-letter limits ---------------------------------------------------------------


def test_an_event_of_exactly_the_topics_limit_is_dead_lettered_and_one_byte_more_is_not(lab):
    # GIVEN an SNS dead-letter topic (256 KiB messages) and events of 256 KiB and one byte more
    topic = lab.create_topic("dead")
    lab.create_function("f", refuse, dead_letter_config={"TargetArn": topic.arn})
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    limit = 256 * 1024
    for size in (limit, limit + 1):
        lab.invoke("f", '"' + "a" * (size - 2) + '"', invocation_type="Event")
    lab.run()
    # THEN the first is published, the second fails to deliver, naming its size
    assert [len(n["Message"]) for n in topic.published] == [limit]
    (failed,) = lab.trace.filter("delivery_failed")
    assert failed["error"] == f"event of {limit + 1} bytes exceeds the {limit}-byte limit"


def test_the_dlq_error_message_is_cut_at_1024_characters(lab):
    def long_error(event, context):
        raise ValueError("e" * 2000)

    dlq = lab.create_queue("dlq")
    lab.create_function("f", long_error, dead_letter_config={"TargetArn": dlq.arn})
    lab.put_function_event_invoke_config("f", maximum_retry_attempts=0)
    lab.invoke("f", {"n": 1}, invocation_type="Event")
    lab.run()
    (message,) = dlq.messages
    assert message.message_attributes["ErrorMessage"]["StringValue"] == "e" * 1024


# -- the trace ------------------------------------------------------------------------


def test_the_trace_counts_its_kinds_and_reads_well(lab):
    assert repr(lab.trace) == "<Trace empty>" and lab.trace.kinds() == {}
    lab.create_function("f", ok)
    lab.invoke("f")
    kinds = lab.trace.kinds()
    assert kinds["invoke"] == 1 and kinds["response"] == 1
    assert next(iter(kinds)) == lab.trace[0]["kind"]
    counts = ", ".join(f"{k}={v}" for k, v in kinds.items())
    assert repr(lab.trace) == f"<Trace {len(lab.trace)} records: {counts}>"


def test_filter_takes_one_kind_several_or_none(lab):
    lab.create_function("f", ok)
    lab.invoke("f")
    everything = lab.trace.filter()
    assert everything == lab.trace.records
    assert lab.trace.filter(function="f") == [r for r in everything if r.get("function") == "f"]
    both = lab.trace.filter(("invoke", "response"))
    assert [r["kind"] for r in both] == ["invoke", "response"]
    assert lab.trace.filter("invoke") == both[:1]


def test_to_json_passes_its_options_to_json_dumps(lab):
    lab.create_function("f", ok)
    lab.invoke("f")
    assert "\n" in lab.trace.to_json(indent=1)
    assert "\n" not in lab.trace.to_json()


def test_clear_forgets_the_records_and_keeps_counting(lab):
    lab.create_function("f", ok)
    lab.invoke("f")
    n = len(lab.trace)
    lab.trace.clear()
    assert len(lab.trace) == 0 and lab.trace.cursor() == n
    lab.invoke("f")
    m = len(lab.trace)
    lab.trace.clear()
    assert lab.trace.cursor() == n + m


# -- counting what is outstanding -----------------------------------------------------


def test_two_events_in_flight_with_duplicates_all_settle(lab):
    # GIVEN two events accepted at 100 s, each delivered twice
    lab.create_function("f", ok, duration=1)
    lab.update_function_configuration("f", duplicate_delivery_probability=1.0)
    lab.run(until=100)
    for n in (1, 2):
        lab.invoke("f", {"n": n}, invocation_type="Event")
    assert lab.service.outstanding == 2
    lab.settle()
    # THEN both and both copies succeeded (the copies too: accepted at 100 s, aged 1 s)
    succeeded = lab.trace.filter("succeeded")
    assert len(succeeded) == 4 and sum(bool(r.get("duplicate")) for r in succeeded) == 2
    assert lab.service.outstanding == 0


def test_a_record_too_large_for_a_function_destination_fails_saying_why(lab):
    # GIVEN a failing function whose OnFailure is another function, and a ~1 MiB event
    sink = lab.create_function("sink", ok)
    lab.create_function("f", refuse)
    lab.put_function_event_invoke_config(
        "f", maximum_retry_attempts=0, destination_config={"OnFailure": sink}
    )
    lab.invoke("f", '"' + "a" * (1024 * 1024 - 100) + '"', invocation_type="Event")
    lab.run()
    # THEN the record (event plus response) is over the async quota: delivery fails, explained
    (failed,) = lab.trace.filter("delivery_failed")
    assert failed["via"] == "destination"
    assert failed["error"].startswith("Request must be smaller than 1048576 bytes")


def test_the_registry_itself_refuses_a_second_function_of_one_name(lab):
    fn = lab.create_function("f", ok)
    with pytest.raises(ll.ResourceConflictException, match="Function already exist: f"):
        lab.world.registry.add_function(fn)


def test_a_nested_invoke_does_not_run_the_world_ahead(lab):
    # GIVEN a handler invoking another function synchronously, and an event due at 50 s
    seen = []

    def inner(event, context):
        seen.append(("inner", lab.now))

    def outer(event, context):
        lab.invoke("inner")
        seen.append(("outer", lab.now))

    lab.create_function("inner", inner)
    lab.create_function("outer", outer)
    lab.create_function("later", lambda e, c: seen.append(("later", lab.now)))
    lab.engine.at(50, lambda _: lab.world.submit_event("later", {}))
    # WHEN the outer function is invoked at 0 s
    lab.invoke("outer")
    lab.run()
    # THEN the inner call ran before the event due at 50 s
    assert [name for name, _ in seen] == ["inner", "outer", "later"]
