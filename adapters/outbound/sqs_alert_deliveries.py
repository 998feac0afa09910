"""A channel's alerts on its SQS queue: one comes back when its visibility timeout ends, and one given up on is
kept whole in the channel's dead-letter queue, with why, in message attributes."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from domain.ports import AlertDelivery

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

# What a dead letter says of its failure; a redriven alert that fails again carries the last failure's: none is kept.
CHANNEL, STATUS, REASON = "channel", "status", "reason"


class SqsAlertDeliveries:
    """Implements AlertDeliveries: the wait is the message's visibility timeout (ChangeMessageVisibility), and a
    dead letter is the message sent again to the dead-letter queue. An SQS error propagates."""

    def __init__(self, client: SQSClient, queue_url: str, dead_letter_queue_url: str, channel: str) -> None:
        self._client = client
        self._queue_url = queue_url
        self._dead_letter_queue_url = dead_letter_queue_url
        self._channel = channel

    def try_again_in(self, alert: AlertDelivery, seconds: float) -> None:
        self._client.change_message_visibility(
            QueueUrl=self._queue_url, ReceiptHandle=alert.receipt, VisibilityTimeout=math.ceil(seconds)
        )

    def give_up(self, alert: AlertDelivery, status: int | None, reason: str) -> None:
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            name: {"DataType": value["DataType"], "StringValue": value["StringValue"]}
            for name, value in alert.attributes.items()
            if name not in (CHANNEL, STATUS, REASON)
        }
        attributes[CHANNEL] = {"DataType": "String", "StringValue": self._channel}
        attributes[REASON] = {"DataType": "String", "StringValue": reason}
        if status is not None:
            attributes[STATUS] = {"DataType": "Number", "StringValue": str(status)}
        # SQS refuses an empty body: a message that had none is kept with its reason as its body.
        self._client.send_message(
            QueueUrl=self._dead_letter_queue_url, MessageBody=alert.body or reason, MessageAttributes=attributes
        )
