"""Alerts on a channel's queue, as Lambda delivers the raw messages the alerts topic sent."""

import time

import pytest

from adapters.inbound.alert_messages import parse_alert_messages
from adapters.outbound.sns_low_stock_notifier import SnsLowStockNotifier
from domain.item import Source
from domain.low_stock import LowStockAlert
from domain.ports import AlertDelivery
from harness.lambda_events import sqs_record


def delivered(account):
    """What the topic's raw subscription delivered, as Lambda's SQS poller hands it over."""
    messages = account.sqs.receive_message(
        QueueUrl=account.alert_inbox_url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"]
    )["Messages"]
    return {
        "Records": [sqs_record(message, "arn:aws:sqs:eu-west-3:123456789012:q", "eu-west-3") for message in messages]
    }


def test_an_alert_published_by_the_topic_is_read_back_whole(account):
    alert = LowStockAlert("A000", 1, 2, Source.ITEM)
    SnsLowStockNotifier(account.sns, account.topic_arn).for_change("change-7").send(alert)
    [message] = parse_alert_messages(delivered(account))
    assert (message.alert_id, message.alert, message.problem) == ("change-7", alert, "")
    assert message.receive_count == 1
    assert message.body == "Low stock: item A000 is down to 1 (its reorder point is 2). Restock it."


def record(**attributes):
    return {
        "messageId": "m-1",
        "receiptHandle": "r-1",
        "body": "text",
        "attributes": {"ApproximateReceiveCount": "4"},
        "messageAttributes": {
            name: {"stringValue": value, "dataType": "String", "stringListValues": [], "binaryListValues": []}
            for name, value in attributes.items()
        },
    }


WHOLE = {
    "alert_id": "c-1",
    "stock_id": "A000",
    "stock_level": "1",
    "reorder_point": "2",
    "reorder_point_source": "item",
}
# An alert published before items had their own reorder points: queued then, or kept as a dead letter since.
OLD_FORM = {"alert_id": "c-1", "stock_id": "A000", "stock_level": "1", "threshold": "2"}


def test_an_alert_of_the_form_published_before_reorder_points_is_read_as_it_was_meant():
    [message] = parse_alert_messages({"Records": [record(**OLD_FORM)]})
    assert (message.alert_id, message.alert, message.problem) == (
        "c-1",
        LowStockAlert("A000", 1, 2, Source.DEFAULT),
        "",
    )


def test_an_alert_that_names_its_reorder_point_is_read_with_it_whoever_else_names_a_threshold():
    [message] = parse_alert_messages({"Records": [record(**WHOLE, threshold="9")]})
    assert message.alert == LowStockAlert("A000", 1, 2, Source.ITEM)


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [
        ({**WHOLE, "alert_id": None}, "no alert_id attribute"),
        ({**WHOLE, "reorder_point": None}, "no reorder_point attribute"),
        ({**WHOLE, "reorder_point_source": None}, "no reorder_point_source attribute"),
        ({**WHOLE, "stock_level": "-1"}, "stock_level must be a whole number from 0 to 1000000000, not '-1'"),
        ({**WHOLE, "reorder_point": "x"}, "reorder_point must be a whole number from 0 to 1000000000, not 'x'"),
        ({**WHOLE, "reorder_point_source": "shop"}, "reorder_point_source must be 'item' or 'default', not 'shop'"),
        ({**OLD_FORM, "threshold": "x"}, "the low-stock threshold must be a whole number from 0 up, not 'x'"),
        ({**WHOLE, "stock_id": ""}, "stock_id must be 1 to 128 characters long"),
    ],
)
def test_an_unreadable_alert_is_kept_with_the_reason(attributes, problem):
    attributes = {name: value for name, value in attributes.items() if value is not None}
    [message] = parse_alert_messages({"Records": [record(**attributes)]})
    assert (message.alert, message.problem) == (None, problem)
    assert (message.message_id, message.receipt_handle, message.receive_count, message.body) == (
        "m-1",
        "r-1",
        4,
        "text",
    )
    assert message.attributes["stock_id" if "stock_id" in attributes else "alert_id"]["DataType"] == "String"


def test_the_attributes_are_kept_with_their_types_to_be_sent_again_as_they_came(account):
    SnsLowStockNotifier(account.sns, account.topic_arn).for_change("change-7").send(LowStockAlert("A000", 1, 2))
    [message] = parse_alert_messages(delivered(account))
    assert message.attributes == {
        "alert_id": {"DataType": "String", "StringValue": "change-7"},
        "stock_id": {"DataType": "String", "StringValue": "A000"},
        "stock_level": {"DataType": "Number", "StringValue": "1"},
        "reorder_point": {"DataType": "Number", "StringValue": "2"},
        "reorder_point_source": {"DataType": "String", "StringValue": "default"},
        "threshold": {"DataType": "Number", "StringValue": "2"},
    }


def test_a_message_is_handed_on_as_this_delivery_of_it_with_its_body_and_attributes_as_they_came(account):
    SnsLowStockNotifier(account.sns, account.topic_arn).for_change("change-7").send(LowStockAlert("A000", 1, 2))
    event = delivered(account)
    [message] = parse_alert_messages(event)
    assert message.delivery == AlertDelivery(event["Records"][0]["receiptHandle"], message.body, message.attributes)


def test_a_record_without_its_optional_fields_is_read_with_what_lambda_would_have_given():
    bare = {"messageId": "m-1", "messageAttributes": {"note": {}}}
    [message] = parse_alert_messages({"Records": [bare]})
    assert (message.receipt_handle, message.receive_count, message.body) == ("", 1, "")
    assert message.attributes == {"note": {"DataType": "String", "StringValue": ""}}
    assert (message.alert_id, message.alert) == ("", None)
    assert message.problem == "no stock_id attribute"


def test_nothing_in_an_empty_event():
    assert parse_alert_messages({}) == []


def test_when_the_queue_took_the_message_is_its_sent_timestamp_in_seconds(account):
    before = time.time()
    SnsLowStockNotifier(account.sns, account.topic_arn).for_change("change-7").send(LowStockAlert("A000", 1, 2))
    [message] = parse_alert_messages(delivered(account))
    assert message.sent_at is not None
    assert before - 1 <= message.sent_at <= time.time()
    exact = {**record(**WHOLE), "attributes": {"SentTimestamp": "1714564800123"}}
    assert parse_alert_messages({"Records": [exact]})[0].sent_at == 1714564800.123


def test_a_record_that_does_not_say_when_it_was_sent_has_no_sent_time():
    assert parse_alert_messages({"Records": [record(**WHOLE)]})[0].sent_at is None
