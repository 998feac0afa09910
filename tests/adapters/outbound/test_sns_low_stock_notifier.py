import pytest
from botocore.exceptions import ClientError

from adapters.outbound.sns_low_stock_notifier import SnsLowStockNotifier
from domain.low_stock import LowStockAlert


def test_an_alert_reaches_the_topic_subscribers_naming_item_level_and_threshold(account):
    SnsLowStockNotifier(account.sns, account.topic_arn).send(LowStockAlert("A000", 1, 2))
    [message] = account.drain(account.alert_inbox_url)
    assert message["Body"] == "Low stock: item A000 is down to 1 (alert threshold 2). Restock it."
    assert message["MessageAttributes"]["stock_id"]["StringValue"] == "A000"
    assert message["MessageAttributes"]["stock_level"] == {"StringValue": "1", "DataType": "Number"}
    assert message["MessageAttributes"]["threshold"] == {"StringValue": "2", "DataType": "Number"}
    assert "alert_id" not in message["MessageAttributes"]


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
