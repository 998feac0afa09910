"""Lambda on the table's stream: detect each crossing of the low-stock threshold and hand its alert, once, to the
alerts topic, which fans it out to every channel the stack chose (SMS and email subscribers, a queue per other
channel). No channel's failure reaches this function: each is retried and dead-lettered on its own path."""

from __future__ import annotations

import functools
import logging
import os
from typing import Any

from adapters.inbound.dynamodb_stream import StreamRecord, parse_stream_records, partial_batch_response
from adapters.outbound.sns_low_stock_notifier import SnsLowStockNotifier
from domain.low_stock import DEFAULT_THRESHOLD, LevelChange, parse_threshold
from domain.use_cases import react_to_level_change
from handlers import aws
from handlers.sent_alerts import sent_alerts
from handlers.settings import Channel, NotifierSettings
from handlers.time_budget import start_invocation

logger = logging.getLogger(__name__)


@functools.cache
def _settings() -> NotifierSettings[str]:
    return NotifierSettings.from_environment(os.environ)


@functools.cache
def _topic() -> SnsLowStockNotifier:
    return SnsLowStockNotifier(aws.sns(), _settings().topic_arn)


@functools.cache
def _threshold() -> int:
    threshold = _settings().low_stock_threshold
    return parse_threshold(DEFAULT_THRESHOLD if threshold is None else threshold)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
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
        if not _alert(record.change, record):
            return partial_batch_response(record.sequence_number)
        budget.finished_one()
    return partial_batch_response(None)


def _alert(change: LevelChange, record: StreamRecord) -> bool:
    try:
        topic = _topic().for_change(record.event_id)
        record_of_sent = sent_alerts(Channel.SNS, _settings().sent_alerts_table)
        alert = react_to_level_change(change, record.event_id, _threshold(), topic, record_of_sent)
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
