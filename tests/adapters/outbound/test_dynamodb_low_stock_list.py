from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from adapters.outbound.dynamodb_low_stock_list import DynamoDbLowStockList, shard_of
from adapters.outbound.dynamodb_stock_repository import DynamoDbStockRepository
from domain.item import StockItem, Versioned
from domain.stock import StockUpdate
from tests.stock_table import add_low_items_index

NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)
DEFAULT = 1


@pytest.fixture
def table(account):
    """The stock table with the index the program declares, added as AWS adds one to a table in use."""
    add_low_items_index(account.dynamodb, account.table_name)
    return account


class Sleeps:
    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def low_list(table, sleeps):
    return DynamoDbLowStockList(table.dynamodb, table.table_name, sleep=sleeps)


@pytest.fixture
def repository(table):
    return DynamoDbStockRepository(table.dynamodb, table.table_name)


def listed_low(low_list, repository, *stock_ids):
    for stock_id in stock_ids:
        repository.apply(StockUpdate(stock_id, level=0, as_of=NOON), DEFAULT)
        low_list.list_as_low(repository.get(stock_id), True)


def test_the_shard_of_an_id_is_a_stable_hash_of_it_over_eight_shards():
    # Fixed values: a listed item's shard must not move between releases or processes.
    assert {stock_id: shard_of(stock_id) for stock_id in ("A1", "A2", "B7", "café")} == {
        "A1": "1",
        "A2": "3",
        "B7": "7",
        "café": "5",
    }
    assert set(Counter(shard_of(f"item-{n}") for n in range(1000))) == {str(shard) for shard in range(8)}


def test_a_listed_item_holds_its_shard_and_an_unlisted_one_none(low_list, repository, table):
    listed_low(low_list, repository, "A1")
    assert table.stored("A1")["low_list_shard"] == {"S": "1"}
    low_list.list_as_low(repository.get("A1"), False)
    assert "low_list_shard" not in table.stored("A1")
    assert table.stored("A1")["stock_level"] == {"N": "0"}


def test_a_listing_is_one_conditional_write(low_list, repository, table, mocker):
    repository.apply(StockUpdate("A1", level=0, reorder_point=3, low_stock_alerts=True, as_of=NOON), DEFAULT)
    update_item = mocker.spy(table.dynamodb, "update_item")
    low_list.list_as_low(repository.get("A1"), True)
    assert update_item.call_count == 1
    assert repository.get("A1").listed_low


def test_a_listing_of_an_item_whose_default_changed_since_it_was_read_is_ignored(low_list, repository, table):
    repository.apply(StockUpdate("A1", level=0, as_of=NOON), DEFAULT)
    read = repository.get("A1")
    table.dynamodb.update_item(
        TableName=table.table_name,
        Key={"stock_id": {"S": "A1"}},
        UpdateExpression="SET default_reorder_point = :d",
        ExpressionAttributeValues={":d": {"N": "0"}},
    )
    low_list.list_as_low(read, True)
    assert not repository.get("A1").listed_low


def test_an_item_stored_before_items_had_settings_is_listed_as_it_was_read(low_list, repository, table):
    table.dynamodb.put_item(
        TableName=table.table_name,
        Item={"stock_id": {"S": "A1"}, "stock_level": {"N": "0"}, "as_of": {"S": "2024-05-01T12:00:00.000000Z"}},
    )
    low_list.list_as_low(repository.get("A1"), True)
    assert repository.get("A1") == StockItem("A1", level=Versioned(0, NOON), listed_low=True)


def test_an_item_whose_time_is_stored_with_an_unpadded_year_is_listed_as_it_was_read(low_list, repository, table):
    table.dynamodb.put_item(
        TableName=table.table_name,
        Item={"stock_id": {"S": "A1"}, "stock_level": {"N": "0"}, "as_of": {"S": "999-06-01T00:00:00.000000Z"}},
    )
    low_list.list_as_low(repository.get("A1"), True)
    assert repository.get("A1") == StockItem("A1", level=Versioned(0, datetime(999, 6, 1, tzinfo=UTC)), listed_low=True)


def test_other_aws_errors_of_a_listing_propagate(table):
    low_list = DynamoDbLowStockList(table.dynamodb, "no-such-table")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        low_list.list_as_low(StockItem("A1", level=Versioned(0, NOON)), True)


def test_a_page_is_in_the_order_of_the_index_by_shard_then_id_and_names_where_the_next_starts(low_list, repository):
    stock_ids = [f"P{n:02d}" for n in range(25)]
    listed_low(low_list, repository, *stock_ids)
    in_index_order = sorted(stock_ids, key=lambda stock_id: (shard_of(stock_id), stock_id))
    first = low_list.page(None, 10)
    assert [item.stock_id for item in first.items] == in_index_order[:10]
    last = in_index_order[9]
    assert first.next_position == f"{shard_of(last)}/{last}"
    assert [item.stock_id for item in low_list.page(first.next_position, 100).items] == in_index_order[10:]


def test_a_page_starts_in_the_shard_of_its_position(low_list, repository, table, mocker):
    listed_low(low_list, repository, "A1", "B7")  # shards 1 and 7
    query = mocker.spy(table.dynamodb, "query")
    page = low_list.page("6/Z", 10)
    assert [item.stock_id for item in page.items] == ["B7"]
    assert page.next_position is None
    shards = [call.kwargs["ExpressionAttributeValues"][":shard"]["S"] for call in query.call_args_list]
    assert shards == ["6", "7"]
    assert query.call_args_list[0].kwargs["ExclusiveStartKey"] == {
        "low_list_shard": {"S": "6"},
        "stock_id": {"S": "Z"},
    }


def test_the_items_of_a_page_are_read_strongly_consistent_a_hundred_at_a_time(low_list, repository, table, mocker):
    stock_ids = [f"M{n:03d}" for n in range(150)]
    listed_low(low_list, repository, *stock_ids)
    batch_get_item = mocker.spy(table.dynamodb, "batch_get_item")
    page = low_list.page(None, 150)
    assert sorted(item.stock_id for item in page.items) == stock_ids
    requests = [call.kwargs["RequestItems"][table.table_name] for call in batch_get_item.call_args_list]
    assert [len(request["Keys"]) for request in requests] == [100, 50]
    assert all(request["ConsistentRead"] for request in requests)


def test_keys_left_unprocessed_are_asked_for_again_after_a_growing_wait(low_list, repository, table, mocker, sleeps):
    listed_low(low_list, repository, "A1", "A2", "B7")
    real = table.dynamodb.batch_get_item
    calls = []

    def processing_a_part_at_a_time(RequestItems):
        calls.append(RequestItems)
        request = RequestItems[table.table_name]
        if len(calls) == 1:  # all but the first key
            first, *rest = request["Keys"]
            answer = real(RequestItems={table.table_name: {**request, "Keys": rest}})
            return {**answer, "UnprocessedKeys": {table.table_name: {**request, "Keys": [first]}}}
        if len(calls) == 2:  # none
            return {"Responses": {}, "UnprocessedKeys": RequestItems}
        return real(RequestItems=RequestItems)

    mocker.patch.object(table.dynamodb, "batch_get_item", side_effect=processing_a_part_at_a_time)
    page = low_list.page(None, 10)
    expected = sorted(["A1", "A2", "B7"], key=lambda stock_id: (shard_of(stock_id), stock_id))
    assert [item.stock_id for item in page.items] == expected
    assert [len(request[table.table_name]["Keys"]) for request in calls] == [3, 1, 1]
    assert len(sleeps.waits) == 2
    assert 0 <= sleeps.waits[0] <= 0.1
    assert 0 <= sleeps.waits[1] <= 0.2


def test_keys_never_processed_fail_the_page_after_five_tries(low_list, repository, table, mocker, sleeps):
    listed_low(low_list, repository, "A1")

    def processing_nothing(RequestItems):
        return {"Responses": {}, "UnprocessedKeys": RequestItems}

    batch_get_item = mocker.patch.object(table.dynamodb, "batch_get_item", side_effect=processing_nothing)
    with pytest.raises(RuntimeError, match="unread after 5 tries"):
        low_list.page(None, 10)
    assert batch_get_item.call_count == 5
    assert len(sleeps.waits) == 4


def test_an_item_gone_from_the_table_since_its_key_was_read_is_left_off_the_page(low_list, repository, table, mocker):
    listed_low(low_list, repository, "A1", "B7")
    real = table.dynamodb.batch_get_item

    def after_a1_is_deleted(RequestItems):
        table.dynamodb.delete_item(TableName=table.table_name, Key={"stock_id": {"S": "A1"}})
        return real(RequestItems=RequestItems)

    mocker.patch.object(table.dynamodb, "batch_get_item", side_effect=after_a1_is_deleted)
    assert [item.stock_id for item in low_list.page(None, 10).items] == ["B7"]


@pytest.mark.parametrize("position", ["", "A1", "8/A1", "x/A1", "-1/A1", "03/A1", "3/", "3/a b", "1/" + "A" * 129])
def test_a_position_not_of_the_form_a_page_gives_is_refused(low_list, position):
    with pytest.raises(ValueError, match="not a position in the list of low items"):
        low_list.page(position, 10)


def test_a_listing_of_an_older_state_than_stored_never_raises(low_list, repository):
    repository.apply(StockUpdate("A1", level=0, as_of=NOON), DEFAULT)
    read = repository.get("A1")
    repository.apply(StockUpdate("A1", level=5, as_of=NOON + timedelta(seconds=1)), DEFAULT)
    low_list.list_as_low(read, True)
    assert not repository.get("A1").listed_low


def test_an_item_with_no_time_and_no_default_is_taken_off_the_list_without_empty_values(low_list, table, mocker):
    """DynamoDB refuses an empty ExpressionAttributeValues: a condition that names no value sends none."""
    table.dynamodb.put_item(
        TableName=table.table_name, Item={"stock_id": {"S": "A1"}, "low_list_shard": {"S": shard_of("A1")}}
    )
    update_item = mocker.spy(table.dynamodb, "update_item")
    low_list.list_as_low(StockItem("A1", listed_low=True), False)
    assert "low_list_shard" not in table.stored("A1")
    assert "ExpressionAttributeValues" not in update_item.call_args.kwargs
