"""The registry's name and ARN forms, and the engine's clock and step counting."""

from __future__ import annotations

import pytest

import lambda_lab as ll
from lambda_lab.sim.engine import Engine

ARN = "arn:aws:lambda:us-east-1:123456789012:function"


def echo(event, context):
    return event


# -- the registry ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "invoked"),
    [
        ("credit", f"{ARN}:credit"),
        ("credit:$LATEST", f"{ARN}:credit:$LATEST"),
        (f"{ARN}:credit", f"{ARN}:credit"),
        (f"{ARN}:credit:$LATEST", f"{ARN}:credit:$LATEST"),
        ("123456789012:function:credit", f"{ARN}:credit"),
        ("123456789012:function:credit:$LATEST", f"{ARN}:credit:$LATEST"),
    ],
)
def test_every_name_form_finds_the_function_and_keeps_the_qualifier(lab, name, invoked):
    fn = lab.create_function("credit", echo)
    assert lab.world.registry.lookup(name) == (fn, invoked)
    assert lab.world.registry.function(name) is fn


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("credit:1", f"{ARN}:credit:1"),
        (f"{ARN}:credit:prod", f"{ARN}:credit:prod"),
        ("debit", f"{ARN}:debit:$LATEST"),
        ("123456789012:function:credit:2", f"{ARN}:credit:2"),
    ],
)
def test_an_unknown_function_or_version_is_not_found_as_aws_says(lab, name, target):
    lab.create_function("credit", echo)
    with pytest.raises(ll.ResourceNotFoundException) as info:
        lab.world.registry.lookup(name)
    assert info.value.message == f"Function not found: {target}"
    assert info.value.response["Type"] == "User"


@pytest.mark.parametrize("bad", ["", None, 3])
def test_a_function_name_that_is_no_string_is_refused(lab, bad):
    with pytest.raises(ll.InvalidParameterValueException, match="must be a name or ARN, got"):
        lab.world.registry.lookup(bad)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:lambda:us-east-1:123456789012:layer:credit",
        "arn:aws:lambda:us-east-1:123456789012:function",
        "arn:aws:sqs:us-east-1:123456789012",
    ],
)
def test_an_arn_that_is_not_a_function_arn_is_refused(lab, arn):
    with pytest.raises(ll.InvalidParameterValueException, match="is not a function ARN"):
        lab.world.registry.lookup(arn)


def test_a_short_partial_name_with_a_colon_is_a_name_and_qualifier(lab):
    fn = lab.create_function("function", echo)
    # "x:function" is not account:function:name (too short): name "x" ...
    with pytest.raises(ll.ResourceNotFoundException, match=r"x:function$"):
        lab.world.registry.lookup("x:function")
    # ... and account:other:name is a name and a qualifier
    with pytest.raises(ll.ResourceNotFoundException):
        lab.world.registry.lookup("123456789012:other:function")
    assert lab.world.registry.lookup("function")[0] is fn


def test_a_taken_arn_is_refused_naming_it(lab):
    queue = lab.create_queue("q")
    with pytest.raises(ll.ResourceConflictException, match=f"^{queue.arn} already exists$"):
        lab.world.registry.add(queue)
    with pytest.raises(ll.ResourceConflictException, match=f"^{queue.arn} already exists$"):
        lab.world.registry.check_new(queue.arn)


def test_resolve_refuses_what_is_neither_a_resource_nor_an_arn(lab):
    with pytest.raises(
        ll.InvalidParameterValueException, match=r"^target must be a resource of this lab"
    ):
        lab.world.registry.resolve(3.5, "target")


# -- the engine -----------------------------------------------------------------------


def test_an_idle_engine_peeks_at_infinity():
    engine = Engine(1)
    assert engine.peek() == float("inf") and len(engine) == 0
    engine.schedule(2, lambda _: None)
    engine.soon(lambda _: None)
    assert len(engine) == 2
    assert engine.peek() == 0  # what is due now comes first


def test_every_way_of_running_counts_its_steps():
    # GIVEN an engine with work done by step(), run() and run_while()
    engine = Engine(1)
    seen = []
    for t in (1, 2, 3, 4, 5):
        engine.at(t, seen.append, t)
    engine.soon(seen.append, "now")
    engine.step()
    engine.step()
    assert engine.steps == 2 and seen == ["now", 1]
    engine.run(until=3)
    assert engine.steps == 4 and seen == ["now", 1, 2, 3]
    engine.run_while(lambda: len(seen) < 5)
    assert engine.steps == 5 and seen[-1] == 4
    engine.run()
    assert engine.steps == 6 and engine.now == 5


def test_run_until_the_present_keeps_the_clock_and_runs_what_is_due():
    engine = Engine(1)
    engine.at(2, lambda _: None)
    engine.run(until=2)
    assert engine.now == 2 and len(engine) == 0
    engine.run(until=2)
    assert engine.now == 2
    engine.run(until=7.5)
    assert engine.now == 7.5
