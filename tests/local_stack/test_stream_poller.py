import json
import time

import pytest

from local_stack.lambda_service.functions import Invocation
from local_stack.lambda_service.stream_poller import StreamPoller, matches

STREAM = "arn:aws:dynamodb:eu-west-3:123456789012:table/t/stream/1"
FAILURES = "arn:aws:sqs:eu-west-3:123456789012:failures"


def record(sequence, event_name="MODIFY", age_seconds=0.0):
    return {
        "eventName": event_name,
        "dynamodb": {"SequenceNumber": str(sequence), "ApproximateCreationDateTime": time.time() - age_seconds},
    }


class ScriptedFunction:
    """Answers each invocation from a script, recording the sequence numbers it was given."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, event):
        self.calls.append([r["dynamodb"]["SequenceNumber"] for r in event["Records"]])
        answer = self.answers.pop(0) if self.answers else {"batchItemFailures": []}
        return answer if isinstance(answer, Invocation) else Invocation(result=answer)


def poller(function, mocker, **mapping):
    settings = {
        "batchSize": 10,
        "bisectBatchOnFunctionError": True,
        "maximumRetryAttempts": 3,
        "maximumRecordAgeInSeconds": 3600,
        "functionResponseTypes": ["ReportBatchItemFailures"],
        "destinationConfig": {"onFailure": {"destinationArn": FAILURES}},
        **mapping,
    }
    sqs = mocker.Mock()
    subject = StreamPoller(
        mocker.Mock(), sqs, STREAM, "eu-west-3", settings, function, {FAILURES: "https://q/failures"}
    )
    mocker.patch.object(subject._stopped, "wait", return_value=False)  # no back-off sleeps in tests
    return subject, sqs


CRASH = Invocation(error={"errorType": "RuntimeError", "errorMessage": "boom"})


def test_a_partial_failure_resumes_from_the_named_record(mocker):
    function = ScriptedFunction({"batchItemFailures": [{"itemIdentifier": "3"}]})
    subject, _ = poller(function, mocker)
    subject._process("shard", [record(n) for n in (1, 2, 3, 4)])
    assert function.calls == [["1", "2", "3", "4"], ["3", "4"]]


def test_a_function_error_halves_the_batch_and_keeps_the_order(mocker):
    function = ScriptedFunction(CRASH)
    subject, _ = poller(function, mocker)
    subject._process("shard", [record(n) for n in (1, 2, 3, 4)])
    assert function.calls == [["1", "2", "3", "4"], ["1", "2"], ["3", "4"]]


def test_without_bisect_the_whole_batch_is_retried(mocker):
    function = ScriptedFunction(CRASH)
    subject, _ = poller(function, mocker, bisectBatchOnFunctionError=False)
    subject._process("shard", [record(n) for n in (1, 2)])
    assert function.calls == [["1", "2"], ["1", "2"]]


def test_a_batch_that_exhausts_its_retries_is_described_on_the_failure_queue_and_skipped(mocker):
    function = ScriptedFunction(*[CRASH] * 10)
    subject, sqs = poller(function, mocker, maximumRetryAttempts=2)
    subject._process("shard", [record(7)])
    assert len(function.calls) == 3  # the first try and two retries
    [call] = sqs.send_message.call_args_list
    info = json.loads(call.kwargs["MessageBody"])["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == ("7", "7", 1)
    assert call.kwargs["QueueUrl"] == "https://q/failures"


def test_records_older_than_the_maximum_age_are_given_up_after_a_failure(mocker):
    function = ScriptedFunction(CRASH)
    subject, sqs = poller(function, mocker, maximumRecordAgeInSeconds=60)
    subject._process("shard", [record(1, age_seconds=120)])
    assert function.calls == [["1"]]
    sqs.send_message.assert_called_once()


def test_a_failure_naming_an_unknown_record_retries_the_whole_batch(mocker):
    function = ScriptedFunction({"batchItemFailures": [{"itemIdentifier": "99"}]})
    subject, _ = poller(function, mocker)
    subject._process("shard", [record(1), record(2)])
    assert function.calls == [["1", "2"], ["1", "2"]]


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ({"eventName": ["INSERT", "MODIFY"]}, {"eventName": "MODIFY"}, True),
        ({"eventName": ["INSERT", "MODIFY"]}, {"eventName": "REMOVE"}, False),
        ({"dynamodb": {"Keys": {"stock_id": {"S": ["A1"]}}}}, {"dynamodb": {"Keys": {"stock_id": {"S": "A1"}}}}, True),
        ({"dynamodb": {"Keys": {"stock_id": {"S": ["A1"]}}}}, {"dynamodb": {}}, False),
    ],
)
def test_filter_patterns_match_as_lambda_event_filtering_does(pattern, value, expected):
    assert matches(pattern, value) is expected
