"""Lambda on the drop bucket: check each dropped file line by line, send its valid lines to the import queue,
keep its bad lines in the dead-letter queue, and write a report beside it.

Lines without a time are stamped with the time the file was dropped, line n at n microseconds past it, so the
last line for an item wins wherever the queue delivers it, and a redelivered event sends only stale lines:
the import function's conditional writes then change nothing (S3 delivers an event at least once,
docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html). A file whose report already names
the event (its sequencer, the same in a redelivery) is not read again, so its lines are not counted twice; the
same content uploaded again is a new event, and is imported again.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from adapters.inbound.s3_dropped_files import (
    DroppedFile,
    FileReplaced,
    FileUnreadable,
    parse_dropped_files,
    read_dropped_file,
)
from adapters.inbound.stock_file import FileLine, RejectedLine, read_stock_file
from adapters.outbound.s3_import_reports import ImportReport, S3ImportReports, report_key_of
from adapters.outbound.sqs_rejected_input_store import SqsRejectedInputStore
from adapters.outbound.sqs_stock_line_queue import SqsStockLineQueue
from domain.ports import RejectedInput
from domain.stock import format_as_of
from handlers import aws
from handlers.settings import BucketImportFunctionSettings
from handlers.time_budget import start_invocation

logger = logging.getLogger(__name__)
_REJECTED_BATCH = 10  # kept as they come, one SendMessageBatch at a time


@functools.cache
def _settings() -> BucketImportFunctionSettings:
    return BucketImportFunctionSettings.from_environment(os.environ)


@functools.cache
def _import_queue() -> SqsStockLineQueue:
    return SqsStockLineQueue(aws.sqs(), _settings().import_queue_url)


@functools.cache
def _rejected_input_store() -> SqsRejectedInputStore:
    return SqsRejectedInputStore(aws.sqs(), _settings().dead_letters.url)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Import every file of the event; an error (S3 or SQS unavailable) fails the invocation, which Lambda
    retries as an asynchronous invocation, then hands to the function's failure destination."""
    start_invocation(context)
    files = parse_dropped_files(event)
    for dropped in files:
        _import(dropped)
    return {"files": len(files)}


def _import(dropped: DroppedFile) -> None:
    reports = S3ImportReports(aws.s3(), dropped.bucket)
    folders = _settings().folders
    report_key = report_key_of(dropped.key, folders.input_prefix, folders.output_prefix)
    if reports.reported_event(report_key) == dropped.sequencer:
        logger.info("file already imported; event redelivered", extra={"file": dropped.uri, "event": dropped.sequencer})
        return
    report = ImportReport(dropped.uri, dropped.etag, dropped.sequencer)
    try:
        chunks = read_dropped_file(aws.s3(), dropped)
    except FileReplaced:
        logger.info("file replaced since this event; its newer upload is imported", extra={"file": dropped.uri})
        return
    except FileUnreadable as error:
        report.status, report.error = "unreadable", str(error)
        logger.error("file unreadable: %s", error, extra={"file": dropped.uri})
    else:
        _send(dropped, chunks, report)
    reports.write(report_key, report)
    logger.info(
        "file imported",
        extra={
            "file": dropped.uri,
            "status": report.status,
            "sent": report.lines_sent,
            "rejected": report.lines_rejected,
        },
    )


def _send(dropped: DroppedFile, chunks: Iterable[bytes], report: ImportReport) -> None:
    rejected: list[RejectedInput] = []
    sent = _import_queue().send(_valid_lines(dropped, read_stock_file(chunks), report, rejected))
    _keep(rejected)
    if sent.unsent:
        raise RuntimeError(f"the import queue refused {sent.unsent_lines} line(s) of {dropped.uri}; retrying the file")
    report.lines_sent, report.messages = sent.lines, sent.messages


def _valid_lines(
    dropped: DroppedFile, lines: Iterator[FileLine | RejectedLine], report: ImportReport, rejected: list[RejectedInput]
) -> Iterator[str]:
    """The valid lines, stamped; bad ones go to the report and, a batch at a time, to the dead-letter queue."""
    for line in lines:
        if isinstance(line, FileLine):
            level = line.update.stamped(dropped.dropped_at + timedelta(microseconds=line.number))
            yield f"{level.stock_id};{level.level};{format_as_of(level.as_of)}"
            continue
        report.reject(line.number, line.text, line.reason)
        rejected.append(RejectedInput(f"{dropped.uri}:{line.number}", line.text, line.reason))
        if len(rejected) == _REJECTED_BATCH:
            _keep(rejected)


def _keep(rejected: list[RejectedInput]) -> None:
    if rejected:
        _rejected_input_store().keep(rejected)
        rejected.clear()
