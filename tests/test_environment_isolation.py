"""Environment variables: reserved keys are refused, and one function's changes stay its own.

GIVEN / WHEN / THEN scenarios through the public API.
"""

from __future__ import annotations

import os

import pytest

import lambda_lab as ll
from lambda_lab.sim.compute.functions import RESERVED_VARIABLES


@pytest.mark.parametrize("key", ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME"])
def test_a_reserved_variable_is_refused_in_awss_words(key):
    # GIVEN a lab
    lab = ll.Lab(seed=1)
    # WHEN a function sets a variable Lambda reserves THEN it is refused, and none is made
    with pytest.raises(
        ll.InvalidParameterValueException, match=f"Reserved keys used in this request: {key}"
    ):
        lab.create_function("f", lambda e, c: None, environment={"Variables": {key: "x"}})
    assert lab.functions == {}


def test_settable_runtime_variables_stay_settable():
    # GIVEN variables AWS lets a function set (TZ, PATH-like ones are not reserved)
    lab = ll.Lab(seed=1, echo_logs=False)
    lab.create_function(
        "f", lambda e, c: os.environ["TZ"], environment={"TZ": "Europe/Paris", "TABLE": "t"}
    )
    # THEN the handler sees them, and the reserved list holds none of them
    assert lab.invoke("f").payload == "Europe/Paris"
    assert not {"TZ", "PATH", "LANG", "TABLE"} & RESERVED_VARIABLES


def test_a_handlers_change_to_its_variable_does_not_reach_another_function():
    # GIVEN two functions configured with the same TABLE, the first of which changes it
    lab = ll.Lab(seed=1, echo_logs=False)

    def changes(event, context):
        os.environ["TABLE"] = "changed by a"
        return os.environ["TABLE"]

    lab.create_function("a", changes, environment={"TABLE": "orders"})
    lab.create_function("d", lambda e, c: os.environ["TABLE"], environment={"TABLE": "orders"})
    # WHEN a runs, then d, then a again
    first = lab.invoke("a").payload
    other = lab.invoke("d").payload
    # THEN d sees its own configuration, and the lab's region is its own too
    assert (first, other) == ("changed by a", "orders")
    lab.create_function("region", lambda e, c: os.environ["AWS_REGION"])
    assert lab.invoke("region").payload == "us-east-1"
    # AND after the run the process's own variables are back
    lab.run()
    assert os.environ.get("TABLE") is None


def test_a_variable_set_again_by_a_later_function_is_given_back_when_the_run_ends():
    # GIVEN a function configured with QUEUE_URL, and another, without it, whose
    # handler sets QUEUE_URL itself, both run in one lab.run()
    lab = ll.Lab(seed=1, echo_logs=False)
    lab.create_function(
        "first", lambda e, c: os.environ["QUEUE_URL"], environment={"QUEUE_URL": "a"}
    )

    def second(event, context):
        seen = os.environ.get("QUEUE_URL")
        os.environ["QUEUE_URL"] = "set by the second handler"
        return seen

    lab.create_function("second", second)
    assert "QUEUE_URL" not in os.environ
    lab.invoke("first", invocation_type="Event")
    lab.invoke("second", invocation_type="Event")
    # WHEN the run ends
    lab.run()
    # THEN the second did not see the first's value, and the notebook's environment
    # is as it was before the run
    successes = lab.trace.filter("attempt_ended", function="second", status="ok")
    assert len(successes) == 1
    assert "QUEUE_URL" not in os.environ
