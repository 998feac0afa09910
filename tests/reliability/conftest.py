"""A local stack tuned for failure tests: short function time-outs, so a failed message returns within seconds."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.running_stack import RunningStack, running

# Visibility timeout = 6 x 2 s + 1 s window: a message of a failed batch is back 13 s later.
FAST_RETRIES = {"importFunctionTimeoutSeconds": 2, "queueBatchingWindowSeconds": 1, "maxReceiveCount": 8}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    yield from running(tmp_path_factory.mktemp("reliability-stack"), FAST_RETRIES)


class AlertInbox:
    """A queue subscribed to the alerts topic: what a subscriber received, counted per item."""

    def __init__(self, stack: RunningStack, name: str) -> None:
        self._sqs = stack.client("sqs")
        self.url = self._sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        stack.client("sns").subscribe(TopicArn=stack.outputs["topic_arn"], Protocol="sqs", Endpoint=arn)
        self.received: list[str] = []

    def collect(self) -> list[str]:
        while messages := self._sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                self.received.append(json.loads(message["Body"])["Message"])
                self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return self.received

    def per_item(self) -> Counter[str]:
        """Alerts received per item id (the message names the item after 'item ')."""
        return Counter(text.split("item ", 1)[1].split(" ", 1)[0] for text in self.collect())


def dead_letters(stack: RunningStack) -> list[dict[str, Any]]:
    """Everything now in the import dead-letter queue, removed as read."""
    sqs, url = stack.client("sqs"), stack.outputs["dead_letter_queue_url"]
    kept: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
        "Messages"
    ):
        kept.extend(messages)
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return kept


def stored_levels(stack: RunningStack, prefix: str) -> dict[str, int]:
    """Every stored level whose item id starts with `prefix`, read straight from the table."""
    dynamodb = stack.client("dynamodb")
    levels: dict[str, int] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=stack.outputs["table_name"]):
        for item in page["Items"]:
            if item["stock_id"]["S"].startswith(prefix):
                levels[item["stock_id"]["S"]] = int(item["stock_level"]["N"])
    return levels
