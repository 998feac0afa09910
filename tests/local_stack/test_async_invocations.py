"""Lambda's asynchronous invocation as the local stack runs it: retries, then a record on the failure queue."""

import json
import threading

import pytest

from local_stack.lambda_service.async_invocations import AsyncInvoker, AsyncSettings
from local_stack.lambda_service.functions import Invocation
from tests.running_stack import eventually

ARN = "arn:aws:lambda:eu-west-3:123456789012:function:importer"
FAILED = Invocation(error={"errorType": "RuntimeError", "errorMessage": "queue unavailable"})


class Recorder:
    """A function that fails its first `failures` invocations, and a failure queue."""

    def __init__(self, failures):
        self.failures = failures
        self.attempts = 0
        self.failure_records = []
        self._lock = threading.Lock()

    def invoke(self, event):
        with self._lock:
            self.attempts += 1
            return FAILED if self.attempts <= self.failures else Invocation(result={"files": 1})

    def send_failure(self, url, body):
        self.failure_records.append((url, json.loads(body)))


@pytest.fixture
def started():
    invokers = []

    def start(recorder, **settings):
        invoker = AsyncInvoker(
            ARN,
            recorder.invoke,
            AsyncSettings(on_failure_queue_url="http://failures", **settings),
            recorder.send_failure,
            retry_delays=(0.05, 0.1),
        )
        invoker.start()
        invokers.append(invoker)
        return invoker

    yield start
    for invoker in invokers:
        invoker.stop()


def test_a_failed_invocation_is_retried_and_nothing_is_recorded_once_it_succeeds(started):
    recorder = Recorder(failures=2)
    invoker = started(recorder)
    invoker.submit({"Records": []})
    eventually(lambda: recorder.attempts == 3, timeout=60)
    # Stopping lets each worker finish the event it holds, then ends it: after that no record can still come.
    invoker.stop()
    eventually(lambda: not [t for t in threading.enumerate() if t.name.startswith(f"async-{ARN}-")], timeout=60)
    assert recorder.attempts == 3
    assert recorder.failure_records == []


def test_an_event_that_fails_every_attempt_is_recorded_on_the_failure_queue_with_its_condition(started):
    recorder = Recorder(failures=99)
    event = {"Records": [{"s3": {"object": {"key": "incoming/a.txt"}}}]}
    started(recorder).submit(event)
    [(url, record)] = eventually(lambda: recorder.failure_records, timeout=60)
    assert url == "http://failures"
    assert recorder.attempts == 3  # the first attempt and two retries
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == event
    assert record["responsePayload"]["errorMessage"] == "queue unavailable"


def test_no_retry_is_made_when_the_function_is_configured_without_retries(started):
    recorder = Recorder(failures=99)
    started(recorder, maximum_retry_attempts=0).submit({})
    eventually(lambda: recorder.failure_records, timeout=60)
    assert recorder.attempts == 1
