"""HTTP API events (payload format 2.0) read into the same requests as the REST API's (1.0) for the same call."""

import pytest

from adapters.inbound.api_gateway_v1 import parse_request
from adapters.inbound.api_gateway_v2 import is_http_api_event, parse_http_api_request
from adapters.inbound.stock_api import ApiError, GetItemRequest, ListLowItemsRequest, SetLevelRequest
from harness.lambda_events import api_event, http_api_event, load

CALLS = [
    ("POST", "/stocks", {"stock_id": "A000", "stock_level": 1}, False),
    ("PUT", "/stocks/B1", {"stock_level": 4, "as_of": "2024-01-01T00:00:00Z"}, False),
    ("GET", "/stocks/B1", None, False),
    ("GET", "/stocks/caf%C3%A9", None, False),
    ("GET", "/stocks/A%2541", None, False),
    ("PUT", "/stocks/B2", b'{"stock_level": 5}', True),
    ("PUT", "/stocks/B3", {"reorder_point": 5, "low_stock_alerts": False}, False),
    ("PUT", "/stocks/B3", {"reorder_point": None}, False),
    ("GET", "/stocks?low=true", None, False),
    ("GET", "/stocks?low=true&limit=3&cursor=abc.def", None, False),
]


def outcome(parse, event):
    try:
        return parse(event)
    except ApiError as error:
        return (error.status, error.message, error.headers)


@pytest.mark.parametrize(("method", "target", "body", "base64_body"), CALLS)
def test_a_call_reads_the_same_in_either_format(method, target, body, base64_body):
    path, _, query = target.partition("?")
    rest = parse_request(
        api_event(method, path, body, base64_body=base64_body, request_time_ms=1714564801234, query=query)
    )
    http = parse_http_api_request(
        http_api_event(method, path, body, base64_body=base64_body, request_time_ms=1714564801234, query=query)
    )
    assert http == rest
    expected = SetLevelRequest if method != "GET" else ListLowItemsRequest if query else GetItemRequest
    assert isinstance(http, expected)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("DELETE", "/stocks/B1", None),
        ("GET", "/nowhere", None),
        ("PUT", "/stocks/B1", "{not json"),
        ("PUT", "/stocks/B1", None),
        ("POST", "/stocks", {"stock_level": 1}),
        ("PUT", "/stocks/B1", {"reorder_point": -1}),
        ("PUT", "/stocks/B1", {"low_stock_alerts": "false"}),
        ("GET", "/stocks", None),
        ("GET", "/stocks?low=maybe", None),
        ("GET", "/stocks?low=true&limit=0", None),
        ("GET", "/stocks?low=true&sort=id", None),
        ("GET", "/stocks?low=true&low=true", None),
        ("GET", "/stocks?low=true&limit=1&limit=2", None),
        ("DELETE", "/stocks", None),
    ],
)
def test_a_refusal_is_the_same_in_either_format(method, path, body):
    path, _, query = path.partition("?")
    assert outcome(parse_http_api_request, http_api_event(method, path, body, query=query)) == outcome(
        parse_request, api_event(method, path, body, query=query)
    )


QUERY_REFUSED: tuple[int, str, dict[str, str]] = (
    400,
    "/stocks/A has a query string, which /stocks/{stock_id} does not take: the item id goes whole in the path, "
    "percent-encoded",
    {},
)


def test_a_path_the_http_api_cut_at_a_decoded_question_mark_is_refused_not_read_as_another_item():
    """`PUT /stocks/A%3F1` reaches the function as `/stocks/A` with `1` after it: refused, never a level for `A`."""
    event = http_api_event("PUT", "/stocks/A%3F1", {"stock_level": 1})
    assert (event["rawPath"], event["pathParameters"], event["rawQueryString"]) == ("/stocks/A", {"stock_id": "A"}, "1")
    assert outcome(parse_http_api_request, event) == QUERY_REFUSED


@pytest.mark.parametrize(
    "query_fields",
    [
        {"rawQueryString": "x=1"},
        {"queryStringParameters": {"x": "1"}},
        {"rawQueryString": "1", "queryStringParameters": {"1": ""}},
    ],
)
def test_either_field_of_a_query_string_on_an_items_path_is_enough_to_refuse_it(query_fields):
    event = http_api_event("GET", "/stocks/A") | query_fields
    assert outcome(parse_http_api_request, event) == QUERY_REFUSED


@pytest.mark.parametrize("query", ["fields=all", "a=1&a=2", "1"])
def test_a_query_string_on_an_items_path_is_refused_the_same_in_either_format(query):
    assert outcome(parse_http_api_request, http_api_event("GET", "/stocks/A", query=query)) == outcome(
        parse_request, api_event("GET", "/stocks/A", query=query)
    )


@pytest.mark.parametrize(("encoded", "found"), [("A%231", "'#'"), ("A%2541", "'%'")])
def test_an_id_no_new_item_may_have_is_refused_the_same_in_either_format(encoded, found):
    """A decoded `#` stays in an HTTP API's path (the captures in harness.lambda_events.http_api_path_and_query)."""
    http = outcome(parse_http_api_request, http_api_event("PUT", f"/stocks/{encoded}", {"stock_level": 1}))
    assert http == outcome(parse_request, api_event("PUT", f"/stocks/{encoded}", {"stock_level": 1}))
    assert http[:2] == (
        400,
        f"stock_id must not contain '?', '#', '%' or '/' (found {found}), which a URL path does not carry intact "
        "through every API",
    )


def test_the_documented_event_is_read():
    request = parse_http_api_request(load("api_gateway_http_proxy.json"))
    assert isinstance(request, SetLevelRequest)
    assert (request.update.stock_id, request.update.level) == ("A000", 4)
    assert request.received_at.isoformat() == "2024-05-01T12:00:00+00:00"  # requestContext.timeEpoch


def test_the_item_id_is_taken_as_the_http_api_decoded_it():
    event = http_api_event("GET", "/stocks/A%2541")
    assert event["pathParameters"] == {"stock_id": "A%41"}
    assert parse_http_api_request(event) == GetItemRequest("A%41")


def test_a_path_without_its_parameters_is_not_an_item():
    event = http_api_event("GET", "/stocks/B1")
    del event["pathParameters"]
    assert outcome(parse_http_api_request, event)[0] == 404


def test_without_a_method_nothing_is_allowed():
    event = http_api_event("GET", "/stocks/B1")
    del event["requestContext"]["http"]["method"]
    assert outcome(parse_http_api_request, event) == (
        405,
        "method (none) is not allowed here; use GET, PUT",
        {"Allow": "GET, PUT"},
    )


def test_an_event_without_its_path_names_no_resource():
    event = http_api_event("GET", "/stocks/B1")
    del event["rawPath"]
    assert outcome(parse_http_api_request, event) == (
        404,
        "no such resource: (empty path); use /stocks or /stocks/{stock_id}",
        {},
    )


@pytest.mark.parametrize("parameters", ["B1", ["B1"], {"stock_id": 5}, {"id": "B1"}])
def test_path_parameters_not_shaped_as_aws_sends_them_name_no_item(parameters):
    event = http_api_event("GET", "/stocks/B1")
    event["pathParameters"] = parameters
    assert outcome(parse_http_api_request, event)[0] == 404


@pytest.mark.parametrize(
    ("event", "is_http"),
    [({"version": "2.0"}, True), ({"version": "1.0"}, False), ({}, False), ({"Version": "2.0"}, False)],
)
def test_only_a_version_2_0_event_is_an_http_api_event(event, is_http):
    assert is_http_api_event(event) is is_http


def test_a_parameter_given_twice_is_seen_in_the_raw_query_string_not_the_joined_values():
    """`queryStringParameters` joins the values of a name given twice with commas: `low=true,true`."""
    event = http_api_event("GET", "/stocks", query="low=true&low=true")
    assert event["queryStringParameters"] == {"low": "true,true"}
    assert outcome(parse_http_api_request, event) == (
        400,
        "query parameter(s) low given more than once; give each once",
        {},
    )


def test_a_list_request_without_a_raw_query_string_reads_the_parameters_map():
    event = http_api_event("GET", "/stocks", query="low=true&limit=9")
    event["rawQueryString"] = ""
    assert parse_http_api_request(event) == ListLowItemsRequest(9, None)


def test_the_raw_query_string_is_decoded_as_a_query_string():
    event = http_api_event("GET", "/stocks", query="low=%74rue&cursor=a%2Eb")
    assert parse_http_api_request(event) == ListLowItemsRequest(100, "a.b")
