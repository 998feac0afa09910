"""What Lambda's DynamoDB stream poller does: in-order batches, filters, retries, bisect, on-failure records.

A partial failure (`batchItemFailures`) resumes from the named record; a function error halves the batch when
bisect is on; a batch that exhausts its retries or its record age is described on the on-failure queue and
skipped, as Lambda does, so one bad record never blocks the shard for good. The shard's position moves past a
batch only once it is handled or described there: a batch the poller could not finish (the invocation raised,
the on-failure queue refused) is read again, never skipped without a record
(docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local_stack.lambda_service.functions import Invocation
from local_stack.lambda_service.polling import Poller

logger = logging.getLogger("local_stack.streams")
_IDLE_WAIT_SECONDS = 0.25


def matches(pattern: Any, value: Any) -> bool:
    """Whether a record matches an event filter pattern (lists of allowed values, nested objects)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(matches(sub, value.get(key)) for key, sub in pattern.items())
    if isinstance(pattern, list):
        return value in pattern
    return bool(pattern == value)


class StreamPoller(Poller):
    """Reads one stream for one function with the settings the program declared."""

    def __init__(
        self,
        streams: Any,
        sqs: Any,
        stream_arn: str,
        region: str,
        mapping: dict[str, Any],
        invoke: Callable[[dict[str, Any]], Invocation],
        queue_urls: dict[str, str],
    ) -> None:
        super().__init__(stream_arn)
        self._streams = streams
        self._sqs = sqs
        self._stream_arn = stream_arn
        self._region = region
        self._invoke = invoke
        self.batch_size = int(mapping.get("batchSize") or 100)
        self.starting_position = str(mapping.get("startingPosition") or "LATEST")
        self.bisect = bool(mapping.get("bisectBatchOnFunctionError"))
        self.max_retries = int(mapping.get("maximumRetryAttempts", -1))
        self.max_age_seconds = int(mapping.get("maximumRecordAgeInSeconds", -1))
        self.reports_failures = "ReportBatchItemFailures" in (mapping.get("functionResponseTypes") or [])
        self.filters = [json.loads(f["pattern"]) for f in (mapping.get("filterCriteria") or {}).get("filters") or []]
        destination = ((mapping.get("destinationConfig") or {}).get("onFailure") or {}).get("destinationArn")
        self._failure_queue_url = queue_urls.get(destination) if destination else None
        self._iterators: dict[str, str] | None = None

    def poll_once(self) -> None:
        if self._iterators is None:
            self._iterators = self._shard_iterators()
        read_any = False
        for shard_id, iterator in list(self._iterators.items()):
            page = self._streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
            records = [self._record(r) for r in page["Records"]]
            wanted = [r for r in records if not self.filters or any(matches(f, r) for f in self.filters)]
            # The position moves only past a batch that is done with: if processing raises, the same records are
            # read again on the next poll (an iterator stays valid for 15 minutes in AWS, for good in moto).
            if not wanted or self._process(shard_id, wanted):
                self._iterators[shard_id] = page["NextShardIterator"]
            read_any = read_any or bool(records)
        if not read_any:
            self._stopped.wait(_IDLE_WAIT_SECONDS)

    def _shard_iterators(self) -> dict[str, str]:
        shards = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]
        return {
            shard["ShardId"]: self._streams.get_shard_iterator(
                StreamArn=self._stream_arn, ShardId=shard["ShardId"], ShardIteratorType=self.starting_position
            )["ShardIterator"]
            for shard in shards
        }

    def _process(self, shard_id: str, records: list[dict[str, Any]]) -> bool:
        """Deliver the records in order; True once each is handled or described on the on-failure queue (False
        if the poller was stopped first)."""
        pending = [records]
        attempts = 0
        while pending and not self._stopped.is_set():
            batch = pending.pop(0)
            outcome = self._invoke({"Records": batch})
            retry = self._to_retry(outcome, batch)
            if not retry:
                continue
            attempts += 1
            condition = self._give_up_condition(attempts, retry)
            if condition:
                self._give_up(shard_id, retry, attempts, outcome, condition)
                continue
            if outcome.failed and self.bisect and len(retry) > 1:
                middle = len(retry) // 2
                pending[:0] = [retry[:middle], retry[middle:]]
            else:
                pending.insert(0, retry)
            self._stopped.wait(min(0.1 * 2**attempts, 2.0))
        return not pending

    def _to_retry(self, outcome: Invocation, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records still to deliver: none, those from the first reported failure on, or all."""
        if outcome.failed:
            logger.warning("function error on %d stream record(s): %s", len(batch), outcome.error)
            return batch
        failures = (outcome.result or {}).get("batchItemFailures") if self.reports_failures else None
        if not failures:
            return []
        sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
        first = str(failures[0].get("itemIdentifier"))
        return batch[sequence_numbers.index(first) :] if first in sequence_numbers else batch

    def _give_up_condition(self, attempts: int, batch: list[dict[str, Any]]) -> str | None:
        """Why Lambda would stop retrying this batch now, as its on-failure record names it, or None to retry.

        The record's `condition` is `RetryAttemptsExhausted` (the example record on
        docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html) or, for records past
        `MaximumRecordAgeInSeconds`, `RecordAgeExceeded` (the AWS page shows no example of that one; the name is
        LocalStack's, localstack-core/localstack/services/lambda_/event_source_mapping/pollers/stream_poller.py).
        When both hold, the retry count that this failure used up is named."""
        if 0 <= self.max_retries < attempts:
            return "RetryAttemptsExhausted"
        oldest = batch[0]["dynamodb"]["ApproximateCreationDateTime"]
        if 0 <= self.max_age_seconds < time.time() - oldest:
            return "RecordAgeExceeded"
        return None

    def _give_up(
        self, shard_id: str, batch: list[dict[str, Any]], attempts: int, outcome: Invocation, condition: str
    ) -> None:
        logger.error("giving up on %d stream record(s) after %d attempt(s): %s", len(batch), attempts, condition)
        if self._failure_queue_url is None:
            return
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        description = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "requestContext": {"condition": condition, "approximateInvokeCount": attempts},
            "responseContext": {"functionError": "Unhandled" if outcome.failed else None},
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(first["ApproximateCreationDateTime"]),
                "approximateArrivalOfLastRecord": _iso(last["ApproximateCreationDateTime"]),
                "batchSize": len(batch),
                "streamArn": self._stream_arn,
            },
        }
        self._sqs.send_message(QueueUrl=self._failure_queue_url, MessageBody=json.dumps(description))

    def _record(self, record: dict[str, Any]) -> dict[str, Any]:
        images = dict(record["dynamodb"])
        created = images.get("ApproximateCreationDateTime")
        images["ApproximateCreationDateTime"] = created.timestamp() if isinstance(created, datetime) else time.time()
        return {**record, "dynamodb": images, "awsRegion": self._region, "eventSourceARN": self._stream_arn}


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat()
