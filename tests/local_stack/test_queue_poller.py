from local_stack.lambda_service.functions import Invocation
from local_stack.lambda_service.queue_poller import QueuePoller

QUEUE = "arn:aws:sqs:eu-west-3:123456789012:imports"


def message(n):
    return {"MessageId": f"m{n}", "ReceiptHandle": f"r{n}", "Body": f"A{n};1", "Attributes": {"SentTimestamp": "1"}}


def deliver(mocker, result, reports=True):
    sqs = mocker.Mock()
    types = ["ReportBatchItemFailures"] if reports else []
    poller = QueuePoller(sqs, "https://q", QUEUE, "eu-west-3", {"functionResponseTypes": types}, lambda event: result)
    poller._deliver([message(n) for n in (1, 2, 3)])
    return [
        entry["ReceiptHandle"] for call in sqs.delete_message_batch.call_args_list for entry in call.kwargs["Entries"]
    ]


def test_only_the_messages_that_succeeded_are_deleted(mocker):
    deleted = deliver(mocker, Invocation(result={"batchItemFailures": [{"itemIdentifier": "m2"}]}))
    assert deleted == ["r1", "r3"]


def test_a_function_error_deletes_nothing(mocker):
    assert deliver(mocker, Invocation(error={"errorType": "RuntimeError"})) == []


def test_a_report_naming_an_unknown_message_fails_the_whole_batch(mocker):
    assert deliver(mocker, Invocation(result={"batchItemFailures": [{"itemIdentifier": "nope"}]})) == []


def test_without_report_batch_item_failures_a_returned_list_is_ignored(mocker):
    result = Invocation(result={"batchItemFailures": [{"itemIdentifier": "m2"}]})
    assert deliver(mocker, result, reports=False) == ["r1", "r2", "r3"]


def test_records_carry_the_shape_lambda_delivers(mocker):
    poller = QueuePoller(mocker.Mock(), "https://q", QUEUE, "eu-west-3", {}, lambda event: Invocation())
    record = poller._record(message(1) | {"MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}})
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == QUEUE
    assert record["messageAttributes"]["k"]["stringValue"] == "v"
    assert record["attributes"]["SentTimestamp"] == "1"
