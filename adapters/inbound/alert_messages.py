"""Alerts arriving on a channel's queue: SQS records delivered by the alerts topic with raw message delivery.

The publisher (adapters.outbound.sns_low_stock_notifier) puts the alert in the message's attributes; SNS hands
them on as SQS message attributes, which Lambda passes in each record's `messageAttributes` with lower-case
keys (docs.aws.amazon.com/lambda/latest/dg/with-sqs.html, "Example standard queue message event").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from domain.errors import InvalidStockInput
from domain.low_stock import LevelChange, parse_threshold
from domain.ports import AlertDelivery
from domain.stock import validate_level

ALERT_ID, STOCK_ID, STOCK_LEVEL, THRESHOLD = "alert_id", "stock_id", "stock_level", "threshold"


@dataclass(frozen=True)
class AlertMessage:
    """One alert on a channel's queue. `change` is the level the alert announced, as a change from no known level,
    so that the same rule that raised the alert raises it again here; None, with `problem`, if it is unreadable.
    `attributes` are the message's own, in the shape SendMessage takes, to keep it whole as a dead letter.
    `sent_at` is when the queue took the message (its SentTimestamp, in seconds since the epoch), None if the record
    does not say."""

    message_id: str
    receipt_handle: str
    receive_count: int
    sent_at: float | None
    alert_id: str
    change: LevelChange | None
    threshold: int
    body: str
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    problem: str = ""

    @property
    def delivery(self) -> AlertDelivery:
        """This delivery of the message, for its queue to bring back or keep as a dead letter."""
        return AlertDelivery(self.receipt_handle, self.body, self.attributes)


def parse_alert_messages(event: dict[str, Any]) -> list[AlertMessage]:
    """The alerts of an SQS event, in order; none is dropped for being unreadable."""
    return [_alert(record) for record in event.get("Records") or []]


def _alert(record: dict[str, Any]) -> AlertMessage:
    attributes = {
        name: {"DataType": str(value.get("dataType", "String")), "StringValue": str(value.get("stringValue", ""))}
        for name, value in (record.get("messageAttributes") or {}).items()
    }
    system = record.get("attributes") or {}
    sent_ms = system.get("SentTimestamp")
    message = AlertMessage(
        message_id=str(record["messageId"]),
        receipt_handle=str(record.get("receiptHandle") or ""),
        receive_count=int(system.get("ApproximateReceiveCount") or 1),
        sent_at=None if sent_ms is None else int(sent_ms) / 1000,
        alert_id="",
        change=None,
        threshold=0,
        body=str(record.get("body") or ""),
        attributes=attributes,
    )
    values = {name: value["StringValue"] for name, value in attributes.items()}
    try:
        change = LevelChange(values[STOCK_ID], previous=None, new=validate_level(values[STOCK_LEVEL]))
        return replace(message, alert_id=values[ALERT_ID], change=change, threshold=parse_threshold(values[THRESHOLD]))
    except KeyError as missing:
        return replace(message, problem=f"no {missing.args[0]} attribute")
    except InvalidStockInput as error:
        return replace(message, problem=str(error))
