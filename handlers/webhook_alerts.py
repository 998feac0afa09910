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
from typing import Any

from adapters.inbound.alert_messages import AlertMessage, parse_alert_messages
from adapters.inbound.sqs_batch import partial_batch_response
from adapters.outbound.secret_cache import CachedSecret
from adapters.outbound.sqs_alert_deliveries import SqsAlertDeliveries
from adapters.outbound.webhook_at_current_url import WebhookAtItsCurrentUrl
from adapters.outbound.webhook_low_stock_notifier import WebhookNotAccepted
from domain.ports import AlertDeliveries, LowStockNotifier, SentAlerts
from domain.use_cases import react_to_level_change
from handlers.aws import AwsClients, EntryPoint, Handler
from handlers.sent_alerts import sent_alerts
from handlers.settings import Channel, WebhookAlertFunctionSettings
from handlers.time_budget import ensure_time_for, start_invocation

logger = logging.getLogger(__name__)
CHANNEL = Channel.WEBHOOK
FIRST_WAIT_SECONDS = 5
LONGEST_WAIT_SECONDS = 900  # between two back-off attempts
# The longest a message may stay hidden (ChangeMessageVisibility): a webhook asking for more is tried after that.
LONGEST_VISIBILITY_SECONDS = 12 * 3600
# A webhook URL replaced in its secret is used by every warm environment within 5 minutes: the time AWS's own
# Parameters and Secrets Lambda extension keeps a secret by default
# (docs.aws.amazon.com/lambda/latest/dg/with-secrets-manager.html), at one GetSecretValue per 5 minutes per environment.
WEBHOOK_URL_MAX_AGE_SECONDS = 300.0


def build(settings: WebhookAlertFunctionSettings, clients: AwsClients) -> Handler:
    """The chat channel's function, on the webhook its secret names, the record of alerts sent and its queue."""
    # Read from Secrets Manager, never from the environment: the URL is a credential.
    url = CachedSecret(
        clients.secrets_manager, settings.webhook_secret_arn, max_age_seconds=WEBHOOK_URL_MAX_AGE_SECONDS
    )
    before_attempt = functools.partial(ensure_time_for, clients.attempt_seconds)
    return WebhookAlertFunction(
        WebhookAtItsCurrentUrl(url, clients.attempt_seconds, before_attempt),
        sent_alerts(CHANNEL, settings.sent_alerts_table, settings.limits, clients.dynamodb),
        SqsAlertDeliveries(clients.sqs, settings.queue.url, settings.dead_letters.url, CHANNEL),
        settings.delivery_attempts,
    )


def back_off_seconds(attempts_made: int) -> int:
    """The wait after the n-th failed attempt when the webhook named none: 5 s, doubling, 15 minutes at most."""
    doubled: int = FIRST_WAIT_SECONDS * 2 ** max(attempts_made - 1, 0)
    return min(doubled, LONGEST_WAIT_SECONDS)


class WebhookAlertFunction:
    """Posts each alert to `webhook` once, as `sent` records, giving each `attempts` attempts: `deliveries` brings
    back those to be tried again, and keeps those given up on as dead letters."""

    def __init__(self, webhook: LowStockNotifier, sent: SentAlerts, deliveries: AlertDeliveries, attempts: int) -> None:
        self._webhook = webhook
        self._sent = sent
        self._deliveries = deliveries
        self._attempts = attempts

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
            self._deliveries.try_again_in(message.delivery, seconds)
        except Exception as error:
            # The message still comes back, after the queue's own visibility timeout.
            logger.error("could not set when to try again: %s: %s", type(error).__name__, error)

    def _dead_letter(self, message: AlertMessage, status: int | None, reason: str) -> bool:
        """Keep the message whole, with why it was not delivered; False (try again) if it could not be kept."""
        try:
            self._deliveries.give_up(message.delivery, status, reason)
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
