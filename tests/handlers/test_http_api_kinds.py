"""The same request gets the same answer through a REST API (payload 1.0) and an HTTP API (payload 2.0)."""

import json

import pytest

from handlers import http_api
from harness.lambda_events import api_event, http_api_event

# Each request as a client sends it: method, path (percent-encoded, with its query string if any), body, and whether
# the body travels base64.
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
    ("GET", "/stocks/B1?fields=all", None, False),
    ("PUT", "/stocks/B1?x=1", {"stock_level": 1}, False),
    ("PUT", "/stocks/A%231", {"stock_level": 1}, False),
    ("POST", "/stocks?source=shop", {"stock_id": "A?1", "stock_level": 1}, False),
    ("PUT", "/stocks/B5", {"stock_level": 1, "as_of": "9999-12-31T23:59:59Z"}, False),
    ("PUT", "/stocks/B5", {"stock_level": 1, "as_of": "2024-05-01T12:05:00Z"}, False),
    ("POST", "/stocks", {"stock_id": "B6", "stock_level": 1, "as_of": "0001-01-01T00:00:00+01:00"}, False),
    ("PUT", "/stocks/C1", {"reorder_point": 5}, False),
    ("PUT", "/stocks/C1", {"stock_level": 2, "reorder_point": None, "low_stock_alerts": False}, False),
    ("GET", "/stocks/C1", None, False),
    ("PUT", "/stocks/C1", {"reorder_point": -1}, False),
    ("PUT", "/stocks/C1", {"low_stock_alerts": "yes"}, False),
    ("PUT", "/stocks/C1", {"as_of": "2024-05-01T12:00:00Z"}, False),
    ("GET", "/stocks?low=true", None, False),
    ("GET", "/stocks?low=true&limit=2", None, False),
    ("GET", "/stocks?low=maybe", None, False),
    ("GET", "/stocks", None, False),
    ("GET", "/stocks?low=true&low=true", None, False),
    ("GET", "/stocks?low=true&cursor=e30.AAAA", None, False),
]


@pytest.fixture
def api(api_settings, clients):
    return http_api.build(api_settings, clients)


def answers(deployed, api, build):
    """Status and JSON body of each request in turn, on a table emptied first."""
    for item in deployed.dynamodb.scan(TableName=deployed.table_name)["Items"]:
        deployed.dynamodb.delete_item(TableName=deployed.table_name, Key={"stock_id": item["stock_id"]})
    found = []
    for method, target, body, base64_body in REQUESTS:
        path, _, query = target.partition("?")
        response = api(build(method, path, body, base64_body=base64_body, query=query), None)
        found.append((method, target, response["statusCode"], json.loads(response["body"]), response["headers"]))
    return found


def test_both_payload_formats_get_the_same_answers(deployed, api, low_items_index):
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
        400,
        200,
        400,
        400,
        400,
        400,
        405,
        400,
        400,
        400,
        400,
        400,
        400,  # dated past the year a stored time holds, once far ahead of its receipt
        200,  # five minutes ahead of its receipt: as far as a time may be
        400,  # before the first time a stored time holds, once in UTC
        200,
        200,  # as of the same time as the one before: its reorder point is stale, the rest applied
        200,
        400,
        400,
        400,
        200,
        200,
        400,
        400,
        400,
        400,
    ]


def stored_ids(deployed):
    return {item["stock_id"]["S"] for item in deployed.dynamodb.scan(TableName=deployed.table_name)["Items"]}


def test_an_item_id_is_decoded_once_on_either_kind(deployed, api):
    api(http_api_event("PUT", "/stocks/caf%C3%A9", {"stock_level": 2}), None)
    api(api_event("PUT", "/stocks/xcaf%C3%A9", {"stock_level": 2}), None)
    assert stored_ids(deployed) == {"café", "xcafé"}


def test_an_item_id_with_a_percent_sign_stored_before_the_rule_of_new_ids_is_read_decoded_once_on_either_kind(
    deployed, api
):
    deployed.dynamodb.put_item(
        TableName=deployed.table_name,
        Item={"stock_id": {"S": "A%41"}, "stock_level": {"N": "3"}, "as_of": {"S": "2024-05-01T00:00:00.000000Z"}},
    )
    for build in (api_event, http_api_event):
        response = api(build("GET", "/stocks/A%2541"), None)
        assert (response["statusCode"], json.loads(response["body"])["stock_id"]) == (200, "A%41")


@pytest.mark.parametrize("path", ["/stocks/A%3F1", "/stocks/A%3F1%3F2", "/stocks/A%3FB%3D1"])
def test_an_id_the_http_api_would_cut_at_its_question_mark_sets_no_item_on_either_kind(deployed, api, path):
    """Refused on both with a 400, for different reasons: the REST API hands on `A?1`, which no new item may be
    called; the HTTP API hands on `/stocks/A` and what followed the `?` as a query string, which an item's path does
    not take. Never a level for `A`."""
    for build in (api_event, http_api_event):
        response = api(build("PUT", path, {"stock_level": 2}), None)
        assert response["statusCode"] == 400, build.__name__
    assert stored_ids(deployed) == set()


def test_a_get_answers_with_the_shape_format_2_0_takes_as_it_is(api):
    """With `statusCode` present, API Gateway uses the response as given rather than inferring one."""
    response = api(http_api_event("GET", "/stocks/never-set"), None)
    assert set(response) == {"statusCode", "headers", "body", "isBase64Encoded"}
