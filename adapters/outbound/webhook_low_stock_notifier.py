"""The low-stock notifier on a chat channel's incoming webhook (Slack, Microsoft Teams): one JSON POST per alert.

Both take a JSON body with a `text` field and answer 2xx once the message is accepted
(docs.slack.dev/messaging/sending-messages-using-incoming-webhooks; learn.microsoft.com/microsoftteams/platform/
webhooks-and-connectors/how-to/connectors-using). An alert is posted again only when the webhook said it was not
accepted: a 429 or a 5xx, or no answer at all. A 2xx ends the send, and any other 4xx (a revoked or mistyped
URL, an archived channel) cannot be cured by posting again. The URL is a credential: it appears in no error.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from adapters.outbound.alert_wording import alert_text
from domain.low_stock import LowStockAlert

ATTEMPTS = 3
_LONGEST_RETRY_AFTER_SECONDS = 5.0


class WebhookNotAccepted(RuntimeError):
    """The webhook did not accept the alert; the caller retries it later."""


class WebhookLowStockNotifier:
    """Implements LowStockNotifier: posts the alert; raises WebhookNotAccepted unless the webhook accepted it.

    `before_attempt()` runs before each POST and raises if the attempt might outlive the caller's time.
    """

    def __init__(
        self,
        url: str,
        timeout_seconds: float,
        before_attempt: Callable[[], None] = lambda: None,
        sleep: Callable[[float], None] | None = None,
        attempts: int = ATTEMPTS,
    ) -> None:
        if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
            raise ValueError("the chat webhook URL must be an https:// URL")  # the URL itself is not repeated
        self._url = url
        self._timeout = timeout_seconds
        self._before_attempt = before_attempt
        self._sleep = sleep or time.sleep
        self._attempts = attempts

    def send(self, alert: LowStockAlert) -> None:
        body = json.dumps(
            {
                "text": alert_text(alert),
                "stock_id": alert.stock_id,
                "stock_level": alert.level,
                "threshold": alert.threshold,
            }
        ).encode()
        failure = "no attempt was made"
        wait = 0.0
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(wait)
            self._before_attempt()
            accepted, failure, retry_after = self._post(body)
            if accepted:
                return
            if retry_after is None:
                break
            # The webhook's Retry-After replaces the back-off: waiting both would leave it idle twice as long.
            wait = min(retry_after or 0.5 * 2 ** (attempt + 1), _LONGEST_RETRY_AFTER_SECONDS)
        raise WebhookNotAccepted(f"the chat webhook did not accept the alert for {alert.stock_id}: {failure}")

    def _post(self, body: bytes) -> tuple[bool, str, float | None]:
        """(accepted, why not, seconds the webhook asked to wait before posting again (0 if it named none), or
        None if posting again is useless)."""
        request = urllib.request.Request(
            self._url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                response.read()
                return True, "", 0.0
        except urllib.error.HTTPError as error:
            answer = error.read()[:200].decode("utf-8", "replace")
            failure = f"HTTP {error.code} {answer}".strip()
            if error.code == 429:
                return False, failure, _seconds(error.headers.get("Retry-After"))
            return False, failure, 0.0 if error.code >= 500 else None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            return False, f"no answer ({type(reason).__name__})", 0.0


def _seconds(retry_after: str | None) -> float:
    try:
        return max(0.0, float(retry_after or 0))
    except ValueError:
        return 1.0
