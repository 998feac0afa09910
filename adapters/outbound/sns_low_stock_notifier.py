"""The low-stock notifier on an SNS topic, whose subscribers get SMS or email."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.outbound.alert_wording import alert_text
from domain.low_stock import LowStockAlert

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


class SnsLowStockNotifier:
    """Implements LowStockNotifier: one Publish per alert; an SNS error propagates so the alert is retried."""

    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def send(self, alert: LowStockAlert) -> None:
        self._client.publish(
            TopicArn=self._topic_arn,
            Subject=f"Low stock: {alert.stock_id}"[:100],
            Message=alert_text(alert),
            MessageAttributes={
                "stock_id": {"DataType": "String", "StringValue": alert.stock_id},
                "stock_level": {"DataType": "Number", "StringValue": str(alert.level)},
            },
        )
