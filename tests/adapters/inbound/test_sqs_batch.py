from datetime import UTC, datetime

from adapters.inbound.sqs_batch import QueueMessage, parse_queue_messages, partial_batch_response
from harness.lambda_events import load


def test_documented_batch_becomes_messages_with_their_sent_time():
    messages = parse_queue_messages(load("sqs_batch.json"))
    assert messages == [
        QueueMessage("059f36b4-87a3-44ab-83d2-661975830a7d", "A111;3\nB222;0\n", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        QueueMessage(
            "2e1424d4-f796-459a-8184-9c92662be6da",
            "C333;12;2024-05-01T11:00:00Z",
            datetime(2024, 5, 1, 12, 0, 1, tzinfo=UTC),
        ),
    ]


def test_partial_batch_response_names_only_failed_messages():
    assert partial_batch_response(["m2"]) == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert partial_batch_response([]) == {"batchItemFailures": []}


def test_a_record_without_attributes_or_body_is_an_empty_message_sent_now():
    before = datetime.now(UTC)
    [message] = parse_queue_messages({"Records": [{"messageId": "m1"}]})
    assert (message.message_id, message.body) == ("m1", "")
    assert before <= message.sent_at <= datetime.now(UTC)
