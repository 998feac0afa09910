"""The embedded SQS gives each message to one consumer at a time, and loses none, under concurrent senders, consumers
and deleters, as the local stack's several readers of a queue need."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from local_stack.aws.embedded_aws import local_client

pytestmark = pytest.mark.local_stack  # starts the embedded AWS: not in `make check`

CONSUMERS = 5
MESSAGES = 600


def test_concurrent_consumers_each_get_a_message_once_and_none_is_lost(embedded):
    sqs = local_client("sqs", embedded.url, "eu-west-3")
    # A visibility timeout longer than the test: a message received twice was given to two consumers at once.
    url = sqs.create_queue(QueueName="consumed", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    received: Counter[str] = Counter()
    counted = threading.Lock()
    sent = threading.Event()

    def send():
        with ThreadPoolExecutor(2) as pool:  # sends racing the deletes, which rewrite the queue's list
            list(pool.map(lambda start: send_ten(sqs, url, start), range(0, MESSAGES, 10)))
        sent.set()

    def consume():
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            if not messages:
                if sent.is_set():
                    return
                continue
            with counted:
                received.update(message["Body"] for message in messages)
            entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)]
            assert sqs.delete_message_batch(QueueUrl=url, Entries=entries).get("Failed", []) == []

    consumers = [threading.Thread(target=consume) for _ in range(CONSUMERS)]
    for consumer in consumers:
        consumer.start()
    send()
    for consumer in consumers:
        consumer.join(timeout=120)
    assert not any(consumer.is_alive() for consumer in consumers)
    assert [body for body, times in received.items() if times > 1] == []
    assert set(received) == {f"m{n}" for n in range(MESSAGES)}
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == (
        "0",
        "0",
    )


def send_ten(sqs, url, start):
    entries = [{"Id": str(n), "MessageBody": f"m{start + n}"} for n in range(10)]
    assert sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed", []) == []
