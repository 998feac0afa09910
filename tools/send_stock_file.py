"""Send a file of stock lines (`STOCK_ID;LEVEL[;AS_OF]`, or named: `STOCK_ID;reorder_point=5`) to the import queue,
in as few messages as SQS allows, or drop it in the stack's bucket.

Sent as messages, every line is validated first with the same parser the import function uses; bad lines are
reported with their line numbers and not sent. Lines are packed into messages up to the queue's size limit,
sent with SendMessageBatch, and entries SQS refuses are retried. Dropped in the bucket, the file is checked
and sent by the bucket's function, which writes a report beside it; this waits for that report and shows it.

    python -m tools.send_stock_file stock.txt                 # the local stack (.local/outputs.json)
    python -m tools.send_stock_file stock.txt --stack dev     # a deployed stack (`pulumi stack output`)
    python -m tools.send_stock_file stock.txt --via bucket    # upload to the drop bucket
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import boto3

from adapters.inbound.stock_file import FileLine, RejectedLine, read_stock_file
from adapters.inbound.stock_lines import format_stock_line
from adapters.outbound.s3_import_reports import report_key_of
from adapters.outbound.sqs_stock_line_queue import MAX_ATTEMPTS, SentLines, SqsStockLineQueue
from domain.stock import UNSET, Field, StockUpdate
from tools.stack_outputs import queue_region, refuse_configured_endpoint, sqs_client, stack_client, stack_outputs

_CHUNK_BYTES = 64 * 1024


@dataclass
class CheckedFile:
    """The lines to send, in file order, and those refused; `superseded` lines left out, `narrowed` lines sent with
    only the fields no later line sets."""

    lines: list[str]
    rejected: list[RejectedLine]
    superseded: int = 0
    narrowed: int = 0


def check_lines(chunks: Iterable[bytes]) -> CheckedFile:
    """Validate every line. Of several lines without a time that set one field of one item, only the last is sent
    for that field (it wins): a line is left out once later ones set every field it sets, and sent with the others
    alone when they set some. Untimed lines sent in different messages are stamped with their messages' times,
    which a standard queue delivers in any order; lines with a time are sent as they are."""
    valid: list[FileLine] = []
    rejected: list[RejectedLine] = []
    for line in read_stock_file(chunks):
        if isinstance(line, FileLine):
            valid.append(line)
        else:
            rejected.append(line)
    last_untimed = {
        (line.update.stock_id, each): index
        for index, line in enumerate(valid)
        if line.update.as_of is None
        for each in line.update.fields
    }
    checked = CheckedFile([], rejected)
    for index, line in enumerate(valid):
        update = line.update
        winning = (
            update.fields
            if update.as_of is not None
            else frozenset(each for each in update.fields if last_untimed[(update.stock_id, each)] == index)
        )
        if not winning:
            checked.superseded += 1
        elif winning == update.fields:
            checked.lines.append(line.text)
        else:
            checked.narrowed += 1
            checked.lines.append(format_stock_line(_only(update, winning)))
    return checked


def _only(update: StockUpdate, fields: frozenset[Field]) -> StockUpdate:
    """The update with only these of its fields set."""
    return replace(
        update,
        level=update.level if Field.LEVEL in fields else None,
        reorder_point=update.reorder_point if Field.REORDER_POINT in fields else UNSET,
        low_stock_alerts=update.low_stock_alerts if Field.ALERTS in fields else None,
    )


class ProgressBar:
    """Lines sent so far and lines per second, redrawn in place on stderr."""

    def __init__(self, total: int, width: int = 30) -> None:
        self._started = time.monotonic()
        self._total = total
        self._width = width

    def __call__(self, sent: int) -> None:
        total = self._total
        done = int(self._width * sent / total) if total else self._width
        rate = sent / max(time.monotonic() - self._started, 1e-6)
        sys.stderr.write(f"\r[{'#' * done}{'.' * (self._width - done)}] {sent:,}/{total:,} lines  {rate:,.0f} lines/s")
        sys.stderr.flush()


def _queue(args: argparse.Namespace) -> SqsStockLineQueue:
    """The import queue: given, from a deployed stack, or from the local stack's outputs."""
    if args.queue_url:
        session = boto3.session.Session(region_name=queue_region(args.queue_url))
        client = session.client("sqs")
        if queue_region(args.queue_url):  # a queue of AWS's, not one the configuration's endpoint serves
            refuse_configured_endpoint(client, session)
        return SqsStockLineQueue(client, args.queue_url)
    outputs = stack_outputs(args.stack, args.outputs)
    return SqsStockLineQueue(sqs_client(outputs), outputs["queue_url"])


def send_to_queue(args: argparse.Namespace) -> int:
    """Check every line here, then send the valid ones; bad lines are named and not sent."""
    with args.file.open("rb") as handle:
        checked = check_lines(iter(lambda: handle.read(_CHUNK_BYTES), b""))
    for bad in checked.rejected:
        print(f"{args.file}:{bad.number}: {bad.reason}: {bad.text!r}", file=sys.stderr)
    started = time.monotonic()
    progress = ProgressBar(len(checked.lines))
    report: SentLines = _queue(args).send(checked.lines, progress)
    sys.stderr.write("\n")
    print(
        f"sent {report.lines:,} lines in {report.messages:,} messages ({report.requests:,} requests, "
        f"{time.monotonic() - started:.1f} s); rejected {len(checked.rejected):,}; "
        f"superseded {checked.superseded:,}; narrowed {checked.narrowed:,}; retried {report.retried:,}"
    )
    if report.unsent:
        print(f"{len(report.unsent)} message(s) could not be sent after {MAX_ATTEMPTS} attempts", file=sys.stderr)
        return 2
    return 1 if checked.rejected else 0


def upload_to_bucket(args: argparse.Namespace) -> int:
    """Upload the file to the stack's drop bucket and wait for the report its function writes."""
    outputs = stack_outputs(args.stack, args.outputs)
    if "drop_bucket_name" not in outputs:
        raise SystemExit("this stack has no drop bucket: turn it on with `pulumi config set dropBucket true`")
    bucket, key = outputs["drop_bucket_name"], outputs["drop_prefix"] + args.file.name
    report_key = report_key_of(key, outputs["drop_prefix"], outputs["report_prefix"])
    s3 = stack_client("s3", outputs)
    earlier = _report(s3, bucket, report_key).get("event")
    s3.upload_file(str(args.file), bucket, key)
    etag = s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
    print(f"uploaded to s3://{bucket}/{key}; waiting for its report, s3://{bucket}/{report_key}", file=sys.stderr)
    report = _wait_for_report(s3, bucket, report_key, etag, earlier, args.wait)
    if report is None:
        print(f"no report after {args.wait:.0f} s: look at the bucket function's logs", file=sys.stderr)
        return 2
    for bad in report.get("rejected", []):
        print(f"{args.file}:{bad['line']}: {bad['reason']}: {bad['text']!r}", file=sys.stderr)
    print(
        f"{report['status']}: {report['lines_sent']:,} lines sent to the import queue, "
        f"{report['lines_rejected']:,} rejected (kept in the dead-letter queue)"
        + (f"; {report['error']}" if report.get("error") else "")
    )
    return 0 if report["status"] == "sent" and not report["lines_rejected"] else 1


def _wait_for_report(
    s3: Any, bucket: str, key: str, etag: str, earlier_event: str | None, seconds: float
) -> dict[str, Any] | None:
    """The report of this upload: of this content, and not the report of an earlier upload."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        report = _report(s3, bucket, key)
        if report.get("etag") == etag and report.get("event") != earlier_event:
            return report
        time.sleep(1)
    return None


def _report(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    try:
        return dict(json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    except s3.exceptions.NoSuchKey:
        return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make send FILE=...", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "file", type=Path, help="a text file of STOCK_ID;LEVEL[;AS_OF] or STOCK_ID;NAME=VALUE;... lines"
    )
    parser.add_argument("--stack", help="send to this deployed Pulumi stack")
    parser.add_argument("--queue-url", help="send to this queue")
    parser.add_argument("--via", choices=("queue", "bucket"), default="queue", help="send messages, or drop the file")
    parser.add_argument("--wait", type=float, default=300, help="seconds to wait for the bucket's report")
    parser.add_argument("--outputs", type=Path, default=Path(".local/outputs.json"), help="the local stack's outputs")
    args = parser.parse_args(argv)
    return upload_to_bucket(args) if args.via == "bucket" else send_to_queue(args)


if __name__ == "__main__":
    sys.exit(main())
