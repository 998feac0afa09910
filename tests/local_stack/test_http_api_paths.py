"""The path and query string the local HTTP API hands the function, as live HTTP API captures show them."""

import pytest

from local_stack.api_gateway.http_api import LocalHttpApi
from local_stack.lambda_service.functions import Invocation
from local_stack.local_cloud import DeclaredRoute


def api():
    invoked = []

    def invoke(arn, event):
        invoked.append(event)
        return Invocation(result={"statusCode": 200, "body": "{}"})

    route = DeclaredRoute("/stocks/{stock_id}", "PUT", "NONE", "arn:function")
    return LocalHttpApi([route], invoke, None, "arn:aws:execute-api:eu-west-3:123456789012:local"), invoked


def handed_on(raw_path):
    local, invoked = api()
    status, _, _ = local.respond("PUT", raw_path, {"Host": "h"}, b"{}", "127.0.0.1")
    assert status == 200
    [event] = invoked
    return event["rawPath"], event["pathParameters"]["stock_id"], event["rawQueryString"]


@pytest.mark.parametrize(
    ("raw_path", "path", "stock_id", "query"),
    [
        ("/stocks/A%3F1", "/stocks/A", "A", "1"),  # /capture/question%3Fvalue arrives as /capture/question
        ("/stocks/A%3F1?x=%41", "/stocks/A", "A", "1?x=%41"),
        ("/stocks/A%3F", "/stocks/A", "A", ""),
        ("/stocks/A%231", "/stocks/A#1", "A#1", ""),  # /capture/hash%23value arrives as /capture/hash#value
        ("/stocks/A%C3%A9?x=1", "/stocks/Aé", "Aé", "x=1"),
    ],
)
def test_the_path_is_decoded_and_cut_at_a_decoded_question_mark_whose_rest_starts_the_query(
    raw_path, path, stock_id, query
):
    assert handed_on(raw_path) == (path, stock_id, query)


def test_what_follows_the_cut_is_among_the_query_string_parameters():
    local, invoked = api()
    local.respond("PUT", "/stocks/A%3F1", {"Host": "h"}, b"{}", "127.0.0.1")
    assert invoked[0]["queryStringParameters"] == {"1": ""}
