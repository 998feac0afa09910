"""Lambda on the table's stream: send a low-stock alert for every crossing of the threshold."""

from __future__ import annotations

import functools
import logging
from typing import Any

from adapters.inbound.dynamodb_stream import parse_stream_records, partial_batch_response
from adapters.outbound.dynamodb_sent_alerts import DynamoDbSentAlerts
from adapters.outbound.sns_low_stock_notifier import SnsLowStockNotifier
from domain.low_stock import DEFAULT_THRESHOLD, parse_threshold
from domain.use_cases import react_to_level_change
from handlers import aws
from handlers.time_budget import finishing, start_invocation

logger = logging.getLogger(__name__)
# Sent marks outlive every retry of their stream record: a stream keeps records 24 hours.
_KEEP_SENT_SECONDS = 48 * 3600
_LONGEST_INVOCATION_SECONDS = 900.0  # Lambda's longest time-out (15 minutes), for a function that does not say


@functools.cache
def _notifier() -> SnsLowStockNotifier:
    return SnsLowStockNotifier(aws.sns(), aws.setting("TOPIC_ARN"))


class _SentAlertsRecordedInTime:
    """The sent-alerts record, whose sent marks and releases go ahead even when the invocation is short of time:
    a publish already accepted and then left unrecorded would be sent again once its claim expires."""

    def __init__(self, record: DynamoDbSentAlerts) -> None:
        self._record = record

    def claim(self, change_id: str) -> bool:
        return self._record.claim(change_id)

    def mark_sent(self, change_id: str) -> None:
        with finishing():
            self._record.mark_sent(change_id)

    def release(self, change_id: str) -> None:
        with finishing():
            self._record.release(change_id)


@functools.cache
def _sent_alerts() -> _SentAlertsRecordedInTime:
    # A claim is held as long as one invocation may run: a crashed or timed-out holder then lets a retry send.
    hold = aws.function_timeout_seconds() or _LONGEST_INVOCATION_SECONDS
    record = DynamoDbSentAlerts(aws.dynamodb(), aws.setting("SENT_ALERTS_TABLE"), hold, _KEEP_SENT_SECONDS)
    return _SentAlertsRecordedInTime(record)


@functools.cache
def _threshold() -> int:
    return parse_threshold(aws.setting("LOW_STOCK_THRESHOLD", str(DEFAULT_THRESHOLD)))


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """React to each change in shard order; stop at the first failure so the shard resumes from it, and stop
    before the time runs out: a time-out would make Lambda retry the whole batch, sending its alerts again."""
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
        try:
            alert = react_to_level_change(record.change, record.event_id, _threshold(), _notifier(), _sent_alerts())
        except Exception:
            logger.exception(
                "alert not sent; the stream will retry from this record",
                extra={"sequence_number": record.sequence_number},
            )
            return partial_batch_response(record.sequence_number)
        budget.finished_one()
        if alert is not None:
            logger.info("low-stock alert sent", extra={"stock_id": alert.stock_id, "stock_level": alert.level})
    return partial_batch_response(None)
