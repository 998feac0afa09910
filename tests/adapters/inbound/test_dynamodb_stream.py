import logging
from datetime import UTC, datetime

import pytest

from adapters.inbound.dynamodb_stream import ItemChange, StreamRecord, parse_stream_records, partial_batch_response
from domain.item import StockItem, Versioned
from domain.use_cases import react_to_item_change
from harness.lambda_events import item_image, item_stream_event, load, stream_event
from harness.port_fakes import FakeLowStockList, FakeNotifier, FakeSentAlerts, FakeStockRepository

NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)


def level(stock_id: str, value: int, as_of: str) -> StockItem:
    return StockItem(stock_id, Versioned(value, datetime.fromisoformat(as_of)))


def test_documented_records_become_changes_of_items():
    assert parse_stream_records(load("dynamodb_stream.json")) == [
        StreamRecord(
            "111",
            ItemChange(None, level("A111", 1, "2024-05-01T12:00:00Z")),
            "c4ca4238a0b923820dcc509a6f75849b",
        ),
        StreamRecord(
            "222",
            ItemChange(level("B222", 7, "2024-04-30T09:00:00Z"), level("B222", 0, "2024-05-01T12:00:01Z")),
            "c81e728d9d4c2f636f067f89cc14862c",
        ),
        StreamRecord("333", None, "eccbc87e4b5ce2fe28308fd9f2a7baf3"),
    ]


def test_every_field_of_both_images_is_read_with_its_time_the_default_and_the_list_mark():
    old = item_image("A1", 9, reorder_point=5, default_reorder_point=1)
    new = item_image(
        "A1", 4, as_of="2024-05-01T12:00:01.000000Z", reorder_point=5, reorder_point_as_of="2024-05-01T12:00:00.000000Z"
    )
    new |= {"low_stock_alerts": {"BOOL": False}, "low_stock_alerts_as_of": {"S": "2024-05-01T11:00:00.000000Z"}}
    new |= {"default_reorder_point": {"N": "2"}, "low_list_shard": {"S": "3"}}
    [record] = parse_stream_records(item_stream_event((old, new)))
    assert record == StreamRecord(
        "100",
        ItemChange(
            StockItem("A1", Versioned(9, NOON), Versioned(5, NOON), default_reorder_point=1),
            StockItem(
                "A1",
                Versioned(4, datetime(2024, 5, 1, 12, 0, 1, tzinfo=UTC)),
                Versioned(5, NOON),
                Versioned(False, datetime(2024, 5, 1, 11, tzinfo=UTC)),
                default_reorder_point=2,
                listed_low=True,
            ),
        ),
        "A1-1",
    )


def test_an_item_with_a_reorder_point_and_no_level_yet_is_a_change_all_the_same(caplog):
    with caplog.at_level(logging.WARNING):
        [record] = parse_stream_records(item_stream_event((None, item_image("A1", reorder_point=5))))
    assert record.change == ItemChange(None, StockItem("A1", reorder_point=Versioned(5, NOON)))
    assert [r.getMessage() for r in caplog.records if r.name != "asyncio"] == []  # asyncio: another test's garbage


def test_a_reorder_point_set_back_to_the_default_keeps_its_time_and_has_no_value():
    image = item_image("A1", 3, reorder_point_as_of="2024-05-01T12:00:00.000000Z")
    [record] = parse_stream_records(item_stream_event((None, image)))
    assert record.change is not None
    assert record.change.current.reorder_point == Versioned(None, NOON)


def test_a_record_whose_image_is_no_item_of_ours_is_skipped_and_logged(caplog):
    event = stream_event(("A1", 5, 2))
    event["Records"][0]["dynamodb"]["NewImage"]["stock_level"] = {"S": "lots"}
    with caplog.at_level(logging.ERROR):
        assert parse_stream_records(event) == [StreamRecord("100", None, "A1-1-5-2")]
    assert "no valid stock item" in caplog.text


def test_a_record_whose_old_image_is_no_item_of_ours_is_skipped_rather_than_read_as_new(caplog):
    """Read as a new item, a low one would be announced again."""
    event = stream_event(("A1", 0, 0))
    event["Records"][0]["dynamodb"]["OldImage"]["as_of"] = {"S": "yesterday"}
    with caplog.at_level(logging.ERROR):
        assert parse_stream_records(event) == [StreamRecord("100", None, "A1-1-0-0")]
    assert "no valid stock item" in caplog.text


def test_partial_batch_response_resumes_at_the_first_failure():
    assert partial_batch_response("222") == {"batchItemFailures": [{"itemIdentifier": "222"}]}
    assert partial_batch_response(None) == {"batchItemFailures": []}


def test_an_old_image_without_a_level_is_an_item_that_had_none():
    event = stream_event(("A1", 5, 1))
    images = event["Records"][0]["dynamodb"]
    del images["OldImage"]["stock_level"], images["OldImage"]["as_of"]
    [record] = parse_stream_records(event)
    assert record.change is not None
    assert record.change.previous == StockItem("A1")


def test_the_log_of_a_skipped_record_names_its_sequence_number_and_the_error(caplog):
    event = stream_event(("A1", 5, 2))
    event["Records"][0]["dynamodb"]["NewImage"]["stock_level"] = {"N": "-1"}
    with caplog.at_level(logging.ERROR):
        parse_stream_records(event)
    [record] = [r for r in caplog.records if r.name != "asyncio"]  # asyncio: another test's garbage, collected now
    assert record.getMessage() == "stream record holds no valid stock item; skipped"
    assert (vars(record)["sequence_number"], vars(record)["error"]) == (
        "100",
        "a stored count is negative: -1",
    )


def test_a_record_without_an_event_id_has_an_empty_one():
    event = stream_event(("A1", 5, 2))
    del event["Records"][0]["eventID"]
    [record] = parse_stream_records(event)
    assert (record.sequence_number, record.event_id) == ("100", "")


def test_a_record_without_a_new_image_is_skipped_whatever_its_kind():
    event = stream_event(("A1", 5, 2))  # a MODIFY, as a stream of keys or old images only would send it
    del event["Records"][0]["dynamodb"]["NewImage"]
    assert parse_stream_records(event) == [StreamRecord("100", None, "A1-1-5-2")]


def test_a_removal_is_skipped():
    [record] = parse_stream_records(item_stream_event((item_image("A1", 0), None)))
    assert record == StreamRecord("100", None, "A1-1")


def test_a_change_of_the_list_mark_alone_is_told_apart_from_a_change_of_the_item():
    unmarked = item_image("A1", 0, default_reorder_point=1)
    marked = unmarked | {"low_list_shard": {"S": "3"}}
    restocked = item_image("A1", 9, as_of="2024-05-01T12:00:01.000000Z", default_reorder_point=1)
    changes = [
        record.change
        for record in parse_stream_records(
            item_stream_event((unmarked, marked), (marked, unmarked), (marked, restocked), (None, marked))
        )
    ]
    assert [change is not None and change.only_list_mark for change in changes] == [True, True, False, False]


def test_a_write_that_changed_nothing_of_the_item_is_not_taken_for_the_list_mark():
    """A write of an attribute outside the item (a check time) leaves the item as it was, mark included: only a
    record that changes the mark itself is the stream's own write coming back."""
    checked = {"list_checked_at": {"S": "2024-06-01T00:00:00.000000Z"}}
    unmarked = item_image("A1", 0, default_reorder_point=1)
    marked = unmarked | {"low_list_shard": {"S": "3"}}
    changes = [
        record.change
        for record in parse_stream_records(
            item_stream_event((unmarked, unmarked | checked), (marked, marked | checked), (unmarked, unmarked))
        )
    ]
    assert [change is not None and change.only_list_mark for change in changes] == [False, False, False]


@pytest.mark.parametrize(("level", "listed", "written"), [(0, False, True), (9, True, False), (0, True, None)])
def test_a_record_that_changed_nothing_of_the_item_sets_a_wrong_mark_right_and_never_alerts(level, listed, written):
    """The mark of an item whose change a function still on the earlier code handled (it set none) is set right by
    the next record of the item, even one that changes none of its fields; the item did not become low with it."""
    before = item_image("A1", level, default_reorder_point=1, low_list_shard="1" if listed else None)
    after = before | {"list_checked_at": {"S": "2024-06-01T00:00:00.000000Z"}}
    [record] = parse_stream_records(item_stream_event((before, after)))
    assert record.change is not None
    assert not record.change.only_list_mark
    repository = FakeStockRepository([record.change.current])
    low_list, notifier = FakeLowStockList(repository), FakeNotifier()

    alert = react_to_item_change(
        record.change.previous, record.change.current, record.event_id, 1, notifier, FakeSentAlerts(), low_list
    )

    assert (alert, notifier.sent) == (None, [])
    stored = repository.get("A1")
    assert stored is not None
    assert (low_list.writes, stored.listed_low) == ((0, listed) if written is None else (1, written))
