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
from domain.low_stock import DEFAULT_THRESHOLD, LevelChange, LowStockAlert, parse_threshold
from domain.ports import LowStockNotifier
from domain.use_cases import react_to_level_change
from handlers import aws
from handlers.secret_cache import CachedSecret
from handlers.time_budget import ensure_time_for, finishing, start_invocation

logger = logging.getLogger(__name__)
# Sent marks outlive every retry of their stream record: a stream keeps records 24 hours.
_KEEP_SENT_SECONDS = 48 * 3600
_LONGEST_INVOCATION_SECONDS = 900.0  # Lambda's longest time-out (15 minutes), for a function that does not say
CHANNELS = ("sns", "webhook")
# A webhook URL replaced in its secret is used by every warm environment within 5 minutes: the time AWS's own
# Parameters and Secrets Lambda extension keeps a secret by default
# (docs.aws.amazon.com/lambda/latest/dg/with-secrets-manager.html), at one GetSecretValue per 5 minutes per environment.
WEBHOOK_URL_MAX_AGE_SECONDS = 300.0


@functools.cache
def _channels() -> tuple[str, ...]:
    chosen = tuple(channel.strip() for channel in aws.setting("ALERT_CHANNELS", "sns").split(",") if channel.strip())
    unknown = set(chosen) - set(CHANNELS)
    if unknown or not chosen:
        raise RuntimeError(f"ALERT_CHANNELS must name some of {', '.join(CHANNELS)}, not {sorted(unknown) or chosen}")
    return chosen


class _WebhookAtItsCurrentUrl:
    """Implements LowStockNotifier: posts to the URL its secret holds, as read at most WEBHOOK_URL_MAX_AGE_SECONDS
    ago. The URL is read when an alert is to be sent, so a failed read fails that send and the stream retries it."""

    def __init__(self, url: CachedSecret, attempt_seconds: float) -> None:
        self._url = url
        self._attempt = attempt_seconds

    def send(self, alert: LowStockAlert) -> None:
        before_attempt = functools.partial(ensure_time_for, self._attempt)
        WebhookLowStockNotifier(self._url.value(), self._attempt, before_attempt=before_attempt).send(alert)


@functools.cache
def _notifier(channel: str) -> LowStockNotifier:
    if channel == "webhook":
        # Read from Secrets Manager, never from the environment: the URL is a credential.
        url = CachedSecret(
            aws.secrets_manager(), aws.setting("ALERT_WEBHOOK_SECRET_ARN"), max_age_seconds=WEBHOOK_URL_MAX_AGE_SECONDS
        )
        return _WebhookAtItsCurrentUrl(url, aws.attempt_seconds())
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
