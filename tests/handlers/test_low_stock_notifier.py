from dataclasses import replace

import pytest

from handlers import low_stock_notifier
from handlers.aws import EntryPoint
from handlers.settings import NotifierSettings
from harness.lambda_events import load, stream_event
from tests.handlers.lambda_context import Context


@pytest.fixture
def handler(notifier_settings, clients):
    return low_stock_notifier.build(notifier_settings, clients)


def alerts(account):
    return [message["Body"] for message in account.drain(account.alert_inbox_url)]


def test_crossings_in_the_documented_stream_are_notified(deployed, handler):
    assert handler(load("dynamodb_stream.json"), None) == {"batchItemFailures": []}
    assert alerts(deployed) == [
        "Low stock: item A111 is down to 1 (alert threshold 1). Restock it.",
        "Low stock: item B222 is down to 0 (alert threshold 1). Restock it.",
    ]


def test_changes_that_stay_low_or_high_send_nothing(deployed, handler):
    handler(stream_event(("A1", 1, 0), ("A2", 9, 5), ("A3", 0, None)), None)
    assert alerts(deployed) == []


def test_threshold_comes_from_the_settings(deployed, notifier_settings, clients):
    handler = low_stock_notifier.build(replace(notifier_settings, low_stock_threshold=5), clients)
    handler(stream_event(("A1", 9, 5)), None)
    assert alerts(deployed) == ["Low stock: item A1 is down to 5 (alert threshold 5). Restock it."]


def test_a_failed_publish_stops_the_batch_and_resumes_at_that_record(deployed, notifier_settings, clients):
    handler = low_stock_notifier.build(replace(notifier_settings, topic_arn=deployed.topic_arn + "-gone"), clients)
    response = handler(stream_event(("A1", 9, 1), ("A2", 9, 0)), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "100"}]}


def test_after_a_failed_publish_the_retry_delivers_the_alert(deployed, clients, handler, mocker):
    real_publish = clients.sns.publish
    mocker.patch.object(clients.sns, "publish", side_effect=[ConnectionError("down"), real_publish])
    event = stream_event(("A1", 9, 1))
    assert handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "100"}]}
    mocker.patch.object(clients.sns, "publish", side_effect=real_publish)
    assert handler(event, None) == {"batchItemFailures": []}
    assert alerts(deployed) == ["Low stock: item A1 is down to 1 (alert threshold 1). Restock it."]


def test_a_batch_delivered_again_after_a_crash_sends_no_alert_twice(deployed, clients, handler, mocker):
    event = stream_event(("A1", 9, 1), ("A2", 9, 0))
    real_publish = clients.sns.publish
    # The first invocation sends A1's alert, then dies while sending A2's: Lambda delivers the batch again.
    calls = []

    def publish_then_die(**request):
        calls.append(request)
        if len(calls) == 2:
            raise SystemExit("the runtime died")
        return real_publish(**request)

    mocker.patch.object(clients.sns, "publish", side_effect=publish_then_die)
    with pytest.raises(SystemExit):
        handler(event, None)
    mocker.patch.object(clients.sns, "publish", side_effect=real_publish)
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


def test_the_alert_names_its_change_so_that_each_channel_sends_it_once(deployed, handler):
    handler(stream_event(("A1", 9, 1)), None)
    [message] = deployed.drain(deployed.alert_inbox_url)
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes == {"alert_id": "A1-1-9-1", "stock_id": "A1", "stock_level": "1", "threshold": "1"}


def test_the_stream_function_knows_no_channel_but_the_topic(deployed, notifier_settings, monkeypatch):
    """A chat webhook down, missing or misconfigured cannot hold back the stream: it is not reached from here."""
    for name, value in notifier_settings.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ALERT_WEBHOOK_SECRET_ARN", "arn:aws:secretsmanager:eu-west-3:123456789012:secret:gone")
    handler = EntryPoint(low_stock_notifier.build, NotifierSettings)  # as Lambda runs it, from the environment
    assert handler(stream_event(("A1", 9, 1)), None) == {"batchItemFailures": []}
    assert len(alerts(deployed)) == 1


def test_a_record_that_changes_no_level_does_not_end_the_batch(deployed, handler):
    assert handler(stream_event(("A3", 0, None), ("A1", 9, 1)), None) == {"batchItemFailures": []}
    assert alerts(deployed) == ["Low stock: item A1 is down to 1 (alert threshold 1). Restock it."]


def test_each_alert_published_is_logged_with_its_item_and_level(deployed, handler, logs):
    handler(stream_event(("A1", 9, 1), ("A2", 5, 4), ("A3", 9, 0)), None)
    assert logs() == [
        ("INFO", "low-stock alert published", {"stock_id": "A1", "stock_level": 1}),
        ("INFO", "low-stock alert published", {"stock_id": "A3", "stock_level": 0}),
    ]


def test_a_failed_publish_is_logged_with_its_error_and_the_record_the_stream_resumes_from(
    deployed, clients, handler, mocker, logs
):
    mocker.patch.object(clients.sns, "publish", side_effect=ConnectionError("network down"))
    handler(stream_event(("A1", 9, 1)), None)
    assert logs() == [
        (
            "ERROR",
            "alert not published; the stream will retry from this record: ConnectionError: network down",
            {"sequence_number": "100"},
        )
    ]


def test_the_record_the_stream_resumes_from_is_logged_when_time_runs_out(deployed, handler, logs):
    handler(stream_event(("A1", 9, 1), ("A2", 9, 0)), Context(900))
    assert logs() == [
        ("WARNING", "time is running out; the stream will resume from this record", {"sequence_number": "100"})
    ]
