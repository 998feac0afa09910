"""A function's answer as the local HTTP API gives it to the client, under payload format 2.0's rules."""

import http.client
import json
from collections.abc import Iterator

import pytest

from harness.server_thread import ServerThread
from local_stack.api_gateway.http_api import LocalHttpApi, format_2_0_response
from local_stack.api_gateway.rest_api import bind
from local_stack.lambda_service.functions import Invocation
from local_stack.local_cloud import DeclaredRoute

TWO_COOKIES = ["session=s1; Path=/; Expires=Wed, 21 Oct 2099 07:28:00 GMT", "theme=dark"]


def answer(result=None, error=None):
    return format_2_0_response(Invocation(result=result, error=error))


def test_a_full_response_is_sent_as_the_function_gave_it():
    status, headers, body = answer({"statusCode": 409, "headers": {"Content-Type": "application/json"}, "body": "{}"})
    assert (status, headers, body) == (409, [("Content-Type", "application/json")], b"{}")


def test_a_response_without_a_status_is_the_body_of_a_200_json_answer():
    assert answer({"stock_id": "A1"}) == (
        200,
        [("Content-Type", "application/json")],
        json.dumps({"stock_id": "A1"}).encode(),
    )


def test_each_cookie_is_a_set_cookie_header_of_its_own_and_multi_value_headers_are_ignored():
    _, headers, _ = answer(
        {"statusCode": 200, "cookies": TWO_COOKIES, "multiValueHeaders": {"X-Old": ["1", "2"]}, "body": ""}
    )
    assert headers == [("Set-Cookie", cookie) for cookie in TWO_COOKIES]


@pytest.fixture
def cookie_api() -> Iterator[int]:
    """The local HTTP API on a loopback port, its one route answering with two cookies; yields the port."""

    def invoke(arn: str, event: dict[str, object]) -> Invocation:
        return Invocation(result={"statusCode": 200, "cookies": TWO_COOKIES, "body": "{}"})

    api = LocalHttpApi([DeclaredRoute("/stocks/{stock_id}", "GET", "NONE", "arn:function")], invoke, None, "arn:api")
    serving = ServerThread(bind("127.0.0.1", 0, api.respond), "http-api")
    serving.start()
    try:
        yield serving.server.server_address[1]
    finally:
        serving.stop()


def test_two_cookies_arrive_over_http_as_two_set_cookie_headers(cookie_api):
    """As from AWS: one header per cookie, so the comma in a cookie's `Expires` splits nothing."""
    connection = http.client.HTTPConnection("127.0.0.1", cookie_api, timeout=30)
    try:
        connection.request("GET", "/stocks/A1")
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 200
    assert response.msg.get_all("Set-Cookie") == TWO_COOKIES


def test_a_base64_body_is_sent_decoded():
    assert answer({"statusCode": 200, "body": "AAE=", "isBase64Encoded": True})[2] == b"\x00\x01"


def test_a_function_that_fails_gets_the_http_apis_own_500():
    assert answer(error={"errorMessage": "boom"}) == (
        500,
        [("Content-Type", "application/json")],
        b'{"message": "Internal Server Error"}',
    )
    assert answer({"statusCode": "200"})[0] == 500
