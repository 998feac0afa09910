"""SQS's one consumer at a time for each message, which moto's server does not give, restored inside it.

SQS hides a message it has returned from every other consumer for the visibility timeout: "Amazon SQS sets a
visibility timeout, a period of time during which Amazon SQS prevents all consumers from receiving and processing the
message" (docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html). moto 5.2.5
checks that a message is visible and marks it received in two steps (`SQSBackend.receive_message`), and deletes a
message by rebuilding the queue's list and putting it back (`Queue.delete_message`), on a server that serves
requests on many threads with no lock: two consumers polling at once then both get one message, and a message sent
while another is deleted can vanish. Each change to a queue's messages here holds one lock, and a long poll waits
outside it, so a consumer that waits blocks no one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from moto.sqs.models import Queue, SQSBackend

# moto's SQS state is the process's, so one lock serves every embedded AWS in it; re-entrant, as a receive moves
# messages that reached their receive limit to the dead-letter queue, which adds them there.
_QUEUES = threading.RLock()
_PATCHED = "_local_stack_one_at_a_time"


def serialise_queue_changes() -> None:
    """Patch moto (once per process, after local_stack.aws.sqs_visibility's patch) so that each change to a queue's
    messages holds the lock."""
    if getattr(SQSBackend.receive_message, _PATCHED, False):
        return
    Queue.add_message = _locked(Queue.add_message)  # type: ignore[method-assign]
    Queue.delete_message = _locked(Queue.delete_message)  # type: ignore[method-assign]
    SQSBackend.change_message_visibility = _locked(SQSBackend.change_message_visibility)  # type: ignore[method-assign]
    SQSBackend.purge_queue = _locked(SQSBackend.purge_queue)  # type: ignore[method-assign]
    SQSBackend.receive_message = _receiving(SQSBackend.receive_message)  # type: ignore[method-assign]


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _QUEUES:
            return method(*args, **kwargs)

    return locked


def _receiving(receive: Callable[..., Any]) -> Callable[..., Any]:
    """moto's receive, each look at the queue under the lock, and its long poll's waits outside it."""

    def receive_message(
        self: SQSBackend,
        queue_name: str,
        count: int,
        wait_seconds_timeout: int,
        visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> Any:
        queue = self.get_queue(queue_name)
        deadline = time.monotonic() + wait_seconds_timeout
        while True:
            with _QUEUES:
                received = receive(self, queue_name, count, 0, visibility_timeout, message_attribute_names)
            left = deadline - time.monotonic()
            if received or left <= 0:
                return received
            queue.wait_for_messages(min(1, left))  # type: ignore[arg-type]  # moto's wait: woken by a message added

    setattr(receive_message, _PATCHED, True)
    return receive_message
