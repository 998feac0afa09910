"""AWS requests per update and import wall time on the local stack: ours against the original configuration.

The original product sent one SQS message per line (one SendMessage each), its function consumed them with a
batch size of 1, and it published to SNS inside the write path for every update at or below the threshold.

Each run is checked before it counts: every line stored, every alert due published (one per crossing, each
claimed once), every API answer a 200, the loader's exit status 0, and nothing reported at WARNING or above by
the local stack, which forwards the functions' own log lines at their level and reports function errors.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.checks import BenchmarkFailed, LoggedProblems, check
from domain.low_stock import LevelChange, low_stock_alert
from local_stack.api_gateway.api_authorization import signed_headers
from local_stack.aws.embedded_aws import local_client
from local_stack.aws_cli_files import read_credentials
from local_stack.settings import LocalStackSettings
from local_stack.stack import LocalStack
from tools.stack_outputs import local_stack_environment

ROOT = Path(__file__).resolve().parent.parent
ORIGINAL_BATCH_SIZE = 1
ORIGINAL_CONFIG = {"queueBatchSize": ORIGINAL_BATCH_SIZE, "queueBatchingWindowSeconds": 0}
# Lambda's stream poller reads DynamoDB Streams for free: "GetRecords API calls invoked by AWS Lambda as part of
# DynamoDB triggers are free" (https://aws.amazon.com/dynamodb/pricing/on-demand/, DynamoDB Streams).
FREE_READS = ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream")
# Each alert is one Publish, claimed before it (the only PutItem) and marked sent after (an UpdateItem).
PUBLISH, CLAIM = "sns:Publish", "dynamodb:PutItem"
BATCH = "sqs:SendMessageBatch"  # the loader's: SQS bills it per 64 KB chunk, not per request
INVOCATIONS = "Lambda invocations"
# Requests Lambda's pollers make whatever the load (billed for SQS, free for DynamoDB Streams).
POLLER_OPERATIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessageBatch", "sqs:DeleteMessage", *FREE_READS)


@dataclass
class Run:
    """One configuration's measured and checked run."""

    name: str
    updates: int
    seconds: float
    requests: Counter[str]
    invocations: dict[str, int]  # by function name
    alerts_due: int  # crossings of the threshold among the updates: every item is new
    alerts_due_original_rule: int  # updates at or below the threshold: the original published for each
    batch_bytes: int = 0  # bytes sent with SendMessageBatch (billed per 64 KB chunk)
    cpu_seconds: float = 0.0  # of this process (the embedded AWS, the pollers, the API) during the run
    request_seconds: list[float] = field(default_factory=list)  # each API request's round trip, when through one

    def per_thousand(self, operation: str) -> float:
        return 1000 * self.requests.get(operation, 0) / self.updates


def invocations(run: Run, left_out_functions: tuple[str, ...] = ()) -> int:
    """Lambda invocations of every function but `left_out_functions` (the original had no notifier function)."""
    return sum(count for name, count in run.invocations.items() if name not in left_out_functions)


def table_column(run: Run, left_out_functions: tuple[str, ...] = ()) -> dict[str, float]:
    """One column of the page's request table, per 1,000 updates: each operation, and the Lambda invocations."""
    invoked = invocations(run, left_out_functions)
    return {**{op: run.per_thousand(op) for op in run.requests}, INVOCATIONS: 1000 * invoked / run.updates}


def counted_per_update(column: Mapping[str, float]) -> float:
    """Requests per update to move and store it, from one column of the table: every row (invocations included)
    but the free stream reads, less each alert's own requests (its Publish, its claim and the UpdateItem that
    marks it sent). The one rule both columns are counted by."""
    alerts = column.get(PUBLISH, 0.0)
    kept = sum(value for row, value in column.items() if row not in (*FREE_READS, PUBLISH, CLAIM))
    return (kept - alerts) / 1000


def stock_lines(count: int, seed: int = 5) -> list[str]:
    """New items with levels from 0 to 50, so a few percent start at or below the threshold."""
    rng = random.Random(seed)
    return [f"BENCH{index:06d};{rng.randint(0, 50)}" for index in range(count)]


def _levels(lines: list[str]) -> list[int]:
    return [int(line.split(";")[1]) for line in lines]


def _alerts_due(lines: list[str], threshold: int) -> int:
    """The crossings among `lines`, by the domain's rule: every item is new."""
    changes = [LevelChange(stock_id, None, int(level)) for stock_id, level in (line.split(";") for line in lines)]
    return sum(low_stock_alert(change, threshold) is not None for change in changes)


def watching(what: str) -> LoggedProblems:
    """What the local stack reports at WARNING or above during a measurement, which fails it."""
    return LoggedProblems(what, "local_stack")


def wait_for(
    condition: Callable[[], bool], describe: Callable[[], str], problems: LoggedProblems, timeout: float
) -> None:
    """Poll until `condition` holds; stop at once if a problem is logged, or at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        problems.raise_if_any()
        if time.monotonic() > deadline:
            raise BenchmarkFailed(f"{problems.what}: after {timeout:.0f} s, {describe()}")
        time.sleep(0.25)


def settle(stack: LocalStack, quiet_seconds: float = 3.0) -> None:
    """Wait until only pollers are talking: the stream has been drained and alerts published."""
    previous = None
    while True:
        current = {op: n for op, n in stack.request_counts().items() if op not in POLLER_OPERATIONS}
        if current == previous:
            return
        previous = current
        time.sleep(quiet_seconds)


def start_stack(work: Path, config: dict[str, Any]) -> tuple[LocalStack, dict[str, Any]]:
    """A local stack of the dev stack with `config` over its settings, in `work`, and its outputs."""
    settings = LocalStackSettings(
        api_port=0, aws_port=0, work_dir=work, config=config, show_notifications=False, reload_code=False
    )
    stack = LocalStack(settings, announce=lambda _: None)
    try:
        return stack, stack.start()
    except BaseException:
        stack.stop()
        raise


def _measured(
    name: str, stack: LocalStack, outputs: dict[str, Any], updates: int, due: int, send: Callable[[], None]
) -> tuple[float, float, Counter[str]]:
    """Seconds from the first send to the last update stored, this process's CPU seconds then, and the requests
    of the whole run once the alerts are out: every update stored, every alert due published, each claimed once."""
    dynamodb = local_client("dynamodb", outputs["aws_endpoint_url"], stack.region)
    before = stack.request_counts()

    def stored() -> int:
        return int(dynamodb.scan(TableName=outputs["table_name"], Select="COUNT")["Count"])

    def published() -> int:
        return (stack.request_counts() - before).get(PUBLISH, 0)

    with watching(name) as problems:
        started, cpu_started = time.perf_counter(), time.process_time()
        send()
        wait_for(lambda: stored() >= updates, lambda: f"{stored()} of {updates} updates stored", problems, 900)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        wait_for(lambda: published() >= due, lambda: f"{published()} of {due} alerts published", problems, 300)
        settle(stack)
    requests = stack.request_counts() - before
    requests.pop("dynamodb:Scan", None)  # the benchmark's own polls of the table
    check(stored() == updates, f"{name}: {stored()} items stored for {updates} new items")
    check(requests[PUBLISH] == due, f"{name}: {requests[PUBLISH]} alerts published for {due} crossings")
    check(requests[CLAIM] == due, f"{name}: {requests[CLAIM]} alert claims for {due} crossings")
    return seconds, cpu_seconds, requests


def queue_import(name: str, lines: list[str], original: bool, threshold: int) -> Run:
    """Import `lines` through the queue: with our loader and settings, or one message per line and batch size 1."""
    levels, due = _levels(lines), _alerts_due(lines, threshold)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        stack, outputs = start_stack(work, ORIGINAL_CONFIG if original else {})
        try:
            path = work / "stock.txt"
            path.write_text("\n".join(lines) + "\n")

            def send() -> None:
                if original:
                    sqs = local_client("sqs", outputs["aws_endpoint_url"], stack.region)
                    for line in lines:
                        check("MessageId" in sqs.send_message(QueueUrl=outputs["queue_url"], MessageBody=line), name)
                else:
                    _send_file(name, path, work)

            seconds, cpu_seconds, requests = _measured(name, stack, outputs, len(lines), due, send)
            return Run(
                name,
                len(lines),
                seconds,
                requests,
                stack.invocation_counts(),
                alerts_due=due,
                alerts_due_original_rule=sum(level <= threshold for level in levels),
                batch_bytes=0 if original else path.stat().st_size,
                cpu_seconds=cpu_seconds,
            )
        finally:
            stack.stop()


def _send_file(name: str, path: Path, work: Path) -> None:
    """`make send`: the loader, reaching the local stack as any AWS client does, from the files it wrote."""
    completed = subprocess.run(
        [sys.executable, "-m", "tools.send_stock_file", str(path), "--outputs", str(work / "outputs.json")],
        env=local_stack_environment(work, os.environ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    last = (completed.stderr.strip() or completed.stdout.strip() or "(no output)").splitlines()[-1]
    check(completed.returncode == 0, f"{name}: the loader exited with {completed.returncode}: {last}")


def api_updates(count: int, threshold: int, kind: str = "rest") -> Run:
    """`count` PUT requests through the local API of this kind (`rest` or `http`), each answered 200."""
    lines = stock_lines(count, seed=9)
    levels, due = _levels(lines), _alerts_due(lines, threshold)
    round_trips: list[float] = []
    with tempfile.TemporaryDirectory() as work:
        stack, outputs = start_stack(Path(work), {"apiKind": kind})
        try:
            key, secret = read_credentials(stack.settings.credentials_path)

            def send() -> None:
                for line in lines:
                    stock_id, level = line.split(";")
                    url, body = f"{outputs['endpoint_url']}/stocks/{stock_id}", json.dumps({"stock_level": int(level)})
                    request = urllib.request.Request(  # signed: the API is AWS_IAM, as in AWS
                        url,
                        data=body.encode(),
                        method="PUT",
                        headers=signed_headers("PUT", url, body.encode(), key, secret, stack.region),
                    )
                    started = time.perf_counter()
                    try:
                        with urllib.request.urlopen(request, timeout=30) as response:
                            status, answer = response.status, response.read()
                    except urllib.error.HTTPError as error:
                        status, answer = error.code, error.read()
                    round_trips.append(time.perf_counter() - started)
                    check(status == 200, f"API updates ({kind}): PUT {stock_id} answered {status}: {answer[:200]!r}")

            seconds, cpu_seconds, requests = _measured("API updates", stack, outputs, count, due, send)
            return Run(
                f"API (ours, {kind})",
                count,
                seconds,
                requests,
                stack.invocation_counts(),
                alerts_due=due,
                alerts_due_original_rule=sum(level <= threshold for level in levels),
                cpu_seconds=cpu_seconds,
                request_seconds=round_trips,
            )
        finally:
            stack.stop()
