import logging

from adapters.inbound.dynamodb_stream import StreamRecord, parse_stream_records, partial_batch_response
from domain.low_stock import LevelChange
from harness.lambda_events import load, stream_event


def test_documented_records_become_level_changes():
    assert parse_stream_records(load("dynamodb_stream.json")) == [
        StreamRecord("111", LevelChange("A111", None, 1), "c4ca4238a0b923820dcc509a6f75849b"),
        StreamRecord("222", LevelChange("B222", 7, 0), "c81e728d9d4c2f636f067f89cc14862c"),
        StreamRecord("333", None, "eccbc87e4b5ce2fe28308fd9f2a7baf3"),
    ]


def test_a_record_without_a_valid_level_is_skipped_and_logged(caplog):
    event = stream_event(("A1", 5, 2))
    event["Records"][0]["dynamodb"]["NewImage"]["stock_level"] = {"S": "lots"}
    with caplog.at_level(logging.ERROR):
        assert parse_stream_records(event) == [StreamRecord("100", None, "A1-1-5-2")]
    assert "no valid stock level" in caplog.text


def test_partial_batch_response_resumes_at_the_first_failure():
    assert partial_batch_response("222") == {"batchItemFailures": [{"itemIdentifier": "222"}]}
    assert partial_batch_response(None) == {"batchItemFailures": []}


def test_an_item_without_a_level_yet_is_skipped_quietly(caplog):
    event = stream_event(("A1", None, 2))
    del event["Records"][0]["dynamodb"]["NewImage"]["stock_level"]
    with caplog.at_level(logging.WARNING):
        assert parse_stream_records(event) == [StreamRecord("100", None, "A1-1-None-2")]
    assert caplog.text == ""


def test_an_old_image_without_a_level_counts_as_no_previous_level():
    event = stream_event(("A1", 5, 1))
    del event["Records"][0]["dynamodb"]["OldImage"]["stock_level"]
    assert parse_stream_records(event) == [StreamRecord("100", LevelChange("A1", None, 1), "A1-1-5-1")]


def test_the_log_of_a_skipped_record_names_its_sequence_number_and_the_error(caplog):
    event = stream_event(("A1", 5, 2))
    event["Records"][0]["dynamodb"]["NewImage"]["stock_level"] = {"N": "-1"}
    with caplog.at_level(logging.ERROR):
        parse_stream_records(event)
    [record] = caplog.records
    assert record.getMessage() == "stream record has no valid stock level; skipped"
    assert (vars(record)["sequence_number"], vars(record)["error"]) == (
        "100",
        "stock_level must be a whole number from 0 to 1000000000, not '-1'",
    )


def test_a_record_without_an_event_id_has_an_empty_one():
    event = stream_event(("A1", 5, 2))
    del event["Records"][0]["eventID"]
    assert parse_stream_records(event) == [StreamRecord("100", LevelChange("A1", 5, 2), "")]


def test_a_record_without_a_new_image_is_skipped_whatever_its_kind():
    event = stream_event(("A1", 5, 2))  # a MODIFY, as a stream of keys or old images only would send it
    del event["Records"][0]["dynamodb"]["NewImage"]
    assert parse_stream_records(event) == [StreamRecord("100", None, "A1-1-5-2")]
