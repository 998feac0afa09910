import os

import boto3
import pytest
from botocore.exceptions import ClientError

from handlers.low_stock_notifier import handler
from harness.lambda_events import load, stream_event
from local_stack.chat_webhook import ChatWebhook


def alerts(account):
    return [message["Body"] for message in account.drain(account.alert_inbox_url)]


def test_crossings_in_the_documented_stream_are_notified(deployed):
    assert handler(load("dynamodb_stream.json"), None) == {"batchItemFailures": []}
    assert alerts(deployed) == [
        "Low stock: item A111 is down to 1 (alert threshold 1). Restock it.",
        "Low stock: item B222 is down to 0 (alert threshold 1). Restock it.",
    ]


def test_changes_that_stay_low_or_high_send_nothing(deployed):
    handler(stream_event(("A1", 1, 0), ("A2", 9, 5), ("A3", 0, None)), None)
    assert alerts(deployed) == []


def test_threshold_comes_from_the_environment(deployed, monkeypatch):
    monkeypatch.setenv("LOW_STOCK_THRESHOLD", "5")
    handler(stream_event(("A1", 9, 5)), None)
    assert alerts(deployed) == ["Low stock: item A1 is down to 5 (alert threshold 5). Restock it."]


def test_a_failed_publish_stops_the_batch_and_resumes_at_that_record(deployed, monkeypatch):
    monkeypatch.setenv("TOPIC_ARN", deployed.topic_arn + "-gone")
    response = handler(stream_event(("A1", 9, 1), ("A2", 9, 0)), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "100"}]}


def test_after_a_failed_publish_the_retry_delivers_the_alert(deployed, mocker):
    from handlers import aws

    real_publish = aws.sns().publish
    mocker.patch.object(aws.sns(), "publish", side_effect=[ConnectionError("down"), real_publish])
    event = stream_event(("A1", 9, 1))
    assert handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "100"}]}
    mocker.patch.object(aws.sns(), "publish", side_effect=real_publish)
    assert handler(event, None) == {"batchItemFailures": []}
    assert alerts(deployed) == ["Low stock: item A1 is down to 1 (alert threshold 1). Restock it."]


def test_a_batch_delivered_again_after_a_crash_sends_no_alert_twice(deployed, mocker):
    from handlers import aws

    event = stream_event(("A1", 9, 1), ("A2", 9, 0))
    real_publish = aws.sns().publish
    # The first invocation sends A1's alert, then dies while sending A2's: Lambda delivers the batch again.
    calls = []

    def publish_then_die(**request):
        calls.append(request)
        if len(calls) == 2:
            raise SystemExit("the runtime died")
        return real_publish(**request)

    mocker.patch.object(aws.sns(), "publish", side_effect=publish_then_die)
    with pytest.raises(SystemExit):
        handler(event, None)
    mocker.patch.object(aws.sns(), "publish", side_effect=real_publish)
    # A1 is skipped; A2 is still held by the dead attempt, so the stream retries from it later.
    assert handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "200"}]}
    deployed.dynamodb.update_item(  # the dead attempt's hold runs out (one function time-out)
        TableName="sent-alerts",
        Key={"change_id": {"S": "A2-2-9-0"}},
        UpdateExpression="SET held_until = :past",
        ExpressionAttributeValues={":past": {"N": "0"}},
    )
    assert handler(event, None) == {"batchItemFailures": []}
    assert alerts(deployed) == [
        "Low stock: item A1 is down to 1 (alert threshold 1). Restock it.",
        "Low stock: item A2 is down to 0 (alert threshold 1). Restock it.",
    ]


@pytest.fixture
def chat(deployed, monkeypatch):
    """A chat webhook on this machine, its URL kept in Secrets Manager, and both channels chosen."""
    webhook = ChatWebhook(announce=lambda _: None)
    webhook.start()
    secret = boto3.client("secretsmanager").create_secret(Name="alert-webhook", SecretString=webhook.url)
    monkeypatch.setenv("ALERT_WEBHOOK_SECRET_ARN", secret["ARN"])
    monkeypatch.setenv("ALERT_CHANNELS", "sns,webhook")
    yield webhook
    webhook.stop()


def test_each_chosen_channel_gets_the_alert(deployed, chat):
    assert handler(stream_event(("A1", 9, 1)), None) == {"batchItemFailures": []}
    assert alerts(deployed) == ["Low stock: item A1 is down to 1 (alert threshold 1). Restock it."]
    assert [post["text"] for post in chat.posts] == alerts_text("A1", 1)


def alerts_text(stock_id, level):
    return [f"Low stock: item {stock_id} is down to {level} (alert threshold 1). Restock it."]


def test_a_webhook_down_delays_its_alert_without_sending_the_sms_again(deployed, chat, caplog, mocker):
    mocker.patch("adapters.outbound.webhook_low_stock_notifier.time.sleep")  # its retries within the invocation
    chat.fail(503, seconds=600)
    event = stream_event(("A1", 9, 1))
    assert handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "100"}]}
    assert len(alerts(deployed)) == 1
    chat.recover()

    assert handler(event, None) == {"batchItemFailures": []}  # the stream delivers the record again

    assert alerts(deployed) == []  # not again on SNS
    assert [post["text"] for post in chat.posts] == alerts_text("A1", 1)
    assert chat.url not in caplog.text


def test_the_webhook_url_is_read_once_for_many_alerts_and_never_from_the_environment(
    deployed, chat, mocker, monkeypatch
):
    from handlers import aws

    read = mocker.spy(aws.secrets_manager(), "get_secret_value")
    handler(stream_event(("A1", 9, 1)), None)
    handler(stream_event(("A2", 9, 0)), None)
    assert read.call_count == 1
    assert len(chat.posts) == 2
    assert chat.url not in " ".join(os.environ.values())


@pytest.fixture
def new_chat(chat):
    """The chat webhook the URL is rotated to."""
    webhook = ChatWebhook(announce=lambda _: None)
    webhook.start()
    yield webhook
    webhook.stop()


def rotate_webhook_url(url):
    secrets = boto3.client("secretsmanager")
    secrets.put_secret_value(SecretId=os.environ["ALERT_WEBHOOK_SECRET_ARN"], SecretString=url)


def posted(webhook):
    return [post["stock_id"] for post in webhook.posts]


def test_a_rotated_webhook_url_reaches_a_warm_environment_within_five_minutes(deployed, chat, new_chat, mocker):
    clock = mocker.patch("handlers.secret_cache.monotonic", return_value=1000.0)
    assert handler(stream_event(("A1", 9, 1)), None) == {"batchItemFailures": []}  # read at the cold start
    rotate_webhook_url(new_chat.url)

    clock.return_value = 1000.0 + 299
    assert handler(stream_event(("A2", 9, 0)), None) == {"batchItemFailures": []}
    clock.return_value = 1000.0 + 301
    assert handler(stream_event(("A3", 9, 1)), None) == {"batchItemFailures": []}

    assert (posted(chat), posted(new_chat)) == (["A1", "A2"], ["A3"])


def test_a_failed_read_of_the_webhook_url_delays_the_alert_without_losing_it(deployed, chat, new_chat, mocker):
    from handlers import aws

    clock = mocker.patch("handlers.secret_cache.monotonic", return_value=1000.0)
    handler(stream_event(("A1", 9, 1)), None)
    rotate_webhook_url(new_chat.url)
    clock.return_value = 1000.0 + 301
    read = aws.secrets_manager().get_secret_value
    down = ClientError({"Error": {"Code": "InternalServiceError", "Message": "try again"}}, "GetSecretValue")
    mocker.patch.object(aws.secrets_manager(), "get_secret_value", side_effect=down)
    event = stream_event(("A2", 9, 0))

    assert handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "100"}]}  # not sent to the old URL
    mocker.patch.object(aws.secrets_manager(), "get_secret_value", side_effect=read)
    assert handler(event, None) == {"batchItemFailures": []}  # the stream delivers the record again

    assert (posted(chat), posted(new_chat)) == (["A1"], ["A2"])
    assert alerts(deployed) == alerts_text("A1", 1) + alerts_text("A2", 0)  # each once on SNS


def test_only_the_chosen_channels_are_used(deployed, chat, monkeypatch):
    monkeypatch.setenv("ALERT_CHANNELS", "webhook")
    handler(stream_event(("A1", 9, 1)), None)
    assert alerts(deployed) == []
    assert len(chat.posts) == 1


def test_an_unknown_channel_is_a_deployment_error(deployed, monkeypatch):
    monkeypatch.setenv("ALERT_CHANNELS", "sns,pager")
    with pytest.raises(RuntimeError, match="must name some of sns, webhook"):
        handler(stream_event(("A1", 9, 1)), None)
