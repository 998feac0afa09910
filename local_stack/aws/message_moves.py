"""SQS's dead-letter queue redrive (StartMessageMoveTask, ListMessageMoveTasks), which moto does not serve.

AWS moves every message of a dead-letter queue back to its source queue, or to a destination given, as an
asynchronous task (docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html).
Here the move runs at once, through the embedded AWS's own SQS API, and the task is reported as COMPLETED.
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
_OPERATIONS = ("AmazonSQS.StartMessageMoveTask", "AmazonSQS.ListMessageMoveTasks")


class MessageMoves:
    """WSGI middleware that serves the message move operations with `sqs()`, a client of the same AWS."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self.sqs: SqsClient | None = None
        self._tasks: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target not in _OPERATIONS or self.sqs is None:
            return self._app(environ, start_response)
        request = json.loads(read_body(environ) or b"{}")
        if target == "AmazonSQS.StartMessageMoveTask":
            answer = self._start(request)
        else:
            answer = {"Results": self._tasks.get(request.get("SourceArn", ""), [])}
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0")])
        return [json.dumps(answer).encode()]

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


def _url_of(sqs: Any, arn: str) -> str:
    return str(sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"])


def _original_source(sqs: Any, dead_letter_arn: str) -> str:
    """The queue whose redrive policy sends to this dead-letter queue, as AWS picks it without a destination."""
    for url in sqs.list_queues().get("QueueUrls", []):
        policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"]).get("Attributes", {})
        if json.loads(policy.get("RedrivePolicy", "{}")).get("deadLetterTargetArn") == dead_letter_arn:
            return str(url)
    raise ValueError(f"no queue sends its dead letters to {dead_letter_arn}: give a DestinationArn")
