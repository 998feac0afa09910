import pytest
from botocore.exceptions import ClientError

from adapters.outbound.sns_low_stock_notifier import SnsLowStockNotifier
from domain.item import Source
from domain.low_stock import LowStockAlert


def test_an_alert_reaches_the_topic_subscribers_naming_item_level_and_reorder_point(account):
    SnsLowStockNotifier(account.sns, account.topic_arn).send(LowStockAlert("A000", 1, 2, Source.ITEM))
    [message] = account.drain(account.alert_inbox_url)
    assert message["Body"] == "Low stock: item A000 is down to 1 (its reorder point is 2). Restock it."
    assert message["MessageAttributes"] == {
        "stock_id": {"StringValue": "A000", "DataType": "String"},
        "stock_level": {"StringValue": "1", "DataType": "Number"},
        "reorder_point": {"StringValue": "2", "DataType": "Number"},
        "reorder_point_source": {"StringValue": "item", "DataType": "String"},
        # for a chat channel's function still on the code before reorder points, while a deploy is under way
        "threshold": {"StringValue": "2", "DataType": "Number"},
    }


def test_an_alert_names_the_default_as_the_source_of_a_reorder_point_the_item_does_not_have(account):
    SnsLowStockNotifier(account.sns, account.topic_arn).send(LowStockAlert("A000", 1, 2, Source.DEFAULT))
    [message] = account.drain(account.alert_inbox_url)
    assert message["Body"] == "Low stock: item A000 is down to 1 (the default reorder point is 2). Restock it."
    assert message["MessageAttributes"]["reorder_point_source"]["StringValue"] == "default"


def test_an_alert_with_its_dead_letter_attributes_stays_within_the_ten_sns_and_sqs_allow(account):
    SnsLowStockNotifier(account.sns, account.topic_arn).for_change("A000-7").send(LowStockAlert("A000", 1, 2))
    [message] = account.drain(account.alert_inbox_url)
    assert len(message["MessageAttributes"]) + len(("channel", "status", "reason")) <= 10


def test_an_alert_for_a_change_names_it_for_the_channels_that_send_it_once(account):
    SnsLowStockNotifier(account.sns, account.topic_arn).for_change("A000-7").send(LowStockAlert("A000", 1, 2))
    [message] = account.drain(account.alert_inbox_url)
    assert message["MessageAttributes"]["alert_id"] == {"StringValue": "A000-7", "DataType": "String"}


def test_a_publish_failure_propagates_so_the_alert_is_retried(account):
    missing_topic = account.topic_arn + "-gone"
    with pytest.raises(ClientError):
        SnsLowStockNotifier(account.sns, missing_topic).send(LowStockAlert("A000", 1, 1))


def test_the_subject_names_the_item_within_the_100_characters_sns_allows(account, mocker):
    publish = mocker.spy(account.sns, "publish")
    notifier = SnsLowStockNotifier(account.sns, account.topic_arn)
    notifier.send(LowStockAlert("A000", 1, 2))
    notifier.send(LowStockAlert("x" * 128, 1, 2))
    subjects = [call.kwargs["Subject"] for call in publish.call_args_list]
    assert subjects == ["Low stock: A000", "Low stock: " + "x" * 89]
