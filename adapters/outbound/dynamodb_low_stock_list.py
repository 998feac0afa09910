"""The list of low items as a sparse index of the stock table: an item is listed while it has `low_list_shard`.

The index `low-items` is keyed by the shard ("0" to "7", from a stable hash of the id, so that no one partition
takes every listed item) and the id, and projects keys only: a page is read from it in order of shard and id, then
the items themselves in one consistent BatchGetItem, so each is as stored now."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.dynamodb_items import DEFAULT_REORDER_POINT, LOW_LIST_SHARD, STOCK_ID, TIME, item_from_attributes
from domain.item import StockItem
from domain.ports import LowItemsPage
from domain.stock import Field, format_as_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

INDEX_NAME = "low-items"
SHARDS = 8
_BATCH_GET_KEYS = 100  # BatchGetItem's limit per request


def shard_of(stock_id: str) -> str:
    """The item's shard: the same for an id wherever and whenever it is computed."""
    return str(int.from_bytes(hashlib.sha256(stock_id.encode()).digest()[:4], "big") % SHARDS)


class DynamoDbLowStockList:
    """Implements LowStockList on the stock table and its `low-items` index."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def list_as_low(self, item: StockItem, low: bool) -> None:
        names = {"#shard": LOW_LIST_SHARD, "#id": STOCK_ID, "#default": DEFAULT_REORDER_POINT}
        values: dict[str, Any] = {}
        conditions = ["attribute_exists(#id)"]
        for number, field in enumerate(Field):
            name, version = f"#t{number}", item.version(field)
            names[name] = TIME[field]
            if version is None:
                conditions.append(f"attribute_not_exists({name})")
            else:
                values[f":t{number}"] = {"S": format_as_of(version)}
                conditions.append(f"{name} = :t{number}")
        if item.default_reorder_point is None:
            conditions.append("attribute_not_exists(#default)")
        else:
            values[":default"] = {"N": str(item.default_reorder_point)}
            conditions.append("#default = :default")
        if low:
            values[":shard"] = {"S": shard_of(item.stock_id)}
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "Key": {STOCK_ID: {"S": item.stock_id}},
            "UpdateExpression": "SET #shard = :shard" if low else "REMOVE #shard",
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeNames": names,
        }
        if values:
            request["ExpressionAttributeValues"] = values
        try:
            self._client.update_item(**request)
        except ClientError as error:
            # The item changed since this state of it was read: the change that came after sets the list right.
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def page(self, after: str | None, limit: int) -> LowItemsPage:
        shard, last_id = (0, None) if after is None else _position(after)
        keys: list[str] = []
        while shard < SHARDS and len(keys) < limit:
            request: dict[str, Any] = {
                "TableName": self._table_name,
                "IndexName": INDEX_NAME,
                "KeyConditionExpression": "#shard = :shard",
                "ExpressionAttributeNames": {"#shard": LOW_LIST_SHARD},
                "ExpressionAttributeValues": {":shard": {"S": str(shard)}},
                "Limit": limit - len(keys),
            }
            if last_id is not None:
                request["ExclusiveStartKey"] = {STOCK_ID: {"S": last_id}, LOW_LIST_SHARD: {"S": str(shard)}}
            response = self._client.query(**request)
            keys += [found[STOCK_ID]["S"] for found in response.get("Items", [])]
            if "LastEvaluatedKey" in response and len(keys) < limit:
                last_id = response["LastEvaluatedKey"][STOCK_ID]["S"]
                continue
            if len(keys) >= limit:
                return LowItemsPage(self._items(keys), f"{shard}/{keys[-1]}")
            shard, last_id = shard + 1, None
        return LowItemsPage(self._items(keys), None)

    def _items(self, stock_ids: list[str]) -> list[StockItem]:
        """The items as stored now, in the order of `stock_ids`; an item gone since it was listed is left out."""
        found: dict[str, StockItem] = {}
        for start in range(0, len(stock_ids), _BATCH_GET_KEYS):
            pending: Any = {
                self._table_name: {
                    "Keys": [{STOCK_ID: {"S": stock_id}} for stock_id in stock_ids[start : start + _BATCH_GET_KEYS]],
                    "ConsistentRead": True,
                }
            }
            while pending:
                response = self._client.batch_get_item(RequestItems=pending)
                for attributes in response.get("Responses", {}).get(self._table_name, []):
                    item = item_from_attributes(attributes)
                    found[item.stock_id] = item
                pending = response.get("UnprocessedKeys") or None
        return [found[stock_id] for stock_id in stock_ids if stock_id in found]


def _position(after: str) -> tuple[int, str]:
    shard, separator, stock_id = after.partition("/")
    if not separator or not shard.isdigit() or not 0 <= int(shard) < SHARDS:
        raise ValueError(f"not a position in the list of low items: {after!r}")
    return int(shard), stock_id
