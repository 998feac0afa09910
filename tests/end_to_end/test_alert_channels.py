"""Each alert channel on its own path: a chat webhook that refuses, fails for a while or asks for time never
holds back the topic's subscribers, and what it refuses waits in its own dead letters with the reason."""

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.end_to_end.test_chat_alerts import chat, chat_alerts
from tests.running_stack import AlertInbox, RunningStack, eventually

pytestmark = pytest.mark.local_stack


@pytest.fixture
def webhook(local_stack: RunningStack) -> Iterator[None]:
    """The local chat webhook, answering normally again once the test is over."""
    yield
    chat(local_stack, "/failures", {})


def items(prefix: str, count: int) -> list[str]:
    run = uuid.uuid4().hex[:6].upper()
    return [f"{prefix}-{run}-{n}" for n in range(count)]


def set_low(local_stack: RunningStack, item: str) -> None:
    assert local_stack.request("PUT", f"/stocks/{item}", json.dumps({"stock_level": 0}))[0] == 200


def attempts(local_stack: RunningStack, item: str) -> list[dict[str, Any]]:
    found = chat(local_stack, "/attempts")
    assert isinstance(found, list)
    return [attempt for attempt in found if attempt["stock_id"] == item]


def webhook_dead_letters(local_stack: RunningStack) -> dict[str, dict[str, str]]:
    """The webhook channel's dead letters by item, read without consuming them."""
    sqs = local_stack.client("sqs")
    url = local_stack.outputs["alert_dead_letter_queue_urls"]["webhook"]
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=0
    ).get("Messages", [])
    return {
        attributes["stock_id"]: attributes
        for attributes in (
            {name: value["StringValue"] for name, value in message["MessageAttributes"].items()} for message in messages
        )
    }


def webhook_queue_is_empty(local_stack: RunningStack) -> bool:
    """No alert waits on the chat channel's queue, visible or in flight: no post of it can come any more."""
    sqs = local_stack.client("sqs")
    url = sqs.get_queue_url(QueueName="alert-webhook-queue")["QueueUrl"]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return all(counts[name] == "0" for name in names)


def test_a_webhook_that_refuses_for_ever_holds_back_no_sms_or_email(local_stack, webhook):
    inbox = AlertInbox(local_stack, f"refused-{uuid.uuid4().hex[:6]}")
    chat(local_stack, "/failures", {"status": 404})
    low = items("REFUSED", 3)
    for item in low:
        set_low(local_stack, item)
        # Within seconds of its update, whatever the chat answers: the topic's subscribers wait on nothing else.
        eventually(lambda: inbox.per_item()[item] == 1, timeout=30)  # noqa: B023 (called before the loop goes on)

    def all_kept() -> dict[str, dict[str, str]] | None:
        found = webhook_dead_letters(local_stack)
        return found if set(low) <= set(found) else None

    letters = eventually(all_kept)
    assert {item: (letters[item]["status"], letters[item]["channel"]) for item in low} == dict.fromkeys(
        low, ("404", "webhook")
    )
    assert all(len(attempts(local_stack, item)) == 1 for item in low)  # a 404 is not tried again


def test_a_webhook_that_fails_twice_then_recovers_posts_each_alert_once_and_delays_no_sms(local_stack, webhook):
    inbox = AlertInbox(local_stack, f"recovers-{uuid.uuid4().hex[:6]}")
    [item] = items("RECOVERS", 1)
    chat(local_stack, "/failures", {"status": 503, "count": 2})
    set_low(local_stack, item)

    eventually(lambda: inbox.per_item()[item] == 1, timeout=30)
    sms_arrived_before_the_post = chat_alerts(local_stack, item)[item] == 0
    eventually(lambda: chat_alerts(local_stack, item)[item] == 1, timeout=120)
    eventually(lambda: webhook_queue_is_empty(local_stack), timeout=60)

    assert sms_arrived_before_the_post  # the SMS/email did not wait for the chat's retries (5 s, then 10 s)
    assert [attempt["status"] for attempt in attempts(local_stack, item)] == [503, 503, 200]
    assert chat_alerts(local_stack, item) == Counter({item: 1})


def test_a_webhook_that_asks_for_time_is_tried_again_after_that_time_and_no_later(local_stack, webhook):
    [item] = items("SLOWDOWN", 1)
    # 12 s against a first back-off of 5 s: ignored, the retry would come after 5 s; added, after 17 s.
    chat(local_stack, "/failures", {"status": 429, "count": 1, "retry_after": 12})
    set_low(local_stack, item)

    def both() -> list[dict[str, Any]] | None:
        found = attempts(local_stack, item)
        return found if len(found) == 2 else None

    refused, accepted = eventually(both, timeout=120)
    assert (refused["status"], accepted["status"]) == (429, 200)
    assert 12 <= accepted["seconds"] - refused["seconds"] < 17
