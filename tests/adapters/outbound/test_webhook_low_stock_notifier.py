"""The webhook notifier against a chat webhook served on this machine."""

import logging
import socket

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


def test_a_webhook_that_says_slow_down_is_left_the_time_it_asks_for(chat):
    chat.fail(429, count=1)
    sleeps: list[float] = []
    notifier(chat.url, sleeps).send(ALERT)
    assert 1.0 in sleeps  # the receiver's Retry-After
    assert len(chat.posts) == 1


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
