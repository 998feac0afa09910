import copy
import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from adapters.inbound.s3_dropped_files import (
    DroppedFile,
    FileReplaced,
    FileUnreadable,
    parse_dropped_files,
    read_dropped_file,
)
from harness.lambda_events import load

EVENT = load("s3_object_created.json")


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


def test_an_etag_in_quotes_as_s3_headers_give_it_is_unquoted():
    quoted = copy.deepcopy(EVENT)
    quoted["Records"][0]["s3"]["object"]["eTag"] = '"b21b84d653bb07b05b1e6b33684dc11b"'
    [dropped] = parse_dropped_files(quoted)
    assert dropped.etag == "b21b84d653bb07b05b1e6b33684dc11b"


def test_a_record_without_etag_size_or_sequencer_has_empty_ones():
    bare = copy.deepcopy(EVENT)
    for name in ("eTag", "size", "sequencer"):
        del bare["Records"][0]["s3"]["object"][name]
    [dropped] = parse_dropped_files(bare)
    assert (dropped.etag, dropped.size, dropped.sequencer) == ("", 0, "")


@pytest.mark.parametrize("code", ["PreconditionFailed", "412"])  # 412 alone when the answer has no body
def test_a_failed_etag_condition_names_the_file_replaced(mocker, code):
    client = mocker.Mock()
    client.get_object.side_effect = ClientError({"Error": {"Code": code}}, "GetObject")
    dropped = DroppedFile("stock-drops", "incoming/a.txt", "abc", 5, datetime.now(UTC), "0A")
    with pytest.raises(FileReplaced) as replaced:
        read_dropped_file(client, dropped)
    assert str(replaced.value) == "s3://stock-drops/incoming/a.txt was replaced since this event"
