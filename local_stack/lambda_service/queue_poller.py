"""What Lambda's SQS poller does for an event source mapping: batch, invoke, delete what succeeded.

Messages of a failed invocation, and those named in `batchItemFailures`, are left alone: they reappear after
the queue's visibility timeout, and the queue's redrive policy moves them to the dead-letter queue once
they have been received `maxReceiveCount` times, exactly as in AWS.

Like Lambda's, the poller reads and delivers several batches at once: "When messages are available, Lambda starts
processing five batches at a time with five concurrent invocations of your function", and no more than the event
source's maximum concurrency (docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html). Lambda then adds
readers while messages keep coming; this one stays at its start, which a machine's few cores could not outrun.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from harness.lambda_events import sqs_record
from local_stack.lambda_service.functions import Invocation
from local_stack.lambda_service.polling import Poller

logger = logging.getLogger("local_stack.sqs")
_MAX_RECEIVE = 10  # ReceiveMessage returns at most ten messages
STARTING_BATCHES = 5  # concurrent batches Lambda's SQS poller starts with


class QueuePoller(Poller):
    """Polls one queue for one function with the batch size and batching window the program declared."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        region: str,
        mapping: dict[str, Any],
        invoke: Callable[[dict[str, Any]], Invocation],
    ) -> None:
        super().__init__(queue_arn)
        self._sqs = sqs
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._region = region
        self._invoke = invoke
        self.batch_size = int(mapping.get("batchSize") or 10)
        self.batching_window = float(mapping.get("maximumBatchingWindowInSeconds") or 0)
        self.reports_failures = "ReportBatchItemFailures" in (mapping.get("functionResponseTypes") or [])
        maximum_concurrency = (mapping.get("scalingConfig") or {}).get("maximumConcurrency")
        self.readers = min(STARTING_BATCHES, int(maximum_concurrency or STARTING_BATCHES))

    def poll_once(self) -> None:
        batch = self._receive_batch()
        # A batch received as the stack stops is left to come back after its visibility timeout, as Lambda's poller
        # leaves it when it stops: the function may be stopping too.
        if batch and not self._stopped.is_set():
            self._deliver(batch)

    def _receive_batch(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.batching_window
        while len(batch) < self.batch_size and not self._stopped.is_set():
            messages = self._sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=min(_MAX_RECEIVE, self.batch_size - len(batch)),
                WaitTimeSeconds=1 if not batch else 0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            batch.extend(messages)
            if not messages and (batch or time.monotonic() >= deadline):
                break
            if batch and time.monotonic() >= deadline:
                break
        return batch

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        outcome = self._invoke({"Records": [self._record(message) for message in messages]})
        if outcome.failed:
            logger.warning(
                "function error on %d message(s); they return after the visibility timeout: %s",
                len(messages),
                outcome.error,
            )
            return
        failed = self._failed_ids(outcome.result, messages)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), _MAX_RECEIVE):
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])
                ],
            )

    def _failed_ids(self, result: Any, messages: list[dict[str, Any]]) -> set[str]:
        """The ids to retry; a malformed report fails the whole batch, as Lambda does."""
        every_id = {message["MessageId"] for message in messages}
        if not self.reports_failures:
            return set()
        try:
            failed = {str(item["itemIdentifier"]) for item in (result or {}).get("batchItemFailures") or []}
        except (TypeError, KeyError, AttributeError):
            return every_id
        return failed if failed <= every_id else every_id

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return sqs_record(message, self._queue_arn, self._region)
