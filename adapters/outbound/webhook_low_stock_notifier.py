"""The low-stock notifier on a chat channel's incoming webhook (Slack, Microsoft Teams): one JSON POST per alert.

Both take a JSON body with a `text` field and answer 2xx once the message is accepted
(docs.slack.dev/messaging/sending-messages-using-incoming-webhooks; learn.microsoft.com/microsoftteams/platform/
webhooks-and-connectors/how-to/connectors-using). Each send is one attempt: the caller's queue retries, so that a
wait costs no running function. A failure says whether a later attempt can succeed: a 429, a 408, a 5xx or no
answer can; any other 4xx (a revoked or mistyped URL, an archived channel) or a redirect never will (RFC 9110,
sections 15.4 to 15.6). The URL is a credential: it appears in no error.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from adapters.outbound.alert_wording import alert_text
from domain.low_stock import LowStockAlert

_ANSWER_SHOWN = 200  # characters of the webhook's answer kept in the reason


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook that answers with a redirect is refused as it answered: urllib would follow a 301, 302 or 303
    with a GET (as RFC 9110 section 15.4 lets clients do), and a 200 to that GET would pass for a posted alert."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)
_RETRYABLE_4XX = (408, 429)  # Request Timeout and Too Many Requests: the same request may succeed later


class WebhookNotAccepted(RuntimeError):
    """The webhook did not accept the alert. `permanent`: posting it again cannot help; `status`: the HTTP status
    (None if no answer came); `retry_after`: the seconds the webhook asked for before the next attempt, if any."""

    def __init__(self, reason: str, status: int | None, permanent: bool, retry_after: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.permanent = permanent
        self.retry_after = retry_after


class WebhookLowStockNotifier:
    """Implements LowStockNotifier: posts the alert once; raises WebhookNotAccepted unless the webhook accepted it.

    `before_attempt()` runs before the POST and raises if the attempt might outlive the caller's time.
    """

    def __init__(
        self,
        url: str,
        timeout_seconds: float,
        before_attempt: Callable[[], None] = lambda: None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
            raise ValueError("the chat webhook URL must be an https:// URL")  # the URL itself is not repeated
        self._url = url
        self._timeout = timeout_seconds
        self._before_attempt = before_attempt
        self._now = now

    def send(self, alert: LowStockAlert) -> None:
        body = {
            "text": alert_text(alert),
            "stock_id": alert.stock_id,
            "stock_level": alert.level,
            "reorder_point": alert.reorder_point,
            "reorder_point_source": str(alert.source),
            # The reorder point under the name it had before items had their own, for receivers that read it.
            "threshold": alert.reorder_point,
        }
        request = urllib.request.Request(
            self._url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        self._before_attempt()
        try:
            with _OPENER.open(request, timeout=self._timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise self._refusal(alert, error) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise WebhookNotAccepted(_why(alert, f"no answer ({type(reason).__name__})"), None, False, None) from None

    def _refusal(self, alert: LowStockAlert, error: urllib.error.HTTPError) -> WebhookNotAccepted:
        answer = error.read()[:_ANSWER_SHOWN].decode("utf-8", "replace")
        reason = _why(alert, f"HTTP {error.code} {answer}".strip())
        # A redirect means the URL moved: as lasting as a 4xx until the secret holds the new one.
        permanent = 300 <= error.code < 500 and error.code not in _RETRYABLE_4XX
        retry_after = None if permanent else self._retry_after(error.headers.get("Retry-After"))
        return WebhookNotAccepted(reason, error.code, permanent, retry_after)

    def _retry_after(self, value: str | None) -> float | None:
        """Retry-After is a number of seconds or an HTTP date (RFC 9110, section 10.2.3); None if absent or
        unreadable, so that the caller's back-off applies."""
        if not value:
            return None
        if value.strip().isdigit():
            return float(value)
        try:
            return max(0.0, (parsedate_to_datetime(value) - self._now()).total_seconds())
        except (TypeError, ValueError):
            return None


def _why(alert: LowStockAlert, failure: str) -> str:
    return f"the chat webhook did not accept the alert for {alert.stock_id}: {failure}"
