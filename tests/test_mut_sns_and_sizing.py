"""SNS subscriptions and batch sizing, against surviving mutants: endpoints of another
lab, endpoints with a bad ARN, and the exact words of a bad margin.

Scenarios in GIVEN / WHEN / THEN form, on the errors raised.
"""

from __future__ import annotations

import pytest
from support import refused

import lambda_lab as ll


def test_a_queue_of_another_lab_cannot_subscribe():
    # GIVEN a topic, and a queue made in another lab
    lab = ll.Lab(seed=1)
    topic = lab.create_topic("t")
    stranger = ll.Lab(seed=2).create_queue("q")
    # WHEN it subscribes THEN its ARN is unknown here
    refused(
        ll.InvalidParameterValueException,
        f"Invalid parameter: Endpoint (endpoint {stranger.arn} names no queue or function "
        "of this lab)",
        topic.subscribe,
        stranger,
    )
    assert topic.subscriptions == []


def test_an_endpoint_whose_arn_is_not_a_string_is_refused_naming_the_field():
    class Odd:
        arn = 5

        def __repr__(self):
            return "<Odd>"

    topic = ll.Lab(seed=1).create_topic("t")
    refused(
        ll.InvalidParameterValueException,
        "endpoint must be a resource of this lab or its ARN, got <Odd>",
        topic.subscribe,
        Odd(),
    )


@pytest.mark.parametrize("margin", ["x", 1, 1.5])
def test_a_margin_outside_0_to_1_is_refused_in_these_words(margin):
    refused(
        ll.InvalidParameterValueException,
        f"margin must be a share between 0 and 1 (exclusive), got {margin!r}",
        ll.largest_batch,
        900,
        1.0,
        margin,
    )
