"""AWS requests and cost per low-stock alert on a stack with both alert channels: after the per-channel change (the
stream function publishes each alert once to the topic; the chat webhook has its own queue and function), and
before it (the stream function posted to the webhook itself), from one measured run.

The benchmark writes new items at level 0 straight to the table with BatchWriteItem, which no function makes, so
its own requests are left out by name; every item crosses its reorder point (the stack's default), so every other
request counted is the alerts', and the list mark the stream function writes for each item become low. The run is
checked: one Publish per alert, one claim and one sent mark per alert on each channel, one list mark per item, each
alert posted to the chat webhook once with no failed attempt, every batch of the webhook's queue deleted, nothing
logged at WARNING or above.

"Before" is not run: its code is gone, and the benchmarks of its time (07cb34c) measured no stack with a webhook.
It is this run's counts less what the per-channel path adds (`added_by_fan_out`), each taken from the measured
counts: the stream function made the same claims, Publish, sent marks and secret reads, and posted to the webhook
inline, with no SNS delivery to a queue, no receive or delete of that queue and no second function invoked.
"""

from __future__ import annotations

import json
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import prices
from benchmarks.checks import BenchmarkFailed, check
from benchmarks.deployment import configured_functions
from benchmarks.end_to_end import (
    CLAIM,
    FREE_READS,
    ITEMS_PER_WRITE,
    PUBLISH,
    listed_count,
    settle,
    start_stack,
    stored_items,
    wait_for,
    watching,
    write_new_items,
)
from domain.low_stock import low_stock_alert
from local_stack.aws.embedded_aws import local_client

BOTH_CHANNELS: dict[str, Any] = {"alertChannels": ["sns", "webhook"]}
# The local stack posts to its own receiver whatever this says; the program needs a URL it accepts to declare
# the webhook's function, whose name the run reads.
_DECLARED_WEBHOOK_URL = {"alertWebhookUrl": "http://127.0.0.1/hook"}
BENCHMARK_WRITES = "dynamodb:BatchWriteItem"
# Each channel's sent mark of an alert, and the stream function's list mark of its item: the only UpdateItems here,
# where no import runs.
MARK = "dynamodb:UpdateItem"
RECEIVE, DELETE = "sqs:ReceiveMessage", "sqs:DeleteMessageBatch"
# Rows of the page that are not a counted request, or one request split in two.
DELIVERY = "SNS delivery to the webhook's queue"
RECEIVES_WITH_ALERTS = "sqs:ReceiveMessage that returned alerts"
WEBHOOK_INVOCATIONS = "Lambda invocations of the webhook function"
NEW_PATH = (DELIVERY, RECEIVES_WITH_ALERTS, DELETE, WEBHOOK_INVOCATIONS)


@dataclass(frozen=True)
class AlertRun:
    """One checked run of alerts on both channels."""

    alerts: int
    seconds: float  # from the first write to the last alert posted
    counted_seconds: float  # while requests were counted: the run, then the wait until only pollers talked
    requests: Counter[str]  # every request the stack received, the benchmark's own writes left out
    delivered: int  # alerts the webhook's queue delivered to its function, each posted once
    stream_invocations: int
    webhook_invocations: int
    webhook_batch_size: int  # the most alerts one invocation of the webhook's function gets, as declared
    listed: int = 0  # items in the list of low items once the alerts were out

    @property
    def empty_receives(self) -> int:
        """The pollers' long polls that returned nothing (both queues'): a cost per hour, not per alert."""
        return self.requests[RECEIVE] - self.webhook_invocations

    @property
    def free_reads(self) -> int:
        return sum(self.requests[operation] for operation in FREE_READS)


def after(run: AlertRun) -> dict[str, int]:
    """The run's requests by row of the page: every request counted but the free stream reads, with the
    receives that returned alerts in place of every receive; and the SNS deliveries and the webhook function's
    invocations, which the stack does not count as requests.

    Lambda's poller invokes the function once for each receive that returned messages when the batching window is
    0, as the webhook's mapping declares (checked in `measure`; local_stack/lambda_service/queue_poller.py): so the
    receives that returned alerts are as many as the invocations, and the others were empty long polls."""
    others = {op: n for op, n in sorted(run.requests.items()) if op not in (*FREE_READS, PUBLISH, RECEIVE, DELETE)}
    return {
        PUBLISH: run.requests[PUBLISH],
        **others,
        DELIVERY: run.delivered,
        RECEIVES_WITH_ALERTS: run.webhook_invocations,
        DELETE: run.requests[DELETE],
        WEBHOOK_INVOCATIONS: run.webhook_invocations,
    }


def added_by_fan_out(run: AlertRun) -> dict[str, int]:
    """What the per-channel path makes that the stream function's own post to the webhook did not, as counted in
    the run: each SNS delivery to the queue, the poller's receives that returned alerts and its deletes, and the
    webhook function's invocations."""
    counted = after(run)
    return {row: counted.get(row, 0) for row in NEW_PATH}


def before(run: AlertRun) -> dict[str, int]:
    """The same alerts as the stream function sent them before the change: the run's counts less what the
    per-channel path adds."""
    added = added_by_fan_out(run)
    return {row: count - added.get(row, 0) for row, count in after(run).items()}


def price_of(row: str) -> prices.Price:
    """The list price of one request of a row; a request with no price stops the benchmark."""
    service, _, operation = row.partition(":")
    if row == DELIVERY:
        return prices.SNS_TO_SQS_DELIVERY
    if row == WEBHOOK_INVOCATIONS:
        return prices.LAMBDA_REQUEST
    if row == PUBLISH:
        return prices.SNS_PUBLISH
    if service == "sqs":
        return prices.SQS_REQUEST
    if service == "dynamodb" and operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return prices.DYNAMODB_WRITE  # an item under 1 KB: one write request unit
    if service == "secretsmanager":
        return prices.SECRETS_MANAGER_REQUEST
    raise BenchmarkFailed(f"alerts on both channels: no price for {row}, which the alerts made")


def usd_per_million_alerts(rows: Mapping[str, int], alerts: int) -> float:
    """The cost of these requests for every million alerts, at list prices."""
    return sum(count * price_of(row).usd_per_million for row, count in rows.items()) / alerts


def _chat(base_url: str, path: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{base_url}/{path}", timeout=30) as response:
        answer: list[dict[str, Any]] = json.loads(response.read())
    return answer


def measure(alerts: int, threshold: int) -> AlertRun:
    """`alerts` new items at level 0 on a local stack with both channels, counted until only pollers talk."""
    name = "alerts on both channels"
    functions = configured_functions(BOTH_CHANNELS, _DECLARED_WEBHOOK_URL)
    stream_function, webhook = functions["handlers.low_stock_notifier"], functions["handlers.webhook_alerts"]
    check(webhook.batching_window_seconds == 0, f"{name}: the webhook's queue has a batching window")
    stock_ids = [f"ALERT{index:06d}" for index in range(alerts)]
    with tempfile.TemporaryDirectory() as work:
        stack, outputs = start_stack(Path(work), BOTH_CHANNELS)
        try:
            chat, dynamodb = (
                outputs["chat_webhook_url"],
                local_client("dynamodb", outputs["aws_endpoint_url"], stack.region),
            )
            counts, invoked = stack.request_counts(), stack.invocation_counts()

            def requests() -> Counter[str]:
                return stack.request_counts() - counts

            def invocations(function: str) -> int:
                return stack.invocation_counts()[function] - invoked[function]

            def posted() -> int:
                return len(_chat(chat, "posts"))

            with watching(name) as problems:
                started = time.perf_counter()
                write_new_items(dynamodb, outputs["table_name"], stock_ids, name)
                wait_for(lambda: posted() >= alerts, lambda: f"{posted()} of {alerts} alerts posted", problems, 600)
                seconds = time.perf_counter() - started
                wait_for(
                    lambda: requests()[DELETE] >= invocations(webhook.name),
                    lambda: f"{requests()[DELETE]} of {invocations(webhook.name)} batches deleted",
                    problems,
                    60,
                )
                settle(stack)
            counted = requests()
            counted_seconds = time.perf_counter() - started
            writes = counted.pop(BENCHMARK_WRITES, 0)
            # Read after the counts were taken: the benchmark's own reads. Each item as the stream's function read it.
            items = stored_items(dynamodb, outputs["table_name"])
            listed = listed_count(dynamodb, outputs["table_name"])
            posts, attempts = _chat(chat, "posts"), _chat(chat, "attempts")
            run = AlertRun(
                alerts,
                seconds,
                counted_seconds,
                counted,
                delivered=len(posts),
                stream_invocations=invocations(stream_function.name),
                webhook_invocations=invocations(webhook.name),
                webhook_batch_size=webhook.batch_size or 0,
                listed=listed,
            )
        finally:
            stack.stop()
    check(writes == -(-alerts // ITEMS_PER_WRITE), f"{name}: {writes} BatchWriteItem, not only the benchmark's")
    due = sum(low_stock_alert(None, item, threshold) is not None for item in items.values())
    check(due == alerts, f"{name}: by the domain's rule {due} of the {alerts} new items call for an alert")
    _check(name, run, stock_ids, posts, attempts)
    return run


def _check(
    name: str, run: AlertRun, stock_ids: list[str], posts: list[dict[str, Any]], attempts: list[dict[str, Any]]
) -> None:
    alerts, requests = run.alerts, run.requests
    check(requests[PUBLISH] == alerts, f"{name}: {requests[PUBLISH]} alerts published for {alerts}")
    check(requests[CLAIM] == 2 * alerts, f"{name}: {requests[CLAIM]} claims for {alerts} alerts on 2 channels")
    check(run.listed == alerts, f"{name}: {run.listed} items listed as low for {alerts} alerts")
    check(
        requests[MARK] == 2 * alerts + run.listed,
        f"{name}: {requests[MARK]} UpdateItem for {alerts} alerts on 2 channels (a sent mark each) and "
        f"{run.listed} items listed (a list mark each)",
    )
    posted = Counter(str(post.get("stock_id")) for post in posts)
    check(
        posted == Counter(stock_ids), f"{name}: the chat webhook got {sum(posted.values())} posts, not each alert once"
    )
    failed = [attempt for attempt in attempts if attempt["status"] != 200]
    check(len(attempts) == alerts and not failed, f"{name}: {len(failed)} failed posts to the chat webhook")
    check(
        requests[DELETE] == run.webhook_invocations,
        f"{name}: {requests[DELETE]} deletes for {run.webhook_invocations} batches: a batch was not handled whole",
    )
    check(run.empty_receives >= 0, f"{name}: fewer receives than batches of the webhook's queue")
    usd_per_million_alerts(after(run), alerts)  # every request the alerts made has a price
