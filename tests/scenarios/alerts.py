"""The alert channels a scenario reads from outside: a queue of its own subscribed to the alerts topic, and the chat
channel's webhook receiver where the run has one; and how a scenario knows every alert of its changes so far came.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from handlers.settings import Channel
from tests.running_stack import eventually
from tests.scenarios.target import Target
from tests.scenarios.webhook_receiver import WebhookReceiver

T = TypeVar("T")
# Long enough for a channel behind a backlog (the list's scenario makes hundreds of items low at once).
ALERT_TIMEOUT = 180


def alert_text(stock_id: str, level: int, reorder_point: int, own: bool) -> str:
    """The words of an alert, the same on every channel: whose reorder point the level reached, and what it is."""
    whose = "its reorder point" if own else "the default reorder point"
    return f"Low stock: item {stock_id} is down to {level} ({whose} is {reorder_point}). Restock it."


class AlertChannel(Protocol):
    """Where the stack's alerts can be read."""

    name: str

    def alerts(self, stock_id: str) -> list[str]:
        """The text of every alert received so far for this item, oldest first."""
        ...

    def look_again(self) -> None:
        """Read what a quick look may have missed, before a count is taken as final."""
        ...


class TopicInbox:
    """A queue of the test's own subscribed to the alerts topic, as an email or SMS subscriber is; its policy lets
    only that topic send to it. What it received is kept here, read off the queue as it comes."""

    name: str = Channel.SNS.value

    def __init__(self, target: Target, queue_name: str) -> None:
        self._sqs, self._sns = target.client("sqs"), target.client("sns")
        self.url = self._sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        topic = target.outputs["topic_arn"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
                }
            ],
        }
        self._sqs.set_queue_attributes(QueueUrl=self.url, Attributes={"Policy": json.dumps(policy)})
        self._subscription = self._sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        self._received: dict[str, list[str]] = defaultdict(list)

    def alerts(self, stock_id: str) -> list[str]:
        self._read(wait_seconds=0)
        return list(self._received[stock_id])

    def look_again(self) -> None:
        # A receive that does not wait asks only some of SQS's servers, and may miss a message that is there; one
        # that waits asks them all (docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/
        # sqs-short-and-long-polling.html).
        self._read(wait_seconds=1)

    def _read(self, wait_seconds: int) -> None:
        while messages := self._sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages"):
            for message in messages:
                # Without raw delivery SNS wraps the message: its attributes travel inside the body.
                envelope = json.loads(message["Body"])
                stock_id = envelope.get("MessageAttributes", {}).get("stock_id", {}).get("Value", "")
                self._received[stock_id].append(str(envelope["Message"]))
                self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def close(self) -> None:
        self._sns.unsubscribe(SubscriptionArn=self._subscription)
        self._sqs.delete_queue(QueueUrl=self.url)


@dataclass
class ChatInbox:
    """The chat channel as its webhook receiver saw it: each post, whatever it answered."""

    receiver: WebhookReceiver
    name: str = Channel.WEBHOOK.value

    def alerts(self, stock_id: str) -> list[str]:
        return [str(post["text"]) for post in self.receiver.posts(stock_id)]

    def look_again(self) -> None:
        """The receiver's records are read whole, each time."""


@dataclass
class AlertChannels:
    """Every channel of the stack the scenario can read, read together."""

    target: Target
    channels: list[AlertChannel] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [channel.name for channel in self.channels]

    def alerts(self, stock_id: str) -> dict[str, list[str]]:
        """Each channel's alerts for the item so far."""
        return {channel.name: channel.alerts(stock_id) for channel in self.channels}

    def each(self, value: T) -> dict[str, T]:
        """The same value for every channel, to compare with what each received."""
        return dict.fromkeys(self.names, value)

    def counts(self, stock_id: str) -> dict[str, int]:
        return {name: len(texts) for name, texts in self.alerts(stock_id).items()}

    def wait_for(self, stock_id: str, count: int) -> dict[str, list[str]]:
        """Each channel's alerts for the item, once every channel has at least `count`."""

        def all_came() -> dict[str, list[str]] | None:
            found = self.alerts(stock_id)
            return found if all(len(texts) >= count for texts in found.values()) else None

        return eventually(all_came, timeout=ALERT_TIMEOUT)

    def settle(self) -> None:
        """Return once the channels have gone on past every change made so far: a new item made low now is alerted
        after the stream records before it are handled (the stream's function takes a shard's records in order, and
        a table this small has one shard), so once its alert has reached every channel, an alert of an earlier
        change has had its chance to come. The counts read after this are taken as final."""
        # Named apart from the scenarios' items, which a scenario finds by their prefix (in the list, for one).
        sentinel = f"SETTLE-{uuid.uuid4().hex[:12]}"
        status, body = self.target.api("PUT", f"/stocks/{sentinel}", {"stock_level": 0})
        assert status == 200, body
        self.wait_for(sentinel, 1)
        for channel in self.channels:
            channel.look_again()
