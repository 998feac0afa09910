"""Lambda on the table's stream: for each change of an item, hand the alert of its becoming low, once, to the alerts
topic, which fans it out to every channel the stack chose (SMS and email subscribers, a queue per other channel),
and keep the item's place in the list of low items right. No channel's failure reaches this function: each is
retried and dead-lettered on its own path."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from adapters.inbound.dynamodb_stream import ItemChange, StreamRecord, parse_stream_records, partial_batch_response
from adapters.outbound.dynamodb_low_stock_list import DynamoDbLowStockList
from adapters.outbound.sns_low_stock_notifier import SnsLowStockNotifier
from domain.low_stock import DEFAULT_REORDER_POINT, parse_threshold
from domain.ports import LowStockList, LowStockNotifier, SentAlerts
from domain.use_cases import react_to_item_change
from handlers.aws import AwsClients, EntryPoint, Handler
from handlers.sent_alerts import sent_alerts
from handlers.settings import Channel, NotifierSettings
from handlers.time_budget import start_invocation

logger = logging.getLogger(__name__)


def build(settings: NotifierSettings[str], clients: AwsClients) -> Handler:
    """The stream's function, on the alerts topic, the record of alerts sent and the table's list of low items."""
    return NotifierFunction(
        SnsLowStockNotifier(clients.sns, settings.topic_arn).for_change,
        sent_alerts(Channel.SNS, settings.sent_alerts_table, settings.limits, clients.dynamodb),
        DynamoDbLowStockList(clients.dynamodb, settings.table_name),
        parse_threshold(settings.reorder_default.or_(DEFAULT_REORDER_POINT)),
    )


class NotifierFunction:
    """Hands the alert of each item that became low to the notifier `topic_for` gives for its change, once, as
    `sent` records, and lists or unlists the item in `low_list`; `stack_default` is the reorder point of an item
    stored before items carried the stack's default. A record of the list's own mark and nothing else is passed
    over: the item is as it was when the mark was judged, so there is nothing to announce or set right."""

    def __init__(
        self,
        topic_for: Callable[[str], LowStockNotifier],
        sent: SentAlerts,
        low_list: LowStockList,
        stack_default: int,
    ) -> None:
        self._topic_for = topic_for
        self._sent = sent
        self._low_list = low_list
        self._stack_default = stack_default

    def __call__(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        """React to each change in shard order; stop at the first failure so the shard resumes from it, and stop
        before the time runs out: a time-out would make Lambda retry the whole batch."""
        budget = start_invocation(context)
        for record in parse_stream_records(event):
            if record.change is None or record.change.only_list_mark:
                continue
            if not budget.allows_another():
                logger.warning(
                    "time is running out; the stream will resume from this record",
                    extra={"sequence_number": record.sequence_number},
                )
                return partial_batch_response(record.sequence_number)
            if not self._react(record.change, record):
                return partial_batch_response(record.sequence_number)
            budget.finished_one()
        return partial_batch_response(None)

    def _react(self, change: ItemChange, record: StreamRecord) -> bool:
        try:
            topic = self._topic_for(record.event_id)
            alert = react_to_item_change(
                change.previous,
                change.current,
                record.event_id,
                self._stack_default,
                topic,
                self._sent,
                self._low_list,
            )
        except Exception as error:
            logger.error(
                "change not handled; the stream will retry from this record: %s: %s",
                type(error).__name__,
                error,
                extra={"sequence_number": record.sequence_number},
            )
            return False
        if alert is not None:
            logger.info(
                "low-stock alert published",
                extra={
                    "stock_id": alert.stock_id,
                    "stock_level": alert.level,
                    "reorder_point": alert.reorder_point,
                    "reorder_point_source": str(alert.source),
                },
            )
        return True


handler = EntryPoint(build, NotifierSettings)
