import logging
import threading
from dataclasses import replace

import pytest

from handlers import queue_import
from handlers.aws import WRITE_CONCURRENCY
from handlers.settings import DeadLetterQueue, ReorderDefault, UpdateTimes
from harness.lambda_events import load, sqs_event


@pytest.fixture
def handler(import_settings, clients):
    return queue_import.build(import_settings, clients)


def test_every_line_of_every_message_is_applied(deployed, handler):
    assert handler(load("sqs_batch.json"), None) == {"batchItemFailures": []}
    assert deployed.stored("A111")["stock_level"] == {"N": "3"}
    assert deployed.stored("B222")["stock_level"] == {"N": "0"}
    assert deployed.stored("C333") == {
        "stock_id": {"S": "C333"},
        "stock_level": {"N": "12"},
        "as_of": {"S": "2024-05-01T11:00:00.000000Z"},
        "default_reorder_point": {"N": "1"},  # the domain's default: these settings give none
    }


def test_bad_lines_go_to_the_dead_letter_queue_and_good_ones_still_apply(deployed, handler, caplog):
    with caplog.at_level(logging.WARNING):
        response = handler(sqs_event("A1;5\nA2;five\nA3;2"), None)
    assert response == {"batchItemFailures": []}
    assert deployed.stored("A1")["stock_level"] == {"N": "5"}
    assert deployed.stored("A3")["stock_level"] == {"N": "2"}
    [kept] = deployed.drain(deployed.dead_letter_queue_url)
    assert kept["Body"] == "A2;five"
    assert kept["MessageAttributes"]["source"]["StringValue"] == "msg-0:2"
    assert "whole number" in kept["MessageAttributes"]["reason"]["StringValue"]
    assert "msg-0:2" in caplog.text


def test_redelivery_changes_nothing_already_applied(deployed, handler):
    event = sqs_event("A1;5", sent_ms=1714564800000)
    handler(event, None)
    handler(sqs_event("A1;7", sent_ms=1714564900000), None)
    handler(event, None)
    assert deployed.stored("A1")["stock_level"] == {"N": "7"}


def test_only_the_message_that_failed_transiently_is_retried(deployed, clients, handler, mocker):
    real_update = deployed.dynamodb.update_item

    def throttled_for_b(**kwargs):
        if kwargs["Key"]["stock_id"]["S"] == "B1":
            raise deployed.dynamodb.exceptions.ProvisionedThroughputExceededException(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "UpdateItem"
            )
        return real_update(**kwargs)

    mocker.patch.object(clients.dynamodb, "update_item", side_effect=throttled_for_b)
    response = handler(sqs_event("A1;1", "B1;1", "C1;1"), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    assert deployed.stored("A1") is not None
    assert deployed.stored("C1") is not None


def test_a_message_whose_rejects_cannot_be_kept_is_retried(deployed, import_settings, clients):
    gone = DeadLetterQueue(url=deployed.dead_letter_queue_url + "-gone")
    handler = queue_import.build(replace(import_settings, dead_letters=gone), clients)
    response = handler(sqs_event("A1;1\nbad"), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}


def test_a_line_dated_too_far_past_the_messages_sending_is_kept_with_its_reason_and_the_others_apply(deployed, handler):
    sent_at_noon = 1714564800000  # 2024-05-01T12:00:00Z
    response = handler(
        sqs_event("A1;5\nA2;3;9999-12-31T23:59:59Z\nA3;2;2024-05-01T12:04:00Z", sent_ms=sent_at_noon), None
    )
    assert response == {"batchItemFailures": []}
    assert deployed.stored("A1")["stock_level"] == {"N": "5"}
    assert deployed.stored("A2") is None
    assert deployed.stored("A3")["as_of"] == {"S": "2024-05-01T12:04:00.000000Z"}
    [kept] = deployed.drain(deployed.dead_letter_queue_url)
    assert kept["Body"] == "A2;3;9999-12-31T23:59:59Z"
    assert kept["MessageAttributes"]["source"]["StringValue"] == "msg-0:2"
    assert kept["MessageAttributes"]["reason"]["StringValue"] == (
        "line 2: as_of 9999-12-31T23:59:59.000000Z is more than 5 minutes after the update was received "
        "(2024-05-01T12:00:00.000000Z); send the time the level was counted, from a clock that is set right"
    )


def test_what_a_message_became_is_logged_line_by_line_and_in_all(deployed, handler, logs):
    handler(sqs_event("A1;7", sent_ms=1714564900000), None)
    handler(sqs_event("A1;5\nA2;five\nA3;2\nA4;0", sent_ms=1714564800000), None)
    reason = "line 2: stock_level must be a whole number from 0 to 1000000000, not 'five'"
    assert logs() == [
        ("INFO", "message applied", {"message_id": "msg-0", "applied": 1, "stale": 0, "rejected": 0}),
        (
            "WARNING",
            f"line msg-0:2 rejected and kept in the dead-letter queue: {reason}",
            {"source": "msg-0:2", "line": "A2;five", "reason": reason},
        ),
        ("INFO", "message applied", {"message_id": "msg-0", "applied": 2, "stale": 1, "rejected": 1}),
    ]


def test_a_message_that_fails_is_logged_with_its_id(deployed, import_settings, clients, logs):
    gone = DeadLetterQueue(url=deployed.dead_letter_queue_url + "-gone")
    queue_import.build(replace(import_settings, dead_letters=gone), clients)(sqs_event("A1;1\nbad"), None)
    assert logs() == [("ERROR", "message failed; it will be retried", {"message_id": "msg-0"})]


def test_a_message_s_lines_are_saved_up_to_16_at_once(deployed, handler, clients, mocker):
    together = threading.Barrier(WRITE_CONCURRENCY, timeout=2)  # broken unless 16 saves are in flight at once
    save = clients.dynamodb.update_item

    def save_when_all_are_in_flight(**request):
        together.wait()
        return save(**request)

    mocker.patch.object(clients.dynamodb, "update_item", side_effect=save_when_all_are_in_flight)
    lines = "\n".join(f"A{number};{number}" for number in range(WRITE_CONCURRENCY))
    assert handler(sqs_event(lines), None) == {"batchItemFailures": []}
    assert deployed.stored("A15")["stock_level"] == {"N": "15"}


def test_named_lines_set_each_field_they_name_and_a_plain_line_still_sets_the_level(deployed, handler):
    body = "\n".join(
        [
            "A1;reorder_point=5",
            "A1;low_stock_alerts=false;as_of=2024-05-01T11:00:00Z",
            "A2;stock_level=3;reorder_point=2",
            "A3;4",
        ]
    )
    assert handler(sqs_event(body), None) == {"batchItemFailures": []}
    assert deployed.stored("A1") == {
        "stock_id": {"S": "A1"},
        "reorder_point": {"N": "5"},
        "reorder_point_as_of": {"S": "2024-05-01T12:00:00.000000Z"},
        "low_stock_alerts": {"BOOL": False},
        "low_stock_alerts_as_of": {"S": "2024-05-01T11:00:00.000000Z"},
        "default_reorder_point": {"N": "1"},
    }
    assert (deployed.stored("A2")["stock_level"], deployed.stored("A2")["reorder_point"]) == ({"N": "3"}, {"N": "2"})
    assert deployed.stored("A3")["stock_level"] == {"N": "4"}


def test_a_line_that_sets_the_level_and_a_later_one_that_sets_the_reorder_point_both_apply(deployed, handler):
    """Lines of one message share its time: the last to set a field wins for that field, and only for it."""
    handler(sqs_event("A1;stock_level=3;reorder_point=9\nA1;reorder_point=5\nA1;low_stock_alerts=false"), None)
    stored = deployed.stored("A1")
    assert (stored["stock_level"], stored["reorder_point"], stored["low_stock_alerts"]) == (
        {"N": "3"},
        {"N": "5"},
        {"BOOL": False},
    )


def test_a_reorder_point_named_default_goes_back_to_the_stack_s_default(deployed, handler):
    handler(sqs_event("A1;reorder_point=5", sent_ms=1714564800000), None)
    handler(sqs_event("A1;reorder_point=default", sent_ms=1714564801000), None)
    stored = deployed.stored("A1")
    assert "reorder_point" not in stored
    assert stored["reorder_point_as_of"] == {"S": "2024-05-01T12:00:01.000000Z"}


def test_every_write_carries_the_stack_s_default_reorder_point_from_the_settings(deployed, import_settings, clients):
    settings = replace(import_settings, reorder_default=ReorderDefault(value=7))
    queue_import.build(settings, clients)(sqs_event("A1;3"), None)
    assert deployed.stored("A1")["default_reorder_point"] == {"N": "7"}


def test_how_far_ahead_a_line_may_be_dated_comes_from_the_settings(deployed, import_settings, clients):
    settings = replace(import_settings, times=UpdateTimes(max_ahead_seconds=0))
    handler = queue_import.build(settings, clients)
    assert handler(sqs_event("A1;3;2024-05-01T12:00:01Z", sent_ms=1714564800000), None) == {"batchItemFailures": []}
    assert deployed.stored("A1") is None
    [kept] = deployed.drain(deployed.dead_letter_queue_url)
    assert "is more than 0 seconds after the update was received" in kept["MessageAttributes"]["reason"]["StringValue"]


def test_a_bad_named_line_is_kept_in_the_dead_letter_queue_with_its_reason_and_the_others_apply(deployed, handler):
    assert handler(
        sqs_event("A1;reorder_point=5\nA2;reorder_point=5;colour=red\nA3;as_of=2024-05-01T11:00:00Z"), None
    ) == {"batchItemFailures": []}
    assert deployed.stored("A1")["reorder_point"] == {"N": "5"}
    kept = {
        message["MessageAttributes"]["source"]["StringValue"]: (
            message["Body"],
            message["MessageAttributes"]["reason"]["StringValue"],
        )
        for message in deployed.drain(deployed.dead_letter_queue_url)
    }
    assert kept == {
        "msg-0:2": (
            "A2;reorder_point=5;colour=red",
            "line 2: unknown name 'colour': the names are stock_level, reorder_point, low_stock_alerts, as_of",
        ),
        "msg-0:3": (
            "A3;as_of=2024-05-01T11:00:00Z",
            "line 3: an update must set at least one of stock_level, reorder_point, low_stock_alerts",
        ),
    }


def test_an_update_whose_fields_are_all_stale_counts_as_stale_and_one_with_any_newer_field_as_applied(
    deployed, handler, logs
):
    handler(sqs_event("A1;stock_level=7;reorder_point=4\nA2;reorder_point=3", sent_ms=1714564900000), None)
    handler(sqs_event("A1;stock_level=5;low_stock_alerts=false\nA2;reorder_point=2", sent_ms=1714564800000), None)
    assert [fields for level, message, fields in logs() if message == "message applied"][-1] == {
        "message_id": "msg-0",
        "applied": 1,
        "stale": 1,
        "rejected": 0,
    }
    assert deployed.stored("A1")["stock_level"] == {"N": "7"}
    assert deployed.stored("A1")["low_stock_alerts"] == {"BOOL": False}
    assert deployed.stored("A2")["reorder_point"] == {"N": "3"}
