"""The stock repository on a DynamoDB table keyed by `stock_id`, in the stored form of adapters.dynamodb_items."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.dynamodb_items import DEFAULT_REORDER_POINT, STOCK_ID, TIME, VALUE, item_from_attributes, unpadded_time
from domain.item import StockItem
from domain.ports import ApplyOutcome
from domain.stock import Field, StockUpdate, format_as_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDbStockRepository:
    """Implements StockRepository with one conditional UpdateItem per update (one more for each field found stale,
    at most) and one GetItem per read."""

    def __init__(self, client: DynamoDBClient, table_name: str, concurrency: int = 1) -> None:
        self._client = client
        self._table_name = table_name
        self._concurrency = concurrency

    def apply_all(self, updates: Sequence[StockUpdate], default_reorder_point: int) -> list[ApplyOutcome]:
        # Each write waits on a network round trip, so a few run at once; boto3 clients are thread-safe.
        if self._concurrency <= 1 or len(updates) <= 1:
            return [self.apply(update, default_reorder_point) for update in updates]
        with ThreadPoolExecutor(max_workers=min(self._concurrency, len(updates))) as pool:
            futures = [pool.submit(self.apply, update, default_reorder_point) for update in updates]
            wait(futures)
        return [future.result() for future in futures]

    def apply(self, update: StockUpdate, default_reorder_point: int) -> ApplyOutcome:
        as_of = update.as_of
        if as_of is None:
            raise ValueError("an update must be stamped with its time before it is applied")
        stale: frozenset[Field] = frozenset()
        previous: StockItem | None = None
        # A refused write returns the item it was checked against, which names at least one field stale: the next
        # try leaves those out, so an update takes at most one try per field, and the fields written were all newer
        # than what was stored at the moment of the one write that applied them.
        while fields := update.fields - stale:
            try:
                response = self._client.update_item(
                    **_write(self._table_name, update, as_of, fields, default_reorder_point)
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                stored: Any = error.response.get("Item")
                previous = item_from_attributes(stored)
                found = _stale(previous, fields, as_of)
                if not found:
                    raise RuntimeError(
                        f"the table refused the update of item {update.stock_id!r} but holds no newer version of "
                        f"{sorted(fields)}"
                    ) from error
                stale |= found
                continue
            old = response.get("Attributes")
            return ApplyOutcome(fields, stale, item_from_attributes(old) if old else None)
        return ApplyOutcome(frozenset(), stale, previous)

    def get(self, stock_id: str) -> StockItem | None:
        response = self._client.get_item(
            TableName=self._table_name, Key={STOCK_ID: {"S": stock_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return item_from_attributes(item) if item else None


def _stale(stored: StockItem, fields: frozenset[Field], as_of: datetime) -> frozenset[Field]:
    return frozenset(field for field in fields if (version := stored.version(field)) is not None and version >= as_of)


def _write(
    table_name: str, update: StockUpdate, moment: datetime, fields: frozenset[Field], default_reorder_point: int
) -> Any:
    """The UpdateItem request that sets `fields` of the update (of time `moment`) and the stack's default, each
    field only over an older version of it (domain.item.apply_update's rule, checked by DynamoDB as it writes)."""
    as_of, old_form = format_as_of(moment), unpadded_time(moment)
    values: dict[str, Any] = {
        ":as_of": {"S": as_of},
        ":old_width": {"N": str(len(old_form))},
        ":default": {"N": str(default_reorder_point)},
    }
    if old_form != as_of:
        values[":old_as_of"] = {"S": old_form}
    sets, removes, conditions = [], [], []
    for field in Field:
        if field not in fields:
            continue
        value, time = VALUE[field], TIME[field]
        conditions.append(_older_than_update(time, old_form != as_of))
        sets.append(f"{time} = :as_of")
        stored = _stored_value(field, update)
        if stored is None:
            removes.append(value)
        else:
            sets.append(f"{value} = :{value}")
            values[f":{value}"] = stored
    sets.append(f"{DEFAULT_REORDER_POINT} = :default")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return {
        "TableName": table_name,
        "Key": {STOCK_ID: {"S": update.stock_id}},
        "UpdateExpression": expression,
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeValues": values,
        "ReturnValues": "ALL_OLD",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _older_than_update(time: str, year_below_1000: bool) -> str:
    """True when the field has no stored time, or one before the update's. Stored times are fixed-width, so string
    order is time order; but a level stored by the code before that form may hold a year below 1000 unpadded
    (`999-...`), which sorts after most four-digit years (a level of year 999 after every time before year 9990):
    compared as a string alone, it would refuse the item's updates for centuries. So the width counts first: a
    shorter stored time has fewer digits of year, older than a time whose unpadded form is longer, and one of the
    same width compares as a string with the update's unpadded form; a padded one, with the padded form. The order
    is exact for both forms, so no update is refused that a padded item would take (the stored form is rewritten
    with the next write of the level)."""
    condition = f"attribute_not_exists({time}) OR {time} < :as_of OR size({time}) < :old_width"
    if year_below_1000:
        condition += f" OR (size({time}) = :old_width AND {time} < :old_as_of)"
    return f"({condition})"


def _stored_value(field: Field, update: StockUpdate) -> dict[str, Any] | None:
    """The typed value a field of the update is stored as; None for a reorder point set back to the default."""
    if field is Field.LEVEL:
        return {"N": str(update.level)}
    if field is Field.ALERTS:
        return {"BOOL": bool(update.low_stock_alerts)}
    own = update.own_reorder_point
    return None if own is None else {"N": str(own)}
