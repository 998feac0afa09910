"""The chat channel, tried from outside: a low-stock alert posted once to the webhook the stack was given, and an
alert the chat refuses kept in the channel's dead letters with the chat's answer.

The webhook is a receiver the run owns (tests/scenarios/webhook_receiver.py): in AWS, the function URL
`make test-aws` deploys beside the ephemeral stack, so that SNS, the KMS-encrypted queue, the channel's function
and its post all run in AWS; against a local stack, the same function on this machine. It refuses, as a deleted
channel, the alerts of items whose id ends with REFUSED_SUFFIX.
"""

from __future__ import annotations

import pytest

from tests.running_stack import eventually
from tests.scenarios.target import Target
from tools.dead_letters import AlertDeadLetter, alert_dead_letter
from tools.webhook_receiver.function import REFUSED_SUFFIX

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`


def test_a_low_stock_alert_is_posted_once_to_the_chat(target, unique, chat):
    assert target.api("PUT", f"/stocks/{unique}", {"stock_level": 0})[0] == 200
    assert target.api("PUT", f"/stocks/{unique}", {"stock_level": 0})[0] == 200  # still low: no new crossing
    [post] = eventually(lambda: chat.posts(unique), timeout=120)
    assert post["status"] == 200
    assert f"item {unique} is down to 0" in post["text"]
    # A later item's post shows the channel has gone on since: by then a second post of this alert (its message
    # delivered again, or an alert for the repeated level) would have had its chance to come.
    later = f"{unique}-later"
    assert target.api("PUT", f"/stocks/{later}", {"stock_level": 0})[0] == 200
    eventually(lambda: chat.posts(later), timeout=120)
    assert len(chat.posts(unique)) == 1


def test_an_alert_the_chat_refuses_waits_in_the_chat_channels_dead_letters_with_its_status(target, unique, chat):
    item = f"{unique}{REFUSED_SUFFIX}"
    assert target.api("PUT", f"/stocks/{item}", {"stock_level": 0})[0] == 200
    kept = eventually(lambda: chat_dead_letter(target, item), timeout=120)
    assert (kept.channel, kept.status, kept.level) == ("webhook", "404", "0")
    assert "HTTP 404 channel_not_found" in kept.reason
    # Refused for good, so dead-lettered at once, not tried again later.
    assert {post["status"] for post in chat.posts(item)} == {404}


def chat_dead_letter(target: Target, item: str) -> AlertDeadLetter | None:
    """The chat channel's dead letter for this item, as `make dlq` reads it, deleted once found; others are left
    for their owners."""
    sqs = target.client("sqs")
    url = target.outputs["alert_dead_letter_queue_urls"]["webhook"]
    for message in sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=2
    ).get("Messages", []):
        letter = alert_dead_letter("webhook", message)
        if letter.item == item:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            return letter
    return None
