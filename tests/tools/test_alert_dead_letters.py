"""`make dlq` and `make redrive CHANNEL=...` on the alert channels' dead letters: each alert listed on a line of its
own, the webhook channel's moved back to its queue and posted once, the SNS subscribers' never redriven."""

import json
import urllib.request
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.running_stack import RunningStack, eventually, running
from tools import dead_letters
from tools.dead_letters import SNS_REDRIVE_REFUSED, alert_dead_letter, redrive_alerts

ALERT = {"alert_id": "change-1", "stock_id": "SKU-7", "stock_level": "2", "threshold": "5"}


def sqs_attributes(values: dict[str, str]) -> dict[str, dict[str, str]]:
    return {name: {"DataType": "String", "StringValue": value} for name, value in values.items()}


def test_an_alert_sqs_moved_after_repeated_failures_is_listed_without_status_and_says_no_reason_was_recorded():
    message = {"Body": "Low stock: item SKU-7 is down to 2", "MessageAttributes": sqs_attributes(ALERT)}
    assert alert_dead_letter("webhook", message).line() == (
        "  SKU-7  level 2  channel webhook  status -  moved by SQS after repeated failures; no reason recorded"
    )


def test_an_alert_sns_could_not_deliver_is_read_from_its_envelope():
    # A non-raw subscription's dead letter: SNS's JSON envelope, the attributes as {"Type", "Value"}
    # (docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html).
    envelope = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:eu-west-3:123456789012:low-stock-alerts",
        "Subject": "Low stock: SKU-9",
        "Message": "Low stock: item SKU-9 is down to 0 (alert threshold 5). Restock it.",
        "MessageAttributes": {
            "stock_id": {"Type": "String", "Value": "SKU-9"},
            "stock_level": {"Type": "Number", "Value": "0"},
            "threshold": {"Type": "Number", "Value": "5"},
        },
    }
    line = alert_dead_letter("sns", {"Body": json.dumps(envelope)}).line()
    assert (
        line == "  SKU-9  level 0  channel sns  status -  SNS could not deliver it to a subscriber: no reason recorded"
    )
    # What SNS records of the failure: the subscription in the envelope, the error as attributes.
    subscription = "arn:aws:sns:eu-west-3:123456789012:low-stock-alerts:5f1d2b7c"
    envelope["UnsubscribeURL"] = (
        f"https://sns.eu-west-3.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription}"
    )
    why = {
        "ErrorCode": {"DataType": "String", "StringValue": "400"},
        "ErrorMessage": {"DataType": "String", "StringValue": "Phone number is opted out"},
    }
    line = alert_dead_letter("sns", {"Body": json.dumps(envelope), "MessageAttributes": why}).line()
    assert line == (
        f"  SKU-9  level 0  channel sns  status 400  SNS could not deliver it to {subscription}: "
        "Phone number is opted out"
    )
    # A channel's queue refused SNS: its raw message, the alert in SQS's own attributes.
    raw = {
        "Body": "Low stock: item SKU-9 is down to 0 (alert threshold 5). Restock it.",
        "MessageAttributes": {
            "stock_id": {"DataType": "String", "StringValue": "SKU-9"},
            "stock_level": {"DataType": "Number", "StringValue": "0"},
            "ErrorMessage": {"DataType": "String", "StringValue": "KMS.AccessDeniedException"},
        },
    }
    line = alert_dead_letter("sns", raw).line()
    assert line == (
        "  SKU-9  level 0  channel sns  status -  SNS could not deliver it to a channel's queue: "
        "KMS.AccessDeniedException"
    )
    unreadable = alert_dead_letter("sns", {"Body": "not json"}).line()
    assert unreadable == "  ?  level ?  channel sns  status -  (not an SNS message) 'not json'"


def test_the_sns_channel_is_never_redriven_since_publishing_again_would_reach_every_subscriber(mocker):
    sqs = mocker.Mock()
    sqs.receive_message.side_effect = [{"Messages": [{"MessageId": "1", "ReceiptHandle": "r", "Body": "{}"}]}, {}]
    sqs.list_dead_letter_source_queues.return_value = {"queueUrls": []}  # its sources are SNS subscriptions
    outputs = {"alert_dead_letter_queue_urls": {"sns": "https://sqs/subscriber-dlq"}}
    assert redrive_alerts(sqs, outputs, "sns") == SNS_REDRIVE_REFUSED
    assert sqs.method_calls == []  # nothing received, nothing moved


# --- Against a local stack with both alert channels.


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    yield from running(tmp_path_factory.mktemp("alert-dead-letters-stack"), {"alertChannels": ["sns", "webhook"]})


def tool(stack: RunningStack, capsys: pytest.CaptureFixture[str], *options: str) -> str:
    assert dead_letters.main(["--outputs", str(stack.work_dir / "outputs.json"), *options]) == 0
    return capsys.readouterr().out


def chat(stack: RunningStack, path: str, payload: object = None) -> object:
    """The local chat webhook's control: POST `payload` to `path`, or GET it when there is none."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(stack.outputs["chat_webhook_url"] + path, data=data)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null") if payload is None else None


def chat_posts(stack: RunningStack, prefix: str) -> Counter[str]:
    posts = chat(stack, "/posts")
    assert isinstance(posts, list)
    return Counter(post["stock_id"] for post in posts if post["stock_id"].startswith(prefix))


VISIBLE, HIDDEN = "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"


def messages_on(stack: RunningStack, queue_url: str, counted: tuple[str, ...] = (VISIBLE, HIDDEN)) -> int:
    """Messages on a queue, visible or not (or only those `counted`)."""
    sqs = stack.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=list(counted))["Attributes"]
    return sum(int(attributes[name]) for name in counted)


@pytest.mark.local_stack
def test_alerts_the_webhook_refused_are_listed_then_redriven_and_posted_once(stack, capsys, monkeypatch):
    stack.reach_as_aws(monkeypatch)
    dead_letter_queue = stack.outputs["alert_dead_letter_queue_urls"]["webhook"]
    items = [f"ALERT-DL-{n}" for n in range(3)]
    chat(stack, "/failures", {"status": 404})  # a permanent refusal: dead-lettered at the first attempt
    try:
        for item in items:
            assert stack.request("PUT", f"/stocks/{item}", json.dumps({"stock_level": 0}))[0] == 200
        eventually(lambda: messages_on(stack, dead_letter_queue) == 3, timeout=120)

        listing = tool(stack, capsys).splitlines()

        assert "3 alert(s) the webhook channel could not deliver" in "\n".join(listing)
        for item in items:
            (line,) = [line for line in listing if f"  {item}  " in line]
            assert "level 0  channel webhook  status 404  " in line, line
        assert messages_on(stack, dead_letter_queue, (VISIBLE,)) == 3  # listed, not consumed nor left hidden
    finally:
        chat(stack, "/failures", {})

    assert "Moving 3 alert(s) back to the webhook channel's queue" in tool(
        stack, capsys, "--redrive", "--channel", "webhook"
    )

    # Once the channel's queue is empty too, nothing is left that could be posted again.
    (channel_queue,) = stack.client("sqs").list_dead_letter_source_queues(QueueUrl=dead_letter_queue)["queueUrls"]
    eventually(lambda: messages_on(stack, channel_queue) == 0 and chat_posts(stack, "ALERT-DL-"), timeout=120)
    assert chat_posts(stack, "ALERT-DL-") == Counter(items)
    assert messages_on(stack, dead_letter_queue) == 0
