"""REST API proxy events (payload format 1.0) read into the stock API's requests: where 1.0 puts the method, the
path, its parameters (still percent-encoded) and the time of the request."""

from datetime import UTC, datetime

import pytest

from adapters.inbound.api_gateway_v1 import parse_request
from adapters.inbound.stock_api import ApiError, GetItemRequest, ListLowItemsRequest, SetLevelRequest
from domain.stock import StockUpdate
from harness.lambda_events import api_event, load

REQUEST_TIME = datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_original_post_body_sets_a_level_at_the_request_time():
    request = parse_request(api_event("POST", "/stocks", {"stock_id": "A000", "stock_level": 1}))
    assert request == SetLevelRequest(StockUpdate("A000", 1), REQUEST_TIME)


def test_put_takes_the_id_from_the_path():
    request = parse_request(api_event("PUT", "/stocks/A000", {"stock_level": 4}))
    assert request == SetLevelRequest(StockUpdate("A000", 4), REQUEST_TIME)


def test_get_reads_the_documented_sample_event():
    assert parse_request(load("api_gateway_rest_proxy.json")) == GetItemRequest("A000")


def test_path_parameter_is_url_decoded_when_api_gateway_gives_none():
    event = api_event("GET", "/stocks/A%C3%A9")
    event["pathParameters"] = None
    assert parse_request(event) == GetItemRequest("Aé")


@pytest.mark.parametrize(
    ("encoded", "stock_id"),
    [("caf%C3%A9", "café"), ("A%2B1", "A+1"), ("A+1", "A+1"), ("x%25y", "x%y"), ("x%2525y", "x%25y"), ("B%2F2", "B/2")],
)
def test_a_path_parameter_is_decoded_exactly_once_as_a_rest_api_delivers_it_encoded(encoded, stock_id):
    event = api_event("GET", f"/stocks/{encoded}")
    assert event["pathParameters"] == {"stock_id": encoded}  # as API Gateway (REST, payload 1.0) sends it
    assert parse_request(event) == GetItemRequest(stock_id)


def test_a_path_parameter_that_is_not_utf_8_once_decoded_is_refused():
    with pytest.raises(ApiError, match="not percent-encoded UTF-8") as refused:
        parse_request(api_event("GET", "/stocks/A%C3"))
    assert refused.value.status == 400


def test_the_id_api_gateway_matched_in_the_path_parameters_is_the_one_used():
    event = api_event("GET", "/stocks/A000")
    event["pathParameters"] = {"stock_id": "B%2F2"}
    assert parse_request(event) == GetItemRequest("B/2")


@pytest.mark.parametrize("parameters", [{}, {"stock_id": None}, ["B2"]])
def test_without_a_usable_path_parameter_the_id_is_read_from_the_path(parameters):
    event = api_event("GET", "/stocks/A000")
    event["pathParameters"] = parameters
    assert parse_request(event) == GetItemRequest("A000")


def test_without_a_request_time_the_update_is_received_now_in_utc():
    event = api_event("POST", "/stocks", {"stock_id": "A000", "stock_level": 1})
    del event["requestContext"]["requestTimeEpoch"]
    before = datetime.now(UTC)
    request = parse_request(event)
    assert isinstance(request, SetLevelRequest)
    assert before <= request.received_at <= datetime.now(UTC)


def test_a_list_request_reads_each_value_of_a_parameter_given_twice():
    """`queryStringParameters` keeps the last value only: the repeat is seen in `multiValueQueryStringParameters`."""
    event = api_event("GET", "/stocks", query="low=maybe&low=true")
    assert event["queryStringParameters"] == {"low": "true"}
    with pytest.raises(ApiError, match="low given more than once") as refused:
        parse_request(event)
    assert refused.value.status == 400


def test_a_list_request_takes_its_parameters_decoded_as_a_rest_api_hands_them_on():
    event = api_event("GET", "/stocks", query="low=true&limit=7&cursor=a-b_c.d")
    assert parse_request(event) == ListLowItemsRequest(7, "a-b_c.d")
