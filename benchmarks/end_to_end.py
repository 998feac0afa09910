"""AWS requests per update and import wall time on the local stack: ours against the original configuration.

The original product sent one SQS message per line (one SendMessage each), its function consumed them with a
batch size of 1, and it published to SNS inside the write path for every update at or below 1.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_stack.api_gateway.api_authorization import signed_headers
from local_stack.aws.embedded_aws import local_client
from local_stack.stack import LocalStack, LocalStackSettings, read_credentials
from tools.send_stock_file import main as send_file

ORIGINAL_CONFIG = {"queueBatchSize": 1, "queueBatchingWindowSeconds": 0}
# Requests Lambda's pollers make whatever the load (billed for SQS, free for DynamoDB Streams).
POLLER_OPERATIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessageBatch",
    "sqs:DeleteMessage",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:DescribeStream",
)


@dataclass
class Run:
    """One configuration's measured run."""

    name: str
    updates: int
    seconds: float
    requests: Counter[str]
    invocations: dict[str, int]
    sent_bytes: int = 0
    alerts_due_original_rule: int = 0

    def per_thousand(self, operation: str) -> float:
        return 1000 * self.requests.get(operation, 0) / self.updates


def _without_bench_reads(requests: Counter[str]) -> Counter[str]:
    """The counts less the benchmark's own Scans (it polls the table to see when the import is done)."""
    requests.pop("dynamodb:Scan", None)
    return requests


def stock_lines(count: int, seed: int = 5) -> list[str]:
    """New items with levels from 0 to 50, so a few percent start at or below the threshold."""
    rng = random.Random(seed)
    return [f"BENCH{index:06d};{rng.randint(0, 50)}" for index in range(count)]


def _table_count(stack_outputs: dict[str, Any], region: str) -> int:
    dynamodb = local_client("dynamodb", stack_outputs["aws_endpoint_url"], region)
    return int(dynamodb.scan(TableName=stack_outputs["table_name"], Select="COUNT")["Count"])


def _wait_until_applied(outputs: dict[str, Any], region: str, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _table_count(outputs, region) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {_table_count(outputs, region)} of {expected} items applied in {timeout} s")
        time.sleep(0.5)


def _settle(stack: LocalStack, quiet_seconds: float = 3.0) -> None:
    """Wait until only pollers are talking: the stream has been drained and alerts published."""
    previous = None
    while True:
        current = {op: n for op, n in stack.request_counts().items() if op not in POLLER_OPERATIONS}
        if current == previous:
            return
        previous = current
        time.sleep(quiet_seconds)


def _start(work: Path, config: dict[str, Any]) -> tuple[LocalStack, dict[str, Any]]:
    settings = LocalStackSettings(
        api_port=0, aws_port=0, work_dir=work, config=config, show_notifications=False, reload_code=False
    )
    stack = LocalStack(settings, announce=lambda _: None)
    return stack, stack.start()


def queue_import(name: str, lines: list[str], original: bool, timeout: float = 900) -> Run:
    """Import `lines` through the queue: with our loader and settings, or one message per line and batch size 1."""
    with tempfile.TemporaryDirectory() as work:
        stack, outputs = _start(Path(work), ORIGINAL_CONFIG if original else {})
        region = stack.region
        try:
            before = stack.request_counts()
            started = time.perf_counter()
            if original:
                sqs = local_client("sqs", outputs["aws_endpoint_url"], region)
                for line in lines:
                    sqs.send_message(QueueUrl=outputs["queue_url"], MessageBody=line)
            else:
                path = Path(work) / "stock.txt"
                path.write_text("\n".join(lines) + "\n")
                send_file([str(path), "--outputs", str(Path(work) / "outputs.json")])
            _wait_until_applied(outputs, region, len(lines), timeout)
            seconds = time.perf_counter() - started
            _settle(stack)
            requests = _without_bench_reads(stack.request_counts() - before)
            return Run(
                name,
                len(lines),
                seconds,
                requests,
                stack.invocation_counts(),
                sent_bytes=sum(len(line) + 1 for line in lines),
                alerts_due_original_rule=sum(int(line.split(";")[1]) <= 1 for line in lines),
            )
        finally:
            stack.stop()


def api_updates(count: int) -> Run:
    """`count` PUT requests through the local REST API."""
    with tempfile.TemporaryDirectory() as work:
        stack, outputs = _start(Path(work), {})
        try:
            before = stack.request_counts()
            started = time.perf_counter()
            key, secret = read_credentials(stack.settings.credentials_path)
            for line in stock_lines(count, seed=9):
                stock_id, level = line.split(";")
                url, body = f"{outputs['endpoint_url']}/stocks/{stock_id}", json.dumps({"stock_level": int(level)})
                request = urllib.request.Request(  # signed: the API is AWS_IAM, as in AWS
                    url,
                    data=body.encode(),
                    method="PUT",
                    headers=signed_headers("PUT", url, body.encode(), key, secret, stack.region),
                )
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
            seconds = time.perf_counter() - started
            _settle(stack)
            requests = _without_bench_reads(stack.request_counts() - before)
            return Run("API (ours)", count, seconds, requests, stack.invocation_counts(), sent_bytes=count * 64)
        finally:
            stack.stop()
