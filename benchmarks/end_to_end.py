"""AWS requests per update and import wall time on the local stack: ours against the original configuration.

The original product sent one SQS message per line (one SendMessage each), its function consumed them with a
batch size of 1, and it published to SNS inside the write path for every update at or below the threshold.

Each run is checked before it counts: every line stored as the domain's rules store it, every alert due published
(one per crossing, each claimed once), the list of low items holding exactly the items low, every API answer a 200,
the loader's exit status 0, and nothing reported at WARNING or above by the local stack, which forwards the
functions' own log lines at their level and reports function errors.
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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.dynamodb_items import LOW_LIST_SHARD, TIME, item_from_attributes
from adapters.inbound.stock_lines import format_stock_line, parse_stock_lines
from benchmarks.checks import BenchmarkFailed, LoggedProblems, check
from domain.item import StockItem
from domain.low_stock import DEFAULT_REORDER_POINT, is_low, low_stock_alert
from domain.stock import Field, StockUpdate, format_as_of, parse_as_of
from domain.use_cases import StockRules, set_stock_level
from harness.port_fakes import FakeStockRepository
from local_stack.api_gateway.api_authorization import signed_headers
from local_stack.aws.embedded_aws import local_client
from local_stack.aws.speedups import Speedups
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
PUBLISH, CLAIM, UPDATE = "sns:Publish", "dynamodb:PutItem", "dynamodb:UpdateItem"
BATCH = "sqs:SendMessageBatch"  # the loader's: SQS bills it per 64 KB chunk, not per request
INVOCATIONS = "Lambda invocations"
# Not a request the stack counts: the items the run left in the list of low items, read from the table after it.
# The stream's function lists each with one UpdateItem, which the UpdateItem row holds.
LIST_MARKS = "items listed as low (one UpdateItem each)"
# What a crossing makes, request by request: its alert's Publish, claim and sent mark, and its item's list mark.
SENT_MARK, LIST_MARK = "dynamodb:UpdateItem: the alert's sent mark", "dynamodb:UpdateItem: the item's list mark"
CROSSING_ROWS = (PUBLISH, CLAIM, SENT_MARK, LIST_MARK)
# Requests Lambda's pollers make whatever the load (billed for SQS, free for DynamoDB Streams).
POLLER_OPERATIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessageBatch", "sqs:DeleteMessage", *FREE_READS)
# Each tenth line of a file sets the reorder point of the item of the line before it, with this time of its own.
REORDER_LINE_EVERY = 10
REORDER_POINT_AS_OF = "2024-05-01T12:00:00Z"
_SCANNED = "dynamodb:Scan"  # the benchmark's own reads of the table, left out of every count
ITEMS_PER_WRITE = 25  # the most items one BatchWriteItem takes


@dataclass
class Run:
    """One configuration's measured and checked run."""

    name: str
    updates: int  # lines sent, each its own write
    seconds: float
    requests: Counter[str]
    invocations: dict[str, int]  # by function name
    alerts_due: int  # crossings among the updates, by the domain's rule
    alerts_due_original_rule: int  # level updates at or below the threshold: the original published for each
    listed: int = 0  # items in the list of low items once the run was over, each listed once by the stream
    batch_bytes: int = 0  # bytes sent with SendMessageBatch (billed per 64 KB chunk)
    cpu_seconds: float = 0.0  # of this process (the embedded AWS, the pollers, the API) during the run
    request_seconds: list[float] = field(default_factory=list)  # each API request's round trip, when through one

    def per_thousand(self, operation: str) -> float:
        return 1000 * self.requests.get(operation, 0) / self.updates

    @property
    def unaccounted_updates(self) -> int:
        """UpdateItem requests that are none of: one write per update, one sent mark per alert published, one list
        mark per item listed. Counted against the updates and against the crossings alike, so that neither figure
        is flattered by one that belongs to the other."""
        return self.requests.get(UPDATE, 0) - self.updates - self.requests.get(PUBLISH, 0) - self.listed


def invocations(run: Run, left_out_functions: tuple[str, ...] = ()) -> int:
    """Lambda invocations of every function but `left_out_functions` (the original had no notifier function)."""
    return sum(count for name, count in run.invocations.items() if name not in left_out_functions)


def table_column(run: Run, left_out_functions: tuple[str, ...] = ()) -> dict[str, float]:
    """One column of the page's request table, per 1,000 updates: each operation, the items listed as low, and the
    Lambda invocations."""
    invoked = invocations(run, left_out_functions)
    return {
        **{op: run.per_thousand(op) for op in run.requests},
        LIST_MARKS: 1000 * run.listed / run.updates,
        INVOCATIONS: 1000 * invoked / run.updates,
    }


def counted_per_update(column: Mapping[str, float]) -> float:
    """Requests per update that crosses nothing, from one column of the table: every row (invocations included)
    but the free stream reads, less what each crossing makes: its alert's requests (its Publish, its claim and the
    UpdateItem that marks it sent) and its item's list mark (an UpdateItem per item listed). The one rule every
    column is counted by."""
    alerts, listed = column.get(PUBLISH, 0.0), column.get(LIST_MARKS, 0.0)
    kept = sum(value for row, value in column.items() if row not in (*FREE_READS, PUBLISH, CLAIM, LIST_MARKS))
    return (kept - alerts - listed) / 1000


def per_crossing(run: Run) -> dict[str, float]:
    """The requests of each crossing in the run, by row, from its counts: the Publish and the claim (PutItem) as
    counted; the sent mark, one UpdateItem per Publish; the list mark, every UpdateItem beyond one per update and
    one per Publish (any the run made beyond those is thus charged to the crossings, not hidden)."""
    crossings = run.alerts_due
    if crossings < 1:
        raise BenchmarkFailed(f"{run.name}: no crossing among its updates, nothing to count per crossing")
    publishes = run.requests.get(PUBLISH, 0)
    return {
        PUBLISH: publishes / crossings,
        CLAIM: run.requests.get(CLAIM, 0) / crossings,
        SENT_MARK: publishes / crossings,
        LIST_MARK: (run.requests.get(UPDATE, 0) - run.updates - publishes) / crossings,
    }


def per_crossing_before(run: Run) -> dict[str, float]:
    """What the code before the list of low items made per crossing: the same alert (claim, Publish, sent mark),
    as this run counts it, and no list mark, as it kept no list."""
    return {**per_crossing(run), LIST_MARK: 0.0}


def stock_lines(count: int, seed: int = 5, stack_default: int = DEFAULT_REORDER_POINT) -> list[str]:
    """`count` lines for new items. Nine in ten give an item its level, from 0 to 50, so a few percent start at or
    below the stack's default reorder point; each tenth, in the named form, gives the item of the line before it a
    reorder point of its own, at or above the default, and above its level for some of them: they become low.

    Those items' levels are above the default, so that only their own reorder point makes them low: whichever of the
    item's two writes lands first, it crosses at most once and is listed once (checked by `expected_of`). The
    reorder-point line carries its own time, so it is a write of its own: lines of one item with one time (a
    message's, for lines with none) are merged into one write, which would make fewer writes than updates."""
    rng = random.Random(seed)
    as_of = parse_as_of(REORDER_POINT_AS_OF)
    lines: list[str] = []
    for index in range(count):
        position = index % REORDER_LINE_EVERY
        if position == REORDER_LINE_EVERY - 1 and lines:
            point = rng.randint(stack_default, stack_default + 25)
            lines.append(format_stock_line(StockUpdate(lines[-1].split(";")[0], reorder_point=point, as_of=as_of)))
        elif position == REORDER_LINE_EVERY - 2:
            lines.append(f"BENCH{index:06d};{rng.randint(stack_default + 1, stack_default + 50)}")
        else:
            lines.append(f"BENCH{index:06d};{rng.randint(0, 50)}")
    return lines


@dataclass(frozen=True)
class Expected:
    """What the domain's rules make of a file's lines, each applied as a write of its own: the items as stored
    after them, the alerts due, the items low, and the level updates the original would have published for."""

    updates: list[StockUpdate]
    items: dict[str, StockItem]
    alerts_due: int
    low: frozenset[str]
    original_rule_publishes: int


def expected_of(lines: list[str], stack_default: int, received_at: datetime | None = None) -> Expected:
    """The lines replayed through the domain (each update stored by `set_stock_level`, its alert by
    `low_stock_alert`) in file order and in reverse: the writes of a run land in any order, so a file whose alerts
    due or items low depend on it stops the benchmark."""
    parsed = parse_stock_lines("\n".join(lines), source="benchmark")
    check(not parsed.rejected, f"the benchmark's own lines are refused: {parsed.rejected[:1]}")
    received = received_at or datetime.now(UTC)
    rules = StockRules(default_reorder_point=stack_default)

    def replay(updates: list[StockUpdate]) -> tuple[dict[str, StockItem], int]:
        repository, due = FakeStockRepository(), 0
        for update in updates:
            outcome = set_stock_level(update, received, repository, rules)
            current = repository.get(update.stock_id)
            check(outcome.saved and current is not None, f"the benchmark's update {update} is not stored")
            assert current is not None
            due += low_stock_alert(outcome.previous, current, stack_default) is not None
        return repository.items, due

    items, due = replay(parsed.updates)
    reversed_items, reversed_due = replay(parsed.updates[::-1])
    low = frozenset(stock_id for stock_id, item in items.items() if is_low(item, stack_default))
    reversed_low = frozenset(stock_id for stock_id, item in reversed_items.items() if is_low(item, stack_default))
    check(
        (due, low) == (reversed_due, reversed_low) and due == len(low),
        f"the benchmark's lines make {due} crossings and {len(low)} items low in file order, {reversed_due} and "
        f"{len(reversed_low)} in reverse: each crossing must list its item once, whatever the order",
    )
    original = sum(update.level is not None and update.level <= stack_default for update in parsed.updates)
    return Expected(parsed.updates, items, due, low, original)


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


def start_stack(
    work: Path, config: dict[str, Any], speedups: Speedups | None = None
) -> tuple[LocalStack, dict[str, Any]]:
    """A local stack of the dev stack with `config` over its settings, in `work`, and its outputs; with the embedded
    AWS's speed-ups given (all by default)."""
    settings = LocalStackSettings(
        api_port=0,
        aws_port=0,
        work_dir=work,
        config=config,
        show_notifications=False,
        reload_code=False,
        speedups=Speedups() if speedups is None else speedups,
    )
    stack = LocalStack(settings, announce=lambda _: None)
    try:
        return stack, stack.start()
    except BaseException:
        stack.stop()
        raise


def scanned(dynamodb: Any, table: str, **request: Any) -> Iterator[dict[str, Any]]:
    """Every page of a Scan of the table (the benchmark's own reads, left out of the counts)."""
    start: dict[str, Any] | None = None
    while True:
        page = dynamodb.scan(TableName=table, **request, **({"ExclusiveStartKey": start} if start else {}))
        yield page
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def count_holding(dynamodb: Any, table: str, attribute: str) -> int:
    """How many items of the table hold `attribute`."""
    return sum(
        int(page["Count"])
        for page in scanned(
            dynamodb,
            table,
            Select="COUNT",
            FilterExpression="attribute_exists(#a)",
            ExpressionAttributeNames={"#a": attribute},
        )
    )


def stored_items(dynamodb: Any, table: str) -> dict[str, StockItem]:
    """Every item of the table as the functions read it."""
    return {
        item.stock_id: item
        for page in scanned(dynamodb, table)
        for item in (item_from_attributes(attributes) for attributes in page.get("Items", []))
    }


def check_stored(name: str, expected: Expected, stored: Mapping[str, StockItem]) -> int:
    """Stop unless every item holds what its lines set, and the list holds exactly the items low; the number
    listed."""
    check(set(stored) == set(expected.items), f"{name}: {len(stored)} items stored for {len(expected.items)}")
    wrong = [
        stock_id
        for stock_id, item in expected.items.items()
        if _values(stored[stock_id]) != _values(item)
        or stored[stock_id].default_reorder_point != item.default_reorder_point
    ]
    check(not wrong, f"{name}: {len(wrong)} items not as their lines set them, {wrong[:1]} among them")
    listed = frozenset(stock_id for stock_id, item in stored.items() if item.listed_low)
    check(
        listed == expected.low,
        f"{name}: {len(listed)} items listed as low for the {len(expected.low)} low, "
        f"{sorted(listed ^ expected.low)[:1]} among those listed wrongly",
    )
    return len(listed)


def _values(item: StockItem) -> tuple[object, ...]:
    level, point = item.level, item.reorder_point
    return (None if level is None else level.value, None if point is None else point.value, item.alerts_on)


def measured(
    name: str, stack: LocalStack, outputs: dict[str, Any], expected: Expected, send: Callable[[], None]
) -> tuple[float, float, Counter[str], int]:
    """Seconds from the first send to the last update stored, this process's CPU seconds then, the requests of the
    whole run once the alerts are out, and the items listed as low: every update stored, every alert due
    published, each claimed once, every item low listed."""
    dynamodb = local_client("dynamodb", outputs["aws_endpoint_url"], stack.region)
    table = outputs["table_name"]
    before = stack.request_counts()
    due = expected.alerts_due
    # The items each field is set for, by the attribute that holds the field's time once it is stored.
    by_field = Counter(
        attribute for _, attribute in {(u.stock_id, TIME[f]) for u in expected.updates for f in u.fields}
    )

    def missing() -> str:
        """What is not stored yet, field by field, counted in the embedded AWS's state: a Scan made at each poll
        copied every item under DynamoDB's lock, and slowed the writes it waited for by seconds. What is stored is
        then checked by Scans through the API (check_stored)."""
        for attribute, items in sorted(by_field.items()):
            stored = stack.items_holding(table, attribute)
            if stored < items:
                return f"{items - stored} of {items} items without {attribute}"
        return ""

    def published() -> int:
        return (stack.request_counts() - before).get(PUBLISH, 0)

    writes_seen = [-1]

    def may_be_stored() -> bool:
        """Whether a count is worth making: every update takes one UpdateItem at least, so none is made before there
        were that many, unless the writes have stopped coming. A count holds DynamoDB's lock while it reads every
        item."""
        writes = (stack.request_counts() - before).get(UPDATE, 0)
        quiet, writes_seen[0] = writes == writes_seen[0], writes
        return writes >= len(expected.updates) or quiet

    with watching(name) as problems:
        started, cpu_started = time.perf_counter(), time.process_time()
        send()
        wait_for(lambda: may_be_stored() and not missing(), lambda: f"{missing()}", problems, 900)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        wait_for(lambda: published() >= due, lambda: f"{published()} of {due} alerts published", problems, 300)
        settle(stack)
    requests = stack.request_counts() - before
    requests.pop(_SCANNED, None)  # the benchmark's own polls of the table
    listed = check_stored(name, expected, stored_items(dynamodb, table))
    check(requests[PUBLISH] == due, f"{name}: {requests[PUBLISH]} alerts published for {due} crossings")
    check(requests[CLAIM] == due, f"{name}: {requests[CLAIM]} alert claims for {due} crossings")
    updates = len(expected.updates)
    check(
        requests[UPDATE] >= updates + due + listed,
        f"{name}: {requests[UPDATE]} UpdateItem, fewer than one per update ({updates}), per alert ({due}) and per "
        f"item listed ({listed}): the counts do not add up",
    )
    return seconds, cpu_seconds, requests, listed


def queue_import(name: str, lines: list[str], original: bool, threshold: int) -> Run:
    """Import `lines` through the queue: with our loader and settings, or one message per line and batch size 1."""
    expected = expected_of(lines, threshold)
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
                    send_file(name, path, work)

            seconds, cpu_seconds, requests, listed = measured(name, stack, outputs, expected, send)
            return Run(
                name,
                len(lines),
                seconds,
                requests,
                stack.invocation_counts(),
                alerts_due=expected.alerts_due,
                alerts_due_original_rule=expected.original_rule_publishes,
                listed=listed,
                batch_bytes=0 if original else path.stat().st_size,
                cpu_seconds=cpu_seconds,
            )
        finally:
            stack.stop()


def send_file(name: str, path: Path, work: Path, via: str = "queue") -> None:
    """`make send`: the loader, reaching the local stack as any AWS client does, from the files it wrote; it sends the
    lines to the queue, or drops the file in the bucket and waits for the report of the bucket's function."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.send_stock_file",
            str(path),
            "--outputs",
            str(work / "outputs.json"),
            "--via",
            via,
        ],
        env=local_stack_environment(work, os.environ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    last = (completed.stderr.strip() or completed.stdout.strip() or "(no output)").splitlines()[-1]
    check(completed.returncode == 0, f"{name}: the loader exited with {completed.returncode}: {last}")


def api_body(update: StockUpdate) -> dict[str, Any]:
    """The body of the PUT that asks for `update`: the fields it sets, and its time if it has one."""
    body: dict[str, Any] = {}
    if Field.LEVEL in update.fields:
        body[Field.LEVEL.value] = update.level
    if Field.REORDER_POINT in update.fields:
        body[Field.REORDER_POINT.value] = update.own_reorder_point
    if Field.ALERTS in update.fields:
        body[Field.ALERTS.value] = update.low_stock_alerts
    if update.as_of is not None:
        body["as_of"] = format_as_of(update.as_of)
    return body


def api_updates(count: int, threshold: int, kind: str = "rest") -> Run:
    """A PUT request for each of `count` lines through the local API of this kind (`rest` or `http`), each answered
    200."""
    lines = stock_lines(count, seed=9, stack_default=threshold)
    expected = expected_of(lines, threshold)
    round_trips: list[float] = []
    with tempfile.TemporaryDirectory() as work:
        stack, outputs = start_stack(Path(work), {"apiKind": kind})
        try:
            key, secret = read_credentials(stack.settings.credentials_path)

            def send() -> None:
                for update in expected.updates:
                    url = f"{outputs['endpoint_url']}/stocks/{update.stock_id}"
                    body = json.dumps(api_body(update)).encode()
                    request = urllib.request.Request(  # signed: the API is AWS_IAM, as in AWS
                        url,
                        data=body,
                        method="PUT",
                        headers=signed_headers("PUT", url, body, key, secret, stack.region),
                    )
                    started = time.perf_counter()
                    try:
                        with urllib.request.urlopen(request, timeout=30) as response:
                            status, answer = response.status, response.read()
                    except urllib.error.HTTPError as error:
                        status, answer = error.code, error.read()
                    round_trips.append(time.perf_counter() - started)
                    check(
                        status == 200,
                        f"API updates ({kind}): PUT {update.stock_id} answered {status}: {answer[:200]!r}",
                    )

            seconds, cpu_seconds, requests, listed = measured(f"API updates ({kind})", stack, outputs, expected, send)
            return Run(
                f"API (ours, {kind})",
                count,
                seconds,
                requests,
                stack.invocation_counts(),
                alerts_due=expected.alerts_due,
                alerts_due_original_rule=expected.original_rule_publishes,
                listed=listed,
                cpu_seconds=cpu_seconds,
                request_seconds=round_trips,
            )
        finally:
            stack.stop()


def write_new_items(dynamodb: Any, table: str, stock_ids: list[str], what: str) -> None:
    """New items at level 0, as of now, written straight to the table in the stored form with BatchWriteItem, which
    no function makes (so its requests are the benchmark's own)."""
    as_of = format_as_of(datetime.now(UTC))
    for start in range(0, len(stock_ids), ITEMS_PER_WRITE):
        items = [
            {"PutRequest": {"Item": {"stock_id": {"S": stock_id}, "stock_level": {"N": "0"}, "as_of": {"S": as_of}}}}
            for stock_id in stock_ids[start : start + ITEMS_PER_WRITE]
        ]
        left = dynamodb.batch_write_item(RequestItems={table: items}).get("UnprocessedItems")
        check(not left, f"{what}: the table left items unwritten: {left}")


def listed_count(dynamodb: Any, table: str) -> int:
    """How many items the list of low items holds now."""
    return count_holding(dynamodb, table, LOW_LIST_SHARD)
