"""A queue function: an encrypted SQS queue with a dead-letter queue, consumed by a Lambda in batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws

from components.holding_queues import holding_queue, queue_not_empty_alarm
from components.iam import allow
from components.lambda_function import LambdaFunction, LambdaFunctionArgs
from handlers.settings import ConsumedQueue, DeadLetterQueue

# Lambda's advice: a visibility timeout of at least six times the function timeout, plus the batching window.
VISIBILITY_TIMEOUT_FACTOR = 6


@dataclass
class QueueFunctionArgs:
    """The function and how it consumes its queue."""

    function: LambdaFunctionArgs
    batch_size: int = 10
    batching_window_seconds: int = 0
    maximum_concurrency: int = 2
    max_receive_count: int = 5
    message_retention_seconds: int = 4 * 24 * 3600
    dead_letter_retention_seconds: int = 14 * 24 * 3600
    handler_sends_dead_letters: bool = False
    # The handler sets when a failed message comes back (ChangeMessageVisibility), so it needs the queue's URL, and
    # its retention, which no wait may outlive.
    handler_delays_retries: bool = False
    # A customer managed key to encrypt the queue with, in place of SQS's own keys (SSE-SQS): what a queue needs
    # when another AWS service writes to it, SNS for one (docs.aws.amazon.com/AWSSimpleQueueService/latest/
    # SQSDeveloperGuide/sqs-key-management.html, "Configure KMS permissions for AWS services").
    kms_key_arn: pulumi.Input[str] | None = None
    alarm_actions: Sequence[pulumi.Input[str]] = ()

    def __post_init__(self) -> None:
        # AWS refuses a batch of more than ten messages from a standard queue without a batching window.
        if self.batch_size > 10 and self.batching_window_seconds < 1:
            raise ValueError("a batch size over 10 needs a batching window of at least 1 second")
        if not 2 <= self.maximum_concurrency <= 1000:
            raise ValueError("maximum concurrency of an SQS event source must be from 2 to 1000")


class QueueFunction(pulumi.ComponentResource):
    """Queue -> Lambda with partial batch failures; messages that keep failing move to the dead-letter queue."""

    queue: aws.sqs.Queue
    dead_letter_queue: aws.sqs.Queue
    lambda_function: LambdaFunction
    event_source: aws.lambda_.EventSourceMapping
    dead_letter_alarm: aws.cloudwatch.MetricAlarm

    def __init__(self, name: str, args: QueueFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless:queue:QueueFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.dead_letter_queue = holding_queue(f"{name}-dlq", args.dead_letter_retention_seconds, parent=self)
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            sqs_managed_sse_enabled=None if args.kms_key_arn else True,
            kms_master_key_id=args.kms_key_arn,
            message_retention_seconds=args.message_retention_seconds,
            visibility_timeout_seconds=visibility_timeout(args),
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": self.dead_letter_queue.arn, "maxReceiveCount": args.max_receive_count}
            ),
            opts=child,
        )
        self.lambda_function = LambdaFunction(name, self._function_args(args), opts=child)
        self.event_source = aws.lambda_.EventSourceMapping(
            f"{name}-events",
            event_source_arn=self.queue.arn,
            function_name=self.lambda_function.function.arn,
            batch_size=args.batch_size,
            maximum_batching_window_in_seconds=args.batching_window_seconds,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config={"maximum_concurrency": args.maximum_concurrency},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.lambda_function.policy]),
        )
        self.dead_letter_alarm = queue_not_empty_alarm(
            f"{name}-dlq-not-empty",
            self.dead_letter_queue,
            f"Messages wait in the dead-letter queue of {name}: read their reasons, fix and resend them.",
            args.alarm_actions,
            parent=self,
        )
        self.register_outputs({"queue_url": self.queue.url, "dead_letter_queue_url": self.dead_letter_queue.url})

    def _function_args(self, args: QueueFunctionArgs) -> LambdaFunctionArgs:
        consume = allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], [self.queue.arn])
        statements = [*args.function.statements, consume]
        environment = dict(args.function.environment)
        if args.handler_sends_dead_letters:
            statements.append(allow(["sqs:SendMessage"], [self.dead_letter_queue.arn]))
            environment.update(DeadLetterQueue(url=self.dead_letter_queue.url).environment())
        if args.handler_delays_retries:
            statements.append(allow(["sqs:ChangeMessageVisibility"], [self.queue.arn]))
            retention = args.message_retention_seconds
            environment.update(ConsumedQueue(url=self.queue.url, message_retention_seconds=retention).environment())
        if args.kms_key_arn is not None:
            # Lambda reads an encrypted queue with the function's role (docs.aws.amazon.com/lambda/latest/dg/
            # with-sqs.html, "Execution role permissions").
            statements.append(allow(["kms:Decrypt"], [args.kms_key_arn]))
        return replace(args.function, statements=statements, environment=environment)


def visibility_timeout(args: QueueFunctionArgs) -> int:
    """How long a received message stays hidden: long enough for every retry within one delivery."""
    return VISIBILITY_TIMEOUT_FACTOR * args.function.timeout_seconds + args.batching_window_seconds
