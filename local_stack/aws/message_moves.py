"""SQS's dead-letter queue redrive (StartMessageMoveTask, ListMessageMoveTasks), which moto does not serve.

AWS moves every message of a dead-letter queue back to its source queue, or to a destination given, as an
asynchronous task (docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html).
Here the move runs at once, through the embedded AWS's own SQS API, and the task is reported as COMPLETED.

Without a DestinationArn, AWS sends each message back to "their respective original source queues" (same page):
the queue whose redrive policy moved it there. A message sent straight to the dead-letter queue (as the import
function sends the lines it rejects) has none. The page does not say how AWS answers then; this layer refuses the
move at once, naming the messages, with StartMessageMoveTask's modelled UnsupportedOperation, before anything
moves, and start-up says so. To know which messages were sent straight, it notes the message ids of every
SendMessage and SendMessageBatch a queue accepts in the JSON protocol (botocore's and the AWS CLI's since 2023;
a client on the older query protocol goes unnoticed). The ids are kept for the stack's life: packed import
messages make them few (a million lines fill about a hundred messages).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from local_stack.aws.aws_requests import WsgiApp, read_body

SqsClient = Callable[[], Any]
_MOVES = ("AmazonSQS.StartMessageMoveTask", "AmazonSQS.ListMessageMoveTasks")
_SENDS = ("AmazonSQS.SendMessage", "AmazonSQS.SendMessageBatch")


class NoSourceQueue(ValueError):
    """Messages that were sent to the dead-letter queue directly have no source queue to go back to."""


class MessageMoves:
    """Request layer: SQS's message move tasks (dead-letter queue redrive), served with `sqs()`, a client of the
    same embedded AWS, set once it listens."""

    def __init__(self) -> None:
        self.sqs: SqsClient | None = None
        self._tasks: dict[str, list[dict[str, Any]]] = {}
        self._sent_directly: set[tuple[str, str]] = set()  # (queue name, message id)
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any], forward: WsgiApp
    ) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target in _SENDS:
            return self._noting_sends(environ, start_response, forward)
        if target not in _MOVES or self.sqs is None:
            return forward(environ, start_response)
        request = json.loads(read_body(environ) or b"{}")
        if target == "AmazonSQS.ListMessageMoveTasks":
            return _answer(start_response, "200 OK", {"Results": self._tasks.get(request.get("SourceArn", ""), [])})
        try:
            return _answer(start_response, "200 OK", self._start(request))
        except NoSourceQueue as refused:
            error = {"__type": "com.amazonaws.sqs#UnsupportedOperation", "message": str(refused)}
            return _answer(start_response, "400 Bad Request", error)

    def _noting_sends(
        self, environ: dict[str, Any], start_response: Callable[..., Any], forward: WsgiApp
    ) -> Iterable[bytes]:
        queue = _queue_name(json.loads(read_body(environ) or b"{}").get("QueueUrl", ""))
        body = b"".join(forward(environ, start_response))
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            return [body]
        sent = [answer.get("MessageId")] + [entry.get("MessageId") for entry in answer.get("Successful") or []]
        with self._lock:
            self._sent_directly.update((queue, message_id) for message_id in sent if message_id)
        return [body]

    def _start(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.sqs is not None
        sqs = self.sqs()
        source_arn = request["SourceArn"]
        source = _url_of(sqs, source_arn)
        destination = (
            _url_of(sqs, request["DestinationArn"])
            if request.get("DestinationArn")
            else _original_source(sqs, source_arn)
        )
        if not request.get("DestinationArn"):
            self._refuse_messages_without_a_source(sqs, source)
        moved = 0
        while messages := sqs.receive_message(
            QueueUrl=source, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
        ).get("Messages", []):
            for message in messages:
                sqs.send_message(
                    QueueUrl=destination,
                    MessageBody=message["Body"],
                    **({"MessageAttributes": message["MessageAttributes"]} if message.get("MessageAttributes") else {}),
                )
                sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
        handle = str(uuid.uuid4())
        task = {
            "TaskHandle": handle,
            "Status": "COMPLETED",
            "SourceArn": source_arn,
            "ApproximateNumberOfMessagesMoved": moved,
            "ApproximateNumberOfMessagesToMove": moved,
            "StartedTimestamp": int(time.time() * 1000),
        }
        if request.get("DestinationArn"):
            task["DestinationArn"] = request["DestinationArn"]
        with self._lock:
            self._tasks.setdefault(source_arn, []).insert(0, task)
        return {"TaskHandle": handle}

    def _refuse_messages_without_a_source(self, sqs: Any, dead_letter_url: str) -> None:
        """Look at every message (each made visible again at once); refuse if one was sent there directly."""
        queue = _queue_name(dead_letter_url)
        seen: dict[str, str] = {}
        while batch := sqs.receive_message(QueueUrl=dead_letter_url, MaxNumberOfMessages=10).get("Messages", []):
            seen.update((message["MessageId"], message["ReceiptHandle"]) for message in batch)
        for receipt in seen.values():
            sqs.change_message_visibility(QueueUrl=dead_letter_url, ReceiptHandle=receipt, VisibilityTimeout=0)
        with self._lock:
            direct = sorted(message_id for message_id in seen if (queue, message_id) in self._sent_directly)
        if direct:
            raise NoSourceQueue(
                f"{len(direct)} message(s) of {queue} were sent to it directly and have no source queue to go back "
                f"to (first: {direct[0]}): give a DestinationArn"
            )


def _answer(start_response: Callable[..., Any], status: str, document: dict[str, Any]) -> list[bytes]:
    start_response(status, [("Content-Type", "application/x-amz-json-1.0")])
    return [json.dumps(document).encode()]


def _queue_name(queue_url_or_arn: str) -> str:
    return queue_url_or_arn.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _url_of(sqs: Any, arn: str) -> str:
    return str(sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"])


def _original_source(sqs: Any, dead_letter_arn: str) -> str:
    """The queue whose redrive policy sends to this dead-letter queue, as AWS picks it without a destination."""
    for url in sqs.list_queues().get("QueueUrls", []):
        policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"]).get("Attributes", {})
        if json.loads(policy.get("RedrivePolicy", "{}")).get("deadLetterTargetArn") == dead_letter_arn:
            return str(url)
    raise ValueError(f"no queue sends its dead letters to {dead_letter_arn}: give a DestinationArn")
