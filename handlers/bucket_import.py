"""Lambda on the drop bucket: check each dropped file line by line, send its valid lines to the import queue,
keep its bad lines in the dead-letter queue, and write a report beside it.

Lines without a time are stamped with the time the file was dropped, line n at n microseconds past it, so the
last line to set a field of an item wins for that field wherever the queue delivers it (each field is versioned
on its own: a line that sets the level and a later one that sets the reorder point both apply), and a redelivered
event sends only stale lines:
the import function's conditional writes then change nothing (S3 delivers an event at least once,
docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html). A file whose report already names
the event (its sequencer, the same in a redelivery) is not read again, so its lines are not counted twice; the
same content uploaded again is a new event, and is imported again.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from adapters.inbound.s3_dropped_files import (
    DroppedFile,
    FileReplaced,
    FileUnreadable,
    parse_dropped_files,
    read_dropped_file,
)
from adapters.inbound.stock_file import FileLine, RejectedLine, read_stock_file
from adapters.inbound.stock_lines import format_stock_line
from adapters.outbound.s3_import_reports import ImportReport, S3ImportReports, report_key_of
from adapters.outbound.sqs_rejected_input_store import SqsRejectedInputStore
from adapters.outbound.sqs_stock_line_queue import SqsStockLineQueue
from domain.errors import InvalidStockInput
from domain.ports import RejectedInput, RejectedInputStore
from domain.stock import DEFAULT_MAX_AHEAD, StockUpdate
from domain.use_cases import StockRules, receive_update
from handlers.aws import AwsClients, EntryPoint, Handler
from handlers.settings import BucketImportFunctionSettings, DropFolders
from handlers.time_budget import start_invocation

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logger = logging.getLogger(__name__)
_REJECTED_BATCH = 10  # kept as they come, one SendMessageBatch at a time
DOMAIN_RULES = StockRules()  # the domain's defaults, where no stack gave its own


def build(settings: BucketImportFunctionSettings, clients: AwsClients) -> Handler:
    """The drop bucket's function, on the import queue and its dead letters."""
    return BucketImportFunction(
        clients.s3,
        SqsStockLineQueue(clients.sqs, settings.import_queue_url),
        SqsRejectedInputStore(clients.sqs, settings.dead_letters.url),
        settings.folders,
        StockRules(max_ahead=settings.times.max_ahead(DEFAULT_MAX_AHEAD)),
    )


class BucketImportFunction:
    """Reads the files dropped under the input folder, sends their valid lines to `import_queue`, keeps their bad
    ones in `rejected`, and writes each file's report under the output folder."""

    def __init__(
        self,
        s3: S3Client,
        import_queue: SqsStockLineQueue,
        rejected: RejectedInputStore,
        folders: DropFolders[str],
        rules: StockRules = DOMAIN_RULES,
    ) -> None:
        self._s3 = s3
        self._import_queue = import_queue
        self._rejected = rejected
        self._folders = folders
        self._rules = rules

    def __call__(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        """Import every file of the event; an error (S3 or SQS unavailable) fails the invocation, which Lambda
        retries as an asynchronous invocation, then hands to the function's failure destination."""
        start_invocation(context)
        files = parse_dropped_files(event)
        for dropped in files:
            self._import(dropped)
        return {"files": len(files)}

    def _import(self, dropped: DroppedFile) -> None:
        reports = S3ImportReports(self._s3, dropped.bucket)
        report_key = report_key_of(dropped.key, self._folders.input_prefix, self._folders.output_prefix)
        if reports.reported_event(report_key) == dropped.sequencer:
            logger.info(
                "file already imported; event redelivered", extra={"file": dropped.uri, "event": dropped.sequencer}
            )
            return
        report = ImportReport(dropped.uri, dropped.etag, dropped.sequencer)
        try:
            chunks = read_dropped_file(self._s3, dropped)
        except FileReplaced:
            logger.info("file replaced since this event; its newer upload is imported", extra={"file": dropped.uri})
            return
        except FileUnreadable as error:
            report.status, report.error = "unreadable", str(error)
            logger.error("file unreadable: %s", error, extra={"file": dropped.uri})
        else:
            self._send(dropped, chunks, report)
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

    def _send(self, dropped: DroppedFile, chunks: Iterable[bytes], report: ImportReport) -> None:
        rejected: list[RejectedInput] = []
        sent = self._import_queue.send(self._valid_lines(dropped, read_stock_file(chunks), report, rejected))
        self._keep(rejected)
        if sent.unsent:
            raise RuntimeError(
                f"the import queue refused {sent.unsent_lines} line(s) of {dropped.uri}; retrying the file"
            )
        report.lines_sent, report.messages = sent.lines, sent.messages

    def _valid_lines(
        self,
        dropped: DroppedFile,
        lines: Iterator[FileLine | RejectedLine],
        report: ImportReport,
        rejected: list[RejectedInput],
    ) -> Iterator[str]:
        """The valid lines, stamped; bad ones go to the report and, a batch at a time, to the dead-letter queue."""
        for line in map(functools.partial(self._received, dropped), lines):
            if isinstance(line, StockUpdate):
                yield format_stock_line(line)
                continue
            report.reject(line.number, line.text, line.reason)
            rejected.append(RejectedInput(f"{dropped.uri}:{line.number}", line.text, line.reason))
            if len(rejected) == _REJECTED_BATCH:
                self._keep(rejected)

    def _received(self, dropped: DroppedFile, line: FileLine | RejectedLine) -> StockUpdate | RejectedLine:
        """A valid line's update, stamped as of the drop (line n at n microseconds past it) unless it gave its own
        time, which may be at most the rules' `max_ahead` past the drop; else the line refused with its reason."""
        if isinstance(line, RejectedLine):
            return line
        try:
            return receive_update(line.update, dropped.dropped_at + timedelta(microseconds=line.number), self._rules)
        except InvalidStockInput as error:
            return RejectedLine(line.number, line.text, f"line {line.number}: {error}")

    def _keep(self, rejected: list[RejectedInput]) -> None:
        if rejected:
            self._rejected.keep(rejected)
            rejected.clear()


handler = EntryPoint(build, BucketImportFunctionSettings)
