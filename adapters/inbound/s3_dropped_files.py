"""Files dropped in a bucket: S3's object-created event records in, the object's bytes out as a stream."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CHUNK_BYTES = 64 * 1024
# GetObject errors that no retry can cure: the file is reported unreadable instead
# (docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Errors").
_PERMANENT_ERRORS = {
    "NoSuchKey": "the file was deleted before it could be read",
    "AccessDenied": "the function may not read the file (is it encrypted with a key it cannot use?)",
    "InvalidObjectState": "the file is archived and must be restored before it can be read",
}


@dataclass(frozen=True)
class DroppedFile:
    """One object-created event: which object, which content (ETag), when it was dropped, and the event's
    sequencer, which is the same when S3 delivers the event again and new for every upload."""

    bucket: str
    key: str
    etag: str
    size: int
    dropped_at: datetime
    sequencer: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class FileReplaced(RuntimeError):
    """The object was overwritten after this event: the newer upload has an event of its own."""


class FileUnreadable(RuntimeError):
    """The object cannot be read, and no retry will change that."""


def parse_dropped_files(event: dict[str, Any]) -> list[DroppedFile]:
    """The files of an S3 event notification, in order. The s3:TestEvent S3 sends when a configuration is saved
    (notification-content-structure.html) has no records and yields none."""
    return [
        _dropped(record)
        for record in event.get("Records") or []
        if record.get("eventSource") == "aws:s3" and str(record.get("eventName", "")).startswith("ObjectCreated:")
    ]


def _dropped(record: dict[str, Any]) -> DroppedFile:
    s3 = record["s3"]
    return DroppedFile(
        bucket=s3["bucket"]["name"],
        # S3 URL-encodes the key in the event, a space as '+' (docs.aws.amazon.com/AmazonS3/latest/userguide/
        # notification-content-structure.html): "red flower.jpg" arrives as "red+flower.jpg".
        key=unquote_plus(s3["object"]["key"]),
        etag=str(s3["object"].get("eTag", "")).strip('"'),
        size=int(s3["object"].get("size", 0)),
        dropped_at=datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")),
        sequencer=str(s3["object"].get("sequencer", "")),
    )


def read_dropped_file(client: S3Client, dropped: DroppedFile, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The object's bytes as the event saw it, in chunks: a newer upload under the same key fails the ETag
    condition (412) and raises FileReplaced; a permanent refusal raises FileUnreadable."""
    try:
        response = client.get_object(Bucket=dropped.bucket, Key=dropped.key, IfMatch=dropped.etag)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("PreconditionFailed", "412"):
            raise FileReplaced(f"{dropped.uri} was replaced since this event") from error
        if code in _PERMANENT_ERRORS:
            raise FileUnreadable(f"{_PERMANENT_ERRORS[code]} ({code})") from error
        raise
    return response["Body"].iter_chunks(chunk_bytes)
