import json
from datetime import UTC, datetime

import pytest

from adapters.inbound.api_gateway import (
    MAX_BODY_BYTES,
    ApiError,
    GetLevelRequest,
    SetLevelRequest,
    error_response,
    level_response,
    parse_request,
    saved_response,
)
from domain.ports import SaveOutcome
from domain.stock import StockLevel, StockUpdate
from tests.events import api_event, load

REQUEST_TIME = datetime(2024, 5, 1, 12, tzinfo=UTC)


def refusal(event):
    with pytest.raises(ApiError) as caught:
        parse_request(event)
    return caught.value


def test_original_post_body_sets_a_level_at_the_request_time():
    request = parse_request(api_event("POST", "/stocks", {"stock_id": "A000", "stock_level": 1}))
    assert request == SetLevelRequest(StockUpdate("A000", 1), REQUEST_TIME)


def test_put_takes_the_id_from_the_path():
    request = parse_request(api_event("PUT", "/stocks/A000", {"stock_level": 4}))
    assert request == SetLevelRequest(StockUpdate("A000", 4), REQUEST_TIME)


def test_an_explicit_as_of_is_honoured():
    request = parse_request(api_event("PUT", "/stocks/A000", {"stock_level": "4", "as_of": "2024-01-01T00:00:00Z"}))
    assert isinstance(request, SetLevelRequest)
    assert request.update.as_of == datetime(2024, 1, 1, tzinfo=UTC)


def test_get_reads_the_documented_sample_event():
    assert parse_request(load("api_gateway_rest_proxy.json")) == GetLevelRequest("A000")


def test_path_parameter_is_url_decoded_when_api_gateway_gives_none():
    event = api_event("GET", "/stocks/A%C3%A9")
    event["pathParameters"] = None
    assert parse_request(event) == GetLevelRequest("Aé")


@pytest.mark.parametrize(
    ("encoded", "stock_id"),
    [("caf%C3%A9", "café"), ("A%2B1", "A+1"), ("A+1", "A+1"), ("x%25y", "x%y"), ("x%2525y", "x%25y"), ("B%2F2", "B/2")],
)
def test_a_path_parameter_is_decoded_exactly_once_as_a_rest_api_delivers_it_encoded(encoded, stock_id):
    event = api_event("GET", f"/stocks/{encoded}")
    assert event["pathParameters"] == {"stock_id": encoded}  # as API Gateway (REST, payload 1.0) sends it
    assert parse_request(event) == GetLevelRequest(stock_id)


def test_a_path_parameter_that_is_not_utf_8_once_decoded_is_refused():
    with pytest.raises(ApiError, match="not percent-encoded UTF-8") as refused:
        parse_request(api_event("GET", "/stocks/A%C3"))
    assert refused.value.status == 400


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
