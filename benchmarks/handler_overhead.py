"""Our code's own cost per unit of work: each handler with in-memory fakes behind the ports, no AWS at all."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any
from unittest.mock import patch

from handlers import http_api, low_stock_notifier, queue_import
from tests.events import api_event, sqs_event, stream_event
from tests.fakes import FakeNotifier, FakeRejectedInputStore, FakeSentAlerts, FakeStockRepository


def _median_seconds(action: Callable[[], Any], repeats: int = 7) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def measure() -> dict[str, float]:
    """Microseconds per API request, per queue line and per stream record."""
    repository, notifier = FakeStockRepository(), FakeNotifier()
    with ExitStack() as fakes:
        fakes.enter_context(patch.object(http_api, "_repository", lambda: repository))
        fakes.enter_context(patch.object(queue_import, "_repository", lambda: repository))
        fakes.enter_context(patch.object(queue_import, "_rejected_input_store", FakeRejectedInputStore))
        fakes.enter_context(patch.object(low_stock_notifier, "_notifier", lambda: notifier))
        fakes.enter_context(patch.object(low_stock_notifier, "_sent_alerts", FakeSentAlerts))  # a new record each time
        return _measure_with_fakes()


def _measure_with_fakes() -> dict[str, float]:

    requests = [
        api_event("PUT", f"/stocks/ITEM{n}", {"stock_level": n % 9}, request_time_ms=1714564800000 + n)
        for n in range(2000)
    ]
    lines = "\n".join(f"ITEM{n};{n % 9}" for n in range(100))
    batch = sqs_event(*[lines] * 10)
    records = stream_event(*[(f"ITEM{n}", 5, n % 3) for n in range(100)])

    def api_requests() -> None:
        for event in requests:
            http_api.handler(event, None)

    return {
        "API request": 1e6 * _median_seconds(api_requests) / len(requests),
        "queue line": 1e6 * _median_seconds(lambda: queue_import.handler(batch, None)) / 1000,
        "stream record": 1e6 * _median_seconds(lambda: low_stock_notifier.handler(records, None)) / 100,
    }
