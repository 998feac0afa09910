"""The record of alerts sent, one per channel, as the alert functions keep it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.outbound.dynamodb_sent_alerts import DynamoDbSentAlerts
from handlers.settings import Channel, FunctionLimits
from handlers.time_budget import finishing

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Sent marks outlive every retry of what delivers an alert (a stream keeps records 24 hours, and a channel's queue
# gives up on an alert well within that), and are kept two weeks, so that the alerts of an item can be looked up a
# week after the fact ("was the alert of Monday sent?"). What that costs is storage alone, about 400 bytes per alert
# and channel with the index entry (DynamoDB counts 100 bytes of overhead for each): time to live deletes for free.
KEEP_SENT_SECONDS = 14 * 24 * 3600
_LONGEST_INVOCATION_SECONDS = 900.0  # Lambda's longest time-out (15 minutes), for a function that does not say


class SentAlertsRecordedInTime:
    """Implements SentAlerts for one channel: its sent marks and releases go ahead even when the invocation is
    short of time, since a send already accepted and then left unrecorded would be sent again once its claim
    expires.

    Each channel claims an alert apart, so that a channel that failed is retried without sending again on those
    that accepted it; the topic keeps the bare change id it had when it was the only channel."""

    def __init__(self, record: DynamoDbSentAlerts, channel: Channel) -> None:
        self._record = record
        self._prefix = "" if channel == Channel.SNS else f"{channel}:"

    def claim(self, change_id: str, stock_id: str = "") -> bool:
        return self._record.claim(self._prefix + change_id, stock_id)

    def mark_sent(self, change_id: str) -> None:
        with finishing():
            self._record.mark_sent(self._prefix + change_id)

    def release(self, change_id: str) -> None:
        with finishing():
            self._record.release(self._prefix + change_id)


def sent_alerts(
    channel: Channel, table_name: str, limits: FunctionLimits, client: DynamoDBClient
) -> SentAlertsRecordedInTime:
    """The record of the alerts sent on `channel`, in the table `table_name`."""
    # A claim is held as long as one invocation may run: a crashed or timed-out holder then lets a retry send.
    hold = limits.timeout_seconds or _LONGEST_INVOCATION_SECONDS
    record = DynamoDbSentAlerts(client, table_name, hold, KEEP_SENT_SECONDS)
    return SentAlertsRecordedInTime(record, channel)
