"""The chat channel's function, fed the alerts the stream function published, as its queue delivers them."""

import contextlib
import json
import logging
import urllib.error
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import format_datetime
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from adapters.outbound import webhook_low_stock_notifier
from handlers import low_stock_notifier, webhook_alerts
from handlers.sent_alerts import SentAlertsRecordedInTime
from handlers.settings import ConsumedQueue, DeadLetterQueue, WebhookAlertFunctionSettings
from handlers.time_budget import start_invocation
from harness.lambda_events import sqs_record, stream_event
from local_stack.chat_webhook import ChatWebhook
from tests.adapters.outbound.test_webhook_at_current_url import time_out_at
from tests.conftest import account_client
from tests.handlers.lambda_context import Context

ATTEMPTS = 3


@pytest.fixture
def chat(deployed):
    """A chat webhook on this machine."""
    webhook = ChatWebhook(announce=lambda _: None)
    webhook.start()
    yield webhook
    webhook.stop()


@pytest.fixture
def webhook_settings(deployed, chat):
    """The chat webhook's URL in Secrets Manager, its queue and dead letters, as deployed."""
    secret = account_client("secretsmanager").create_secret(Name="alert-webhook", SecretString=chat.url)
    retention = deployed.sqs.get_queue_attributes(
        QueueUrl=deployed.alert_inbox_url, AttributeNames=["MessageRetentionPeriod"]
    )["Attributes"]["MessageRetentionPeriod"]
    return WebhookAlertFunctionSettings(
        sent_alerts_table="sent-alerts",
        webhook_secret_arn=secret["ARN"],
        delivery_attempts=ATTEMPTS,
        # the queue the topic delivers to, raw
        queue=ConsumedQueue(url=deployed.alert_inbox_url, message_retention_seconds=int(retention)),
        dead_letters=DeadLetterQueue(url=deployed.dead_letter_queue_url),
    )


@pytest.fixture
def alerts(webhook_settings, clients):
    """The chat channel's function."""
    return webhook_alerts.build(webhook_settings, clients)


@pytest.fixture
def published(deployed, notifier_settings, clients):
    """Publish the alerts of some changes as the stream function does; return them as the queue delivers them."""
    stream_function = low_stock_notifier.build(notifier_settings, clients)

    def publish(*changes):
        assert stream_function(stream_event(*changes), None) == {"batchItemFailures": []}
        return delivered(deployed)

    return publish


def delivered(deployed):
    messages = deployed.sqs.receive_message(
        QueueUrl=deployed.alert_inbox_url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
        VisibilityTimeout=30,
    ).get("Messages", [])
    return {
        "Records": [
            sqs_record(message, "arn:aws:sqs:eu-west-3:123456789012:alerts", "eu-west-3") for message in messages
        ]
    }


@pytest.fixture
def run(deployed, alerts):
    """Invoke the function as Lambda's poller does: delete what succeeded, leave the rest to come back."""

    def invoke(event):
        response = alerts(event, None)
        retried = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
        for record in event["Records"]:
            if record["messageId"] not in retried:
                deployed.sqs.delete_message(QueueUrl=deployed.alert_inbox_url, ReceiptHandle=record["receiptHandle"])
        return response

    return invoke


def later(deployed, event):
    """The messages of an earlier delivery as the queue delivers them again, once their wait is over."""
    for record in event["Records"]:
        with contextlib.suppress(deployed.sqs.exceptions.ReceiptHandleIsInvalid):  # deleted: it does not come back
            deployed.sqs.change_message_visibility(
                QueueUrl=deployed.alert_inbox_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
            )
    return delivered(deployed)


def dead_letters(deployed):
    return [
        {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
        for message in deployed.drain(deployed.dead_letter_queue_url)
    ]


def failed(*events):
    return {
        "batchItemFailures": [
            {"itemIdentifier": record["messageId"]} for event in events for record in event["Records"]
        ]
    }


@pytest.fixture
def waits(clients, mocker):
    """The visibility timeouts the function set, in seconds: when each failed message comes back."""
    change = mocker.spy(clients.sqs, "change_message_visibility")
    return lambda: [call.kwargs["VisibilityTimeout"] for call in change.call_args_list]


def test_an_alert_is_posted_once_however_often_its_queue_delivers_it(alerts, published, chat):
    event = published(("A1", 9, 1))
    assert alerts(event, None) == {"batchItemFailures": []}
    assert alerts(event, None) == {"batchItemFailures": []}  # delivered again
    assert chat.posts == [
        {
            "text": "Low stock: item A1 is down to 1 (the default reorder point is 1). Restock it.",
            "stock_id": "A1",
            "stock_level": 1,
            "reorder_point": 1,
            "reorder_point_source": "default",
            "threshold": 1,
        }
    ]


def test_a_permanent_refusal_goes_to_the_dead_letters_at_once_with_its_status(deployed, alerts, published, chat, waits):
    chat.fail(404)
    event = published(("A1", 9, 1), ("A2", 9, 0))
    assert alerts(event, None) == {"batchItemFailures": []}  # nothing to try again
    assert len(chat.attempts) == 2
    assert waits() == []
    letters = dead_letters(deployed)
    assert [(letter["stock_id"], letter["status"], letter["channel"]) for letter in letters] == [
        ("A1", "404", "webhook"),
        ("A2", "404", "webhook"),
    ]
    assert letters[0]["reason"] == "the chat webhook did not accept the alert for A1: HTTP 404 unavailable"
    assert letters[0]["alert_id"] == "A1-1-9-1"  # whole, so that a redrive sends it as it was


def as_sent(message_attributes, keys=("DataType", "StringValue")):
    """A message's attributes as (type, value) pairs, from SQS's answer or from a Lambda record's lower-case keys."""
    return {name: tuple(value[key] for key in keys) for name, value in message_attributes.items()}


@pytest.mark.parametrize(("status", "attempts"), [(404, 1), (503, ATTEMPTS)])
def test_a_dead_letter_holds_the_alert_s_body_and_attributes_as_sent_and_why_it_was_given_up(
    deployed, published, run, chat, status, attempts
):
    chat.fail(status)
    event = published(("A1", 9, 1))
    [record] = event["Records"]
    for _ in range(attempts):
        run(event)
        event = later(deployed, event)
    [letter] = deployed.drain(deployed.dead_letter_queue_url)
    assert (
        letter["Body"]
        == record["body"]
        == "Low stock: item A1 is down to 1 (the default reorder point is 1). Restock it."
    )
    gave_up = f" (gave up after {attempts} attempts)" if attempts > 1 else ""
    assert as_sent(letter["MessageAttributes"]) == {
        **as_sent(record["messageAttributes"], ("dataType", "stringValue")),
        "channel": ("String", "webhook"),
        "status": ("Number", str(status)),
        "reason": ("String", f"the chat webhook did not accept the alert for A1: HTTP {status} unavailable{gave_up}"),
    }
    assert as_sent(record["messageAttributes"], ("dataType", "stringValue")) == {
        "alert_id": ("String", "A1-1-9-1"),
        "stock_id": ("String", "A1"),
        "stock_level": ("Number", "1"),
        "reorder_point": ("Number", "1"),
        "reorder_point_source": ("String", "default"),
        "threshold": ("Number", "1"),
    }


@pytest.mark.parametrize("status", [500, 503, 408, 429])
def test_a_transient_failure_is_tried_again_after_the_back_off(deployed, alerts, published, chat, waits, status):
    chat.fail(status)
    event = published(("A1", 9, 1))
    assert alerts(event, None) == failed(event)
    assert waits() == [5]
    assert dead_letters(deployed) == []


def test_the_back_off_doubles_from_5_seconds_up_to_15_minutes():
    assert [webhook_alerts.back_off_seconds(n) for n in (1, 2, 3, 8, 9, 20)] == [5, 10, 20, 640, 900, 900]


def test_a_webhook_that_asks_for_time_gets_that_time_in_place_of_the_back_off(alerts, published, chat, waits):
    chat.fail(429, retry_after=3)
    event = published(("A1", 9, 1))
    assert alerts(event, None) == failed(event)
    assert waits() == [3]  # not 3 s + 5 s, and not the 5 s back-off


def test_a_retry_after_given_as_a_date_is_the_time_until_that_date(alerts, published, chat, waits, mocker):
    answers = mocker.patch("adapters.outbound.webhook_low_stock_notifier._OPENER.open")
    headers = Message()
    headers["Retry-After"] = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    answers.side_effect = urllib.error.HTTPError("https://hook", 503, "busy", headers, None)
    event = published(("A1", 9, 1))
    alerts(event, None)
    assert 118 <= waits()[0] <= 120


def test_a_transient_failure_goes_to_the_dead_letters_after_the_last_attempt(deployed, published, run, chat, waits):
    chat.fail(503)
    event = published(("A1", 9, 1))
    for attempt in range(1, ATTEMPTS + 1):
        assert event["Records"][0]["attributes"]["ApproximateReceiveCount"] == str(attempt)
        response = run(event)
        event = later(deployed, event)
    assert event["Records"] == []  # not on the queue any more
    assert response == {"batchItemFailures": []}
    assert waits() == [5, 10]
    [letter] = dead_letters(deployed)
    assert (letter["status"], letter["reason"]) == (
        "503",
        "the chat webhook did not accept the alert for A1: HTTP 503 unavailable (gave up after 3 attempts)",
    )


def test_a_webhook_that_recovers_gets_each_alert_exactly_once(deployed, published, run, chat):
    chat.fail(503, count=2)
    event = published(("A1", 9, 1))
    responses = [run(event)]
    for _ in range(2):
        event = later(deployed, event)
        responses.append(run(event))
    assert responses[-1] == {"batchItemFailures": []}
    assert [post["stock_id"] for post in chat.posts] == ["A1"]
    assert chat.refused == 2


def test_a_message_that_is_no_alert_is_kept_with_the_reason(deployed, alerts, chat):
    deployed.sqs.send_message(QueueUrl=deployed.alert_inbox_url, MessageBody="hello")
    assert alerts(delivered(deployed), None) == {"batchItemFailures": []}
    [letter] = dead_letters(deployed)
    assert letter["reason"] == "not an alert: no stock_id attribute"
    assert "status" not in letter
    assert chat.attempts == []


def queue_alert(deployed, body, **attributes):
    """An alert sent to the channel's queue as the topic delivers it, with these attributes (a number as an int)."""
    deployed.sqs.send_message(
        QueueUrl=deployed.alert_inbox_url,
        MessageBody=body,
        MessageAttributes={
            name: {"DataType": "Number" if isinstance(value, int) else "String", "StringValue": str(value)}
            for name, value in attributes.items()
        },
    )


OLD_TEXT = "Low stock: item A1 is down to 2 (alert threshold 3). Restock it."


def test_an_alert_queued_in_the_form_before_reorder_points_is_still_posted_as_it_was_meant(deployed, run, chat):
    """Published before the upgrade, it names the stack's default as `threshold`; it may wait in the queue or come
    back from the dead letters by a redrive."""
    queue_alert(deployed, OLD_TEXT, alert_id="A1-1-9-2", stock_id="A1", stock_level=2, threshold=3)
    assert run(delivered(deployed)) == {"batchItemFailures": []}
    assert chat.posts == [
        {
            "text": "Low stock: item A1 is down to 2 (the default reorder point is 3). Restock it.",
            "stock_id": "A1",
            "stock_level": 2,
            "reorder_point": 3,
            "reorder_point_source": "default",
            "threshold": 3,
        }
    ]
    assert dead_letters(deployed) == []


def test_an_alert_of_the_old_form_is_posted_once_however_often_it_comes(deployed, run, chat):
    for _ in range(2):
        queue_alert(deployed, OLD_TEXT, alert_id="A1-1-9-2", stock_id="A1", stock_level=2, threshold=3)
        run(delivered(deployed))
    assert posted(chat) == ["A1"]


def test_an_alert_is_posted_as_its_message_says_without_judging_the_crossing_again(deployed, run, chat):
    """The stream's function judged it, with the item before and after: a level above the reorder point the message
    names (the item's own lowered since, say) is no reason to drop it here."""
    queue_alert(
        deployed, "text", alert_id="c-1", stock_id="A1", stock_level=5, reorder_point=2, reorder_point_source="item"
    )
    run(delivered(deployed))
    [post] = chat.posts
    assert (post["text"], post["reorder_point_source"]) == (
        "Low stock: item A1 is down to 5 (its reorder point is 2). Restock it.",
        "item",
    )


def test_the_chat_channel_s_record_of_an_alert_names_its_item(deployed, published, run):
    run(published(("A1", 9, 1)))
    record = deployed.dynamodb.get_item(TableName="sent-alerts", Key={"change_id": {"S": "webhook:A1-1-9-1"}})["Item"]
    assert (record["stock_id"], record["status"]) == ({"S": "A1"}, {"S": "SENT"})


def test_an_alert_that_cannot_be_kept_as_a_dead_letter_is_tried_again(
    deployed, published, chat, webhook_settings, clients
):
    chat.fail(404)
    gone = DeadLetterQueue(url=deployed.dead_letter_queue_url + "-gone")
    alerts = webhook_alerts.build(replace(webhook_settings, dead_letters=gone), clients)
    event = published(("A1", 9, 1))
    assert alerts(event, None) == failed(event)


def test_alerts_left_when_time_runs_short_come_back_at_once_untried(alerts, published, chat, waits, mocker):
    event = published(("A1", 9, 1), ("A2", 9, 0))
    mocker.patch("handlers.time_budget.TimeBudget.allows_another", return_value=False)
    assert alerts(event, None) == failed(event)
    assert waits() == [0, 0]
    assert chat.attempts == []


def test_the_webhook_url_is_read_once_for_many_alerts(alerts, published, chat, clients, mocker):
    # That the URL is in no function's environment is the program's doing: tests/infrastructure/test_stack.py
    # checks every resource it declares, the secret's own value aside.
    read = mocker.spy(clients.secrets_manager, "get_secret_value")
    alerts(published(("A1", 9, 1)), None)
    alerts(published(("A2", 9, 0)), None)
    assert read.call_count == 1
    assert len(chat.posts) == 2


@pytest.fixture
def new_chat(chat):
    """The chat webhook the URL is rotated to."""
    webhook = ChatWebhook(announce=lambda _: None)
    webhook.start()
    yield webhook
    webhook.stop()


def rotate_webhook_url(settings, url):
    account_client("secretsmanager").put_secret_value(SecretId=settings.webhook_secret_arn, SecretString=url)


def posted(webhook):
    return [post["stock_id"] for post in webhook.posts]


def test_a_rotated_webhook_url_reaches_a_warm_environment_within_five_minutes(
    alerts, published, webhook_settings, chat, new_chat, mocker
):
    clock = mocker.patch("adapters.outbound.secret_cache.monotonic", return_value=1000.0)
    alerts(published(("A1", 9, 1)), None)  # read at the cold start
    rotate_webhook_url(webhook_settings, new_chat.url)

    clock.return_value = 1000.0 + 299
    alerts(published(("A2", 9, 0)), None)
    clock.return_value = 1000.0 + 301
    alerts(published(("A3", 9, 1)), None)

    assert (posted(chat), posted(new_chat)) == (["A1", "A2"], ["A3"])


def test_a_failed_read_of_the_webhook_url_delays_the_alert_without_losing_it(
    deployed, run, published, chat, new_chat, clients, webhook_settings, mocker, caplog
):
    clock = mocker.patch("adapters.outbound.secret_cache.monotonic", return_value=1000.0)
    run(published(("A1", 9, 1)))
    rotate_webhook_url(webhook_settings, new_chat.url)
    clock.return_value = 1000.0 + 301
    read = clients.secrets_manager.get_secret_value
    down = ClientError({"Error": {"Code": "InternalServiceError", "Message": "try again"}}, "GetSecretValue")
    mocker.patch.object(clients.secrets_manager, "get_secret_value", side_effect=down)
    event = published(("A2", 9, 0))

    assert run(event) == failed(event)  # not sent to the old URL
    mocker.patch.object(clients.secrets_manager, "get_secret_value", side_effect=read)
    assert run(later(deployed, event)) == {"batchItemFailures": []}

    assert (posted(chat), posted(new_chat)) == (["A1"], ["A2"])
    assert chat.url not in caplog.text
    assert new_chat.url not in caplog.text


def test_a_redriven_alert_that_fails_again_keeps_only_its_new_reason(deployed, published, run, chat, mocker):
    chat.fail(404)
    run(published(("A1", 9, 1)))
    [letter] = deployed.drain(deployed.dead_letter_queue_url)
    deployed.sqs.send_message(  # `make redrive` moves it back as it was
        QueueUrl=deployed.alert_inbox_url, MessageBody=letter["Body"], MessageAttributes=letter["MessageAttributes"]
    )
    refused = urllib.error.URLError(ConnectionRefusedError(111, "refused"))
    mocker.patch("adapters.outbound.webhook_low_stock_notifier._OPENER.open", side_effect=refused)
    event = delivered(deployed)
    for _ in range(ATTEMPTS):
        run(event)
        event = later(deployed, event)
    [again] = dead_letters(deployed)
    assert "status" not in again  # no answer came: the 404 of the first failure is not this one's
    assert again["reason"] == (
        "the chat webhook did not accept the alert for A1: no answer (ConnectionRefusedError)"
        " (gave up after 3 attempts)"
    )


def test_a_url_revoked_by_a_rotation_is_replaced_at_once_by_the_new_one(
    deployed, published, run, webhook_settings, chat, new_chat, mocker
):
    clock = mocker.patch("adapters.outbound.secret_cache.monotonic", return_value=1000.0)
    run(published(("A1", 9, 1)))  # the URL read at the cold start
    rotate_webhook_url(webhook_settings, new_chat.url)
    chat.fail(410)  # the old URL is gone, well before the cached one is 5 minutes old
    clock.return_value = 1000.0 + 10
    event = published(("A2", 9, 0))
    assert run(event) == {"batchItemFailures": []}
    assert (posted(chat), posted(new_chat)) == (["A1"], ["A2"])
    assert dead_letters(deployed) == []


def test_a_webhook_that_asks_for_more_than_15_minutes_gets_it_up_to_the_12_hours_sqs_allows(
    alerts, published, chat, waits
):
    chat.fail(429, count=2, retry_after=3600)
    alerts(published(("A1", 9, 1)), None)
    chat.fail(429, count=1, retry_after=86400)
    alerts(published(("A2", 9, 0)), None)
    first, longest = waits()
    # 12 hours from the receipt, less the minute the poller may take before the invocation and the time since
    assert first == 3600
    assert 43200 - 60 - 5 <= longest <= 43200 - 60


# --- The waits SQS takes: 12 hours from the receipt at most, and none that outlives the queue's retention. These
# follow the messages through the emulated SQS (local_stack.aws.sqs_visibility) on its clock, which the function reads
# too, and check what the queue did with each wait, not what the function asked for.

RETENTION = 4 * 24 * 3600  # the queue's, as created


@pytest.fixture
def clock(sqs_clock, mocker):
    """One clock for SQS and the function."""
    mocker.patch("handlers.webhook_alerts.time", side_effect=sqs_clock.seconds)
    return sqs_clock


def still_hidden(deployed):
    return delivered(deployed)["Records"] == []


def test_a_wait_longer_than_sqs_allows_hides_the_alert_for_what_is_left_of_the_12_hours_since_its_receipt(
    deployed, published, run, chat, clock
):
    chat.fail(429, retry_after=86400)
    event = published(("A1", 9, 1))  # received now, by the poller
    clock.advance(1)  # the invocation starts a second later
    assert run(event) == failed(event)
    wait = 12 * 3600 - 60  # less the minute the poller may have taken before the invocation
    clock.advance(wait - 1)
    assert still_hidden(deployed)  # not back after the queue's visibility timeout: the queue took the wait
    clock.advance(2)
    [again] = delivered(deployed)["Records"]  # and back before the 12 hours end
    assert again["messageId"] == event["Records"][0]["messageId"]


def test_an_alert_whose_wait_would_outlive_the_queue_s_retention_is_kept_as_a_dead_letter_saying_so(
    deployed, published, run, chat, clock
):
    chat.fail(429, retry_after=7200)
    published(("A1", 9, 1))
    clock.advance(RETENTION - 3600)  # an hour left when the queue delivers it again
    response = run(delivered(deployed))
    clock.advance(7200)
    assert delivered(deployed)["Records"] == []  # SQS has deleted it by then, had it waited
    [letter] = dead_letters(deployed)  # so it is kept here, or nowhere
    assert response == {"batchItemFailures": []}  # nothing left on the queue to try again
    assert (letter["stock_id"], letter["status"], letter["reason"]) == (
        "A1",
        "429",
        "the chat webhook did not accept the alert for A1: HTTP 429 unavailable"
        f" (not tried again: waiting 7200 s more would outlive the queue's retention of {RETENTION} s)",
    )


def test_an_alert_whose_wait_ends_well_within_the_retention_waits_on_the_queue(deployed, published, run, chat, clock):
    chat.fail(429, retry_after=7200)
    published(("A1", 9, 1))
    clock.advance(RETENTION - 7200 - 15 * 60 - 60)  # back a minute before the function's margin
    assert run(event := delivered(deployed)) == failed(event)
    assert dead_letters(deployed) == []
    clock.advance(7200 + 1)
    assert len(delivered(deployed)["Records"]) == 1


@pytest.fixture
def lambda_context():
    """The parts of Lambda's context the function reads: its name, and the time left."""
    return SimpleNamespace(function_name="alert-webhook-function-0a1b2c3", get_remaining_time_in_millis=lambda: 30_000)


def test_a_wait_the_queue_does_not_take_is_logged_and_counted_as_a_metric(
    alerts, published, chat, clients, mocker, caplog, lambda_context
):
    chat.fail(503)
    refused = ClientError(
        {"Error": {"Code": "InvalidParameterValue", "Message": "Total VisibilityTimeout ... beyond the limit"}},
        "ChangeMessageVisibility",
    )
    mocker.patch.object(clients.sqs, "change_message_visibility", side_effect=refused)
    event = published(("A1", 9, 1))
    assert alerts(event, lambda_context) == failed(event)  # it comes back all the same, after the queue's timeout
    [record] = [r for r in caplog.records if r.levelname == "ERROR" and r.name != "asyncio"]  # not another test's
    assert record.getMessage() == (
        "the queue did not take the wait of 5 s; the alert comes back after the queue's visibility timeout instead: "
        "ClientError: An error occurred (InvalidParameterValue) when calling the ChangeMessageVisibility operation: "
        "Total VisibilityTimeout ... beyond the limit"
    )
    # The log line as Lambda's JSON format writes it: the record's extra fields at its root.
    line = json.loads(json.dumps({key: value for key, value in vars(record).items() if key not in STANDARD}))
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive == {
        "Namespace": "StockLevels",
        "Dimensions": [["channel", "function"]],
        "Metrics": [{"Name": "RetryWaitNotSet", "Unit": "Count"}],
    }
    assert (line["RetryWaitNotSet"], line["channel"], line["function"]) == (
        1,
        "webhook",
        "alert-webhook-function-0a1b2c3",
    )
    assert line["alert_id"] == event["Records"][0]["messageAttributes"]["alert_id"]["stringValue"]


STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


# What the webhook does with the second alert: GetSecretValue calls in all, the wait set, what the new URL got.
FAILURES = {
    "5xx": (1, [5], []),
    "429 with Retry-After": (1, [30], []),
    "timeout": (1, [5], []),
    "permanent 4xx": (2, [], ["A2"]),  # exactly one read again, and the post to the new URL at once
}


@pytest.mark.parametrize("failure", FAILURES)
def test_the_webhook_url_is_read_again_only_when_the_webhook_refuses_it_for_good(
    published, run, webhook_settings, chat, new_chat, clients, waits, mocker, failure
):
    # The URL is rotated while the one in hand is young: a refusal for good reads it again and posts to the new
    # one at once; a passing failure reads nothing and waits on the queue, as long as the webhook asked if it did.
    reads = mocker.spy(clients.secrets_manager, "get_secret_value")
    run(published(("A1", 9, 1)))  # the URL read at the cold start
    rotate_webhook_url(webhook_settings, new_chat.url)
    if failure == "5xx":
        chat.fail(503)
    elif failure == "429 with Retry-After":
        chat.fail(429, retry_after=30)
    elif failure == "timeout":
        time_out_at(chat.url, mocker)
    else:
        chat.fail(410)
    run(published(("A2", 9, 0)))
    assert (reads.call_count, waits(), posted(new_chat)) == FAILURES[failure]
    assert posted(chat) == ["A1"]


REFUSED = "the chat webhook did not accept the alert for A1: HTTP {} unavailable"


def test_what_became_of_each_alert_is_logged_with_the_alert_and_the_channel(published, run, chat, logs):
    run(published(("A2", 9, 0)))
    chat.fail(503, count=1)
    run(published(("A1", 9, 1)))
    chat.fail(404)
    run(published(("A3", 9, 1)))
    assert logs("webhook_alerts") == [
        ("INFO", "low-stock alert posted", {"alert_id": "A2-1-9-0", "channel": "webhook"}),
        (
            "WARNING",
            f"alert not posted; trying again in 5 s: {REFUSED.format(503)}",
            {"alert_id": "A1-1-9-1", "channel": "webhook", "attempt": 1},
        ),
        (
            "ERROR",
            f"alert not posted; kept in the channel's dead letters: {REFUSED.format(404).replace('A1', 'A3')}",
            {"alert_id": "A3-1-9-1", "channel": "webhook", "status": 404},
        ),
    ]


def test_a_failure_that_is_not_the_webhook_s_answer_is_tried_again_naming_the_error(
    published, run, clients, chat, mocker, logs
):
    down = ClientError({"Error": {"Code": "InternalServiceError", "Message": "try again"}}, "GetSecretValue")
    mocker.patch.object(clients.secrets_manager, "get_secret_value", side_effect=down)
    run(published(("A1", 9, 1)))
    assert logs("webhook_alerts")[-1][1] == (
        "alert not posted; trying again in 5 s: ClientError: An error occurred (InternalServiceError) when calling "
        "the GetSecretValue operation: try again"
    )


def test_a_wait_or_a_dead_letter_sqs_refuses_is_logged_with_its_error(published, run, clients, chat, mocker, logs):
    down = ConnectionError("sqs down")
    mocker.patch.object(clients.sqs, "change_message_visibility", side_effect=down)
    chat.fail(503, count=1)
    run(published(("A1", 9, 1)))
    mocker.patch.object(clients.sqs, "send_message", side_effect=down)
    chat.fail(404)
    run(published(("A2", 9, 0)))
    assert [(level, message) for level, message, _ in logs("webhook_alerts") if level == "ERROR"] == [
        (
            "ERROR",
            "the queue did not take the wait of 5 s; the alert comes back after the queue's visibility timeout "
            "instead: ConnectionError: sqs down",
        ),
        ("ERROR", "alert not kept as a dead letter; it will be tried again: ConnectionError: sqs down"),
    ]


def test_the_wait_is_set_on_the_message_the_channel_s_queue_delivered(deployed, published, run, chat, clients, mocker):
    change = mocker.spy(clients.sqs, "change_message_visibility")
    chat.fail(503)
    event = published(("A1", 9, 1))
    run(event)
    assert [call.kwargs for call in change.call_args_list] == [
        {
            "QueueUrl": deployed.alert_inbox_url,
            "ReceiptHandle": event["Records"][0]["receiptHandle"],
            "VisibilityTimeout": 5,
        }
    ]
    assert change.spy_exception is None


def test_the_chat_channel_claims_each_alert_apart_from_the_topic(deployed, published, run, chat):
    run(published(("A1", 9, 1)))
    claims = deployed.dynamodb.scan(TableName="sent-alerts")["Items"]
    assert sorted(item["change_id"]["S"] for item in claims) == ["A1-1-9-1", "webhook:A1-1-9-1"]


def test_each_post_waits_for_an_answer_no_longer_than_one_attempt_of_the_clients(published, run, chat, clients, mocker):
    post = mocker.spy(webhook_low_stock_notifier._OPENER, "open")
    run(published(("A1", 9, 1)))
    assert post.call_args.kwargs["timeout"] == clients.attempt_seconds


def test_no_alert_is_started_without_time_for_one_more(published, alerts, chat, waits):
    event = published(("A1", 9, 1), ("A2", 9, 0))
    assert alerts(event, Context(500)) == failed(event)
    assert waits() == [0, 0]
    assert chat.attempts == []


def test_a_post_that_might_outlast_the_invocation_is_not_started_and_is_tried_again(published, run, chat, mocker, logs):
    run(published(("A1", 9, 1)))  # the URL read
    event = published(("A2", 9, 0))
    claim = SentAlertsRecordedInTime.claim

    def claim_late(self, change_id, stock_id=""):
        claimed = claim(self, change_id, stock_id)
        start_invocation(Context(2_000))  # the claim took most of the invocation: one attempt no longer fits
        return claimed

    mocker.patch.object(SentAlertsRecordedInTime, "claim", claim_late)
    run(event)
    assert posted(chat) == ["A1"]
    [(_, message, _)] = [line for line in logs("webhook_alerts") if line[0] == "WARNING"]
    assert message.startswith("alert not posted; trying again in 5 s: OutOfTime: ")
    assert message.endswith(" s left in the invocation, and one attempt may take 7.0 s")
