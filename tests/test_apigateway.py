"""API Gateway (Lambda proxy) in front of a function: statuses, headers and its records.

GIVEN / WHEN / THEN scenarios on what the API's caller receives and on the
``apigw_request`` / ``apigw_response`` records, in virtual time.
"""

from __future__ import annotations

import pytest

import lambda_lab as ll
from lambda_lab.sim.callers.apigateway import ApiGateway

INTERNAL = {"message": "Internal server error"}


def echo(event, context):
    return event


def returns(value):
    return lambda event, context: value


def api_for(handler=echo, lab: ll.Lab | None = None, **settings) -> tuple[ll.Lab, ApiGateway]:
    lab = lab or ll.Lab(seed=7)
    lab.create_function("fn", handler, **settings)
    return lab, ApiGateway(lab.world, "fn", integration_timeout=10)


@pytest.mark.parametrize("status", [100, 204, 599])
def test_a_proxy_status_from_100_to_599_is_passed_on_with_headers_and_body(status):
    # GIVEN a function answering a proxy response with headers
    proxy = {"statusCode": status, "headers": {"X-A": "1"}, "body": "made"}
    lab, api = api_for(returns(proxy))
    # WHEN a request comes in
    response = api.call({"q": 1})
    # THEN the caller gets that status, the headers (a copy) and the body
    assert (response.status_code, response.body, response.headers) == (status, "made", {"X-A": "1"})
    (record,) = lab.trace.filter("apigw_response")
    assert record["status_code"] == status and "reason" not in record


@pytest.mark.parametrize(
    "proxy",
    [
        {"statusCode": 99},
        {"statusCode": 600},
        {"statusCode": True},
        {"statusCode": 200.0},
        {"statusCode": 200, "headers": ["X-A"]},
        {"statusCode": 200, "headers": "X-A: 1"},
    ],
    ids=["99", "600", "bool", "float", "header-list", "header-string"],
)
def test_a_malformed_proxy_response_is_a_502(proxy):
    lab, api = api_for(returns(proxy))
    response = api.call()
    assert (response.status_code, response.body, response.headers) == (502, INTERNAL, {})
    (record,) = lab.trace.filter("apigw_response")
    assert (record["status_code"], record["reason"]) == (502, "malformed_response")


def test_a_proxy_response_without_headers_or_body(lab):
    _, api = api_for(returns({"statusCode": 201, "headers": None}), lab=lab)
    response = api.call()
    assert (response.status_code, response.body, response.headers) == (201, None, {})


def test_a_plain_value_is_a_200_body_without_headers(lab):
    _, api = api_for(returns({"no": "statusCode"}), lab=lab)
    response = api.call()
    assert (response.status_code, response.body, response.headers) == (
        200,
        {"no": "statusCode"},
        {},
    )


def test_the_request_and_response_records(lab):
    # GIVEN an API named "orders" in front of a 0.1 s function, warm after one call
    lab.create_function("fn", echo)
    api = ApiGateway(lab.world, "fn", integration_timeout=10, name="orders")
    api.call()
    lab.run(until=5)
    # WHEN a request comes in at 5 s
    response = api.call({"q": 1})
    # THEN both records name the API, the function and the Lambda request id
    request, answer = lab.trace.filter(["apigw_request", "apigw_response"])[2:]
    assert request == {
        "t": 5,
        "kind": "apigw_request",
        "api": "orders",
        "function": "fn",
        "request_id": response.request_id,
        "integration_timeout": 10,
    }
    assert answer == {
        "t": response.end,
        "kind": "apigw_response",
        "api": "orders",
        "function": "fn",
        "request_id": response.request_id,
        "status_code": 200,
        "latency": response.end - 5,
    }
    assert response.start == 5 and response.latency == pytest.approx(0.1)
    # AND the invocation itself names the API as its source
    (invoke,) = [r for r in lab.trace.filter(request_id=response.request_id) if "source" in r]
    assert invoke["source"] == "orders"


def test_apis_are_named_api_1_api_2_by_default(lab):
    lab.create_function("fn", echo)
    first, second = ApiGateway(lab.world, "fn"), ApiGateway(lab.world, "fn")
    assert (first.id, second.id) == ("api-1", "api-2")
    assert repr(first) == "<ApiGateway api-1 -> fn: integration_timeout=29s>"
    assert first.integration_timeout == 29 and first.max_integration_timeout == 29


def test_a_bad_api_name_is_refused(lab):
    lab.create_function("fn", echo)
    with pytest.raises(ll.InvalidParameterValueException, match="name must be a non-empty"):
        ApiGateway(lab.world, "fn", name="")


def test_a_timeout_above_the_ceiling_is_refused_with_awss_message(lab):
    lab.create_function("fn", echo)
    with pytest.raises(ll.ValidationException) as info:
        ApiGateway(lab.world, "fn", integration_timeout=61, max_integration_timeout=60)
    assert str(info.value).startswith(
        "1 validation error detected: Value '61' at 'integrationTimeout' failed to satisfy "
        "constraint: Member must have value less than or equal to 60 (integration_timeout "
        "must be between 0.05 and 60, got 61; since June 2024"
    )
    assert str(info.value).endswith(
        "; since June 2024 a Regional REST API may raise max_integration_timeout through "
        "Service Quotas)"
    )
    api = ApiGateway(lab.world, "fn", integration_timeout=60, max_integration_timeout=60)
    assert (api.integration_timeout, api.max_integration_timeout) == (60, 60)


def test_on_response_is_called_with_the_answer_inside_the_simulation(lab):
    # GIVEN a request sent with a callback
    _, api = api_for(lab=lab)
    answers = []
    handle = api.request({"q": 1}, on_response=answers.append)
    assert handle.done is False or answers  # a warm call may answer at once
    lab.run()
    # THEN the callback got exactly the result the handle holds
    assert handle.done and answers == [handle.result]
    assert handle.result.status_code == 200 and handle.result.body == {"q": 1}


def test_the_504_and_the_500_have_no_headers_and_call_back(lab):
    # GIVEN a 40 s function behind a 10 s integration timeout, and one with no concurrency
    lab.create_function("slow", echo, timeout=60, duration=40)
    lab.create_function("none", echo, reserved_concurrency=0)
    answers = []
    slow = ApiGateway(lab.world, "slow", integration_timeout=10).request(on_response=answers.append)
    refused = ApiGateway(lab.world, "none").request(on_response=answers.append)
    lab.run()
    # THEN each answer came once, without headers, and started at the request
    assert answers == [refused.result, slow.result]
    assert (refused.result.status_code, refused.result.headers) == (500, {})
    assert (slow.result.status_code, slow.result.headers) == (504, {})
    assert slow.result.start == refused.result.start == 0


def test_a_service_error_is_a_500_with_its_own_reason():
    lab = ll.Lab(seed=7, service_error_probability=1.0)
    _, api = api_for(lab=lab)
    response = api.call()
    assert (response.status_code, response.body) == (500, INTERNAL)
    (record,) = lab.trace.filter("apigw_response")
    assert record["reason"] == "service_error"


def test_a_function_error_is_a_502(lab):
    def boom(event, context):
        raise ValueError("no")

    _, api = api_for(boom, lab=lab)
    response = api.call()
    assert (response.status_code, response.body, response.headers) == (502, INTERNAL, {})
