"""The list of low items on the stock table's sparse index `low-items`: an item is listed while it holds
`low_list_shard` (adapters.dynamodb_items), its shard of the index."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.dynamodb_items import DEFAULT_REORDER_POINT, LOW_LIST_SHARD, STOCK_ID, TIME, item_from_attributes
from domain.item import StockItem
from domain.ports import LowItemsPage
from domain.stock import Field, format_as_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LOW_ITEMS_INDEX = "low-items"
SHARDS = 8


def shard_of(stock_id: str) -> str:
    """The item's shard, "0" to "7": a hash of its id that every process computes alike."""
    return str(zlib.crc32(stock_id.encode()) % SHARDS)


class DynamoDbLowStockList:
    """Implements LowStockList: a conditional UpdateItem per mark; per page, a Query per shard reached and a
    consistent BatchGetItem of the keys found."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def list_as_low(self, item: StockItem, low: bool) -> None:
        values: dict[str, Any] = {}
        conditions = [f"attribute_exists({STOCK_ID})"]
        for field in Field:
            version = item.version(field)
            if version is None:
                conditions.append(f"attribute_not_exists({TIME[field]})")
            else:
                conditions.append(f"{TIME[field]} = :{TIME[field]}")
                values[f":{TIME[field]}"] = {"S": format_as_of(version)}
        if item.default_reorder_point is None:
            conditions.append(f"attribute_not_exists({DEFAULT_REORDER_POINT})")
        else:
            conditions.append(f"{DEFAULT_REORDER_POINT} = :default")
            values[":default"] = {"N": str(item.default_reorder_point)}
        if low:
            values[":shard"] = {"S": shard_of(item.stock_id)}
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key={STOCK_ID: {"S": item.stock_id}},
                UpdateExpression=f"SET {LOW_LIST_SHARD} = :shard" if low else f"REMOVE {LOW_LIST_SHARD}",
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            # Changed since it was read: the stream record of that change sets its place right.
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def page(self, after: str | None, limit: int) -> LowItemsPage:
        shard_text, _, start = (after or "0/").partition("/")
        shard, keys = int(shard_text), list[tuple[int, str]]()
        while shard < SHARDS and len(keys) < limit:
            request: dict[str, Any] = {
                "TableName": self._table_name,
                "IndexName": LOW_ITEMS_INDEX,
                "KeyConditionExpression": f"{LOW_LIST_SHARD} = :shard",
                "ExpressionAttributeValues": {":shard": {"S": str(shard)}},
                "Limit": limit - len(keys),
            }
            if start:
                request["ExclusiveStartKey"] = {LOW_LIST_SHARD: {"S": str(shard)}, STOCK_ID: {"S": start}}
            response = self._client.query(**request)
            keys += [(shard, key[STOCK_ID]["S"]) for key in response.get("Items", [])]
            if response.get("LastEvaluatedKey"):
                start = response["LastEvaluatedKey"][STOCK_ID]["S"]
            else:
                shard, start = shard + 1, ""
        stored = self._read([stock_id for _, stock_id in keys])
        items = [stored[stock_id] for _, stock_id in keys if stock_id in stored]
        return LowItemsPage(items, f"{keys[-1][0]}/{keys[-1][1]}" if keys and shard < SHARDS else None)

    def _read(self, stock_ids: list[str]) -> dict[str, StockItem]:
        read: dict[str, StockItem] = {}
        for first in range(0, len(stock_ids), 100):  # BatchGetItem's most keys per call
            wanted: Any = {
                self._table_name: {
                    "Keys": [{STOCK_ID: {"S": stock_id}} for stock_id in stock_ids[first : first + 100]],
                    "ConsistentRead": True,
                }
            }
            while wanted:
                response = self._client.batch_get_item(RequestItems=wanted)
                for attributes in response.get("Responses", {}).get(self._table_name, []):
                    item = item_from_attributes(attributes)
                    read[item.stock_id] = item
                wanted = response.get("UnprocessedKeys")
        return read
