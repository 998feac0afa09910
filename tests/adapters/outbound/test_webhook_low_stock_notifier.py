"""The webhook notifier against chat webhooks served on this machine: one attempt per send, and an error that says
whether another attempt can succeed."""

import json
import logging
import socket
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from adapters.outbound import webhook_low_stock_notifier
from adapters.outbound.webhook_low_stock_notifier import WebhookLowStockNotifier, WebhookNotAccepted
from domain.item import Source
from domain.low_stock import LowStockAlert
from harness.server_thread import ServerThread

ALERT = LowStockAlert("A000", 1, 2, Source.ITEM)
NOW = datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def webhook():
    """A webhook that gives the answers it is handed, one per post, then 200: `(status, headers, body)`; it keeps
    each request it got as `(headers, body)`."""
    answers: list[tuple[int, dict[str, str], bytes]] = []
    requests: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            requests.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            status, headers, body = answers.pop(0) if answers else (200, {}, b"ok")
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serving = ServerThread(server, "webhook")
    serving.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret-token", answers, requests
    serving.stop()


def notifier(url, **options):
    return WebhookLowStockNotifier(url, 5.0, now=lambda: NOW, **options)


def refusal(url, answers):
    with pytest.raises(WebhookNotAccepted) as raised:
        notifier(url).send(ALERT)
    return raised.value


def test_an_alert_is_posted_once_as_json_with_a_text_slack_and_teams_show(webhook):
    url, _, requests = webhook
    notifier(url).send(ALERT)
    [(headers, body)] = requests
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "text": "Low stock: item A000 is down to 1 (its reorder point is 2). Restock it.",
        "stock_id": "A000",
        "stock_level": 1,
        "reorder_point": 2,
        "reorder_point_source": "item",
        "threshold": 2,  # the name receivers read before items had their own reorder points
    }


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_a_refusal_no_retry_can_cure_is_permanent(webhook, status):
    url, answers, requests = webhook
    answers.append((status, {"Retry-After": "3"}, b"no_service"))
    refused = refusal(url, answers)
    assert (refused.status, refused.permanent, refused.retry_after) == (status, True, None)
    assert str(refused) == f"the chat webhook did not accept the alert for A000: HTTP {status} no_service"
    assert refused.reason == str(refused)  # what a dead letter keeps
    assert len(requests) == 1


@pytest.mark.parametrize("status", [300, 301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_is_permanent(webhook, status):
    """Followed, a 301-303 would turn the POST into a GET, whose 200 would pass for a posted alert."""
    url, answers, requests = webhook
    answers.append((status, {"Location": url + "/moved"}, b""))
    refused = refusal(url, answers)
    assert (refused.status, refused.permanent) == (status, True)
    assert len(requests) == 1


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_a_failure_that_may_pass_is_transient_and_tried_once(webhook, status):
    url, answers, requests = webhook
    answers.append((status, {}, b""))
    refused = refusal(url, answers)
    assert (refused.status, refused.permanent, refused.retry_after) == (status, False, None)
    assert str(refused) == f"the chat webhook did not accept the alert for A000: HTTP {status}"
    assert len(requests) == 1  # the caller's queue tries again, not this send


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [("3", 3.0), ("0", 0.0), ("Wed, 02 Dec 2026 10:02:00 GMT", 120.0), ("Wed, 02 Dec 2026 09:00:00 GMT", 0.0)],
)
def test_the_wait_a_webhook_asks_for_is_read_as_seconds_or_as_a_date(webhook, retry_after, seconds):
    url, answers, _ = webhook
    answers.append((429, {"Retry-After": retry_after}, b""))
    assert refusal(url, answers).retry_after == seconds


@pytest.mark.parametrize("retry_after", ["soon", "-3", "1.5e9", "Wed, 02 Dec 2026 10:02:00"])
def test_a_wait_that_cannot_be_read_leaves_the_caller_its_own_back_off(webhook, retry_after):
    url, answers, _ = webhook
    answers.append((503, {"Retry-After": retry_after}, b""))
    assert refusal(url, answers).retry_after is None


def test_the_webhook_answer_is_kept_short_and_readable_in_the_reason(webhook):
    url, answers, _ = webhook
    answers.append((500, {}, b"\xff" * 150 + b"x" * 150))
    reason = str(refusal(url, answers))
    assert reason == "the chat webhook did not accept the alert for A000: HTTP 500 " + "\ufffd" * 150 + "x" * 50


def test_each_attempt_waits_for_an_answer_no_longer_than_the_time_out_given(webhook, mocker):
    url, _, _ = webhook
    post = mocker.spy(webhook_low_stock_notifier._OPENER, "open")
    WebhookLowStockNotifier(url, 0.7).send(ALERT)
    assert post.call_args.kwargs["timeout"] == 0.7


def test_no_answer_is_transient_and_reported_without_the_url(caplog):
    # A socket that takes connections and never answers: the port stays ours for the whole test.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/services/T000/B000/secret-token"
        with caplog.at_level(logging.DEBUG), pytest.raises(WebhookNotAccepted) as raised:
            WebhookLowStockNotifier(url, 0.2).send(ALERT)
    assert str(raised.value) == "the chat webhook did not accept the alert for A000: no answer (TimeoutError)"
    assert (raised.value.status, raised.value.permanent, raised.value.retry_after) == (None, False, None)
    assert "secret-token" not in caplog.text


def test_a_refused_connection_is_transient():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"  # bound, never listening: refused
        with pytest.raises(WebhookNotAccepted) as raised:
            WebhookLowStockNotifier(url, 1.0).send(ALERT)
    assert str(raised.value) == "the chat webhook did not accept the alert for A000: no answer (ConnectionRefusedError)"
    assert raised.value.permanent is False


def test_no_attempt_is_started_that_the_caller_has_no_time_for(webhook):
    url, _, requests = webhook

    def out_of_time():
        raise TimeoutError("no time left")

    with pytest.raises(TimeoutError):
        notifier(url, before_attempt=out_of_time).send(ALERT)
    assert requests == []


def test_an_https_url_is_taken():
    WebhookLowStockNotifier("https://hooks.slack.com/services/T000/B000/secret-token", 1.0)


@pytest.mark.parametrize("url", ["hooks.slack.com/services/secret-token", "ftp://hooks.slack.com/secret-token"])
def test_a_url_that_is_not_http_is_refused_without_repeating_it(url):
    with pytest.raises(ValueError, match=r"^the chat webhook URL must be an https:// URL$"):
        notifier(url)
