"""The stock API's rules and answers, whichever payload format carried the request: read here from REST API events
(payload 1.0); `test_api_gateway_v2` shows an HTTP API event (2.0) reads the same."""

import base64
import json
from datetime import UTC, datetime

import pytest

from adapters.inbound.api_gateway_v1 import parse_request
from adapters.inbound.stock_api import (
    MAX_BODY_BYTES,
    ApiError,
    GetLevelRequest,
    SetLevelRequest,
    error_response,
    level_response,
    saved_response,
    unavailable_response,
)
from domain.ports import SaveOutcome
from domain.stock import StockLevel, StockUpdate
from harness.lambda_events import api_event

REQUEST_TIME = datetime(2024, 5, 1, 12, tzinfo=UTC)


def refusal(event):
    with pytest.raises(ApiError) as caught:
        parse_request(event)
    return caught.value


def test_an_explicit_as_of_is_honoured():
    request = parse_request(api_event("PUT", "/stocks/A000", {"stock_level": "4", "as_of": "2024-01-01T00:00:00Z"}))
    assert isinstance(request, SetLevelRequest)
    assert request.update.as_of == datetime(2024, 1, 1, tzinfo=UTC)


def test_base64_body_is_decoded():
    request = parse_request(api_event("POST", "/stocks", b'{"stock_id": "A000", "stock_level": 2}'))
    assert request == SetLevelRequest(StockUpdate("A000", 2), REQUEST_TIME)


@pytest.mark.parametrize(
    ("event", "status", "complaint"),
    [
        (api_event("POST", "/stocks", "{not json"), 400, "not valid JSON"),
        (api_event("POST", "/stocks", "[1, 2]"), 400, "must be a JSON object"),
        (api_event("POST", "/stocks", ""), 400, "empty"),
        (api_event("POST", "/stocks", None), 400, "empty"),
        (api_event("POST", "/stocks", {"stock_id": "A000"}), 400, "missing field"),
        (api_event("POST", "/stocks", {"stock_id": "A000", "stock_level": 1, "colour": "red"}), 400, "unknown field"),
        (api_event("POST", "/stocks", {"stock_id": "A 0", "stock_level": 1}), 400, "whitespace"),
        (api_event("POST", "/stocks", {"stock_id": "A000", "stock_level": 1.5}), 400, "whole number"),
        (api_event("POST", "/stocks", {"stock_id": "A000", "stock_level": True}), 400, "whole number"),
        (api_event("POST", "/stocks", {"stock_id": "A000", "stock_level": -3}), 400, "whole number"),
        (api_event("POST", "/stocks", '{"stock_id": "A000", "stock_level": NaN}'), 400, "not valid JSON"),
        (api_event("POST", "/stocks", '{"stock_id": "A000", "stock_level": ' + "9" * 5000 + "}"), 400, "JSON"),
        (api_event("POST", "/stocks", b"\xff\xfe not utf-8"), 400, "UTF-8"),
        (
            api_event("POST", "/stocks", "!!!not base64!!!", base64_body=False) | {"isBase64Encoded": True},
            400,
            "base64",
        ),
        (api_event("PUT", "/stocks/A000", {"stock_id": "A000", "stock_level": 1}), 400, "unknown field"),
        (api_event("PUT", "/stocks/A;1", {"stock_level": 1}), 400, "';'"),
        (api_event("GET", "/stocks/A;1"), 400, "';'"),
        (api_event("GET", "/inventory"), 404, "no such resource"),
        (api_event("GET", "/stocks/A/B"), 404, "no such resource"),
        (api_event("DELETE", "/stocks/A000"), 405, "not allowed"),
        (api_event("GET", "/stocks"), 405, "not allowed"),
        (api_event("POST", "/stocks", "x" * (MAX_BODY_BYTES + 1)), 413, "larger than"),
        (api_event("POST", "/stocks", b"x" * (MAX_BODY_BYTES + 1)), 413, "larger than"),
    ],
)
def test_bad_requests_are_refused_with_a_4xx_naming_the_problem(event, status, complaint):
    error = refusal(event)
    assert error.status == status
    assert complaint in error.message


def test_a_wrong_method_names_the_allowed_ones():
    response = error_response(refusal(api_event("DELETE", "/stocks/A000")))
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "GET, PUT"
    assert "message" in json.loads(response["body"])


def test_a_stored_level_is_rendered_as_json():
    response = level_response("A000", StockLevel("A000", 3, REQUEST_TIME))
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    assert json.loads(response["body"]) == {
        "stock_id": "A000",
        "stock_level": 3,
        "as_of": "2024-05-01T12:00:00.000000Z",
    }


def test_an_unknown_item_is_a_404_with_a_message():
    response = level_response("A000", None)
    assert response["statusCode"] == 404
    assert "A000" in json.loads(response["body"])["message"]


def test_an_applied_update_answers_what_is_now_stored():
    request = SetLevelRequest(StockUpdate("A000", 1), REQUEST_TIME)
    response = saved_response(request, SaveOutcome(applied=True, previous=None))
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["stock_level"] == 1


def test_a_stale_update_is_a_409_showing_the_stored_level():
    request = SetLevelRequest(StockUpdate("A000", 1, datetime(2020, 1, 1, tzinfo=UTC)), REQUEST_TIME)
    stored = StockLevel("A000", 8, REQUEST_TIME)
    response = saved_response(request, SaveOutcome(applied=False, previous=stored))
    document = json.loads(response["body"])
    assert response["statusCode"] == 409
    assert "stale" in document["message"]
    assert document["stock_level"] == 8


def marked_base64(body):
    return api_event("POST", "/stocks", body, base64_body=False) | {"isBase64Encoded": True}


@pytest.mark.parametrize(
    ("event", "status", "message"),
    [
        (
            api_event("GET", "/stocks/A000") | {"httpMethod": None},
            405,
            "method (none) is not allowed here; use GET, PUT",
        ),
        (
            api_event("GET", "/stocks/A000") | {"path": None},
            404,
            "no such resource: (empty path); use /stocks or /stocks/{stock_id}",
        ),
        (api_event("POST", "/stocks", " \n"), 400, "the request body is empty; send a JSON object"),
        (api_event("POST", "/stocks", b"\xff"), 400, "the request body is not UTF-8 text"),
        # A lone surrogate: what the runtime's JSON decoder makes of "\ud800" in the event document.
        (api_event("POST", "/stocks", '{"stock_id": "A\ud800"}'), 400, "the request body is not UTF-8 text"),
        (api_event("POST", "/stocks", "[]"), 400, "the request body must be a JSON object"),
        (api_event("POST", "/stocks", "NaN"), 400, "the request body is not valid JSON: NaN is not a JSON number"),
        (api_event("POST", "/stocks") | {"body": {"stock_level": 1}}, 400, "the request body must be text"),
        (marked_base64("!not base64!"), 400, "the request body is marked base64 but is not valid base64"),
        (
            api_event("POST", "/stocks", {"colour": "red", "size": 1}),
            400,
            "unknown field(s) colour, size; allowed: stock_id, stock_level, as_of",
        ),
        (api_event("POST", "/stocks", {}), 400, "missing field(s) stock_id, stock_level"),
    ],
)
def test_a_refusal_says_exactly_what_is_wrong(event, status, message):
    error = refusal(event)
    assert (error.status, error.message) == (status, message)


def test_a_body_of_exactly_the_size_limit_is_read():
    body = json.dumps({"stock_id": "A000", "stock_level": 1}).ljust(MAX_BODY_BYTES)
    assert parse_request(api_event("POST", "/stocks", body)) == SetLevelRequest(StockUpdate("A000", 1), REQUEST_TIME)


@pytest.mark.parametrize(("length", "status"), [(2 * MAX_BODY_BYTES, 400), (2 * MAX_BODY_BYTES + 1, 413)])
def test_a_body_no_encoding_could_bring_within_the_limit_is_refused_before_it_is_decoded(length, status):
    assert refusal(marked_base64("!" * length)).status == status


def test_a_base64_body_with_a_character_outside_the_alphabet_is_refused_not_read_without_it():
    encoded = base64.b64encode(b'{"stock_id": "A000", "stock_level": 2}').decode()
    assert refusal(marked_base64(encoded[:8] + "*" + encoded[8:])).status == 400


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        (
            StockLevel("A000", 8, REQUEST_TIME),
            "stale update ignored: a level as of 2024-05-01T12:00:00.000000Z is already stored for A000, "
            "and this update is as of 2020-01-01T00:00:00.000000Z",
        ),
        (
            None,
            "stale update ignored: a level as of ? is already stored for A000, "
            "and this update is as of 2020-01-01T00:00:00.000000Z",
        ),
    ],
)
def test_a_stale_update_names_the_stored_time_when_it_is_known(stored, message):
    request = SetLevelRequest(StockUpdate("A000", 1, datetime(2020, 1, 1, tzinfo=UTC)), REQUEST_TIME)
    response = saved_response(request, SaveOutcome(applied=False, previous=stored))
    assert (response["statusCode"], json.loads(response["body"])["message"]) == (409, message)


def test_an_unavailable_store_is_a_503_the_client_may_retry_a_second_later():
    assert unavailable_response() == {
        "statusCode": 503,
        "headers": {"Content-Type": "application/json", "Retry-After": "1"},
        "body": json.dumps({"message": "the stock store is unavailable; retry later"}),
        "isBase64Encoded": False,
    }


NEW_ID_RULE = (
    "stock_id must not contain '?', '#', '%' or '/' (found {}), which a URL path does not carry intact "
    "through every API"
)


@pytest.mark.parametrize(
    ("event", "found"),
    [
        (api_event("PUT", "/stocks/A%3F1", {"stock_level": 1}), "'?'"),
        (api_event("PUT", "/stocks/A%231", {"stock_level": 1}), "'#'"),
        (api_event("PUT", "/stocks/A%2541", {"stock_level": 1}), "'%'"),
        (api_event("POST", "/stocks", {"stock_id": "A?1", "stock_level": 1}), "'?'"),
        (api_event("POST", "/stocks", {"stock_id": "A#1", "stock_level": 1}), "'#'"),
        (api_event("POST", "/stocks", {"stock_id": "A%41", "stock_level": 1}), "'%'"),
    ],
)
def test_a_level_is_set_only_for_an_id_every_kind_of_api_carries_intact(event, found):
    """A PUT or POST may make an item: held to the rule of new ids (an HTTP API would cut `A%3F1` to `A`)."""
    error = refusal(event)
    assert (error.status, error.message) == (400, NEW_ID_RULE.format(found))


@pytest.mark.parametrize(("encoded", "stock_id"), [("A%3F1", "A?1"), ("A%231", "A#1"), ("A%2541", "A%41")])
def test_an_item_stored_before_the_rule_of_new_ids_is_still_read_through_its_encoded_path(encoded, stock_id):
    assert parse_request(api_event("GET", f"/stocks/{encoded}")) == GetLevelRequest(stock_id)


@pytest.mark.parametrize(
    ("method", "body", "query"),
    [("GET", None, "fields=all"), ("PUT", {"stock_level": 1}, "x=1"), ("GET", None, "1"), ("GET", None, "a=1&a=2")],
)
def test_a_query_string_on_an_items_path_is_refused(method, body, query):
    """An HTTP API cuts a path at a decoded `?`: what followed it comes as a query string, the item id without it."""
    error = refusal(api_event(method, "/stocks/A1", body, query=query))
    assert (error.status, error.message) == (
        400,
        "/stocks/A1 has a query string, which /stocks/{stock_id} does not take: the item id goes whole in the path, "
        "percent-encoded",
    )


@pytest.mark.parametrize("field", ["queryStringParameters", "multiValueQueryStringParameters"])
def test_either_field_of_a_query_string_is_enough_to_refuse_it(field):
    event = api_event("GET", "/stocks/A1", query="x=1")
    event[field] = None
    assert refusal(event).status == 400


def test_a_query_string_on_the_collection_is_ignored_as_before():
    event = api_event("POST", "/stocks", {"stock_id": "A000", "stock_level": 2}, query="x=1")
    assert parse_request(event) == SetLevelRequest(StockUpdate("A000", 2), REQUEST_TIME)


def test_a_wrong_method_with_a_query_string_is_told_the_methods_first():
    assert refusal(api_event("DELETE", "/stocks/A1", query="x=1")).status == 405
