"""The chat webhook at the URL its secret holds now, against chat webhooks served on this machine."""

import pytest

from adapters.outbound import webhook_low_stock_notifier
from adapters.outbound.secret_cache import CachedSecret
from adapters.outbound.webhook_at_current_url import WebhookAtItsCurrentUrl
from adapters.outbound.webhook_low_stock_notifier import WebhookNotAccepted
from domain.low_stock import LowStockAlert
from local_stack.chat_webhook import ChatWebhook
from tests.conftest import account_client

ALERT = LowStockAlert("A1", 1, 2)


@pytest.fixture
def chats():
    """Two chat webhooks: the one the secret names first, and the one it is rotated to."""
    webhooks = [ChatWebhook(announce=lambda _: None) for _ in range(2)]
    for webhook in webhooks:
        webhook.start()
    yield webhooks
    for webhook in webhooks:
        webhook.stop()


@pytest.fixture
def secrets(account):
    return account_client("secretsmanager")


@pytest.fixture
def arn(secrets, chats):
    return secrets.create_secret(Name="alert-webhook", SecretString=chats[0].url)["ARN"]


@pytest.fixture
def attempts():
    return []


@pytest.fixture
def webhook(secrets, arn, attempts):
    return WebhookAtItsCurrentUrl(CachedSecret(secrets, arn, max_age_seconds=300), 5.0, lambda: attempts.append(1))


def stock_ids(chat):
    return [post["stock_id"] for post in chat.posts]


def test_an_alert_is_posted_once_to_the_url_the_secret_holds_after_the_attempt_is_allowed(webhook, chats, attempts):
    webhook.send(ALERT)
    assert (stock_ids(chats[0]), stock_ids(chats[1]), attempts) == (["A1"], [], [1])


def test_each_post_waits_for_an_answer_no_longer_than_the_attempt_time_given(webhook, mocker):
    post = mocker.spy(webhook_low_stock_notifier._OPENER, "open")
    webhook.send(ALERT)
    assert post.call_args.kwargs["timeout"] == 5.0


def test_a_url_refused_for_good_and_rotated_is_replaced_at_once_by_the_new_one(webhook, secrets, arn, chats, attempts):
    old, new = chats
    webhook.send(ALERT)
    secrets.put_secret_value(SecretId=arn, SecretString=new.url)
    old.fail(410)
    webhook.send(LowStockAlert("A2", 0, 2))
    assert (stock_ids(old), stock_ids(new), len(attempts)) == (["A1"], ["A2"], 3)


def test_a_url_refused_for_good_that_the_secret_still_holds_is_not_posted_to_again(
    webhook, secrets, chats, attempts, mocker
):
    reads = mocker.spy(secrets, "get_secret_value")
    chats[0].fail(404)
    with pytest.raises(WebhookNotAccepted) as refused:
        webhook.send(ALERT)
    assert (refused.value.permanent, len(chats[0].attempts), reads.call_count, len(attempts)) == (True, 1, 2, 1)


def time_out_at(url, mocker):
    """Posts to `url` get no answer in time; posts elsewhere go out."""
    opener = webhook_low_stock_notifier._OPENER
    post = opener.open

    def open_(request, *args, **kwargs):
        if request.full_url == url:
            raise TimeoutError("timed out")
        return post(request, *args, **kwargs)

    mocker.patch.object(opener, "open", side_effect=open_)


@pytest.mark.parametrize("failure", [503, 408, 429, "timeout"])
def test_a_passing_failure_is_left_to_be_tried_again_without_reading_the_url_again(
    webhook, secrets, arn, chats, attempts, mocker, failure
):
    old, new = chats
    reads = mocker.spy(secrets, "get_secret_value")
    webhook.send(LowStockAlert("A0", 0, 2))  # the URL read
    secrets.put_secret_value(SecretId=arn, SecretString=new.url)  # a new URL that only a read would find
    if failure == "timeout":
        time_out_at(old.url, mocker)
    else:
        old.fail(failure, retry_after=30)
    with pytest.raises(WebhookNotAccepted) as refused:
        webhook.send(ALERT)
    assert (refused.value.permanent, reads.call_count, len(attempts), stock_ids(new)) == (False, 1, 2, [])
    assert refused.value.retry_after == (None if failure == "timeout" else 30)


def test_no_post_is_made_when_the_attempt_might_not_end_in_time(secrets, arn, chats):
    def out_of_time():
        raise TimeoutError("one attempt may outlast the invocation")

    webhook = WebhookAtItsCurrentUrl(CachedSecret(secrets, arn, max_age_seconds=300), 5.0, out_of_time)
    with pytest.raises(TimeoutError):
        webhook.send(ALERT)
    assert chats[0].attempts == []
