"""The chat webhook at the URL its secret holds now: a URL rotated in the secret is used without a deployment."""

from __future__ import annotations

from collections.abc import Callable

from adapters.outbound.secret_cache import CachedSecret
from adapters.outbound.webhook_low_stock_notifier import WebhookLowStockNotifier, WebhookNotAccepted
from domain.low_stock import LowStockAlert


class WebhookAtItsCurrentUrl:
    """Implements LowStockNotifier: posts to the URL its secret holds, as read at most the cache's maximum age ago,
    and again at once when the webhook refuses an alert for good. The URL is read when an alert is to be sent, so
    a failed read fails that attempt, which is tried again. `before_attempt()` runs before each post."""

    def __init__(self, url: CachedSecret, attempt_seconds: float, before_attempt: Callable[[], None]) -> None:
        self._url = url
        self._attempt = attempt_seconds
        self._before_attempt = before_attempt

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
        WebhookLowStockNotifier(self._url.value(), self._attempt, before_attempt=self._before_attempt).send(alert)
