"""A topic queue function: a queue subscribed to a topic with raw message delivery, consumed by a Lambda, so that
one subscriber's retries and dead letters are its own and never hold back the topic's other subscribers."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws

from components.holding_queues import topic_may_send
from components.queue_function import QueueFunction, QueueFunctionArgs


@dataclass
class TopicQueueFunctionArgs:
    """The queue function, the topic it hears, and the key that encrypts its queue. SNS can write to a queue
    encrypted with a customer managed key only if the key's policy lets sns.amazonaws.com call
    kms:GenerateDataKey and kms:Decrypt (docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html):
    the caller's key must say so."""

    function: QueueFunctionArgs
    topic_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    # Where SNS keeps what it could not write to the queue (a policy or key that refuses it); without one, SNS
    # discards such a message (docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html).
    subscription_redrive_policy: pulumi.Input[str] | None = None


class TopicQueueFunction(pulumi.ComponentResource):
    """Topic -> queue (raw message delivery) -> Lambda, the queue writable by that topic alone."""

    consumer: QueueFunction
    queue_policy: aws.sqs.QueuePolicy
    subscription: aws.sns.TopicSubscription

    def __init__(self, name: str, args: TopicQueueFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless:topic:TopicQueueFunction", name, None, opts)
        self.consumer = QueueFunction(
            name, replace(args.function, kms_key_arn=args.kms_key_arn), opts=pulumi.ResourceOptions(parent=self)
        )
        self.queue_policy = topic_may_send(f"{name}-queue-policy", self.consumer.queue, args.topic_arn, parent=self)
        # Raw delivery: the queue gets the message and its attributes as they were published, not SNS's JSON
        # envelope (docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html).
        self.subscription = aws.sns.TopicSubscription(
            f"{name}-subscription",
            topic=args.topic_arn,
            protocol="sqs",
            endpoint=self.consumer.queue.arn,
            raw_message_delivery=True,
            redrive_policy=args.subscription_redrive_policy,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.queue_policy]),
        )
        self.register_outputs(
            {
                "queue_url": self.consumer.queue.url,
                "dead_letter_queue_url": self.consumer.dead_letter_queue.url,
                "subscription_arn": self.subscription.arn,
            }
        )
