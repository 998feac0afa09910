"""The stock repository on a DynamoDB table keyed by `stock_id`."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from domain.ports import SaveOutcome
from domain.stock import StockLevel, format_as_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# `as_of` is stored fixed-width in UTC, so comparing strings compares times.
_NEWER_THAN_STORED = "attribute_not_exists(as_of) OR as_of < :as_of"


class DynamoDbStockRepository:
    """Implements StockRepository with one conditional UpdateItem per save and one GetItem per read."""

    def __init__(self, client: DynamoDBClient, table_name: str, concurrency: int = 1) -> None:
        self._client = client
        self._table_name = table_name
        self._concurrency = concurrency

    def save_all_if_newer(self, levels: Sequence[StockLevel]) -> list[SaveOutcome]:
        # Each save waits on a network round trip, so a few run at once; boto3 clients are thread-safe.
        if self._concurrency <= 1 or len(levels) <= 1:
            return [self.save_if_newer(level) for level in levels]
        with ThreadPoolExecutor(max_workers=min(self._concurrency, len(levels))) as pool:
            futures = [pool.submit(self.save_if_newer, level) for level in levels]
            wait(futures)
        return [future.result() for future in futures]

    def save_if_newer(self, level: StockLevel) -> SaveOutcome:
        try:
            response = self._client.update_item(
                TableName=self._table_name,
                Key={"stock_id": {"S": level.stock_id}},
                UpdateExpression="SET stock_level = :level, as_of = :as_of",
                ConditionExpression=_NEWER_THAN_STORED,
                ExpressionAttributeValues={
                    ":level": {"N": str(level.level)},
                    ":as_of": {"S": format_as_of(level.as_of)},
                },
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            stored: Any = error.response.get("Item")
            return SaveOutcome(applied=False, previous=_level(level.stock_id, stored) if stored else None)
        old = response.get("Attributes")
        return SaveOutcome(applied=True, previous=_level(level.stock_id, old) if old else None)

    def get(self, stock_id: str) -> StockLevel | None:
        response = self._client.get_item(
            TableName=self._table_name, Key={"stock_id": {"S": stock_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return _level(stock_id, item) if item else None


def _level(stock_id: str, item: dict[str, Any]) -> StockLevel:
    return StockLevel(
        stock_id=stock_id,
        level=int(item["stock_level"]["N"]),
        as_of=datetime.strptime(item["as_of"]["S"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC),
    )
