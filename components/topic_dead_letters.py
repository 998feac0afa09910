"""Dead letters for a topic's subscriptions (SMS, email, a queue): what SNS could not deliver, kept with an alarm."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.holding_queues import holding_queue, queue_not_empty_alarm, topic_may_send

DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's longest


class TopicDeadLetters(pulumi.ComponentResource):
    """A queue that subscriptions of one topic name in their redrive policy. SNS moves there a message it could not
    deliver: at once on a client-side error, after its delivery retries on a server-side one
    (docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html). SNS writes to it on the topic's behalf, so
    the queue's policy lets that topic send and its key lets SNS use it (same page: an encrypted dead-letter queue
    needs a customer managed key whose policy grants SNS). What SNS could not move here either is lost: an alarm
    calls on the topic's count of those."""

    queue: aws.sqs.Queue
    queue_policy: aws.sqs.QueuePolicy
    alarm: aws.cloudwatch.MetricAlarm
    lost_alarm: aws.cloudwatch.MetricAlarm

    def __init__(
        self,
        name: str,
        topic: aws.sns.Topic,
        kms_key_arn: pulumi.Input[str],
        alarm_actions: Sequence[pulumi.Input[str]] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("serverless:topic:TopicDeadLetters", name, None, opts)
        self.queue = holding_queue(name, DEAD_LETTER_RETENTION_SECONDS, parent=self, kms_key_arn=kms_key_arn)
        self.queue_policy = topic_may_send(f"{name}-policy", self.queue, topic.arn, parent=self)
        self.alarm = queue_not_empty_alarm(
            f"{name}-not-empty",
            self.queue,
            f"SNS could not deliver some messages to subscribers: they wait in {name}.",
            alarm_actions,
            parent=self,
        )
        # SNS counts, per topic, the messages it could move to no dead-letter queue (one whose key or policy refused
        # SNS), each of them lost; it sends a count each minute where there is one, none otherwise
        # (docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html).
        self.lost_alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-redrive-failed",
            alarm_description=f"SNS could neither deliver some messages to subscribers nor keep them in {name}: "
            "they are lost.",
            namespace="AWS/SNS",
            metric_name="NumberOfNotificationsFailedToRedriveToDlq",
            dimensions={"TopicName": topic.name},
            statistic="Sum",
            period=60,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=list(alarm_actions),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"queue_url": self.queue.url})

    def redrive_policy(self) -> pulumi.Output[str]:
        """A subscription's RedrivePolicy naming this queue."""
        return pulumi.Output.json_dumps({"deadLetterTargetArn": self.queue.arn})
