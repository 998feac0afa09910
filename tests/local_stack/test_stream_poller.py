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


class Shard:
    """A stream of one shard, read as GetRecords reads it: an iterator is the position of the next record."""

    def __init__(self, *records):
        self.records = list(records)

    def describe_stream(self, StreamArn):
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, StreamArn, ShardId, ShardIteratorType):
        return {"ShardIterator": "0"}

    def get_records(self, ShardIterator, Limit):
        start = int(ShardIterator)
        page = self.records[start : start + Limit]
        return {"Records": page, "NextShardIterator": str(start + len(page))}


def poller(function, mocker, streams=None, **mapping):
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
        streams or mocker.Mock(), sqs, STREAM, "eu-west-3", settings, function, {FAILURES: "https://q/failures"}
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
    description = json.loads(call.kwargs["MessageBody"])
    info = description["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == ("7", "7", 1)
    assert description["requestContext"] == {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 3}
    assert call.kwargs["QueueUrl"] == "https://q/failures"


def test_records_older_than_the_maximum_age_are_given_up_after_a_failure(mocker):
    function = ScriptedFunction(CRASH)
    subject, sqs = poller(function, mocker, maximumRecordAgeInSeconds=60)
    subject._process("shard", [record(1, age_seconds=120)])
    assert function.calls == [["1"]]
    [call] = sqs.send_message.call_args_list
    assert json.loads(call.kwargs["MessageBody"])["requestContext"]["condition"] == "RecordAgeExceeded"


def test_a_handled_batch_is_not_read_again(mocker):
    function = ScriptedFunction()
    subject, _ = poller(function, mocker, streams=Shard(record(1), record(2)))
    subject.poll_once()
    subject.poll_once()
    assert function.calls == [["1", "2"]]


def test_records_whose_invocation_raised_are_read_again_not_skipped(mocker):
    def function(event):
        calls.append([r["dynamodb"]["SequenceNumber"] for r in event["Records"]])
        if len(calls) == 1:
            raise OSError("the execution environment could not be started")
        return Invocation(result={"batchItemFailures": []})

    calls: list[list[str]] = []
    subject, _ = poller(function, mocker, streams=Shard(record(1), record(2)))
    with pytest.raises(OSError, match="could not be started"):
        subject.poll_once()
    subject.poll_once()
    subject.poll_once()
    assert calls == [["1", "2"], ["1", "2"]]


def test_a_batch_the_failure_queue_refused_to_take_is_read_again(mocker):
    function = ScriptedFunction(CRASH, CRASH)
    subject, sqs = poller(function, mocker, streams=Shard(record(1)), maximumRetryAttempts=0)
    sqs.send_message.side_effect = [OSError("the failure queue is unavailable"), {"MessageId": "m-1"}]
    with pytest.raises(OSError, match="unavailable"):
        subject.poll_once()
    subject.poll_once()
    subject.poll_once()
    assert function.calls == [["1"], ["1"]]
    assert sqs.send_message.call_count == 2  # described once it could be, then left behind


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
