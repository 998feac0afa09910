"""Queues that hold messages for a person (dead letters, failures), and the alarms that call that person."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws


def queue_not_empty_alarm(
    name: str,
    queue: aws.sqs.Queue,
    description: str,
    alarm_actions: Sequence[pulumi.Input[str]],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """Alarm as soon as a message waits on a queue that should stay empty (a dead-letter or failure queue)."""
    return aws.cloudwatch.MetricAlarm(
        name,
        alarm_description=description,
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": queue.name},
        statistic="Maximum",
        period=300,
        evaluation_periods=1,
        threshold=0,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=list(alarm_actions),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def holding_queue(
    name: str, retention_seconds: int, parent: pulumi.Resource, kms_key_arn: pulumi.Input[str] | None = None
) -> aws.sqs.Queue:
    """An encrypted queue that keeps what could not be processed until a person deals with it: with SQS's own
    keys, or with `kms_key_arn` where another AWS service writes to it."""
    return aws.sqs.Queue(
        name,
        sqs_managed_sse_enabled=None if kms_key_arn else True,
        kms_master_key_id=kms_key_arn,
        message_retention_seconds=retention_seconds,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def topic_may_send(
    name: str, queue: aws.sqs.Queue, topic_arn: pulumi.Input[str], parent: pulumi.Resource
) -> aws.sqs.QueuePolicy:
    """The queue's policy: SNS may send to it on behalf of this one topic and no other (the confused-deputy
    guard of docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html). A subscription's dead-letter
    queue takes the same policy: SNS names the topic in aws:SourceArn when it moves a failed delivery there too, as
    AWS's own dead-letter queue policy shows (docs.aws.amazon.com/sns/latest/dg/sns-configure-dead-letter-queue.html,
    prerequisite 5)."""
    return aws.sqs.QueuePolicy(
        name,
        queue_url=queue.url,
        policy=pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "TopicSends",
                        "Effect": "Allow",
                        "Principal": {"Service": "sns.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": queue.arn,
                        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                    }
                ],
            }
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def falling_behind_alarm(
    name: str,
    function: aws.lambda_.Function,
    metric: str,
    threshold_ms: int,
    description: str,
    alarm_actions: Sequence[pulumi.Input[str]],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """Alarm when a function's events wait too long, five minutes running: IteratorAge for a stream,
    AsyncEventAge for asynchronous invocations (docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html)."""
    return aws.cloudwatch.MetricAlarm(
        name,
        alarm_description=description,
        namespace="AWS/Lambda",
        metric_name=metric,
        dimensions={"FunctionName": function.name},
        statistic="Maximum",
        period=60,
        evaluation_periods=5,
        threshold=threshold_ms,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=list(alarm_actions),
        opts=pulumi.ResourceOptions(parent=parent),
    )
