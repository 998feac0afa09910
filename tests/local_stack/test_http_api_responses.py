"""A function's answer as the local HTTP API gives it to the client, under payload format 2.0's rules."""

import json

from local_stack.api_gateway.http_api import format_2_0_response
from local_stack.lambda_service.functions import Invocation


def answer(result=None, error=None):
    return format_2_0_response(Invocation(result=result, error=error))


def test_a_full_response_is_sent_as_the_function_gave_it():
    status, headers, body = answer({"statusCode": 409, "headers": {"Content-Type": "application/json"}, "body": "{}"})
    assert (status, headers, body) == (409, {"Content-Type": "application/json"}, b"{}")


def test_a_response_without_a_status_is_the_body_of_a_200_json_answer():
    assert answer({"stock_id": "A1"}) == (
        200,
        {"Content-Type": "application/json"},
        json.dumps({"stock_id": "A1"}).encode(),
    )


def test_cookies_become_set_cookie_headers_and_multi_value_headers_are_ignored():
    _, headers, _ = answer(
        {"statusCode": 200, "cookies": ["a=1", "b=2"], "multiValueHeaders": {"X-Old": ["1", "2"]}, "body": ""}
    )
    assert headers == {"Set-Cookie": "a=1, b=2"}


def test_a_base64_body_is_sent_decoded():
    assert answer({"statusCode": 200, "body": "AAE=", "isBase64Encoded": True})[2] == b"\x00\x01"


def test_a_function_that_fails_gets_the_http_apis_own_500():
    assert answer(error={"errorMessage": "boom"}) == (
        500,
        {"Content-Type": "application/json"},
        b'{"message": "Internal Server Error"}',
    )
    assert answer({"statusCode": "200"})[0] == 500
