import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.inbound.s3_dropped_files import (
    DroppedFile,
    FileReplaced,
    FileUnreadable,
    parse_dropped_files,
    read_dropped_file,
)

EVENT = json.loads((Path(__file__).parents[2] / "events" / "s3_object_created.json").read_text())


def test_the_key_s3_url_encodes_in_its_event_is_decoded():
    [dropped] = parse_dropped_files(EVENT)
    assert dropped.key == "incoming/monday deliveryé.txt"
    assert (dropped.bucket, dropped.etag, dropped.size) == ("stock-drops", "b21b84d653bb07b05b1e6b33684dc11b", 1305107)
    assert dropped.dropped_at == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert dropped.sequencer == "0C0F6F405D6ED209E1"


def test_the_test_event_s3_sends_when_notifications_are_saved_holds_no_file():
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2024-05-01T12:00:00.000Z"}
    assert parse_dropped_files(test_event) == []


def test_only_object_created_events_are_files():
    removed = json.loads(json.dumps(EVENT))
    removed["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    assert parse_dropped_files(removed) == []


def dropped_on(account, key: str, body: bytes) -> DroppedFile:
    etag = account.s3.put_object(Bucket=account.bucket, Key=key, Body=body)["ETag"].strip('"')
    return DroppedFile(account.bucket, key, etag, len(body), datetime.now(UTC), "0A")


def test_the_file_is_read_in_chunks(account):
    dropped = dropped_on(account, "incoming/a.txt", b"A1;1\n" * 1000)
    chunks = list(read_dropped_file(account.s3, dropped, chunk_bytes=1024))
    assert b"".join(chunks) == b"A1;1\n" * 1000
    assert max(len(chunk) for chunk in chunks) == 1024


def test_a_file_overwritten_since_its_event_is_left_to_the_newer_event(account):
    dropped = dropped_on(account, "incoming/a.txt", b"A1;1\n")
    account.s3.put_object(Bucket=account.bucket, Key="incoming/a.txt", Body=b"A1;2\n")
    with pytest.raises(FileReplaced):
        read_dropped_file(account.s3, dropped)


def test_a_file_deleted_before_it_is_read_is_unreadable_not_retried(account):
    dropped = dropped_on(account, "incoming/a.txt", b"A1;1\n")
    account.s3.delete_object(Bucket=account.bucket, Key="incoming/a.txt")
    with pytest.raises(FileUnreadable, match="deleted before it could be read"):
        read_dropped_file(account.s3, dropped)
