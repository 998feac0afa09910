"""A stream function: a Lambda consuming a DynamoDB stream in order, failures kept on a queue."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
import pulumi_aws as aws

from components.holding_queues import falling_behind_alarm, holding_queue, queue_not_empty_alarm
from components.iam import allow
from components.lambda_function import LambdaFunction, LambdaFunctionArgs

STREAM_READ_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
# Lambda's documented execution-role permissions for a DynamoDB stream also include ListStreams
# (docs.aws.amazon.com/lambda/latest/dg/with-ddb.html). That action has no resource type, so only a grant on
# "*" has any effect (docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html);
# it lists stream ARNs, nothing more.
STREAM_LIST_ACTION = "dynamodb:ListStreams"
# DynamoDB Streams keep a record 24 hours (docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html);
# Lambda accepts a maximum record age from 60 s (Lambda API reference, CreateEventSourceMapping).
STREAM_RETENTION_SECONDS = 24 * 3600
MINIMUM_RECORD_AGE_SECONDS = 60
MAXIMUM_RECORD_AGE_SECONDS = STREAM_RETENTION_SECONDS // 2


@dataclass
class StreamFunctionArgs:
    """The function, the stream it reads, and how hard it retries before a record goes to the failure queue."""

    function: LambdaFunctionArgs
    stream_arn: pulumi.Input[str]
    batch_size: int = 100
    batching_window_seconds: int = 0
    maximum_retry_attempts: int = 10_000
    maximum_record_age_seconds: int = 6 * 3600
    starting_position: str = "TRIM_HORIZON"
    filter_patterns: Sequence[Mapping[str, Any]] = field(default_factory=list)
    iterator_age_alarm_ms: int = 60_000
    failure_retention_seconds: int = 14 * 24 * 3600
    alarm_actions: Sequence[pulumi.Input[str]] = ()

    def __post_init__(self) -> None:
        # A record given up on is described on the failure queue by its position in the stream; it must still
        # be readable there when a person acts on it, so it is given up well before the stream trims it.
        if not MINIMUM_RECORD_AGE_SECONDS <= self.maximum_record_age_seconds <= MAXIMUM_RECORD_AGE_SECONDS:
            raise ValueError(
                f"maximum record age must be from {MINIMUM_RECORD_AGE_SECONDS} s to {MAXIMUM_RECORD_AGE_SECONDS} s "
                f"(half the stream's {STREAM_RETENTION_SECONDS // 3600} h retention), "
                f"not {self.maximum_record_age_seconds}"
            )


class StreamFunction(pulumi.ComponentResource):
    """Stream -> Lambda with bisect on error and partial batch failures; what still fails lands on a queue."""

    failure_queue: aws.sqs.Queue
    lambda_function: LambdaFunction
    event_source: aws.lambda_.EventSourceMapping
    iterator_age_alarm: aws.cloudwatch.MetricAlarm
    failure_alarm: aws.cloudwatch.MetricAlarm

    def __init__(self, name: str, args: StreamFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless:stream:StreamFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.failure_queue = holding_queue(f"{name}-failures", args.failure_retention_seconds, parent=self)
        statements = [
            *args.function.statements,
            allow(STREAM_READ_ACTIONS, [args.stream_arn]),
            allow([STREAM_LIST_ACTION], ["*"]),
            allow(["sqs:SendMessage"], [self.failure_queue.arn]),
        ]
        self.lambda_function = LambdaFunction(name, replace(args.function, statements=statements), opts=child)
        self.event_source = aws.lambda_.EventSourceMapping(
            f"{name}-events",
            event_source_arn=args.stream_arn,
            function_name=self.lambda_function.function.arn,
            starting_position=args.starting_position,
            batch_size=args.batch_size,
            maximum_batching_window_in_seconds=args.batching_window_seconds,
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=args.maximum_retry_attempts,
            maximum_record_age_in_seconds=args.maximum_record_age_seconds,
            function_response_types=["ReportBatchItemFailures"],
            destination_config={"on_failure": {"destination_arn": self.failure_queue.arn}},
            filter_criteria=(
                {"filters": [{"pattern": json.dumps(pattern)} for pattern in args.filter_patterns]}
                if args.filter_patterns
                else None
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.lambda_function.policy]),
        )
        self.iterator_age_alarm = falling_behind_alarm(
            f"{name}-falling-behind",
            self.lambda_function.function,
            "IteratorAge",
            args.iterator_age_alarm_ms,
            f"{name} is falling behind its stream: records wait longer than they should.",
            args.alarm_actions,
            parent=self,
        )
        self.failure_alarm = queue_not_empty_alarm(
            f"{name}-failures-not-empty",
            self.failure_queue,
            f"{name} gave up on stream records: their details wait on the failure queue.",
            args.alarm_actions,
            parent=self,
        )
        self.register_outputs({"failure_queue_url": self.failure_queue.url})
