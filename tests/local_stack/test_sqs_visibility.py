"""The embedded SQS hides a message at most 12 hours from the receipt a ChangeMessageVisibility names, as SQS does
(best-practices-processing-messages-timely-manner.html), not from the message's sending as moto does; on SQS's own
clock (moto's), set by the test."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_stack.aws.embedded_aws import EmbeddedAws, local_client

pytestmark = pytest.mark.local_stack  # starts the embedded AWS: not in `make check`

HOURS = 3600
TWELVE_HOURS = 12 * HOURS


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    aws = EmbeddedAws("127.0.0.1", 0)
    aws.start()
    yield aws
    aws.stop()


@pytest.fixture
def sqs(aws: EmbeddedAws) -> Any:
    return local_client("sqs", aws.url, "eu-west-3")


@pytest.fixture
def queue(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName=uuid.uuid4().hex[:8])["QueueUrl"])


def receive(sqs: Any, queue: str) -> list[str]:
    """The receipt handles of the messages the queue delivers now."""
    return [message["ReceiptHandle"] for message in sqs.receive_message(QueueUrl=queue).get("Messages", [])]


def hide(sqs: Any, queue: str, receipt: str, seconds: int) -> None:
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=receipt, VisibilityTimeout=seconds)


def refused(sqs: Any, queue: str, receipt: str, seconds: int) -> str:
    with pytest.raises(ClientError) as raised:
        hide(sqs, queue, receipt, seconds)
    return str(raised.value.response["Error"]["Code"])


def test_a_message_received_hours_after_it_was_sent_may_be_hidden_for_12_hours_from_its_receipt(sqs, queue, sqs_clock):
    sqs.send_message(QueueUrl=queue, MessageBody="alert")
    sqs_clock.advance(6 * HOURS)
    [receipt] = receive(sqs, queue)
    sqs_clock.advance(10)
    hide(sqs, queue, receipt, TWELVE_HOURS - 11)  # moto alone refuses it: 18 hours after the sending
    sqs_clock.advance(TWELVE_HOURS - 12)
    assert receive(sqs, queue) == []
    sqs_clock.advance(2)
    assert len(receive(sqs, queue)) == 1


def test_a_timeout_past_12_hours_from_the_receipt_is_refused_not_shortened(sqs, queue, sqs_clock):
    sqs.send_message(QueueUrl=queue, MessageBody="alert")
    [receipt] = receive(sqs, queue)
    sqs_clock.advance(10)
    assert refused(sqs, queue, receipt, TWELVE_HOURS - 9) == "InvalidParameterValue"
    sqs_clock.advance(31)  # the receive's own 30 s timeout stands: nothing was changed
    assert len(receive(sqs, queue)) == 1


def test_extending_the_timeout_does_not_start_the_12_hours_again(sqs, queue, sqs_clock):
    sqs.send_message(QueueUrl=queue, MessageBody="alert")
    [receipt] = receive(sqs, queue)
    hide(sqs, queue, receipt, HOURS)
    sqs_clock.advance(HOURS - 60)
    assert refused(sqs, queue, receipt, TWELVE_HOURS) == "InvalidParameterValue"
    hide(sqs, queue, receipt, TWELVE_HOURS - HOURS + 59)


def test_each_receipt_starts_12_hours_of_its_own(sqs, queue, sqs_clock):
    sqs.send_message(QueueUrl=queue, MessageBody="alert")
    [first] = receive(sqs, queue)
    hide(sqs, queue, first, 11 * HOURS)
    sqs_clock.advance(11 * HOURS + 1)
    [second] = receive(sqs, queue)
    hide(sqs, queue, second, TWELVE_HOURS - 1)  # moto alone refuses it: 23 hours after the sending
    sqs_clock.advance(TWELVE_HOURS - 2)
    assert receive(sqs, queue) == []
