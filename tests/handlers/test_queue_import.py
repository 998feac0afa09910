import logging
import threading
from dataclasses import replace

import pytest

from handlers import queue_import
from handlers.aws import WRITE_CONCURRENCY
from handlers.settings import DeadLetterQueue
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
