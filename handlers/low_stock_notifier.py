"""Lambda on the table's stream: detect each crossing of the low-stock threshold and hand its alert, once, to the
alerts topic, which fans it out to every channel the stack chose (SMS and email subscribers, a queue per other
channel). No channel's failure reaches this function: each is retried and dead-lettered on its own path."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from adapters.inbound.dynamodb_stream import StreamRecord, parse_stream_records, partial_batch_response
from adapters.outbound.sns_low_stock_notifier import SnsLowStockNotifier
from domain.low_stock import DEFAULT_THRESHOLD, LevelChange, parse_threshold
from domain.ports import LowStockNotifier, SentAlerts
from domain.use_cases import react_to_level_change
from handlers.aws import AwsClients, EntryPoint, Handler
from handlers.sent_alerts import sent_alerts
from handlers.settings import Channel, NotifierSettings
from handlers.time_budget import start_invocation

logger = logging.getLogger(__name__)


def build(settings: NotifierSettings[str], clients: AwsClients) -> Handler:
    """The stream's function, on the alerts topic and the record of alerts sent."""
    threshold = DEFAULT_THRESHOLD if settings.low_stock_threshold is None else settings.low_stock_threshold
    return NotifierFunction(
        SnsLowStockNotifier(clients.sns, settings.topic_arn).for_change,
        sent_alerts(Channel.SNS, settings.sent_alerts_table, settings.limits, clients.dynamodb),
        parse_threshold(threshold),
    )


class NotifierFunction:
    """Hands the alert of each crossing of `threshold` to the notifier `topic_for` gives for its change, once,
    as `sent` records."""

    def __init__(self, topic_for: Callable[[str], LowStockNotifier], sent: SentAlerts, threshold: int) -> None:
        self._topic_for = topic_for
        self._sent = sent
        self._threshold = threshold

    def __call__(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        """React to each change in shard order; stop at the first failure so the shard resumes from it, and stop
        before the time runs out: a time-out would make Lambda retry the whole batch."""
        budget = start_invocation(context)
        for record in parse_stream_records(event):
            if record.change is None:
                continue
            if not budget.allows_another():
                logger.warning(
                    "time is running out; the stream will resume from this record",
                    extra={"sequence_number": record.sequence_number},
                )
                return partial_batch_response(record.sequence_number)
            if not self._alert(record.change, record):
                return partial_batch_response(record.sequence_number)
            budget.finished_one()
        return partial_batch_response(None)

    def _alert(self, change: LevelChange, record: StreamRecord) -> bool:
        try:
            topic = self._topic_for(record.event_id)
            alert = react_to_level_change(change, record.event_id, self._threshold, topic, self._sent)
        except Exception as error:
            logger.error(
                "alert not published; the stream will retry from this record: %s: %s",
                type(error).__name__,
                error,
                extra={"sequence_number": record.sequence_number},
            )
            return False
        if alert is not None:
            logger.info("low-stock alert published", extra={"stock_id": alert.stock_id, "stock_level": alert.level})
        return True


handler = EntryPoint(build, NotifierSettings)
