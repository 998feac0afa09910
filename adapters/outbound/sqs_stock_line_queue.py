"""The import queue as a destination for stock lines: packed into as few messages as SQS allows.

Lines are joined into message bodies up to the queue's MaximumMessageSize, and bodies are sent ten to a
SendMessageBatch request, whose payload as a whole is limited the same way. SendMessageBatch can accept some
entries and refuse others (docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/
API_SendMessageBatch.html): only the refused ones are sent again. Lines are consumed as they come, so a sender
holds at most one batch, whatever the length of the file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SQS_BATCH_ENTRIES = 10
# No queue takes more in one message or one batch: 1 MiB (docs.aws.amazon.com/AWSSimpleQueueService/latest/
# APIReference/API_SendMessage.html); a queue's own MaximumMessageSize may be lower, 256 KiB by default.
SQS_MAX_PAYLOAD = 1024 * 1024
MAX_ATTEMPTS = 5


@dataclass
class SentLines:
    """What a send did: lines and messages accepted, requests made, entries sent again, bodies never accepted."""

    lines: int = 0
    messages: int = 0
    requests: int = 0
    retried: int = 0
    unsent: list[str] = field(default_factory=list)

    @property
    def unsent_lines(self) -> int:
        return sum(body.count("\n") + 1 for body in self.unsent)


class SqsStockLineQueue:
    """Sends lines to the import queue; `progress(lines_sent)` is called after each batch."""

    def __init__(
        self,
        client: SQSClient,
        queue_url: str,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._client = client
        self._queue_url = queue_url
        self._sleep = sleep
        self._attempts = attempts
        self._message_bytes: int | None = None

    def message_bytes(self) -> int:
        """The most one message (and one batch) may carry: the queue's own limit, read once."""
        if self._message_bytes is None:
            attributes = self._client.get_queue_attributes(
                QueueUrl=self._queue_url, AttributeNames=["MaximumMessageSize"]
            )["Attributes"]
            self._message_bytes = min(int(attributes["MaximumMessageSize"]), SQS_MAX_PAYLOAD)
        return self._message_bytes

    def send(self, lines: Iterable[str], progress: Callable[[int], None] = lambda _: None) -> SentLines:
        """Send every line; bodies SQS still refuses after the last attempt are returned in `unsent`."""
        limit = self.message_bytes()
        sent = SentLines()
        for group in batches(pack(lines, limit), limit):
            self._send_batch(group, sent)
            progress(sent.lines)
        return sent

    def _send_batch(self, group: list[str], sent: SentLines) -> None:
        pending = dict(enumerate(group))
        for attempt in range(self._attempts):
            if attempt:
                sent.retried += len(pending)
                self._sleep(min(0.2 * 2**attempt, 5.0))
            response = self._client.send_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "MessageBody": body} for i, body in pending.items()],
            )
            sent.requests += 1
            for entry in response.get("Successful", []):
                body = pending.pop(int(entry["Id"]))
                sent.messages += 1
                sent.lines += body.count("\n") + 1
            if not pending:
                return
        sent.unsent.extend(pending.values())


def pack(lines: Iterable[str], max_bytes: int) -> Iterator[str]:
    """Join lines into message bodies of at most `max_bytes` UTF-8 bytes each, keeping their order."""
    current: list[str] = []
    size = 0
    for line in lines:
        line_size = len(line.encode()) + 1
        if current and size + line_size > max_bytes:
            yield "\n".join(current)
            current, size = [], 0
        current.append(line)
        size += line_size
    if current:
        yield "\n".join(current)


def batches(bodies: Iterable[str], max_bytes: int) -> Iterator[list[str]]:
    """Group bodies into SendMessageBatch requests: at most ten entries and `max_bytes` in all."""
    group: list[str] = []
    size = 0
    for body in bodies:
        body_size = len(body.encode())
        if group and (len(group) == SQS_BATCH_ENTRIES or size + body_size > max_bytes):
            yield group
            group, size = [], 0
        group.append(body)
        size += body_size
    if group:
        yield group
