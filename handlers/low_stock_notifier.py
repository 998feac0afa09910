"""Lambda on the table's stream: send a low-stock alert for every crossing of the threshold, on each channel the
stack chose (ALERT_CHANNELS: sns, webhook, or both)."""

from __future__ import annotations

import functools
import logging
from typing import Any

from adapters.inbound.dynamodb_stream import StreamRecord, parse_stream_records, partial_batch_response
from adapters.outbound.dynamodb_sent_alerts import DynamoDbSentAlerts
from adapters.outbound.sns_low_stock_notifier import SnsLowStockNotifier
from adapters.outbound.webhook_low_stock_notifier import WebhookLowStockNotifier
from domain.low_stock import DEFAULT_THRESHOLD, LevelChange, parse_threshold
from domain.ports import LowStockNotifier
from domain.use_cases import react_to_level_change
from handlers import aws
from handlers.time_budget import ensure_time_for, finishing, start_invocation

logger = logging.getLogger(__name__)
# Sent marks outlive every retry of their stream record: a stream keeps records 24 hours.
_KEEP_SENT_SECONDS = 48 * 3600
_LONGEST_INVOCATION_SECONDS = 900.0  # Lambda's longest time-out (15 minutes), for a function that does not say
CHANNELS = ("sns", "webhook")


@functools.cache
def _channels() -> tuple[str, ...]:
    chosen = tuple(channel.strip() for channel in aws.setting("ALERT_CHANNELS", "sns").split(",") if channel.strip())
    unknown = set(chosen) - set(CHANNELS)
    if unknown or not chosen:
        raise RuntimeError(f"ALERT_CHANNELS must name some of {', '.join(CHANNELS)}, not {sorted(unknown) or chosen}")
    return chosen


@functools.cache
def _notifier(channel: str) -> LowStockNotifier:
    if channel == "webhook":
        # Read once per execution environment, never from the environment: the URL is a credential.
        secret = aws.secrets_manager().get_secret_value(SecretId=aws.setting("ALERT_WEBHOOK_SECRET_ARN"))
        attempt = aws.attempt_seconds()
        return WebhookLowStockNotifier(secret["SecretString"], attempt, before_attempt=lambda: ensure_time_for(attempt))
    return SnsLowStockNotifier(aws.sns(), aws.setting("TOPIC_ARN"))


class _SentAlertsRecordedInTime:
    """The sent-alerts record of one channel, whose sent marks and releases go ahead even when the invocation is
    short of time: a publish already accepted and then left unrecorded would be sent again once its claim expires.

    Each channel claims an alert apart, so that a channel that failed is retried without re-sending on those
    that accepted it; SNS keeps the bare change id it had when it was the only channel."""

    def __init__(self, record: DynamoDbSentAlerts, channel: str) -> None:
        self._record = record
        self._prefix = "" if channel == "sns" else f"{channel}:"

    def claim(self, change_id: str) -> bool:
        return self._record.claim(self._prefix + change_id)

    def mark_sent(self, change_id: str) -> None:
        with finishing():
            self._record.mark_sent(self._prefix + change_id)

    def release(self, change_id: str) -> None:
        with finishing():
            self._record.release(self._prefix + change_id)


@functools.cache
def _sent_alerts(channel: str) -> _SentAlertsRecordedInTime:
    # A claim is held as long as one invocation may run: a crashed or timed-out holder then lets a retry send.
    hold = aws.function_timeout_seconds() or _LONGEST_INVOCATION_SECONDS
    record = DynamoDbSentAlerts(aws.dynamodb(), aws.setting("SENT_ALERTS_TABLE"), hold, _KEEP_SENT_SECONDS)
    return _SentAlertsRecordedInTime(record, channel)


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
        for channel in _channels():
            if not _alert(record.change, record, channel):
                return partial_batch_response(record.sequence_number)
        budget.finished_one()
    return partial_batch_response(None)


def _alert(change: LevelChange, record: StreamRecord, channel: str) -> bool:
    try:
        alert = react_to_level_change(change, record.event_id, _threshold(), _notifier(channel), _sent_alerts(channel))
    except Exception as error:
        # The error's text only: a traceback of the webhook's failure could carry its URL.
        logger.error(
            "alert not sent on %s; the stream will retry from this record: %s: %s",
            channel,
            type(error).__name__,
            error,
            extra={"sequence_number": record.sequence_number, "channel": channel},
        )
        return False
    if alert is not None:
        logger.info(
            "low-stock alert sent",
            extra={"stock_id": alert.stock_id, "stock_level": alert.level, "channel": channel},
        )
    return True
