"""Concurrent clients on the local endpoint: no errors, a consistent final state, and the latency measured."""

import json
import random
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from domain.stock import format_as_of
from tests.reliability.conftest import stored_levels

pytestmark = pytest.mark.local_stack  # starts a local stack or the embedded AWS: not in `make check`

CLIENTS = 8
REQUESTS_PER_CLIENT = 40
ITEMS = 10


def test_concurrent_clients_get_no_errors_and_the_latest_write_of_each_item_wins(stack):
    start = datetime(2024, 5, 1, tzinfo=UTC)
    writes: list[tuple[str, int, datetime]] = []
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        for n in range(REQUESTS_PER_CLIENT):
            stock_id = f"RL-{rng.randrange(ITEMS)}"
            moment = start + timedelta(microseconds=seed * 1_000_000 + n)  # distinct times, random order
            began = time.perf_counter()
            if n % 4 == 3:
                status, _ = stack.request("GET", f"/stocks/{stock_id}")
            else:
                level = rng.randrange(100)
                body = json.dumps({"stock_level": level, "as_of": format_as_of(moment)})
                status, _ = stack.request("PUT", f"/stocks/{stock_id}", body)
                with lock:
                    writes.append((stock_id, level, moment))
            with lock:
                latencies.append(time.perf_counter() - began)
                statuses.append(status)

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.perf_counter() - began

    errors = [s for s in statuses if s >= 500 or s in (400, 403, 413)]
    assert len(statuses) == CLIENTS * REQUESTS_PER_CLIENT
    assert errors == []
    assert set(statuses) <= {200, 404, 409}  # 409: a write older than one already stored, by design
    latest: dict[str, tuple[datetime, int]] = {}
    for stock_id, level, moment in writes:
        if stock_id not in latest or moment > latest[stock_id][0]:
            latest[stock_id] = (moment, level)
    assert stored_levels(stack, "RL-") == {stock_id: level for stock_id, (_, level) in latest.items()}

    latencies.sort()
    report = {
        "clients": CLIENTS,
        "requests": len(statuses),
        "requests_per_second": round(len(statuses) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
    }
    (stack.work_dir / "load-report.json").write_text(json.dumps(report, indent=2))
    print(f"\nload on the local endpoint: {report}")
