import json

from harness.lambda_events import s3_event
from tools.dead_letters import Waiting, describe, redrive


def test_a_dropped_file_the_function_gave_up_on_is_named_with_its_condition_and_error():
    # An invocation record as Lambda documents it (invocation-async-retain-records.html), around S3's event.
    record = {
        "version": "1.0",
        "timestamp": "2024-05-01T12:03:05.568Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
            "functionArn": "arn:aws:lambda:eu-west-3:123456789012:function:stock-drop:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": s3_event("stock-drops", "incoming/monday delivery.txt", "abc", "01"),
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "the import queue refused 3 line(s)", "errorType": "RuntimeError"},
    }
    waiting = Waiting([], [], [], [{"Body": json.dumps(record)}, {"Body": "not json"}])
    lines = describe(waiting)
    assert lines[0] == "2 dropped file(s) the bucket's function gave up on (upload again to retry):"
    assert lines[1] == (
        "  s3://stock-drops/incoming/monday delivery.txt: RetriesExhausted after 3 attempt(s): "
        "the import queue refused 3 line(s)"
    )
    assert lines[2].startswith("  (not an invocation record)")


def test_redrive_names_the_import_queue_since_rejected_lines_have_no_source_queue(mocker):
    # Without DestinationArn, SQS moves each message back to its original source queue (API_StartMessageMoveTask);
    # the functions send rejected lines to the dead-letter queue directly, so they have none.
    outputs = {"dead_letter_queue_url": "https://sqs/dlq", "queue_url": "https://sqs/import"}
    sqs = mocker.Mock()
    sqs.receive_message.side_effect = [{"Messages": [{"MessageId": "1", "ReceiptHandle": "r", "Body": "A;1"}]}, {}]
    sqs.get_queue_attributes.side_effect = lambda QueueUrl, AttributeNames: {
        "Attributes": {"QueueArn": f"arn:aws:sqs:eu-west-3:1:{QueueUrl.rsplit('/', 1)[-1]}"}
    }
    sqs.start_message_move_task.return_value = {"TaskHandle": "t"}
    assert "Moving 1 message(s)" in redrive(sqs, outputs)
    sqs.start_message_move_task.assert_called_once_with(
        SourceArn="arn:aws:sqs:eu-west-3:1:dlq", DestinationArn="arn:aws:sqs:eu-west-3:1:import"
    )
