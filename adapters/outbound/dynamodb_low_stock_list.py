"""The list of low items on the stock table's sparse index `low-items`: an item is in the index while it holds
`low_list_shard` (adapters.dynamodb_items), which the stream's function sets and removes."""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.dynamodb_items import (
    DEFAULT_REORDER_POINT,
    LOW_LIST_SHARD,
    STOCK_ID,
    TIME,
    item_from_attributes,
    unpadded_time,
)
from domain.errors import InvalidStockInput
from domain.item import StockItem
from domain.ports import LowItemsPage
from domain.stock import Field, format_as_of, validate_stock_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LOW_ITEMS_INDEX = "low-items"
# The index's partition key: with one value for every listed item, all its writes would go to one partition of the
# index, whose throughput is a partition's; a stable hash of the id spreads them over a few.
SHARDS = 8
_SHARD_NAMES = frozenset(str(shard) for shard in range(SHARDS))
# BatchGetItem reads at most 100 items per call, and may leave some unprocessed, to be asked for again after a wait
# that grows (docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html).
_KEYS_PER_BATCH = 100
_BATCH_TRIES = 5
_FIRST_WAIT_SECONDS = 0.05


def shard_of(stock_id: str) -> str:
    """The shard ("0" to "7") an item is listed in: CRC-32 of its id, the same in every process and release (Python's
    `hash` of a string changes from one process to the next)."""
    return str(zlib.crc32(stock_id.encode("utf-8")) % SHARDS)


class DynamoDbLowStockList:
    """Implements LowStockList with one conditional UpdateItem per listing, and per page a Query of the index for
    each shard it reaches and one BatchGetItem per 100 items (more for keys left unprocessed)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table_name = table_name
        self._sleep = sleep

    def list_as_low(self, item: StockItem, low: bool) -> None:
        values: dict[str, Any] = {}
        conditions = [f"attribute_exists({STOCK_ID})"]  # never make an item of a listing
        for field in Field:
            conditions.append(_holds_time(TIME[field], item.version(field), values))
        if item.default_reorder_point is None:
            conditions.append(f"attribute_not_exists({DEFAULT_REORDER_POINT})")
        else:
            conditions.append(f"{DEFAULT_REORDER_POINT} = :default")
            values[":default"] = {"N": str(item.default_reorder_point)}
        if low:
            expression = f"SET {LOW_LIST_SHARD} = :shard"
            values[":shard"] = {"S": shard_of(item.stock_id)}
        else:
            expression = f"REMOVE {LOW_LIST_SHARD}"
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "Key": {STOCK_ID: {"S": item.stock_id}},
            "UpdateExpression": expression,
            "ConditionExpression": " AND ".join(conditions),
        }
        if values:  # DynamoDB refuses an empty map: an item with no time and no default, taken off, names no value
            request["ExpressionAttributeValues"] = values
        try:
            self._client.update_item(**request)
        except ClientError as error:
            # The item changed since `item` was read: the stream record of that change sets its listing right.
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def page(self, after: str | None, limit: int) -> LowItemsPage:
        if limit < 1:
            raise ValueError(f"a page holds at least one item, not {limit}")
        shard, start = _position(after)
        listed: list[tuple[int, str]] = []
        while shard < SHARDS and len(listed) < limit:
            request: dict[str, Any] = {
                "TableName": self._table_name,
                "IndexName": LOW_ITEMS_INDEX,
                "KeyConditionExpression": f"{LOW_LIST_SHARD} = :shard",
                "ExpressionAttributeValues": {":shard": {"S": str(shard)}},
                "Limit": limit - len(listed),
            }
            if start is not None:
                request["ExclusiveStartKey"] = {LOW_LIST_SHARD: {"S": str(shard)}, STOCK_ID: {"S": start}}
            response = self._client.query(**request)
            listed += [(shard, key[STOCK_ID]["S"]) for key in response.get("Items", [])]
            last = response.get("LastEvaluatedKey")
            if last:
                start = last[STOCK_ID]["S"]
            else:
                shard, start = shard + 1, None
        read = self._read([stock_id for _, stock_id in listed])
        items = [read[stock_id] for _, stock_id in listed if stock_id in read]
        next_position = f"{listed[-1][0]}/{listed[-1][1]}" if shard < SHARDS else None
        return LowItemsPage(items, next_position)

    def _read(self, stock_ids: list[str]) -> dict[str, StockItem]:
        """The items stored now under these ids (strongly consistent, as the repository reads), by id; an id no
        longer stored is left out."""
        read: dict[str, StockItem] = {}
        for first in range(0, len(stock_ids), _KEYS_PER_BATCH):
            keys = [{STOCK_ID: {"S": stock_id}} for stock_id in stock_ids[first : first + _KEYS_PER_BATCH]]
            wanted: Any = {self._table_name: {"Keys": keys, "ConsistentRead": True}}
            for attempt in range(_BATCH_TRIES):
                if attempt:
                    # Full jitter: readers that were throttled together do not all come back together.
                    self._sleep(random.uniform(0, _FIRST_WAIT_SECONDS * 2**attempt))
                response = self._client.batch_get_item(RequestItems=wanted)
                for attributes in response.get("Responses", {}).get(self._table_name, []):
                    item = item_from_attributes(attributes)
                    read[item.stock_id] = item
                wanted = response.get("UnprocessedKeys")
                if not wanted:
                    break
            else:
                unread = len(wanted[self._table_name]["Keys"])
                raise RuntimeError(
                    f"{unread} listed items were still unread after {_BATCH_TRIES} tries of BatchGetItem"
                )
        return read


def _holds_time(attribute: str, version: datetime | None, values: dict[str, Any]) -> str:
    """A condition that the stored time is `version` (None: that there is none). A time below year 1000 may be
    stored as the code before fixed-width times wrote it (adapters.dynamodb_items.unpadded_time): either form
    matches."""
    if version is None:
        return f"attribute_not_exists({attribute})"
    name = f":{attribute}"
    values[name] = {"S": format_as_of(version)}
    old_form = unpadded_time(version)
    if old_form == values[name]["S"]:
        return f"{attribute} = {name}"
    values[f"{name}_old"] = {"S": old_form}
    return f"({attribute} = {name} OR {attribute} = {name}_old)"


def _position(after: str | None) -> tuple[int, str | None]:
    """The shard and the id a page starts after: "<shard>/<stock_id>", as `page` gives it; ValueError otherwise."""
    if after is None:
        return 0, None
    shard, _, stock_id = after.partition("/")
    if shard in _SHARD_NAMES:
        try:
            return int(shard), validate_stock_id(stock_id)
        except InvalidStockInput:
            pass
    raise ValueError(f"not a position in the list of low items: {after!r}")
