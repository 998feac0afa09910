"""The record of sent alerts on a DynamoDB table keyed by `change_id`, its entries expiring by time to live; each
names its item, for the index that finds an item's alerts."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_SENDING, _SENT = "SENDING", "SENT"
# The keys of the index by item (`stock_id`, then `claimed_at`), named here and in the program that declares it.
STOCK_ID, CLAIMED_AT = "stock_id", "claimed_at"
BY_ITEM_INDEX = "by-item"
_FREE_TO_CLAIM = "attribute_not_exists(change_id) OR (#status = :sending AND held_until < :now)"


class AlertHeldElsewhere(RuntimeError):
    """Another attempt claimed this alert and its hold has not expired: retry later."""


class DynamoDbSentAlerts:
    """Implements SentAlerts: a claim is a conditional put holding the alert `hold_seconds` (then another attempt
    may take it over: the holder crashed or timed out); a sent mark stays `keep_seconds`, past any retry of
    its stream record (a stream keeps records 24 hours), then DynamoDB's time to live removes it.

    DynamoDB deletes expired items within a few days, and they can be read until then
    (docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html): harmless here, since an
    expired sent mark still means "sent". A failed condition returns the stored item with
    ReturnValuesOnConditionCheckFailure (docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html),
    so a refused claim costs no second read.

    A claim names the item its alert is for and when it was made: the keys of an index by item, which finds an
    item's alerts without a scan. An index key may not be an empty string, so a claim that names no item is left out
    of the index."""

    def __init__(self, client: DynamoDBClient, table_name: str, hold_seconds: float, keep_seconds: int) -> None:
        self._client = client
        self._table_name = table_name
        self._hold_seconds = hold_seconds
        self._keep_seconds = keep_seconds

    def claim(self, change_id: str, stock_id: str = "") -> bool:
        now = time.time()
        item: dict[str, Any] = {
            "change_id": {"S": change_id},
            "status": {"S": _SENDING},
            "held_until": {"N": f"{now + self._hold_seconds:.3f}"},
            "expires_at": {"N": str(int(now) + self._keep_seconds)},
            CLAIMED_AT: {"N": f"{now:.3f}"},
        }
        if stock_id:
            item[STOCK_ID] = {"S": stock_id}
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=item,
                ConditionExpression=_FREE_TO_CLAIM,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":sending": {"S": _SENDING}, ":now": {"N": f"{now:.3f}"}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            held: Any = error.response.get("Item") or {}
            if held.get("status", {}).get("S") == _SENT:
                return False
            raise AlertHeldElsewhere(f"the alert of change {change_id} is held by another attempt") from None
        return True

    def mark_sent(self, change_id: str) -> None:
        self._client.update_item(
            TableName=self._table_name,
            Key={"change_id": {"S": change_id}},
            UpdateExpression="SET #status = :sent, expires_at = :expires REMOVE held_until",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":sent": {"S": _SENT},
                ":expires": {"N": str(int(time.time()) + self._keep_seconds)},
            },
        )

    def release(self, change_id: str) -> None:
        try:  # never forget an alert that was sent
            self._client.delete_item(
                TableName=self._table_name,
                Key={"change_id": {"S": change_id}},
                ConditionExpression="#status = :sending",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":sending": {"S": _SENDING}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
