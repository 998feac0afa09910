"""Lambda on the chat channel's queue: post each alert the topic fanned out to the chat webhook, once.

Each message is one attempt. A permanent refusal (a 4xx other than 408 and 429) goes to the channel's dead
letters at once with its status and reason; a transient failure (5xx, 408, 429, no answer, or any other error)
waits on the queue and is tried again: after the webhook's Retry-After if it gave one, else after a back-off that
doubles, until DELIVERY_ATTEMPTS attempts, then it goes to the dead letters too. The wait is the message's
visibility timeout (ChangeMessageVisibility, up to 12 hours: docs.aws.amazon.com/AWSSimpleQueueService/latest/
APIReference/API_ChangeMessageVisibility.html). Lambda deletes only the messages of a batch that succeeded
(docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html) and leaves a failed one's visibility as it
is, so it comes back when the wait set here ends (as github.com/aws/aws-dotnet-messaging/issues/151 relies on;
AWS's page does not say it). So nothing waits inside a running function, and no other channel waits at all.
"""

from __future__ import annotations

import functools
import logging
import math
from typing import TYPE_CHECKING, Any

from adapters.inbound.alert_messages import AlertMessage, parse_alert_messages
from adapters.inbound.sqs_batch import partial_batch_response
from adapters.outbound.webhook_low_stock_notifier import WebhookLowStockNotifier, WebhookNotAccepted
from domain.low_stock import LowStockAlert
from domain.ports import LowStockNotifier, SentAlerts
from domain.use_cases import react_to_level_change
from handlers.aws import AwsClients, EntryPoint, Handler
from handlers.secret_cache import CachedSecret
from handlers.sent_alerts import sent_alerts
from handlers.settings import Channel, WebhookAlertFunctionSettings
from handlers.time_budget import ensure_time_for, start_invocation

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

logger = logging.getLogger(__name__)
CHANNEL = Channel.WEBHOOK
_FAILURE_ATTRIBUTES = ("channel", "status", "reason")
FIRST_WAIT_SECONDS = 5
LONGEST_WAIT_SECONDS = 900  # between two back-off attempts
# The longest a message may stay hidden (ChangeMessageVisibility): a webhook asking for more is tried after that.
LONGEST_VISIBILITY_SECONDS = 12 * 3600
# A webhook URL replaced in its secret is used by every warm environment within 5 minutes: the time AWS's own
# Parameters and Secrets Lambda extension keeps a secret by default
# (docs.aws.amazon.com/lambda/latest/dg/with-secrets-manager.html), at one GetSecretValue per 5 minutes per environment.
WEBHOOK_URL_MAX_AGE_SECONDS = 300.0


class _WebhookAtItsCurrentUrl:
    """Implements LowStockNotifier: posts to the URL its secret holds, as read at most WEBHOOK_URL_MAX_AGE_SECONDS
    ago, and again at once when the webhook refuses an alert for good. The URL is read when an alert is to be sent,
    so a failed read fails that attempt, which is tried again."""

    def __init__(self, url: CachedSecret, attempt_seconds: float) -> None:
        self._url = url
        self._attempt = attempt_seconds

    def send(self, alert: LowStockAlert) -> None:
        try:
            self._post(alert)
        except WebhookNotAccepted as refused:
            # A URL revoked or moved by a rotation is refused for good: the new one, if the secret holds one
            # already, is tried at once rather than the alert waiting in the dead letters for a redrive.
            if not refused.permanent or not self._url.reread():
                raise
            self._post(alert)

    def _post(self, alert: LowStockAlert) -> None:
        before_attempt = functools.partial(ensure_time_for, self._attempt)
        WebhookLowStockNotifier(self._url.value(), self._attempt, before_attempt=before_attempt).send(alert)


def build(settings: WebhookAlertFunctionSettings, clients: AwsClients) -> Handler:
    """The chat channel's function, on the webhook its secret names, the record of alerts sent and its queue."""
    # Read from Secrets Manager, never from the environment: the URL is a credential.
    url = CachedSecret(
        clients.secrets_manager, settings.webhook_secret_arn, max_age_seconds=WEBHOOK_URL_MAX_AGE_SECONDS
    )
    return WebhookAlertFunction(
        _WebhookAtItsCurrentUrl(url, clients.attempt_seconds),
        sent_alerts(CHANNEL, settings.sent_alerts_table, settings.limits, clients.dynamodb),
        settings.delivery_attempts,
        clients.sqs,
        settings.queue.url,
        settings.dead_letters.url,
    )


def back_off_seconds(attempts_made: int) -> int:
    """The wait after the n-th failed attempt when the webhook named none: 5 s, doubling, 15 minutes at most."""
    doubled: int = FIRST_WAIT_SECONDS * 2 ** max(attempts_made - 1, 0)
    return min(doubled, LONGEST_WAIT_SECONDS)


class WebhookAlertFunction:
    """Posts each alert to `webhook` once, as `sent` records, giving each `attempts` attempts; its queue, `sqs`
    at `queue_url`, brings back those to be tried again, and what is given up on goes to `dead_letter_queue_url`."""

    def __init__(
        self,
        webhook: LowStockNotifier,
        sent: SentAlerts,
        attempts: int,
        sqs: SQSClient,
        queue_url: str,
        dead_letter_queue_url: str,
    ) -> None:
        self._webhook = webhook
        self._sent = sent
        self._attempts = attempts
        self._sqs = sqs
        self._queue_url = queue_url
        self._dead_letter_queue_url = dead_letter_queue_url

    def __call__(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        """Deliver each alert of the batch; report for retry those to be tried again, and those left unstarted when
        the time left might not fit one more attempt (made visible at once, as they were not tried)."""
        budget = start_invocation(context)
        retry = []
        for message in parse_alert_messages(event):
            if not budget.allows_another():
                self._try_again(message, 0)
                retry.append(message.message_id)
            elif not self._deliver(message):
                retry.append(message.message_id)
            budget.finished_one()
        return partial_batch_response(retry)

    def _deliver(self, message: AlertMessage) -> bool:
        """True once the alert needs nothing more: posted, posted before, or kept as a dead letter."""
        if message.change is None:
            return self._dead_letter(message, None, f"not an alert: {message.problem}")
        try:
            react_to_level_change(message.change, message.alert_id, message.threshold, self._webhook, self._sent)
        except WebhookNotAccepted as refused:
            if refused.permanent:
                return self._dead_letter(message, refused.status, refused.reason)
            return self._failed(message, refused.status, refused.reason, refused.retry_after)
        except Exception as error:
            # The sent record, the secret or the time budget: none is the webhook's answer, and each may pass.
            return self._failed(message, None, f"{type(error).__name__}: {error}", None)
        logger.info("low-stock alert posted", extra={"alert_id": message.alert_id, "channel": CHANNEL})
        return True

    def _failed(self, message: AlertMessage, status: int | None, reason: str, retry_after: float | None) -> bool:
        if message.receive_count >= self._attempts:
            return self._dead_letter(message, status, f"{reason} (gave up after {message.receive_count} attempts)")
        wait = (
            back_off_seconds(message.receive_count)
            if retry_after is None
            else min(retry_after, LONGEST_VISIBILITY_SECONDS)
        )
        logger.warning(
            "alert not posted; trying again in %d s: %s",
            math.ceil(wait),
            reason,
            extra={"alert_id": message.alert_id, "channel": CHANNEL, "attempt": message.receive_count},
        )
        self._try_again(message, wait)
        return False

    def _try_again(self, message: AlertMessage, seconds: float) -> None:
        try:
            self._sqs.change_message_visibility(
                QueueUrl=self._queue_url, ReceiptHandle=message.receipt_handle, VisibilityTimeout=math.ceil(seconds)
            )
        except Exception as error:
            # The message still comes back, after the queue's own visibility timeout.
            logger.error("could not set when to try again: %s: %s", type(error).__name__, error)

    def _dead_letter(self, message: AlertMessage, status: int | None, reason: str) -> bool:
        """Keep the message whole, with why it was not delivered; False (try again) if it could not be kept."""
        # A redriven alert that fails again carries the last failure's channel, status and reason: none is kept.
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            name: {"DataType": value["DataType"], "StringValue": value["StringValue"]}
            for name, value in message.attributes.items()
            if name not in _FAILURE_ATTRIBUTES
        }
        attributes["channel"] = {"DataType": "String", "StringValue": CHANNEL}
        attributes["reason"] = {"DataType": "String", "StringValue": reason}
        if status is not None:
            attributes["status"] = {"DataType": "Number", "StringValue": str(status)}
        try:
            self._sqs.send_message(
                QueueUrl=self._dead_letter_queue_url, MessageBody=message.body or reason, MessageAttributes=attributes
            )
        except Exception as error:
            logger.error("alert not kept as a dead letter; it will be tried again: %s: %s", type(error).__name__, error)
            return False
        logger.error(
            "alert not posted; kept in the channel's dead letters: %s",
            reason,
            extra={"alert_id": message.alert_id, "channel": CHANNEL, "status": status},
        )
        return True


handler = EntryPoint(build, WebhookAlertFunctionSettings)
