"""The webhook notifier against a chat webhook served on this machine."""

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from adapters.outbound.webhook_low_stock_notifier import WebhookLowStockNotifier, WebhookNotAccepted
from domain.low_stock import LowStockAlert
from local_stack.chat_webhook import ChatWebhook

ALERT = LowStockAlert("A000", 1, 2)


@pytest.fixture
def chat():
    webhook = ChatWebhook(announce=lambda _: None)
    webhook.start()
    yield webhook
    webhook.stop()


def notifier(url, sleeps=None, **options):
    return WebhookLowStockNotifier(url, 5.0, sleep=(sleeps.append if sleeps is not None else lambda _: None), **options)


def test_an_alert_is_posted_once_as_json_with_a_text_slack_and_teams_show(chat):
    notifier(chat.url).send(ALERT)
    assert chat.posts == [
        {
            "text": "Low stock: item A000 is down to 1 (alert threshold 2). Restock it.",
            "stock_id": "A000",
            "stock_level": 1,
            "threshold": 2,
        }
    ]


def test_a_webhook_that_fails_for_a_moment_gets_the_alert_on_a_later_attempt(chat):
    chat.fail(503, count=2)
    notifier(chat.url).send(ALERT)
    assert (chat.refused, len(chat.posts)) == (2, 1)


@pytest.fixture
def scripted():
    """A webhook that gives the answers it is handed, one per post, then 200: `(status, headers)` pairs."""
    answers: list[tuple[int, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            status, headers = answers.pop(0) if answers else (200, {})
            self.send_response(status)
            for name, value in {**headers, "Content-Length": "2"}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", answers
    server.shutdown()
    server.server_close()


def test_a_webhook_that_says_slow_down_is_left_the_time_it_asks_for_and_no_more(scripted):
    url, answers = scripted
    answers += [(429, {"Retry-After": "3"}), (429, {"Retry-After": "4"})]
    sleeps: list[float] = []
    notifier(url, sleeps).send(ALERT)
    assert sleeps == [3.0, 4.0]  # its Retry-After in place of the back-off (1 s, then 2 s), not as well
    assert answers == []


def test_a_webhook_that_fails_without_naming_a_wait_is_left_a_growing_back_off(scripted):
    url, answers = scripted
    answers += [(503, {}), (429, {})]
    sleeps: list[float] = []
    notifier(url, sleeps).send(ALERT)
    assert sleeps == [1.0, 2.0]


def test_a_wait_longer_than_the_notifier_can_give_is_cut_short(scripted):
    url, answers = scripted
    answers += [(429, {"Retry-After": "120"})]
    sleeps: list[float] = []
    notifier(url, sleeps).send(ALERT)
    assert sleeps == [5.0]  # the notifier's own time-out is short; the stream retries the alert later


def test_a_webhook_that_keeps_failing_raises_so_the_stream_retries_later(chat):
    chat.fail(500, seconds=60)
    with pytest.raises(WebhookNotAccepted, match="HTTP 500"):
        notifier(chat.url).send(ALERT)
    assert (chat.refused, chat.posts) == (3, [])


def test_a_refusal_no_retry_can_cure_is_not_posted_again(chat):
    with pytest.raises(WebhookNotAccepted, match="HTTP 404"):
        notifier(chat.url.replace("/hook", "/gone")).send(ALERT)
    assert chat.refused == 0


def test_no_answer_is_retried_then_reported_without_the_url(caplog):
    # A socket that takes connections and never answers: the port stays ours for the whole test.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/services/T000/B000/secret-token"
        slow = WebhookLowStockNotifier(url, 0.2, sleep=lambda _: None)
        with caplog.at_level(logging.DEBUG), pytest.raises(WebhookNotAccepted) as raised:
            slow.send(ALERT)
    assert "secret-token" not in str(raised.value)
    assert "no answer" in str(raised.value)
    assert "secret-token" not in caplog.text


def test_no_attempt_is_started_that_the_caller_has_no_time_for(chat):
    def out_of_time():
        raise TimeoutError("no time left")

    with pytest.raises(TimeoutError):
        notifier(chat.url, before_attempt=out_of_time).send(ALERT)
    assert chat.posts == []


def test_a_url_that_is_not_http_is_refused_without_repeating_it():
    with pytest.raises(ValueError, match="https://") as raised:
        notifier("hooks.slack.com/services/secret-token")
    assert "secret-token" not in str(raised.value)
