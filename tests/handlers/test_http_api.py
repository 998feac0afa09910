"""The API's function on an emulated account: items set, read and listed through the table, its index of low items
and the key of the list's cursors, as each request's answer and what it stored show."""

import json
from dataclasses import replace

import pytest

from adapters.outbound.dynamodb_low_stock_list import DynamoDbLowStockList
from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from handlers import http_api
from handlers.settings import ReorderDefault, UpdateTimes
from harness.lambda_events import api_event
from tests.conftest import account_client


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
    assert body == {
        "stock_id": "A000",
        "stock_level": 1,
        "as_of": "2024-05-01T12:00:00.000000Z",
        "reorder_point": 1,
        "reorder_point_source": "default",
        "reorder_point_as_of": None,
        "low_stock_alerts": True,
        "low_stock_alerts_as_of": None,
        "low": True,
        "stale_fields": [],
    }
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
    assert (body["stock_level"], body["stale_fields"]) == (6, ["stock_level"])
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
        api_event("PUT", "/stocks/A000", {"reorder_point": -1}),
        api_event("PUT", "/stocks/A000", {"reorder_point": 2.5}),
        api_event("PUT", "/stocks/A000", {"reorder_point": "5"}),
        api_event("PUT", "/stocks/A000", {"reorder_point": 10**12}),
        api_event("PUT", "/stocks/A000", {"reorder_point": True}),
        api_event("PUT", "/stocks/A000", {"low_stock_alerts": "false"}),
        api_event("PUT", "/stocks/A000", {"as_of": "2024-05-01T12:00:00Z"}),
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


# --- Reorder points and alerts.


def test_a_reorder_point_set_before_any_level_is_read_back_as_the_items_own(api):
    status, body = call(api, api_event("PUT", "/stocks/R1", {"reorder_point": 5}))
    assert (status, body["stale_fields"]) == (200, [])
    status, body = call(api, api_event("GET", "/stocks/R1"))
    assert status == 200
    assert body == {
        "stock_id": "R1",
        "stock_level": None,
        "as_of": None,
        "reorder_point": 5,
        "reorder_point_source": "item",
        "reorder_point_as_of": "2024-05-01T12:00:00.000000Z",
        "low_stock_alerts": True,
        "low_stock_alerts_as_of": None,
        "low": False,
    }


def test_an_item_is_low_at_or_below_its_own_reorder_point_until_its_alerts_are_turned_off(api):
    call(api, api_event("PUT", "/stocks/R2", {"stock_level": 5, "reorder_point": 5}))
    assert call(api, api_event("GET", "/stocks/R2"))[1]["low"] is True
    call(api, api_event("PUT", "/stocks/R2", {"low_stock_alerts": False}, request_time_ms=1714564801000))
    status, body = call(api, api_event("GET", "/stocks/R2"))
    assert (status, body["low"], body["low_stock_alerts"]) == (200, False, False)
    assert body["low_stock_alerts_as_of"] == "2024-05-01T12:00:01.000000Z"


def test_a_null_reorder_point_goes_back_to_the_stacks_default_and_keeps_its_time(deployed, api_settings, clients):
    api = http_api.build(replace(api_settings, reorder_default=ReorderDefault(value=7)), clients)
    call(api, api_event("PUT", "/stocks/R3", {"stock_level": 6, "reorder_point": 2}))
    assert call(api, api_event("GET", "/stocks/R3"))[1]["low"] is False
    status, body = call(api, api_event("PUT", "/stocks/R3", {"reorder_point": None}, request_time_ms=1714564801000))
    assert status == 200
    assert (body["reorder_point"], body["reorder_point_source"], body["low"]) == (7, "default", True)
    assert body["reorder_point_as_of"] == "2024-05-01T12:00:01.000000Z"
    # An older update cannot bring the item's own reorder point back.
    status, body = call(api, api_event("PUT", "/stocks/R3", {"reorder_point": 2, "as_of": "2024-05-01T11:00:00Z"}))
    assert (status, body["reorder_point"], body["stale_fields"]) == (409, 7, ["reorder_point"])


def test_the_stacks_default_reorder_point_judges_an_item_without_its_own(api_settings, clients):
    api = http_api.build(replace(api_settings, reorder_default=ReorderDefault(value=4)), clients)
    status, body = call(api, api_event("PUT", "/stocks/R4", {"stock_level": 4}))
    assert (status, body["reorder_point"], body["reorder_point_source"], body["low"]) == (200, 4, "default", True)


def test_an_update_partly_stale_applies_the_newer_fields_and_names_the_stale_ones(deployed, api):
    call(api, api_event("PUT", "/stocks/R5", {"stock_level": 8, "as_of": "2024-05-01T10:00:00Z"}))
    status, body = call(
        api,
        api_event("PUT", "/stocks/R5", {"stock_level": 1, "reorder_point": 3, "as_of": "2024-05-01T09:00:00Z"}),
    )
    assert (status, body["stale_fields"]) == (200, ["stock_level"])
    assert (body["stock_level"], body["reorder_point"], body["reorder_point_source"]) == (8, 3, "item")
    stored = deployed.stored("R5")
    assert (stored["stock_level"], stored["reorder_point"]) == ({"N": "8"}, {"N": "3"})


def test_an_update_whose_every_field_is_stale_is_a_409_naming_them_and_writes_nothing(deployed, api):
    call(api, api_event("PUT", "/stocks/R6", {"stock_level": 8, "low_stock_alerts": False}))
    before = deployed.stored("R6")
    status, body = call(
        api,
        api_event("PUT", "/stocks/R6", {"stock_level": 1, "low_stock_alerts": True, "as_of": "2024-05-01T11:00:00Z"}),
    )
    assert status == 409
    assert body["message"] == (
        "stale update ignored: R6 already has stock_level as of 2024-05-01T12:00:00.000000Z and low_stock_alerts as "
        "of 2024-05-01T12:00:00.000000Z, and this update is as of 2024-05-01T11:00:00.000000Z"
    )
    assert (body["stale_fields"], body["stock_level"], body["low_stock_alerts"]) == (
        ["stock_level", "low_stock_alerts"],
        8,
        False,
    )
    assert deployed.stored("R6") == before


# --- The list of low items.


def listed_low(deployed, *stock_ids):
    """Mark the items as low in the list, as the stream's function does once it has seen them become low."""
    repository = DynamoDbStockRepository(deployed.dynamodb, deployed.table_name)
    low_list = DynamoDbLowStockList(deployed.dynamodb, deployed.table_name)
    for stock_id in stock_ids:
        item = repository.get(stock_id)
        assert item is not None
        low_list.list_as_low(item, True)


def list_page(api, query, build=api_event):
    return call(api, build("GET", "/stocks", query=query))


def every_page(api, limit, build=api_event):
    """The pages of the list, `limit` at a time, each cursor sent back as the page before gave it."""
    pages, query = [], f"low=true&limit={limit}"
    while True:
        status, body = list_page(api, query, build)
        assert status == 200, body
        pages.append(body)
        if body["next_cursor"] is None:
            return pages
        query = f"low=true&limit={limit}&cursor={body['next_cursor']}"


LOW_IDS = [f"L{number}" for number in range(7)]


@pytest.fixture
def low_items(deployed, api, low_items_index):
    for stock_id in LOW_IDS:
        assert call(api, api_event("PUT", f"/stocks/{stock_id}", {"stock_level": 0}))[0] == 200
    call(api, api_event("PUT", "/stocks/NOT-LOW", {"stock_level": 50}))
    listed_low(deployed, *LOW_IDS)
    return LOW_IDS


def test_the_low_items_are_listed_a_page_at_a_time_each_once(api, low_items):
    pages = every_page(api, limit=2)
    listed = [item["stock_id"] for page in pages for item in page["items"]]
    assert sorted(listed) == sorted(low_items)
    assert all(len(page["items"]) <= 2 for page in pages)
    assert all(item["low"] and item["stock_level"] == 0 for page in pages for item in page["items"])


def test_a_list_without_a_limit_takes_a_hundred_at_most(api, low_items):
    status, body = list_page(api, "low=true")
    assert (status, len(body["items"]), body["next_cursor"]) == (200, len(low_items), None)


def test_an_item_listed_but_no_longer_low_is_left_out_of_its_page(api, low_items):
    """Its change has not reached the stream's function yet: the page holds what is stored now."""
    call(api, api_event("PUT", "/stocks/L3", {"stock_level": 40}, request_time_ms=1714564801000))
    listed = [item["stock_id"] for page in every_page(api, limit=3) for item in page["items"]]
    assert sorted(listed) == sorted(set(low_items) - {"L3"})


def test_a_cursor_altered_or_cut_is_refused_with_a_400(api, low_items):
    cursor = list_page(api, "low=true&limit=2")[1]["next_cursor"]
    altered = cursor[:10] + ("A" if cursor[10] != "A" else "B") + cursor[11:]
    for bad in (altered, cursor[:-1], cursor.split(".")[0], cursor + "A"):
        assert list_page(api, f"low=true&limit=2&cursor={bad}") == (
            400,
            {"message": "cursor is not valid for this list; start again without it"},
        )


def test_a_cursor_of_another_tables_list_is_refused(api_settings, clients, api, low_items):
    other = http_api.build(replace(api_settings, table_name="stock-levels-elsewhere"), clients)
    cursor = list_page(api, "low=true&limit=2")[1]["next_cursor"]
    assert list_page(other, f"low=true&limit=2&cursor={cursor}")[0] == 400


def test_a_cursor_sealed_by_a_key_since_replaced_is_refused(api_settings, clients, api, low_items):
    new_key = account_client("kms").create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["Arn"]
    replaced = http_api.build(replace(api_settings, cursor_key_id=new_key), clients)
    cursor = list_page(api, "low=true&limit=2")[1]["next_cursor"]
    assert list_page(replaced, f"low=true&limit=2&cursor={cursor}")[0] == 400


def test_a_key_that_cannot_seal_is_a_503_not_a_page_without_its_cursor(api_settings, clients, low_items, logs):
    api = http_api.build(replace(api_settings, cursor_key_id="arn:aws:kms:eu-west-3:123456789012:key/gone"), clients)
    status, body = list_page(api, "low=true&limit=2")
    assert (status, body) == (503, {"message": "the stock store is unavailable; retry later"})
    assert logs() == [("ERROR", "request failed in a backing service", {})]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "GET /stocks lists the items that are low now: add low=true, the one list it serves"),
        ("low=maybe", "low must be true, the one list GET /stocks serves, not 'maybe'"),
        ("low=true&limit=1001", "limit must be a whole number from 1 to 1000, not '1001'"),
        ("low=true&sort=id", "unknown query parameter(s) sort; GET /stocks takes low, limit, cursor"),
    ],
)
def test_a_list_request_out_of_its_rules_is_a_400_that_reads_nothing(api, query, message):
    assert list_page(api, query) == (400, {"message": message})
