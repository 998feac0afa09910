"""The report of an imported file, kept as a JSON object beside the file in its bucket."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REPORT_SUFFIX = ".report.json"
MAX_LISTED_REJECTIONS = 1000  # the rest are counted, and every one is kept in the dead-letter queue


def report_key_of(file_key: str, input_prefix: str, output_prefix: str) -> str:
    """`incoming/a/stock.txt` reports as `reports/a/stock.txt.report.json`: outside the prefix that triggers."""
    return f"{output_prefix}{file_key.removeprefix(input_prefix)}{REPORT_SUFFIX}"


@dataclass
class ImportReport:
    """What became of one file: `sent` (its valid lines are on the import queue) or `unreadable`."""

    file: str
    etag: str
    event: str
    status: str = "sent"
    lines_sent: int = 0
    messages: int = 0
    lines_rejected: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    def reject(self, number: int, text: str, reason: str) -> None:
        self.lines_rejected += 1
        if len(self.rejected) < MAX_LISTED_REJECTIONS:
            self.rejected.append({"line": number, "text": text, "reason": reason})


class S3ImportReports:
    """Reads and writes reports in one bucket."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def reported_event(self, key: str) -> str | None:
        """The sequencer of the event the report at `key` describes; None if there is no report yet."""
        try:
            body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except self._client.exceptions.NoSuchKey:
            return None
        return str(json.loads(body).get("event", "")) or None

    def write(self, key: str, report: ImportReport) -> None:
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=json.dumps(asdict(report), indent=2).encode(),
            ContentType="application/json",
        )
