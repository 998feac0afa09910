"""The embedded SQS's message move tasks: back to the source queue only for messages that have one, as in SQS
(API_StartMessageMoveTask: without a DestinationArn, messages go back to their original source queues)."""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_stack.aws.embedded_aws import EmbeddedAws, local_client

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    aws = EmbeddedAws("127.0.0.1", 0)
    aws.start()
    yield aws
    aws.stop()


@dataclass
class Queues:
    sqs: Any
    source: str
    dead_letters: str
    dead_letters_arn: str
    elsewhere: str
    elsewhere_arn: str


def arn_of(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


@pytest.fixture
def queues(aws: EmbeddedAws) -> Queues:
    """A source queue whose redrive policy moves a message to its dead-letter queue at the second receive."""
    sqs = local_client("sqs", aws.url, "eu-west-3")
    name = uuid.uuid4().hex[:8]
    dead_letters = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dead_letters), "maxReceiveCount": 1})
    source = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})["QueueUrl"]
    elsewhere = sqs.create_queue(QueueName=f"{name}-elsewhere")["QueueUrl"]
    return Queues(sqs, source, dead_letters, arn_of(sqs, dead_letters), elsewhere, arn_of(sqs, elsewhere))


def dead_letter_by_policy(queues: Queues, body: str) -> None:
    queues.sqs.send_message(QueueUrl=queues.source, MessageBody=body)
    queues.sqs.receive_message(QueueUrl=queues.source, VisibilityTimeout=0)
    assert queues.sqs.receive_message(QueueUrl=queues.source).get("Messages") is None  # moved at this receive


def bodies(queues: Queues, url: str) -> list[str]:
    received = queues.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(message["Body"] for message in received)


def test_messages_the_redrive_policy_moved_go_back_to_their_source_queue(queues):
    dead_letter_by_policy(queues, "A1;4")
    queues.sqs.start_message_move_task(SourceArn=queues.dead_letters_arn)
    assert bodies(queues, queues.source) == ["A1;4"]


def test_a_move_without_a_destination_is_refused_while_a_message_was_sent_to_the_queue_directly(queues):
    dead_letter_by_policy(queues, "A1;4")
    queues.sqs.send_message(QueueUrl=queues.dead_letters, MessageBody="B2;lots")  # a rejected line
    with pytest.raises(ClientError, match="sent to it directly") as refused:
        queues.sqs.start_message_move_task(SourceArn=queues.dead_letters_arn)
    assert refused.value.response["Error"]["Code"] == "UnsupportedOperation"
    assert bodies(queues, queues.dead_letters) == ["A1;4", "B2;lots"]  # nothing moved, everything visible


def test_with_a_destination_every_message_moves_there(queues):
    dead_letter_by_policy(queues, "A1;4")
    queues.sqs.send_message_batch(QueueUrl=queues.dead_letters, Entries=[{"Id": "1", "MessageBody": "B2;lots"}])
    queues.sqs.start_message_move_task(SourceArn=queues.dead_letters_arn, DestinationArn=queues.elsewhere_arn)
    assert bodies(queues, queues.elsewhere) == ["A1;4", "B2;lots"]
