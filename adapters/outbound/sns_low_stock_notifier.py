"""The low-stock notifier on the alerts topic: SMS and email subscribers read its text, and each other channel's
queue reads the alert from its message attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.outbound.alert_wording import alert_text
from domain.low_stock import LowStockAlert

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

# The attributes that carry an alert to a channel's queue. SNS passes a message's attributes on to an SQS
# subscription with raw message delivery as the SQS message's own attributes
# (docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html); a message with more than ten is
# discarded as a client-side error (docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html), and a dead
# letter adds three (channel, status, reason): nine in all. `threshold`, the reorder point under the name alerts had
# before items had their own, is kept beside it: while a deploy updates the functions one after the other, a chat
# channel's function still on the earlier code reads it and delivers the alert rather than dead-letter it.
ALERT_ID, STOCK_ID, STOCK_LEVEL, THRESHOLD = "alert_id", "stock_id", "stock_level", "threshold"
REORDER_POINT, REORDER_POINT_SOURCE = "reorder_point", "reorder_point_source"


class SnsLowStockNotifier:
    """Implements LowStockNotifier: one Publish per alert; an SNS error propagates so the alert is retried.

    `alert_id` names the change the alert is for, so that each channel sends it once however often it arrives."""

    def __init__(self, client: SNSClient, topic_arn: str, alert_id: str = "") -> None:
        self._client = client
        self._topic_arn = topic_arn
        self._alert_id = alert_id

    def for_change(self, alert_id: str) -> SnsLowStockNotifier:
        """The same notifier, naming the alerts it sends after this change."""
        return SnsLowStockNotifier(self._client, self._topic_arn, alert_id)

    def send(self, alert: LowStockAlert) -> None:
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            STOCK_ID: {"DataType": "String", "StringValue": alert.stock_id},
            STOCK_LEVEL: {"DataType": "Number", "StringValue": str(alert.level)},
            REORDER_POINT: {"DataType": "Number", "StringValue": str(alert.reorder_point)},
            REORDER_POINT_SOURCE: {"DataType": "String", "StringValue": str(alert.source)},
            THRESHOLD: {"DataType": "Number", "StringValue": str(alert.reorder_point)},
        }
        if self._alert_id:
            attributes[ALERT_ID] = {"DataType": "String", "StringValue": self._alert_id}
        self._client.publish(
            TopicArn=self._topic_arn,
            Subject=f"Low stock: {alert.stock_id}"[:100],
            Message=alert_text(alert),
            MessageAttributes=attributes,
        )
