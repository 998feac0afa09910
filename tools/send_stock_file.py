"""Send a file of `STOCK_ID;LEVEL[;AS_OF]` lines to the import queue, in as few messages as SQS allows.

Every line is validated first with the same parser the import function uses; bad lines are reported with
their line numbers and not sent. Lines are packed into messages up to the queue's size limit, sent with
SendMessageBatch, and entries SQS refuses are retried.

    python -m tools.send_stock_file stock.txt                 # the local stack (.local/outputs.json)
    python -m tools.send_stock_file stock.txt --stack dev     # a deployed stack (`pulumi stack output`)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from adapters.inbound.stock_lines import parse_stock_line
from domain.errors import InvalidStockInput
from tools.stack_outputs import sqs_client, stack_outputs

SQS_BATCH_ENTRIES = 10
SQS_MAX_PAYLOAD = 1024 * 1024  # no queue takes more in one message or one batch
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class RejectedLine:
    number: int
    text: str
    reason: str


@dataclass
class CheckedFile:
    """The lines to send, in file order, and those refused."""

    lines: list[str]
    rejected: list[RejectedLine]
    superseded: int = 0


@dataclass
class SendReport:
    lines_sent: int = 0
    messages: int = 0
    requests: int = 0
    retried: int = 0
    seconds: float = 0.0
    failed_entries: list[str] = field(default_factory=list)


def check_lines(lines: Iterable[str]) -> CheckedFile:
    """Validate every line; of several lines for one item without a time, only the last is kept (it wins)."""
    valid: list[tuple[str, bool, str]] = []  # (stock_id, has its own time, line)
    rejected: list[RejectedLine] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n").removeprefix("\ufeff") if number == 1 else raw.rstrip("\r\n")
        if not line.strip():
            continue
        try:
            update = parse_stock_line(line)
        except InvalidStockInput as error:
            rejected.append(RejectedLine(number, line, str(error)))
            continue
        valid.append((update.stock_id, update.as_of is not None, line.strip()))
    last_untimed = {stock_id: index for index, (stock_id, timed, _) in enumerate(valid) if not timed}
    kept = [line for index, (stock_id, timed, line) in enumerate(valid) if timed or last_untimed[stock_id] == index]
    return CheckedFile(kept, rejected, superseded=len(valid) - len(kept))


def pack(lines: list[str], max_bytes: int) -> list[str]:
    """Join lines into message bodies of at most `max_bytes` UTF-8 bytes each, keeping their order."""
    bodies: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line_size = len(line.encode()) + 1
        if current and size + line_size > max_bytes:
            bodies.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += line_size
    if current:
        bodies.append("\n".join(current))
    return bodies


def batches(bodies: list[str], max_bytes: int) -> list[list[str]]:
    """Group bodies into SendMessageBatch requests: at most ten entries and `max_bytes` in all."""
    groups: list[list[str]] = []
    for body in bodies:
        size = len(body.encode())
        if (
            groups
            and len(groups[-1]) < SQS_BATCH_ENTRIES
            and sum(len(b.encode()) for b in groups[-1]) + size <= max_bytes
        ):
            groups[-1].append(body)
        else:
            groups.append([body])
    return groups


def send(sqs: Any, queue_url: str, lines: list[str], progress: Callable[[int, int], None]) -> SendReport:
    """Send the lines; retry refused entries with backoff; name any that still fail after MAX_ATTEMPTS."""
    limit = min(
        int(
            sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["MaximumMessageSize"])["Attributes"][
                "MaximumMessageSize"
            ]
        ),
        SQS_MAX_PAYLOAD,
    )
    report = SendReport()
    started = time.monotonic()
    bodies = pack(lines, limit)
    for group in batches(bodies, limit):
        pending = dict(enumerate(group))
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                report.retried += len(pending)
                time.sleep(min(0.2 * 2**attempt, 5))
            response = sqs.send_message_batch(
                QueueUrl=queue_url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in pending.items()]
            )
            report.requests += 1
            for entry in response.get("Successful", []):
                body = pending.pop(int(entry["Id"]))
                report.messages += 1
                report.lines_sent += body.count("\n") + 1
            if not pending:
                break
        report.failed_entries.extend(pending.values())
        progress(report.lines_sent, len(lines))
    report.seconds = time.monotonic() - started
    return report


class ProgressBar:
    """Lines sent so far and lines per second, redrawn in place on stderr."""

    def __init__(self, width: int = 30) -> None:
        self._started = time.monotonic()
        self._width = width

    def __call__(self, sent: int, total: int) -> None:
        done = int(self._width * sent / total) if total else self._width
        rate = sent / max(time.monotonic() - self._started, 1e-6)
        sys.stderr.write(f"\r[{'#' * done}{'.' * (self._width - done)}] {sent:,}/{total:,} lines  {rate:,.0f} lines/s")
        sys.stderr.flush()


def _queue(args: argparse.Namespace) -> tuple[Any, str]:
    """The SQS client and queue URL: given, from a deployed stack, or from the local stack's outputs."""
    if args.queue_url:
        return boto3.client("sqs"), args.queue_url
    outputs = stack_outputs(args.stack, args.outputs)
    return sqs_client(outputs), outputs["queue_url"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make send FILE=...", description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, help="a text file of STOCK_ID;LEVEL[;AS_OF] lines")
    parser.add_argument("--stack", help="send to this deployed Pulumi stack's queue")
    parser.add_argument("--queue-url", help="send to this queue")
    parser.add_argument("--outputs", type=Path, default=Path(".local/outputs.json"), help="the local stack's outputs")
    args = parser.parse_args(argv)

    with args.file.open(encoding="utf-8", errors="replace") as handle:
        checked = check_lines(handle)
    for bad in checked.rejected:
        print(f"{args.file}:{bad.number}: {bad.reason}: {bad.text!r}", file=sys.stderr)
    sqs, queue_url = _queue(args)
    report = send(sqs, queue_url, checked.lines, ProgressBar())
    sys.stderr.write("\n")
    print(
        f"sent {report.lines_sent:,} lines in {report.messages:,} messages ({report.requests:,} requests, "
        f"{report.seconds:.1f} s); rejected {len(checked.rejected):,}; superseded {checked.superseded:,}; "
        f"retried {report.retried:,}"
    )
    if report.failed_entries:
        print(
            f"{len(report.failed_entries)} message(s) could not be sent after {MAX_ATTEMPTS} attempts", file=sys.stderr
        )
        return 2
    return 1 if checked.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
