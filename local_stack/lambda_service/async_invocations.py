"""Lambda's asynchronous invocation, as S3 notifications use it: an event queue per function, retries of a
failed invocation, and a record of each event given up on, sent to the on-failure destination.

Lambda retries a function error twice by default, one minute after the first attempt and two minutes after the
second, and gives an event up once it is older than the maximum event age (6 h by default)
(docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html). The record it sends names the
condition (RetriesExhausted, EventAgeExceeded), the attempts, the event and the last error
(docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local_stack.lambda_service.functions import Invocation

logger = logging.getLogger("local_stack.lambda_service.async_invocations")
AWS_RETRY_DELAYS = (60.0, 120.0)
AWS_MAXIMUM_EVENT_AGE = 6 * 3600
_WORKERS = 2  # events of one function run side by side, as Lambda scales an asynchronous queue out


@dataclass(frozen=True)
class AsyncSettings:
    """A function's event invoke config, as the program declared it."""

    maximum_retry_attempts: int = 2
    maximum_event_age_seconds: int = AWS_MAXIMUM_EVENT_AGE
    on_failure_queue_url: str | None = None


@dataclass(order=True)
class _Queued:
    due: float
    order: int
    event: dict[str, Any] = field(compare=False)
    received: float = field(compare=False)
    attempts: int = field(compare=False, default=0)


class AsyncInvoker:
    """`submit(event)` returns at once, as an Event invocation does; workers invoke and retry in the background."""

    def __init__(
        self,
        function_arn: str,
        invoke: Callable[[dict[str, Any]], Invocation],
        settings: AsyncSettings,
        send_failure: Callable[[str, str], None],
        retry_delays: Sequence[float] = AWS_RETRY_DELAYS,
    ) -> None:
        self.function_arn = function_arn
        self._invoke = invoke
        self._settings = settings
        self._send_failure = send_failure
        self._retry_delays = tuple(retry_delays)
        self._queue: list[_Queued] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._stopped = False
        self._threads = [
            threading.Thread(target=self._work, name=f"async-{function_arn}-{n}", daemon=True) for n in range(_WORKERS)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def submit(self, event: dict[str, Any]) -> None:
        now = time.monotonic()
        self._put(_Queued(now, next(self._order), event, now))

    def _put(self, item: _Queued) -> None:
        with self._changed:
            heapq.heappush(self._queue, item)
            self._changed.notify()

    def _take(self) -> _Queued | None:
        with self._changed:
            while not self._stopped:
                if self._queue and self._queue[0].due <= time.monotonic():
                    return heapq.heappop(self._queue)
                timeout = self._queue[0].due - time.monotonic() if self._queue else None
                self._changed.wait(timeout)
            return None

    def _work(self) -> None:
        while (item := self._take()) is not None:
            if time.monotonic() - item.received > self._settings.maximum_event_age_seconds:
                self._give_up(item, "EventAgeExceeded", None)
                continue
            item.attempts += 1
            outcome = self._invoke(item.event)
            if not outcome.failed:
                continue
            if outcome.error and outcome.error.get("errorType") == "Runtime.Stopped":
                return
            if item.attempts > self._settings.maximum_retry_attempts:
                self._give_up(item, "RetriesExhausted", outcome)
                continue
            delay = self._retry_delays[min(item.attempts, len(self._retry_delays)) - 1]
            logger.warning(
                "asynchronous invocation of %s failed (attempt %d); retrying in %.0f s",
                self.function_arn,
                item.attempts,
                delay,
            )
            item.due = time.monotonic() + delay
            self._put(item)

    def _give_up(self, item: _Queued, condition: str, outcome: Invocation | None) -> None:
        record = failure_record(self.function_arn, condition, item.attempts, item.event, outcome)
        logger.error("%s gave up on an event (%s after %d attempts)", self.function_arn, condition, item.attempts)
        if self._settings.on_failure_queue_url:
            self._send_failure(self._settings.on_failure_queue_url, json.dumps(record))


def failure_record(
    function_arn: str, condition: str, attempts: int, event: dict[str, Any], outcome: Invocation | None
) -> dict[str, Any]:
    """The invocation record Lambda sends to an on-failure destination."""
    now = datetime.now(UTC)
    return {
        "version": "1.0",
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function_arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": (outcome.error if outcome is not None else None),
    }
