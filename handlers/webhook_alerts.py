"""Lambda on the chat channel's queue: post each alert the topic fanned out to the chat webhook, once.

Each message is one attempt. A permanent refusal (a 4xx other than 408 and 429) goes to the channel's dead
letters at once with its status and reason; a transient failure (5xx, 408, 429, no answer, or any other error)
waits on the queue and is tried again: after the webhook's Retry-After if it gave one, else after a back-off that
doubles, until DELIVERY_ATTEMPTS attempts, then it goes to the dead letters too. The wait is the message's
visibility timeout (ChangeMessageVisibility). Lambda deletes only the messages of a batch that succeeded
(docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html) and leaves a failed one's visibility as it
is, so it comes back when the wait set here ends (as github.com/aws/aws-dotnet-messaging/issues/151 relies on;
AWS's page does not say it). So nothing waits inside a running function, and no other channel waits at all.

Two SQS rules bound each wait. SQS hides a message at most 12 hours from the ReceiveMessage that returned it,
extensions included, and refuses a longer timeout rather than shorten it (docs.aws.amazon.com/AWSSimpleQueueService/
latest/SQSDeveloperGuide/best-practices-processing-messages-timely-manner.html; docs.aws.amazon.com/
AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html): a wait is cut to what is left of them.
And SQS deletes a message older than its queue's retention, counted from when it was sent (docs.aws.amazon.com/
AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html), with no dead letter and no alarm: an alert whose
wait would take it there is kept as a dead letter now, with that reason.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass
from time import time
from typing import Any

from adapters.inbound.alert_messages import AlertMessage, parse_alert_messages
from adapters.inbound.sqs_batch import partial_batch_response
from adapters.outbound.secret_cache import CachedSecret
from adapters.outbound.sqs_alert_deliveries import SqsAlertDeliveries
from adapters.outbound.webhook_at_current_url import WebhookAtItsCurrentUrl
from adapters.outbound.webhook_low_stock_notifier import WebhookNotAccepted
from domain.ports import AlertDeliveries, LowStockNotifier, SentAlerts
from domain.use_cases import deliver_alert
from handlers.aws import AwsClients, EntryPoint, Handler
from handlers.metrics import counted
from handlers.sent_alerts import sent_alerts
from handlers.settings import Channel, WebhookAlertFunctionSettings
from handlers.time_budget import ensure_time_for, start_invocation

logger = logging.getLogger(__name__)
CHANNEL = Channel.WEBHOOK
FIRST_WAIT_SECONDS = 5
LONGEST_WAIT_SECONDS = 900  # between two back-off attempts
# The longest SQS hides a message, counted from the receipt (see above): a webhook asking for more is tried sooner.
LONGEST_VISIBILITY_SECONDS = 12 * 3600
# Taken off what is left of those 12 hours: the batch was received before the invocation started, which is when the
# function starts counting, and the wait is rounded up to whole seconds.
RECEIPT_MARGIN_SECONDS = 60
# How long before its queue's retention ends an alert must come back: for Lambda's poller to receive it, behind any
# backlog, and for the function to keep it as a dead letter if it fails again. Kept early, it is alarmed; late, lost.
RETENTION_MARGIN_SECONDS = 15 * 60
# Counted when the queue does not take a wait: the alert comes back after the queue's visibility timeout instead.
WAIT_NOT_SET = "RetryWaitNotSet"
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
        settings.queue.message_retention_seconds,
    )


def back_off_seconds(attempts_made: int) -> int:
    """The wait after the n-th failed attempt when the webhook named none: 5 s, doubling, 15 minutes at most."""
    doubled: int = FIRST_WAIT_SECONDS * 2 ** max(attempts_made - 1, 0)
    return min(doubled, LONGEST_WAIT_SECONDS)


@dataclass(frozen=True)
class _Invocation:
    """When the invocation started (the batch's 12 hours of visibility began just before), and its function's name."""

    started: float
    function_name: str

    def longest_wait(self, now: float) -> float:
        """The longest wait the queue will take now for a message of this invocation's batch."""
        return max(0.0, LONGEST_VISIBILITY_SECONDS - RECEIPT_MARGIN_SECONDS - (now - self.started))


class WebhookAlertFunction:
    """Posts each alert to `webhook` once, as `sent` records, giving each `attempts` attempts: `deliveries` brings
    back those to be tried again, and keeps those given up on as dead letters, as well as those whose wait would
    outlive the queue's `retention_seconds`."""

    def __init__(
        self,
        webhook: LowStockNotifier,
        sent: SentAlerts,
        deliveries: AlertDeliveries,
        attempts: int,
        retention_seconds: int,
    ) -> None:
        self._webhook = webhook
        self._sent = sent
        self._deliveries = deliveries
        self._attempts = attempts
        self._retention_seconds = retention_seconds

    def __call__(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        """Deliver each alert of the batch; report for retry those to be tried again, and those left unstarted when
        the time left might not fit one more attempt (made visible at once, as they were not tried)."""
        invocation = _Invocation(time(), str(getattr(context, "function_name", "") or ""))
        budget = start_invocation(context)
        retry = []
        for message in parse_alert_messages(event):
            if not budget.allows_another():
                self._try_again(message, 0, invocation)
                retry.append(message.message_id)
            elif not self._deliver(message, invocation):
                retry.append(message.message_id)
            budget.finished_one()
        return partial_batch_response(retry)

    def _deliver(self, message: AlertMessage, invocation: _Invocation) -> bool:
        """True once the alert needs nothing more: posted, posted before, or kept as a dead letter."""
        if message.alert is None:
            return self._dead_letter(message, None, f"not an alert: {message.problem}")
        try:
            # As the message says: the stream's function judged the crossing, with the item's state before and after.
            deliver_alert(message.alert, message.alert_id, self._webhook, self._sent)
        except WebhookNotAccepted as refused:
            if refused.permanent:
                return self._dead_letter(message, refused.status, refused.reason)
            return self._failed(message, refused.status, refused.reason, refused.retry_after, invocation)
        except Exception as error:
            # The sent record, the secret or the time budget: none is the webhook's answer, and each may pass.
            return self._failed(message, None, f"{type(error).__name__}: {error}", None, invocation)
        logger.info("low-stock alert posted", extra={"alert_id": message.alert_id, "channel": CHANNEL})
        return True

    def _failed(
        self, message: AlertMessage, status: int | None, reason: str, retry_after: float | None, invocation: _Invocation
    ) -> bool:
        if message.receive_count >= self._attempts:
            return self._dead_letter(message, status, f"{reason} (gave up after {message.receive_count} attempts)")
        now = time()
        asked = back_off_seconds(message.receive_count) if retry_after is None else retry_after
        wait = min(asked, invocation.longest_wait(now))
        age = 0.0 if message.sent_at is None else max(0.0, now - message.sent_at)
        if age + wait + RETENTION_MARGIN_SECONDS > self._retention_seconds:
            return self._dead_letter(
                message,
                status,
                f"{reason} (not tried again: waiting {math.ceil(wait)} s more would outlive the queue's retention "
                f"of {self._retention_seconds} s)",
            )
        logger.warning(
            "alert not posted; trying again in %d s: %s",
            math.ceil(wait),
            reason,
            extra={"alert_id": message.alert_id, "channel": CHANNEL, "attempt": message.receive_count},
        )
        self._try_again(message, wait, invocation)
        return False

    def _try_again(self, message: AlertMessage, seconds: float, invocation: _Invocation) -> None:
        try:
            self._deliveries.try_again_in(message.delivery, seconds)
        except Exception as error:
            # Logged and counted, as the alert now comes back after the queue's own visibility timeout, whatever
            # the wait was: sooner than the webhook asked, or later than the back-off.
            dimensions = {"channel": CHANNEL} | (
                {"function": invocation.function_name} if invocation.function_name else {}
            )
            logger.error(
                "the queue did not take the wait of %d s; the alert comes back after the queue's visibility timeout "
                "instead: %s: %s",
                math.ceil(seconds),
                type(error).__name__,
                error,
                extra={"alert_id": message.alert_id, **counted(WAIT_NOT_SET, dimensions)},
            )

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
