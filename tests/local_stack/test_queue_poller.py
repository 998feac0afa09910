import itertools
import threading

import pytest

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


class EndlessQueue:
    """A queue that always has one more message for whoever asks."""

    def __init__(self):
        self._sent = itertools.count()

    def receive_message(self, **_):
        n = next(self._sent)
        return {"Messages": [message(n)]}

    def delete_message_batch(self, **_):
        return {}


class HeldInvocations:
    """A function whose invocations run until released, counting how many run at once."""

    def __init__(self):
        self.running = 0
        self.most = 0
        self.changed = threading.Condition()
        self.released = threading.Event()

    def __call__(self, event):
        with self.changed:
            self.running += 1
            self.most = max(self.most, self.running)
            self.changed.notify_all()
        self.released.wait(timeout=30)
        with self.changed:
            self.running -= 1
        return Invocation(result={"batchItemFailures": []})


@pytest.mark.parametrize(
    ("scaling", "at_once"), [({}, 5), ({"maximumConcurrency": 10}, 5), ({"maximumConcurrency": 2}, 2)]
)
def test_batches_are_delivered_five_at_once_or_as_few_as_the_maximum_concurrency(scaling, at_once):
    function = HeldInvocations()
    mapping = {"batchSize": 1, "scalingConfig": scaling}
    poller = QueuePoller(EndlessQueue(), "https://q", QUEUE, "eu-west-3", mapping, function)
    polling = threading.Thread(target=poller.run)  # as the local stack runs it
    polling.start()
    try:
        with function.changed:
            assert function.changed.wait_for(lambda: function.running == at_once, timeout=30)
        # Every reader now waits on its invocation: none is left to start another batch.
        readers = [thread for thread in threading.enumerate() if thread.name.startswith(polling.name)]
        assert (len(readers), function.most) == (at_once, at_once)
    finally:
        poller.stop()
        function.released.set()
        polling.join(timeout=30)
    assert not polling.is_alive()
    assert not any(reader.is_alive() for reader in readers)  # run() returned once every reader had
    assert function.running == 0


def test_a_batch_received_as_the_stack_stops_is_left_to_come_back(mocker):
    invoke = mocker.Mock(return_value=Invocation())
    poller = QueuePoller(mocker.Mock(), "https://q", QUEUE, "eu-west-3", {}, invoke)

    def receive_as_the_stack_stops(**_):
        poller.stop()  # the stop comes while the long poll waits
        return {"Messages": [message(1)]}

    poller._sqs.receive_message.side_effect = receive_as_the_stack_stops
    poller.poll_once()
    invoke.assert_not_called()
    poller._sqs.delete_message_batch.assert_not_called()
