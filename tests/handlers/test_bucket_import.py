import itertools
import json
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from adapters.outbound.sqs_stock_line_queue import SqsStockLineQueue
from handlers import bucket_import, queue_import
from handlers.time_budget import OutOfTime
from harness.lambda_events import s3_event, sqs_event
from tests.handlers.lambda_context import Context


@pytest.fixture
def bucket_function(bucket_import_settings, clients):
    return bucket_import.build(bucket_import_settings, clients)


KEY = "incoming/monday delivery.txt"
REPORT = "reports/monday delivery.txt.report.json"


_SEQUENCERS = itertools.count(0x0055AED6DCD90281E5)


def drop(account, body: bytes, key: str = KEY) -> dict[str, Any]:
    """Upload a file and return the event S3 sends for it, with a sequencer of its own."""
    etag = account.s3.put_object(Bucket=account.bucket, Key=key, Body=body)["ETag"].strip('"')
    return s3_event(account.bucket, key, etag, f"{next(_SEQUENCERS):018X}")


def report_of(account, key: str = REPORT) -> Any:
    return json.loads(account.s3.get_object(Bucket=account.bucket, Key=key)["Body"].read())


def queued_lines(account) -> list[str]:
    return [line for message in account.drain(account.import_queue_url) for line in message["Body"].split("\n")]


def test_valid_lines_go_to_the_import_queue_stamped_with_the_drop_time_and_bad_ones_to_the_dead_letters(
    deployed, bucket_function
):
    event = drop(deployed, b"A1;5\nA2;many\nA3;3;2024-04-01T08:00:00+02:00\n")
    assert bucket_function(event, None) == {"files": 1}

    assert queued_lines(deployed) == [
        "A1;5;2024-05-01T12:00:00.000001Z",
        "A3;3;2024-04-01T06:00:00.000000Z",
    ]
    [dead] = deployed.drain(deployed.dead_letter_queue_url)
    assert dead["Body"] == "A2;many"
    assert dead["MessageAttributes"]["source"]["StringValue"] == f"s3://stock-drops/{KEY}:2"
    report = report_of(deployed)
    assert (report["status"], report["lines_sent"], report["lines_rejected"]) == ("sent", 2, 1)
    assert report["rejected"][0]["line"] == 2
    assert report["rejected"][0]["reason"].startswith("line 2: stock_level must be a whole number")


def test_of_two_lines_for_one_item_the_later_wins_whatever_order_the_queue_delivers_them_in(
    deployed, bucket_function, import_settings, clients
):
    bucket_function(drop(deployed, b"A1;5\nA1;3\n"), None)
    first, second = queued_lines(deployed)
    import_function = queue_import.build(import_settings, clients)
    assert import_function(sqs_event(second, first), None) == {"batchItemFailures": []}
    assert deployed.stored("A1")["stock_level"] == {"N": "3"}


def test_named_lines_go_to_the_import_queue_stamped_in_the_named_form_and_bad_ones_to_the_dead_letters(
    deployed, bucket_function
):
    event = drop(deployed, b"A1;reorder_point=5\nA2;reorder_point=five\nA3;stock_level=0;low_stock_alerts=false\n")
    bucket_function(event, None)
    assert queued_lines(deployed) == [
        "A1;reorder_point=5;as_of=2024-05-01T12:00:00.000001Z",
        "A3;stock_level=0;low_stock_alerts=false;as_of=2024-05-01T12:00:00.000003Z",
    ]
    [dead] = deployed.drain(deployed.dead_letter_queue_url)
    assert (dead["Body"], dead["MessageAttributes"]["reason"]["StringValue"]) == (
        "A2;reorder_point=five",
        "line 2: reorder_point must be a whole number from 0 to 1000000000, not 'five'",
    )
    assert (report_of(deployed)["lines_sent"], report_of(deployed)["lines_rejected"]) == (2, 1)


def test_a_line_that_sets_the_level_and_a_later_one_that_sets_the_reorder_point_both_apply_in_any_order(
    deployed, bucket_function, import_settings, clients
):
    bucket_function(
        drop(deployed, b"A1;stock_level=3;reorder_point=9\nA1;reorder_point=5\nA1;reorder_point=default\nA1;7\n"), None
    )
    lines = queued_lines(deployed)
    import_function = queue_import.build(import_settings, clients)
    assert import_function(sqs_event(*reversed(lines)), None) == {"batchItemFailures": []}
    stored = deployed.stored("A1")
    assert stored["stock_level"] == {"N": "7"}
    assert "reorder_point" not in stored  # the last line to name it set it back to the default
    assert stored["reorder_point_as_of"] == {"S": "2024-05-01T12:00:00.000003Z"}


def test_a_redelivered_event_sends_nothing_again_and_counts_nothing_twice(deployed, bucket_function):
    event = drop(deployed, b"A1;5\nA2;x\n")
    bucket_function(event, None)
    deployed.drain(deployed.import_queue_url)
    deployed.drain(deployed.dead_letter_queue_url)

    bucket_function(event, None)

    assert deployed.drain(deployed.import_queue_url) == []
    assert deployed.drain(deployed.dead_letter_queue_url) == []
    assert (report_of(deployed)["lines_sent"], report_of(deployed)["lines_rejected"]) == (1, 1)


def test_a_file_deleted_before_it_was_read_is_reported_unreadable(deployed, bucket_function):
    event = drop(deployed, b"A1;5\n")
    deployed.s3.delete_object(Bucket=deployed.bucket, Key=KEY)
    bucket_function(event, None)
    report = report_of(deployed)
    assert report["status"] == "unreadable"
    assert "deleted before it could be read" in report["error"]


def test_an_event_for_content_since_replaced_leaves_the_file_to_its_newer_event(deployed, bucket_function):
    older = drop(deployed, b"A1;5\n")
    newer = drop(deployed, b"A1;7\n")
    bucket_function(newer, None)
    deployed.drain(deployed.import_queue_url)
    bucket_function(older, None)
    assert deployed.drain(deployed.import_queue_url) == []
    assert report_of(deployed)["etag"] == newer["Records"][0]["s3"]["object"]["eTag"]


def test_lines_the_queue_keeps_refusing_fail_the_invocation_for_a_retry_and_write_no_report(
    deployed, bucket_import_settings, clients
):
    gone = replace(bucket_import_settings, import_queue_url=deployed.import_queue_url + "-gone")
    with pytest.raises(ClientError, match=r"NonExistentQueue|does not exist"):
        bucket_import.build(gone, clients)(drop(deployed, b"A1;5\n"), None)
    assert deployed.s3.list_objects_v2(Bucket=deployed.bucket, Prefix="reports/")["KeyCount"] == 0


def test_lines_of_a_binary_file_are_kept_in_the_dead_letter_queue_in_a_form_sqs_accepts(deployed, bucket_function):
    bucket_function(drop(deployed, b"\x00\x01PK\x03\x04\xff\xfe\nA1;1\n"), None)
    [dead] = deployed.drain(deployed.dead_letter_queue_url)
    assert "\x00" not in dead["Body"]
    assert report_of(deployed)["lines_sent"] == 1


def test_the_same_content_dropped_again_is_a_new_event_and_is_imported_again(deployed, bucket_function):
    bucket_function(drop(deployed, b"A1;5\n"), None)
    first = queued_lines(deployed)
    bucket_function(drop(deployed, b"A1;5\n"), None)
    assert queued_lines(deployed) == first  # stamped with its event's time, the same in this document


def test_a_line_dated_too_far_past_the_drop_is_rejected_with_its_reason_and_the_others_sent(deployed, bucket_function):
    bucket_function(drop(deployed, b"A1;5\nA2;3;2030-01-01T00:00:00Z\n"), None)
    assert queued_lines(deployed) == ["A1;5;2024-05-01T12:00:00.000001Z"]
    [dead] = deployed.drain(deployed.dead_letter_queue_url)
    assert dead["Body"] == "A2;3;2030-01-01T00:00:00Z"
    assert dead["MessageAttributes"]["source"]["StringValue"] == f"s3://stock-drops/{KEY}:2"
    report = report_of(deployed)
    assert (report["lines_sent"], report["lines_rejected"]) == (1, 1)
    assert report["rejected"][0]["reason"].startswith(
        "line 2: as_of 2030-01-01T00:00:00.000000Z is more than 5 minutes after the update was received "
        "(2024-05-01T12:00:00.000002Z)"
    )


URI = f"s3://stock-drops/{KEY}"


def test_what_became_of_each_file_is_logged_with_the_file(deployed, bucket_function, logs):
    event = drop(deployed, b"A1;5\nA2;x\n")
    bucket_function(event, None)
    bucket_function(event, None)  # delivered again
    sequencer = event["Records"][0]["s3"]["object"]["sequencer"]
    assert logs() == [
        ("INFO", "file imported", {"file": URI, "status": "sent", "sent": 1, "rejected": 1}),
        ("INFO", "file already imported; event redelivered", {"file": URI, "event": sequencer}),
    ]


def test_a_file_replaced_or_unreadable_is_logged_with_the_file(deployed, bucket_function, logs):
    older = drop(deployed, b"A1;5\n")
    bucket_function(drop(deployed, b"A1;7\n"), None)
    bucket_function(older, None)
    gone = drop(deployed, b"A1;9\n", key="incoming/gone.txt")
    deployed.s3.delete_object(Bucket=deployed.bucket, Key="incoming/gone.txt")
    bucket_function(gone, None)
    error = report_of(deployed, "reports/gone.txt.report.json")["error"]
    assert "deleted before it could be read" in error
    assert logs()[1:] == [
        ("INFO", "file replaced since this event; its newer upload is imported", {"file": URI}),
        ("ERROR", f"file unreadable: {error}", {"file": "s3://stock-drops/incoming/gone.txt"}),
        (
            "INFO",
            "file imported",
            {"file": "s3://stock-drops/incoming/gone.txt", "status": "unreadable", "sent": 0, "rejected": 0},
        ),
    ]


def test_the_report_names_the_file_and_quotes_each_line_rejected(deployed, bucket_function):
    bucket_function(drop(deployed, b"A1;5\nA2;many\n"), None)
    report = report_of(deployed)
    assert report["file"] == URI
    assert report["rejected"] == [
        {
            "line": 2,
            "text": "A2;many",
            "reason": "line 2: stock_level must be a whole number from 0 to 1000000000, not 'many'",
        }
    ]


class KeptInBatches:
    """The rejected lines of a file as they are handed over to be kept: their sources, one list per batch."""

    def __init__(self):
        self.batches = []

    def keep(self, rejected):
        self.batches.append([item.source for item in rejected])


def without_pauses(deployed, clients, bucket_import_settings, rejected):
    return bucket_import.BucketImportFunction(
        clients.s3,
        SqsStockLineQueue(clients.sqs, deployed.import_queue_url, sleep=lambda _: None),
        rejected,
        bucket_import_settings.folders,
    )


def test_rejected_lines_are_kept_ten_at_a_time_as_they_come(deployed, clients, bucket_import_settings):
    kept = KeptInBatches()
    lines = b"".join(b"A%d;bad\n" % number if number != 12 else b"A12;1\n" for number in range(1, 27))
    without_pauses(deployed, clients, bucket_import_settings, kept)(drop(deployed, lines), None)
    assert [len(batch) for batch in kept.batches] == [10, 10, 5]
    assert kept.batches[1][0] == f"{URI}:11"


def test_lines_the_queue_refuses_are_named_in_the_failure(deployed, clients, bucket_import_settings, mocker):
    send = clients.sqs.send_message_batch

    def refuse_the_import_queue(**request):
        if request["QueueUrl"] != deployed.import_queue_url:
            return send(**request)
        refused = [{"Id": entry["Id"], "Code": "InternalError", "SenderFault": False} for entry in request["Entries"]]
        return {"Successful": [], "Failed": refused}

    mocker.patch.object(clients.sqs, "send_message_batch", side_effect=refuse_the_import_queue)
    function = without_pauses(deployed, clients, bucket_import_settings, KeptInBatches())
    with pytest.raises(RuntimeError) as failed:
        function(drop(deployed, b"A1;5\nA2;6\n"), None)
    assert str(failed.value) == f"the import queue refused 2 line(s) of {URI}; retrying the file"


def test_a_file_is_not_started_without_time_for_one_attempt(deployed, bucket_function):
    with pytest.raises(OutOfTime):
        bucket_function(drop(deployed, b"A1;5\n"), Context(500))
    assert deployed.drain(deployed.import_queue_url) == []
