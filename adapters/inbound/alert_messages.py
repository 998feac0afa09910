"""Alerts arriving on a channel's queue: SQS records delivered by the alerts topic with raw message delivery.

The publisher (adapters.outbound.sns_low_stock_notifier) puts the alert in the message's attributes; SNS hands
them on as SQS message attributes, which Lambda passes in each record's `messageAttributes` with lower-case
keys (docs.aws.amazon.com/lambda/latest/dg/with-sqs.html, "Example standard queue message event"). An alert
published before items had their own reorder points carries `threshold` in place of `reorder_point` and
`reorder_point_source`: the reorder point then in force, the stack's default, as it was read then; such alerts may
still wait on a queue or in its dead letters, and are read as they were meant.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from domain.errors import InvalidStockInput
from domain.item import Source
from domain.low_stock import LowStockAlert, parse_threshold
from domain.ports import AlertDelivery
from domain.stock import validate_level, validate_reorder_point, validate_stock_id

ALERT_ID, STOCK_ID, STOCK_LEVEL = "alert_id", "stock_id", "stock_level"
REORDER_POINT, REORDER_POINT_SOURCE = "reorder_point", "reorder_point_source"
THRESHOLD = "threshold"  # the reorder point of an alert published before items had their own


@dataclass(frozen=True)
class AlertMessage:
    """One alert on a channel's queue. `alert` is the alert as its message says, to be delivered as it is (the rule
    that raised it is not judged again here); None, with `problem`, if it is unreadable.
    `attributes` are the message's own, in the shape SendMessage takes, to keep it whole as a dead letter.
    `sent_at` is when the queue took the message (its SentTimestamp, in seconds since the epoch), None if the record
    does not say."""

    message_id: str
    receipt_handle: str
    receive_count: int
    sent_at: float | None
    alert_id: str
    alert: LowStockAlert | None
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
        alert=None,
        body=str(record.get("body") or ""),
        attributes=attributes,
    )
    values = {name: value["StringValue"] for name, value in attributes.items()}
    try:
        stock_id, level, alert_id = values[STOCK_ID], validate_level(values[STOCK_LEVEL]), values[ALERT_ID]
        alert = LowStockAlert(validate_stock_id(stock_id), level, *_reorder_point(values))
        return replace(message, alert_id=alert_id, alert=alert)
    except KeyError as missing:
        return replace(message, problem=f"no {missing.args[0]} attribute")
    except InvalidStockInput as error:
        return replace(message, problem=str(error))


def _reorder_point(values: dict[str, str]) -> tuple[int, Source]:
    """The reorder point the alert names and whose it is; an alert of the old form names the default's value."""
    if REORDER_POINT not in values and THRESHOLD in values:
        return parse_threshold(values[THRESHOLD]), Source.DEFAULT
    point = validate_reorder_point(values[REORDER_POINT])
    try:
        return point, Source(values[REORDER_POINT_SOURCE])
    except ValueError:
        sources = " or ".join(repr(str(source)) for source in Source)
        raise InvalidStockInput(
            f"reorder_point_source must be {sources}, not {values[REORDER_POINT_SOURCE]!r}"
        ) from None
