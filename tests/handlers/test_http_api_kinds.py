"""The same request gets the same answer through a REST API (payload 1.0) and an HTTP API (payload 2.0)."""

import json

import pytest

from handlers import http_api
from harness.lambda_events import api_event, http_api_event

# Each request as a client sends it: method, path (percent-encoded), body, and whether the body travels base64.
REQUESTS = [
    ("POST", "/stocks", {"stock_id": "A000", "stock_level": 1}, False),
    ("PUT", "/stocks/B1", {"stock_level": 4}, False),
    ("GET", "/stocks/B1", None, False),
    ("PUT", "/stocks/B1", {"stock_level": 9, "as_of": "2024-01-01T00:00:00Z"}, False),
    ("GET", "/stocks/never-set", None, False),
    ("PUT", "/stocks/caf%C3%A9", {"stock_level": 2}, False),
    ("GET", "/stocks/caf%C3%A9", None, False),
    ("PUT", "/stocks/A%2541", {"stock_level": 3}, False),
    ("PUT", "/stocks/B2", json.dumps({"stock_level": 5}).encode(), True),
    ("PUT", "/stocks/B3", "{not json", False),
    ("PUT", "/stocks/B3", {"stock_level": -1}, False),
    ("POST", "/stocks", {"stock_level": 1}, False),
    ("PUT", "/stocks/B3", None, False),
    ("DELETE", "/stocks/B1", None, False),
    ("PUT", "/stocks/B4", b"\xff\xfe", True),
]


@pytest.fixture
def api(api_settings, clients):
    return http_api.build(api_settings, clients)


def answers(deployed, api, build):
    """Status and JSON body of each request in turn, on a table emptied first."""
    for item in deployed.dynamodb.scan(TableName=deployed.table_name)["Items"]:
        deployed.dynamodb.delete_item(TableName=deployed.table_name, Key={"stock_id": item["stock_id"]})
    found = []
    for method, path, body, base64_body in REQUESTS:
        response = api(build(method, path, body, base64_body=base64_body), None)
        found.append((method, path, response["statusCode"], json.loads(response["body"]), response["headers"]))
    return found


def test_both_payload_formats_get_the_same_answers(deployed, api):
    rest = answers(deployed, api, api_event)
    http = answers(deployed, api, http_api_event)
    assert http == rest
    assert [status for _, _, status, _, _ in rest] == [
        200,
        200,
        200,
        409,
        404,
        200,
        200,
        200,
        200,
        400,
        400,
        400,
        400,
        405,
        400,
    ]


@pytest.mark.parametrize("path", ["/stocks/caf%C3%A9", "/stocks/A%2541"])
def test_an_item_id_is_decoded_once_on_either_kind(deployed, api, path):
    api(http_api_event("PUT", path, {"stock_level": 2}), None)
    api(api_event("PUT", path.replace("/stocks/", "/stocks/x"), {"stock_level": 2}), None)
    stored = {item["stock_id"]["S"] for item in deployed.dynamodb.scan(TableName=deployed.table_name)["Items"]}
    decoded = {"/stocks/caf%C3%A9": "café", "/stocks/A%2541": "A%41"}[path]
    assert stored == {decoded, "x" + decoded}


def test_a_get_answers_with_the_shape_format_2_0_takes_as_it_is(api):
    """With `statusCode` present, API Gateway uses the response as given rather than inferring one."""
    response = api(http_api_event("GET", "/stocks/never-set"), None)
    assert set(response) == {"statusCode", "headers", "body", "isBase64Encoded"}
