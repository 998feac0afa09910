"""What Lambda refuses when an event source mapping is created, refused at start-up with its message."""

import json
from pathlib import Path

import pytest

from local_stack.lambda_service.event_source_checks import EventSourceRefused, check_event_source
from local_stack.local_cloud import DeclaredEventSource, DeclaredFunction, LocalDeclarations

QUEUE = "arn:aws:sqs:eu-west-3:123456789012:imports"
FUNCTION = "arn:aws:lambda:eu-west-3:123456789012:function:importer"
ROLE = "arn:aws:iam::123456789012:role/importer-role"
READS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]


def declared(visibility=60, timeout=10, actions=READS):
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Action": actions, "Resource": QUEUE}]})
    return LocalDeclarations(
        functions={
            "importer": DeclaredFunction("importer", FUNCTION, ROLE, "h.handler", Path("x.zip"), {}, timeout, 128)
        },
        queues={QUEUE: "http://queue"},
        queue_visibility_timeouts={QUEUE: visibility},
        role_policies={"importer-role": [policy]},
    )


def source(**inputs):
    return DeclaredEventSource(QUEUE, FUNCTION, {"batchSize": 10, **inputs})


def test_a_mapping_lambda_accepts_starts():
    check_event_source(source(), declared())


def test_a_queue_that_hides_messages_for_less_than_the_function_may_run_is_refused():
    with pytest.raises(
        EventSourceRefused, match="Queue visibility timeout: 5 seconds is less than Function timeout: 10"
    ):
        check_event_source(source(), declared(visibility=5))


def test_a_batch_over_ten_without_a_batching_window_is_refused():
    with pytest.raises(EventSourceRefused, match="batch window"):
        check_event_source(source(batchSize=50), declared())
    check_event_source(source(batchSize=50, maximumBatchingWindowInSeconds=1), declared())


def test_a_role_that_cannot_receive_from_its_queue_is_refused_with_the_action_and_queue_named():
    with pytest.raises(EventSourceRefused, match=f"ReceiveMessage on SQS .* may not sqs:ReceiveMessage on {QUEUE}"):
        check_event_source(source(), declared(actions=READS[1:]))
    check_event_source(source(), declared(actions=READS[1:]), check_iam=False)  # --no-auth
