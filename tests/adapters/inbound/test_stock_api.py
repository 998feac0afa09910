"""The stock API's rules and answers, whichever payload format carried the request: read here from REST API events
(payload 1.0); `test_api_gateway_v2` shows an HTTP API event (2.0) reads the same."""

import base64
import json
from datetime import UTC, datetime

import pytest

from adapters.inbound.api_gateway_v1 import parse_request
from adapters.inbound.stock_api import (
    INVALID_CURSOR,
    MAX_BODY_BYTES,
    ApiError,
    GetItemRequest,
    ListCursors,
    ListLowItemsRequest,
    SetLevelRequest,
    error_response,
    item_response,
    list_response,
    saved_response,
    unavailable_response,
)
from domain.item import Source, StockItem, Versioned
from domain.ports import ApplyOutcome
from domain.stock import Field, StockUpdate
from domain.use_cases import LowStatusPage, StockRules, status_of
from harness.cursor_seal import FakeCursorSeal
from harness.lambda_events import api_event

REQUEST_TIME = datetime(2024, 5, 1, 12, tzinfo=UTC)
EARLIER = datetime(2020, 1, 1, tzinfo=UTC)
RULES = StockRules(default_reorder_point=3)


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
    ("body", "update"),
    [
        ({"reorder_point": 5}, StockUpdate("A000", reorder_point=5)),
        ({"reorder_point": 0}, StockUpdate("A000", reorder_point=0)),
        ({"reorder_point": 1_000_000_000}, StockUpdate("A000", reorder_point=1_000_000_000)),
        ({"reorder_point": None}, StockUpdate("A000", reorder_point=None)),
        ({"low_stock_alerts": False}, StockUpdate("A000", low_stock_alerts=False)),
        ({"low_stock_alerts": True}, StockUpdate("A000", low_stock_alerts=True)),
        (
            {"stock_level": 3, "reorder_point": 4, "low_stock_alerts": True, "as_of": "2024-01-01T00:00:00Z"},
            StockUpdate("A000", 3, datetime(2024, 1, 1, tzinfo=UTC), reorder_point=4, low_stock_alerts=True),
        ),
    ],
)
def test_a_put_sets_any_of_the_level_the_reorder_point_and_the_alerts_switch(body, update):
    assert parse_request(api_event("PUT", "/stocks/A000", body)) == SetLevelRequest(update, REQUEST_TIME)


def test_a_post_sets_a_reorder_point_for_the_item_its_body_names():
    request = parse_request(api_event("POST", "/stocks", {"stock_id": "A000", "reorder_point": 7}))
    assert request == SetLevelRequest(StockUpdate("A000", reorder_point=7), REQUEST_TIME)


REORDER_POINT_RULE = "reorder_point must be a whole number from 0 to 1000000000"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, f"{REORDER_POINT_RULE}, not -1"),
        (1.5, f"{REORDER_POINT_RULE}, or null, not 1.5"),
        (5.0, f"{REORDER_POINT_RULE}, or null, not 5.0"),
        ("5", f"{REORDER_POINT_RULE}, or null, not '5'"),
        (1_000_000_001, f"{REORDER_POINT_RULE}, not 1000000001"),
        (10**30, f"{REORDER_POINT_RULE}, not {10**30}"),
        (True, f"{REORDER_POINT_RULE}, or null, not True"),
        ([5], f"{REORDER_POINT_RULE}, or null, not [5]"),
    ],
)
def test_a_reorder_point_that_is_not_a_whole_number_in_range_is_refused_naming_the_field(value, message):
    error = refusal(api_event("PUT", "/stocks/A000", {"reorder_point": value}))
    assert (error.status, error.message) == (400, message)


@pytest.mark.parametrize("value", ["true", "false", 1, 0, None, "yes", {}])
def test_an_alerts_switch_that_is_not_a_json_boolean_is_refused_naming_the_field(value):
    error = refusal(api_event("PUT", "/stocks/A000", {"low_stock_alerts": value}))
    assert (error.status, error.message) == (400, f"low_stock_alerts must be true or false, not {value!r}")


@pytest.mark.parametrize(
    "event",
    [
        api_event("PUT", "/stocks/A000", {}),
        api_event("PUT", "/stocks/A000", {"as_of": "2024-01-01T00:00:00Z"}),
        api_event("POST", "/stocks", {"stock_id": "A000"}),
    ],
)
def test_an_update_that_sets_none_of_the_fields_is_refused_naming_them(event):
    error = refusal(event)
    assert (error.status, error.message) == (
        400,
        "an update must set at least one of stock_level, reorder_point, low_stock_alerts",
    )


@pytest.mark.parametrize("field", ["stock_level", "low_stock_alerts"])
def test_a_null_level_or_switch_is_refused_rather_than_read_as_absent(field):
    """Only a reorder point has a meaning for null: back to the stack's default."""
    error = refusal(api_event("PUT", "/stocks/A000", {field: None}))
    assert (error.status, error.message.split(" ")[0]) == (400, field)


@pytest.mark.parametrize(
    ("event", "status", "complaint"),
    [
        (api_event("POST", "/stocks", "{not json"), 400, "not valid JSON"),
        (api_event("POST", "/stocks", "[1, 2]"), 400, "must be a JSON object"),
        (api_event("POST", "/stocks", ""), 400, "empty"),
        (api_event("POST", "/stocks", None), 400, "empty"),
        (api_event("POST", "/stocks", {"stock_level": 1}), 400, "missing field"),
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
        (api_event("GET", "/stocks"), 400, "low=true"),
        (api_event("DELETE", "/stocks"), 405, "use GET, POST"),
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


def at(day: int) -> datetime:
    return datetime(2024, 5, day, 12, tzinfo=UTC)


def test_an_item_is_rendered_with_each_field_its_time_and_what_the_rule_says_of_it():
    item = StockItem(
        "A000",
        level=Versioned(3, at(1)),
        reorder_point=Versioned(5, at(2)),
        low_stock_alerts=Versioned(True, at(3)),
        default_reorder_point=1,
    )
    response = item_response("A000", status_of(item, RULES))
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    assert json.loads(response["body"]) == {
        "stock_id": "A000",
        "stock_level": 3,
        "as_of": "2024-05-01T12:00:00.000000Z",
        "reorder_point": 5,
        "reorder_point_source": "item",
        "reorder_point_as_of": "2024-05-02T12:00:00.000000Z",
        "low_stock_alerts": True,
        "low_stock_alerts_as_of": "2024-05-03T12:00:00.000000Z",
        "low": True,
    }


def test_an_item_with_a_reorder_point_and_no_level_yet_is_not_low_and_has_no_level_time():
    item = StockItem("A000", reorder_point=Versioned(5, at(2)), default_reorder_point=1)
    document = json.loads(item_response("A000", status_of(item, RULES))["body"])
    assert (document["stock_level"], document["as_of"], document["low"]) == (None, None, False)
    assert (document["reorder_point"], document["reorder_point_source"]) == (5, "item")


def test_an_item_stored_before_reorder_points_shows_the_readers_default_and_alerts_on_never_set():
    document = json.loads(item_response("A000", status_of(StockItem("A000", level=Versioned(3, at(1))), RULES))["body"])
    assert {name: document[name] for name in document if name.startswith(("reorder", "low"))} == {
        "reorder_point": 3,
        "reorder_point_source": "default",
        "reorder_point_as_of": None,
        "low_stock_alerts": True,
        "low_stock_alerts_as_of": None,
        "low": True,
    }


def test_a_reorder_point_set_back_to_the_default_keeps_its_time_and_an_alerts_switch_off_is_never_low():
    item = StockItem(
        "A000",
        level=Versioned(0, at(1)),
        reorder_point=Versioned(None, at(2)),
        low_stock_alerts=Versioned(False, at(3)),
        default_reorder_point=2,
    )
    document = json.loads(item_response("A000", status_of(item, RULES))["body"])
    assert (document["reorder_point"], document["reorder_point_source"], document["reorder_point_as_of"]) == (
        2,
        "default",
        "2024-05-02T12:00:00.000000Z",
    )
    assert (document["low_stock_alerts"], document["low"]) == (False, False)


def test_an_unknown_item_is_a_404_with_a_message():
    response = item_response("A000", None)
    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"message": "no stock level is stored for A000"}


STORED = StockItem("A000", level=Versioned(8, at(5)), reorder_point=Versioned(2, at(2)), default_reorder_point=3)


def saved(update, applied, stale, previous):
    response = saved_response(update, ApplyOutcome(frozenset(applied), frozenset(stale), previous), RULES)
    return response["statusCode"], json.loads(response["body"])


def test_an_applied_update_answers_the_item_as_it_is_now_with_no_stale_fields():
    status, document = saved(StockUpdate("A000", 1, REQUEST_TIME), {Field.LEVEL}, (), None)
    assert status == 200
    assert document == {
        "stock_id": "A000",
        "stock_level": 1,
        "as_of": "2024-05-01T12:00:00.000000Z",
        "reorder_point": 3,
        "reorder_point_source": "default",
        "reorder_point_as_of": None,
        "low_stock_alerts": True,
        "low_stock_alerts_as_of": None,
        "low": True,
        "stale_fields": [],
    }


def test_an_update_partly_stale_answers_the_fields_it_applied_and_names_the_stale_ones():
    update = StockUpdate("A000", 1, at(3), reorder_point=9, low_stock_alerts=False)
    status, document = saved(update, {Field.REORDER_POINT, Field.ALERTS}, {Field.LEVEL}, STORED)
    assert status == 200
    assert (document["stock_level"], document["as_of"]) == (8, "2024-05-05T12:00:00.000000Z")  # the stored level
    assert (document["reorder_point"], document["reorder_point_as_of"]) == (9, "2024-05-03T12:00:00.000000Z")
    assert (document["low_stock_alerts"], document["low"]) == (False, False)
    assert document["stale_fields"] == ["stock_level"]


def test_a_wholly_stale_update_is_a_409_naming_each_field_and_its_stored_time_with_the_item_as_stored():
    update = StockUpdate("A000", 1, EARLIER, reorder_point=4)
    status, document = saved(update, (), {Field.LEVEL, Field.REORDER_POINT}, STORED)
    assert status == 409
    assert document["message"] == (
        "stale update ignored: A000 already has stock_level as of 2024-05-05T12:00:00.000000Z and reorder_point as "
        "of 2024-05-02T12:00:00.000000Z, and this update is as of 2020-01-01T00:00:00.000000Z"
    )
    assert (document["stock_level"], document["reorder_point"], document["stale_fields"]) == (
        8,
        2,
        ["stock_level", "reorder_point"],
    )


def test_a_stale_update_names_the_stored_time_only_when_it_is_known():
    status, document = saved(StockUpdate("A000", 1, EARLIER), (), {Field.LEVEL}, None)
    assert (status, document) == (
        409,
        {
            "message": "stale update ignored: A000 already has stock_level as of ?, and this update is as of "
            "2020-01-01T00:00:00.000000Z",
            "stale_fields": ["stock_level"],
        },
    )


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
            "unknown field(s) colour, size; allowed: stock_id, stock_level, reorder_point, low_stock_alerts, as_of",
        ),
        (
            api_event("PUT", "/stocks/A1", {"stock_id": "A1", "threshold": 1}),
            400,
            "unknown field(s) stock_id, threshold; allowed: stock_level, reorder_point, low_stock_alerts, as_of",
        ),
        (api_event("POST", "/stocks", {}), 400, "missing field stock_id"),
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
    assert parse_request(api_event("GET", f"/stocks/{encoded}")) == GetItemRequest(stock_id)


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


# --- GET /stocks: the list of low items.


def listing(query):
    return parse_request(api_event("GET", "/stocks", query=query))


@pytest.mark.parametrize(
    ("query", "request_"),
    [
        ("low=true", ListLowItemsRequest(100, None)),
        ("low=true&limit=1", ListLowItemsRequest(1, None)),
        ("limit=1000&low=true", ListLowItemsRequest(1000, None)),
        ("low=true&limit=25&cursor=abc.def", ListLowItemsRequest(25, "abc.def")),
    ],
)
def test_a_list_request_takes_its_limit_and_its_cursor_as_given(query, request_):
    assert listing(query) == request_


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "GET /stocks lists the items that are low now: add low=true, the one list it serves"),
        ("limit=5", "GET /stocks lists the items that are low now: add low=true, the one list it serves"),
        ("low=maybe", "low must be true, the one list GET /stocks serves, not 'maybe'"),
        ("low=True", "low must be true, the one list GET /stocks serves, not 'True'"),
        ("low=false", "low must be true, the one list GET /stocks serves, not 'false'"),
        ("low", "low must be true, the one list GET /stocks serves, not ''"),
        ("low=true&limit=0", "limit must be a whole number from 1 to 1000, not '0'"),
        ("low=true&limit=1001", "limit must be a whole number from 1 to 1000, not '1001'"),
        ("low=true&limit=-1", "limit must be a whole number from 1 to 1000, not '-1'"),
        ("low=true&limit=2.5", "limit must be a whole number from 1 to 1000, not '2.5'"),
        ("low=true&limit=%2B5", "limit must be a whole number from 1 to 1000, not '+5'"),
        ("low=true&limit=%205", "limit must be a whole number from 1 to 1000, not ' 5'"),
        ("low=true&limit=%D9%A5", "limit must be a whole number from 1 to 1000, not '\u0665'"),
        ("low=true&limit=00005", "limit must be a whole number from 1 to 1000, not '00005'"),
        ("low=true&limit=", "limit must be a whole number from 1 to 1000, not ''"),
        ("low=true&page=2", "unknown query parameter(s) page; GET /stocks takes low, limit, cursor"),
        ("low=true&b=1&a=2", "unknown query parameter(s) a, b; GET /stocks takes low, limit, cursor"),
        ("low=true&low=true", "query parameter(s) low given more than once; give each once"),
        ("low=true&limit=5&limit=6", "query parameter(s) limit given more than once; give each once"),
        ("cursor=x&low=true&cursor=y", "query parameter(s) cursor given more than once; give each once"),
    ],
)
def test_a_list_request_is_refused_with_a_400_naming_the_parameter_at_fault(query, message):
    with pytest.raises(ApiError) as refused:
        listing(query)
    assert (refused.value.status, refused.value.message) == (400, message)


def test_a_list_request_in_an_event_without_the_multi_value_map_reads_the_single_one():
    event = api_event("GET", "/stocks", query="low=true&limit=3")
    event["multiValueQueryStringParameters"] = None
    assert parse_request(event) == ListLowItemsRequest(3, None)


# --- The list's cursors.

TABLE = "stock-levels"


@pytest.fixture
def cursors():
    return ListCursors(FakeCursorSeal(), TABLE)


def test_a_cursor_gives_back_the_position_it_was_made_for(cursors):
    for position in ["3/A000", "0/café;x", "7/" + "é" * 128, "5/\U0001f600"]:
        assert cursors.position(cursors.cursor(position)) == position


def test_a_cursor_is_safe_in_a_url_as_it_is(cursors):
    cursor = cursors.cursor("7/" + "\U0001f600?&=/+ #" * 16)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def not_valid(cursors, cursor):
    with pytest.raises(ApiError) as refused:
        cursors.position(cursor)
    return (refused.value.status, refused.value.message) == (400, INVALID_CURSOR)


def test_a_cursor_altered_anywhere_is_refused(cursors):
    cursor = cursors.cursor("3/A000")
    for index, character in enumerate(cursor):
        for replacement in {"A", "B", "_", "-", "."} - {character}:
            assert not_valid(cursors, cursor[:index] + replacement + cursor[index + 1 :]), (index, replacement)


def test_a_cursor_truncated_or_extended_is_refused(cursors):
    cursor = cursors.cursor("3/A000")
    for length in range(len(cursor)):
        assert not_valid(cursors, cursor[:length]), length
    assert not_valid(cursors, cursor + "A")
    assert not_valid(cursors, cursor + "=")


def sealed(document, seal, table=TABLE):
    """A cursor sealed with `seal` for `table`'s list around a document of one's choosing."""
    payload = base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")
    tag = seal.tag(f"{payload}.{table}".encode())
    return f"{payload}.{base64.urlsafe_b64encode(tag).decode().rstrip('=')}"


def payload_of(cursor):
    payload = cursor.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_cursor_sealed_by_hand_as_the_list_seals_opens(cursors):
    """The helper below seals as the list does: what it makes is refused for what it holds, not for how it is made."""
    assert cursors.position(sealed({"v": "v1", "f": "low=true", "p": "3/A000"}, FakeCursorSeal())) == "3/A000"


@pytest.mark.parametrize(
    ("document", "table"),
    [
        ({"v": "v1", "f": "low=true", "p": "3/A000"}, "other-table"),
        ({"v": "v1", "f": "low=false", "p": "3/A000"}, TABLE),
        ({"v": "v0", "f": "low=true", "p": "3/A000"}, TABLE),
        ({"v": "v1", "f": "low=true"}, TABLE),
        ({"v": "v1", "f": "low=true", "p": 3}, TABLE),
        ({"v": "v1", "f": "low=true", "p": "3/A000", "x": "1"}, TABLE),
        ({"v": "v1", "t": TABLE, "f": "low=true", "p": "3/A000"}, TABLE),  # the table named in the document
        (["v1", "low=true", "3/A000"], TABLE),
    ],
)
def test_a_cursor_sealed_with_the_key_but_for_another_table_filter_or_key_version_is_refused(cursors, document, table):
    """Only the document this list makes opens: a cursor copied from another stack, list or key is not one."""
    assert not_valid(cursors, sealed(document, FakeCursorSeal(), table))


def test_a_cursor_of_another_tables_list_is_refused():
    seal = FakeCursorSeal()
    assert not_valid(ListCursors(seal, TABLE), ListCursors(seal, "stock-levels-other").cursor("3/A000"))


def test_a_cursor_does_not_show_its_client_the_table_it_is_bound_to(cursors):
    """The table's name is in what the tag covers, not in the document a client can decode."""
    cursor = cursors.cursor("3/A000")
    assert payload_of(cursor) == {"v": "v1", "f": "low=true", "p": "3/A000"}
    assert TABLE not in base64.urlsafe_b64decode(cursor.split(".")[0] + "==").decode()


def test_the_longest_cursor_with_the_longest_table_name_is_sealed_within_what_kms_takes():
    """KMS tags a message of 4096 bytes at most; DynamoDB names a table in 255 characters at most."""
    messages = []

    class RecordingSeal(FakeCursorSeal):
        def tag(self, message):
            messages.append(message)
            return super().tag(message)

    cursors = ListCursors(RecordingSeal(), "t" * 255)
    position = "7/" + "\U0001f600" * 128
    assert cursors.position(cursors.cursor(position)) == position
    assert len(messages[0]) <= 4096


def test_a_cursor_of_a_replaced_key_is_refused_even_with_the_same_version_name():
    old = ListCursors(FakeCursorSeal(b"old key"), TABLE).cursor("3/A000")
    assert not_valid(ListCursors(FakeCursorSeal(b"new key"), TABLE), old)


def test_a_cursor_of_another_key_version_is_refused_without_asking_the_key(cursors):
    seal = FakeCursorSeal(version="v2")
    old = ListCursors(FakeCursorSeal(version="v1"), TABLE).cursor("3/A000")
    assert not_valid(ListCursors(seal, TABLE), old)
    assert seal.calls == 0


@pytest.mark.parametrize(
    "cursor", ["", ".", "abc", "abc.", ".abc", "a.b.c", "e30.e30", "!!!.???", "eyJ2Ijoi.AAAA", "a" * 5000 + ".AA"]
)
def test_anything_else_given_as_a_cursor_is_refused_without_asking_the_key(cursor):
    seal = FakeCursorSeal()
    assert not_valid(ListCursors(seal, TABLE), cursor)
    assert seal.calls == 0


def test_a_cursor_with_a_tag_spelt_otherwise_is_refused_though_it_decodes_to_the_same_tag(cursors):
    """A 32-byte tag leaves two bits of its last base64 character unused: setting them alters the cursor."""
    payload, tag = cursors.cursor("3/A000").split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(tag[-1])
    respelt = tag[:-1] + alphabet[last | 1]
    assert base64.urlsafe_b64decode(respelt + "=") == base64.urlsafe_b64decode(tag + "=")
    assert not_valid(cursors, f"{payload}.{respelt}")


def test_a_page_is_rendered_with_its_items_and_the_cursor_of_the_next(cursors):
    item = StockItem("A000", level=Versioned(0, at(1)), default_reorder_point=1)
    response = list_response(LowStatusPage([status_of(item, RULES)], "4/A000"), cursors)
    document = json.loads(response["body"])
    assert response["statusCode"] == 200
    assert [entry["stock_id"] for entry in document["items"]] == ["A000"]
    assert document["items"][0]["low"] is True
    assert cursors.position(document["next_cursor"]) == "4/A000"


def test_the_last_page_has_no_next_cursor(cursors):
    assert json.loads(list_response(LowStatusPage([], None), cursors)["body"]) == {"items": [], "next_cursor": None}


def test_the_reorder_point_source_is_named_as_the_domain_names_it():
    assert [source.value for source in Source] == ["item", "default"]
