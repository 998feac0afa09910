"""What Lambda refuses when event sources and asynchronous destinations are set up, refused here at start-up
(S3's check of a bucket notification: local_stack.aws.s3_notifications).

CreateEventSourceMapping fails with InvalidParameterValueException when a queue hides a message for less time
than the function may run, when a standard queue's batch exceeds ten messages without a batching window, or when
the function's role cannot read its source or reach its on-failure destination
(docs.aws.amazon.com/lambda/latest/dg/with-sqs.html, docs.aws.amazon.com/lambda/latest/dg/with-ddb.html).
The visibility-timeout message is AWS's word for word, as deployments report it (winglang/wing#1507,
github-aws-runners/terraform-aws-github-runner#465); the others state the same documented conditions in
words that may differ from AWS's.
"""

from __future__ import annotations

from local_stack.aws.iam_policies import Identity
from local_stack.local_cloud import DeclaredEventSource, DeclaredFunction, LocalDeclarations

_QUEUE_READ_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
_STREAM_READ_ACTIONS = ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream")


class EventSourceRefused(RuntimeError):
    """An event source mapping Lambda would not create."""


def identity_of(function: DeclaredFunction, declared: LocalDeclarations) -> Identity:
    """The function's role, with the policies the program declared for it."""
    return Identity(function.role_arn, function.name, tuple(declared.policies_of(function.role_arn)))


def check_event_source(source: DeclaredEventSource, declared: LocalDeclarations, check_iam: bool = True) -> None:
    """Raise EventSourceRefused with AWS's message if Lambda would refuse to create this mapping."""
    function = next(f for f in declared.functions.values() if f.arn == source.function_arn)
    identity = identity_of(function, declared)
    if source.source_arn in declared.queues:
        _check_queue_source(source, function, declared)
        if check_iam:
            for action in _QUEUE_READ_ACTIONS:
                _require(identity, action, source.source_arn, f"call {action.split(':')[1]} on SQS")
        return
    if check_iam:
        missing = [
            (action, resource)
            for action, resource in [(a, source.source_arn) for a in _STREAM_READ_ACTIONS]
            + [("dynamodb:ListStreams", "*")]
            if not identity.allows(action, resource)
        ]
        if missing:
            raise EventSourceRefused(
                f"InvalidParameterValueException: Cannot access stream {source.source_arn}. Please ensure the role "
                "can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your "
                f"stream in IAM. (function {function.name}: {_named(identity, missing)})"
            )
        destination = ((source.inputs.get("destinationConfig") or {}).get("onFailure") or {}).get("destinationArn")
        if destination:
            _require(identity, "sqs:SendMessage", destination, "call SendMessage on SQS")


def _check_queue_source(source: DeclaredEventSource, function: DeclaredFunction, declared: LocalDeclarations) -> None:
    visibility = declared.queue_visibility_timeouts.get(source.source_arn, 30)
    if visibility < function.timeout_seconds:
        raise EventSourceRefused(
            f"InvalidParameterValueException: Queue visibility timeout: {visibility} seconds is less than "
            f"Function timeout: {function.timeout_seconds} seconds"
        )
    batch_size = int(source.inputs.get("batchSize") or 10)
    window = int(source.inputs.get("maximumBatchingWindowInSeconds") or 0)
    if batch_size > 10 and window < 1:
        raise EventSourceRefused(
            "InvalidParameterValueException: Maximum batch window in seconds must be greater than 0 if maximum "
            f"batch size is greater than 10 (batch size {batch_size})"
        )


def _require(identity: Identity, action: str, resource: str, what: str) -> None:
    if not identity.allows(action, resource):
        raise EventSourceRefused(
            f"InvalidParameterValueException: The provided execution role does not have permissions to {what} "
            f"(function {identity.session_name}: {_named(identity, [(action, resource)])})"
        )


def _named(identity: Identity, missing: list[tuple[str, str]]) -> str:
    refused = "; ".join(f"{action} on {resource}" for action, resource in missing)
    return f"role {identity.role_arn} may not {refused}"


def check_async_destination(function: DeclaredFunction, destination_arn: str, declared: LocalDeclarations) -> None:
    """Lambda sends an on-failure record with the function's own role, and refuses a destination it cannot
    reach (docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html)."""
    _require(identity_of(function, declared), "sqs:SendMessage", destination_arn, "call SendMessage on SQS")
