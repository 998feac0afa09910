"""A channel's alerts on SQS: the wait before one comes back, and a dead letter as SQS keeps it."""

from adapters.outbound.sqs_alert_deliveries import SqsAlertDeliveries
from domain.ports import AlertDelivery

ALERT = AlertDelivery(
    "receipt-1",
    "Low stock: item A1 is down to 1 (alert threshold 1). Restock it.",
    {
        "stock_id": {"DataType": "String", "StringValue": "A1"},
        "stock_level": {"DataType": "Number", "StringValue": "1"},
        "status": {"DataType": "Number", "StringValue": "503"},  # an earlier failure's, on a redriven alert
    },
)


def test_the_wait_is_the_visibility_timeout_in_whole_seconds_rounded_up(mocker):
    client = mocker.Mock()
    deliveries = SqsAlertDeliveries(client, "https://queue", "https://dead-letters", "webhook")
    for seconds in (0, 2.1, 3600):
        deliveries.try_again_in(ALERT, seconds)
    assert [call.kwargs for call in client.change_message_visibility.call_args_list] == [
        {"QueueUrl": "https://queue", "ReceiptHandle": "receipt-1", "VisibilityTimeout": timeout}
        for timeout in (0, 3, 3600)
    ]


def test_a_dead_letter_keeps_each_attribute_s_type_and_gives_the_status_as_a_number(account):
    SqsAlertDeliveries(account.sqs, account.alert_inbox_url, account.dead_letter_queue_url, "webhook").give_up(
        ALERT, 404, "HTTP 404"
    )
    [letter] = account.drain(account.dead_letter_queue_url)
    assert letter["Body"] == ALERT.body
    assert {name: (value["DataType"], value["StringValue"]) for name, value in letter["MessageAttributes"].items()} == {
        "stock_id": ("String", "A1"),
        "stock_level": ("Number", "1"),
        "channel": ("String", "webhook"),
        "status": ("Number", "404"),
        "reason": ("String", "HTTP 404"),
    }


def test_a_message_without_a_body_is_kept_with_its_reason_as_its_body_which_sqs_requires(account):
    deliveries = SqsAlertDeliveries(account.sqs, account.alert_inbox_url, account.dead_letter_queue_url, "webhook")
    deliveries.give_up(AlertDelivery("receipt-1", "", {}), None, "not an alert: no stock_id attribute")
    [letter] = account.drain(account.dead_letter_queue_url)
    assert letter["Body"] == "not an alert: no stock_id attribute"
    assert {name: value["StringValue"] for name, value in letter["MessageAttributes"].items()} == {
        "channel": "webhook",
        "reason": "not an alert: no stock_id attribute",
    }
