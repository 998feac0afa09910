import json
from dataclasses import replace

import pytest

from handlers import http_api
from handlers.settings import UpdateTimes
from harness.lambda_events import api_event


@pytest.fixture
def api(api_settings, clients):
    return http_api.build(api_settings, clients)


def call(api, event):
    response = api(event, None)
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def test_original_post_body_stores_the_level(deployed, api):
    status, body = call(api, api_event("POST", "/stocks", {"stock_id": "A000", "stock_level": 1}))
    assert status == 200
    assert body == {"stock_id": "A000", "stock_level": 1, "as_of": "2024-05-01T12:00:00.000000Z"}
    assert deployed.stored("A000")["stock_level"] == {"N": "1"}


def test_put_then_get_returns_the_level(api):
    assert call(api, api_event("PUT", "/stocks/B1", {"stock_level": 4}))[0] == 200
    status, body = call(api, api_event("GET", "/stocks/B1"))
    assert (status, body["stock_level"]) == (200, 4)


def test_a_later_request_wins_and_an_older_as_of_is_refused_as_stale(deployed, api):
    call(api, api_event("PUT", "/stocks/B1", {"stock_level": 4}, request_time_ms=1714564800000))
    call(api, api_event("PUT", "/stocks/B1", {"stock_level": 6}, request_time_ms=1714564801000))
    status, body = call(api, api_event("PUT", "/stocks/B1", {"stock_level": 9, "as_of": "2024-01-01T00:00:00Z"}))
    assert status == 409
    assert body["stock_level"] == 6
    assert deployed.stored("B1")["stock_level"] == {"N": "6"}


def test_get_of_an_unknown_item_is_404_naming_it(api):
    assert call(api, api_event("GET", "/stocks/never-set")) == (
        404,
        {"message": "no stock level is stored for never-set"},
    )


@pytest.mark.parametrize(
    "event",
    [
        api_event("POST", "/stocks", "{"),
        api_event("POST", "/stocks", {"stock_id": "A000", "stock_level": -1}),
        api_event("PUT", "/stocks/A000", {"stock_level": "many"}),
        api_event("PATCH", "/stocks/A000", {"stock_level": 1}),
        api_event("POST", "/elsewhere", {"stock_id": "A000", "stock_level": 1}),
    ],
)
def test_bad_requests_get_a_4xx_and_write_nothing(deployed, api, event):
    status, body = call(api, event)
    assert 400 <= status < 500
    assert body["message"]
    assert deployed.dynamodb.scan(TableName=deployed.table_name)["Count"] == 0


def test_a_failing_store_is_a_503_not_a_crash_and_is_logged_with_its_error(api_settings, clients, logs, caplog):
    api = http_api.build(replace(api_settings, table_name="table-that-does-not-exist"), clients)
    status, body = call(api, api_event("PUT", "/stocks/A000", {"stock_level": 1}))
    assert status == 503
    assert "retry" in body["message"]
    assert logs() == [("ERROR", "request failed in a backing service", {})]
    [logged] = [record for record in caplog.records if record.name == "handlers.http_api"]
    assert "ResourceNotFoundException" in logged.exc_text


def store_directly(deployed, stock_id, level):
    """An item as the table holds it: one made before the rule of new ids, which no request may make now."""
    deployed.dynamodb.put_item(
        TableName=deployed.table_name,
        Item={
            "stock_id": {"S": stock_id},
            "stock_level": {"N": str(level)},
            "as_of": {"S": "2024-05-01T00:00:00.000000Z"},
        },
    )


@pytest.mark.parametrize(("stock_id", "encoded"), [("x%y", "x%25y"), ("A?1", "A%3F1"), ("A#1", "A%231")])
def test_an_item_stored_before_the_rule_of_new_ids_is_read_through_its_encoded_path_but_not_set(
    deployed, api, stock_id, encoded
):
    store_directly(deployed, stock_id, 3)
    status, body = call(api, api_event("GET", f"/stocks/{encoded}"))
    assert (status, body["stock_id"], body["stock_level"]) == (200, stock_id, 3)
    assert call(api, api_event("PUT", f"/stocks/{encoded}", {"stock_level": 5}))[0] == 400
    assert call(api, api_event("POST", "/stocks", {"stock_id": stock_id, "stock_level": 5}))[0] == 400
    assert deployed.stored(stock_id)["stock_level"] == {"N": "3"}


@pytest.mark.parametrize(("stock_id", "encoded"), [("café", "caf%C3%A9"), ("A+1", "A%2B1"), ("A&1=2", "A%261%3D2")])
def test_an_id_set_by_body_is_the_same_item_as_its_encoded_path(deployed, api, stock_id, encoded):
    assert call(api, api_event("POST", "/stocks", {"stock_id": stock_id, "stock_level": 3}))[0] == 200
    assert (
        call(api, api_event("PUT", f"/stocks/{encoded}", {"stock_level": 5}, request_time_ms=1714564801000))[0] == 200
    )
    status, body = call(api, api_event("GET", f"/stocks/{encoded}"))
    assert (status, body["stock_id"], body["stock_level"]) == (200, stock_id, 5)
    assert deployed.stored(stock_id)["stock_level"] == {"N": "5"}


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        (
            "9999-12-31T23:59:59Z",
            "as_of 9999-12-31T23:59:59.000000Z is more than 5 minutes after the update was received "
            "(2024-05-01T12:00:00.000000Z); send the time the level was counted, from a clock that is set right",
        ),
        (
            "2024-05-01T12:05:00.000001Z",
            "as_of 2024-05-01T12:05:00.000001Z is more than 5 minutes after the update was received "
            "(2024-05-01T12:00:00.000000Z); send the time the level was counted, from a clock that is set right",
        ),
        (
            "9999-12-31T23:59:59-01:00",
            "as_of must be from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z once in UTC, "
            "not '9999-12-31T23:59:59-01:00'",
        ),
    ],
)
def test_a_time_the_rule_cannot_order_is_a_400_naming_the_limit_and_the_item_still_takes_updates(
    deployed, api, as_of, message
):
    """Found by a fuzzer: such a time once froze an item (every later update stale) or broke it (503 for ever)."""
    refused = call(api, api_event("PUT", "/stocks/F1", {"stock_level": 5, "as_of": as_of}))
    assert refused == (400, {"message": message})
    assert deployed.stored("F1") is None
    assert call(api, api_event("PUT", "/stocks/F1", {"stock_level": 6}))[0] == 200
    assert call(api, api_event("GET", "/stocks/F1"))[1]["stock_level"] == 6


def test_the_span_an_update_may_be_dated_ahead_is_the_stacks_setting(deployed, api_settings, clients):
    api = http_api.build(replace(api_settings, times=UpdateTimes(max_ahead_seconds=60)), clients)
    assert call(api, api_event("PUT", "/stocks/F2", {"stock_level": 5, "as_of": "2024-05-01T12:01:00Z"}))[0] == 200
    status, body = call(api, api_event("PUT", "/stocks/F2", {"stock_level": 6, "as_of": "2024-05-01T12:01:01Z"}))
    assert (status, body["message"].split(" after ")[0]) == (
        400,
        "as_of 2024-05-01T12:01:01.000000Z is more than 1 minute",
    )


def test_a_span_of_zero_takes_no_time_after_the_request(deployed, api_settings, clients):
    """0 is a limit, not "none given": the request's own time is the latest an update may carry."""
    api = http_api.build(replace(api_settings, times=UpdateTimes(max_ahead_seconds=0)), clients)
    assert call(api, api_event("PUT", "/stocks/F3", {"stock_level": 5, "as_of": "2024-05-01T12:00:00Z"}))[0] == 200
    status, body = call(api, api_event("PUT", "/stocks/F3", {"stock_level": 6, "as_of": "2024-05-01T12:00:01Z"}))
    assert (status, body["message"].split(" after ")[0]) == (
        400,
        "as_of 2024-05-01T12:00:01.000000Z is more than 0 seconds",
    )
